"""rate_key: one shared request budget per upstream API key, for every replica

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 23:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rate_key",
        sa.Column("upstream", sa.String(length=32), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("tat", sa.Float(), server_default=sa.text("0"), nullable=False),
        sa.Column("rate_per_s", sa.Float(), nullable=False),
        sa.Column("rate_changed_at", sa.Float(), server_default=sa.text("0"), nullable=False),
        sa.Column("ceiling_per_s", sa.Float(), nullable=False),
        sa.Column("floor_per_s", sa.Float(), nullable=False),
        sa.Column("increase_per_s2", sa.Float(), server_default=sa.text("0"), nullable=False),
        sa.Column("burst_s", sa.Float(), server_default=sa.text("0"), nullable=False),
        sa.Column("paused_until", sa.Float(), server_default=sa.text("0"), nullable=False),
        sa.Column("pause_reason", sa.Text(), server_default=sa.text("''"), nullable=False),
        sa.Column("quota_per_day", sa.Integer(), nullable=True),
        sa.Column("quota_left", sa.Integer(), nullable=True),
        sa.Column("quota_reset_at", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("upstream", "key_hash", name=op.f("pk_rate_key")),
    )


def downgrade() -> None:
    op.drop_table("rate_key")
