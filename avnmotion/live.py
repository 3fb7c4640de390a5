"""Live analysis: one frame in, one update out, with the offline counting path applied
incrementally.

Layers
------
:class:`LiveCounter`
    Per-frame landmark arrays in (no MediaPipe): puts them on an even time grid, applies the
    causal conditioning of :func:`avnmotion.pipeline.condition_track` (causal left/right swap
    repair in side views, visibility gating), the causal kinematics of
    :func:`avnmotion.kinematics.compute_kinematics` (``causal=True``: trailing facing vote) and
    feeds the exercise's incremental counter (:class:`avnmotion.exercises.counting.RepCounter`).
    Every step keeps bounded state (the previous frame, a majority-vote window, the counter's
    own rolling state), so a frame costs O(1) whatever the session length. Feeding a track
    frame by frame gives the rep count that :func:`avnmotion.pipeline.analyze_track` reports
    offline for the same frames (``tests/integration/test_live.py``).
:class:`LiveSession`
    Camera frames in: MediaPipe PoseLandmarker in VIDEO mode with the client's timestamps,
    then a :class:`LiveCounter`. :meth:`LiveSession.process_frame` returns a
    :class:`LiveUpdate` (skeleton to draw, count, set, hold timer, patient cues, effective
    frame rate); :meth:`LiveSession.finish` returns the session's track and its
    :class:`~avnmotion.result.AnalysisResult` so the session can be stored like any analysis.
:func:`run_camera`
    ``avnmotion live --camera 0 --task ID``: console count and cues, optional annotated
    recording.

Audience
--------
Updates carry patient-facing wording only (counts, tempo and technique cues, and the standing
advice to stop and contact the therapist if hip or groin pain increases). Loading observations
(clinician flags) are collected as they happen in :attr:`LiveCounter.flags` and in the saved
result; they are never put into a :class:`LiveUpdate`.

Time grid
---------
Browser and camera timestamps are uneven (and frames are dropped under load), while the
counting filter needs an even rate. Frames are therefore put on an even grid
``t0 + k / sampling_rate_hz`` causally: a grid point within 5 % of an interval of a frame takes
that frame as it is (so a track already on the grid passes through unchanged, which is what
makes live and offline identical on evenly sampled tracks); a grid point between two frames is
interpolated linearly (visibility: the smaller of the two), as
:func:`avnmotion.signal.resample_to_even_grid` does; grid points inside a gap longer than
``max_interp_gap_s`` get no pose (NaN), so a network stall is never bridged by made-up motion.
The saved track is this grid track, so re-analysing it offline reproduces the live count.
"""

from __future__ import annotations

import collections
import logging
import math
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from avnmotion import signal as sig
from avnmotion.errors import AvnInputError
from avnmotion.integrity import detect_swap_frames
from avnmotion.kinematics import (
    AXIAL_ANGLES,
    PER_SIDE_ANGLES,
    SIDES,
    _image_points_px,
    _points_from,
    all_angle_names,
    compute_frontal_angles,
    compute_sagittal_angles,
    detect_view_per_frame,
    facing_sign_side_view,
    left_sign_front_view,
    summarise_view,
)
from avnmotion.result import PATIENT_SAFETY_ADVICE
from avnmotion.track import LANDMARK_INDEX, N_LANDMARKS, PoseTrack

if TYPE_CHECKING:
    from avnmotion.result import AnalysisResult

log = logging.getLogger("avnmotion.live")

#: Default grid rate for browser streams (the page sends at most this many frames a second).
DEFAULT_LIVE_RATE_HZ = 15.0
#: Grid points inside a longer gap between received frames get no pose instead of interpolation.
DEFAULT_MAX_INTERP_GAP_S = 0.5
#: Frames used to decide the camera view when neither the caller nor the exercise fixes it.
VIEW_LOCK_S = 1.0

_LEG_SWAP_PERM: NDArray[np.intp] = np.arange(N_LANDMARKS)
for _part in ("hip", "knee", "ankle", "heel", "foot_index"):
    _li, _ri = LANDMARK_INDEX[f"left_{_part}"], LANDMARK_INDEX[f"right_{_part}"]
    _LEG_SWAP_PERM[_li], _LEG_SWAP_PERM[_ri] = _ri, _li


