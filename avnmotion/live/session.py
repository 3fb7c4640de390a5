"""``LiveSession``: camera frames in, one :class:`LiveUpdate` out per frame.

MediaPipe PoseLandmarker in VIDEO mode with the client's timestamps, then a
:class:`~avnmotion.live.counter.LiveCounter`. :meth:`LiveSession.finish` returns the session's
track and its :class:`~avnmotion.result.AnalysisResult` so the session can be stored like any
analysis.
"""

from __future__ import annotations

import collections
import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from avnmotion.errors import AvnInputError
from avnmotion.live.catalogue import view_instruction
from avnmotion.live.causal import quiet_nanmean
from avnmotion.live.counter import LiveCounter
from avnmotion.live.grid import DEFAULT_LIVE_RATE_HZ, GridFrame
from avnmotion.result import PATIENT_SAFETY_ADVICE
from avnmotion.track import PoseTrack

if TYPE_CHECKING:
    from avnmotion.result import AnalysisResult


@dataclass
class LiveUpdate:
    """What the display needs after one frame (patient-facing content only).

    ``landmarks`` are 33 rows of ``[x, y, visibility]`` in normalised image coordinates
    (``None`` when no person was found); ``count`` is reps, or completed holds for a hold
    exercise; ``set_index`` is 0-based; ``hold_s`` the seconds in position now (hold exercises,
    else ``None``); ``cues`` technique, tempo and camera set-up cues; ``fps`` the frames
    analysed per second over the last two seconds (client clock).
    """

    timestamp_ms: float
    time_s: float
    landmarks: list[list[float | None]] | None
    rep_count: int
    set_index: int
    hold_s: float | None
    cues: list[str]
    fps: float
    processed: int
    kind: str
    view: str | None
    side: str | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _landmark_rows(image: NDArray[np.float32]) -> list[list[float | None]]:
    """``[x, y, visibility]`` per landmark, 4 decimals, ``None`` for missing coordinates."""
    rows = np.round(image[:, [0, 1, 3]].astype(np.float64), 4)
    return [[float(v) if math.isfinite(v) else None for v in row] for row in rows]


