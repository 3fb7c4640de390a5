"""``analyze_exercise``: one exercise or test on one clip -> result, flags, quality warnings.

Data flow::

    definition (registry) -> view spec for the clip's view (else: warning, values unavailable)
      -> driving signal per side: counting on kin_unfiltered (+ CausalLowpass: live == offline),
         reported values on kin (zero-phase filtered)
      -> working side(s) -> reps / partial reps / sets (counting.py) or holds
      -> per-rep shape on the reported signal (ROM, peak, phase durations, velocity)
      -> form rules + tempo cues (form.py) -> patient messages / clinician flags
      -> ROM or function test (assessments.py) -> test_result with normative references
      -> prescription adherence (prescription.py)
      -> loading observations against the protocol (loading.py)

No flag never means "safe": flags are observations of what the camera shows, judged against
what the protocol says.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from avnmotion.errors import AvnInputError
from avnmotion.exercises.assessments import Counted, TestContext, run_test
from avnmotion.exercises.counting import (
    CountParams,
    RepEvent,
    RepShape,
    count_reps,
    counting_rate_hz,
    describe_rep,
    detect_holds,
)
from avnmotion.exercises.form import (
    TempoTarget,
    Window,
    clinician_flags,
    evaluate_rules,
    patient_cues,
    tempo_cues,
    tempo_issues,
)
from avnmotion.exercises.loading import loading_observations
from avnmotion.exercises.prescription import adherence, validate_prescription
from avnmotion.exercises.registry import (
    DriveSignal,
    ExerciseDefinition,
    ViewSpec,
    get_definition,
)
from avnmotion.exercises.signals import (
    choose_sides,
    get_signal,
    hidden_working_side,
    hip_travel_leg_lengths,
    undo_side_exchanges,
)
from avnmotion.kinematics import Kinematics, posture_of, uncertainty_deg
from avnmotion.protocol import PatientProtocol
from avnmotion.result import ExerciseResult, ExerciseSet, Flag, Hold, Rep
from avnmotion.signal import CausalLowpass
from avnmotion.track import PoseTrack

TOP_HOLD_MIN_S = 1.0
#: Hips ranging further than this across the view (leg lengths, 2nd-98th percentile) in an
#: in-place exercise: probably walking, so the task is likely wrong (the side-view walkway
#: samples range 4.9-5.3; in-place exercise samples at most 0.41, sit-to-stand).
WALKING_TRAVEL_LEG_LENGTHS = 2.0
#: A partial excursion of one limb that overlaps a full rep of the other limb (rest to rest on
#: the reported signal, so a follow-movement while that leg lowers counts) and moves less
#: than this share of that rep's excursion is the other limb following along (the pelvis
#: tilting in a hip abduction or flexion test), not a partial rep. Our choice, set on the
#: rendered sample clips and not validated: on the ROM tests such movements measured
#: 0.12-0.31 of the working leg's concurrent rep (6 movements); the sample set's injected
#: partial reps are 0.35-0.5 of a full rep of their own limb.
SYMPATHETIC_MAX_FRAC = 0.35


def _rate(t: np.ndarray) -> float:
    return counting_rate_hz(t) if t.size >= 2 else 30.0


def _r(x: float | None, nd: int = 2) -> float | None:
    return None if x is None or not np.isfinite(x) else round(float(x), nd)


def _view_mismatch(d: ExerciseDefinition, view: str) -> str:
    needs = " or ".join(d.view_names)
    return f"{d.id} needs a {needs} view; this clip is from the {view}: values unavailable"


def _protocol_requirement(
    d: ExerciseDefinition, protocol: PatientProtocol | None
) -> tuple[list[Flag], list[str]]:
    if d.requires_protocol != "single_leg_stance_allowed":
        return [], []
    if protocol is None or protocol.single_leg_stance_allowed is None:
        return [], [
            f"{d.id}: the protocol does not say whether single-leg stance is allowed; check "
            "before testing"
        ]
    if protocol.single_leg_stance_allowed:
        return [], []
    return [
        Flag(
            code="test_not_allowed_by_protocol",
            severity="warning",
            audience="clinician",
            source="protocol: single_leg_stance_allowed = false",
            message=f"{d.id} was performed although the protocol does not allow single-leg stance",
        )
    ], []


def _windows_for(shape: RepShape, y: np.ndarray, rest_at: str, side: str, label: int) -> Window:
    sgn = 1.0 if rest_at == "low" else -1.0
    rep = np.arange(shape.start_index, shape.end_index + 1)
    z = sgn * y[rep]
    base = sgn * shape.peak_value - shape.excursion
    with np.errstate(invalid="ignore"):
        top = rep[z >= base + 0.5 * shape.excursion]
    return Window(
        rep=rep,
        away=np.arange(shape.start_index, shape.top_start_index + 1),
        top=top,
        ret=np.arange(shape.top_end_index, shape.end_index + 1),
        side=side,
        start_s=shape.start_s,
        end_s=shape.end_s,
        label=label,
    )


def split_sympathetic(
    partial: list[RepEvent], full: list[RepEvent], shapes: dict[tuple[str, int], RepShape]
) -> tuple[list[RepEvent], list[RepEvent]]:
    """Separate partial excursions that are the other limb following a rep (see
    :data:`SYMPATHETIC_MAX_FRAC`) from partial reps; returns ``(partial_reps, sympathetic)``.

    Only side channels take part: on one channel (one side, or a whole-body signal) every
    partial excursion is a partial rep.
    """

    def excursion(e: RepEvent) -> float:
        shape = shapes.get((e.channel, e.start_index))
        if shape is not None and np.isfinite(shape.excursion):
            return abs(float(shape.excursion))
        return abs(e.peak_value - e.rest_value)

    def extent(e: RepEvent) -> tuple[float, float]:
        # Rest to rest on the reported signal: the counting crossings (a third of the way
        # down) end a rep while the leg is still lowering, when the other leg may follow.
        shape = shapes.get((e.channel, e.start_index))
        return (shape.start_s, shape.end_s) if shape is not None else (e.start_s, e.end_s)

    kept: list[RepEvent] = []
    sympathetic: list[RepEvent] = []
    for p in partial:  # loop over events
        p_start, p_end = extent(p)
        others = [
            r
            for r in full
            if r.channel in ("left", "right")
            and p.channel in ("left", "right")
            and r.channel != p.channel
            and extent(r)[0] < p_end
            and p_start < extent(r)[1]
        ]
        size = excursion(p)
        if any(size < SYMPATHETIC_MAX_FRAC * excursion(r) for r in others):
            sympathetic.append(p)
        else:
            kept.append(p)
    return kept, sympathetic


def _sets_from(events: list[RepEvent], shapes: dict[tuple[str, int], RepShape], gap_s: float):
    """Set number per rep from crossing times (as the live counter does), and set summaries."""
    set_of: list[int] = []
    current, last_end = 0, None
    for e in events:
        if last_end is not None and e.start_s - last_end > gap_s:
            current += 1
        set_of.append(current)
        last_end = e.end_s if last_end is None else max(last_end, e.end_s)
    sets = []
    for k in sorted(set(set_of)):
        members = [e for e, s in zip(events, set_of, strict=True) if s == k]
        starts = [
            shapes[(e.channel, e.start_index)].start_s
            if (e.channel, e.start_index) in shapes
            else e.start_s
            for e in members
        ]
        ends = [
            shapes[(e.channel, e.start_index)].end_s
            if (e.channel, e.start_index) in shapes
            else e.end_s
            for e in members
        ]
        sets.append(
            ExerciseSet(
                index=k,
                start_s=round(min(starts), 3),
                end_s=round(max(ends), 3),
                rep_count=len(members),
            )
        )
    return set_of, sets


@dataclass(frozen=True)
class CountingPlan:
    """What to count for one exercise in one view (shared by the offline and live paths).

    ``channels`` are the signals to count on: ``"left"``, ``"right"`` or ``"both"`` (the mean
    of the sides, or a whole-body signal). ``params`` is ``None`` for holds and tests without
    counting.
    """

    definition: ExerciseDefinition
    view_spec: ViewSpec
    drive: DriveSignal
    params: CountParams | None
    worked: str
    channels: list[str]
    notes: list[str] = field(default_factory=list)
    hidden_side: str | None = None  # the side that may have worked unseen (no count)
    #: The two sides' causal counting signals with label hand-overs undone (drives with a
    #: working side; ``None`` for whole-body drives).
    sides: tuple[np.ndarray, np.ndarray] | None = field(default=None, repr=False, compare=False)


def counting_values(
    plan: CountingPlan, channel: str, kin_counting: Kinematics, track_counting: PoseTrack
) -> np.ndarray:
    """The causal driving signal of one channel (what :class:`RepCounter` is fed).

    For a drive with a working side, the two sides' signals have label hand-overs undone
    (:func:`~avnmotion.exercises.signals.undo_side_exchanges`, computed once by
    :func:`counting_plan`); ``"both"`` (their mean) is the same either way.
    """
    if plan.sides is not None and channel in ("left", "right"):
        return plan.sides[0] if channel == "left" else plan.sides[1]
    return get_signal(plan.drive.name, channel, kin_counting, track_counting, causal=True)[0]


SIDE_CHOICE_CUTOFF_HZ = 3.0


def _side_choice_signals(
    left: np.ndarray, right: np.ndarray, t: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Both sides through one causal low-pass (3 Hz), NaN where the input was NaN: what the
    live path's running statistics see, so its side choice converges to this one."""
    if t.size < 2:
        return left, right
    rate = counting_rate_hz(t)
    lowpass = CausalLowpass(rate, cutoff_hz=min(SIDE_CHOICE_CUTOFF_HZ, 0.45 * rate), n_channels=2)
    both = lowpass.process(np.stack([left, right], axis=1))
    return (
        np.where(np.isfinite(left), both[:, 0], np.nan),
        np.where(np.isfinite(right), both[:, 1], np.nan),
    )


