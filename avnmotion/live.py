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
    own rolling state), so a frame costs O(1) whatever the session length. What the offline
    analysis decides on the whole clip is decided from bounded running state: the working side
    (:class:`SideChooser`: histogram percentiles and running correlation of the causally
    filtered side signals, the same rule as ``choose_sides``), the leg-length scale of distance
    signals (``CausalLegLength``), and the camera view (the exercise's only view, or the first
    second's majority). Each counted rep is described (extent, tempo, form rules) on a bounded
    segment around it once the frames after it are in; holds are measured with the offline
    rule when they end. Feeding a track frame by frame gives the count that
    :func:`avnmotion.pipeline.analyze_track` reports offline for the same frames, with rep
    boundaries within 2 frames (``tests/integration/test_live.py``).
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
import contextlib
import logging
import math
import time
import warnings
from collections.abc import Callable, Iterator
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
        self.last_track: PoseTrack | None = None
        self._plane = "sagittal" if view == "side" else "frontal"
        self.names = [n for n in all_angle_names() if _plane_of(n) in (self._plane, "both")]

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
        self.last_track = one
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


@contextlib.contextmanager
def _quiet_nanmean() -> Iterator[None]:
    """Silence 'Mean of empty slice' from frames without legs (as the offline path does)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


# ---------------------------------------------------------------------------------------------
# bounded running statistics (whole-session summaries in O(1) memory and time per frame)
# ---------------------------------------------------------------------------------------------
class RunningQuantile:
    """Percentiles of every value seen so far, from a fixed-bin histogram.

    Memory and time per value are constant; a percentile is exact to one ``bin_width``. Values
    beyond the histogram (``n_bins / 2`` bins either side of the first value) fall into the
    edge bins.
    """

    def __init__(self, bin_width: float, n_bins: int = 8001) -> None:
        self.bin_width = float(bin_width)
        self.counts = np.zeros(int(n_bins), dtype=np.int64)
        self.origin: float | None = None
        self.n = 0

    def add(self, value: float) -> None:
        if not math.isfinite(value):
            return
        if self.origin is None:
            self.origin = value - (self.counts.size // 2 + 0.5) * self.bin_width
        i = int((value - self.origin) // self.bin_width)
        self.counts[min(max(i, 0), self.counts.size - 1)] += 1
        self.n += 1

    def percentile(self, q: float) -> float | None:
        if self.n == 0 or self.origin is None:
            return None
        rank = q / 100.0 * (self.n - 1)  # np.percentile's 0-based position
        lo_rank, frac = math.floor(rank), rank - math.floor(rank)
        cum = np.cumsum(self.counts)
        i = int(np.searchsorted(cum, lo_rank + 1))
        j = int(np.searchsorted(cum, min(lo_rank + 2, self.n)))
        centre = self.origin + 0.5 * self.bin_width
        return centre + ((1.0 - frac) * i + frac * j) * self.bin_width

    def robust_range(self, lo: float = 5.0, hi: float = 95.0) -> float:
        """As :func:`avnmotion.exercises.signals.robust_range` (0 with fewer than 3 values)."""
        if self.n < 3:
            return 0.0
        a, b = self.percentile(lo), self.percentile(hi)
        assert a is not None and b is not None
        return float(b - a)


class RunningCorrelation:
    """Pearson correlation of finite pairs seen so far (Welford co-moments)."""

    def __init__(self) -> None:
        self.n = 0
        self.mx = self.my = self.sxx = self.syy = self.sxy = 0.0

    def add(self, x: float, y: float) -> None:
        if not (math.isfinite(x) and math.isfinite(y)):
            return
        self.n += 1
        dx = x - self.mx
        self.mx += dx / self.n
        dy = y - self.my
        self.my += dy / self.n
        self.sxx += dx * (x - self.mx)
        self.syy += dy * (y - self.my)
        self.sxy += dx * (y - self.my)

    def correlated(self, threshold: float = 0.5) -> bool:
        """As ``signals._correlated``: at least 10 pairs and r above ``threshold``."""
        if self.n < 10 or self.sxx <= 0 or self.syy <= 0:
            return False
        return self.sxy / math.sqrt(self.sxx * self.syy) > threshold


class SideChooser:
    """:func:`avnmotion.exercises.signals.choose_sides` on running whole-session statistics.

    The offline rule looks at the whole clip (robust range of each side, correlation of the
    sides); here the same rule reads histogram percentiles and running co-moments of the
    causally filtered side signals, so the live choice converges to the offline one without
    keeping the history.
    """

    def __init__(
        self,
        min_amplitude: float,
        working_side: str | None,
        sampling_rate_hz: float,
        bin_width: float,
    ) -> None:
        self.min_amplitude = float(min_amplitude)
        self.working_side = working_side
        self.q = {s: RunningQuantile(bin_width) for s in SIDES}
        self.corr = RunningCorrelation()
        self._filter = sig.CausalLowpass(
            sampling_rate_hz, cutoff_hz=min(3.0, 0.45 * sampling_rate_hz), n_channels=2
        )

    def add(self, left: float, right: float) -> None:
        smooth = self._filter.process(np.array([[left, right]], dtype=np.float64))[0]
        lf = float(smooth[0]) if math.isfinite(left) else math.nan
        rf = float(smooth[1]) if math.isfinite(right) else math.nan
        self.q["left"].add(lf)
        self.q["right"].add(rf)
        self.corr.add(lf, rf)

    def choose(self) -> tuple[str, list[str]]:
        """``(working side, channels to count on)`` as ``choose_sides`` decides."""
        ws = self.working_side
        if ws in ("left", "right"):
            return ws, [ws]
        r_left, r_right = self.q["left"].robust_range(), self.q["right"].robust_range()
        larger = "left" if r_left >= r_right else "right"
        big, small = max(r_left, r_right), min(r_left, r_right)
        if ws != "both" and (big < self.min_amplitude or small < 0.5 * big):
            return larger, [larger]
        if self.corr.correlated():
            return "both", ["both"]
        return "both", ["left", "right"]


# ---------------------------------------------------------------------------------------------
# storage of the grid frames (the session's track)
# ---------------------------------------------------------------------------------------------
class _Rows:
    """Growable per-frame arrays (doubling); appending is amortised O(1)."""

    def __init__(self, capacity: int = 512) -> None:
        self.n = 0
        self.t = np.empty(capacity, dtype=np.float64)
        self.image = np.full((capacity, N_LANDMARKS, 3), np.nan, dtype=np.float32)
        self.world = np.full((capacity, N_LANDMARKS, 3), np.nan, dtype=np.float32)
        self.vis = np.zeros((capacity, N_LANDMARKS), dtype=np.float32)
        self.presence = np.zeros((capacity, N_LANDMARKS), dtype=np.float32)
        self.has_world = False

    def _grow(self) -> None:
        n = self.t.size
        self.t = np.concatenate([self.t, np.empty(n)])
        self.image = np.concatenate([self.image, np.full_like(self.image, np.nan)])
        self.world = np.concatenate([self.world, np.full_like(self.world, np.nan)])
        self.vis = np.concatenate([self.vis, np.zeros_like(self.vis)])
        self.presence = np.concatenate([self.presence, np.zeros_like(self.presence)])

    def append(self, frame: GridFrame) -> int:
        if self.n == self.t.size:
            self._grow()
        i = self.n
        self.t[i] = frame.time_s
        self.image[i] = frame.image_xyz
        self.vis[i] = frame.visibility
        self.presence[i] = frame.presence
        if frame.world_xyz is not None:
            self.world[i] = frame.world_xyz
            self.has_world = True
        self.n += 1
        return i

    def track(
        self, start: int, stop: int, frame_size_px: tuple[int, int], source: dict[str, Any]
    ) -> PoseTrack:
        sl = slice(max(0, start), min(self.n, stop))
        return PoseTrack(
            timestamps_s=self.t[sl].copy(),
            image_xyz=self.image[sl].copy(),
            world_xyz=self.world[sl].copy() if self.has_world else None,
            visibility=self.vis[sl].copy(),
            presence=self.presence[sl].copy(),
            frame_size_px=frame_size_px,
            source=dict(source),
        )


# ---------------------------------------------------------------------------------------------
# holds
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LiveHold:
    """A completed hold (times in seconds of the session clock)."""

    channel: str
    start_s: float
    end_s: float
    duration_s: float
    level: float
    start_index: int
    end_index: int


class HoldTracker:
    """Candidate hold runs on a causally filtered signal, measured when they close.

    A run opens when the signal is beyond the hold threshold and closes once it has been out of
    position for longer than ``bridge_s``; the closed run's samples (bounded by the run length)
    are measured with :func:`avnmotion.exercises.counting.detect_holds`, the offline rule.
    """

    MAX_RUN_S = 600.0

    def __init__(self, spec: Any, channel: str) -> None:
        self.spec = spec
        self.channel = channel
        self._t: list[float] = []
        self._y: list[float] = []
        self._i: list[int] = []
        self.run_start_s: float | None = None
        self.last_in_s: float | None = None
        self.holds: list[LiveHold] = []

    def _inside(self, y: float) -> bool:
        d = self.spec.direction
        if d == ">=":
            return y >= self.spec.threshold
        if d == "<=":
            return y <= self.spec.threshold
        return abs(y) <= self.spec.threshold

    def current_s(self, now_s: float) -> float:
        """Seconds in position in the open run (0 when out of position)."""
        if self.run_start_s is None or self.last_in_s is None or self.last_in_s < now_s:
            return 0.0
        return now_s - self.run_start_s

    def push(self, index: int, t: float, y: float) -> list[LiveHold]:
        if not math.isfinite(y):
            return []
        inside = self._inside(y)
        if inside and self.run_start_s is None:
            self.run_start_s = t
            self._t, self._y, self._i = [], [], []
        if self.run_start_s is None:
            return []
        self._t.append(t)
        self._y.append(y)
        self._i.append(index)
        if inside:
            self.last_in_s = t
        assert self.last_in_s is not None
        if (not inside and t - self.last_in_s > self.spec.bridge_s) or (
            t - self.run_start_s > self.MAX_RUN_S
        ):
            return self.close()
        return []

    def close(self) -> list[LiveHold]:
        from avnmotion.exercises.counting import detect_holds

        done: list[LiveHold] = []
        if len(self._t) >= 2:
            for h in detect_holds(np.asarray(self._t), np.asarray(self._y), self.spec):
                done.append(
                    LiveHold(
                        self.channel,
                        h.start_s,
                        h.end_s,
                        h.duration_s,
                        h.level,
                        self._i[h.start_index],
                        self._i[h.end_index],
                    )
                )
        self.holds.extend(done)
        self.run_start_s = self.last_in_s = None
        self._t, self._y, self._i = [], [], []
        return done


# ---------------------------------------------------------------------------------------------
# the counter
# ---------------------------------------------------------------------------------------------
@dataclass
class LiveRep:
    """A counted rep. ``start_s``/``end_s``/``peak_s`` are first the counting crossings and,
    once the frames after the rep are in (``refined``), the rep's extent on the reported
    (zero-phase filtered) signal as the offline result describes it."""

    index: int
    channel: str
    set_index: int
    start_s: float
    end_s: float
    peak_s: float
    counted_at_s: float
    start_index: int
    end_index: int
    peak_index: int
    refined: bool = False
    concentric_s: float | None = None
    eccentric_s: float | None = None
    excursion: float | None = None
    issues: list[str] = field(default_factory=list)
    #: Frame where the search for the rep's extent begins (end of the channel's previous event).
    lower_index: int = field(default=0, repr=False)
    #: The counter's event (threshold crossings).
    event: Any = field(default=None, repr=False)
    #: Start of the channel's next excursion, once known (bounds the rep's extent).
    upper_index: int | None = field(default=None, repr=False)


@dataclass
class _Cue:
    text: str
    until_s: float


CUE_SHOW_S = 6.0
FLAG_EVAL_S = 2.0
FLAG_WINDOW_S = 6.0
DESCRIBE_PAD_S = 1.5
DESCRIBE_LOOKBACK_S = 10.0
SETUP_WINDOW_S = 1.5

_VIEW_CUES = {
    "side": "Turn side-on to the camera so it sees you from the side.",
    "front": "Face the camera.",
}
_NOT_VISIBLE_CUE = "Step back so the camera can see your whole body."


def live_exercises() -> list[dict[str, Any]]:
    """Exercises and tests that can be followed live (counted reps or timed holds).

    ``kind`` is what the display counts (``"rep"`` or ``"hold"``), ``category`` the registry
    kind (``rep``, ``hold``, ``rom_test``, ``timed_test``): tests are counted live and their
    test result comes with the saved analysis.
    """
    from avnmotion.exercises.registry import EXERCISES

    out = []
    for d in EXERCISES.values():
        if d.counting is None and d.hold is None:
            continue  # delegated and stance-time tests: nothing to count as it happens
        views = list(d.view_names)
        out.append(
            {
                "id": d.id,
                "name": d.title,
                "kind": "hold" if d.counting is None else "rep",
                "category": d.kind,
                "view": views[0] if len(views) == 1 else None,
                "instructions": _view_instruction(views),
            }
        )
    return out


def _view_instruction(views: list[str]) -> str:
    if views == ["side"]:
        return "Place the camera to your side, about 2-3 m away, so your whole body is visible."
    if views == ["front"]:
        return "Place the camera in front of you, about 2-3 m away, so your whole body is visible."
    return "Place the camera 2-3 m away, to your side or in front, so your whole body is visible."


class LiveCounter:
    """Incremental exercise counting from per-frame landmarks (no MediaPipe).

    Parameters
    ----------
    task
        An exercise id with rep counting or holds (see :func:`live_exercises`).
    sampling_rate_hz
        The analysis grid rate (see the module notes). Use the track's rate to reproduce an
        offline analysis of an evenly sampled track exactly.
    view
        ``"side"`` or ``"front"``; default: the exercise's only view, else the majority view of
        the first second of frames with a person (counting starts then, from the first frame).
    working_side
        ``"left"``, ``"right"`` or ``"both"``; default: chosen as the offline analysis does.
    protocol, prescription, today
        As for :func:`avnmotion.pipeline.analyze_track`: loading observations (clinician flags)
        and the tempo target of the cues.
    min_visibility
        Visibility gate (as the offline conditioning).
    """

    def __init__(
        self,
        task: str,
        *,
        sampling_rate_hz: float = DEFAULT_LIVE_RATE_HZ,
        view: str | None = None,
        working_side: str | None = None,
        protocol: Any = None,
        prescription: dict[str, Any] | None = None,
        today: Any = None,
        min_visibility: float = sig.DEFAULT_MIN_VISIBILITY,
        max_interp_gap_s: float = DEFAULT_MAX_INTERP_GAP_S,
    ) -> None:
        from avnmotion.exercises.form import TempoTarget
        from avnmotion.exercises.prescription import validate_prescription
        from avnmotion.exercises.registry import get_definition

        d = get_definition(task)
        if d.counting is None and d.hold is None:
            ids = ", ".join(e["id"] for e in live_exercises())
            raise AvnInputError(
                f"{task} is a {d.kind.replace('_', ' ')} with nothing to count live; live: {ids}"
            )
        if view is not None and view not in d.view_names:
            raise AvnInputError(
                f"{task} is filmed from the {' or '.join(d.view_names)}, not the {view}"
            )
        if working_side not in (None, "left", "right", "both"):
            raise AvnInputError(f"working side must be left, right or both, got {working_side!r}")
        self.definition = d
        self.task = task
        self.rate_hz = float(sampling_rate_hz)
        self.min_visibility = float(min_visibility)
        self.working_side = working_side
        self.protocol = protocol
        self.today = today
        target = validate_prescription(prescription)
        self.prescription = target
        if target and ("concentric_s" in target or "eccentric_s" in target):
            self.tempo = TempoTarget(target.get("concentric_s"), target.get("eccentric_s"), True)
        else:
            self.tempo = TempoTarget(d.tempo.concentric_s, d.tempo.eccentric_s, False)
        self.resampler = GridResampler(self.rate_hz, max_gap_s=max_interp_gap_s)
        self.rows = _Rows()
        self.frame_size_px: tuple[int, int] | None = None
        self.view: str | None = view or (d.view_names[0] if len(d.view_names) == 1 else None)
        self.view_source = "given" if view else ("exercise" if self.view else "detected")
        self.kin: CausalKinematics | None = None
        self.drive: Any = None
        self.counters: dict[str, Any] = {}
        self.hold_trackers: dict[str, HoldTracker] = {}
        self._hold_filters: dict[str, sig.CausalLowpass] = {}
        self.chooser: SideChooser | None = None
        from avnmotion.exercises.signals import CausalLegLength

        self._leg = CausalLegLength()
        self.reps: list[LiveRep] = []
        self._pending_refine: dict[str, list[LiveRep]] = {}
        self._last_event_end: dict[str, int] = {}
        self.flags: list[dict[str, Any]] = []
        self._flag_keys: set[tuple[str, str | None]] = set()
        self._last_flag_eval_s: float | None = None
        self._cues: list[_Cue] = []
        self._setup_votes: collections.deque[tuple[float, str]] = collections.deque()
        self._last_pose_s: float | None = None
        self.warnings: list[str] = []
        self._analysed = 0
        if self.view is not None:
            self._lock(self.view)

    # -- setup ------------------------------------------------------------------------------
    def _lock(self, view: str) -> None:
        from avnmotion.exercises.counting import CountParams, RepCounter

        d = self.definition
        spec = d.view_spec(view)
        assert spec is not None
        self.view = view
        self.drive = spec.drive
        if self.frame_size_px is not None:
            self._make_kin()
        drive = self.drive
        channels = ["left", "right", "both"] if drive.side == "working" else ["both"]
        if drive.side == "working":
            self.chooser = SideChooser(
                drive.min_amplitude,
                self.working_side,
                self.rate_hz,
                bin_width=drive.min_amplitude / 100.0,
            )
        if d.counting is not None:
            params = CountParams.from_spec(d.counting, drive)
            self.counters = {ch: RepCounter(self.rate_hz, params, channel=ch) for ch in channels}
        if d.hold is not None:
            self.hold_trackers = {ch: HoldTracker(d.hold, ch) for ch in channels}
            self._hold_filters = {
                ch: sig.CausalLowpass(self.rate_hz, cutoff_hz=min(3.0, 0.45 * self.rate_hz))
                for ch in channels
            }
        self._pending_refine = {ch: [] for ch in channels}

    def _make_kin(self) -> None:
        assert self.view is not None and self.frame_size_px is not None
        self.kin = CausalKinematics(
            self.view,
            self.rate_hz,
            self.frame_size_px,
            min_visibility=self.min_visibility,
            seated_rotation_test=self.definition.seated_rotation_test,
        )

    def _try_lock_view(self) -> None:
        """Lock the view from the frames so far (only when neither caller nor exercise did)."""
        assert self.frame_size_px is not None
        n = self.rows.n
        t0 = self.rows.t[0]
        span = self.rows.t[n - 1] - t0
        if span < VIEW_LOCK_S:
            return
        per_frame = detect_view_per_frame(self.rows.track(0, n, self.frame_size_px, {}))
        detected, _ = summarise_view(per_frame)
        names = self.definition.view_names
        view: str = detected
        if detected in names:
            self.view_source = "detected"
        elif span < 3 * VIEW_LOCK_S:
            return  # keep looking (oblique, unknown or a view this exercise is not filmed from)
        else:
            self.warnings.append(
                f"camera view {detected} at the start; counting as a {names[0]} view"
            )
            view = names[0]
            self.view_source = "default"
        self._lock(view)
        self._make_kin()

    # -- feeding ----------------------------------------------------------------------------
    def push(
        self,
        time_s: float,
        image_xyz: NDArray[np.floating[Any]],
        visibility: NDArray[np.floating[Any]],
        presence: NDArray[np.floating[Any]] | None = None,
        world_xyz: NDArray[np.floating[Any]] | None = None,
        *,
        frame_size_px: tuple[int, int] | None = None,
    ) -> int:
        """Feed one frame (normalised image landmarks ``(33, 3)``, visibility ``(33,)``).

        Returns the number of grid frames analysed because of it (0, 1 or more).
        """
        if self.frame_size_px is None:
            if frame_size_px is None:
                raise AvnInputError("the first frame must give frame_size_px (width, height)")
            self.frame_size_px = (int(frame_size_px[0]), int(frame_size_px[1]))
            if self.view is not None:
                self._make_kin()
        vis = np.asarray(visibility, dtype=np.float32).reshape(N_LANDMARKS)
        frame = GridFrame(
            float(time_s),
            np.asarray(image_xyz, dtype=np.float32).reshape(N_LANDMARKS, 3),
            vis,
            vis if presence is None else np.asarray(presence, dtype=np.float32).reshape(-1),
            None if world_xyz is None else np.asarray(world_xyz, dtype=np.float32).reshape(-1, 3),
        )
        grid = self.resampler.push(frame)
        for g in grid:
            self.rows.append(g)
            if self.kin is None:
                self._try_lock_view()
                if self.kin is None:
                    continue
            while self._analysed < self.rows.n:
                self._analyse(self._analysed)
                self._analysed += 1
        return len(grid)

    def push_track(self, track: PoseTrack) -> LiveCounter:
        """Feed every frame of a track, one at a time, then :meth:`flush`."""
        if track.image_xyz is None or track.frame_size_px is None:
            raise AvnInputError("live counting needs image landmarks and the frame size")
        for i in range(track.n_frames):
            self.push(
                float(track.timestamps_s[i]),
                track.image_xyz[i],
                track.visibility[i],
                track.presence[i],
                None if track.world_xyz is None else track.world_xyz[i],
                frame_size_px=track.frame_size_px,
            )
        self.flush()
        return self

    def flush(self) -> None:
        """End of the session: describe the last reps and close open holds."""
        if self.kin is None and self.rows.n and self.frame_size_px is not None:
            # Shorter than the view lock: decide on what there is.
            per_frame = detect_view_per_frame(
                self.rows.track(0, self.rows.n, self.frame_size_px, {})
            )
            view, _ = summarise_view(per_frame)
            self._lock(
                view if view in self.definition.view_names else self.definition.views[0].view
            )
            self._make_kin()
            while self._analysed < self.rows.n:
                self._analyse(self._analysed)
                self._analysed += 1
        last = self.rows.n - 1
        for pending in self._pending_refine.values():
            for rep in pending:
                upper = rep.upper_index if rep.upper_index is not None else last
                self._describe(rep, upper, final=True)
            pending.clear()
        for tracker in self.hold_trackers.values():
            if tracker.run_start_s is not None:
                for h in tracker.close():
                    self._on_hold(h, last)

    # -- per grid frame ---------------------------------------------------------------------
    def _drive_values(self, angles: dict[str, float], one: PoseTrack) -> dict[str, float]:
        drive = self.drive
        base = drive.name
        if drive.is_angle:
            if base in AXIAL_ANGLES:
                return {"both": angles[base]}
            left, right = angles[f"left_{base}"], angles[f"right_{base}"]
            if math.isfinite(left) and math.isfinite(right):
                both = 0.5 * (left + right)
            else:
                both = left if math.isfinite(left) else right
            return {"left": left, "right": right, "both": both}
        from avnmotion.exercises.signals import distance_signal, leg_length_per_frame

        # The causal leg-length scale of the offline counting (running maximum of a trailing
        # median), frame by frame.
        scale = self._leg.update(float(leg_length_per_frame(one)[0]))
        sides = ("left", "right", "both") if drive.side == "working" else ("both",)
        with np.errstate(invalid="ignore", divide="ignore"):
            return {s: float(distance_signal(base, one, s, scale)[0]) for s in sides}

    def _analyse(self, i: int) -> None:
        assert self.kin is not None
        t = float(self.rows.t[i])
        angles = self.kin.push(self.rows.image[i], self.rows.vis[i])
        one = self.kin.last_track
        assert one is not None
        values = self._drive_values(angles, one)
        self._setup_check(one, t)
        if self.chooser is not None:
            self.chooser.add(values["left"], values["right"])
        pad = round(DESCRIBE_PAD_S * self.rate_hz)
        for ch, counter in self.counters.items():
            pending = self._pending_refine[ch]
            for event in counter.update(t, values[ch]):
                # The next excursion (of any kind) bounds the previous reps' extent.
                for rep in pending:
                    if rep.upper_index is None:
                        rep.upper_index = event.start_index
                self._on_event(ch, event, i)
            if counter.in_excursion:
                start = int(counter.open_excursion()["start_index"])
                for rep in pending:
                    if rep.upper_index is None:
                        rep.upper_index = start
            # Describe a rep once the frames after it are in (bounded delay).
            while pending and (
                (pending[0].upper_index is not None and i - pending[0].upper_index >= pad)
                or t - pending[0].counted_at_s > DESCRIBE_LOOKBACK_S
            ):
                rep = pending.pop(0)
                self._describe(
                    rep, rep.upper_index if rep.upper_index is not None else i, final=True
                )
        for ch, tracker in self.hold_trackers.items():
            y = float(self._hold_filters[ch].process(np.array([values[ch]]))[0])
            for h in tracker.push(i, t, y):
                self._on_hold(h, i)
        if self.protocol is not None and (
            self._last_flag_eval_s is None or t - self._last_flag_eval_s >= FLAG_EVAL_S
        ):
            self._last_flag_eval_s = t
            self._loading_flags(i)

    # -- events -----------------------------------------------------------------------------
    def counted_channels(self) -> list[str]:
        """The channels whose reps/holds count now ("left", "right" or "both")."""
        if self.chooser is not None:
            return self.chooser.choose()[1]
        return ["both"] if (self.counters or self.hold_trackers) else []

    def _on_event(self, ch: str, event: Any, i: int) -> None:
        lower = self._last_event_end.get(ch, 0)
        self._last_event_end[ch] = event.end_index
        if event.kind != "rep":
            return
        rep = LiveRep(
            index=len(self.reps),
            channel=ch,
            set_index=event.set_index,
            start_s=event.start_s,
            end_s=event.end_s,
            peak_s=event.peak_s,
            counted_at_s=float(self.rows.t[i]),
            start_index=event.start_index,
            end_index=event.end_index,
            peak_index=event.peak_index,
            lower_index=lower,
            event=event,
        )
        self.reps.append(rep)
        self._pending_refine[ch].append(rep)
        # Cues for the patient right away, from what is known now.
        if ch in self.counted_channels():
            self._describe(rep, i, final=False)

    def _segment(self, a: int, b: int) -> tuple[Any, Any, int]:
        """Conditioned reported track and kinematics of grid frames ``a..b`` (inclusive)."""
        from avnmotion.kinematics import compute_kinematics
        from avnmotion.pipeline import condition_track

        assert self.frame_size_px is not None
        a = max(0, a)
        seg = self.rows.track(a, b + 1, self.frame_size_px, {"kind": "live"})
        with _quiet_nanmean(), np.errstate(invalid="ignore", divide="ignore"):
            cond = condition_track(seg)
            kin = compute_kinematics(
                cond.filtered,
                view=self.view,  # type: ignore[arg-type]
                seated_rotation_test=self.definition.seated_rotation_test,
            )
        return cond.filtered, kin, a

    def _describe(self, rep: LiveRep, upper: int, *, final: bool) -> None:
        """Measure a rep on the reported signal of a bounded segment around it."""
        from dataclasses import replace

        from avnmotion.exercises.counting import describe_rep
        from avnmotion.exercises.signals import get_signal

        drive = self.drive
        pad = round(DESCRIBE_PAD_S * self.rate_hz)
        e = rep.event
        lower = max(rep.lower_index, e.start_index - round(DESCRIBE_LOOKBACK_S * self.rate_hz))
        upper = min(max(upper, e.end_index), self.rows.n - 1)
        if upper <= lower:
            return
        track, kin, a = self._segment(lower - pad, upper + pad)
        scale = None if drive.is_angle or not math.isfinite(self._leg.value) else self._leg.value
        with np.errstate(invalid="ignore", divide="ignore"):
            y = get_signal(drive.name, rep.channel, kin, track, scale)[0]
        shifted = replace(
            e,
            start_index=e.start_index - a,
            end_index=e.end_index - a,
            peak_index=e.peak_index - a,
        )
        with _quiet_nanmean(), np.errstate(invalid="ignore", divide="ignore"):
            shape = describe_rep(
                kin.timestamps_s,
                y,
                shifted,
                rest_at=drive.rest_at,
                lower_bound=lower - a,
                upper_bound=upper - a,
            )
        if shape is None:
            return
        if drive.away_is_concentric:
            conc, ecc = shape.away_s, shape.return_s
        else:
            conc, ecc = shape.return_s, shape.away_s
        rep.concentric_s, rep.eccentric_s, rep.excursion = conc, ecc, shape.excursion
        if final:
            rep.start_s, rep.end_s, rep.peak_s = shape.start_s, shape.end_s, shape.peak_s
            rep.start_index = shape.start_index + a
            rep.end_index = shape.end_index + a
            rep.peak_index = shape.peak_index + a
            rep.refined = True
            return
        self._rep_cues(rep, shape, y, kin, track)

    def _rep_cues(self, rep: LiveRep, shape: Any, y: Any, kin: Any, track: Any) -> None:
        from avnmotion.exercises.analysis import _windows_for
        from avnmotion.exercises.form import (
            clinician_flags,
            evaluate_rules,
            patient_cues,
            tempo_cues,
            tempo_issues,
        )

        d = self.definition
        now = rep.counted_at_s
        label = self.rep_count
        issues: list[str] = []
        if d.kind == "rep":
            issues = tempo_issues(rep.concentric_s, rep.eccentric_s, shape.reversals, self.tempo)
        window = _windows_for(shape, y, self.drive.rest_at, rep.channel, label)
        with np.errstate(invalid="ignore"):
            violations, _ = evaluate_rules(d.form_rules, [window], kin, track)
        rep.issues = issues + [v.rule.code for v in violations if v.rule.audience == "patient"]
        texts = patient_cues(violations, "rep") + (
            tempo_cues({label: issues}, self.tempo) if issues else []
        )
        for text in texts:
            self._cues.append(_Cue(text, now + CUE_SHOW_S))
        self._record_flags(clinician_flags(violations, 1, "reps"), now)

    def _on_hold(self, hold: LiveHold, i: int) -> None:
        from avnmotion.exercises.form import (
            Window,
            clinician_flags,
            evaluate_rules,
            patient_cues,
        )

        d = self.definition
        if not d.form_rules or hold.channel not in self.counted_channels():
            return
        track, kin, a = self._segment(hold.start_index, hold.end_index)
        idx = np.arange(0, hold.end_index - a + 1)
        label = self.hold_count
        window = Window(idx, idx, idx, idx, hold.channel, hold.start_s, hold.end_s, label)
        with np.errstate(invalid="ignore"):
            violations, _ = evaluate_rules(d.form_rules, [window], kin, track)
        now = float(self.rows.t[i])
        for text in patient_cues(violations, "hold"):
            self._cues.append(_Cue(text, now + CUE_SHOW_S))
        self._record_flags(clinician_flags(violations, 1, "holds"), now)

    def _record_flags(self, flags: list[Any], now_s: float) -> None:
        for flag in flags:
            key = (flag.code, flag.side)
            if key in self._flag_keys:
                continue
            self._flag_keys.add(key)
            entry = flag.model_dump(mode="json")
            entry["first_seen_s"] = round(now_s, 3)
            self.flags.append(entry)
            log.info("live flag %s (%s) at %.1f s", flag.code, flag.side, now_s)

    def _loading_flags(self, i: int) -> None:
        from avnmotion.exercises.loading import loading_observations

        n = round(FLAG_WINDOW_S * self.rate_hz)
        track, kin, _ = self._segment(i - n, i)
        with _quiet_nanmean(), np.errstate(invalid="ignore", divide="ignore"):
            flags, _ = loading_observations(track, kin, self.protocol, self.definition, self.today)
        self._record_flags(flags, float(self.rows.t[i]))

    def _setup_check(self, one: PoseTrack, t: float) -> None:
        legs = [LANDMARK_INDEX[f"{s}_{p}"] for s in SIDES for p in ("hip", "knee", "ankle")]
        seen = bool(np.any(one.visibility[0, legs] >= self.min_visibility))
        view = str(detect_view_per_frame(one)[0]) if seen else "unknown"
        if seen:
            self._last_pose_s = t
        self._setup_votes.append((t, view))
        while self._setup_votes and self._setup_votes[0][0] < t - SETUP_WINDOW_S:
            self._setup_votes.popleft()

    # -- state for the display --------------------------------------------------------------
    @property
    def now_s(self) -> float | None:
        return float(self.rows.t[self.rows.n - 1]) if self.rows.n else None

    @property
    def rep_count(self) -> int:
        return sum(self.counters[ch].count for ch in self.counted_channels() if ch in self.counters)

    @property
    def hold_count(self) -> int:
        chosen = self.counted_channels()
        return sum(len(self.hold_trackers[ch].holds) for ch in chosen if ch in self.hold_trackers)

    @property
    def count(self) -> int:
        """Reps, or completed holds for a hold exercise."""
        return self.hold_count if self.definition.counting is None else self.rep_count

    @property
    def set_index(self) -> int:
        """Current set (0-based): reps of the counted channels split by rest gaps."""
        chosen = set(self.counted_channels())
        reps = sorted((r for r in self.reps if r.channel in chosen), key=lambda r: r.start_s)
        gap = self.definition.counting.rest_gap_s if self.definition.counting else 8.0
        current, last_end = 0, None
        for r in reps:
            if last_end is not None and r.start_s - last_end > gap:
                current += 1
            last_end = r.end_s if last_end is None else max(last_end, r.end_s)
        return current

    def hold_s(self) -> float | None:
        """Seconds in the hold position now (hold exercises), else ``None``."""
        if self.definition.hold is None:
            return None
        now = self.now_s
        if not self.hold_trackers or now is None:
            return 0.0
        return max(
            (self.hold_trackers[ch].current_s(now) for ch in self.counted_channels()),
            default=0.0,
        )

    def counted_reps(self) -> list[LiveRep]:
        chosen = set(self.counted_channels())
        return sorted((r for r in self.reps if r.channel in chosen), key=lambda r: r.start_s)

    def cues(self) -> list[str]:
        """Patient-facing cues to show now: camera set-up, then technique and tempo."""
        now = self.now_s
        out: list[str] = []
        if now is None:
            return out
        if self._last_pose_s is None or now - self._last_pose_s > 1.0:
            if now - float(self.rows.t[0]) > 1.0:
                out.append(_NOT_VISIBLE_CUE)
        else:
            known = [v for _, v in self._setup_votes if v in ("side", "front", "oblique")]
            want = self.view or ""
            if len(known) >= 5 and want in _VIEW_CUES:
                share = sum(1 for v in known if v == want) / len(known)
                if share < 0.3:
                    out.append(_VIEW_CUES[want])
        self._cues = [c for c in self._cues if c.until_s >= now]
        for c in self._cues:
            if c.text not in out:
                out.append(c.text)
        return out[:3]

    def track(self, source: dict[str, Any] | None = None) -> PoseTrack:
        """The session's grid track (what was analysed)."""
        if self.rows.n == 0 or self.frame_size_px is None:
            raise AvnInputError("no frames were received")
        src = {
            "kind": "live",
            "fps": self.rate_hz,
            "n_frames_received": self.resampler.n_in,
            "grid_frames_interpolated": self.resampler.n_interpolated,
            "grid_frames_without_frame": self.resampler.n_blank,
        }
        src.update(source or {})
        return self.rows.track(0, self.rows.n, self.frame_size_px, src)

    def summary(self) -> dict[str, Any]:
        """What the live session showed and recorded (stored with the saved analysis)."""
        side = self.chooser.choose()[0] if self.chooser is not None else "both"
        return {
            "task": self.task,
            "view": self.view,
            "view_source": self.view_source,
            "working_side": side,
            "sampling_rate_hz": self.rate_hz,
            "rep_count": self.rep_count,
            "hold_count": self.hold_count,
            "set_count": (self.set_index + 1) if self.counted_reps() else 0,
            "reps": [
                {
                    "index": k,
                    "side": r.channel,
                    "start_s": round(r.start_s, 3),
                    "end_s": round(r.end_s, 3),
                    "counted_at_s": round(r.counted_at_s, 3),
                    "issues": r.issues,
                }
                for k, r in enumerate(self.counted_reps())
            ],
            "flags": list(self.flags),
            "grid_frames": self.rows.n,
            "frames_received": self.resampler.n_in,
            "warnings": list(self.warnings),
        }


# ---------------------------------------------------------------------------------------------
# camera frames in: the live session
# ---------------------------------------------------------------------------------------------
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
        Exercise id (see :func:`live_exercises`).
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
            "instructions": _view_instruction(list(d.view_names)),
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
                nan = np.full((N_LANDMARKS, 3), np.nan, dtype=np.float32)
                zero = np.zeros(N_LANDMARKS, dtype=np.float32)
                self.counter.push(time_s, nan, zero, zero, None, frame_size_px=size)
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
        update = LiveUpdate(
            timestamp_ms=ts,
            time_s=round((ts - self._t0_ms) / 1000.0, 3),
            landmarks=None if pose is None else _landmark_rows(pose.image),
            rep_count=c.count,
            set_index=c.set_index,
            hold_s=None if c.hold_s() is None else round(float(c.hold_s() or 0.0), 1),
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

        The track is the analysis grid (see the module notes), so the result's count is the
        count shown live unless the whole session says otherwise about the camera view or
        the working side; a difference is reported in ``quality.warnings``.
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
        with _quiet_nanmean():
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


# ---------------------------------------------------------------------------------------------
# avnmotion live --camera 0 --task ID [--record OUT] [--max-seconds S]
# ---------------------------------------------------------------------------------------------
def _console_line(u: LiveUpdate, hold_target: float | None) -> str:
    noun = "holds" if u.kind == "hold" else "reps"
    parts = [f"{noun} {u.rep_count}", f"set {u.set_index + 1}"]
    if u.hold_s is not None:
        target = f" / {hold_target:g} s" if hold_target else " s"
        parts.append(f"hold {u.hold_s:.0f}{target}")
    if u.cues:
        parts.append(" ".join(u.cues))
    return " | ".join(parts)


def run_camera(args: Any, *, out: Callable[[str], None] | None = None) -> int:
    """``avnmotion live``: count from a camera (device index) or a video file.

    ``args`` needs ``camera`` (device index or file path), ``task``, ``model``, ``record``
    (annotated MP4 path or ``None``) and ``max_seconds``. Prints the count and cues as they
    change, then a summary. Returns the exit code.
    """
    from avnmotion.pose.overlay import draw_pose
    from avnmotion.pose.video import VideoSource

    say = out or (lambda text: print(text, flush=True))
    cam = str(getattr(args, "camera", "0"))
    source: int | Path = int(cam) if cam.isdigit() else Path(cam)
    if isinstance(source, Path) and not source.exists():
        raise AvnInputError(f"{cam}: no such video file (give a camera index such as 0 or a file)")
    max_s = getattr(args, "max_seconds", None)
    if max_s is not None and not max_s > 0:
        raise AvnInputError(f"--max-seconds must be positive, got {max_s}")
    record = getattr(args, "record", None)
    if record and Path(record).suffix.lower() != ".mp4":
        raise AvnInputError(f"{record}: the recording must be an .mp4 file")
    # Fail on a bad task before opening the camera.
    LiveCounter(args.task)

    with VideoSource(source) as video:
        rate = video.fps if video.fps > 0 else 30.0
        if video.is_camera:
            rate = min(rate, 30.0)
        session = LiveSession(
            args.task, model_path=getattr(args, "model", None), sampling_rate_hz=rate
        )
        info = session.describe()
        writer = None
        if record:
            import imageio_ffmpeg

            w, h = video.frame_size_px
            writer = imageio_ffmpeg.write_frames(
                str(record),
                (w + w % 2, h + h % 2),
                fps=rate,
                codec="libx264",
                pix_fmt_out="yuv420p",
                quality=6,
                macro_block_size=1,
                ffmpeg_log_level="error",
                output_params=["-preset", "veryfast", "-movflags", "+faststart"],
            )
            writer.send(None)
        say(f"{info['name']}: {info['instructions']}")
        say(f"Safety: {PATIENT_SAFETY_ADVICE}")
        say("Press Ctrl-C to stop." if video.is_camera else f"Reading {source}.")
        last_line = ""
        try:
            with session:
                try:
                    for frame, time_s in video:
                        if max_s is not None and time_s > max_s:
                            break
                        u = session.process_frame(frame, time_s * 1000.0)
                        line = _console_line(u, info["hold_target_s"])
                        if line != last_line:
                            say(f"{u.time_s:7.1f} s  {line}")
                            last_line = line
                        if writer is not None:
                            lines = [line[:80]]
                            xy = None
                            if u.landmarks is not None:
                                arr = np.asarray(u.landmarks, dtype=np.float64)
                                xy = arr[:, :2] * np.asarray(video.frame_size_px, dtype=np.float64)
                                drawn = draw_pose(frame, xy, arr[:, 2], lines)
                            else:
                                drawn = draw_pose(
                                    frame,
                                    np.full((N_LANDMARKS, 2), np.nan),
                                    np.zeros(N_LANDMARKS),
                                    lines,
                                )
                            h, w = drawn.shape[:2]
                            if w % 2 or h % 2:
                                drawn = np.pad(drawn, ((0, h % 2), (0, w % 2), (0, 0)))
                            writer.send(np.ascontiguousarray(drawn))
                except KeyboardInterrupt:
                    say("stopped")
                if not session.has_pose:
                    say("No person was seen; nothing to summarise.")
                    return 2
                _track, result = session.finish()
        finally:
            if writer is not None:
                writer.close()
    ex = result.exercise
    noun = "holds" if info["kind"] == "hold" else "reps"
    n = session.rep_count
    say(f"Done: {n} {noun}" + (f" in {len(ex.sets)} set(s)" if ex and ex.sets else "") + ".")
    if ex is not None:
        for msg in ex.patient_messages:
            say(f"  - {msg}")
    for note in result.quality.warnings:
        say(f"  note: {note}")
    if record:
        say(f"Recording: {record}")
    say(f"Safety: {PATIENT_SAFETY_ADVICE}")
    return 0
