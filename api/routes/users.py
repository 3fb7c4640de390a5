"""Who am I, and patient logins issued by their clinician."""

from __future__ import annotations

from fastapi import APIRouter, status

from api.db.models import User
from api.deps import NOT_FOUND, Clinician, CurrentUser, DbSession, ScopedPatient
from api.schemas import PatientUserCreate, TokenOut, UserOut
from api.security import hash_token, new_token

router = APIRouter(prefix="/v1", tags=["users"])


def user_out(user: User) -> UserOut:
    return UserOut(
        id=user.id,
        name=user.name,
        role=user.role,  # type: ignore[arg-type]
        clinic=user.clinic.name,
        patient_id=user.patient_id,
    )


@router.get("/me", response_model=UserOut)
def me(user: CurrentUser) -> UserOut:
    return user_out(user)


@router.post(
    "/patients/{patient_id}/users",
    response_model=TokenOut,
    status_code=status.HTTP_201_CREATED,
    responses={404: NOT_FOUND},
)
def create_patient_user(
    patient: ScopedPatient, body: PatientUserCreate, db: DbSession, _: Clinician
) -> TokenOut:
    """Issue a login for one of the clinic's patients; the token is shown only here."""
    token = new_token()
    user = User(
        name=body.name,
        role="patient",
        clinic_id=patient.clinic_id,
        patient_id=patient.id,
        token_hash=hash_token(token),
    )
    db.add(user)
    db.commit()
    db.refresh(user)
    return TokenOut(user=user_out(user), token=token)
