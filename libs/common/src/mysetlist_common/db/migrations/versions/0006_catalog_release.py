"""catalog_release: the releases an artist's catalog was built from, so a resync fetches only new ones

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 00:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "catalog_release",
        sa.Column("artist_id", sa.Uuid(), nullable=False),
        sa.Column("album_id", sa.String(length=64), nullable=False),
        sa.Column("live", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("tracks", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["artist_id"], ["artist.id"], name=op.f("fk_catalog_release_artist_id_artist"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("artist_id", "album_id", name=op.f("pk_catalog_release")),
    )


def downgrade() -> None:
    op.drop_table("catalog_release")