# ---------------------------------------------------------------------------------------------
# frames on an even grid
# ---------------------------------------------------------------------------------------------
@dataclass
class GridFrame:
    """One frame on the analysis grid (arrays are owned by the frame)."""

    time_s: float
    image_xyz: NDArray[np.float32]  # (33, 3)
    visibility: NDArray[np.float32]  # (33,)
    presence: NDArray[np.float32]  # (33,)
    world_xyz: NDArray[np.float32] | None = None  # (33, 3)

    @staticmethod
    def empty(time_s: float, with_world: bool) -> GridFrame:
        nan = np.full((N_LANDMARKS, 3), np.nan, dtype=np.float32)
        zero = np.zeros(N_LANDMARKS, dtype=np.float32)
        return GridFrame(time_s, nan, zero, zero.copy(), nan.copy() if with_world else None)


def _lerp(a: NDArray[np.float32], b: NDArray[np.float32], w: float) -> NDArray[np.float32]:
    wf = np.float32(w)
    return (a * (np.float32(1.0) - wf) + b * wf).astype(np.float32)


class GridResampler:
    """Causal resampling of incoming frames onto ``t0 + k / rate`` (see the module notes)."""

    def __init__(self, rate_hz: float, *, max_gap_s: float = DEFAULT_MAX_INTERP_GAP_S) -> None:
        if not rate_hz > 0:
            raise AvnInputError(f"sampling rate must be positive, got {rate_hz}")
        self.rate_hz = float(rate_hz)
        self.max_gap_s = float(max_gap_s)
        self.t0: float | None = None
        self.next_k = 0
        self.prev: GridFrame | None = None
        self.n_in = 0
        self.n_interpolated = 0
        self.n_blank = 0

    def grid_time(self, k: int) -> float:
        assert self.t0 is not None
        return self.t0 + k / self.rate_hz

    def push(self, frame: GridFrame) -> list[GridFrame]:
        """Grid frames that ``frame`` completes (zero, one or several), oldest first."""
        t = float(frame.time_s)
        if self.prev is not None and t <= self.prev.time_s:
            return []  # not after the previous frame: ignore (clients may resend)
        self.n_in += 1
        if self.t0 is None:
            self.t0 = t
        tol = 0.05 / self.rate_hz
        out: list[GridFrame] = []
        while True:
            g = self.grid_time(self.next_k)
            if g > t + tol:
                break
            if abs(g - t) <= tol:
                out.append(
                    GridFrame(g, frame.image_xyz, frame.visibility, frame.presence, frame.world_xyz)
                )
            else:  # g lies between the previous frame and this one
                prev = self.prev
                assert prev is not None
                if t - prev.time_s > self.max_gap_s:
                    out.append(GridFrame.empty(g, frame.world_xyz is not None))
                    self.n_blank += 1
                else:
                    w = min(max((g - prev.time_s) / (t - prev.time_s), 0.0), 1.0)
                    world = None
                    if frame.world_xyz is not None and prev.world_xyz is not None:
                        world = _lerp(prev.world_xyz, frame.world_xyz, w)
                    out.append(
                        GridFrame(
                            g,
                            _lerp(prev.image_xyz, frame.image_xyz, w),
                            np.minimum(prev.visibility, frame.visibility),
                            np.minimum(prev.presence, frame.presence),
                            world,
                        )
                    )
                    self.n_interpolated += 1
            self.next_k += 1
        self.prev = frame
        return out


# ---------------------------------------------------------------------------------------------
# causal conditioning and kinematics, one frame at a time
# ---------------------------------------------------------------------------------------------
def _one_frame_track(
    image_xyz: NDArray[np.float32],
    visibility: NDArray[np.float32],
    frame_size_px: tuple[int, int],
    times: tuple[float, ...] = (0.0,),
) -> PoseTrack:
    n = len(times)
    xyz = image_xyz.reshape(n, N_LANDMARKS, 3)
    vis = visibility.reshape(n, N_LANDMARKS)
    return PoseTrack(
        timestamps_s=np.asarray(times, dtype=np.float64),
        image_xyz=xyz,
        world_xyz=None,
        visibility=vis,
        presence=vis,
        frame_size_px=frame_size_px,
        source={},
    )


