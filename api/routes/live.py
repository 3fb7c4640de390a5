"""Live webcam sessions: a ticket, a WebSocket of JPEG frames, JSON updates back.

Protocol (``/v1/live/ws``)
--------------------------
1. ``POST /v1/live/sessions`` with the bearer token and ``{"task": ..., "patient_id": ...}``
   (patients may leave ``patient_id`` out) returns a **single-use ticket valid for 60 s**. The
   token itself never travels in a URL.
2. The page opens the WebSocket and sends the ticket as the first message:
   ``{"type": "start", "ticket": "..."}``. A bad, used or expired ticket closes the socket
   with code 4401. The server answers ``{"type": "ready", ...}`` once the pose model is loaded.
3. Frames are binary messages: 8 bytes big-endian float64 capture time in milliseconds
   (any clock that increases, e.g. ``performance.now()``), then a JPEG. Every processed frame
   is answered with ``{"type": "update", ...}`` (see :class:`avnmotion.live.LiveUpdate`),
   including ``fps`` (frames processed per second) and ``dropped``.
4. ``{"type": "end"}`` ends the session: it is analysed and saved as an analysis
   (``input_kind = "live"``, the landmark track and the result) and the server answers
   ``{"type": "saved", "analysis_id": ...}`` before closing. A disconnect saves it too.

Backpressure: a receiver task keeps only the **latest** frame that has not been processed
yet; a frame arriving while another waits replaces it (counted in ``dropped``), so a slow
server never builds a queue and the updates stay current. Pose estimation runs in a thread
pool (one frame of a session at a time), never on the event loop.

Tickets live in this process's memory: run the service as one process (``avnmotion serve``
does; analysis jobs use their own process pool).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import os
import secrets
import struct
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Request, WebSocket, WebSocketDisconnect, status
from fastapi.responses import FileResponse, HTMLResponse
from pydantic import BaseModel, ConfigDict, Field

from api.db.models import Analysis, Patient, utcnow
from api.deps import NOT_FOUND, CurrentUser, DbSession, patient_in_scope

log = logging.getLogger("avnmotion.api.live")

router = APIRouter(tags=["live"])

STATIC_DIR = Path(__file__).resolve().parents[1] / "static"
TICKET_TTL_S = 60.0
#: Largest accepted frame message (a 640x480 JPEG at quality 0.7 is ~40-80 kB).
MAX_FRAME_BYTES = 2 * 1024 * 1024
#: Largest accepted decoded frame (pixels); the page sends 640x480.
MAX_FRAME_PIXELS = 1920 * 1080
#: Concurrent live sessions per server process (each holds a pose model and a CPU core).
MAX_SESSIONS = max(1, min(8, os.cpu_count() or 1))
#: Grid rate of the live analysis (the page sends at most this many frames a second).
LIVE_RATE_HZ = 15.0
FIRST_MESSAGE_TIMEOUT_S = 10.0
IDLE_TIMEOUT_S = 30.0

# WebSocket close codes (4000-4999 are for applications).
CLOSE_BAD_TICKET = 4401
CLOSE_BAD_MESSAGE = 4400
CLOSE_BUSY = 1013  # try again later
CLOSE_ERROR = 1011


# -- tickets ----------------------------------------------------------------------------------
@dataclass
class Ticket:
    user_id: str
    patient_id: str
    task: str
    working_side: str | None
    expires_at: float


class TicketStore:
    """Single-use, short-lived tickets; only their SHA-256 is kept."""

    def __init__(self, ttl_s: float = TICKET_TTL_S) -> None:
        self.ttl_s = ttl_s
        self._lock = threading.Lock()
        self._tickets: dict[str, Ticket] = {}

    @staticmethod
    def _key(ticket: str) -> str:
        return hashlib.sha256(ticket.encode()).hexdigest()

    def issue(self, user_id: str, patient_id: str, task: str, working_side: str | None) -> str:
        ticket = "lt_" + secrets.token_urlsafe(32)
        now = time.monotonic()
        with self._lock:
            self._tickets = {k: t for k, t in self._tickets.items() if t.expires_at > now}
            self._tickets[self._key(ticket)] = Ticket(
                user_id, patient_id, task, working_side, now + self.ttl_s
            )
        return ticket

    def redeem(self, ticket: str) -> Ticket | None:
        """The ticket's grant, once; ``None`` if unknown, used or expired."""
        with self._lock:
            grant = self._tickets.pop(self._key(ticket), None)
        if grant is None or grant.expires_at <= time.monotonic():
            return None
        return grant