class LiveSession:
    """Pose estimation (MediaPipe VIDEO mode) and :class:`LiveCounter` on camera frames.

    Parameters
    ----------
    task
        Exercise id (see :func:`~avnmotion.live.live_exercises`).
    model_path
        PoseLandmarker bundle (default :func:`avnmotion.pose.model.resolve_model_path`).
    view
        ``"side"``/``"front"``; default as :class:`LiveCounter`.
    extractor
        An object with ``process(frame_rgb, timestamp_ms) -> FramePose | None`` to use instead
        of a new :class:`~avnmotion.pose.extract.PoseExtractor` (not closed by the session).
    sampling_rate_hz
        Analysis grid rate (default 15 Hz: the browser page sends at most 15 frames a second).
    working_side, protocol, affected_side, prescription, today, height_m
        As for :func:`avnmotion.pipeline.analyze_track`.

    Timestamps are the client's capture times in milliseconds (any clock that increases);
    MediaPipe gets them as integers, moved on by 1 ms when two round to the same value.
    Not thread-safe: feed one session from one thread at a time.
    """

    def __init__(
        self,
        task: str,
        *,
        model_path: str | Path | None = None,
        view: str | None = None,
        extractor: Any = None,
        sampling_rate_hz: float = DEFAULT_LIVE_RATE_HZ,
        working_side: str | None = None,
        protocol: Any = None,
        affected_side: str | None = None,
        prescription: dict[str, Any] | None = None,
        today: Any = None,
        height_m: float | None = None,
    ) -> None:
        if affected_side is not None and protocol is None:
            from avnmotion.protocol import PatientProtocol

            protocol = PatientProtocol(affected_side=affected_side)  # type: ignore[arg-type]
        self.counter = LiveCounter(
            task,
            sampling_rate_hz=sampling_rate_hz,
            view=view,
            working_side=working_side,
            protocol=protocol,
            prescription=prescription,
            today=today,
        )
        self.task = task
        self.protocol = protocol
        self.affected_side = affected_side
        self.working_side = working_side
        self.prescription = prescription
        self.today = today
        self.height_m = height_m
        self._own_extractor = extractor is None
        if extractor is None:
            from avnmotion.pose.extract import PoseExtractor

            extractor = PoseExtractor(model_path, running_mode="video")
        self.extractor = extractor
        self._t0_ms: float | None = None
        self._last_ms: float | None = None
        self._recent: collections.deque[float] = collections.deque()
        self.frames = 0
        self.frames_with_pose = 0
        self.frames_skipped = 0
        self.last_pose_ms = 0.0
        self.last_total_ms = 0.0
        self._started_wall = time.time()

    # -- description -------------------------------------------------------------------------
    def describe(self) -> dict[str, Any]:
        """Static facts for the display: exercise, kind, skeleton edges, the safety advice."""
        from avnmotion.pose.overlay import _EDGE_INDEX

        d = self.counter.definition
        return {
            "task": d.id,
            "name": d.title,
            "kind": "hold" if d.counting is None else "rep",
            "view": self.counter.view,
            "instructions": view_instruction(list(d.view_names)),
            "hold_target_s": (self.prescription or {}).get("hold_s")
            or (d.hold.min_hold_s if d.hold else None),
            "skeleton_edges": [list(e) for e in _EDGE_INDEX],
            "advice": PATIENT_SAFETY_ADVICE,
        }

    @property
    def has_pose(self) -> bool:
        return self.frames_with_pose > 0

    @property
    def rep_count(self) -> int:
        return self.counter.count

    @property
    def flags(self) -> list[dict[str, Any]]:
        """Clinician observations raised so far (never shown to the patient)."""
        return self.counter.flags

    def protocol_json(self) -> dict[str, Any] | None:
        return None if self.protocol is None else self.protocol.model_dump(mode="json")

    def summary(self) -> dict[str, Any]:
        out = self.counter.summary()
        out.update(
            {
                "frames_analysed": self.frames,
                "frames_with_pose": self.frames_with_pose,
                "frames_skipped": self.frames_skipped,
                "wall_duration_s": round(time.time() - self._started_wall, 1),
            }
        )
        return out

    # -- frames ------------------------------------------------------------------------------
    def _fps(self, ts_ms: float) -> float:
        self._recent.append(ts_ms)
        while self._recent and self._recent[0] < ts_ms - 2000.0:
            self._recent.popleft()
        if len(self._recent) < 2 or self._recent[-1] <= self._recent[0]:
            return 0.0
        return round((len(self._recent) - 1) * 1000.0 / (self._recent[-1] - self._recent[0]), 1)

    def process_frame(self, frame_rgb: NDArray[np.uint8], timestamp_ms: float) -> LiveUpdate:
        """Analyse one RGB frame (``uint8 (h, w, 3)``) captured at ``timestamp_ms``."""
        t_start = time.perf_counter()
        ts = float(timestamp_ms)
        if not math.isfinite(ts):
            raise AvnInputError(f"frame timestamp must be finite, got {timestamp_ms}")
        frame = np.asarray(frame_rgb)
        if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
            raise AvnInputError(
                f"frame must be uint8 (h, w, 3) RGB, got {frame.dtype} {frame.shape}"
            )
        size = (int(frame.shape[1]), int(frame.shape[0]))
        if self._t0_ms is None:
            self._t0_ms = ts
        fresh = self._last_ms is None or ts > self._last_ms
        same_size = self.counter.frame_size_px in (None, size)
        pose = None
        if fresh and same_size:
            self._last_ms = ts
            t_pose = time.perf_counter()
            pose = self.extractor.process(frame, round(ts))
            self.last_pose_ms = (time.perf_counter() - t_pose) * 1000.0
            time_s = (ts - self._t0_ms) / 1000.0
            if pose is None:
                e = GridFrame.empty(time_s, with_world=False)
                self.counter.push(
                    time_s, e.image_xyz, e.visibility, e.presence, None, frame_size_px=size
                )
            else:
                self.frames_with_pose += 1
                self.counter.push(
                    time_s,
                    pose.image[:, :3],
                    pose.image[:, 3],
                    pose.image[:, 4],
                    pose.world,
                    frame_size_px=size,
                )
            self.frames += 1
        else:
            self.frames_skipped += 1
        c = self.counter
        cues = c.cues()
        if not same_size:
            cues = ["Keep the camera in the same orientation as when you started.", *cues]
        side = c.chooser.choose()[0] if c.chooser is not None else None
        hold_s = c.hold_s()
        update = LiveUpdate(
            timestamp_ms=ts,
            time_s=round((ts - self._t0_ms) / 1000.0, 3),
            landmarks=None if pose is None else _landmark_rows(pose.image),
            rep_count=c.count,
            set_index=c.set_index,
            hold_s=None if hold_s is None else round(float(hold_s), 1),
            cues=cues[:3],
            fps=self._fps(ts) if fresh else 0.0,
            processed=self.frames,
            kind="hold" if c.definition.counting is None else "rep",
            view=c.view,
            side=side,
        )
        self.last_total_ms = (time.perf_counter() - t_start) * 1000.0
        return update

    # -- the end -----------------------------------------------------------------------------
    def finish(self) -> tuple[PoseTrack, AnalysisResult]:
        """The session's track and its analysis (as an offline analysis of that track).

        The track is the analysis grid (see :mod:`avnmotion.live.grid`), so the result's count
        is the count shown live unless the whole session says otherwise about the camera view
        or the working side; a difference is reported in ``quality.warnings``.
        """
        from avnmotion.pipeline import analyze_track

        c = self.counter
        c.flush()
        source: dict[str, Any] = {"frames_analysed": self.frames, "live": True}
        model_path = getattr(self.extractor, "model_path", None)
        if model_path is not None:
            from avnmotion.pose.model import describe_model

            try:
                source["model"] = describe_model(model_path)
            except Exception:  # description is informative only
                source["model"] = str(model_path)
        track = c.track(source)
        with quiet_nanmean():
            result = analyze_track(
                track,
                self.task,
                kind="live",
                name=None,
                protocol=self.protocol,
                height_m=self.height_m,
                affected_side=self.affected_side,
                working_side=self.working_side,
                prescription=self.prescription,
                today=self.today,
            )
        if result.exercise is not None:
            live_n = c.count
            saved_n = (
                len(result.exercise.holds)
                if c.definition.counting is None
                else result.exercise.rep_count
            )
            if live_n != saved_n:
                result.quality.warnings.append(
                    f"the live display counted {live_n}; this analysis of the whole session "
                    f"counts {saved_n} (camera view or working side decided on the whole session)"
                )
        return track, result

    def close(self) -> None:
        if self._own_extractor and hasattr(self.extractor, "close"):
            self.extractor.close()

    def __enter__(self) -> LiveSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