class CausalKinematics:
    """Per-frame causal angles identical to ``compute_kinematics(cond.causal, view=...,
    causal=True)`` of the offline pipeline.

    State: the previous raw frame (swap continuity cue), the swap parity, the trailing
    facing-vote window and the last decided facing sign. O(window) memory, O(1) per frame.
    """

    def __init__(
        self,
        view: str,
        sampling_rate_hz: float,
        frame_size_px: tuple[int, int],
        *,
        min_visibility: float = sig.DEFAULT_MIN_VISIBILITY,
        seated_rotation_test: bool = False,
    ) -> None:
        if view not in ("side", "front"):
            raise AvnInputError(f"live analysis needs a side or front view, got {view!r}")
        self.view = view
        self.frame_size_px = (int(frame_size_px[0]), int(frame_size_px[1]))
        self.min_visibility = float(min_visibility)
        self.seated = bool(seated_rotation_test)
        # Same window as kinematics.facing_sign_side_view / left_sign_front_view.
        window = round(0.5 * max(float(sampling_rate_hz), 1.0))
        self.window = max(1, window | 1)
        self._votes: collections.deque[float] = collections.deque(maxlen=self.window)
        self._last_sign = 0.0
        self._prev_raw: tuple[NDArray[np.float32], NDArray[np.float32]] | None = None
        self.parity = False
        self.swaps = 0
        self.direction = 0.0
        self._plane = "sagittal" if view == "side" else "frontal"
        self.names = [
            n for n in all_angle_names() if _plane_of(n) in (self._plane, "both")
        ]

    def push(
        self, image_xyz: NDArray[np.float32], visibility: NDArray[np.float32]
    ) -> dict[str, float]:
        """Angles (deg, NaN where unmeasurable) of one grid frame, by angle name."""
        xyz, vis = image_xyz, visibility
        # 1. causal swap repair (side views only; continuity cue on the raw frames)
        if self.view == "side":
            if self._prev_raw is not None:
                pair = _one_frame_track(
                    np.stack([self._prev_raw[0], xyz]),
                    np.stack([self._prev_raw[1], vis]),
                    self.frame_size_px,
                    (0.0, 1.0),
                )
                with np.errstate(invalid="ignore"), _quiet_nanmean():
                    if bool(detect_swap_frames(pair)[1]):
                        self.parity = not self.parity
                        self.swaps += 1
            self._prev_raw = (xyz, vis)
            if self.parity:
                xyz, vis = xyz[_LEG_SWAP_PERM], vis[_LEG_SWAP_PERM]
        # 2. visibility gating
        low = vis < self.min_visibility
        if np.any(low):
            xyz = xyz.copy()
            xyz[low] = np.nan
        one = _one_frame_track(xyz, vis, self.frame_size_px)
        xy = _image_points_px(one)
        # 3. trailing facing / left-sign majority vote
        if self.view == "side":
            vote = float(facing_sign_side_view(one, xy, causal=True)[0])
        else:
            vote = float(left_sign_front_view(one, xy, causal=True)[0])
        self._votes.append(vote)
        summed = float(np.sign(sum(self._votes)))
        if summed != 0.0:
            self._last_sign = summed
        self.direction = self._last_sign
        # 4. the plane's angles
        pts = _points_from(xy, np.array([self.direction]))
        if self.view == "side":
            computed = compute_sagittal_angles(pts)
        else:
            computed = compute_frontal_angles(pts)
        out = {name: float(values[0]) for name, values in computed.items()}
        if not self.seated:
            for s in SIDES:
                out[f"{s}_hip_internal_rotation_deg"] = math.nan
        return out


def _plane_of(name: str) -> str:
    for s in SIDES:
        if name.startswith(s + "_"):
            return str(PER_SIDE_ANGLES[name[len(s) + 1 :]])
    return str(AXIAL_ANGLES[name])


class _quiet_nanmean:
    """Silence 'Mean of empty slice' from frames without legs (as the offline path does)."""

    def __enter__(self) -> None:
        import warnings

        self._cm = warnings.catch_warnings()
        self._cm.__enter__()
        warnings.simplefilter("ignore", RuntimeWarning)

    def __exit__(self, *exc: object) -> None:
        self._cm.__exit__(*exc)