class _LiveState:
    def __init__(self) -> None:
        self.tickets = TicketStore()
        self.pool = ThreadPoolExecutor(
            max_workers=MAX_SESSIONS + 1, thread_name_prefix="avnmotion-live"
        )
        self.active = 0
        self.lock = threading.Lock()


def _state(app: Any) -> _LiveState:
    state = getattr(app.state, "live", None)
    if state is None:
        state = app.state.live = _LiveState()
    return state


# -- exercises --------------------------------------------------------------------------------
class LiveExercise(BaseModel):
    id: str
    name: str
    kind: str = Field(description="What the display counts: rep or hold.")
    category: str = Field(description="Registry kind: rep, hold, rom_test or timed_test.")
    view: str | None = Field(None, description="Camera view the exercise is filmed from.")
    instructions: str | None = None


def _exercise_catalogue() -> list[LiveExercise]:
    from avnmotion.live import live_exercises

    return [LiveExercise(**e) for e in live_exercises()]


@router.get("/v1/live/exercises", response_model=list[LiveExercise])
def list_live_exercises() -> list[LiveExercise]:
    """Exercises that can be counted live (from the exercise registry)."""
    return _exercise_catalogue()


# -- sessions ---------------------------------------------------------------------------------
class LiveSessionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    task: str = Field(
        min_length=1, max_length=80, description="Exercise id (GET /v1/live/exercises)."
    )
    patient_id: str | None = Field(
        None, max_length=64, description="Required for clinicians; patients use their own record."
    )
    working_side: Literal["left", "right"] | None = None


class LiveTicketOut(BaseModel):
    ticket: str = Field(description="Send as the first WebSocket message; single use.")
    expires_in_s: float
    ws_path: str
    task: str
    patient_id: str


def _invalid(field: str, msg: str) -> HTTPException:
    return HTTPException(
        status.HTTP_422_UNPROCESSABLE_CONTENT,
        detail=[{"loc": ["body", field], "msg": msg, "type": "value_error"}],
    )


@router.post(
    "/v1/live/sessions",
    response_model=LiveTicketOut,
    status_code=status.HTTP_201_CREATED,
    responses={404: NOT_FOUND},
)
def create_live_session(
    body: LiveSessionCreate, request: Request, db: DbSession, user: CurrentUser
) -> LiveTicketOut:
    """A single-use ticket (60 s) for one live session on ``/v1/live/ws``."""
    if user.role == "patient":
        if user.patient_id is None:
            raise HTTPException(status.HTTP_403_FORBIDDEN, detail="this login has no patient")
        if body.patient_id not in (None, user.patient_id):
            raise HTTPException(
                status.HTTP_404_NOT_FOUND, detail=f"patient {body.patient_id} not found"
            )
        patient_id = user.patient_id
    else:
        if not body.patient_id:
            raise _invalid("patient_id", "a clinician must name the patient")
        patient_id = body.patient_id
    patient = patient_in_scope(db, user, patient_id)
    ids = [e.id for e in _exercise_catalogue()]
    if body.task not in ids:
        raise _invalid("task", f"unknown exercise {body.task!r}; valid: {', '.join(ids)}")
    state = _state(request.app)
    ticket = state.tickets.issue(user.id, patient.id, body.task, body.working_side)
    return LiveTicketOut(
        ticket=ticket,
        expires_in_s=state.tickets.ttl_s,
        ws_path="/v1/live/ws",
        task=body.task,
        patient_id=patient.id,
    )


