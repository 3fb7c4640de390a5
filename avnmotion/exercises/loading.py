"""Loading observations judged against the patient's protocol.

These are OBSERVATIONS of movement, not estimates of joint load: video shows angles, which foot
is off the ground and how fast the hips move, not forces. Each observation is a
:class:`~avnmotion.result.Flag` for the clinician with the measured value, the threshold, the
unit, where the threshold comes from, and the time intervals (contiguous runs, found by
vectorised run-length detection) in which the condition held.

**No flag never means "safe".** An observation is only made where the camera view shows the
movement; what cannot be assessed is said explicitly (below), and everything the pose model does
not see (crutches, rails, load on a machine, pain) is outside these checks.

What is checked
---------------
* **Clinician-entered precautions** (``protocol.precautions`` active on ``today``; expired ones
  raise nothing). Defaults for a replacement approach only pre-fill the clinician's form
  (:func:`avnmotion.protocol.default_precautions`); they are never applied here unless entered.

  - ``hip_flexion``: trunk-thigh angle above the limit (side view). The message names the angle
    a proxy: it is not pelvis-referenced.
  - ``hip_extension``: trunk-thigh extension beyond the limit (side view), same proxy.
  - ``hip_adduction``: hip abduction angle below minus the limit, i.e. past the midline (front).
  - ``hip_internal_rotation`` / ``hip_external_rotation``: only measurable in the seated
    rotation test (``rom_hip_rotation``).
  - ``hip_abduction_resisted``: active abduction above 15 deg (front view); whether it was
    resisted is not visible.
  - ``single_leg_stance``: standing on that leg with the other foot off the ground.
  - ``impact``: see below.

  A precaution that this clip cannot assess (wrong view, rotation outside the seated test)
  produces a Flag with severity ``info`` and code ``precaution_not_assessable`` — a flag rather
  than a quality warning so that it sits next to the other observations the clinician reads and
  cannot be mistaken for "no problem".
* **Weight bearing on the affected side** when the protocol restricts it (``non``,
  ``toe_touch``, ``partial``): single-leg stance on the affected leg; for non-weight-bearing also
  standing on both feet. In a weight-bearing exercise, a leg judged (hip, knee and foot seen)
  in under half the frames with a person gets ``single_leg_stance_not_assessable`` (severity
  ``info``) instead of silence: the far leg filmed from the side is mostly hidden.
* **AVN without replacement** (``pre_collapse``, ``post_collapse``,
  ``after_core_decompression``): impacts (fast deceleration of the hips) and fast uncontrolled
  lowering during weight-bearing exercises.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage

from avnmotion.exercises.counting import mask_intervals, smooth
from avnmotion.exercises.registry import ExerciseDefinition
from avnmotion.exercises.signals import (
    body_points,
    clip_leg_length,
    feet_off_ground,
    single_leg_stance,
    standing_on,
)
from avnmotion.kinematics import Kinematics, posture_of, uncertainty_deg
from avnmotion.protocol import PatientProtocol, Precaution
from avnmotion.result import Flag, Interval
from avnmotion.track import PoseTrack

FloatArray = NDArray[np.float64]

AVN_STAGES = ("pre_collapse", "post_collapse", "after_core_decompression")
RESTRICTED_WEIGHT_BEARING = ("non", "toe_touch", "partial")

#: Shortest single-leg stance reported (s): shorter than this is a walking step.
MIN_SINGLE_LEG_STANCE_S = 0.75
#: Upward acceleration of the hips (leg lengths/s^2) taken as an impact (~0.7 g for 0.9 m legs).
IMPACT_LEG_LENGTHS_PER_S2 = 8.0
#: ... after a downward hip speed of at least this (leg lengths/s) within the last 0.3 s.
IMPACT_DESCENT_LEG_LENGTHS_PER_S = 0.5
IMPACT_DESCENT_WINDOW_S = 0.3
#: Downward speed of the hips (leg lengths/s) taken as fast, uncontrolled lowering.
FAST_LOWERING_LEG_LENGTHS_PER_S = 1.0
#: Shortest run of a precaution angle beyond its limit that is reported (s).
MIN_PRECAUTION_RUN_S = 0.1
ACTIVE_ABDUCTION_DEG = 15.0

SRC_WB = "protocol weight-bearing status (clinician-entered)"
SRC_AVN = (
    "pre-collapse AVN: protect the femoral head from impact and fast uncontrolled loading "
    "(Mont et al. 2015, J Bone Joint Surg Am 97)"
)


def _intervals(runs: list[tuple[float, float]]) -> list[Interval]:
    return [Interval(start_s=round(a, 3), end_s=round(b, 3)) for a, b in runs]


def _sides(side: str) -> tuple[str, ...]:
    return ("left", "right") if side == "both" else (side,)


def _not_assessable(p: Precaution, side: str | None, reason: str) -> Flag:
    limit = "" if p.limit_deg is None else f" (limit {p.limit_deg:g} deg)"
    return Flag(
        code="precaution_not_assessable",
        severity="info",
        audience="clinician",
        side=side,  # type: ignore[arg-type]
        threshold=p.limit_deg,
        unit="deg" if p.limit_deg is not None else None,
        source=p.source,
        message=f"{p.movement.replace('_', ' ')} precaution{limit}: not assessable in this "
        f"clip: {reason}",
    )


def _angle_precaution(
    p: Precaution,
    kin: Kinematics,
    angle: str,
    sign: float,
    describe: str,
    proxy: str,
    proxy_angle: str = "",
) -> list[Flag]:
    """Flag runs where ``sign * angle`` exceeds the limit, per side of the precaution."""
    flags: list[Flag] = []
    assert p.limit_deg is not None
    limit = p.limit_deg
    for side in _sides(p.side):
        name = f"{side}_{angle}"
        if name in kin.unavailable:
            flags.append(_not_assessable(p, side, kin.unavailable[name]))
            continue
        values = sign * kin.angles_deg[name]
        with np.errstate(invalid="ignore"):
            over = values > limit
        runs = mask_intervals(over, kin.timestamps_s, min_duration_s=MIN_PRECAUTION_RUN_S)
        if not runs:
            continue
        peak = float(np.nanmax(np.where(over, values, np.nan)))
        error = uncertainty_deg(angle, posture_of(kin))
        # Still an observation when it is within measurement error, but it says so: "0 deg,
        # limit 0" read as no breach at all.
        within = (
            f"; {peak - limit:.1f} deg past the limit is within the angle's stated "
            f"uncertainty of +-{error:g} deg"
            if error is not None and peak - limit < error
            else ""
        )
        flags.append(
            Flag(
                code=f"precaution_{p.movement}",
                severity="warning",
                audience="clinician",
                side=side,  # type: ignore[arg-type]
                value=round(peak, 1),
                threshold=limit,
                unit="deg",
                uncertainty=error,
                source=p.source,
                message=(f"{describe} {peak:.1f} deg{proxy_angle}, limit {limit:g}{proxy}{within}"),
                intervals=_intervals(runs),
            )
        )
    return flags


def _stance_runs(track: PoseTrack) -> dict[str, list[tuple[float, float]]]:
    """Per stance side, runs of standing on that leg with the other foot off the ground."""
    return {
        side: mask_intervals(
            mask, track.timestamps_s, min_duration_s=MIN_SINGLE_LEG_STANCE_S, bridge_s=0.2
        )
        for side, mask in single_leg_stance(track).items()
    }


def _both_feet_standing_runs(track: PoseTrack) -> list[tuple[float, float]]:
    p = body_points(track)
    off = feet_off_ground(track, p=p)
    both_down = (
        ~off["left"]
        & ~off["right"]
        & (standing_on(track, "left", p) == 1.0)
        & (standing_on(track, "right", p) == 1.0)
    )
    return mask_intervals(both_down, track.timestamps_s, min_duration_s=1.0, bridge_s=0.2)


def _stance_message(side: str, duration: float) -> str:
    return (
        f"stood on the {side} leg alone for {duration:.1f} s with no visible support from the "
        "other foot (crutches, rails and walls are not detected: check the video)"
    )


def _hip_vertical(track: PoseTrack) -> tuple[FloatArray, FloatArray] | None:
    """Hip vertical velocity (leg lengths/s) and acceleration (leg lengths/s^2).

    Position, velocity and acceleration are each smoothed over 0.1 s (NaN-aware moving
    average) so that landmark jitter, amplified by differentiation, does not look like an
    impact; sharp true peaks are underestimated, which the flag message says.
    """
    p = body_points(track)
    scale = clip_leg_length(track, p)
    if scale is None or track.n_frames < 5:
        return None
    t = track.timestamps_s
    k = max(1, round(0.1 * track.sampling_rate_hz))
    height = smooth(0.5 * (p["left_hip"][:, 1] + p["right_hip"][:, 1]) / scale, k)
    with np.errstate(invalid="ignore"):
        vel = smooth(np.gradient(height, t), k)
        acc = smooth(np.gradient(vel, t), k)
    return vel, acc


def _trailing_min(x: FloatArray, frames: int) -> FloatArray:
    """Minimum over the last ``frames`` samples (NaN ignored)."""
    filled = np.where(np.isfinite(x), x, np.inf)
    size = max(1, frames)
    out = ndimage.minimum_filter1d(filled, size=size, origin=(size - 1) // 2, mode="nearest")
    return np.where(np.isfinite(out), out, np.nan)


#: Share of the frames with a person in which standing on a leg must be judgeable (its hip,
#: knee and foot seen) for "no single-leg stance observed" to mean anything; below it the
#: clip says the stance is not assessable on that leg (the far leg seen from the side).
MIN_STANCE_JUDGED_SHARE = 0.5


def _stance_judged_share(track: PoseTrack) -> dict[str, float]:
    """Per leg, the share of the frames with a person in which standing on it is judged."""
    p = body_points(track)
    present = np.any(np.stack([np.isfinite(v[:, 1]) for v in p.values()]), axis=0)
    if not present.any():
        return {s: 0.0 for s in ("left", "right")}
    return {
        s: float(np.mean(np.isfinite(standing_on(track, s, p))[present])) for s in ("left", "right")
    }


def _hidden_leg_flag(
    code: str, what: str, hidden: list[str], share: float, source: str, context: str
) -> Flag:
    """Info flag: ``what`` cannot be judged because the ``hidden`` legs were seen too rarely."""
    return Flag(
        code=code,
        severity="info",
        audience="clinician",
        side=hidden[0] if len(hidden) == 1 else None,  # type: ignore[arg-type]
        value=round(100 * share, 1),
        threshold=100 * MIN_STANCE_JUDGED_SHARE,
        unit="%",
        source=source,
        message=(
            f"{what}: not assessable in this clip: the {' and '.join(hidden)} leg was judged in "
            f"{share:.0%} of the frames with a person (hidden, e.g. the far leg filmed from the "
            f"side); {context}"
        ),
    )


def _single_leg_flags(
    runs: dict[str, list[tuple[float, float]]],
    sides: tuple[str, ...],
    severity: str,
    code: str,
    source: str,
    context: str,
    judged: dict[str, float] | None,
) -> list[Flag]:
    """Stance runs per side as flags; ``judged`` (None: not said) names a hidden leg."""
    flags = []
    for side in sides:
        side_runs = runs.get(side, [])
        if not side_runs:
            if judged is not None and judged[side] < MIN_STANCE_JUDGED_SHARE:
                flags.append(
                    _hidden_leg_flag(
                        "single_leg_stance_not_assessable",
                        f"standing on the {side} leg alone",
                        [side],
                        judged[side],
                        source,
                        context,
                    )
                )
            continue
        longest = max(b - a for a, b in side_runs)
        flags.append(
            Flag(
                code=code,
                severity=severity,  # type: ignore[arg-type]
                audience="clinician",
                side=side,  # type: ignore[arg-type]
                value=round(longest, 2),
                threshold=MIN_SINGLE_LEG_STANCE_S,
                unit="s",
                source=source,
                message=f"{_stance_message(side, longest)}; {context}",
                intervals=_intervals(side_runs),
            )
        )
    return flags


#: Quality warning of an exercise analysed without a patient protocol.
NO_PROTOCOL_WARNING = (
    "no patient protocol given (affected side, stage, weight bearing, precautions): loading "
    "was not judged, so the absence of loading flags says nothing about this patient"
)


def loading_observations(
    track: PoseTrack,
    kin: Kinematics,
    protocol: PatientProtocol | None,
    definition: ExerciseDefinition | None = None,
    today: dt.date | None = None,
) -> tuple[list[Flag], list[str]]:
    """Observations against ``protocol`` (flags) and notes for the quality warnings.

    ``track`` and ``kin`` are the reported (zero-phase filtered) ones. Without a protocol there
    is nothing to judge against: no flags, and a warning that says so (an empty flag list
    must not read as "checked, nothing found"). No flag never means "safe" (see the module
    docstring).
    """
    if protocol is None:
        return [], [NO_PROTOCOL_WARNING]
    today = today or dt.date.today()
    flags: list[Flag] = []
    warnings: list[str] = []
    active = protocol.active_precautions(today)
    if protocol.replacement_approach and not protocol.precautions:
        warnings.append(
            f"protocol names a {protocol.replacement_approach.replace('_', ' ')} approach but no "
            "precautions: approach defaults are not applied unless the clinician enters them"
        )
    stance: dict[str, list[tuple[float, float]]] | None = None
    bears_weight = definition is None or definition.weight_bearing != "none"
    judged: dict[str, float] | None = None

    def stance_runs() -> dict[str, list[tuple[float, float]]]:
        nonlocal stance
        if stance is None:
            stance = _stance_runs(track)
        return stance

    def stance_judged() -> dict[str, float] | None:
        # Only said for exercises done standing on the legs (not lying, seated or arm work).
        nonlocal judged
        if judged is None and bears_weight:
            judged = _stance_judged_share(track)
        return judged

    proxy, trunk_thigh = " (proxy: not pelvis-referenced)", ", trunk-thigh angle"
    for p in active:
        if p.movement == "hip_flexion" and p.limit_deg is not None:
            flags += _angle_precaution(
                p, kin, "hip_flexion_deg", 1.0, "hip flexion", proxy, trunk_thigh
            )
        elif p.movement == "hip_extension" and p.limit_deg is not None:
            flags += _angle_precaution(
                p, kin, "hip_flexion_deg", -1.0, "hip extension", proxy, trunk_thigh
            )
        elif p.movement == "hip_adduction" and p.limit_deg is not None:
            flags += _angle_precaution(
                p, kin, "hip_abduction_deg", -1.0, "hip adduction (past neutral)", ""
            )
        elif p.movement in ("hip_internal_rotation", "hip_external_rotation"):
            sign = 1.0 if p.movement == "hip_internal_rotation" else -1.0
            if p.limit_deg is None:
                flags.append(_not_assessable(p, None, "no angle limit entered"))
            else:
                flags += _angle_precaution(
                    p,
                    kin,
                    "hip_internal_rotation_deg",
                    sign,
                    p.movement.replace("hip_", "hip ").replace("_", " "),
                    " (seated test: shank angle)",
                )
        elif p.movement == "hip_abduction_resisted":
            flags += _active_abduction(p, kin)
        elif p.movement == "single_leg_stance":
            flags += _single_leg_flags(
                stance_runs(),
                _sides(p.side),
                "warning",
                "precaution_single_leg_stance",
                p.source,
                "precaution: no single-leg stance",
                stance_judged(),
            )
        elif p.movement == "impact":
            flags += _impact_flags(track, p.source, "precaution: avoid impact")
        elif p.limit_deg is None:
            flags.append(_not_assessable(p, None, "no angle limit entered"))

    affected = protocol.affected_side
    if protocol.weight_bearing in RESTRICTED_WEIGHT_BEARING and affected:
        wb = protocol.weight_bearing.replace("_", "-")
        flags += _single_leg_flags(
            stance_runs(),
            _sides(affected),
            "warning",
            "weight_bearing_single_leg_affected",
            SRC_WB,
            f"protocol: {wb} weight bearing on the {affected} side",
            stance_judged(),
        )
        if protocol.weight_bearing == "non":
            runs = _both_feet_standing_runs(track)
            shares = stance_judged() or {}
            hidden = [s for s, share in shares.items() if share < MIN_STANCE_JUDGED_SHARE]
            if not runs and hidden:
                flags.append(
                    _hidden_leg_flag(
                        "both_feet_stance_not_assessable",
                        "standing on both feet",
                        hidden,
                        min(shares.values()),
                        SRC_WB,
                        f"protocol: non-weight-bearing on the {affected} side",
                    )
                )
            if runs:
                total = sum(b - a for a, b in runs)
                flags.append(
                    Flag(
                        code="weight_bearing_both_feet",
                        severity="caution",
                        audience="clinician",
                        side=None if affected == "both" else affected,  # type: ignore[arg-type]
                        value=round(total, 2),
                        unit="s",
                        source=SRC_WB,
                        message=(
                            f"stood on both feet for {total:.1f} s; protocol: non-weight-bearing "
                            f"on the {affected} side (how much weight that leg took is not "
                            "visible)"
                        ),
                        intervals=_intervals(runs),
                    )
                )
    elif protocol.weight_bearing in RESTRICTED_WEIGHT_BEARING and not affected:
        warnings.append("protocol restricts weight bearing but names no affected side")

    if protocol.stage in AVN_STAGES:
        if not any(p.movement == "impact" for p in active):
            flags += _impact_flags(track, SRC_AVN, "AVN without replacement: avoid impact")
        if definition is None or definition.weight_bearing != "none":
            flags += _fast_lowering_flags(track)
    return flags, warnings


def _active_abduction(p: Precaution, kin: Kinematics) -> list[Flag]:
    flags = []
    for side in _sides(p.side):
        name = f"{side}_hip_abduction_deg"
        if name in kin.unavailable:
            flags.append(_not_assessable(p, side, kin.unavailable[name]))
            continue
        values = kin.angles_deg[name]
        with np.errstate(invalid="ignore"):
            over = values > ACTIVE_ABDUCTION_DEG
        runs = mask_intervals(over, kin.timestamps_s, min_duration_s=0.3)
        if runs:
            peak = float(np.nanmax(np.where(over, values, np.nan)))
            flags.append(
                Flag(
                    code="precaution_hip_abduction_resisted",
                    severity="caution",
                    audience="clinician",
                    side=side,  # type: ignore[arg-type]
                    value=round(peak, 1),
                    threshold=ACTIVE_ABDUCTION_DEG,
                    unit="deg",
                    source=p.source,
                    message=(
                        f"active hip abduction to {peak:.0f} deg; the precaution limits resisted "
                        "abduction and whether resistance was used is not visible"
                    ),
                    intervals=_intervals(runs),
                )
            )
    return flags


def _impact_flags(track: PoseTrack, source: str, context: str) -> list[Flag]:
    motion = _hip_vertical(track)
    if motion is None:
        return []
    vel, acc = motion
    recent = _trailing_min(vel, round(IMPACT_DESCENT_WINDOW_S * track.sampling_rate_hz))
    with np.errstate(invalid="ignore"):
        # A stop after a fast descent: upward acceleration and a recent downward speed.
        hits = (acc > IMPACT_LEG_LENGTHS_PER_S2) & (recent < -IMPACT_DESCENT_LEG_LENGTHS_PER_S)
    runs = mask_intervals(hits, track.timestamps_s)
    if not runs:
        return []
    peak = float(np.nanmax(np.where(hits, acc, np.nan)))
    return [
        Flag(
            code="impact",
            severity="caution",
            audience="clinician",
            value=round(peak, 1),
            threshold=IMPACT_LEG_LENGTHS_PER_S2,
            unit="leg_lengths/s^2",
            source=source,
            message=(
                f"{len(runs)} impact(s): the hips decelerated at up to {peak:.1f} leg lengths/s^2 "
                f"(threshold {IMPACT_LEG_LENGTHS_PER_S2:g}, about 0.7 g for a 0.9 m leg; "
                f"video underestimates sharp peaks); {context}"
            ),
            intervals=_intervals(runs),
        )
    ]


def _fast_lowering_flags(track: PoseTrack) -> list[Flag]:
    motion = _hip_vertical(track)
    if motion is None:
        return []
    vel, _ = motion
    with np.errstate(invalid="ignore"):
        fast = -vel > FAST_LOWERING_LEG_LENGTHS_PER_S
    runs = mask_intervals(fast, track.timestamps_s)
    if not runs:
        return []
    peak = float(np.nanmax(-vel))
    return [
        Flag(
            code="fast_uncontrolled_loading",
            severity="caution",
            audience="clinician",
            value=round(peak, 2),
            threshold=FAST_LOWERING_LEG_LENGTHS_PER_S,
            unit="leg_lengths/s",
            source=SRC_AVN,
            message=(
                f"hips lowered at up to {peak:.2f} leg lengths/s (threshold "
                f"{FAST_LOWERING_LEG_LENGTHS_PER_S:g}): fast, possibly uncontrolled loading"
            ),
            intervals=_intervals(runs),
        )
    ]
