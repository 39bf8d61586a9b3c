"""Indices for the dashboard's per-request reads.

Revision ID: 0005
Revises: 0004

Every page reads the data's version, which includes the newest triage change: without an index on
finding_triage.updated_at that is a scan of the whole triage table on each request. The findings
counted per severity (after each new assessment) are read from an index on (assessment_id, severity)
alone, never from the table; it starts with assessment_id, so it replaces ix_findings_assessment.
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_index("ix_findings_assessment_severity", "findings", ["assessment_id", "severity"])
    op.drop_index("ix_findings_assessment", table_name="findings")
    op.create_index("ix_finding_triage_updated_at", "finding_triage", ["updated_at"])


def downgrade() -> None:
    op.drop_index("ix_finding_triage_updated_at", table_name="finding_triage")
    op.create_index("ix_findings_assessment", "findings", ["assessment_id"])
    op.drop_index("ix_findings_assessment_severity", table_name="findings")
