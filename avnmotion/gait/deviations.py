"""Gait deviation flags for the clinician: observations with value, threshold and source.

Each flag is worded as what was seen, never as a diagnosis or a load estimate, and the
absence of a flag never means the gait is normal.

=========================  ======================================================================
code                       rule
=========================  ======================================================================
antalgic_pattern           single-support time shorter on side X by more than the symmetry
                           cutoff (|SI| > 10 % by default); the flag side is X (the side the
                           body rests on less). A shorter stance on X and a shorter step of
                           the *other* limb (it lands early) are cited as supporting signs.
                           Evidence that step-length asymmetry tracks hip pain is mixed, and
                           the message says so.
trendelenburg_pattern      front view or 3-D only. During single support on side X the pelvis
                           drops toward the swing side: ``pelvic_obliquity_deg`` (+ = left hip
                           higher) minus its median over the walk, signed toward the swing
                           side, peaks above 10 deg on average over X's strides. 10 deg is the
                           upper end of the normal 4-7 deg pelvic drop plus about 3 deg of
                           measurement error; not validated for video. The flag side is the
                           stance limb.
duchenne_pattern           front view or 3-D only. During single support on X the trunk leans
                           toward X (``trunk_lateral_lean_deg``, + toward the subject's right,
                           minus its median) by more than 8 deg on average: about 5 deg of
                           normal lateral trunk sway plus 3 deg of measurement error. The
                           message describes the lean, not its cause.
reduced_hip_extension      side view or 3-D only. Peak hip extension in stance
                           (``-min(hip_flexion_deg)``, trunk-referenced) below 5 deg on
                           average. Healthy adults reach roughly 10-20 deg in terminal stance
                           (Perry & Burnfield 2010); the video angle differs from
                           pelvis-referenced motion capture by pelvic tilt and has about 5 deg
                           of error, hence the low threshold.
shortened_step             step length SI beyond the cutoff; the flag side is the landing
                           foot of the shorter step.
=========================  ======================================================================

References
----------
Robinson, R. O., Herzog, W., & Nigg, B. M. (1987). J Manipulative Physiol Ther 10(4), 172-176.
Perry, J., & Burnfield, J. M. (2010). Gait Analysis: Normal and Pathological Function, 2nd ed.
Kerrigan, D. C., et al. (1998). Biomechanical gait alterations independent of speed in the
healthy elderly. Arch Phys Med Rehabil 79(3), 317-322.
"""

from __future__ import annotations

import numpy as np

from avnmotion.gait.parameters import GaitParameters, Stride, other
from avnmotion.kinematics import Kinematics
from avnmotion.result import Flag, Interval, SymmetryIndex

TRENDELENBURG_THRESHOLD_DEG = 10.0  # normal 4-7 deg pelvic drop + ~3 deg measurement error
DUCHENNE_THRESHOLD_DEG = 8.0  # ~5 deg normal lateral trunk sway + ~3 deg measurement error
HIP_EXTENSION_THRESHOLD_DEG = 5.0
MIN_STRIDES = 2


def _si(symmetry: list[SymmetryIndex], name: str) -> SymmetryIndex | None:
    return next((s for s in symmetry if s.parameter == name), None)


def _asymmetric(s: SymmetryIndex | None, cutoff: float) -> bool:
    return s is not None and s.si_pct is not None and abs(s.si_pct) > cutoff


def _affected_note(side: str, affected_side: str | None) -> str:
    if affected_side is None:
        return ""
    if affected_side == side:
        return f" This is the side given as affected ({affected_side})."
    return f" The side given as affected is the {affected_side}."


def _single_support(s: Stride) -> tuple[float, float] | None:
    if not s.complete or s.other_off_s is None or s.other_strike_s is None:
        return None
    return s.other_off_s, s.other_strike_s


