"""Initial schema: clinics, users, patients, visits, pain scores, analyses.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the column types (migrations must not import the live models).
ID = sa.String(length=32)
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "clinics",
        sa.Column("id", ID, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clinics")),
        sa.UniqueConstraint("name", name=op.f("uq_clinics_name")),
    )
    op.create_table(
        "patients",
        sa.Column("id", ID, nullable=False),
        sa.Column("clinic_id", ID, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("protocol", sa.JSON(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinics.id"], name=op.f("fk_patients_clinic_id_clinics")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patients")),
    )
    op.create_index(op.f("ix_patients_clinic_id"), "patients", ["clinic_id"])

    op.create_table(
        "users",
        sa.Column("id", ID, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("clinic_id", ID, nullable=False),
        sa.Column("patient_id", ID, nullable=True),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinics.id"], name=op.f("fk_users_clinic_id_clinics")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_users_patient_id_patients")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_users_token_hash")),
    )
    op.create_index(op.f("ix_users_clinic_id"), "users", ["clinic_id"])
    op.create_index(op.f("ix_users_patient_id"), "users", ["patient_id"])

    op.create_table(
        "visits",
        sa.Column("id", ID, nullable=False),
        sa.Column("patient_id", ID, nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("interventions", sa.JSON(), nullable=False),
        sa.Column("walking_aid", sa.String(length=40), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_visits_patient_id_patients")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visits")),
    )
    op.create_index(op.f("ix_visits_patient_id"), "visits", ["patient_id"])

    op.create_table(
        "analyses",
        sa.Column("id", ID, nullable=False),
        sa.Column("patient_id", ID, nullable=False),
        sa.Column("visit_id", ID, nullable=True),
        sa.Column("created_by", ID, nullable=True),
        sa.Column("task", sa.String(length=80), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("input_kind", sa.String(length=20), nullable=False),
        sa.Column("original_name", sa.String(length=255), nullable=True),
        sa.Column("annotate", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("progress", sa.Float(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("lease_owner", sa.String(length=200), nullable=True),
        sa.Column("lease_expires_at", TS, nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("raw_path", sa.String(length=300), nullable=True),
        sa.Column("track_path", sa.String(length=300), nullable=True),
        sa.Column("annotated_path", sa.String(length=300), nullable=True),
        sa.Column("annotated_expires_at", TS, nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("started_at", TS, nullable=True),
        sa.Column("finished_at", TS, nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_analyses_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_analyses_patient_id_patients")
        ),
        sa.ForeignKeyConstraint(
            ["visit_id"], ["visits.id"], name=op.f("fk_analyses_visit_id_visits")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analyses")),
    )
    op.create_index(op.f("ix_analyses_created_at"), "analyses", ["created_at"])
    op.create_index(op.f("ix_analyses_patient_id"), "analyses", ["patient_id"])
    op.create_index(op.f("ix_analyses_status"), "analyses", ["status"])
    op.create_index(op.f("ix_analyses_visit_id"), "analyses", ["visit_id"])

    op.create_table(
        "pain_scores",
        sa.Column("id", ID, nullable=False),
        sa.Column("patient_id", ID, nullable=False),
        sa.Column("visit_id", ID, nullable=True),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("at_rest", sa.SmallInteger(), nullable=True),
        sa.Column("at_night", sa.SmallInteger(), nullable=True),
        sa.Column("before_exercise", sa.SmallInteger(), nullable=True),
        sa.Column("after_exercise", sa.SmallInteger(), nullable=True),
        sa.Column("created_by", ID, nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_pain_scores_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_pain_scores_patient_id_patients")
        ),
        sa.ForeignKeyConstraint(
            ["visit_id"], ["visits.id"], name=op.f("fk_pain_scores_visit_id_visits")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pain_scores")),
    )
    op.create_index(op.f("ix_pain_scores_patient_id"), "pain_scores", ["patient_id"])
    op.create_index(op.f("ix_pain_scores_visit_id"), "pain_scores", ["visit_id"])


def downgrade() -> None:
    op.drop_table("pain_scores")
    op.drop_table("analyses")
    op.drop_table("visits")
    op.drop_table("users")
    op.drop_table("patients")
    op.drop_table("clinics")
