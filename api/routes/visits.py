"""Visits (date, notes, interventions, walking aid) and pain scores."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, status
from sqlalchemy import select

from api.db.models import PainScore, Visit
from api.deps import (
    NOT_FOUND,
    Clinician,
    CurrentUser,
    DbSession,
    ScopedPatient,
    ScopedVisit,
    is_id,
)
from api.outcomes import pain_report
from api.schemas import (
    PainReport,
    PainScoreCreate,
    PainScoreOut,
    VisitCreate,
    VisitOut,
    VisitUpdate,
)

router = APIRouter(prefix="/v1", tags=["visits"])


@router.post(
    "/patients/{patient_id}/visits",
    response_model=VisitOut,
    status_code=status.HTTP_201_CREATED,
    responses={404: NOT_FOUND},
)
def create_visit(body: VisitCreate, patient: ScopedPatient, db: DbSession, _: Clinician) -> Visit:
    visit = Visit(
        patient_id=patient.id,
        date=body.date,
        notes=body.notes,
        interventions=[i.model_dump(mode="json") for i in body.interventions],
        walking_aid=body.walking_aid,
    )
    db.add(visit)
    db.commit()
    return visit


@router.get(
    "/patients/{patient_id}/visits", response_model=list[VisitOut], responses={404: NOT_FOUND}
)
def list_visits(patient: ScopedPatient, db: DbSession) -> list[Visit]:
    query = (
        select(Visit).where(Visit.patient_id == patient.id).order_by(Visit.date, Visit.created_at)
    )
    return list(db.scalars(query))


@router.get("/visits/{visit_id}", response_model=VisitOut, responses={404: NOT_FOUND})
def get_visit(visit: ScopedVisit) -> Visit:
    return visit


@router.patch("/visits/{visit_id}", response_model=VisitOut, responses={404: NOT_FOUND})
def update_visit(body: VisitUpdate, visit: ScopedVisit, db: DbSession, _: Clinician) -> Visit:
    changes = body.model_dump(exclude_unset=True, mode="json")
    if "date" in changes and body.date is None:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            detail=[{"loc": ["body", "date"], "type": "value_error", "msg": "date cannot be null"}],
        )
    for key in ("date", "notes", "walking_aid"):
        if key in changes:
            setattr(visit, key, getattr(body, key))
    if "interventions" in changes:
        visit.interventions = changes["interventions"] or []
    db.commit()
    return visit


@router.post(
    "/patients/{patient_id}/pain-scores",
    response_model=PainScoreOut,
    status_code=status.HTTP_201_CREATED,
    responses={404: NOT_FOUND},
)
def add_pain_score(
    body: PainScoreCreate, patient: ScopedPatient, db: DbSession, user: CurrentUser
) -> PainScore:
    """Record NRS pain (0-10) for a visit or a day; patients may record their own."""
    date = body.date
    if body.visit_id is not None:
        visit = db.get(Visit, body.visit_id) if is_id(body.visit_id) else None
        if visit is None or visit.patient_id != patient.id:
            raise HTTPException(
                status.HTTP_422_UNPROCESSABLE_CONTENT,
                detail=[
                    {
                        "loc": ["body", "visit_id"],
                        "type": "value_error",
                        "msg": f"visit {body.visit_id} is not a visit of this patient",
                    }
                ],
            )
        date = date or visit.date
    assert date is not None  # the schema requires visit_id or date
    score = PainScore(
        patient_id=patient.id,
        visit_id=body.visit_id,
        date=date,
        at_rest=body.at_rest,
        at_night=body.at_night,
        before_exercise=body.before_exercise,
        after_exercise=body.after_exercise,
        created_by=user.id,
    )
    db.add(score)
    db.commit()
    return score


@router.get("/patients/{patient_id}/pain", response_model=PainReport, responses={404: NOT_FOUND})
def get_pain(patient: ScopedPatient, db: DbSession, user: CurrentUser) -> PainReport:
    """Pain scores by date; flags (clinician observations) only for clinician tokens."""
    scores = db.scalars(select(PainScore).where(PainScore.patient_id == patient.id)).all()
    return pain_report(scores, for_clinician=user.role == "clinician")