def antalgic_flags(
    params: GaitParameters,
    symmetry: list[SymmetryIndex],
    cutoff_pct: float,
    affected_side: str | None = None,
) -> list[Flag]:
    ss = _si(symmetry, "single_support_time_s")
    if not _asymmetric(ss, cutoff_pct) or ss is None or ss.n_pairs < MIN_STRIDES:
        return []
    side = ss.lower_side
    assert side is not None and ss.si_pct is not None
    opp = other(side)
    summ = params.summaries
    v_side = summ[side].single_support_time_s
    v_opp = summ[opp].single_support_time_s
    msg = (
        f"Single-support time is shorter on the {side} ({v_side:.2f} s) than on the {opp} "
        f"({v_opp:.2f} s): SI {ss.si_pct:+.1f} %, beyond the {cutoff_pct:g} % cutoff. The body "
        f"rests for less time on the {side} leg, as in an antalgic gait."
    )
    stance = _si(symmetry, "stance_time_s")
    if _asymmetric(stance, cutoff_pct) and stance is not None and stance.lower_side == side:
        msg += f" Stance time is also shorter on the {side} (SI {stance.si_pct:+.1f} %)."
    step = _si(symmetry, "step_length")
    if _asymmetric(step, cutoff_pct) and step is not None and step.lower_side == opp:
        msg += (
            f" The {opp} step (the {opp} foot landing) is shorter (SI {step.si_pct:+.1f} %), "
            "which supports this."
        )
    msg += (
        " Evidence that step asymmetry tracks hip pain is mixed; read with the clinical "
        "picture." + _affected_note(side, affected_side)
    )
    # The side's single supports: the other foot's swings (phases), else complete strides.
    intervals = [
        Interval(start_s=round(p.start_s, 3), end_s=round(p.end_s, 3))
        for p in params.phases
        if p.side == opp and p.kind == "swing"
    ] or [
        Interval(start_s=round(s.start_s, 3), end_s=round(s.foot_off_s, 3))
        for s in params.strides
        if s.side == side and s.complete and s.foot_off_s is not None
    ]
    return [
        Flag(
            code="antalgic_pattern",
            severity="caution",
            side=side,  # type: ignore[arg-type]
            value=round(abs(ss.si_pct), 2),
            threshold=cutoff_pct,
            unit="%",
            source="symmetry index (Robinson et al. 1987), single-support time, "
            f"{cutoff_pct:g} % cutoff",
            message=msg,
            intervals=intervals,
        )
    ]


def _stance_peak_flags(
    params: GaitParameters,
    kin: Kinematics,
    angle: str,
    sign_for_stance: dict[str, float],
    threshold: float,
) -> dict[str, tuple[float, list[Interval], int]]:
    """Per stance side: mean over strides of the peak signed angle during single support."""
    values = kin.angles_deg[angle]
    t = kin.timestamps_s
    neutral = float(np.nanmedian(values)) if np.any(np.isfinite(values)) else 0.0
    out: dict[str, tuple[float, list[Interval], int]] = {}
    for side in ("left", "right"):
        peaks: list[float] = []
        intervals: list[Interval] = []
        for s in params.strides:
            if s.side != side:
                continue
            ss = _single_support(s)
            if ss is None:
                continue
            sel = (t >= ss[0]) & (t <= ss[1])
            seg = sign_for_stance[side] * (values[sel] - neutral)
            if seg.size == 0 or not np.any(np.isfinite(seg)):
                continue
            peak = float(np.nanmax(seg))
            peaks.append(peak)
            if peak > threshold:
                intervals.append(Interval(start_s=round(ss[0], 3), end_s=round(ss[1], 3)))
        if len(peaks) >= MIN_STRIDES:
            out[side] = (float(np.mean(peaks)), intervals, len(peaks))
    return out


def trendelenburg_flags(
    params: GaitParameters, kin: Kinematics | None, affected_side: str | None = None
) -> list[Flag]:
    name = "pelvic_obliquity_deg"
    if kin is None or kin.view not in ("front", "3d") or name in kin.unavailable:
        return []
    # Left stance: the right (swing) side drops -> left hip higher -> obliquity +.
    peaks = _stance_peak_flags(
        params, kin, name, {"left": 1.0, "right": -1.0}, TRENDELENBURG_THRESHOLD_DEG
    )
    flags: list[Flag] = []
    for side, (mean_peak, intervals, n) in peaks.items():
        if mean_peak <= TRENDELENBURG_THRESHOLD_DEG:
            continue
        video = " Not validated for video." if kin.view != "3d" else ""
        flags.append(
            Flag(
                code="trendelenburg_pattern",
                severity="caution",
                side=side,  # type: ignore[arg-type]
                value=round(mean_peak, 2),
                threshold=TRENDELENBURG_THRESHOLD_DEG,
                unit="deg",
                source="pelvic drop in normal gait 4-7 deg (Perry & Burnfield 2010) plus "
                "~3 deg measurement error",
                message=(
                    f"During single support on the {side} leg the pelvis dropped toward the "
                    f"{other(side)} (swing) side by {mean_peak:.1f} deg on average over {n} "
                    f"strides (threshold {TRENDELENBURG_THRESHOLD_DEG:g} deg), as in a "
                    f"Trendelenburg pattern on the {side} stance limb.{video}"
                    + _affected_note(side, affected_side)
                ),
                intervals=intervals,
            )
        )
    return flags


