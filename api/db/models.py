"""ORM models. The Alembic revisions in ``migrations/versions`` must match these
(``tests/api/test_migrations.py`` compares them)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Text,
    TypeDecorator,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# Deterministic constraint names so migrations are identical on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

JOB_STATUSES = ("queued", "running", "done", "failed")


def new_id() -> str:
    return uuid.uuid4().hex


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite drops the offset otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Clinic(Base):
    __tablename__ = "clinics"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class User(Base):
    """A token holder: a clinician of a clinic, or a patient (bound to one patient record)."""

    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    clinic_id: Mapped[str] = mapped_column(ForeignKey("clinics.id"), index=True)
    patient_id: Mapped[str | None] = mapped_column(ForeignKey("patients.id"), index=True)
    # sha256 hex of the bearer token; the token itself is never stored.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    clinic: Mapped[Clinic] = relationship(lazy="joined")


class Patient(Base):
    __tablename__ = "patients"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    clinic_id: Mapped[str] = mapped_column(ForeignKey("clinics.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    # PatientProtocol.model_dump(mode="json")
    protocol: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class Visit(Base):
    __tablename__ = "visits"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    patient_id: Mapped[str] = mapped_column(ForeignKey("patients.id"), index=True)
    date: Mapped[dt.date] = mapped_column(Date)
    notes: Mapped[str | None] = mapped_column(Text)
    # [{"kind": "physio_session" | "shockwave_session" | "surgery", "details": str | None}]
    interventions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    walking_aid: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class PainScore(Base):
    """Numeric rating scale (0-10) entries, attached to a visit or just to a date."""

    __tablename__ = "pain_scores"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    patient_id: Mapped[str] = mapped_column(ForeignKey("patients.id"), index=True)
    visit_id: Mapped[str | None] = mapped_column(ForeignKey("visits.id"), index=True)
    date: Mapped[dt.date] = mapped_column(Date)
    at_rest: Mapped[int | None] = mapped_column(SmallInteger)
    at_night: Mapped[int | None] = mapped_column(SmallInteger)
    before_exercise: Mapped[int | None] = mapped_column(SmallInteger)
    after_exercise: Mapped[int | None] = mapped_column(SmallInteger)
    created_by: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Analysis(Base):
    """One analysis job and, once done, its result.

    File columns hold paths relative to the data dir with server-generated names only.
    """

    __tablename__ = "analyses"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    patient_id: Mapped[str] = mapped_column(ForeignKey("patients.id"), index=True)
    visit_id: Mapped[str | None] = mapped_column(ForeignKey("visits.id"), index=True)
    created_by: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    task: Mapped[str] = mapped_column(String(80))
    # protocol, height_m, affected_side, working_side as passed to the pipeline.
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    input_kind: Mapped[str] = mapped_column(String(20))
    # Client's file name, shown back to the user (in result.input.name); never used in a path.
    original_name: Mapped[str | None] = mapped_column(String(255))
    annotate: Mapped[bool] = mapped_column(Boolean, default=False)

    status: Mapped[str] = mapped_column(String(10), default="queued", index=True)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_owner: Mapped[str | None] = mapped_column(String(200))
    lease_expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    error: Mapped[str | None] = mapped_column(Text)

    raw_path: Mapped[str | None] = mapped_column(String(300))
    track_path: Mapped[str | None] = mapped_column(String(300))
    annotated_path: Mapped[str | None] = mapped_column(String(300))
    annotated_expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
