"""Analysis jobs: upload a video or track, poll, fetch the result, track and annotated video."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import (
    APIRouter,
    Depends,
    File,
    Form,
    HTTPException,
    Query,
    Request,
    Response,
    UploadFile,
    status,
)
from fastapi.responses import FileResponse
from pydantic import ValidationError
from sqlalchemy import select

from api import storage
from api.db.models import Analysis, User, Visit, utcnow
from api.deps import (
    NOT_FOUND,
    CurrentUser,
    DbSession,
    ScopedAnalysis,
    ScopedPatient,
    SettingsDep,
    is_id,
    patient_in_scope,
)
from api.schemas import AnalysisAccepted, AnalysisOut, AnalysisSummary
from avnmotion.protocol import PatientProtocol
from avnmotion.result import AnalysisResult

router = APIRouter(prefix="/v1", tags=["analyses"])

Side = Literal["left", "right"]


def valid_tasks() -> list[str]:
    try:
        from avnmotion.pipeline import valid_tasks as tasks
    except ImportError:  # pipeline unavailable: jobs would fail anyway; accept the generic ones
        return ["gait", "rom"]
    return tasks()


def _invalid(field: str, msg: str) -> HTTPException:
    # Same shape as FastAPI's own validation errors, so clients parse one format.
    return HTTPException(
        status.HTTP_422_UNPROCESSABLE_CONTENT,
        detail=[{"loc": ["body", field], "msg": msg, "type": "value_error"}],
    )


def _parse_protocol(text: str) -> PatientProtocol:
    try:
        return PatientProtocol.model_validate(json.loads(text))
    except json.JSONDecodeError as exc:
        raise _invalid("protocol", f"not valid JSON: {exc}") from None
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(x) for x in e['loc']) or 'protocol'}: {e['msg']}" for e in exc.errors()
        )
        raise _invalid("protocol", f"invalid protocol: {problems}") from None


async def _one_file(request: Request) -> None:
    """Refuse an upload with more than one ``file`` part (only one would be analysed)."""
    form = await request.form()  # parsed once by Starlette and cached on the request
    n = len(form.getlist("file"))
    if n > 1:
        raise _invalid("file", f"send one file per analysis; this upload has {n}")


@router.get("/tasks", response_model=list[str], tags=["analyses"])
def list_tasks(_: CurrentUser) -> list[str]:
    """Task ids accepted by POST /v1/analyses: gait, rom and the exercise/test ids."""
    return valid_tasks()


@router.post(
    "/analyses",
    response_model=AnalysisAccepted,
    status_code=status.HTTP_202_ACCEPTED,
    responses={
        404: NOT_FOUND,
        413: {"description": "Upload larger than the configured limit."},
        415: {"description": "Not an accepted video or track file."},
    },
    dependencies=[Depends(_one_file)],
)
def create_analysis(
    request: Request,
    response: Response,
    db: DbSession,
    user: CurrentUser,
    settings: SettingsDep,
    file: Annotated[
        UploadFile, File(description="Video (.mp4 .mov .avi .webm .mkv .m4v) or track (.npz .trc).")
    ],
    task: Annotated[
        str,
        Form(
            min_length=1,
            max_length=80,
            description="gait, rom or an exercise/test id (GET /v1/tasks).",
        ),
    ],
    patient_id: Annotated[str, Form(min_length=1, max_length=64)],
    visit_id: Annotated[str | None, Form(max_length=64)] = None,
    protocol: Annotated[
        str | None,
        Form(
            description="PatientProtocol JSON overriding the patient's protocol for this analysis."
        ),
    ] = None,
    height_m: Annotated[
        float | None, Form(ge=0.5, le=2.5, allow_inf_nan=False, description="Subject height, m.")
    ] = None,
    affected_side: Annotated[Side | None, Form()] = None,
    working_side: Annotated[Side | None, Form()] = None,
    annotate: Annotated[
        bool, Form(description="Also render an annotated video (video input only).")
    ] = False,
) -> AnalysisAccepted:
    """Queue an analysis; poll ``GET /v1/analyses/{id}`` for progress and the result."""
    patient = patient_in_scope(db, user, patient_id)
    if visit_id:
        visit = db.get(Visit, visit_id) if is_id(visit_id) else None
        if visit is None or visit.patient_id != patient.id:
            raise _invalid("visit_id", f"visit {visit_id} is not a visit of this patient")
    tasks = valid_tasks()
    if task not in tasks:
        raise _invalid("task", f"unknown task {task!r}; valid tasks: {', '.join(tasks)}")
    if protocol:
        proto = _parse_protocol(protocol)
    else:
        proto = PatientProtocol.model_validate(patient.protocol or {})
    if affected_side is None and proto.affected_side in ("left", "right"):
        affected_side = proto.affected_side  # the patient's affected side unless overridden

    patient_id = patient.id
    # End the read transaction before the (possibly long) copy: on SQLite every transaction
    # holds the write lock (BEGIN IMMEDIATE), which must not wait on disk I/O.
    db.rollback()

    head = file.file.read(16)
    file.file.seek(0)
    try:
        ext, kind = storage.classify(file.filename, head)
    except storage.UnsupportedFile as exc:
        raise HTTPException(status.HTTP_415_UNSUPPORTED_MEDIA_TYPE, detail=str(exc)) from None
    if annotate and kind != "video":
        raise _invalid("annotate", "an annotated video needs a video upload, not a track")
    try:
        raw_path, _size = storage.save_stream(settings, file.file, ext)
    except storage.FileTooLarge as exc:
        raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, detail=str(exc)) from None

    params: dict[str, Any] = {
        # An empty protocol is passed as none, so results match the CLI without --protocol.
        "protocol": proto.model_dump(mode="json") if proto != PatientProtocol() else None,
        "height_m": height_m,
        "affected_side": affected_side,
        "working_side": working_side,
    }
    job = Analysis(
        patient_id=patient_id,
        visit_id=visit_id or None,
        created_by=user.id,
        task=task,
        params=params,
        input_kind=kind,
        original_name=storage.safe_display_name(file.filename),
        annotate=annotate,
        raw_path=raw_path,
        status="queued",
        progress=0.0,
        attempts=0,
    )
    try:
        db.add(job)
        db.commit()
    except BaseException:
        storage.delete(settings, raw_path)  # no row points at it, so nobody else would
        raise
    runner = getattr(request.app.state, "runner", None)
    if runner is not None:
        runner.notify()
    url = str(request.url_for("get_analysis", analysis_id=job.id).path)
    response.headers["Location"] = url
    return AnalysisAccepted(id=job.id, status="queued", url=url)


def _summary_fields(job: Analysis) -> dict[str, Any]:
    return {
        "id": job.id,
        "patient_id": job.patient_id,
        "visit_id": job.visit_id,
        "task": job.task,
        "input_kind": job.input_kind,
        "status": job.status,
        "progress_pct": round(100 * (job.progress or 0.0), 1),
        "attempts": job.attempts,
        "error": job.error,
        "annotate": job.annotate,
        "created_at": job.created_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
    }


def _result_for(job: Analysis, user: User) -> AnalysisResult | None:
    if job.status != "done" or not job.result:
        return None
    result = AnalysisResult.model_validate(job.result)
    if user.role == "patient":
        # Clinician observations go to the clinician; the patient sees technique cues only.
        result.flags = [f for f in result.flags if f.audience == "patient"]
    return result


@router.get("/analyses/{analysis_id}", response_model=AnalysisOut, responses={404: NOT_FOUND})
def get_analysis(job: ScopedAnalysis, user: CurrentUser) -> AnalysisOut:
    """Status and progress; when done, the AnalysisResult (same schema as the CLI's JSON).

    For patient tokens, flags addressed to the clinician are left out of the result.
    """
    return AnalysisOut(
        **_summary_fields(job),
        track_available=job.track_path is not None,
        annotated_available=job.annotated_path is not None and not _annotated_expired(job),
        result=_result_for(job, user),
    )


def _annotated_expired(job: Analysis) -> bool:
    return job.annotated_expires_at is not None and job.annotated_expires_at <= utcnow()


def _not_ready(job: Analysis) -> HTTPException:
    return HTTPException(
        status.HTTP_409_CONFLICT,
        detail=f"analysis is {job.status}; files are available once it is done",
    )


@router.get(
    "/analyses/{analysis_id}/track",
    response_class=FileResponse,
    responses={
        200: {"content": {"application/octet-stream": {}}, "description": "Track (.npz)."},
        404: NOT_FOUND,
        409: {"description": "Analysis not finished."},
    },
)
def download_track(job: ScopedAnalysis, db: DbSession, settings: SettingsDep) -> FileResponse:
    """The extracted pose track (.npz, PoseTrack format); kept after raw uploads are deleted."""
    db.expunge(job)  # keep its loaded state without a reload
    db.rollback()  # don't hold a (SQLite write-locking) transaction while the file streams
    if job.status != "done":
        raise _not_ready(job)
    path = storage.abspath(settings, job.track_path) if job.track_path else None
    if path is None or not path.exists():
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="no track stored for this analysis")
    return FileResponse(path, media_type="application/octet-stream", filename=f"{job.id}.npz")


@router.get(
    "/analyses/{analysis_id}/annotated",
    response_class=FileResponse,
    responses={
        200: {"content": {"video/mp4": {}}, "description": "Annotated video."},
        404: NOT_FOUND,
        409: {"description": "Analysis not finished."},
        410: {"description": "Deleted by the retention policy."},
    },
)
def download_annotated(job: ScopedAnalysis, db: DbSession, settings: SettingsDep) -> FileResponse:
    """The annotated video, if it was asked for and the retention period has not passed."""
    db.expunge(job)  # keep its loaded state without a reload
    db.rollback()  # don't hold a (SQLite write-locking) transaction while the file streams
    if not job.annotate:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, detail="no annotated video was requested for this analysis"
        )
    if job.status != "done":
        raise _not_ready(job)
    # Past its expiry the video is gone even if the maintenance loop has not deleted it yet:
    # serving it then would race that deletion (and break the policy).
    if _annotated_expired(job):
        raise HTTPException(
            status.HTTP_410_GONE, detail="annotated video deleted by the retention policy"
        )
    path = storage.abspath(settings, job.annotated_path) if job.annotated_path else None
    if path is None or not path.exists():
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="no annotated video was produced")
    return FileResponse(path, media_type="video/mp4", filename=f"{job.id}{Path(path).suffix}")


@router.get(
    "/patients/{patient_id}/analyses",
    response_model=list[AnalysisSummary],
    responses={404: NOT_FOUND},
)
def list_analyses(
    patient: ScopedPatient,
    db: DbSession,
    task: Annotated[str | None, Query(max_length=80, pattern=r"^[a-z0-9_]+$")] = None,
    status_: Annotated[
        Literal["queued", "running", "done", "failed"] | None, Query(alias="status")
    ] = None,
) -> list[AnalysisSummary]:
    """The patient's analyses, newest first (without results; fetch each by id)."""
    query = select(Analysis).where(Analysis.patient_id == patient.id)
    if task:
        tasks = valid_tasks()
        if task not in tasks:  # an empty list would read as "no such analyses"
            raise HTTPException(
                status.HTTP_422_UNPROCESSABLE_CONTENT,
                detail=[
                    {
                        "loc": ["query", "task"],
                        "msg": f"unknown task {task!r}; valid tasks: {', '.join(tasks)}",
                        "type": "value_error",
                    }
                ],
            )
        query = query.where(Analysis.task == task)
    if status_:
        query = query.where(Analysis.status == status_)
    query = query.order_by(Analysis.created_at.desc(), Analysis.id)
    return [AnalysisSummary(**_summary_fields(job)) for job in db.scalars(query)]
