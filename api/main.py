"""App factory: ``create_app(settings)``; ``uvicorn --factory api.main:create_app`` for dev."""

from __future__ import annotations

import asyncio
import json
import logging
import math
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from api.config import Settings
from api.db.migrate import upgrade
from api.db.session import make_engine, make_sessionmaker
from api.routes import analyses, health, live, patients, progress, users, visits
from api.worker import JobRunner
from avnmotion import __version__

log = logging.getLogger("avnmotion.api")

#: Longest request value echoed back in a validation error.
MAX_ECHO_CHARS = 200
#: Allowance for the multipart envelope and form fields on top of the file itself.
FORM_OVERHEAD_BYTES = 1024 * 1024


class BodySizeLimit:
    """Refuse oversized request bodies with 413 before they are parsed or spooled to disk.

    Checks Content-Length up front and counts streamed (chunked) bodies as they arrive.
    """

    def __init__(self, app: Any, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def _reject(self, send: Any) -> None:
        body = json.dumps(
            {"detail": f"request body exceeds the limit of {self.max_bytes // 2**20} MiB"}
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_bytes:
            return await self._reject(send)
        seen = 0
        too_big = False
        started = False

        async def counting_receive() -> Any:
            nonlocal seen, too_big
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    too_big = True
                    # Make the app stop reading; the response is replaced in guarded_send.
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Any) -> None:
            nonlocal started
            if too_big:
                if not started:
                    started = True
                    await self._reject(send)
                return
            started = True
            await send(message)

        await self.app(scope, counting_receive, guarded_send)
        if too_big and not started:
            await self._reject(send)


def _json_safe(value: Any) -> Any:
    """An echoed request value that JSON can carry: no NaN/Infinity, no raw upload bytes."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, bytes | bytearray):
        return f"<{len(value)} bytes>"
    if isinstance(value, str) and len(value) > MAX_ECHO_CHARS:  # e.g. a file sent as text
        return f"{value[:MAX_ECHO_CHARS]}... ({len(value)} characters)"
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return value


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    """422 with every problem; a NaN or Infinity is named as such (the default handler
    would fail to encode it and answer 500)."""
    assert isinstance(exc, RequestValidationError)
    errors = []
    for err in exc.errors():
        err = dict(err)
        raw = err.get("input")
        if "Expected UploadFile" in str(err.get("msg")):
            err["msg"] = "expected a file upload with a file name (multipart form field)"
        if isinstance(raw, float) and not math.isfinite(raw):
            err["msg"] = f"{err.get('msg')} (got {raw}; NaN and Infinity are not accepted)"
        if isinstance(err.get("ctx"), dict):  # may hold exception objects
            err["ctx"] = {
                k: v if isinstance(v, int | float | str | bool | None) else str(v)
                for k, v in err["ctx"].items()
            }
        errors.append(_json_safe(err))
    return JSONResponse(status_code=422, content={"detail": jsonable_encoder(errors)})


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    engine = make_engine(settings)
    sessions = make_sessionmaker(engine)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.run_migrations:
            await asyncio.to_thread(upgrade, engine)
        runner = JobRunner(settings, sessions) if settings.start_worker else None
        app.state.runner = runner
        if runner is not None:
            await runner.start()
        try:
            yield
        finally:
            if runner is not None:
                await runner.stop()
            engine.dispose()

    app = FastAPI(
        title="avnmotion",
        version=__version__,
        summary="Motion analysis for hip avascular-necrosis rehabilitation.",
        description=(
            "Upload a video or pose track, poll the analysis and read the result (the same "
            "schema as `avnmotion analyze --json`). Patients, visits, pain scores and progress "
            "over visits. Authenticate with `Authorization: Bearer <token>`; records outside "
            "your clinic (or, for patients, not your own) answer 404. Flags are observations "
            "for the clinician; the absence of a flag never means a movement was safe."
        ),
        lifespan=lifespan,
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessionmaker = sessions
    app.state.runner = None
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_upload_bytes + FORM_OVERHEAD_BYTES)
    for module in (health, users, patients, visits, analyses, progress, live):
        app.include_router(module.router)
    return app