def counting_plan(
    d: ExerciseDefinition,
    view: str,
    kin_counting: Kinematics,
    track_counting: PoseTrack,
    working_side: str | None = None,
) -> CountingPlan | str:
    """Pick the view spec, driving signal and side(s) to count on; a string says why not.

    The working side is chosen from the counting (causal) signals after a causal 3 Hz
    low-pass (:func:`~avnmotion.exercises.signals.choose_sides`), so the live path can make the
    same choice from running statistics of the frames it has seen.
    """
    spec = d.view_spec(view)
    if spec is None:
        return _view_mismatch(d, view)
    drive = spec.drive
    params = CountParams.from_spec(d.counting, drive) if d.counting is not None else None
    if drive.side == "working":
        left, reason = get_signal(drive.name, "left", kin_counting, track_counting, causal=True)
        if reason:
            return f"{d.id}: {drive.name} unavailable: {reason}"
        right, _ = get_signal(drive.name, "right", kin_counting, track_counting, causal=True)
        t = kin_counting.timestamps_s
        if t.size >= 2:
            left, right = undo_side_exchanges(left, right, counting_rate_hz(t), drive.min_amplitude)
        sides = (left, right)
        left, right = _side_choice_signals(left, right, t)
        worked, channels, note = choose_sides(left, right, drive.min_amplitude, working_side)
        # a test without counting (seated rotation: peaks per side) has no reps to split
        notes = [f"{d.id}: {note}"] if note and d.counting is not None else []
        hidden = hidden_working_side(left, right, drive.min_amplitude, working_side)
        return CountingPlan(d, spec, drive, params, worked, channels, notes, hidden, sides)
    _, reason = get_signal(drive.name, "both", kin_counting, track_counting, causal=True)
    if reason:
        return f"{d.id}: {drive.name} unavailable: {reason}"
    return CountingPlan(d, spec, drive, params, "both", ["both"])


