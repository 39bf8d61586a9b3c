"""Disabled users, idle session timeout and scan durations.

Revision ID: 0004
Revises: 0003

Pull requests and issues received by webhooks need no table of their own: they are delivery events
(kinds "pull_request" and "issue") keyed by source and external id like deployments and incidents.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.add_column("users", sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("sessions", sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("scan_jobs", sa.Column("duration_seconds", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("scan_jobs") as batch:
        batch.drop_column("duration_seconds")
    with op.batch_alter_table("sessions") as batch:
        batch.drop_column("last_seen_at")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("disabled_at")
