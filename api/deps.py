"""FastAPI dependencies: settings, DB session, current user, role and record access.

Access rule (applied by :func:`patient_in_scope` to every route that returns patient data):
a clinician sees the patients of their clinic, a patient only their own record. Records outside
that scope answer **404** (never 403), so nobody can probe which ids exist; 403 is only for
a role that may see a record but not do the action (e.g. a patient editing a visit).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.config import Settings
from api.db.models import Analysis, Patient, User, Visit
from api.security import hash_token

_bearer = HTTPBearer(auto_error=False, description="Token from `avnmotion user create`.")


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_db(request: Request) -> Iterator[Session]:
    with request.app.state.sessionmaker() as session:
        yield session


SettingsDep = Annotated[Settings, Depends(get_settings)]
DbSession = Annotated[Session, Depends(get_db)]


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED, detail=detail, headers={"WWW-Authenticate": "Bearer"}
    )


def get_current_user(
    db: DbSession,
    creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> User:
    if creds is None or not creds.credentials:
        raise _unauthorized("missing bearer token")
    user = db.scalar(select(User).where(User.token_hash == hash_token(creds.credentials)))
    if user is None:
        raise _unauthorized("invalid token")
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


def require_role(*roles: str):
    def check(user: CurrentUser) -> User:
        if user.role not in roles:
            raise HTTPException(
                status.HTTP_403_FORBIDDEN, detail=f"this action needs role {' or '.join(roles)}"
            )
        return user

    return check


Clinician = Annotated[User, Depends(require_role("clinician"))]

NOT_FOUND = {"description": "Not found, or not visible to this user."}


def is_id(value: str | None) -> bool:
    """Server ids are uuid4 hex; anything else cannot exist (and never reaches the database,
    which may reject it, e.g. NUL characters in PostgreSQL)."""
    return value is not None and len(value) == 32 and all(c in HEX for c in value)


HEX = frozenset("0123456789abcdef")


def patient_in_scope(db: Session, user: User, patient_id: str) -> Patient:
    """The patient if this user may see it, else 404."""
    patient = db.get(Patient, patient_id) if is_id(patient_id) else None
    if patient is None or not can_see(user, patient):
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"patient {patient_id} not found")
    return patient


def can_see(user: User, patient: Patient) -> bool:
    if user.role == "clinician":
        return patient.clinic_id == user.clinic_id
    return user.patient_id == patient.id


def get_patient(patient_id: str, db: DbSession, user: CurrentUser) -> Patient:
    return patient_in_scope(db, user, patient_id)


ScopedPatient = Annotated[Patient, Depends(get_patient)]


def get_visit(visit_id: str, db: DbSession, user: CurrentUser) -> Visit:
    visit = db.get(Visit, visit_id) if is_id(visit_id) else None
    if visit is None or not can_see(user, db.get_one(Patient, visit.patient_id)):
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"visit {visit_id} not found")
    return visit


ScopedVisit = Annotated[Visit, Depends(get_visit)]


def get_analysis(analysis_id: str, db: DbSession, user: CurrentUser) -> Analysis:
    analysis = db.get(Analysis, analysis_id) if is_id(analysis_id) else None
    if analysis is None or not can_see(user, db.get_one(Patient, analysis.patient_id)):
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"analysis {analysis_id} not found")
    return analysis


ScopedAnalysis = Annotated[Analysis, Depends(get_analysis)]