# -- the page ---------------------------------------------------------------------------------
_ASSETS = {"live.js": "text/javascript", "live.css": "text/css"}


@router.get("/live", response_class=HTMLResponse, include_in_schema=False)
def live_page() -> HTMLResponse:
    import html as html_mod

    from avnmotion.result import PATIENT_SAFETY_ADVICE

    html = (STATIC_DIR / "live.html").read_text(encoding="utf-8")
    html = html.replace("{{SAFETY_ADVICE}}", html_mod.escape(PATIENT_SAFETY_ADVICE))
    return HTMLResponse(
        html,
        headers={
            "Cache-Control": "no-store",
            # Everything is same-origin: no CDN, no inline script.
            "Content-Security-Policy": (
                "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; "
                "connect-src 'self' ws: wss:; style-src 'self'; script-src 'self'; "
                "frame-ancestors 'none'"
            ),
            "Permissions-Policy": "camera=(self)",
        },
    )


@router.get("/live/static/{name}", include_in_schema=False)
def live_asset(name: str) -> FileResponse:
    if name not in _ASSETS:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="not found")
    return FileResponse(
        STATIC_DIR / name, media_type=_ASSETS[name], headers={"Cache-Control": "no-cache"}
    )


# -- the WebSocket ----------------------------------------------------------------------------
class _Slot:
    """The latest unprocessed frame (older ones are replaced, not queued)."""

    def __init__(self) -> None:
        self.frame: tuple[float, bytes] | None = None
        self.event = asyncio.Event()
        self.received = 0
        self.dropped = 0
        self.ended = False
        self.disconnected = False

    def put(self, ts_ms: float, jpeg: bytes) -> None:
        if self.frame is not None:
            self.dropped += 1
        self.frame = (ts_ms, jpeg)
        self.received += 1
        self.event.set()

    def take(self) -> tuple[float, bytes] | None:
        frame, self.frame = self.frame, None
        return frame

    def stop(self, *, disconnected: bool) -> None:
        self.ended = True
        self.disconnected = self.disconnected or disconnected
        self.event.set()


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from a JPEG's frame header, without decoding it (``None``: not JPEG)."""
    if data[:2] != b"\xff\xd8":
        return None
    i, n = 2, len(data)
    while i + 9 < n:
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:  # no length field
            i += 2
            continue
        (length,) = struct.unpack(">H", data[i + 2 : i + 4])
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):  # start of frame
            height, width = struct.unpack(">HH", data[i + 5 : i + 9])
            return int(width), int(height)
        i += 2 + length
    return None


def _decode(jpeg: bytes) -> Any:
    """RGB frame of a JPEG, or ``None`` (not a JPEG, or larger than MAX_FRAME_PIXELS)."""
    import cv2
    import numpy as np

    size = _jpeg_size(jpeg)
    if size is None or size[0] * size[1] > MAX_FRAME_PIXELS or min(size) <= 0:
        return None  # checked before decoding: a small file can declare a huge image
    bgr = cv2.imdecode(np.frombuffer(jpeg, dtype=np.uint8), cv2.IMREAD_COLOR)
    if bgr is None:
        return None
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


async def _send(ws: WebSocket, slot: _Slot, payload: dict[str, Any]) -> None:
    if slot.disconnected:
        return
    try:
        await ws.send_text(json.dumps(payload, separators=(",", ":"), allow_nan=False))
    except (WebSocketDisconnect, RuntimeError, OSError):
        slot.stop(disconnected=True)


async def _close(ws: WebSocket, code: int, reason: str = "") -> None:
    with contextlib.suppress(Exception):
        await ws.close(code=code, reason=reason[:120])


async def _first_message(ws: WebSocket) -> dict[str, Any] | None:
    try:
        msg = await asyncio.wait_for(ws.receive(), FIRST_MESSAGE_TIMEOUT_S)
    except TimeoutError:
        return None
    text = msg.get("text")
    if msg.get("type") != "websocket.receive" or not text:
        return None
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return None
    return data if isinstance(data, dict) else None


