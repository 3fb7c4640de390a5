"""Patients and their protocol (affected side, stage, weight bearing, precautions)."""

from __future__ import annotations

from fastapi import APIRouter, status
from sqlalchemy import select

from api.db.models import Patient
from api.deps import NOT_FOUND, Clinician, CurrentUser, DbSession, ScopedPatient
from api.schemas import PatientCreate, PatientOut, PatientUpdate

router = APIRouter(prefix="/v1/patients", tags=["patients"])


@router.post("", response_model=PatientOut, status_code=status.HTTP_201_CREATED)
def create_patient(body: PatientCreate, db: DbSession, clinician: Clinician) -> Patient:
    patient = Patient(
        clinic_id=clinician.clinic_id,
        name=body.name,
        protocol=body.protocol.model_dump(mode="json"),
    )
    db.add(patient)
    db.commit()
    return patient


@router.get("", response_model=list[PatientOut])
def list_patients(db: DbSession, user: CurrentUser) -> list[Patient]:
    """A clinician's clinic patients; for a patient token, their own record."""
    query = select(Patient).order_by(Patient.created_at, Patient.id)
    if user.role == "clinician":
        query = query.where(Patient.clinic_id == user.clinic_id)
    else:
        query = query.where(Patient.id == user.patient_id)
    return list(db.scalars(query))


@router.get("/{patient_id}", response_model=PatientOut, responses={404: NOT_FOUND})
def get_patient(patient: ScopedPatient) -> Patient:
    return patient


@router.patch("/{patient_id}", response_model=PatientOut, responses={404: NOT_FOUND})
def update_patient(
    body: PatientUpdate, patient: ScopedPatient, db: DbSession, _: Clinician
) -> Patient:
    if body.name is not None:
        patient.name = body.name
    if body.protocol is not None:
        patient.protocol = body.protocol.model_dump(mode="json")
    db.commit()
    return patient
