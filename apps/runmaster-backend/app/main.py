"""RunMaster backend (demo): health, AI system stats and one AI endpoint behind a feature flag."""
import logging
import os
import time

import redis
from fastapi import FastAPI, HTTPException
from fastapi.responses import JSONResponse
from sqlalchemy import insert, text

from app.core.config import settings
from app.core.db import engine, prediction_results

log = logging.getLogger("runmaster")
log.setLevel(settings.log_level)
if settings.log_file_path:
    try:
        handler = logging.FileHandler(settings.log_file_path)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s [%(process)d] %(name)s: %(message)s"))
        log.addHandler(handler)
    except OSError as e:  # the app still serves; the health check reports the DB and Redis only
        logging.getLogger(__name__).warning("cannot open log file %s: %s", settings.log_file_path, e)

app = FastAPI(title=settings.app_name, version=settings.app_version, debug=settings.debug)
log.info("starting %s %s (%s), AI features %s", settings.app_name, settings.app_version, settings.environment,
         "enabled" if settings.ai_features_enabled else "disabled")


def _redis() -> redis.Redis:
    return redis.Redis.from_url(settings.redis_url, socket_timeout=3, socket_connect_timeout=3)


def _check_db() -> str:
    try:
        with engine().connect() as conn:
            conn.execute(text("SELECT 1")).scalar_one()
        return "ok"
    except Exception as e:  # noqa: BLE001 - reported, not raised
        log.error("health: database: %s", e)
        return f"error: {type(e).__name__}"


def _check_redis() -> str:
    try:
        return "ok" if _redis().ping() else "error: no PONG"
    except Exception as e:  # noqa: BLE001
        log.error("health: redis: %s", e)
        return f"error: {type(e).__name__}"


@app.get("/health")
def health():
    db, cache = _check_db(), _check_redis()
    ok = db == "ok" and cache == "ok"
    body = {"status": "ok" if ok else "degraded", "db": db, "redis": cache, "version": settings.app_version}
    return JSONResponse(body, status_code=200 if ok else 503)


@app.get("/api/admin/ai/system-stats")
def system_stats():
    from app.core.celery_app import celery_app

    workers = 0
    if settings.ai_features_enabled:
        try:
            # A ping collects replies for the whole timeout unless it knows how many can come: the
            # workers bound to the broadcast exchange (kombu keeps them in Redis), each of which
            # answers. With a stale binding (a worker killed) it waits the second as before.
            bound = _redis().scard(f"_kombu.binding.{celery_app.conf.control_exchange}.pidbox")
            workers = len(celery_app.control.ping(timeout=1.0, **({"limit": bound} if bound else {})) or [])
        except Exception as e:  # noqa: BLE001
            log.warning("system-stats: celery ping: %s", e)
    try:
        models = sorted(os.listdir(settings.ml_models_path))
    except OSError:
        models = []
    try:
        beat = _redis().get("runmaster:last_heartbeat")
        last_heartbeat = float(beat) if beat else None
    except Exception:  # noqa: BLE001
        last_heartbeat = None
    return {
        "ai_features_enabled": settings.ai_features_enabled,
        "environment": settings.environment,
        "version": settings.app_version,
        "celery_workers": workers,
        "last_heartbeat": last_heartbeat,
        "models_path": settings.ml_models_path,
        "models": models,
        "prediction_cache_ttl": settings.prediction_cache_ttl,
        "feature_store_retention_days": settings.feature_store_retention_days,
        "rate_limit_window": settings.rate_limit_window,
        "pid": os.getpid(),
    }


@app.get("/api/ai/predict-demo")
def predict_demo(user_id: int = 1, distance_km: float = 10.0, base_km: float = 5.0, base_seconds: float = 1500.0, store: bool = True):
    """Riegel's formula, T2 = T1 * (D2/D1)^1.06: a stand-in for a model. Cached in Redis, stored in the DB
    unless store=false (the health check asks without leaving rows behind)."""
    if not settings.ai_features_enabled:
        log.info("ai: predict-demo refused: AI_FEATURES_ENABLED=false")
        raise HTTPException(status_code=404, detail="AI features are disabled")
    if distance_km <= 0 or base_km <= 0 or base_seconds <= 0:
        raise HTTPException(status_code=422, detail="distances and time must be positive")
    key = f"runmaster:predict:{user_id}:{distance_km}:{base_km}:{base_seconds}"
    cached = None
    try:
        cached = _redis().get(key)
    except Exception as e:  # noqa: BLE001
        log.warning("ai: cache: %s", e)
    seconds = float(cached) if cached else base_seconds * (distance_km / base_km) ** 1.06
    if not cached and store:
        try:
            _redis().setex(key, settings.prediction_cache_ttl, seconds)
        except Exception:  # noqa: BLE001
            pass
        with engine().begin() as conn:
            conn.execute(insert(prediction_results).values(user_id=user_id, model_name="riegel-demo", distance_km=distance_km, predicted_seconds=seconds))
    log.info("ai: predict-demo user=%s distance=%skm -> %.0fs", user_id, distance_km, seconds)
    return {"user_id": user_id, "distance_km": distance_km, "predicted_seconds": round(seconds, 1),
            "model": "riegel-demo", "cached": bool(cached), "at": time.time()}