@router.websocket("/v1/live/ws")
async def live_socket(ws: WebSocket) -> None:
    await ws.accept()
    app = ws.app
    state = _state(app)
    first = await _first_message(ws)
    grant = None
    if first is not None and isinstance(first.get("ticket"), str):
        grant = state.tickets.redeem(first["ticket"])
    if grant is None:
        with contextlib.suppress(Exception):
            await ws.send_text(
                json.dumps({"type": "error", "message": "invalid or expired ticket"})
            )
        await _close(ws, CLOSE_BAD_TICKET, "invalid or expired ticket")
        return
    with state.lock:
        busy = state.active >= MAX_SESSIONS
        if not busy:
            state.active += 1
    if busy:
        with contextlib.suppress(Exception):
            await ws.send_text(
                json.dumps({"type": "error", "message": "the live service is busy; try again"})
            )
        await _close(ws, CLOSE_BUSY, "busy")
        return
    try:
        await _run_session(ws, app, state, grant)
    finally:
        with state.lock:
            state.active -= 1


async def _run_session(ws: WebSocket, app: Any, state: _LiveState, grant: Ticket) -> None:
    from avnmotion.errors import AvnInputError
    from avnmotion.live import LiveSession
    from avnmotion.protocol import PatientProtocol

    settings = app.state.settings
    loop = asyncio.get_running_loop()

    def make() -> LiveSession:
        # The patient's protocol: loading observations are judged against it (clinician only).
        with app.state.sessionmaker() as db:
            patient = db.get(Patient, grant.patient_id)
            protocol_data = dict(patient.protocol or {}) if patient is not None else {}
        protocol = PatientProtocol.model_validate(protocol_data) if protocol_data else None
        affected = protocol.affected_side if protocol and protocol.affected_side != "both" else None
        return LiveSession(
            grant.task,
            model_path=settings.pose_model,
            sampling_rate_hz=LIVE_RATE_HZ,
            protocol=protocol,
            affected_side=affected,
            working_side=grant.working_side,
        )

    slot = _Slot()
    try:
        session = await loop.run_in_executor(state.pool, make)
    except Exception as exc:
        log.exception("live session could not start")
        message = str(exc) if isinstance(exc, AvnInputError) else "the live service failed to start"
        await _send(ws, slot, {"type": "error", "message": message})
        await _close(ws, CLOSE_ERROR, "start failed")
        return
    started_at = utcnow()
    await _send(ws, slot, {"type": "ready", **session.describe(), "max_fps": LIVE_RATE_HZ})

    receiver = asyncio.create_task(_receive(ws, slot))
    error: str | None = None
    try:
        error = await _process(ws, slot, session, state, settings.max_duration_s)
    finally:
        receiver.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await receiver
    saved: dict[str, Any] = {"type": "saved", "analysis_id": None}
    try:
        saved.update(
            await loop.run_in_executor(
                state.pool, _finish_and_save, app, session, grant, started_at, slot
            )
        )
    except Exception:
        log.exception("live session could not be saved")
        saved = {"type": "error", "message": "the session could not be saved"}
    finally:
        await loop.run_in_executor(state.pool, session.close)
    if error:
        await _send(ws, slot, {"type": "error", "message": error})
    await _send(ws, slot, saved)
    await _close(ws, 1000 if not error else CLOSE_BAD_MESSAGE)


