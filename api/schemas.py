"""Request and response models (kept separate from the ORM models).

The analysis result itself is :class:`avnmotion.result.AnalysisResult`, the same schema the CLI
prints with ``--json``.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from avnmotion.protocol import PatientProtocol
from avnmotion.result import AnalysisResult

Role = Literal["clinician", "patient"]
JobStatus = Literal["queued", "running", "done", "failed"]
InterventionKind = Literal["physio_session", "shockwave_session", "surgery"]
WalkingAid = Literal[
    "none", "one_crutch", "two_crutches", "cane", "walking_frame", "rollator", "wheelchair"
]


def _no_nul(value: str) -> str:
    # PostgreSQL text cannot hold NUL; refuse it for every backend alike.
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


#: Free text that is stored: no NUL characters.
Text = Annotated[str, AfterValidator(_no_nul)]

Nrs = Field(default=None, ge=0, le=10, description="Numeric rating scale, 0 (no pain) to 10.")

#: Earliest date a visit or pain score may carry.
EARLIEST_RECORD_DATE = dt.date(1900, 1, 1)


def _record_date(value: dt.date) -> dt.date:
    # A visit or pain score records what happened: 0001-01-01 or 9999-12-31 is a typing
    # error that would sort first or last in every comparison across visits. One day of
    # slack for the client's time zone being ahead of the server's.
    latest = dt.date.today() + dt.timedelta(days=1)
    if not EARLIEST_RECORD_DATE <= value <= latest:
        raise ValueError(
            f"date {value.isoformat()} is outside {EARLIEST_RECORD_DATE.isoformat()} to "
            f"{latest.isoformat()} (today, plus one day for time zones)"
        )
    return value


#: The date of something recorded (a visit, a pain score): not in the future, not before 1900.
RecordDate = Annotated[dt.date, AfterValidator(_record_date)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# -- health and users ---------------------------------------------------------------------
class HealthOut(BaseModel):
    status: Literal["ok", "degraded"]
    database: Literal["ok", "unreachable"]
    workers: int
    version: str


class UserOut(_Out):
    id: str
    name: str
    role: Role
    clinic: str
    patient_id: str | None = None


class PatientUserCreate(_In):
    name: Text = Field(min_length=1, max_length=200)


class TokenOut(BaseModel):
    user: UserOut
    token: str = Field(description="Bearer token; shown once and stored only as a hash.")


# -- patients -----------------------------------------------------------------------------
class PatientCreate(_In):
    name: Text = Field(min_length=1, max_length=200, description="Clinic's label for the patient.")
    protocol: PatientProtocol = Field(default_factory=PatientProtocol)


class PatientUpdate(_In):
    """Fields left out keep their value; an explicit null is refused (it would be a no-op)."""

    name: Text | None = Field(default=None, min_length=1, max_length=200)
    protocol: PatientProtocol | None = None

    @model_validator(mode="after")
    def _no_nulls(self) -> PatientUpdate:
        nulls = sorted(f for f in self.model_fields_set if getattr(self, f) is None)
        if nulls:
            raise ValueError(
                f"{', '.join(nulls)} cannot be null; leave a field out to keep its value"
            )
        return self


class PatientOut(_Out):
    id: str
    name: str
    protocol: PatientProtocol
    created_at: dt.datetime
    updated_at: dt.datetime


# -- visits -------------------------------------------------------------------------------
class Intervention(_In):
    kind: InterventionKind
    details: Text | None = Field(default=None, max_length=2000)


class VisitCreate(_In):
    date: RecordDate
    notes: Text | None = Field(default=None, max_length=20_000)
    interventions: list[Intervention] = Field(default_factory=list, max_length=50)
    walking_aid: WalkingAid | None = Field(
        default=None, description="Walking aid used at this visit."
    )


class VisitUpdate(_In):
    date: RecordDate | None = None
    notes: Text | None = Field(default=None, max_length=20_000)
    interventions: list[Intervention] | None = Field(default=None, max_length=50)
    walking_aid: WalkingAid | None = None


class VisitOut(_Out):
    id: str
    patient_id: str
    date: dt.date
    notes: str | None
    interventions: list[Intervention]
    walking_aid: WalkingAid | None
    created_at: dt.datetime


# -- pain ---------------------------------------------------------------------------------
class PainScoreCreate(_In):
    """Pain on the 0-10 NRS, for a visit (``visit_id``) or a day (``date``)."""

    visit_id: str | None = None
    date: RecordDate | None = Field(default=None, description="Defaults to the visit's date.")
    at_rest: int | None = Nrs
    at_night: int | None = Nrs
    before_exercise: int | None = Nrs
    after_exercise: int | None = Nrs

    @model_validator(mode="after")
    def _needs_anchor_and_value(self) -> PainScoreCreate:
        if self.visit_id is None and self.date is None:
            raise ValueError("give visit_id or date")
        if all(
            v is None
            for v in (self.at_rest, self.at_night, self.before_exercise, self.after_exercise)
        ):
            raise ValueError(
                "give at least one of at_rest, at_night, before_exercise, after_exercise"
            )
        return self


class PainScoreOut(_Out):
    id: str
    patient_id: str
    visit_id: str | None
    date: dt.date
    at_rest: int | None
    at_night: int | None
    before_exercise: int | None
    after_exercise: int | None
    created_at: dt.datetime


class PainFlag(BaseModel):
    """An observation for the clinician to act on; not advice to the patient."""

    code: Literal["pain_rise_after_exercise", "new_rest_pain", "new_night_pain"]
    audience: Literal["clinician"] = "clinician"
    date: dt.date
    visit_id: str | None = None
    pain_score_id: str
    value: float = Field(description="Rise after exercise, or the new pain score (NRS points).")
    threshold: float
    unit: str = "NRS points"
    source: str
    message: str


class PainReport(BaseModel):
    scores: list[PainScoreOut]
    flags: list[PainFlag] = Field(
        description="Clinician observations; always empty for patient tokens."
    )


# -- analyses -----------------------------------------------------------------------------
class AnalysisAccepted(BaseModel):
    id: str
    status: JobStatus
    url: str


class AnalysisSummary(_Out):
    id: str
    patient_id: str
    visit_id: str | None
    task: str
    input_kind: str
    status: JobStatus
    progress_pct: float
    attempts: int
    error: str | None
    annotate: bool
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None


class AnalysisOut(AnalysisSummary):
    track_available: bool
    annotated_available: bool
    result: AnalysisResult | None = Field(
        default=None, description="The analysis result (same schema as the CLI's --json) when done."
    )


# -- progress -----------------------------------------------------------------------------
MeasureKind = Literal["rom_test", "function_test", "gait"]


class MeasurePoint(BaseModel):
    visit_id: str
    visit_date: dt.date
    analysis_id: str
    value: float
    change_vs_previous: float | None = None
    change_vs_baseline: float | None = None
    exceeds_mdc_vs_previous: bool | None = Field(
        default=None, description="|change| > MDC95; false means within measurement uncertainty."
    )
    exceeds_mdc_vs_baseline: bool | None = None
    note: str | None = None


class MeasureSeries(BaseModel):
    measure: str = Field(description="Stable id: '<task>/<path>' or 'gait/<parameter>'.")
    label: str
    kind: MeasureKind
    task: str
    view: str
    side: str | None = None
    unit: str
    sem: float | None = Field(default=None, description="Standard error of measurement, in `unit`.")
    mdc95: float | None = Field(default=None, description="1.96 x sqrt(2) x SEM, in `unit`.")
    sem_source: str | None = None
    points: list[MeasurePoint]


class VisitBrief(BaseModel):
    id: str
    date: dt.date
    interventions: list[Intervention]
    walking_aid: WalkingAid | None


class ProgressReport(BaseModel):
    patient_id: str
    visits: list[VisitBrief]
    measures: list[MeasureSeries]
    pain: PainReport
    notes: list[str]
