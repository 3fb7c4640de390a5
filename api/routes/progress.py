"""Progress over visits: like-with-like measures with change and measurement uncertainty."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import select

from api.db.models import Analysis, PainScore, Visit
from api.deps import NOT_FOUND, CurrentUser, DbSession, ScopedPatient
from api.outcomes import pain_report, progress_series
from api.schemas import ProgressReport

router = APIRouter(prefix="/v1", tags=["progress"])

NOTES = [
    "Only the same test id (or gait parameter) filmed from the same view is compared.",
    "ROM values come only from standard ROM tests (rom_*); ranges during gait or exercises "
    "are reported as such and are not clinical ROM.",
    "A change is called real only when it exceeds MDC95 = 1.96 x sqrt(2) x SEM; SEM values are "
    "placeholders until measured (see sem_source).",
]


@router.get(
    "/patients/{patient_id}/progress", response_model=ProgressReport, responses={404: NOT_FOUND}
)
def get_progress(patient: ScopedPatient, db: DbSession, user: CurrentUser) -> ProgressReport:
    """Per visit: each measure's value, change vs the previous visit and vs baseline, and
    whether the change exceeds the minimal detectable change (MDC95). Pain flags are
    included for clinicians."""
    visits = db.scalars(select(Visit).where(Visit.patient_id == patient.id)).all()
    analyses = db.scalars(
        select(Analysis).where(Analysis.patient_id == patient.id, Analysis.status == "done")
    ).all()
    scores = db.scalars(select(PainScore).where(PainScore.patient_id == patient.id)).all()
    briefs, series, notes = progress_series(visits, analyses)
    return ProgressReport(
        patient_id=patient.id,
        visits=briefs,
        measures=series,
        pain=pain_report(scores, for_clinician=user.role == "clinician"),
        notes=NOTES + notes,
    )
