"""the four indexes of the guide's performance section, built CONCURRENTLY

Revision ID: 0002
Revises: 0001
Create Date: 2024-01-01 12:10:00
"""
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

INDEXES = [
    ("idx_prediction_results_user_id", "prediction_results", "user_id"),
    ("idx_prediction_results_created_at", "prediction_results", "created_at"),
    ("idx_feature_store_user_id", "feature_store", "user_id"),
    ("idx_ai_models_is_active", "ai_models", "is_active"),
]


def upgrade() -> None:
    # CREATE INDEX CONCURRENTLY cannot run inside a transaction block.
    with op.get_context().autocommit_block():
        for name, table, column in INDEXES:
            op.execute(f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON {table} ({column})")


def downgrade() -> None:
    with op.get_context().autocommit_block():
        for name, _table, _column in INDEXES:
            op.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")
