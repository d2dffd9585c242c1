"""Settings from the environment, falling back to .env.production beside the app.

The process environment wins over the file: supervisor passes DATABASE_URL, REDIS_URL and
AI_FEATURES_ENABLED to each program, and the file holds the rest (and the same values, for
commands run by hand such as `alembic upgrade head`).
"""
import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]
ENV_FILE = Path(os.environ.get("RUNMASTER_ENV_FILE", BASE_DIR / ".env.production"))


def _with_psycopg2(url: str) -> str:
    """The guide's postgresql:// URL with the driver requirements.txt installs (psycopg2).

    SQLAlchemy 2.1 made psycopg (3) the driver of a bare postgresql:// URL; 2.0 took psycopg2.
    """
    prefix = "postgresql://"
    return "postgresql+psycopg2://" + url[len(prefix):] if url.startswith(prefix) else url


def _read_env_file(path: Path) -> dict:
    values = {}
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return values
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key.strip()] = value
    return values


def _flag(value: str) -> bool:
    return str(value).strip().lower() in ("1", "true", "yes", "on")


class Settings:
    def __init__(self) -> None:
        file_values = _read_env_file(ENV_FILE)

        def get(name: str, default: str) -> str:
            return os.environ.get(name, file_values.get(name, default))

        self.app_name = get("APP_NAME", "RunMaster")
        self.app_version = get("APP_VERSION", "1.0.0")
        self.debug = _flag(get("DEBUG", "false"))
        self.environment = get("ENVIRONMENT", "development")
        self.database_url = _with_psycopg2(get("DATABASE_URL", "postgresql://runmaster:password@localhost:5432/runmaster_prod"))
        self.ai_features_enabled = _flag(get("AI_FEATURES_ENABLED", "true"))
        self.redis_url = get("REDIS_URL", "redis://localhost:6379/0")
        self.ml_models_path = get("ML_MODELS_PATH", "/opt/runmaster/models")
        self.feature_store_retention_days = int(get("FEATURE_STORE_RETENTION_DAYS", "30"))
        self.prediction_cache_ttl = int(get("PREDICTION_CACHE_TTL", "3600"))
        self.rate_limit_window = int(get("RATE_LIMIT_WINDOW", "60"))
        self.secret_key = get("SECRET_KEY", "")
        self.access_token_expire_minutes = int(get("ACCESS_TOKEN_EXPIRE_MINUTES", "30"))
        self.refresh_token_expire_days = int(get("REFRESH_TOKEN_EXPIRE_DAYS", "7"))
        self.log_level = get("LOG_LEVEL", "INFO").upper()
        self.log_file_path = get("LOG_FILE_PATH", "")
        self.beat_schedule_file = get("CELERY_BEAT_SCHEDULE", str(BASE_DIR / "celerybeat-schedule"))


settings = Settings()
