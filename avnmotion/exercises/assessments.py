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

from avnmotion.accuracy import measured_accuracy
from avnmotion.exercises.counting import CountResult, RepShape, mask_intervals, smooth
from avnmotion.exercises.registry import ExerciseDefinition
from avnmotion.exercises.signals import (
    FOOT_OFF_GROUND_LEG_LENGTHS,
    OTHER_SIDE,
    body_points,
    foot_lift_leg_lengths,
    get_signal,
    single_leg_stance,
)
from avnmotion.kinematics import Kinematics, Posture, posture_of, uncertainty_deg
from avnmotion.track import PoseTrack

FloatArray = NDArray[np.float64]

SUSTAIN_S = 0.25
#: Foot off and foot down of a single-leg stance: where the lifted foot's height leaves (or
#: returns to) its own level with both feet down by this share of the lift, and by at least
#: ``FOOT_LIFT_ONSET_NOISE`` robust standard deviations of that level (1.4826 MAD; 0.0013 leg
#: lengths, about 1 mm, on the rendered clip) and ``FOOT_LIFT_ONSET_MIN`` leg lengths.
FOOT_LIFT_ONSET_FRAC = 0.15
FOOT_LIFT_ONSET_NOISE = 4.0
FOOT_LIFT_ONSET_MIN = 0.002
#: Window either side of a stance in which the both-feet-down level is measured.
FOOT_LIFT_BASELINE_S = 1.0
#: Sit-to-stand tests start at the onset of trunk flexion, the first movement of a
#: sit-to-stand (Schenkman et al. 1990; the "go" command is not visible): where the trunk's
#: forward lean leaves its seated level by this share of its peak lean in the first rep, and
#: by at least ``STS_TRUNK_MIN_DEG``. The knee or hip signal alone starts 0.4 s late on the
#: rendered clips (the trunk moves first).
STS_TRUNK_ONSET_FRAC = 0.1
STS_TRUNK_MIN_DEG = 2.0
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


def rom_accuracy(
    d: ExerciseDefinition, fields: tuple[str, ...], angle: str, posture: Posture = "upright"
) -> tuple[float | None, dict[str, Any]]:
    """Stated uncertainty (deg) and measured accuracy of a ROM test's ``fields``.

    The accuracy of each field is its entry in the packaged measurement-error file
    (:mod:`avnmotion.accuracy`: bias and largest error against rendered truth). The stated
    uncertainty is the larger of the angle's stated uncertainty in the clip's posture
    (:func:`avnmotion.kinematics.uncertainty_deg`) and the largest measured error, so it is
    never smaller than an error this project has seen.
    """
    measured = {f: a for f in fields if (a := measured_accuracy(f"{d.id}/{f}")) is not None}
    worst = [a.max_abs_error for a in measured.values() if a.max_abs_error is not None]
    typical = uncertainty_deg(angle, posture)
    candidates = worst + ([typical] if typical is not None else [])
    stated = round(max(candidates), 1) if candidates else None
    accuracy: dict[str, Any] = {f: a.as_dict() for f, a in measured.items()}
    for f in fields:
        accuracy.setdefault(f, {"measure": f"{d.id}/{f}", "status": "not measured"})
    return stated, accuracy


#: Frames of timing resolution in a duration: its start and its end each fall on a frame.
TIMING_FRAMES = 2


def timed_accuracy(
    d: ExerciseDefinition,
    rate_hz: float,
    field: str = "duration_s",
    entries: dict[str, dict[str, Any]] | None = None,
) -> tuple[float | None, dict[str, Any]]:
    """Stated uncertainty (s) and measured accuracy of a timed test's duration.

    The accuracy is the test's entry in the packaged measurement-error file (repeat renders,
    :mod:`avnmotion.accuracy`); the stated uncertainty is the larger of its largest measured
    error and the timing resolution (:data:`TIMING_FRAMES` frame intervals at ``rate_hz``),
    so it is never smaller than an error this project has seen. Without a measurement it is
    None and the accuracy says "not measured": a frame-resolution figure alone would claim
    more than is known.
    """
    measure = f"{d.id}/{field}"
    measured = measured_accuracy(measure, entries)
    if measured is None or measured.max_abs_error is None:
        return None, {field: {"measure": measure, "status": "not measured"}}
    resolution = TIMING_FRAMES / rate_hz if rate_hz > 0 else 0.0
    return round(max(measured.max_abs_error, resolution), 2), {field: measured.as_dict()}


def _reps_sorted(ctx: TestContext) -> list[tuple[Any, RepShape | None]]:
    pairs = []
    for c in ctx.counted:
        for e in c.result.reps:
            pairs.append((e, c.shapes.get(e.start_index)))
    pairs.sort(key=lambda p: p[0].start_s)
    return pairs