async def _receive(ws: WebSocket, slot: _Slot) -> None:
    """Read messages; keep only the latest frame; stop on end or disconnect."""
    try:
        while not slot.ended:
            try:
                msg = await asyncio.wait_for(ws.receive(), IDLE_TIMEOUT_S)
            except TimeoutError:
                slot.stop(disconnected=False)
                return
            if msg["type"] == "websocket.disconnect":
                slot.stop(disconnected=True)
                return
            data = msg.get("bytes")
            if data is not None:
                if len(data) <= 8 or len(data) > MAX_FRAME_BYTES:
                    continue
                (ts_ms,) = struct.unpack(">d", data[:8])
                slot.put(ts_ms, data[8:])
                continue
            text = msg.get("text") or ""
            with contextlib.suppress(json.JSONDecodeError):
                if json.loads(text).get("type") == "end":
                    slot.stop(disconnected=False)
                    return
    except (WebSocketDisconnect, RuntimeError, OSError):
        slot.stop(disconnected=True)


async def _process(
    ws: WebSocket, slot: _Slot, session: Any, state: _LiveState, max_duration_s: float
) -> str | None:
    """Process the latest frame whenever there is one; returns an error message or None."""
    import math

    loop = asyncio.get_running_loop()
    last_ts = -math.inf
    first_ts: float | None = None
    while True:
        if slot.frame is None:
            if slot.ended:
                return None
            await slot.event.wait()
            slot.event.clear()
            continue
        frame = slot.take()
        assert frame is not None
        ts_ms, jpeg = frame
        if not math.isfinite(ts_ms) or ts_ms <= last_ts:
            continue
        last_ts = ts_ms
        first_ts = ts_ms if first_ts is None else first_ts
        if (ts_ms - first_ts) / 1000.0 > max_duration_s:
            await _send(
                ws, slot, {"type": "notice", "message": "time limit reached; session ended"}
            )
            slot.stop(disconnected=False)
            return None
        try:
            update = await loop.run_in_executor(state.pool, _process_jpeg, session, ts_ms, jpeg)
        except Exception:
            log.exception("live frame analysis failed")
            slot.stop(disconnected=False)
            return "the analysis failed; the session was ended and what was counted is saved"
        if update is None:
            continue  # undecodable frame: skip it
        update["dropped"] = slot.dropped
        update["received"] = slot.received
        await _send(ws, slot, {"type": "update", **update})


def _process_jpeg(session: Any, ts_ms: float, jpeg: bytes) -> dict[str, Any] | None:
    frame = _decode(jpeg)
    if frame is None:
        return None
    return session.process_frame(frame, ts_ms).to_dict()


def _plain(value: Any) -> Any:
    """JSON-ready copy: NumPy scalars inside free-form fields (``test_result``) become Python
    numbers, non-finite floats ``None`` (the JSON column cannot store NaN portably)."""
    import math

    import numpy as np

    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def _finish_and_save(
    app: Any, session: Any, grant: Ticket, started_at: Any, slot: _Slot
) -> dict[str, Any]:
    """Analyse the session and store it like an uploaded analysis."""
    from api import storage

    if not session.has_pose:
        return {"analysis_id": None, "reason": "no person was seen; nothing was saved"}
    track, result = session.finish()
    settings = app.state.settings
    settings.storage_dir("tracks")
    rel = storage.new_relpath("tracks", ".npz")
    track.save_npz(storage.abspath(settings, rel))
    summary = session.summary()
    summary.update({"frames_received": slot.received, "frames_dropped": slot.dropped})
    job = Analysis(
        patient_id=grant.patient_id,
        created_by=grant.user_id,
        task=grant.task,
        params={
            "protocol": session.protocol_json(),
            "affected_side": session.affected_side,
            "working_side": grant.working_side,
            "live": summary,
        },
        input_kind="live",
        original_name=None,
        annotate=False,
        status="done",
        progress=1.0,
        attempts=1,
        track_path=rel,
        result=_plain(result.model_dump()),
        started_at=started_at,
        finished_at=utcnow(),
    )
    try:
        with app.state.sessionmaker() as db:
            db.add(job)
            db.commit()
            analysis_id = job.id
    except Exception:
        storage.delete(settings, rel)
        raise
    count = result.exercise.rep_count if result.exercise is not None else None
    return {"analysis_id": analysis_id, "rep_count": count, "live_rep_count": summary["rep_count"]}
