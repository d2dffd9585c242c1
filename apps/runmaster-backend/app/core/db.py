"""The database engine (SQLAlchemy) and the tables the migrations create."""
from sqlalchemy import Boolean, Column, DateTime, Float, Integer, MetaData, String, Table, create_engine, func

from app.core.config import settings

metadata = MetaData()

ai_models = Table(
    "ai_models", metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(100), nullable=False),
    Column("version", String(50), nullable=False),
    Column("path", String(500), nullable=False),
    Column("is_active", Boolean, nullable=False, server_default="false"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

prediction_results = Table(
    "prediction_results", metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, nullable=False),
    Column("model_name", String(100), nullable=False),
    Column("distance_km", Float, nullable=False),
    Column("predicted_seconds", Float, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

feature_store = Table(
    "feature_store", metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, nullable=False),
    Column("feature", String(100), nullable=False),
    Column("value", Float, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

_engine = None


def engine():
    global _engine
    if _engine is None:
        _engine = create_engine(settings.database_url, pool_pre_ping=True, future=True, connect_args={"connect_timeout": 3})
    return _engine
