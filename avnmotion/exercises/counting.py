"""Rep counting, partial reps, sets and holds, vectorised over whole arrays.

Counting (offline and live alike)
---------------------------------
1. The driving signal (computed on the *unfiltered* track) goes through
   :class:`~avnmotion.signal.CausalLowpass` (3 Hz, 2nd order) with carried state.
2. The set's own range comes from trailing-window percentiles of the filtered signal:
   ``lo``/``hi`` = 5th/95th percentile over the last ``window_s`` (20 s; every sample so far
   until 20 s have been seen) — a causal rank filter, so the live counter computes exactly the
   same numbers. The span used for the thresholds is
   ``max(hi - lo, min_amplitude / enter_frac)``: a rep must move at least ``min_amplitude``
   (deg, or leg lengths), and rest noise can never reach the thresholds.
3. The position within that range, measured from the rest end
   (``u = (x - lo) / span`` when the subject rests at the low end, ``(hi - x) / span`` when at
   the high end), drives a hysteresis state machine:

   * an excursion starts when ``u >= partial_frac`` (0.4),
   * it becomes a rep when ``u >= enter_frac`` (0.6),
   * it ends when ``u < leave_frac`` (0.3).

   Reps whose start-to-end crossing time is below ``min_rep_s`` are rejected as too short. A
   rep that starts more than ``rest_gap_s`` (8 s) after the previous rep ended opens a new set.
4. Partial reps (reported, not counted) come from a second, more sensitive hysteresis on the
   same ``u``: a *movement* starts when ``u >= motion_frac`` (0.15) and ends when
   ``u < motion_leave_frac`` (0.07), i.e. back within 7% of the range from rest. A movement
   that never reached ``enter_frac``, moved at least ``partial_min_frac`` (0.5) x
   ``min_amplitude`` from rest and lasted ``min_rep_s`` is a partial rep. Every rep lies inside
   one movement (``u >= partial_frac`` implies ``u >= motion_frac``), so partial reps and reps
   never overlap. A rep-level excursion that did not reach ``enter_frac`` is also a partial rep
   when its movement already holds a rep (the subject went back up without returning to
   rest); otherwise its movement reports it. Shallow partial reps (a half-depth squat moves the
   hips ~20% of a full squat's travel) are therefore found without lowering the thresholds
   that count reps, which stay robust to a rest level that drifts between reps.

The state machine is vectorised: frames where ``u >= partial_frac`` "set" and frames where
``u < leave_frac`` "reset" the state, and ``np.maximum.accumulate`` over the indices of set and
reset frames gives the state of every frame at once (the last event wins). Only the resulting
excursions (events) are looped over, never the frames.

:class:`RepCounter` runs exactly this code on each chunk it receives, carrying the filter state,
the last ``window_s`` of filtered samples and the open excursion. Feeding a clip in one call or
frame by frame therefore gives identical events, which the tests check.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage
from scipy.signal import find_peaks

from avnmotion.errors import AvnInputError
from avnmotion.exercises.registry import CountingSpec, DriveSignal, HoldSpec
from avnmotion.signal import CausalLowpass

FloatArray = NDArray[np.float64]
EventKind = Literal["rep", "partial", "short"]


def counting_rate_hz(timestamps_s: NDArray[Any]) -> float:
    """The sampling rate a counter should use for a track on an even grid.

    ``1 / median(diff(t))`` rounded to 6 decimals, so that a live session created with its
    nominal grid rate (e.g. 15.0) and the offline analysis of the saved grid track build the
    very same filter and window (bit-identical events).
    """
    t = np.asarray(timestamps_s, dtype=np.float64)
    if t.size < 2:
        raise AvnInputError("need at least two timestamps to know the sampling rate")
    return round(float(1.0 / np.median(np.diff(t))), 6)


def _rank(pct: float, count: Any) -> Any:
    """Index of the ``pct`` percentile in ``count`` sorted samples (nearest rank)."""
    return np.round(pct / 100.0 * (np.asarray(count) - 1)).astype(np.intp)


def _hysteresis(
    set_mask: NDArray[np.bool_], reset_mask: NDArray[np.bool_], carried: bool
) -> NDArray[np.bool_]:
    """Per frame, whether a set/reset hysteresis is "on" (the most recent event wins).

    ``carried`` says the state was on before the first frame (an open excursion).
    """
    idx = np.arange(set_mask.size)
    last_set = np.maximum.accumulate(np.where(set_mask, idx, -2))
    last_reset = np.maximum.accumulate(np.where(reset_mask, idx, -2))
    if carried:
        last_set = np.maximum(last_set, -1)  # the open excursion acts as a set at -1
    return last_set > last_reset


def _chunk_runs(on: NDArray[np.bool_], carried: bool) -> list[tuple[int | None, int]]:
    """The "on" runs of a hysteresis state within one chunk, as ``(start, end)`` pairs.

    ``start`` is ``None`` for a run carried over from the previous chunk; ``end`` is the
    chunk length for a run still open at its end (loop over the result: events, not frames).
    """
    prev = np.concatenate([[carried], on[:-1]])
    starts = np.flatnonzero(on & ~prev)
    ends = np.flatnonzero(~on & prev)
    run_starts: list[int | None] = [None] if carried else []
    run_starts.extend(int(s) for s in starts)
    return [(a, int(ends[i]) if i < ends.size else on.size) for i, a in enumerate(run_starts)]


@dataclass(frozen=True)
class CountParams:
    """Counting thresholds (see the module docstring); build with :meth:`from_spec`."""

    rest_at: Literal["low", "high"] = "low"
    min_amplitude: float = 10.0
    enter_frac: float = 0.6
    leave_frac: float = 0.3
    partial_frac: float = 0.4
    min_rep_s: float = 0.4
    rest_gap_s: float = 8.0
    window_s: float = 20.0
    lo_pct: float = 5.0
    hi_pct: float = 95.0
    cutoff_hz: float = 3.0
    motion_frac: float = 0.15
    motion_leave_frac: float = 0.07
    partial_min_frac: float = 0.5

    def __post_init__(self) -> None:
        if not 0 < self.leave_frac < self.partial_frac <= self.enter_frac <= 1:
            raise AvnInputError(
                "counting thresholds must satisfy 0 < leave < partial <= enter <= 1, got "
                f"leave={self.leave_frac}, partial={self.partial_frac}, enter={self.enter_frac}"
            )
        if not 0 < self.motion_leave_frac < self.motion_frac <= self.partial_frac:
            raise AvnInputError(
                "movement thresholds must satisfy 0 < motion_leave < motion <= partial, got "
                f"motion_leave={self.motion_leave_frac}, motion={self.motion_frac}, "
                f"partial={self.partial_frac}"
            )
        if self.min_amplitude <= 0:
            raise AvnInputError("min_amplitude must be positive")
        if self.partial_min_frac < 0:
            raise AvnInputError("partial_min_frac must not be negative")

    @classmethod
    def from_spec(cls, spec: CountingSpec, drive: DriveSignal) -> CountParams:
        return cls(
            rest_at=drive.rest_at,
            min_amplitude=drive.min_amplitude,
            enter_frac=spec.enter_frac,
            leave_frac=spec.leave_frac,
            partial_frac=spec.partial_frac,
            min_rep_s=spec.min_rep_s,
            rest_gap_s=spec.rest_gap_s,
            window_s=spec.window_s,
            lo_pct=spec.lo_pct,
            hi_pct=spec.hi_pct,
            cutoff_hz=spec.cutoff_hz,
            motion_frac=spec.motion_frac,
            motion_leave_frac=spec.motion_leave_frac,
            partial_min_frac=spec.partial_min_frac,
        )


@dataclass(frozen=True)
class RepEvent:
    """One completed excursion away from rest (indices are global frame indices).

    ``start``/``end`` are the threshold crossings of the causally filtered signal (``u``
    crossing ``partial_frac`` upward and ``leave_frac`` downward; for a partial rep found as a
    movement, ``motion_frac`` and ``motion_leave_frac``); ``reach`` is the first frame
    at or beyond ``enter_frac`` (``None`` for a partial rep); ``peak`` the frame where the
    filtered signal is farthest from rest, ``peak_u`` the largest relative position reached.
    ``rest_value`` and ``span`` are the range at the start frame.
    """

    kind: EventKind
    start_index: int
    start_s: float
    end_index: int
    end_s: float
    peak_index: int
    peak_s: float
    peak_u: float
    peak_value: float
    reach_index: int | None
    reach_s: float | None
    rest_value: float
    span: float
    set_index: int = 0
    channel: str = ""


@dataclass
class _Open:
    """An excursion in progress, carried between chunks."""

    start_index: int
    start_s: float
    rest_value: float
    span: float
    peak_index: int = -1
    peak_s: float = math.nan
    peak_u: float = -math.inf
    peak_value: float = math.nan
    reach_index: int | None = None
    reach_s: float | None = None
    in_rep_movement: bool = False  # its movement already held a rep when it started


@dataclass
class _OpenMotion:
    """A movement (sensitive hysteresis, for partial reps) in progress."""

    start_index: int
    start_s: float
    rest_value: float
    span: float
    peak_index: int = -1
    peak_s: float = math.nan
    peak_u: float = -math.inf
    peak_value: float = math.nan
    reached: bool = False


@dataclass
class CountTrace:
    """Per-frame arrays of the counting (offline diagnostics and rep description)."""

    filtered: list[FloatArray] = field(default_factory=list)
    lo: list[FloatArray] = field(default_factory=list)
    hi: list[FloatArray] = field(default_factory=list)
    u: list[FloatArray] = field(default_factory=list)
    inside: list[NDArray[np.bool_]] = field(default_factory=list)

    def arrays(self) -> dict[str, NDArray[Any]]:
        def cat(parts: list[NDArray[Any]], dtype: Any) -> NDArray[Any]:
            return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)

        return {
            "filtered": cat(self.filtered, np.float64),
            "lo": cat(self.lo, np.float64),
            "hi": cat(self.hi, np.float64),
            "u": cat(self.u, np.float64),
            "inside": cat(self.inside, bool),
        }


class RepCounter:
    """Incremental rep counter whose events equal the offline count on the same frames.

    Parameters
    ----------
    sampling_rate_hz
        Rate of the incoming samples (fixes the filter and the window length in frames).
    params
        Thresholds; see :class:`CountParams`.
    keep_trace
        Keep per-frame arrays (:class:`CountTrace`) for offline description of the reps.
    channel
        Label copied into every event (e.g. ``"left"``).

    Use :meth:`update` for one sample or :meth:`update_chunk` for many; both return the events
    completed by the new samples. :func:`count_reps` is one :meth:`update_chunk` over a clip.
    """

    def __init__(
        self,
        sampling_rate_hz: float,
        params: CountParams | None = None,
        *,
        keep_trace: bool = False,
        channel: str = "",
    ) -> None:
        if not sampling_rate_hz > 0:
            raise AvnInputError(f"sampling rate must be positive, got {sampling_rate_hz}")
        self.params = params or CountParams()
        self.sampling_rate_hz = float(sampling_rate_hz)
        self.channel = channel
        p = self.params
        self._filter = CausalLowpass(
            self.sampling_rate_hz, cutoff_hz=min(p.cutoff_hz, 0.45 * self.sampling_rate_hz)
        )
        self._window = max(2, round(p.window_s * self.sampling_rate_hz))
        self._rank_lo = _rank(p.lo_pct, self._window)
        self._rank_hi = _rank(p.hi_pct, self._window)
        self._span_floor = p.min_amplitude / p.enter_frac
        self._history: FloatArray | None = None
        self._n_seen = 0
        self._open: _Open | None = None
        self._motion: _OpenMotion | None = None
        self._set_index = 0
        self._last_rep_end_s: float | None = None
        self.events: list[RepEvent] = []
        self.trace: CountTrace | None = CountTrace() if keep_trace else None

    # -- public state --------------------------------------------------------------------
    @property
    def count(self) -> int:
        """Counted (full) reps so far."""
        return sum(1 for e in self.events if e.kind == "rep")

    @property
    def reps(self) -> list[RepEvent]:
        return [e for e in self.events if e.kind == "rep"]

    @property
    def partials(self) -> list[RepEvent]:
        return [e for e in self.events if e.kind == "partial"]

    @property
    def in_excursion(self) -> bool:
        """True while a movement away from rest is under way (not yet counted)."""
        return self._open is not None

    @property
    def set_index(self) -> int:
        return self._set_index

    @property
    def frames_seen(self) -> int:
        return self._n_seen

    # -- feeding -------------------------------------------------------------------------
    def update(self, t_s: float, value: float) -> list[RepEvent]:
        """Feed one sample; returns the events it completed."""
        return self.update_chunk(
            np.array([t_s], dtype=np.float64), np.array([value], dtype=np.float64)
        )

    def update_chunk(self, t_s: NDArray[Any], values: NDArray[Any]) -> list[RepEvent]:
        """Feed consecutive samples (any chunk size); returns the events they completed."""
        t = np.asarray(t_s, dtype=np.float64).reshape(-1)
        v = np.asarray(values, dtype=np.float64).reshape(-1)
        if t.shape != v.shape:
            raise AvnInputError(f"times and values differ in length ({t.size} vs {v.size})")
        m = t.size
        if m == 0:
            return []
        x = self._filter.process(v)
        g0 = self._n_seen
        self._n_seen += m
        if self._history is None:
            finite = np.flatnonzero(np.isfinite(x))
            k = int(finite[0]) if finite.size else m
            if k > 0:
                self._trace_nan(k)
            if k == m:
                return []
            self._history = np.zeros(0)
            t, x, g0 = t[k:], x[k:], g0 + k
        return self._process(t, x, g0)

    # -- internals -----------------------------------------------------------------------
    def _trace_nan(self, k: int) -> None:
        if self.trace is None:
            return
        nan = np.full(k, np.nan)
        self.trace.filtered.append(nan)
        self.trace.lo.append(nan)
        self.trace.hi.append(nan)
        self.trace.u.append(nan)
        self.trace.inside.append(np.zeros(k, dtype=bool))

    def _range(self, x: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Trailing-window percentiles: exactly the values a sorted live window would give.

        Until ``window`` samples have been seen the window is every sample so far (an
        expanding window); after that a rank filter over the last ``window`` samples.
        """
        assert self._history is not None
        p, w = self.params, self._window
        h, m = self._history.size, x.size
        buf = np.concatenate([self._history, x])
        lo, hi = np.empty(m), np.empty(m)
        k = max(0, min(m, w - h))  # rows whose window is not full yet
        if k:
            # Row r holds buf[: h + r + 1]; the rest is NaN, which sorts last.
            cols = np.arange(h + k)
            rows = np.where(cols[None, :] <= h + np.arange(k)[:, None], buf[None, : h + k], np.nan)
            rows.sort(axis=1)
            count = h + np.arange(k) + 1
            r = np.arange(k)
            lo[:k] = rows[r, _rank(p.lo_pct, count)]
            hi[:k] = rows[r, _rank(p.hi_pct, count)]
        if k < m:
            origin = (w - 1) // 2  # puts the window at [i - w + 1, i]
            start = h + k - (w - 1)
            seg = buf[start:]
            lo[k:] = ndimage.rank_filter(seg, self._rank_lo, size=w, origin=origin)[w - 1 :]
            hi[k:] = ndimage.rank_filter(seg, self._rank_hi, size=w, origin=origin)[w - 1 :]
        self._history = buf[-(w - 1) :] if w > 1 else buf[:0]
        return lo, hi

    def _process(self, t: FloatArray, x: FloatArray, g0: int) -> list[RepEvent]:
        p = self.params
        lo, hi = self._range(x)
        span = np.maximum(hi - lo, self._span_floor)
        rest = lo if p.rest_at == "low" else hi
        u = (x - lo) / span if p.rest_at == "low" else (hi - x) / span
        m = x.size
        idx = np.arange(m)
        reached = u >= p.enter_frac
        # Hysteresis, vectorised: the most recent set/reset frame decides the state.
        carried = self._open is not None
        inside = _hysteresis(u >= p.partial_frac, u < p.leave_frac, carried)
        # The sensitive movement hysteresis (partial reps), and whether the movement a frame
        # belongs to has reached enter_frac by that frame.
        m_carried = self._motion is not None
        moving = _hysteresis(u >= p.motion_frac, u < p.motion_leave_frac, m_carried)
        m_prev = np.concatenate([[m_carried], moving[:-1]])
        run_start = np.maximum.accumulate(np.where(moving & ~m_prev, idx, -2))
        last_reach = np.maximum.accumulate(np.where(reached, idx, -2))
        if m_carried:
            assert self._motion is not None
            run_start = np.maximum(run_start, -1)
            if self._motion.reached:
                last_reach = np.maximum(last_reach, -1)
        movement_had_rep = moving & (last_reach >= run_start)
        if self.trace is not None:
            self.trace.filtered.append(x)
            self.trace.lo.append(lo)
            self.trace.hi.append(hi)
            self.trace.u.append(u)
            self.trace.inside.append(inside)

        set_before = self._set_index
        completed = self._excursions(t, x, u, rest, span, reached, inside, movement_had_rep, g0)
        completed += self._movements(t, x, u, rest, span, reached, moving, g0)
        completed.sort(key=lambda e: (e.end_index, e.start_index))
        # Events other than reps belong to the set of the last rep that ended before them.
        current = set_before
        for i, e in enumerate(completed):
            if e.kind == "rep":
                current = e.set_index
            elif e.set_index != current:
                completed[i] = replace(e, set_index=current)
        self.events.extend(completed)
        return completed

    def _track_peak(
        self,
        exc: _Open | _OpenMotion,
        seg: slice,
        t: FloatArray,
        x: FloatArray,
        u: FloatArray,
        g0: int,
    ) -> None:
        sign = 1.0 if self.params.rest_at == "low" else -1.0
        exc.peak_u = max(exc.peak_u, float(np.max(u[seg])))
        k = seg.start + int(np.argmax(sign * x[seg]))
        if math.isnan(exc.peak_value) or sign * x[k] > sign * exc.peak_value:
            exc.peak_index = g0 + k
            exc.peak_s = float(t[k])
            exc.peak_value = float(x[k])

    def _excursions(
        self,
        t: FloatArray,
        x: FloatArray,
        u: FloatArray,
        rest: FloatArray,
        span: FloatArray,
        reached: NDArray[np.bool_],
        inside: NDArray[np.bool_],
        movement_had_rep: NDArray[np.bool_],
        g0: int,
    ) -> list[RepEvent]:
        """Rep-level excursions completed in this chunk (loop over events, not frames)."""
        m = x.size
        completed: list[RepEvent] = []
        for a, b in _chunk_runs(inside, self._open is not None):
            if a is None:
                assert self._open is not None
                exc = self._open
                seg_start = 0
            else:
                exc = _Open(
                    start_index=g0 + a,
                    start_s=float(t[a]),
                    rest_value=float(rest[a]),
                    span=float(span[a]),
                    in_rep_movement=bool(movement_had_rep[a]),
                )
                seg_start = a
            if b > seg_start:
                seg = slice(seg_start, b)
                self._track_peak(exc, seg, t, x, u, g0)
                if exc.reach_index is None:
                    hits = np.flatnonzero(reached[seg])
                    if hits.size:
                        r = seg_start + int(hits[0])
                        exc.reach_index, exc.reach_s = g0 + r, float(t[r])
            if b < m:
                event = self._finish(exc, g0 + b, float(t[b]))
                if event is not None:
                    completed.append(event)
                self._open = None
            else:
                self._open = exc
        return completed

    def _movements(
        self,
        t: FloatArray,
        x: FloatArray,
        u: FloatArray,
        rest: FloatArray,
        span: FloatArray,
        reached: NDArray[np.bool_],
        moving: NDArray[np.bool_],
        g0: int,
    ) -> list[RepEvent]:
        """Partial reps found as movements that never reached ``enter_frac``."""
        p = self.params
        m = x.size
        completed: list[RepEvent] = []
        for a, b in _chunk_runs(moving, self._motion is not None):
            if a is None:
                assert self._motion is not None
                mov = self._motion
                seg_start = 0
            else:
                mov = _OpenMotion(
                    start_index=g0 + a,
                    start_s=float(t[a]),
                    rest_value=float(rest[a]),
                    span=float(span[a]),
                )
                seg_start = a
            if b > seg_start:
                seg = slice(seg_start, b)
                self._track_peak(mov, seg, t, x, u, g0)
                mov.reached = mov.reached or bool(np.any(reached[seg]))
            if b < m:
                self._motion = None
                end_s = float(t[b])
                size = abs(mov.peak_value - mov.rest_value)
                if (
                    not mov.reached
                    and size >= p.partial_min_frac * p.min_amplitude
                    and end_s - mov.start_s >= p.min_rep_s
                ):
                    completed.append(
                        RepEvent(
                            kind="partial",
                            start_index=mov.start_index,
                            start_s=mov.start_s,
                            end_index=g0 + b,
                            end_s=end_s,
                            peak_index=mov.peak_index,
                            peak_s=mov.peak_s,
                            peak_u=mov.peak_u,
                            peak_value=mov.peak_value,
                            reach_index=None,
                            reach_s=None,
                            rest_value=mov.rest_value,
                            span=mov.span,
                            set_index=self._set_index,
                            channel=self.channel,
                        )
                    )
            else:
                self._motion = mov
        return completed

    def _finish(self, exc: _Open, end_index: int, end_s: float) -> RepEvent | None:
        p = self.params
        kind: EventKind
        if exc.reach_index is None:
            if not exc.in_rep_movement:
                return None  # its movement reports it as a partial rep (if it is one)
            kind = "partial"
        elif end_s - exc.start_s < p.min_rep_s:
            kind = "short"
        else:
            kind = "rep"
        if kind == "rep":
            if (
                self._last_rep_end_s is not None
                and exc.start_s - self._last_rep_end_s > p.rest_gap_s
            ):
                self._set_index += 1
            self._last_rep_end_s = end_s
        return RepEvent(
            kind=kind,
            start_index=exc.start_index,
            start_s=exc.start_s,
            end_index=end_index,
            end_s=end_s,
            peak_index=exc.peak_index,
            peak_s=exc.peak_s,
            peak_u=exc.peak_u,
            peak_value=exc.peak_value,
            reach_index=exc.reach_index,
            reach_s=exc.reach_s,
            rest_value=exc.rest_value,
            span=exc.span,
            set_index=self._set_index,
            channel=self.channel,
        )

    def open_excursion(self) -> dict[str, Any] | None:
        """The excursion in progress (for tests that count a stand 'more than halfway up')."""
        if self._open is None:
            return None
        return dict(self._open.__dict__)


