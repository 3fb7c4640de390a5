"""Gait events (foot strike, foot off) per side, on the input's own clock.

Side view and 3-D: :class:`ZeniEventDetector`
----------------------------------------------
1. **Anchors** (Zeni et al. 2008). Along the walking direction, relative to the pelvis centre,
   the heel reaches its most anterior position near foot strike and the toe its most posterior
   position near foot off:

   .. math::

       FS \\approx \\arg\\max_t\\,(x_{heel} - x_{pelvis}), \\qquad
       FO \\approx \\arg\\min_t\\,(x_{toe} - x_{pelvis})

   Extrema are taken per walking pass and per run of valid frames, with a minimum excursion
   (``min_excursion_leg_lengths``) on the interior side. An extremum strictly inside the run is
   reported even in the first or last 0.2 s; one on the edge of the run is not (it may be a
   truncated movement). The extremum time is refined to sub-frame precision by parabolic
   interpolation through the three samples around it:
   :math:`\\delta = \\tfrac12 (y_{k-1} - y_{k+1}) / (y_{k-1} - 2 y_k + y_{k+1})`.
2. **Foot-strike refinement.** The heel's anterior extremum precedes contact by 20-70 ms
   (Zeni et al. 2008 report a mean bias of about -17 ms; our validation trials show -20 to
   -70 ms), so the strike is placed where the heel has landed, combining two cues after the
   anchor:

   * **velocity**: the heel's sagittal speed relative to the ground,
     :math:`\\sqrt{(v_{fwd} - v_{ground})^2 + v_{up}^2}`, falls below ``fs_speed_fraction`` of
     its peak in the preceding swing (a relative form of the velocity threshold of
     Ghoussayni et al. 2004, independent of camera scale and walking speed), searched from
     the anchor on (after a short, fast swing the speed can cross between the anchor and
     the next frame; a crossing before the anchor is not taken);
   * **height**: the heel's vertical velocity crosses zero upwards (the heel's lowest point),
     used only for a real heel landmark and when it lies within ``cue_agreement_s`` of the
     velocity cue; the strike is then the mean of both cues.

   When the refinement cannot be computed (the record ends), the anchor plus the median
   anchor-to-strike offset of the same record is used, or the anchor alone if there is none.
   Foot off keeps the toe anchor, whose bias is within a frame on the validation trials.
3. **Sequence checks.** Events of both sides must follow the cycle FS(L) -> FO(R) -> FS(R) ->
   FO(L) -> FS(L). Out-of-order events, events closer than ``min_step_time_s`` to the previous
   event of the same kind (or ``2 min_step_time_s`` for the same side) are dubious: of each
   conflicting pair the weaker extremum (smaller excursion) is dropped and counted in
   ``dropped_``. Missing events are never invented.

Front and oblique views: :class:`FootVelocityEventDetector`
------------------------------------------------------------
With no forward axis, a static camera still sees a planted foot stand still in the image.
Stance is where the heel (for foot strike) and toe (for foot off) image speed stays below
``speed_fraction`` of its robust peak (95th percentile) for at least ``min_stance_s``; the
strike is the start of a heel-still run and the foot off the end of a toe-still run. Not
validated against force plates; the result carries a warning saying so.

References
----------
Zeni, J. A., Richards, J. G., & Higginson, J. S. (2008). Two simple methods for determining
gait events during treadmill and overground walking using kinematic data. Gait Posture 27(4),
710-714.
Ghoussayni, S., Stevens, C., Durham, S., & Ewins, D. (2004). Assessment and validation of a
simple automated method for the detection of gait events and intervals. Gait Posture 20(3),
266-272.
Stenum, J., Rossi, C., & Roemmich, R. T. (2021). Two-dimensional video-based analysis of human
gait using pose estimation. PLoS Comput Biol 17(4), e1008935. (Zeni's method on side-view
pose tracks.)
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray
from scipy.signal import find_peaks, peak_prominences

from avnmotion.gait.geometry import SIDES, GaitCoordinates, gait_coordinates, runs
from avnmotion.kinematics import Kinematics
from avnmotion.result import GaitEvent
from avnmotion.track import PoseTrack

FloatArray = NDArray[np.float64]
Kind = Literal["foot_strike", "foot_off"]

#: Position of each event in the gait cycle, used for the sequence check.
CYCLE_ORDER: dict[tuple[str, str], int] = {
    ("left", "foot_strike"): 0,
    ("right", "foot_off"): 1,
    ("right", "foot_strike"): 2,
    ("left", "foot_off"): 3,
}
#: Typical share of the gait cycle from one event of :data:`CYCLE_ORDER` to the next
#: (double support about 10 %, single support about 40 %; Perry & Burnfield 2010).
CYCLE_FRACTIONS: tuple[float, float, float, float] = (0.1, 0.4, 0.1, 0.4)


@dataclass
class DetectedEvent:
    """An event with the evidence behind it (internal; exported as :class:`GaitEvent`)."""

    side: str
    kind: Kind
    time_s: float
    strength: float  # excursion of the extremum, leg lengths
    anchor_s: float  # time of the Zeni extremum
    refined: bool
    pass_id: int
    edge: bool = False  # anchor at the start of a run: the extremum precedes the data

    def to_model(self) -> GaitEvent:
        return GaitEvent(side=self.side, kind=self.kind, time_s=round(self.time_s, 4))  # type: ignore[arg-type]


def parabolic_offset(y: FloatArray, k: NDArray[np.intp]) -> FloatArray:
    """Sub-sample offset of extrema at indices ``k`` by a parabola through ``k-1, k, k+1``.

    Returns values in [-0.5, 0.5]; 0 where a neighbour is missing or the parabola is flat.
    """
    k = np.asarray(k, dtype=np.intp)
    out = np.zeros(k.size)
    ok = (k > 0) & (k < y.size - 1)
    if not np.any(ok):
        return out
    kk = k[ok]
    a, b, c = y[kk - 1], y[kk], y[kk + 1]
    den = a - 2.0 * b + c
    with np.errstate(invalid="ignore", divide="ignore"):
        d = np.where(np.abs(den) > 1e-12, 0.5 * (a - c) / den, 0.0)
    out[ok] = np.clip(np.nan_to_num(d), -0.5, 0.5)
    return out


def _time_at(t: FloatArray, position: FloatArray) -> FloatArray:
    """Times at fractional frame positions (linear between frames)."""
    return np.interp(position, np.arange(t.size), t)


def find_extrema(
    y: FloatArray, valid: NDArray[np.bool_], min_excursion: float, edge_excursion: float
) -> tuple[NDArray[np.intp], FloatArray]:
    """Local maxima of ``y`` inside runs of ``valid`` frames, with their excursion.

    A maximum is kept when it drops by at least ``min_excursion`` to the lowest point on one
    side (up to a higher maximum or the end of the run) and by at least ``edge_excursion`` on
    the other side, so maxima near the start or end of a run are kept when they are genuine
    turning points.

    Returns
    -------
    indices, excursion
        Frame indices and the larger of the two drops.
    """
    idx: list[int] = []
    exc: list[float] = []
    for a, b in runs(valid):
        if b - a < 3:
            continue
        seg = y[a:b]
        peaks, _ = find_peaks(seg)
        if peaks.size == 0:
            continue
        _, left_base, right_base = peak_prominences(seg, peaks)
        drop_l = seg[peaks] - seg[left_base]
        drop_r = seg[peaks] - seg[right_base]
        big = np.maximum(drop_l, drop_r)
        small = np.minimum(drop_l, drop_r)
        keep = (big >= min_excursion) & (small >= edge_excursion)
        idx.extend((peaks[keep] + a).tolist())
        exc.extend(big[keep].tolist())
    return np.asarray(idx, dtype=np.intp), np.asarray(exc, dtype=np.float64)


def _first_crossing(
    y: FloatArray, start: int, stop: int, level: float, rising: bool
) -> float | None:
    """Fractional index of the first crossing of ``level`` in ``y[start:stop]`` (or None)."""
    seg = y[start:stop]
    if seg.size < 2:
        return None
    a, b = seg[:-1], seg[1:]
    hit = (a < level) & (b >= level) if rising else (a > level) & (b <= level)
    hit &= np.isfinite(a) & np.isfinite(b)
    where = np.flatnonzero(hit)
    if where.size == 0:
        return None
    j = int(where[0])
    frac = (level - a[j]) / (b[j] - a[j]) if b[j] != a[j] else 0.0
    return start + j + float(frac)


def _nearest_crossing(
    t: FloatArray, y: FloatArray, start: int, stop: int, target_s: float
) -> float | None:
    """Time of the upward zero crossing of ``y`` in ``[start, stop)`` nearest ``target_s``."""
    seg = y[start:stop]
    if seg.size < 2:
        return None
    a, b = seg[:-1], seg[1:]
    where = np.flatnonzero((a < 0) & (b >= 0) & np.isfinite(a) & np.isfinite(b))
    if where.size == 0:
        return None
    frac = -a[where] / (b[where] - a[where])
    times = _time_at(t, start + where + frac)
    return float(times[np.argmin(np.abs(times - target_s))])


class ZeniEventDetector:
    """Foot strike and foot off from heel and toe positions relative to the pelvis.

    Side-view videos and 3-D tracks; see the module docstring for the method.

    Parameters
    ----------
    min_step_time_s
        Shortest plausible time between consecutive events of the same kind (opposite
        feet); same-side events must be at least twice this apart.
    min_excursion_leg_lengths
        Minimum excursion of the heel/toe-minus-pelvis signal around an extremum, in leg
        lengths (hip to ankle), on its interior side.
    edge_excursion_leg_lengths
        Minimum excursion on the other side (lets extrema close to a run's edge through).
    fs_speed_fraction
        Foot strike velocity cue: share of the swing peak heel speed.
    cue_agreement_s
        Foot strike height cue is used only within this time of the velocity cue.
    refine_window_s
        How far after the anchor the foot-strike cues are searched.

    Attributes
    ----------
    events_ : list[GaitEvent]
        Accepted events, sorted by time.
    detected_ : list[DetectedEvent]
        The same with evidence (anchor time, excursion, refinement used).
    dropped_ : int
        Number of candidate events dropped by the sequence checks.
    dropped_reasons_ : list[str]
        One line per dropped event.
    coords_ : GaitCoordinates
        The gait coordinates used.
    """

    def __init__(
        self,
        *,
        min_step_time_s: float = 0.25,
        min_excursion_leg_lengths: float = 0.12,
        edge_excursion_leg_lengths: float = 0.01,
        fs_speed_fraction: float = 0.15,
        cue_agreement_s: float = 0.06,
        refine_window_s: float = 0.3,
        use_heel_height: bool = True,
    ) -> None:
        self.use_heel_height = use_heel_height
        self.min_step_time_s = min_step_time_s
        self.min_excursion_leg_lengths = min_excursion_leg_lengths
        self.edge_excursion_leg_lengths = edge_excursion_leg_lengths
        self.fs_speed_fraction = fs_speed_fraction
        self.cue_agreement_s = cue_agreement_s
        self.refine_window_s = refine_window_s

    # -- public ----------------------------------------------------------------------------
    def detect(
        self,
        track: PoseTrack,
        kin: Kinematics | None = None,
        coords: GaitCoordinates | None = None,
    ) -> ZeniEventDetector:
        """Detect events; results in the trailing-underscore attributes. Returns ``self``."""
        c = coords if coords is not None else gait_coordinates(track, kin)
        self.coords_ = c
        candidates: list[DetectedEvent] = []
        if c.mode == "front" or not np.isfinite(c.leg_length) or c.t.size < 5:
            self._finish(candidates, [])
            return self
        for side in SIDES:
            candidates += self._side_events(c, side)
        kept, reasons = enforce_sequence(candidates, self.min_step_time_s)
        self._finish(kept, reasons)
        return self

    # -- internals -------------------------------------------------------------------------
    def _finish(self, kept: list[DetectedEvent], reasons: list[str]) -> None:
        kept = sorted(kept, key=lambda e: e.time_s)
        self.detected_ = kept
        self.events_ = [e.to_model() for e in kept]
        self.dropped_ = len(reasons)
        self.dropped_reasons_ = reasons

    def _side_events(self, c: GaitCoordinates, side: str) -> list[DetectedEvent]:
        t, fs, leg = c.t, c.fs, c.leg_length
        heel, heel_is_heel = c.foot(side, "heel")
        toe, _ = c.foot(side, "toe")
        x_heel = c.points[heel][:, 0]
        x_toe = c.points[toe][:, 0]
        out: list[DetectedEvent] = []
        min_exc = self.min_excursion_leg_lengths * leg
        edge_exc = self.edge_excursion_leg_lengths * leg
        for kind, y in (("foot_strike", x_heel), ("foot_off", -x_toe)):
            # Passes are separated by turn frames (pass_id -1), so runs never span two passes.
            valid = np.isfinite(y) & (c.pass_id >= 0)
            k, exc = find_extrema(y, valid, min_exc, edge_exc)
            pos = k + parabolic_offset(y, k)
            times = _time_at(t, pos)
            for ki, ti, ei in zip(k.tolist(), times.tolist(), exc.tolist(), strict=True):
                out.append(
                    DetectedEvent(
                        side=side,
                        kind=kind,  # type: ignore[arg-type]
                        time_s=ti,
                        strength=ei / leg,
                        anchor_s=ti,
                        refined=False,
                        pass_id=int(c.pass_id[ki]),
                    )
                )
            if kind == "foot_strike":
                out += self._edge_strikes(c, side, y, valid, set(k.tolist()), min_exc)
        self._refine_strikes(c, side, heel, heel_is_heel, out, fs)
        return [e for e in out if not e.edge or e.refined]

    def _edge_strikes(
        self,
        c: GaitCoordinates,
        side: str,
        y: FloatArray,
        valid: NDArray[np.bool_],
        interior: set[int],
        min_exc: float,
    ) -> list[DetectedEvent]:
        """Strike candidates whose heel extremum lies just before a run of valid frames.

        A run that starts with the heel moving back relative to the pelvis (by at least the
        minimum excursion before turning) starts in late swing or early stance: the landing
        may be inside the data. The candidate is kept only if the velocity cue finds the
        landing (see :meth:`_refine_strikes`).
        """
        out: list[DetectedEvent] = []
        for a, b in runs(valid):
            if b - a < 3 or y[a + 1] >= y[a]:
                continue
            seg = y[a:b]
            rising = np.flatnonzero(np.diff(seg) > 0)
            end = int(rising[0]) + 1 if rising.size else seg.size
            if seg[0] - np.min(seg[:end]) < min_exc or any(a <= i < a + end for i in interior):
                continue
            out.append(
                DetectedEvent(
                    side=side,
                    kind="foot_strike",
                    time_s=float(c.t[a]),
                    strength=float(seg[0] - np.min(seg[:end])) / c.leg_length,
                    anchor_s=float(c.t[a]),
                    refined=False,
                    pass_id=int(c.pass_id[a]),
                    edge=True,
                )
            )
        return out

    def _refine_strikes(
        self,
        c: GaitCoordinates,
        side: str,
        heel: str,
        heel_is_heel: bool,
        events: list[DetectedEvent],
        fs: float,
    ) -> None:
        t = c.t
        v = c.velocity[heel]
        speed = np.hypot(v[:, 0] - c.ground_velocity, v[:, 1])
        v_up = v[:, 1]
        window = max(2, round(self.refine_window_s * fs))
        swing = max(2, round(0.4 * fs))
        offsets: list[float] = []
        peaks: list[float] = []
        # Interior anchors first: their swing peaks are the reference for edge anchors.
        strikes = sorted(
            (e for e in events if e.kind == "foot_strike"), key=lambda e: (e.edge, e.anchor_s)
        )
        offs = sorted(e.time_s for e in events if e.kind == "foot_off")
        unrefined: list[DetectedEvent] = []
        for e in strikes:
            k = int(np.searchsorted(t, e.anchor_s))
            k = min(max(k, 0), t.size - 1)
            stop = min(t.size, k + window)
            # The foot cannot leave before it has landed: stop at the next foot off.
            nxt = [o for o in offs if o > e.anchor_s]
            if nxt:
                stop = min(stop, int(np.searchsorted(t, nxt[0])))
            same_pass = c.pass_id[k:stop] == e.pass_id
            if not np.all(same_pass):
                stop = k + int(np.argmin(same_pass))
            lo = max(0, k - swing)
            if e.edge:
                # The swing peak precedes the data: use this side's typical peak, and require
                # the heel to be still moving faster than the threshold at the start.
                peak = float(np.median(peaks)) if peaks else np.nan
                if not speed[k] > self.fs_speed_fraction * peak:
                    continue
            else:
                seg = speed[lo : k + 1]
                peak = float(np.nanmax(seg)) if np.any(np.isfinite(seg)) else np.nan
                if np.isfinite(peak):
                    peaks.append(peak)
            level = self.fs_speed_fraction * peak
            pos_v = (
                _first_crossing(speed, k, stop, level, rising=False) if np.isfinite(level) else None
            )
            if pos_v is None and np.isfinite(level) and k > 0 and speed[k] <= level:
                # After a short, fast swing the speed can cross between the anchor's frame
                # and the next one; a crossing before the anchor itself is not a landing.
                early = _first_crossing(speed, k - 1, k + 1, level, rising=False)
                if early is not None and _time_at(t, np.array([early]))[0] >= e.anchor_s:
                    pos_v = early
            if pos_v is None:
                if not e.edge:
                    unrefined.append(e)
                continue
            t_v = float(_time_at(t, np.array([pos_v]))[0])
            t_fs = t_v
            if heel_is_heel and self.use_heel_height:
                # The heel's lowest point may come a little before the anchor (treadmill).
                t_h = _nearest_crossing(t, v_up, max(0, k - window // 2), stop, t_v)
                if t_h is not None and abs(t_h - t_v) <= self.cue_agreement_s:
                    t_fs = 0.5 * (t_v + t_h)
            if not e.edge:
                offsets.append(t_fs - e.anchor_s)
            e.time_s = t_fs
            e.refined = True
        if offsets:
            median_offset = float(np.median(offsets))
            for e in unrefined:
                e.time_s = e.anchor_s + median_offset


def enforce_sequence(
    events: list[DetectedEvent], min_step_time_s: float
) -> tuple[list[DetectedEvent], list[str]]:
    """Drop dubious events so that both sides follow the gait cycle; see the module docs.

    Returns the kept events (sorted) and one reason line per dropped event.
    """
    reasons: list[str] = []
    kept = sorted(events, key=lambda e: e.time_s)

    def drop(a: DetectedEvent, b: DetectedEvent, why: str) -> None:
        loser = a if a.strength < b.strength else b
        kept.remove(loser)
        reasons.append(
            f"{loser.side} {loser.kind.replace('_', ' ')} at {loser.time_s:.3f} s: {why}"
        )

    # 1. Same side and kind too close: at most one per stride.
    changed = True
    while changed:
        changed = False
        for side in SIDES:
            for kind in ("foot_strike", "foot_off"):
                same = [e for e in kept if e.side == side and e.kind == kind]
                for a, b in itertools.pairwise(same):
                    if b.time_s - a.time_s < 2.0 * min_step_time_s:
                        drop(a, b, f"closer than {2 * min_step_time_s:.2f} s to another")
                        changed = True
                        break
                if changed:
                    break
            if changed:
                break
    # 2. Cycle order within each pass, judged against the typical stride time.
    stride = _median_stride(kept)
    changed = True
    while changed:
        changed = False
        for a, b in itertools.pairwise(kept):
            if a.pass_id != b.pass_id:
                continue
            step = (CYCLE_ORDER[(b.side, b.kind)] - CYCLE_ORDER[(a.side, a.kind)]) % 4
            gap = b.time_s - a.time_s
            if step == 0:
                drop(a, b, "repeats the previous event without the events between")
                changed = True
                break
            if stride is not None:
                phase = CYCLE_ORDER[(a.side, a.kind)]
                expected = sum(CYCLE_FRACTIONS[(phase + i) % 4] for i in range(step)) * stride
                # A gap far shorter than the phases it skips means the order is wrong.
                if gap < 0.5 * expected - 0.5 * CYCLE_FRACTIONS[phase] * stride:
                    drop(a, b, "out of the gait-cycle order")
                    changed = True
                    break
    return kept, reasons


def _median_stride(events: list[DetectedEvent]) -> float | None:
    gaps: list[float] = []
    for side in SIDES:
        strikes = [e for e in events if e.side == side and e.kind == "foot_strike"]
        for a, b in itertools.pairwise(strikes):
            if a.pass_id == b.pass_id:
                gaps.append(b.time_s - a.time_s)
    return float(np.median(gaps)) if gaps else None


class FootVelocityEventDetector:
    """Foot strike and foot off from foot stillness in the image (front or oblique views).

    Parameters
    ----------
    speed_fraction
        A foot is still while its image speed is below this share of its 95th-percentile
        speed.
    min_stance_s
        Shortest still run accepted as a stance phase.
    min_step_time_s
        As for :class:`ZeniEventDetector`.

    Attributes
    ----------
    events_, detected_, dropped_, dropped_reasons_, coords_
        As for :class:`ZeniEventDetector`.
    """

    def __init__(
        self,
        *,
        speed_fraction: float = 0.15,
        min_stance_s: float = 0.2,
        min_step_time_s: float = 0.25,
    ) -> None:
        self.speed_fraction = speed_fraction
        self.min_stance_s = min_stance_s
        self.min_step_time_s = min_step_time_s

    def detect(
        self,
        track: PoseTrack,
        kin: Kinematics | None = None,
        coords: GaitCoordinates | None = None,
    ) -> FootVelocityEventDetector:
        c = coords if coords is not None else gait_coordinates(track, kin)
        self.coords_ = c
        candidates: list[DetectedEvent] = []
        t = c.t
        fs = c.fs if t.size > 1 else 0.0
        min_len = max(2, round(self.min_stance_s * fs))
        for side in SIDES:
            for part, kind in (("heel", "foot_strike"), ("toe", "foot_off")):
                name, _ = c.foot(side, part)  # type: ignore[arg-type]
                v = c.velocity[name]
                # Vertical and lateral image motion (the forward axis is not observable).
                speed = np.hypot(v[:, 1], np.nan_to_num(v[:, 2]))
                if not np.any(np.isfinite(speed)):
                    continue
                ref = float(np.nanpercentile(speed, 95))
                if ref <= 0:
                    continue
                still = speed < self.speed_fraction * ref
                for a, b in runs(still & np.isfinite(speed)):
                    if b - a < min_len:
                        continue
                    # Only runs bounded by movement on both sides are complete stances.
                    if kind == "foot_strike" and a > 0 and np.isfinite(speed[a - 1]):
                        pos = _first_crossing(speed, a - 1, a + 1, self.speed_fraction * ref, False)
                        ti = float(_time_at(t, np.array([pos if pos is not None else a]))[0])
                    elif kind == "foot_off" and b < t.size and np.isfinite(speed[b]):
                        pos = _first_crossing(speed, b - 1, b + 1, self.speed_fraction * ref, True)
                        ti = float(_time_at(t, np.array([pos if pos is not None else b]))[0])
                    else:
                        continue
                    candidates.append(
                        DetectedEvent(side, kind, ti, float(b - a) / fs, ti, True, 0)  # type: ignore[arg-type]
                    )
        kept, reasons = enforce_sequence(candidates, self.min_step_time_s)
        kept = sorted(kept, key=lambda e: e.time_s)
        self.detected_ = kept
        self.events_ = [e.to_model() for e in kept]
        self.dropped_ = len(reasons)
        self.dropped_reasons_ = reasons
        return self


def detect_events(
    track: PoseTrack, kin: Kinematics | None = None, **settings: Any
) -> ZeniEventDetector | FootVelocityEventDetector:
    """Pick the detector for the view (3-D and side: Zeni; front/oblique: foot velocity)."""
    coords = gait_coordinates(track, kin)
    if coords.mode == "front":
        allowed = {"speed_fraction", "min_stance_s", "min_step_time_s"}
        return FootVelocityEventDetector(
            **{k: v for k, v in settings.items() if k in allowed}
        ).detect(track, kin, coords)
    return ZeniEventDetector(**settings).detect(track, kin, coords)


def events_by_side(events: list[GaitEvent]) -> dict[tuple[str, str], list[float]]:
    """``{(side, kind): [times]}`` from a list of events."""
    out: dict[tuple[str, str], list[float]] = {}
    for e in events:
        out.setdefault((e.side, e.kind), []).append(e.time_s)
    return out
