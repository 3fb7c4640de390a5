"""Temporal-spatial gait parameters per step and per stride, summarised per side.

Definitions (A the reference side, B the other side; a stride of A runs from one foot strike of
A to the next, ``FS_A -> FO_B -> FS_B -> FO_A -> FS_A'``):

=====================  ====================================================================
stride time            ``FS_A' - FS_A``
stance time            ``FO_A - FS_A``
swing time             ``FS_A' - FO_A``
double support         initial ``FO_B - FS_A`` plus terminal ``FO_A - FS_B``
single support         ``FS_B - FO_B`` (B swings while A carries the body), i.e. B's swing
% of cycle             each of the above divided by the stride time, x 100
step time              a step is named after the foot that lands: step A is ``FS_A - FS_B``
                       (the previous strike of B)
step length            at ``FS_A``, the distance along the walking direction from B's heel to
                       A's heel
step width             3-D: lateral distance between the planted heels (this heel at
                       ``FS_A``, the other at ``FS_B``); front view: lateral image distance
                       between the heels at ``FS_A`` divided by that frame's hip-to-ankle
                       distance (both scale alike with the distance to the camera), so in
                       leg lengths, and in metres only with the height
cadence                60 / median step time within passes, steps per minute
gait speed             mean stride length (sum of two consecutive step lengths) / mean stride
                       time; this also holds on a treadmill, where the pelvis does not move
=====================  ====================================================================

Stance, swing and single-support *times* come from phases: two consecutive events of one foot
in one walking pass (``FS_A -> FO_A`` is a stance, ``FO_A -> FS_A`` a swing; A's single
support is B's swing). A phase needs only its own two events, so a missed event of the other
foot does not lose it. A phase is kept when

* it lies within 35-90 % (stance) or 10-65 % (swing) of the median stride time;
* it starts at least a quarter stride after the first frame of its pass (an earlier one
  began during the turn);
* side-view video: it lies in the pass's cruising part (not slowing into or speeding out of
  a turn), and it is the near leg's when each side has at least three near stance and swing
  phases (MediaPipe guesses the hidden far leg; see :func:`near_leg_phases`).

On the rendered walkway clips (12 passes) these rules took the stance SI from -4.4 / -13.2 %
(all phases) to -1.7 / -7.6 % for a true -0.0 / -10.0 % (-0.8 / -7.3 % after the leg-crossing
rule of :mod:`avnmotion.integrity`). Complete strides have exactly one
event of each kind between their two strikes, all in the same walking pass; only they give
the double support and the shares of the cycle (% of stride time). A complete stride whose
stance is outside 35-90 % of its cycle or whose single support is not positive (a spurious
or missed event that still fits the order) is not plausible walking: it is left out of the
phase summaries and named in ``notes``. Steps need both strikes in the same pass and a step
time below ``max_step_time_s``; a step whose landing heel is less than 0.1 leg lengths
ahead of the other is left out of the step lengths, with a note.

Units. 3-D tracks give metres. Video gives pixels, converted to metres only when the subject's
height is known: the extended hip-to-ankle distance in pixels (90th percentile over frames)
is taken as ``0.491 x height`` (thigh 0.245 H plus shank 0.246 H; Drillis & Contini 1966 as
tabulated by Winter 2009). Without a height, lengths are given in leg lengths (the same
extended hip-to-ankle distance) only. Step width needs 3-D or a front view; the front-view
value is approximate (the feet are at different distances from the camera, about 10 %).

References
----------
Winter, D. A. (2009). Biomechanics and Motor Control of Human Movement, 4th ed., table 4.1.
Perry, J., & Burnfield, J. M. (2010). Gait Analysis: Normal and Pathological Function, 2nd ed.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from avnmotion.gait.events import DetectedEvent
from avnmotion.gait.geometry import SIDES, GaitCoordinates
from avnmotion.kinematics import Kinematics
from avnmotion.result import SideSummary

FloatArray = NDArray[np.float64]

#: Hip joint to ankle as a share of body height (thigh 0.245 + shank 0.246; Winter 2009).
LEG_LENGTH_PER_HEIGHT = 0.491


def other(side: str) -> str:
    return "right" if side == "left" else "left"


@dataclass
class Stride:
    """One stride of ``side`` (from a foot strike to the next of the same foot)."""

    side: str
    start_s: float
    end_s: float
    pass_id: int
    complete: bool
    foot_off_s: float | None = None  # this side's foot off
    other_off_s: float | None = None  # contralateral foot off (end of initial double support)
    other_strike_s: float | None = None  # contralateral foot strike

    @property
    def stride_time_s(self) -> float:
        return self.end_s - self.start_s

    def phases(self) -> dict[str, float | None]:
        """Phase durations (s) and shares of the cycle (%) of a complete stride."""
        if not self.complete:
            return {"stride_time_s": self.stride_time_s}
        assert self.foot_off_s is not None and self.other_off_s is not None
        assert self.other_strike_s is not None
        T = self.stride_time_s
        stance = self.foot_off_s - self.start_s
        swing = self.end_s - self.foot_off_s
        single = self.other_strike_s - self.other_off_s
        double = (self.other_off_s - self.start_s) + (self.foot_off_s - self.other_strike_s)
        return {
            "stride_time_s": T,
            "stance_time_s": stance,
            "swing_time_s": swing,
            "single_support_time_s": single,
            "double_support_time_s": double,
            "stance_pct_cycle": 100.0 * stance / T,
            "swing_pct_cycle": 100.0 * swing / T,
            "single_support_pct_cycle": 100.0 * single / T,
            "double_support_pct_cycle": 100.0 * double / T,
        }


@dataclass
class Step:
    """A step, named after the foot that lands at ``end_s``."""

    side: str
    start_s: float  # the other foot's strike
    end_s: float  # this foot's strike
    pass_id: int
    length: float | None = None  # coordinate units (m or px)
    width: float | None = None  # leg lengths

    @property
    def step_time_s(self) -> float:
        return self.end_s - self.start_s


@dataclass
class Phase:
    """A stance (``FS -> FO``) or swing (``FO -> FS``) of one foot, from two consecutive
    events of that foot in one walking pass."""

    side: str
    kind: str  # "stance" or "swing"
    start_s: float
    end_s: float
    pass_id: int

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s


@dataclass
class GaitParameters:
    """Steps, strides and per-side summaries; see the module docstring."""

    steps: list[Step]
    strides: list[Stride]
    summaries: dict[str, SideSummary]
    cadence_steps_per_min: float | None
    gait_speed_m_per_s: float | None
    gait_speed_leg_lengths_per_s: float | None
    metres_per_unit: float | None
    leg_length: float
    notes: list[str] = field(default_factory=list)
    phases: list[Phase] = field(default_factory=list)
    #: True when ``phases`` hold only the near leg's (side-view video): left and right
    #: phases then come from alternate passes.
    phases_near_only: bool = False

    @property
    def n_complete_strides(self) -> int:
        return sum(1 for s in self.strides if s.complete)


#: Stance share of the gait cycle (%) outside which a stride is not plausible walking (a
#: missed or spurious event): normal walking is about 60 %, slow pathological gait up to 80 %
#: (Perry & Burnfield 2010).
STANCE_PCT_RANGE: tuple[float, float] = (35.0, 90.0)


def _plausible(s: Stride) -> bool:
    ph = s.phases()
    pct = ph.get("stance_pct_cycle")
    single = ph.get("single_support_time_s")
    return (
        pct is not None
        and STANCE_PCT_RANGE[0] <= pct <= STANCE_PCT_RANGE[1]
        and single is not None
        and single > 0
    )


def build_strides(events: list[DetectedEvent], max_stride_time_s: float = 3.0) -> list[Stride]:
    """Strides per side from sorted events (complete when the cycle's events are all there)."""
    strides: list[Stride] = []
    ev = sorted(events, key=lambda e: e.time_s)
    for side in SIDES:
        strikes = [e for e in ev if e.side == side and e.kind == "foot_strike"]
        for a, b in itertools.pairwise(strikes):
            if a.pass_id != b.pass_id or b.time_s - a.time_s > max_stride_time_s:
                continue
            inside = [e for e in ev if a.time_s < e.time_s < b.time_s]
            own_off = [e for e in inside if e.side == side and e.kind == "foot_off"]
            o_off = [e for e in inside if e.side != side and e.kind == "foot_off"]
            o_fs = [e for e in inside if e.side != side and e.kind == "foot_strike"]
            complete = (
                len(own_off) == 1
                and len(o_off) == 1
                and len(o_fs) == 1
                and o_off[0].time_s < o_fs[0].time_s < own_off[0].time_s
                and all(e.pass_id == a.pass_id for e in inside)
            )
            strides.append(
                Stride(
                    side=side,
                    start_s=a.time_s,
                    end_s=b.time_s,
                    pass_id=a.pass_id,
                    complete=complete,
                    foot_off_s=own_off[0].time_s if complete else None,
                    other_off_s=o_off[0].time_s if complete else None,
                    other_strike_s=o_fs[0].time_s if complete else None,
                )
            )
    return sorted(strides, key=lambda s: s.start_s)


#: Shortest plausible step length, in leg lengths (slow pathological gait still reaches
#: about 0.3).
MIN_STEP_LENGTH_LEG_LENGTHS = 0.1

#: Swing share of the gait cycle (%) outside which a swing is not plausible walking.
SWING_PCT_RANGE: tuple[float, float] = (10.0, 65.0)
#: Phases starting this soon (in typical stride times) after the first frame of their pass
#: began during the turn and are left out of the phase times.
PASS_EDGE_STRIDES = 0.25


def build_phases(
    events: list[DetectedEvent],
    typical_stride_s: float | None,
    pass_bounds_s: dict[int, tuple[float, float]] | None = None,
    cruising: Callable[[float], bool] | None = None,
) -> list[Phase]:
    """Stance and swing of each foot from consecutive events of that foot (see module docs).

    A phase needs only its two bounding events, not the whole stride, so a missed event of
    the *other* foot does not lose it. Phases that start within :data:`PASS_EDGE_STRIDES` of
    a stride after the first frame of their pass (``pass_bounds_s``) are left out: they began
    with the last step of the turn (on the rendered walkway clips and simulated walks such
    stances read 30-80 ms short; on simulated antalgic walks leaving them out moved the
    side-view stance SI about 1 point closer to the truth, 3-D about 0.5). Phases outside
    :data:`STANCE_PCT_RANGE` or :data:`SWING_PCT_RANGE` of the typical stride time are left
    out (a missed event of the same foot makes a phase span a whole stride and more), and
    so are phases that start or end outside ``cruising`` time (side-view video: the slow ends
    of a pass, see :func:`avnmotion.gait.geometry.gait_coordinates`).
    """
    if typical_stride_s is None or typical_stride_s <= 0:
        return []
    limits = {"stance": STANCE_PCT_RANGE, "swing": SWING_PCT_RANGE}
    margin = PASS_EDGE_STRIDES * typical_stride_s
    bounds = pass_bounds_s or {}
    phases: list[Phase] = []
    ev = sorted(events, key=lambda e: e.time_s)
    for side in SIDES:
        own = [e for e in ev if e.side == side]
        for a, b in itertools.pairwise(own):  # loop over events, not frames
            if a.pass_id != b.pass_id or a.kind == b.kind:
                continue
            if a.time_s - bounds.get(a.pass_id, (-np.inf, np.inf))[0] < margin:
                continue
            if cruising is not None and not (cruising(a.time_s) and cruising(b.time_s)):
                continue
            kind = "stance" if a.kind == "foot_strike" else "swing"
            lo, hi = limits[kind]
            pct = 100.0 * (b.time_s - a.time_s) / typical_stride_s
            if lo <= pct <= hi:
                phases.append(Phase(side, kind, a.time_s, b.time_s, a.pass_id))
    return sorted(phases, key=lambda p: p.start_s)


#: Near-leg phases needed per side and kind before the far leg's are left out.
MIN_NEAR_PHASES = 3


def near_leg_phases(phases: list[Phase], coords: GaitCoordinates) -> tuple[list[Phase], str]:
    """Side-view video: keep the phases of the leg nearer the camera, and say so.

    MediaPipe guesses the hidden far leg, and its events are biased by the view: on the
    rendered walkway clips (12 passes) far-leg stances read 20-60 ms off in a direction
    that depends on the walking direction, and the far leg's phases outnumbered the near
    leg's up to 3 to 1, so pooling them pulled the stance SI 3-4 points from the truth
    (near legs only: within 2.5 points). Each side is the near one on every other pass of a
    walk back and forth. Kept only when every side has :data:`MIN_NEAR_PHASES` near stance
    and swing phases; otherwise all phases are used, with a note.
    """
    if coords.facing_sign is None or not phases:
        return phases, ""
    near = [p for p in phases if coords.near_side(p.start_s) == p.side]
    enough = all(
        sum(1 for p in near if p.side == side and p.kind == kind) >= MIN_NEAR_PHASES
        for side in SIDES
        for kind in ("stance", "swing")
    )
    if not enough:
        return phases, (
            "side view: too few near-leg phases to leave out the far leg's "
            f"({len(near)} of {len(phases)}); stance, swing and single support use both"
        )
    return near, (
        f"side view: stance, swing and single support from the near leg's phases only "
        f"({len(near)} of {len(phases)}); the far leg is partly hidden"
    )


def pass_bounds(coords: GaitCoordinates) -> dict[int, tuple[float, float]]:
    """First and last frame time of each walking pass."""
    out: dict[int, tuple[float, float]] = {}
    for k in np.unique(coords.pass_id[coords.pass_id >= 0]).tolist():
        t = coords.t[coords.pass_id == k]
        out[int(k)] = (float(t[0]), float(t[-1]))
    return out


def build_steps(
    events: list[DetectedEvent], coords: GaitCoordinates, max_step_time_s: float = 1.5
) -> list[Step]:
    """Steps between consecutive opposite-side strikes of the same pass, with lengths."""
    strikes = sorted((e for e in events if e.kind == "foot_strike"), key=lambda e: e.time_s)
    steps: list[Step] = []
    for a, b in itertools.pairwise(strikes):
        if a.side == b.side or a.pass_id != b.pass_id:
            continue
        if b.time_s - a.time_s > max_step_time_s:
            continue
        length, width = _step_geometry(coords, b.side, b.time_s, a.time_s)
        steps.append(Step(b.side, a.time_s, b.time_s, b.pass_id, length, width))
    return steps


def _at(coords: GaitCoordinates, name: str, time_s: float, axis: int) -> float:
    values = coords.points[name][:, axis]
    ok = np.isfinite(values)
    if not np.any(ok):
        return float("nan")
    # Linear interpolation between the frames around the (sub-frame) event time.
    k = int(np.searchsorted(coords.t, time_s))
    lo, hi = max(0, k - 1), min(coords.t.size, k + 1)
    if not np.all(ok[lo:hi]):
        return float("nan")
    return float(np.interp(time_s, coords.t[lo:hi], values[lo:hi]))


def _step_geometry(
    coords: GaitCoordinates, side: str, time_s: float, previous_s: float
) -> tuple[float | None, float | None]:
    """Step length (heel to heel along the walking direction at this strike) and width.

    Width (3-D only) is the lateral distance between the planted heels: this foot's heel at
    its strike and the other heel at its own (previous) strike, across the walking direction
    at this strike.
    """
    lead, _ = coords.foot(side, "heel")
    trail, _ = coords.foot(other(side), "heel")
    length = width = None
    leg = coords.leg_length
    if coords.mode in ("3d", "side"):
        d = _at(coords, lead, time_s, 0) - _at(coords, trail, time_s, 0)
        length = d if np.isfinite(d) else None
    if coords.mode == "3d" and coords.lateral_axis is not None and lead in coords.world:
        a = np.array([_interp_world(coords, lead, time_s, i) for i in range(3)])
        b = np.array([_interp_world(coords, trail, previous_s, i) for i in range(3)])
        k = min(int(np.searchsorted(coords.t, time_s)), coords.t.size - 1)
        w = abs(float(np.dot(a - b, coords.lateral_axis[k]))) / leg
        width = w if np.isfinite(w) else None
    elif coords.mode == "front":
        k = min(int(np.searchsorted(coords.t, time_s)), coords.t.size - 1)
        legs = [
            np.linalg.norm(coords.points[f"{s}_ankle"][k, 1:] - coords.points[f"{s}_hip"][k, 1:])
            for s in SIDES
        ]
        frame_leg = float(np.nanmax(legs)) if np.any(np.isfinite(legs)) else float("nan")
        d = abs(_at(coords, lead, time_s, 2) - _at(coords, trail, time_s, 2))
        w = d / frame_leg if frame_leg > 0 else float("nan")
        width = w if np.isfinite(w) else None
    return length, width


def _interp_world(coords: GaitCoordinates, name: str, time_s: float, axis: int) -> float:
    values = coords.world[name][:, axis]
    k = int(np.searchsorted(coords.t, time_s))
    lo, hi = max(0, k - 1), min(coords.t.size, k + 1)
    if not np.all(np.isfinite(values[lo:hi])):
        return float("nan")
    return float(np.interp(time_s, coords.t[lo:hi], values[lo:hi]))


def _mean_sd(values: list[float]) -> tuple[float | None, float | None]:
    arr = np.asarray([v for v in values if v is not None and np.isfinite(v)], dtype=np.float64)
    if arr.size == 0:
        return None, None
    sd = float(np.std(arr, ddof=1)) if arr.size > 1 else None
    return float(np.mean(arr)), sd


def _r(x: float | None, nd: int = 4) -> float | None:
    return None if x is None else round(float(x), nd)


def hip_stride_measures(
    kin: Kinematics | None, stride: Stride
) -> tuple[float | None, float | None]:
    """Hip flexion excursion (max - min) over the stride and peak extension in its stance.

    Peak extension is ``-min(hip flexion)`` during stance (positive = extension past neutral);
    None when the angle is unavailable or more than 20 % of the samples are missing.
    """
    if kin is None:
        return None, None
    name = f"{stride.side}_hip_flexion_deg"
    if name in kin.unavailable or name not in kin.angles_deg:
        return None, None
    t = kin.timestamps_s
    sel = (t >= stride.start_s) & (t <= stride.end_s)
    a = kin.angles_deg[name][sel]
    if a.size < 3 or np.mean(np.isfinite(a)) < 0.8:
        return None, None
    excursion = float(np.nanmax(a) - np.nanmin(a))
    peak_ext = None
    if stride.complete and stride.foot_off_s is not None:
        st = (t >= stride.start_s) & (t <= stride.foot_off_s)
        b = kin.angles_deg[name][st]
        if b.size and np.any(np.isfinite(b)):
            peak_ext = float(-np.nanmin(b))
    return excursion, peak_ext


def compute_parameters(
    events: list[DetectedEvent],
    coords: GaitCoordinates,
    kin: Kinematics | None = None,
    *,
    height_m: float | None = None,
    max_stride_time_s: float = 3.0,
) -> GaitParameters:
    """Steps, strides and per-side summaries from detected events.

    Parameters
    ----------
    events
        Accepted events (``ZeniEventDetector.detected_``).
    coords
        The gait coordinates the events were detected on.
    kin
        Kinematics, for hip excursion and peak hip extension per stride.
    height_m
        Subject height: converts video pixels to metres (see the module docstring).
    max_stride_time_s
        Longer gaps between strikes of one foot are pauses, not strides.
    """
    notes: list[str] = []
    strides = build_strides(events, max_stride_time_s)
    implausible = [s for s in strides if s.complete and not _plausible(s)]
    for s in implausible:
        s.complete = False
    if implausible:
        times = ", ".join(f"{s.side} at {s.start_s:.2f} s" for s in implausible)
        notes.append(
            f"{len(implausible)} stride(s) left out of the phase summaries: stance outside "
            f"{STANCE_PCT_RANGE[0]:.0f}-{STANCE_PCT_RANGE[1]:.0f} % of the cycle ({times})"
        )
    steps = build_steps(events, coords, max_step_time_s=max_stride_time_s / 2)
    # A landing heel not ahead of the other heel is not a forward step: a misplaced event or
    # a mislabelled far leg (on the rendered walkway clips such steps read -0.9 to +0.05 leg
    # lengths where the truth was 0.8-0.9).
    backward = [
        step
        for step in steps
        if coords.mode != "front"
        and step.length is not None
        and np.isfinite(coords.leg_length)
        and step.length < MIN_STEP_LENGTH_LEG_LENGTHS * coords.leg_length
    ]
    for step in backward:
        step.length = None
    if backward:
        times = ", ".join(f"{b.side} at {b.end_s:.2f} s" for b in backward)
        notes.append(
            f"{len(backward)} step(s) left out of the step lengths: the landing heel was less "
            f"than {MIN_STEP_LENGTH_LEG_LENGTHS:g} leg lengths ahead of the other ({times})"
        )
    stride_times = [s.stride_time_s for s in strides]
    typical = (
        float(np.median(stride_times))
        if stride_times
        else 2.0 * float(np.median([s.step_time_s for s in steps]))
        if steps
        else None
    )
    phases = build_phases(events, typical, pass_bounds(coords), coords.is_cruising)
    n_all = len(phases)
    phases, note = near_leg_phases(phases, coords)
    if note:
        notes.append(note)
    near_only = len(phases) < n_all
    leg = coords.leg_length
    if coords.units == "m":
        m_per_unit: float | None = 1.0
    elif height_m is not None and np.isfinite(leg) and leg > 0:
        m_per_unit = LEG_LENGTH_PER_HEIGHT * height_m / leg
        notes.append(
            f"pixels converted to metres from the leg length ({leg:.0f} px = "
            f"{LEG_LENGTH_PER_HEIGHT} x {height_m:.2f} m)"
        )
    else:
        m_per_unit = None
        if coords.mode == "side":
            notes.append("no height given: step lengths are in leg lengths only")

    # Leg length in metres: widths are stored in leg lengths.
    leg_m = leg * m_per_unit if m_per_unit is not None and np.isfinite(leg) else None
    if coords.mode == "front" and height_m is not None:
        leg_m = LEG_LENGTH_PER_HEIGHT * height_m
    summaries: dict[str, SideSummary] = {}
    for side in SIDES:
        own = [s for s in strides if s.side == side]
        comp = [s for s in own if s.complete]
        ph = [s.phases() for s in comp]
        st = [s for s in steps if s.side == side]
        hips = [hip_stride_measures(kin, s) for s in own]

        def col(key: str, rows: list[dict[str, float | None]] = ph) -> list[float]:
            return [r[key] for r in rows if r.get(key) is not None]  # type: ignore[misc]

        step_t, step_t_sd = _mean_sd([s.step_time_s for s in st])
        stride_t, stride_t_sd = _mean_sd([s.stride_time_s for s in own])
        # Stance and swing of this foot, and single support (the other foot's swing), from
        # every phase with both of its events, not only from complete strides.
        stance_ph = [p.duration_s for p in phases if p.side == side and p.kind == "stance"]
        swing_ph = [p.duration_s for p in phases if p.side == side and p.kind == "swing"]
        single_ph = [p.duration_s for p in phases if p.side != side and p.kind == "swing"]
        stance, stance_sd = _mean_sd(stance_ph)
        lengths = [s.length for s in st if s.length is not None]
        widths = [s.width for s in st if s.width is not None]
        length_units, _ = _mean_sd(lengths)
        width_units, _ = _mean_sd(widths)
        summaries[side] = SideSummary(
            n_strides=len(comp),
            step_time_s=_r(step_t),
            step_time_sd_s=_r(step_t_sd),
            stride_time_s=_r(stride_t),
            stride_time_sd_s=_r(stride_t_sd),
            stance_time_s=_r(stance),
            stance_time_sd_s=_r(stance_sd),
            n_stance_phases=len(stance_ph),
            n_swing_phases=len(swing_ph),
            swing_time_s=_r(_mean_sd(swing_ph)[0]),
            single_support_time_s=_r(_mean_sd(single_ph)[0]),
            double_support_time_s=_r(_mean_sd(col("double_support_time_s"))[0]),
            stance_pct_cycle=_r(_mean_sd(col("stance_pct_cycle"))[0], 2),
            swing_pct_cycle=_r(_mean_sd(col("swing_pct_cycle"))[0], 2),
            single_support_pct_cycle=_r(_mean_sd(col("single_support_pct_cycle"))[0], 2),
            double_support_pct_cycle=_r(_mean_sd(col("double_support_pct_cycle"))[0], 2),
            step_length_m=_r(length_units * m_per_unit)
            if length_units is not None and m_per_unit is not None
            else None,
            step_length_leg_lengths=_r(length_units / leg)
            if length_units is not None and np.isfinite(leg) and leg > 0
            else None,
            step_width_m=_r(width_units * leg_m) if width_units is not None and leg_m else None,
            hip_excursion_deg=_r(_mean_sd([h[0] for h in hips if h[0] is not None])[0], 2),
            peak_hip_extension_deg=_r(_mean_sd([h[1] for h in hips if h[1] is not None])[0], 2),
        )

    all_steps = [s.step_time_s for s in steps]
    # Median, not mean: a missed event or a slower step into a turn makes a few long steps,
    # and cadence is a steady-state straight-walking measure.
    cadence = 60.0 / float(np.median(all_steps)) if all_steps else None
    speed_units = _gait_speed(steps, strides)
    return GaitParameters(
        steps=steps,
        strides=strides,
        summaries=summaries,
        cadence_steps_per_min=_r(cadence, 2),
        gait_speed_m_per_s=_r(speed_units * m_per_unit)
        if speed_units is not None and m_per_unit is not None
        else None,
        gait_speed_leg_lengths_per_s=_r(speed_units / leg)
        if speed_units is not None and np.isfinite(leg) and leg > 0
        else None,
        metres_per_unit=m_per_unit,
        leg_length=leg,
        notes=notes,
        phases=phases,
        phases_near_only=near_only,
    )


def _gait_speed(steps: list[Step], strides: list[Stride]) -> float | None:
    """Mean stride length over mean stride time (coordinate units per second)."""
    stride_lengths: list[float] = []
    for a, b in itertools.pairwise(steps):
        consecutive = a.pass_id == b.pass_id and a.side != b.side and a.end_s == b.start_s
        if consecutive and a.length is not None and b.length is not None:
            stride_lengths.append(a.length + b.length)
    times = [s.stride_time_s for s in strides]
    if not stride_lengths or not times:
        return None
    return float(np.mean(stride_lengths) / np.mean(times))


def tables(
    params: GaitParameters, kin: Kinematics | None = None, *, phase_times: bool = True
) -> dict[str, Any]:
    """Per-step, per-stride and per-phase tables for ``GaitResult.details`` (JSON-able).

    ``phase_times=False`` (front view) leaves out every time that depends on when a foot
    landed or left the ground: step times, the strides' phases and the phase table.
    """
    m = params.metres_per_unit
    leg = params.leg_length
    step_rows = []
    for s in params.steps:
        row: dict[str, Any] = {
            "side": s.side,
            "start_s": _r(s.start_s),
            "end_s": _r(s.end_s),
        }
        if phase_times:
            row["step_time_s"] = _r(s.step_time_s)
        if s.length is not None:
            row["step_length_leg_lengths"] = _r(s.length / leg) if leg > 0 else None
            row["step_length_m"] = _r(s.length * m) if m is not None else None
        if s.width is not None:
            row["step_width_leg_lengths"] = _r(s.width)
            if m is not None:
                row["step_width_m"] = _r(s.width * leg * m)
        step_rows.append(row)
    stride_rows = []
    for sr in params.strides:
        row = {
            "side": sr.side,
            "start_s": _r(sr.start_s),
            "end_s": _r(sr.end_s),
            "complete": sr.complete,
        }
        if phase_times:
            row.update({k: _r(v, 4) for k, v in sr.phases().items()})
        exc, ext = hip_stride_measures(kin, sr)
        if exc is not None:
            row["hip_excursion_deg"] = _r(exc, 2)
        if ext is not None:
            row["peak_hip_extension_deg"] = _r(ext, 2)
        stride_rows.append(row)
    phase_rows = [
        {
            "side": p.side,
            "phase": p.kind,
            "start_s": _r(p.start_s),
            "end_s": _r(p.end_s),
            "duration_s": _r(p.duration_s),
        }
        for p in (params.phases if phase_times else [])
    ]
    return {"steps": step_rows, "strides": stride_rows, "phases": phase_rows}
