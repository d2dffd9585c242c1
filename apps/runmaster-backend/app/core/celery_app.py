"""The Celery app: broker and result backend are Redis (REDIS_URL, with its password)."""
import time

from celery import Celery

from app.core.config import settings

celery_app = Celery("runmaster", broker=settings.redis_url, backend=settings.redis_url)
celery_app.conf.update(
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    result_expires=settings.prediction_cache_ttl,
    broker_connection_retry_on_startup=True,
    beat_schedule_filename=settings.beat_schedule_file,
    beat_schedule={
        "heartbeat-every-minute": {"task": "app.core.celery_app.heartbeat", "schedule": 60.0},
        "feature-store-cleanup-hourly": {"task": "app.core.celery_app.cleanup_feature_store", "schedule": 3600.0},
    },
)


@celery_app.task
def heartbeat() -> float:
    """Records when a worker last ran a task (read by /api/admin/ai/system-stats)."""
    import redis

    now = time.time()
    redis.Redis.from_url(settings.redis_url).set("runmaster:last_heartbeat", now)
    return now


@celery_app.task
def cleanup_feature_store() -> int:
    """Deletes feature rows older than FEATURE_STORE_RETENTION_DAYS."""
    from sqlalchemy import text

    from app.core.db import engine

    with engine().begin() as conn:
        r = conn.execute(
            text("DELETE FROM feature_store WHERE created_at < now() - make_interval(days => :d)"),
            {"d": settings.feature_store_retention_days},
        )
        return r.rowcount