def duchenne_flags(
    params: GaitParameters, kin: Kinematics | None, affected_side: str | None = None
) -> list[Flag]:
    name = "trunk_lateral_lean_deg"
    if kin is None or kin.view not in ("front", "3d") or name in kin.unavailable:
        return []
    # + = toward the subject's right: leaning over the left stance hip is negative.
    peaks = _stance_peak_flags(
        params, kin, name, {"left": -1.0, "right": 1.0}, DUCHENNE_THRESHOLD_DEG
    )
    flags: list[Flag] = []
    for side, (mean_peak, intervals, n) in peaks.items():
        if mean_peak <= DUCHENNE_THRESHOLD_DEG:
            continue
        video = " Not validated for video." if kin.view != "3d" else ""
        flags.append(
            Flag(
                code="duchenne_pattern",
                severity="caution",
                side=side,  # type: ignore[arg-type]
                value=round(mean_peak, 2),
                threshold=DUCHENNE_THRESHOLD_DEG,
                unit="deg",
                source="lateral trunk sway in normal gait about 5 deg (Perry & Burnfield "
                "2010) plus ~3 deg measurement error",
                message=(
                    f"During single support on the {side} leg the trunk leaned toward the "
                    f"{side} (over the stance hip) by {mean_peak:.1f} deg on average over {n} "
                    f"strides (threshold {DUCHENNE_THRESHOLD_DEG:g} deg). This describes the "
                    f"lean that was seen (a Duchenne-type lurch), not its cause.{video}"
                    + _affected_note(side, affected_side)
                ),
                intervals=intervals,
            )
        )
    return flags


def hip_extension_flags(
    params: GaitParameters, kin: Kinematics | None, affected_side: str | None = None
) -> list[Flag]:
    if kin is None or kin.view not in ("side", "3d"):
        return []
    flags: list[Flag] = []
    for side in ("left", "right"):
        summ = params.summaries[side]
        ext = summ.peak_hip_extension_deg
        if ext is None or summ.n_strides < MIN_STRIDES or ext >= HIP_EXTENSION_THRESHOLD_DEG:
            continue
        opp = params.summaries[other(side)].peak_hip_extension_deg
        compare = f" ({other(side)}: {opp:.1f} deg)" if opp is not None else ""
        intervals = [
            Interval(start_s=round(s.start_s, 3), end_s=round(s.foot_off_s, 3))
            for s in params.strides
            if s.side == side and s.complete and s.foot_off_s is not None
        ]
        flags.append(
            Flag(
                code="reduced_hip_extension",
                severity="caution",
                side=side,  # type: ignore[arg-type]
                value=round(ext, 2),
                threshold=HIP_EXTENSION_THRESHOLD_DEG,
                unit="deg",
                source="terminal-stance hip extension of roughly 10-20 deg in healthy adults "
                "(Perry & Burnfield 2010; reduced in older adults, Kerrigan et al. 1998); "
                "threshold allows ~5 deg video error",
                message=(
                    f"Peak hip extension in {side} stance averaged {ext:.1f} deg{compare}, "
                    f"below {HIP_EXTENSION_THRESHOLD_DEG:g} deg: the {side} thigh did not "
                    "reach the usual extension behind the trunk in terminal stance. The angle "
                    "is measured against the trunk line, not the pelvis."
                    + _affected_note(side, affected_side)
                ),
                intervals=intervals,
            )
        )
    return flags


def shortened_step_flags(
    params: GaitParameters,
    symmetry: list[SymmetryIndex],
    cutoff_pct: float,
    affected_side: str | None = None,
) -> list[Flag]:
    step = _si(symmetry, "step_length")
    if not _asymmetric(step, cutoff_pct) or step is None or step.n_pairs < MIN_STRIDES:
        return []
    side = step.lower_side
    assert side is not None and step.si_pct is not None
    summ = params.summaries
    unit_note = (
        f"{summ[side].step_length_m:.2f} m vs {summ[other(side)].step_length_m:.2f} m"
        if summ[side].step_length_m is not None and summ[other(side)].step_length_m is not None
        else f"{summ[side].step_length_leg_lengths:.2f} vs "
        f"{summ[other(side)].step_length_leg_lengths:.2f} leg lengths"
    )
    intervals = [
        Interval(start_s=round(s.start_s, 3), end_s=round(s.end_s, 3))
        for s in params.steps
        if s.side == side
    ]
    return [
        Flag(
            code="shortened_step",
            severity="info",
            side=side,  # type: ignore[arg-type]
            value=round(abs(step.si_pct), 2),
            threshold=cutoff_pct,
            unit="%",
            source=f"symmetry index (Robinson et al. 1987), step length, {cutoff_pct:g} % cutoff",
            message=(
                f"Steps landing on the {side} foot are shorter ({unit_note}; SI "
                f"{step.si_pct:+.1f} %). A short step of one foot often means less time on "
                f"the other leg ({other(side)}) in single support."
                + _affected_note(side, affected_side)
            ),
            intervals=intervals,
        )
    ]


def gait_flags(
    params: GaitParameters,
    symmetry: list[SymmetryIndex],
    kin: Kinematics | None,
    *,
    cutoff_pct: float = 10.0,
    affected_side: str | None = None,
) -> list[Flag]:
    """All gait deviation flags; see the module table."""
    return (
        antalgic_flags(params, symmetry, cutoff_pct, affected_side)
        + trendelenburg_flags(params, kin, affected_side)
        + duchenne_flags(params, kin, affected_side)
        + hip_extension_flags(params, kin, affected_side)
        + shortened_step_flags(params, symmetry, cutoff_pct, affected_side)
    )
