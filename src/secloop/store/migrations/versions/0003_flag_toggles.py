"""The flag service's run-time toggles, so a kill switch survives a restart of the server.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "flag_toggles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("flag", sa.String(100), nullable=False),
        sa.Column("environment", sa.String(100), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_flag_toggles"),
        sa.UniqueConstraint("flag", "environment", name="uq_flag_toggles_flag_environment"),
    )


def downgrade() -> None:
    op.drop_table("flag_toggles")