def analyze_exercise(
    track: PoseTrack,
    kin: Kinematics,
    kin_unfiltered: Kinematics,
    exercise_id: str,
    *,
    protocol: PatientProtocol | None = None,
    working_side: str | None = None,
    prescription: dict[str, Any] | None = None,
    today: dt.date | None = None,
    track_unfiltered: PoseTrack | None = None,
) -> tuple[ExerciseResult, list[Flag], list[str]]:
    """Analyse one exercise or test.

    Parameters
    ----------
    track
        The reported (gated, gap-filled, zero-phase filtered) track; distances such as hip
        height and the loading observations use it.
    kin
        Kinematics of ``track``: reported angles, ROM and peaks.
    kin_unfiltered
        Kinematics without zero-phase filtering, computed only from what the live path can
        compute frame by frame (the pipeline passes the causal track's kinematics): counting
        runs :class:`~avnmotion.signal.CausalLowpass` on it (in :class:`RepCounter`) so live
        and offline counts agree. The working side is also chosen from it.
    exercise_id
        A registry id (:func:`~avnmotion.exercises.registry.list_exercises`); unknown ids raise
        :class:`~avnmotion.errors.AvnInputError` listing the valid ids.
    protocol
        The patient's protocol; loading observations are judged against it (none without one).
    working_side
        ``"left"``, ``"right"`` or ``"both"``; by default the side with the larger range.
    prescription
        Targets (see :mod:`avnmotion.exercises.prescription`).
    today
        Date against which precautions' end dates are checked (default: today).
    track_unfiltered
        The track ``kin_unfiltered`` was computed on, for counting on distances (front-view
        squats and sit-to-stands: hip height). Without it the reported ``track`` is used, and
        front-view distance counts are then not bit-identical to the live path.

    Returns
    -------
    (ExerciseResult, flags for the clinician, quality warnings). No flag never means "safe".
    """
    d = get_definition(exercise_id)
    if working_side not in (None, "left", "right", "both"):
        raise AvnInputError(f"working side must be left, right or both, got {working_side!r}")
    target = validate_prescription(prescription)
    warnings: list[str] = []
    flags: list[Flag] = []
    unavailable: dict[str, str] = {}
    if d.cannot_verify:
        unavailable["not_verifiable"] = d.cannot_verify

    req_flags, req_warnings = _protocol_requirement(d, protocol)
    flags += req_flags
    warnings += req_warnings
    load_flags, load_warnings = loading_observations(track, kin, protocol, d, today)

    def finish(result: ExerciseResult) -> tuple[ExerciseResult, list[Flag], list[str]]:
        return result, flags + load_flags, warnings + load_warnings

    t = np.asarray(kin.timestamps_s, dtype=np.float64)
    rate = _rate(t)
    count_track = track_unfiltered if track_unfiltered is not None else track

    if d.test is not None and d.test.method == "delegated":
        warnings.append(f"{d.id}: {d.test.note}")
        unavailable[d.test.measure] = d.test.note
        ctx = TestContext(d, t, kin, track, rate, [], [], warnings)
        return finish(
            ExerciseResult(
                exercise_id=d.id, rep_count=0, test_result=run_test(ctx), unavailable=unavailable
            )
        )

    travel = hip_travel_leg_lengths(track) if d.in_place else float("nan")
    if travel > WALKING_TRAVEL_LEG_LENGTHS:
        warnings.append(
            f"{d.id} is done in one place, but the hips travelled {travel:.1f} leg lengths "
            "across the view (walking?): the counts may not be this exercise; check the task"
        )

    plan = counting_plan(d, kin.view, kin_unfiltered, count_track, working_side)
    if isinstance(plan, str):
        warnings.append(plan)
        unavailable["exercise"] = plan
        return finish(ExerciseResult(exercise_id=d.id, rep_count=0, unavailable=unavailable))
    drive = plan.drive
    if working_side in ("left", "right") and drive.side != "working":
        warnings.append(
            f"{d.id} is counted on the whole body from the {kin.view} view ({drive.name}): "
            f"the working side given ({working_side}) is not used"
        )
    warnings += plan.notes
    if plan.hidden_side is not None:
        unavailable["rep_count"] = (
            f"the {plan.worked} side did not move and the {plan.hidden_side} side was hidden "
            f"from the camera: its reps could not be counted (rep_count 0 is not a count); "
            f"film the working side, or name it (--working-side)"
        )
    if d.counting is None and d.hold is None:
        unavailable["rep_count"] = (
            f"{d.id} measures its result without counting movements (rep_count 0 is not a count)"
        )
    if plan.view_spec.note:
        unavailable["view_note"] = plan.view_spec.note
    if not drive.is_angle:
        unavailable["rom_deg"] = (
            f"angles in degrees are not measured from the {kin.view} view for {d.id}: "
            f"counted from {drive.name} ({drive.unit})"
        )
    worked, channels = plan.worked, plan.channels
    report_sides = ["left", "right"] if (worked == "both" and drive.side == "working") else [worked]

    # -- counting ------------------------------------------------------------------------
    counted: list[Counted] = []
    reported: dict[str, np.ndarray] = {}
    for ch in channels:
        y = get_signal(drive.name, ch, kin, track)[0]
        reported[ch] = y
        if d.counting is None:
            continue
        y_count = counting_values(plan, ch, kin_unfiltered, count_track)
        assert plan.params is not None
        res = count_reps(t, y_count, rate, plan.params, channel=ch)
        c = Counted(ch, res)
        ordered = sorted(res.events, key=lambda e: e.start_index)
        for i, e in enumerate(ordered):  # loop over excursions (events)
            lower = ordered[i - 1].end_index if i > 0 else 0
            upper = ordered[i + 1].start_index if i + 1 < len(ordered) else t.size - 1
            shape = describe_rep(
                t, y, e, rest_at=drive.rest_at, lower_bound=lower, upper_bound=upper
            )
            if shape is not None:
                c.shapes[e.start_index] = shape
        counted.append(c)

    shapes = {(c.channel, k): s for c in counted for k, s in c.shapes.items()}
    full = sorted((e for c in counted for e in c.result.reps), key=lambda e: e.start_s)
    partial = sorted((e for c in counted for e in c.result.partials), key=lambda e: e.start_s)
    partial, sympathetic = split_sympathetic(partial, full, shapes)
    if sympathetic:
        where = ", ".join(f"{e.channel} {e.start_s:.1f}-{e.end_s:.1f} s" for e in sympathetic)
        warnings.append(
            f"{d.id}: {len(sympathetic)} small movement(s) of one limb during reps of the other "
            f"(under {SYMPATHETIC_MAX_FRAC:.0%} of that rep's excursion; e.g. the pelvis "
            f"tilting) are not reported as partial reps: {where}"
        )
    gap = d.counting.rest_gap_s if d.counting else 8.0
    set_of, sets = _sets_from(full, shapes, gap)

    # -- tempo target --------------------------------------------------------------------
    if target and ("concentric_s" in target or "eccentric_s" in target):
        tempo = TempoTarget(target.get("concentric_s"), target.get("eccentric_s"), True)
    else:
        tempo = TempoTarget(d.tempo.concentric_s, d.tempo.eccentric_s, False)
    judge_tempo = d.kind == "rep"

    def to_rep(e: RepEvent, index: int, set_index: int) -> tuple[Rep, Window | None, list[str]]:
        shape = shapes.get((e.channel, e.start_index))
        issues: list[str] = []
        if shape is None:
            return (
                Rep(
                    index=index,
                    start_s=round(e.start_s, 3),
                    end_s=round(e.end_s, 3),
                    peak_s=round(e.peak_s, 3),
                    side=e.channel or None,  # type: ignore[arg-type]
                    set_index=set_index,
                ),
                None,
                issues,
            )
        if drive.away_is_concentric:
            conc, ecc = shape.away_s, shape.return_s
        else:
            conc, ecc = shape.return_s, shape.away_s
        if judge_tempo:
            issues = tempo_issues(conc, ecc, shape.reversals, tempo)
        angle = drive.is_angle
        rep = Rep(
            index=index,
            start_s=round(shape.start_s, 3),
            end_s=round(shape.end_s, 3),
            peak_s=round(shape.peak_s, 3),
            side=e.channel or None,  # type: ignore[arg-type]
            rom_deg=_r(shape.excursion, 1) if angle else None,
            peak_deg=_r(shape.peak_value, 1) if angle else None,
            concentric_s=_r(conc),
            eccentric_s=_r(ecc),
            peak_velocity_deg_per_s=_r(shape.peak_velocity, 1) if angle else None,
            set_index=set_index,
            form_issues=list(issues),
        )
        window = _windows_for(shape, reported[e.channel], drive.rest_at, e.channel, index + 1)
        return rep, window, issues

    reps: list[Rep] = []
    windows: list[Window] = []
    rep_issues: dict[int, list[str]] = {}
    for i, (e, s) in enumerate(zip(full, set_of, strict=True)):
        rep, window, issues = to_rep(e, i, s)
        reps.append(rep)
        if window is not None:
            windows.append(window)
        if issues:
            rep_issues[i + 1] = issues
    partial_reps = [to_rep(e, i, 0)[0] for i, e in enumerate(partial)]
    for r in partial_reps:
        r.form_issues.clear()
        r.form_issues.append("partial")

    # -- holds ---------------------------------------------------------------------------
    holds: list[Hold] = []
    if d.hold is not None:
        spans = sorted(
            ((ch, h) for ch, y in reported.items() for h in detect_holds(t, y, d.hold)),
            key=lambda p: p[1].start_s,
        )
        for label, (ch, h) in enumerate(spans, start=1):
            holds.append(
                Hold(
                    start_s=round(h.start_s, 3),
                    end_s=round(h.end_s, 3),
                    duration_s=round(h.duration_s, 2),
                    side=ch,  # type: ignore[arg-type]
                    mean_deg=_r(h.level, 1) if drive.is_angle else None,
                )
            )
            idx = np.arange(h.start_index, h.end_index + 1)
            windows.append(Window(idx, idx, idx, idx, ch, h.start_s, h.end_s, label))
    else:
        for e in full:
            shape = shapes.get((e.channel, e.start_index))
            if shape is not None and shape.top_s >= TOP_HOLD_MIN_S:
                seg = reported[e.channel][shape.top_start_index : shape.top_end_index + 1]
                holds.append(
                    Hold(
                        start_s=round(float(t[shape.top_start_index]), 3),
                        end_s=round(float(t[shape.top_end_index]), 3),
                        duration_s=round(shape.top_s, 2),
                        side=e.channel or None,  # type: ignore[arg-type]
                        mean_deg=_r(float(np.nanmean(seg)), 1) if drive.is_angle else None,
                    )
                )

    # -- form ----------------------------------------------------------------------------
    violations, rule_unavailable = evaluate_rules(d.form_rules, windows, kin, track)
    unavailable.update(rule_unavailable)
    for v in violations:
        if d.hold is None and 1 <= v.window.label <= len(reps):
            issues = reps[v.window.label - 1].form_issues
            if v.rule.code not in issues:
                issues.append(v.rule.code)
    unit_word = "holds" if d.hold is not None else "reps"
    flags += clinician_flags(violations, len(windows), unit_word)
    messages = patient_cues(violations, "hold" if d.hold is not None else "rep", with_times=True)
    if judge_tempo:
        messages += tempo_cues(rep_issues, tempo, {i + 1: r.start_s for i, r in enumerate(reps)})

    # -- tests, prescription -------------------------------------------------------------
    ctx = TestContext(d, t, kin, track, rate, report_sides, counted, warnings)
    test_result = run_test(ctx)
    rep_count = len(holds) if d.kind == "hold" else len(reps)
    result = ExerciseResult(
        exercise_id=d.id,
        rep_count=rep_count,
        reps=reps,
        partial_reps=partial_reps,
        sets=sets,
        holds=holds,
        working_side=worked,  # type: ignore[arg-type]
        counted_signal=drive.name,
        counted_signal_unit=drive.unit,
        counted_signal_uncertainty_deg=(
            uncertainty_deg(drive.name, posture_of(kin)) if drive.is_angle else None
        ),
        prescription=adherence(
            target,
            reps=reps,
            partial_reps=partial_reps,
            sets=sets,
            holds=holds,
            hold_exercise=d.hold is not None,
        ),
        test_result=test_result,
        patient_messages=messages,
        unavailable=unavailable,
    )
    return finish(result)
