"""ROM tests and function tests: turning counted reps and signals into a ``test_result``.

Each result carries the measured value with its unit, how it was measured, the normative
reference(s) from the definition, and — because the protocol holds no age or sex — the whole
normative table to compare with rather than a verdict.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from avnmotion.exercises.counting import CountResult, RepShape, mask_intervals, smooth
from avnmotion.exercises.registry import ExerciseDefinition
from avnmotion.exercises.signals import foot_lift_leg_lengths, get_signal, standing_on
from avnmotion.kinematics import UNCERTAINTY_DEG, Kinematics
from avnmotion.track import PoseTrack

FloatArray = NDArray[np.float64]

SUSTAIN_S = 0.25
FOOT_LIFT_STANCE = 0.05
AGE_NOTE = "patient age and sex are not recorded: compare with the matching row"


@dataclass
class Counted:
    """One counted channel: its label, count result and per-event shapes."""

    channel: str
    result: CountResult
    shapes: dict[int, RepShape] = field(default_factory=dict)  # event start_index -> shape


@dataclass
class TestContext:
    __test__ = False  # not a pytest class
    definition: ExerciseDefinition
    t: FloatArray
    kin: Kinematics
    track: PoseTrack
    rate_hz: float
    sides: list[str]
    counted: list[Counted]
    warnings: list[str]


def _refs(d: ExerciseDefinition) -> list[dict[str, Any]]:
    return [r.as_dict() for r in d.test.references] if d.test else []


def sustained_peak(t: FloatArray, y: FloatArray, sustain_s: float = SUSTAIN_S) -> float | None:
    """Largest ``sustain_s`` moving average (a peak held briefly, not a one-frame spike)."""
    if not np.any(np.isfinite(y)) or t.size < 2:
        return None
    rate = 1.0 / float(np.median(np.diff(t)))
    best = float(np.nanmax(smooth(y, max(1, round(sustain_s * rate)))))
    return best if np.isfinite(best) else None


def _base(d: ExerciseDefinition) -> dict[str, Any]:
    assert d.test is not None
    return {
        "test": d.id,
        "measure": d.test.measure,
        "unit": d.test.unit,
        "method": d.test.method,
        "note": d.test.note,
        "normative_reference": _refs(d),
        "normative_note": AGE_NOTE,
    }


def _reps_sorted(ctx: TestContext) -> list[tuple[Any, RepShape | None]]:
    pairs = []
    for c in ctx.counted:
        for e in c.result.reps:
            pairs.append((e, c.shapes.get(e.start_index)))
    pairs.sort(key=lambda p: p[0].start_s)
    return pairs


def rom_peak(ctx: TestContext) -> dict[str, Any]:
    d = ctx.definition
    assert d.test is not None
    base = d.test.measure
    out = _base(d)
    per_side: dict[str, Any] = {}
    for side in ctx.sides:
        y, reason = get_signal(base, side, ctx.kin, ctx.track)
        if reason:
            per_side[side] = {"available": False, "reason": reason}
            continue
        peak = sustained_peak(ctx.t, y)
        attempts = [
            round(float(c.shapes[e.start_index].peak_value), 1)
            for c in ctx.counted
            if c.channel == side
            for e in c.result.reps
            if e.start_index in c.shapes
        ]
        per_side[side] = {
            "available": peak is not None,
            "peak_deg": None if peak is None else round(peak, 1),
            "attempts": len(attempts),
            "peak_per_attempt_deg": attempts,
        }
    values = [v["peak_deg"] for v in per_side.values() if v.get("peak_deg") is not None]
    out.update(
        {
            "value": max(values) if values else None,
            "sides": per_side,
            "uncertainty_deg": UNCERTAINTY_DEG.get(base),
            "sustained_s": SUSTAIN_S,
        }
    )
    return out


def rom_rotation(ctx: TestContext) -> dict[str, Any]:
    d = ctx.definition
    out = _base(d)
    per_side: dict[str, Any] = {}
    for side in ctx.sides:
        y, reason = get_signal("hip_internal_rotation_deg", side, ctx.kin, ctx.track)
        if reason:
            per_side[side] = {"available": False, "reason": reason}
            continue
        internal = sustained_peak(ctx.t, y)
        external = sustained_peak(ctx.t, -y)
        per_side[side] = {
            "available": internal is not None,
            "internal_rotation_deg": None if internal is None else round(max(internal, 0.0), 1),
            "external_rotation_deg": None if external is None else round(max(external, 0.0), 1),
        }
        if internal is not None and external is not None:
            per_side[side]["total_arc_deg"] = round(max(internal, 0.0) + max(external, 0.0), 1)
    out.update(
        {
            "sides": per_side,
            "uncertainty_deg": UNCERTAINTY_DEG.get("hip_internal_rotation_deg"),
            "sustained_s": SUSTAIN_S,
        }
    )
    return out


def five_times(ctx: TestContext) -> dict[str, Any]:
    d = ctx.definition
    assert d.test is not None
    n_wanted = d.test.repetitions or 5
    out = _base(d)
    reps = _reps_sorted(ctx)
    out["stands_detected"] = len(reps)
    if len(reps) < n_wanted:
        out.update({"complete": False, "value": None})
        ctx.warnings.append(
            f"{d.id}: only {len(reps)} of {n_wanted} stands detected; no time reported"
        )
        return out
    first, last = reps[0], reps[n_wanted - 1]
    start = first[1].start_s if first[1] else first[0].start_s
    end_sit = last[1].end_s if last[1] else last[0].end_s
    top = last[1].top_start_index if last[1] else None
    end_stand = float(ctx.t[top]) if top is not None else last[0].reach_s
    out.update(
        {
            "complete": True,
            "value": round(end_sit - start, 2),
            "time_to_fifth_sit_s": round(end_sit - start, 2),
            "time_to_fifth_stand_s": None if end_stand is None else round(end_stand - start, 2),
            "start_s": round(start, 3),
        }
    )
    if len(reps) > n_wanted:
        ctx.warnings.append(f"{d.id}: {len(reps)} stands detected; the first {n_wanted} are timed")
    return out


def count_in_time(ctx: TestContext) -> dict[str, Any]:
    d = ctx.definition
    assert d.test is not None and d.test.duration_s is not None
    out = _base(d)
    reps = _reps_sorted(ctx)
    if not reps:
        out.update({"value": 0, "complete": False})
        ctx.warnings.append(f"{d.id}: no stand detected")
        return out
    start = reps[0][1].start_s if reps[0][1] else reps[0][0].start_s
    stop = start + d.test.duration_s

    def reached_by(e: Any, shape: RepShape | None) -> float:
        if shape is not None:
            return float(ctx.t[shape.top_start_index])
        return e.reach_s if e.reach_s is not None else float("inf")

    stands = sum(1 for e, shape in reps if reached_by(e, shape) <= stop)
    # A stand more than halfway up at the stop time counts (Rikli & Jones 1999): the causal
    # position u at the stop frame, if an excursion not yet counted is under way there.
    halfway = False
    if ctx.counted and stop <= ctx.t[-1]:
        trace = ctx.counted[0].result.trace
        i = min(int(np.searchsorted(ctx.t, stop)), trace["u"].size - 1)
        counted_here = any(
            e.start_s <= stop < e.end_s and reached_by(e, shape) <= stop for e, shape in reps
        )
        if bool(trace["inside"][i]) and not counted_here and trace["u"][i] >= 0.5:
            stands += 1
            halfway = True
    complete = bool(stop <= ctx.t[-1])
    if not complete:
        ctx.warnings.append(
            f"{d.id}: clip ends {ctx.t[-1] - start:.1f} s after the first rise; stands were "
            f"counted over that time only, not {d.test.duration_s:g} s"
        )
    out.update(
        {
            "value": stands,
            "complete": complete,
            "start_s": round(start, 3),
            "window_s": d.test.duration_s,
            "last_stand_counted_halfway": halfway,
        }
    )
    return out


def excursion_time(ctx: TestContext) -> dict[str, Any]:
    d = ctx.definition
    out = _base(d)
    reps = [(e, s) for e, s in _reps_sorted(ctx) if s is not None]
    if not reps:
        out.update({"value": None, "complete": False})
        ctx.warnings.append(f"{d.id}: no rise from and return to the chair detected")
        return out
    _e, s = max(reps, key=lambda p: p[1].end_s - p[1].start_s)
    out.update(
        {
            "value": round(s.end_s - s.start_s, 2),
            "complete": True,
            "start_s": round(s.start_s, 3),
            "end_s": round(s.end_s, 3),
        }
    )
    if len(reps) > 1:
        ctx.warnings.append(f"{d.id}: {len(reps)} rises detected; the longest is timed")
    return out


def stance_time(ctx: TestContext) -> dict[str, Any]:
    d = ctx.definition
    out = _base(d)
    lifts = foot_lift_leg_lengths(ctx.track)
    per_side: dict[str, Any] = {}
    for side in ("left", "right"):
        with np.errstate(invalid="ignore"):
            mask = (lifts[side] > FOOT_LIFT_STANCE) & (standing_on(ctx.track, side) == 1.0)
        runs = mask_intervals(mask, ctx.track.timestamps_s, min_duration_s=0.5, bridge_s=0.2)
        durations = [round(b - a, 2) for a, b in runs]
        per_side[side] = {
            "longest_s": max(durations) if durations else 0.0,
            "trials": durations,
        }
    out.update(
        {
            "value": max(v["longest_s"] for v in per_side.values()),
            "sides": per_side,
            "foot_off_ground_leg_lengths": FOOT_LIFT_STANCE,
        }
    )
    return out


def delegated(ctx: TestContext) -> dict[str, Any]:
    d = ctx.definition
    assert d.test is not None
    out = _base(d)
    out.update({"value": None, "delegated_to": d.test.delegated_to})
    return out


METHODS = {
    "rom_peak": rom_peak,
    "rom_rotation": rom_rotation,
    "five_times": five_times,
    "count_in_time": count_in_time,
    "excursion_time": excursion_time,
    "stance_time": stance_time,
    "delegated": delegated,
}


def run_test(ctx: TestContext) -> dict[str, Any] | None:
    d = ctx.definition
    if d.test is None:
        return None
    return METHODS[d.test.method](ctx)