def add_unmeasured_sides(per_side: dict[str, Any], measured: list[str]) -> None:
    """Name the leg a ROM test did not measure, rather than leave it out of ``sides``.

    A ROM test is done on each leg in turn; when only one leg was seen moving (the other was
    not tested, stayed hidden, or was labelled as the other leg), its entry says so.
    """
    for side in ("left", "right"):
        if side not in per_side:
            per_side[side] = {
                "available": False,
                "reason": (
                    f"no {side} attempt was found in this clip (only the "
                    f"{' and '.join(measured)} leg was seen moving): film the {side} leg's "
                    "attempt, or name it with the working side"
                ),
            }


#: A counted attempt belongs to the other leg when, on the whole-clip track, that leg rises
#: by the drive's minimum amplitude over the attempt and the counted leg's summed excursion
#: stays under this share of the other's (see :func:`attempt_windows`).
OTHER_LEG_SHARE = 0.5


Signals = dict[str, tuple[FloatArray, str | None]]


def leg_signals(ctx: TestContext, measure: str) -> Signals:
    """``measure`` of each leg on the whole-clip track, with its unavailability reason."""
    return {s: get_signal(measure, s, ctx.kin, ctx.track) for s in ("left", "right")}


def attempt_windows(
    ctx: TestContext, signals: Signals
) -> dict[str, list[tuple[float, float, str]]]:
    """Per leg, ``(start_s, end_s, how)`` of each attempt, by the leg that moved.

    Counting runs on the causal track (identical live and offline), whose left/right repair
    has only the continuity cue, and it leaves out a side seen in far fewer frames than the
    other (a side view's far leg, hidden while it rests). A ROM test tests each leg in turn,
    so it reads the whole-clip track (depth vote included) as well:

    * ``"counted"``: a counted attempt, of the counted leg;
    * ``"relabelled"``: a counted attempt over which the counted leg's excursion above rest,
      summed over the attempt, is under :data:`OTHER_LEG_SHARE` of the other leg's, and the
      other leg rises by at least the drive's minimum amplitude: the other leg's. Where a far
      leg starts to lift beside the near one, MediaPipe can hand the label over without a
      visible jump and back with one, and the causal repair credited the far leg's attempt
      to the near leg (2 of 5 repeat renders of the supine hip flexion test; the hand-over
      reads as a 0.4 s, 90 deg flicker of the near leg, so peaks alone would not tell). The
      count now undoes such hand-overs itself
      (:func:`~avnmotion.exercises.signals.undo_side_exchanges`: both renders count right);
      this covers the ones it cannot see, e.g. while the legs are still close together;
    * ``"not counted"``: a leg with no attempt of its own that rises by the minimum amplitude
      for at least :data:`SUSTAIN_S`, with the other leg's excursion under that share of its
      own in most of those frames (not a copy of the other leg's attempt): the far leg left
      out of the count (1 of those 5 renders).
    """
    spec = ctx.definition.view_spec(ctx.kin.view)
    min_amp = spec.drive.min_amplitude if spec is not None else 0.0
    # Each leg's excursion above its own resting level (the 10th percentile over the clip: a
    # ROM test rests between attempts).
    lift = {
        s: np.clip(y - np.nanpercentile(y, 10.0), 0.0, None)
        for s, (y, reason) in signals.items()
        if not reason and np.any(np.isfinite(y))
    }
    out: dict[str, list[tuple[float, float, str]]] = {"left": [], "right": []}
    for c in ctx.counted:
        for e in c.result.reps:
            side, how = c.channel, "counted"
            other = OTHER_SIDE.get(side)
            if other is not None and side in lift and other in lift:
                span = slice(e.start_index, e.end_index + 1)
                own, theirs = np.nansum(lift[side][span]), np.nansum(lift[other][span])
                reach = np.nanmax(lift[other][span], initial=0.0)
                if reach >= min_amp and own < OTHER_LEG_SHARE * theirs:
                    side, how = other, "relabelled"
            if side in out:
                out[side].append((e.start_s, e.end_s, how))
    for side, other in OTHER_SIDE.items():
        if out[side] or side not in lift or other not in lift:
            continue
        with np.errstate(invalid="ignore"):
            up = lift[side] >= min_amp
            alone = lift[other] < OTHER_LEG_SHARE * lift[side]
        # bridged over MediaPipe's hand-overs (0.3-0.4 s on the repeat renders)
        for a, b in mask_intervals(up, ctx.t, min_duration_s=SUSTAIN_S, bridge_s=0.5):
            inside = (ctx.t >= a) & (ctx.t <= b)
            # mostly on its own (MediaPipe's hand-over flickers copy it onto the other leg)
            if np.mean(alone[inside]) >= 0.5:
                out[side].append((a, b, "not counted"))
    return out


