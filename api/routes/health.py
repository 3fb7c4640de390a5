"""Liveness/readiness probe."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from api.deps import SettingsDep
from api.schemas import HealthOut
from avnmotion import __version__

router = APIRouter(tags=["health"])


@router.get("/health", response_model=HealthOut, responses={503: {"model": HealthOut}})
def health(request: Request, response: Response, settings: SettingsDep) -> HealthOut:
    """200 when the database answers, 503 otherwise (for load-balancer / k8s probes)."""
    try:
        with request.app.state.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        db_state = "ok"
    except SQLAlchemyError:
        db_state = "unreachable"
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    runner = getattr(request.app.state, "runner", None)
    return HealthOut(
        status="ok" if db_state == "ok" else "degraded",
        database=db_state,  # type: ignore[arg-type]
        workers=settings.workers if runner is not None else 0,
        version=__version__,
    )
