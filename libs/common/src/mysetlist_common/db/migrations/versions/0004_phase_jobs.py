"""phase_job: every phase of an import is a durable job (claimed with a lease, parked while it waits)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 00:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "phase_job",
        sa.Column("import_id", sa.Uuid(), nullable=False),
        sa.Column("phase", sa.String(length=16), nullable=False),
        sa.Column("artist_id", sa.Uuid(), nullable=False),
        sa.Column("event", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("resume_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("owner", sa.Uuid(), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("failures", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("waiting_for", sa.String(length=16), nullable=True),
        sa.Column("waited_s", sa.Float(), server_default=sa.text("0"), nullable=False),
        sa.Column("journal", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("import_id", "phase", name=op.f("pk_phase_job")),
    )
    op.create_index("ix_phase_job_ready", "phase_job", ["phase", "priority", "resume_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_phase_job_ready", table_name="phase_job")
    op.drop_table("phase_job")