def rom_peak(ctx: TestContext) -> dict[str, Any]:
    d = ctx.definition
    assert d.test is not None
    base = d.test.measure
    out = _base(d)
    per_side: dict[str, Any] = {}
    signals = leg_signals(ctx, base)
    windows = attempt_windows(ctx, signals)
    moved = [s for s in ("left", "right") if windows[s] or s in ctx.sides]
    for side in moved:
        y, reason = signals[side]
        if reason:
            per_side[side] = {"available": False, "reason": reason}
            continue
        within = [(ctx.t >= a) & (ctx.t <= b) for a, b, _ in windows[side]]
        attempts = [
            round(p, 1) for m in within if (p := sustained_peak(ctx.t[m], y[m])) is not None
        ]
        # Within this leg's own attempts: a frame where the other leg carried this label (a
        # hand-over while both legs were together) is not this leg's peak.
        peak = max(attempts) if attempts else sustained_peak(ctx.t, y)
        per_side[side] = {
            "available": peak is not None,
            "peak_deg": None if peak is None else round(peak, 1),
            "attempts": len(windows[side]),
            "peak_per_attempt_deg": attempts,
        }
        hows = [how for _, _, how in windows[side]]
        if "relabelled" in hows or "not counted" in hows:
            per_side[side]["note"] = (
                f"{hows.count('relabelled')} attempt(s) of this leg counted on the other leg "
                f"and {hows.count('not counted')} not counted (far leg in a side view: hidden "
                "at rest, or its label handed over while the legs were together); read from "
                "the whole-clip track"
            )
    values = {k: v["peak_deg"] for k, v in per_side.items() if v.get("peak_deg") is not None}
    add_unmeasured_sides(per_side, moved)
    uncertainty, accuracy = rom_accuracy(d, ("peak_deg",), base, posture_of(ctx.kin))
    best = max(values, key=values.__getitem__) if values else None
    out.update(
        {
            # the larger side's peak; per-side values (the affected side's too) in "sides"
            "value": None if best is None else values[best],
            "value_side": best,
            "sides": per_side,
            "uncertainty_deg": uncertainty,
            "accuracy": accuracy,
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
    add_unmeasured_sides(per_side, ctx.sides)
    uncertainty, accuracy = rom_accuracy(
        d,
        ("internal_rotation_deg", "external_rotation_deg", "total_arc_deg"),
        "hip_internal_rotation_deg",
        posture_of(ctx.kin),
    )
    out.update(
        {
            "sides": per_side,
            "uncertainty_deg": uncertainty,
            "accuracy": accuracy,
            "sustained_s": SUSTAIN_S,
        }
    )
    return out


def sts_start(ctx: TestContext, start_s: float, first_end_s: float) -> tuple[float, bool]:
    """Start of a series of sit-to-stands, from the trunk when the view shows it.

    ``start_s``/``first_end_s`` bound the first rep on the counted signal; with the trunk's
    forward lean available (side view) the start moves back to the onset of trunk flexion
    (:data:`STS_TRUNK_ONSET_FRAC`). Returns ``(start_s, from_trunk)``.
    """
    name = "trunk_forward_lean_deg"
    if name not in ctx.kin.angles_deg or not ctx.kin.available(name):
        return start_s, False
    lean = np.asarray(ctx.kin.angles_deg[name], dtype=np.float64)
    inside = (ctx.t >= start_s) & (ctx.t <= first_end_s)
    if not np.any(np.isfinite(lean[inside])):
        return start_s, False
    new_start, _, refined = extend_to_rest_level(
        ctx.t,
        lean,
        start_s,
        first_end_s,
        reference=float(np.nanmax(lean[inside])),
        frac=STS_TRUNK_ONSET_FRAC,
        min_margin=STS_TRUNK_MIN_DEG,
    )
    return (new_start, True) if refined and new_start < start_s else (start_s, False)


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
    start, from_trunk = sts_start(ctx, start, first[1].end_s if first[1] else first[0].end_s)
    # the end: the counted signal back at its seated level (buttocks on the chair)
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
            "end_s": round(end_sit, 3),
            "timed_from": (
                "onset of trunk flexion before the first rise" if from_trunk else "the first rise"
            )
            + " to the fifth sit (the counted signal back at its seated level)",
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
    first_end = reps[0][1].end_s if reps[0][1] else reps[0][0].end_s
    start, from_trunk = sts_start(ctx, start, first_end)
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
            "timed_from": "onset of trunk flexion before the first rise"
            if from_trunk
            else "the first rise on the counted signal",
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


def extend_to_rest_level(
    t: FloatArray,
    y: FloatArray,
    start_s: float,
    end_s: float,
    *,
    reference: float,
    frac: float,
    min_margin: float,
    noise_k: float = 4.0,
    window_s: float = 1.0,
) -> tuple[float, float, bool]:
    """Move the ends of a movement outward to where ``y`` leaves (returns to) its rest level.

    The rest level before the start (after the end) is the median of ``y`` over ``window_s``
    there; the movement has left it where ``y`` exceeds ``rest + margin``, with
    ``margin = max(frac x (reference - rest), noise_k x sd, min_margin)`` (``sd`` the robust
    standard deviation, 1.4826 MAD, of the same window). The start moves back to the first
    frame of the last run above that level before it, the end forward to the first frame at
    or below it, within ``window_s``. Returns ``(start_s, end_s, refined)``; an end with no
    rest window stays put.
    """
    i0 = int(np.searchsorted(t, start_s))
    i1 = min(int(np.searchsorted(t, end_s)), t.size - 1)
    win = max(2, round(window_s / float(np.median(np.diff(t)))))
    refined = False

    def level(rest: FloatArray) -> float | None:
        if rest.size == 0 or not np.any(np.isfinite(rest)):
            return None
        base = float(np.nanmedian(rest))
        sd = 1.4826 * float(np.nanmedian(np.abs(rest - base)))
        return base + max(frac * (reference - base), noise_k * sd, min_margin)

    lo = max(0, i0 - win)
    lv = level(y[lo:i0])
    if lv is not None:
        below = np.flatnonzero(~(y[lo:i0] > lv))
        if below.size:
            i0 = lo + int(below[-1]) + 1
            refined = True
    lv = level(y[i1 + 1 : i1 + 1 + win])
    if lv is not None:
        below = np.flatnonzero(~(y[i1 : i1 + 1 + win] > lv))
        if below.size:
            i1 = i1 + int(below[0])
            refined = True
    return float(t[i0]), float(t[i1]), refined


def refine_lift(
    t: FloatArray, lift: FloatArray, start_s: float, end_s: float
) -> tuple[float, float, bool]:
    """Move a stance's ends to where the lifted foot leaves and meets its own ground level.

    The run found with the absolute ``FOOT_OFF_GROUND_LEG_LENGTHS`` threshold starts late and ends
    early by the time the foot takes to rise that high; :func:`extend_to_rest_level` moves
    its ends to the foot's departure from (and return to) its height with both feet down,
    by :data:`FOOT_LIFT_ONSET_FRAC` of the stance's median lift.
    """
    i0, i1 = int(np.searchsorted(t, start_s)), int(np.searchsorted(t, end_s))
    inside = float(np.nanmedian(lift[i0:i1])) if i1 > i0 else float("nan")
    return extend_to_rest_level(
        t,
        lift,
        start_s,
        end_s,
        reference=inside,
        frac=FOOT_LIFT_ONSET_FRAC,
        min_margin=FOOT_LIFT_ONSET_MIN,
        noise_k=FOOT_LIFT_ONSET_NOISE,
        window_s=FOOT_LIFT_BASELINE_S,
    )


def stance_time(ctx: TestContext) -> dict[str, Any]:
    d = ctx.definition
    out = _base(d)
    p = body_points(ctx.track)
    lifts = foot_lift_leg_lengths(ctx.track, p=p)
    stance = single_leg_stance(ctx.track, lifts, p)
    per_side: dict[str, Any] = {}
    for side in ("left", "right"):
        t = ctx.track.timestamps_s
        runs = mask_intervals(stance[side], t, min_duration_s=0.5, bridge_s=0.2)
        runs = [refine_lift(t, lifts[side], a, b)[:2] for a, b in runs]  # loop over stances
        durations = [round(b - a, 2) for a, b in runs]
        per_side[side] = {
            "longest_s": max(durations) if durations else None,
            "trials": durations,
        }
        if not durations:
            # 0 s would read as "could not stand on it"; this leg was not tested in the clip
            per_side[side]["reason"] = (
                f"no stance on the {side} leg of at least 0.5 s with the other foot up"
            )
    tested = {k: v["longest_s"] for k, v in per_side.items() if v["longest_s"] is not None}
    best = max(tested, key=tested.__getitem__) if tested else None
    out.update(
        {
            "value": None if best is None else tested[best],
            "value_side": best,
            "sides": per_side,
            "foot_off_ground_leg_lengths": FOOT_OFF_GROUND_LEG_LENGTHS,
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
    out = METHODS[d.test.method](ctx)
    if d.test.unit == "s":  # every timed test states its measured accuracy the same way
        uncertainty, accuracy = timed_accuracy(d, ctx.rate_hz)
        out.update({"uncertainty_s": uncertainty, "accuracy": accuracy})
    return out