@dataclass
class CountResult:
    events: list[RepEvent]
    trace: dict[str, NDArray[Any]]
    open_excursion: dict[str, Any] | None

    @property
    def reps(self) -> list[RepEvent]:
        return [e for e in self.events if e.kind == "rep"]

    @property
    def partials(self) -> list[RepEvent]:
        return [e for e in self.events if e.kind == "partial"]

    @property
    def count(self) -> int:
        return len(self.reps)


def count_reps(
    t_s: NDArray[Any],
    values: NDArray[Any],
    sampling_rate_hz: float,
    params: CountParams | None = None,
    *,
    channel: str = "",
) -> CountResult:
    """Count reps over a whole clip (one vectorised pass; identical to :class:`RepCounter`)."""
    counter = RepCounter(sampling_rate_hz, params, keep_trace=True, channel=channel)
    counter.update_chunk(t_s, values)
    assert counter.trace is not None
    return CountResult(counter.events, counter.trace.arrays(), counter.open_excursion())


# -- runs and intervals -------------------------------------------------------------------------
def runs(mask: NDArray[np.bool_]) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Start and end (exclusive) indices of the True runs of a boolean array."""
    m = np.concatenate([[False], np.asarray(mask, dtype=bool), [False]])
    d = np.diff(m.astype(np.int8))
    return np.flatnonzero(d == 1), np.flatnonzero(d == -1)


def fill_short_gaps(mask: NDArray[np.bool_], max_len: int) -> NDArray[np.bool_]:
    """Set interior False runs of at most ``max_len`` samples to True (vectorised)."""
    mask = np.asarray(mask, dtype=bool).copy()
    if max_len <= 0 or mask.size == 0:
        return mask
    s, e = runs(~mask)
    interior = (s > 0) & (e < mask.size) & (e - s <= max_len)
    if np.any(interior):
        idx = np.arange(mask.size)
        starts, ends = s[interior], e[interior]
        # Mark gap frames with a cumulative +1/-1 at gap starts/ends.
        marks = np.zeros(mask.size + 1, dtype=np.int64)
        np.add.at(marks, starts, 1)
        np.add.at(marks, ends, -1)
        mask |= np.cumsum(marks)[idx] > 0
    return mask


def mask_intervals(
    mask: NDArray[np.bool_],
    t_s: NDArray[Any],
    *,
    min_duration_s: float = 0.0,
    bridge_s: float = 0.0,
) -> list[tuple[float, float]]:
    """Contiguous runs where ``mask`` holds, as ``(start_s, end_s)``.

    ``end_s`` is the time of the first frame after the run (the last frame for a run that
    reaches the end of the clip). Runs separated by at most ``bridge_s`` are merged first; runs
    shorter than ``min_duration_s`` are dropped.
    """
    t = np.asarray(t_s, dtype=np.float64)
    mask = np.asarray(mask, dtype=bool)
    if mask.size == 0:
        return []
    if bridge_s > 0 and t.size > 1:
        dt = float(np.median(np.diff(t)))
        mask = fill_short_gaps(mask, round(bridge_s / dt))
    s, e = runs(mask)
    end_t = t[np.minimum(e, t.size - 1)]
    keep = end_t - t[s] >= min_duration_s
    return [(float(a), float(b)) for a, b in zip(t[s][keep], end_t[keep], strict=True)]


# -- describing reps on the reported signal ---------------------------------------------------
#: Rest level of a rep: within this share of its excursion from the rest before (after) it.
REST_FRACTION = 0.05
#: Top phase of a rep (held top, ``top_s``): beyond this share of its excursion.
TOP_FRACTION = 0.95
#: Away and return durations run from the rest level to this share of the excursion,
#: extrapolated linearly to the whole movement. Not the top phase's 0.95: MediaPipe's angle
#: creeps by 2-5 deg during a held top (glute bridge), so the 95 % level of a 50-deg rep came
#: only at the end of a 1-s hold and the lift read 2.2-2.4 s for a true 1.2 s.
TEMPO_FRACTION = 0.9


@dataclass(frozen=True)
class RepShape:
    """Timing and size of one rep measured on the reported (zero-phase filtered) signal.

    Start and end are where the signal is within 5% of the rep's excursion from its rest level;
    the top phase is where it is beyond 95%. Away/return durations are the 5-90% times
    extrapolated linearly to the whole excursion (divided by 0.85; see
    :data:`TEMPO_FRACTION`).
    """

    start_index: int
    end_index: int
    peak_index: int
    top_start_index: int
    top_end_index: int
    start_s: float
    end_s: float
    peak_s: float
    away_s: float
    return_s: float
    top_s: float
    excursion: float
    peak_value: float
    peak_velocity: float | None
    reversals: int


def describe_rep(
    t: FloatArray,
    y: FloatArray,
    event: RepEvent,
    *,
    rest_at: Literal["low", "high"],
    lower_bound: int,
    upper_bound: int,
    lag_s: float = 0.3,
) -> RepShape | None:
    """Measure one rep (or partial rep) on the reported signal ``y``.

    The search stays between ``lower_bound`` (the previous excursion's end) and ``upper_bound``
    (the next excursion's start); ``lag_s`` widens it backwards to undo the causal filter's
    delay. Returns ``None`` when ``y`` has no finite sample there.
    """
    n = y.size
    rate = 1.0 / float(np.median(np.diff(t))) if t.size > 1 else 1.0
    lag = round(lag_s * rate)
    k = max(1, round(SMOOTH_S * rate))
    # Work on the slice between the neighbouring excursions only (plus smoothing margin).
    off = max(0, min(lower_bound, event.start_index - lag) - k)
    stop = min(n, max(upper_bound, event.end_index + lag) + k + 1)
    tt, yy = t[off:stop], y[off:stop]
    lower_bound = max(0, lower_bound) - off
    upper_bound = min(n - 1, upper_bound) - off
    sgn = 1.0 if rest_at == "low" else -1.0
    z = sgn * smooth(yy, k)
    a = max(lower_bound, event.start_index - off - lag)
    b = min(upper_bound, event.end_index - off + lag)
    seg = z[a : b + 1]
    if not np.any(np.isfinite(seg)):
        return None
    peak = a + int(np.nanargmax(seg))
    before = z[lower_bound : peak + 1]
    after = z[peak : upper_bound + 1]
    base_before = _rest_level(before, z[peak])
    base_after = _rest_level(after, z[peak])
    exc_before = z[peak] - base_before
    exc_after = z[peak] - base_after
    below = np.flatnonzero(before <= base_before + REST_FRACTION * exc_before)
    start = lower_bound + int(below[-1]) if below.size else lower_bound
    above = np.flatnonzero(z[start : peak + 1] >= base_before + TOP_FRACTION * exc_before)
    top_start = start + int(above[0]) if above.size else peak
    below_after = np.flatnonzero(after <= base_after + REST_FRACTION * exc_after)
    end = peak + int(below_after[0]) if below_after.size else upper_bound
    above_after = np.flatnonzero(z[peak : end + 1] >= base_after + TOP_FRACTION * exc_after)
    top_end = peak + int(above_after[-1]) if above_after.size else peak
    reached = np.flatnonzero(z[start : peak + 1] >= base_before + TEMPO_FRACTION * exc_before)
    away_end = start + int(reached[0]) if reached.size else top_start
    still_high = np.flatnonzero(z[peak : end + 1] >= base_after + TEMPO_FRACTION * exc_after)
    return_start = peak + int(still_high[-1]) if still_high.size else top_end
    with np.errstate(invalid="ignore", divide="ignore"):
        v = np.gradient(yy, tt) if yy.size > 1 else np.zeros(yy.size)
    vel_seg = np.abs(v[start : end + 1])
    peak_vel = float(np.nanmax(vel_seg)) if np.any(np.isfinite(vel_seg)) else None
    reversals = _reversals(z[start : end + 1], max(exc_before, exc_after))
    start_s, end_s, peak_s = float(tt[start]), float(tt[end]), float(tt[peak])
    away_s = float(tt[away_end] - tt[start]) / (TEMPO_FRACTION - REST_FRACTION)
    return_s = float(tt[end] - tt[return_start]) / (TEMPO_FRACTION - REST_FRACTION)
    top_s = float(tt[top_end] - tt[top_start])
    peak_value = float(sgn * z[peak])
    start, end, peak, top_start, top_end = (i + off for i in (start, end, peak, top_start, top_end))
    return RepShape(
        start_index=start,
        end_index=end,
        peak_index=peak,
        top_start_index=top_start,
        top_end_index=top_end,
        start_s=start_s,
        end_s=end_s,
        peak_s=peak_s,
        away_s=away_s,
        return_s=return_s,
        top_s=top_s,
        excursion=float(exc_before),
        peak_value=peak_value,
        peak_velocity=peak_vel,
        reversals=reversals,
    )


SMOOTH_S = 0.1


def smooth(y: FloatArray, k: int) -> FloatArray:
    """Centred NaN-aware moving average over ``k`` samples (odd), for peak and rest levels."""
    k = k | 1
    if k <= 1:
        return y.astype(np.float64)
    finite = np.isfinite(y)
    kernel = np.ones(k)
    sums = np.convolve(np.where(finite, y, 0.0), kernel, mode="same")
    counts = np.convolve(finite.astype(np.float64), kernel, mode="same")
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(finite, sums / counts, np.nan)


def _rest_level(z: FloatArray, peak: float) -> float:
    """Rest level next to a peak: median of the samples within 10% of the lowest one."""
    low = float(np.nanmin(z))
    near = z[z <= low + 0.1 * (peak - low)]
    return float(np.median(near)) if near.size else low


def _reversals(z: FloatArray, excursion: float, prominence_frac: float = 0.25) -> int:
    """Direction reversals within a rep beyond the one at the peak (a jerky rep has some).

    A reversal must have a prominence of at least ``prominence_frac`` of the rep's excursion:
    MediaPipe's seated knee angle alone wobbles by 12-23 % of a leg extension's range at full
    extension (a smooth rep), so 15 % told every clean rep to move smoothly.
    """
    finite = z[np.isfinite(z)]
    if finite.size < 5 or excursion <= 0:
        return 0
    prom = prominence_frac * excursion
    maxima, _ = find_peaks(finite, prominence=prom)
    minima, _ = find_peaks(-finite, prominence=prom)
    return max(0, maxima.size - 1) + minima.size


# -- holds ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class HoldSpan:
    start_index: int
    end_index: int
    start_s: float
    end_s: float
    duration_s: float
    level: float


def detect_holds(t: FloatArray, y: FloatArray, spec: HoldSpec) -> list[HoldSpan]:
    """Holds: runs where ``y`` is beyond the threshold and within ``band`` of its own level.

    Out-of-position gaps up to ``spec.bridge_s`` and landmark dropouts (NaN) up to 1 s inside a
    hold are bridged. Each candidate run's level is its median; the hold runs from the first to
    the last frame within the band of that level, and counts if at least ``min_hold_s`` long.
    """
    t = np.asarray(t, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if t.size < 2:
        return []
    dt = float(np.median(np.diff(t)))
    with np.errstate(invalid="ignore"):
        if spec.direction == ">=":
            cond = y >= spec.threshold
        elif spec.direction == "<=":
            cond = y <= spec.threshold
        else:
            cond = np.abs(y) <= spec.threshold
    nan = ~np.isfinite(y)
    cond = fill_short_gaps(cond | nan, round(1.0 / dt)) & (cond | ~nan)
    cond = fill_short_gaps(cond, round(spec.bridge_s / dt))
    # Leading/trailing NaN runs are not holds.
    s, e = runs(cond)
    out: list[HoldSpan] = []
    for a, b in zip(s, e, strict=True):  # loop over candidate runs (events)
        seg = y[a:b]
        if not np.any(np.isfinite(seg)):
            continue
        level = float(np.nanmedian(seg))
        within = np.flatnonzero(np.abs(seg - level) <= spec.band)
        if within.size == 0:
            continue
        i0, i1 = a + int(within[0]), a + int(within[-1])
        duration = float(t[i1] - t[i0])
        if duration < spec.min_hold_s:
            continue
        span = HoldSpan(
            i0, i1, float(t[i0]), float(t[i1]), duration, float(np.nanmean(y[i0 : i1 + 1]))
        )
        squeezes = _squeezes(t, y, span, spec) if spec.squeeze_min_change is not None else None
        out.extend(squeezes if squeezes else [span])
    return out


def _squeezes(t: FloatArray, y: FloatArray, span: HoldSpan, spec: HoldSpec) -> list[HoldSpan]:
    """Squeezes inside a position hold (see :class:`HoldSpec`); empty when none is visible."""
    assert spec.squeeze_min_change is not None
    seg = y[span.start_index : span.end_index + 1]
    ts = t[span.start_index : span.end_index + 1]
    if not np.any(np.isfinite(seg)):
        return []
    lo, hi = np.nanpercentile(seg, [2.0, 98.0])
    excursion = float(hi - lo)
    if excursion < spec.squeeze_min_change:
        return []
    rest = float(np.nanmedian(seg[ts <= ts[0] + 1.0]))
    sign = 1.0 if abs(hi - rest) >= abs(rest - lo) else -1.0
    with np.errstate(invalid="ignore"):
        away = sign * (seg - rest) > 0.5 * excursion
    dt = float(np.median(np.diff(t)))
    away = fill_short_gaps(away, round(spec.bridge_s / dt))
    starts, ends = runs(away)
    out: list[HoldSpan] = []
    for a, b in zip(starts, ends, strict=True):  # loop over squeezes (events)
        part = seg[a:b]
        level = float(np.nanmedian(part))
        # the held part: within a quarter of the excursion of the squeeze's own level
        within = np.flatnonzero(np.abs(part - level) <= 0.25 * excursion)
        if within.size == 0:
            continue
        i0, i1 = a + int(within[0]), a + int(within[-1])
        duration = float(ts[i1] - ts[i0])
        if duration >= spec.min_squeeze_s:
            base = span.start_index
            out.append(
                HoldSpan(
                    base + i0,
                    base + i1,
                    float(ts[i0]),
                    float(ts[i1]),
                    duration,
                    float(np.nanmean(seg[i0 : i1 + 1])),
                )
            )
    return out


def with_channel(events: list[RepEvent], channel: str) -> list[RepEvent]:
    return [replace(e, channel=channel) for e in events]
