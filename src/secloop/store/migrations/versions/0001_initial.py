"""Initial schema: repositories, assessments, practice results and findings.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "repositories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("root", sa.Text(), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_repositories"),
        sa.UniqueConstraint("root", name="uq_repositories_root"),
    )
    op.create_table(
        "assessments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("repository_id", sa.Integer(), nullable=False),
        sa.Column("commit", sa.String(64), nullable=True),
        sa.Column("as_of", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tool_version", sa.String(64), nullable=False),
        sa.Column("config_digest", sa.String(128), nullable=False),
        sa.Column("gate_passed", sa.Boolean(), nullable=True),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("pass_count", sa.Integer(), nullable=False),
        sa.Column("partial_count", sa.Integer(), nullable=False),
        sa.Column("fail_count", sa.Integer(), nullable=False),
        sa.Column("unknown_count", sa.Integer(), nullable=False),
        sa.Column("not_applicable_count", sa.Integer(), nullable=False),
        sa.Column("finding_count", sa.Integer(), nullable=False),
        sa.Column("active_finding_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_assessments"),
        sa.ForeignKeyConstraint(
            ["repository_id"],
            ["repositories.id"],
            name="fk_assessments_repository_id_repositories",
            ondelete="CASCADE",
        ),
    )
    op.create_index(
        "ix_assessments_repository_as_of", "assessments", ["repository_id", "as_of", "recorded_at", "id"]
    )
    op.create_table(
        "practice_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("practice_id", sa.String(128), nullable=False),
        sa.Column("stage", sa.String(32), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_practice_results"),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["assessments.id"],
            name="fk_practice_results_assessment_id_assessments",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint(
            "assessment_id", "practice_id", name="uq_practice_results_assessment_id_practice_id"
        ),
    )
    op.create_index("ix_practice_results_practice", "practice_results", ["practice_id", "assessment_id"])
    op.create_table(
        "findings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("practice_id", sa.String(128), nullable=False),
        sa.Column("rule_id", sa.String(128), nullable=False),
        sa.Column("fingerprint", sa.String(128), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("path", sa.Text(), nullable=True),
        sa.Column("line", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("suppressed", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_findings"),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["assessments.id"],
            name="fk_findings_assessment_id_assessments",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_findings_assessment", "findings", ["assessment_id"])
    op.create_index("ix_findings_fingerprint", "findings", ["fingerprint", "assessment_id"])
    op.create_index("ix_findings_rule", "findings", ["rule_id", "assessment_id"])


def downgrade() -> None:
    op.drop_table("findings")
    op.drop_table("practice_results")
    op.drop_table("assessments")
    op.drop_table("repositories")
