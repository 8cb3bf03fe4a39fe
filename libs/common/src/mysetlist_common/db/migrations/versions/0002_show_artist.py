"""show_artist: a show belongs to every artist billed on it (headliner and support acts)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 05:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "show_artist",
        sa.Column("show_id", sa.Uuid(), nullable=False),
        sa.Column("artist_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["show_id"], ["show.id"], name=op.f("fk_show_artist_show_id_show"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["artist_id"], ["artist.id"], name=op.f("fk_show_artist_artist_id_artist"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("show_id", "artist_id", name=op.f("pk_show_artist")),
    )
    op.create_index(op.f("ix_show_artist_artist_id"), "show_artist", ["artist_id"], unique=False)
    # every show stored so far belongs to the artist whose import stored it
    op.execute("INSERT INTO show_artist (show_id, artist_id) SELECT id, artist_id FROM show")


def downgrade() -> None:
    # show.artist_id still names each show's first importer: nothing else to restore
    op.drop_index(op.f("ix_show_artist_artist_id"), table_name="show_artist")
    op.drop_table("show_artist")
