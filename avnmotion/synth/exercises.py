"""Exercise and standard-test generators (pure numpy).

Every generator returns a :class:`~avnmotion.synth.motion.Motion` whose ``truth`` holds::

    exercise: {rep_count (complete reps, as the analysis counts them), complete_reps,
               partial_reps, attempts (complete + partial), sets, primary_angle, side,
               reps: [{index, set,
               start_s, peak_s, end_s, peak_deg, partial}], holds: [{start_s, end_s,
               duration_s}]}
    faults:   [{kind, rep_index, size_deg, start_s, end_s}]
    test_result: {...}   # standard tests only

``peak_deg`` is measured on the true angle curve of the primary angle (the same curve the
key's ``angles_deg`` holds), so keys and truth never disagree. A rep runs from leaving
the start position to coming back to it.

Postures: standing (feet planted; legs by IK or stance leg fixed), seated on a chair,
supine on a treatment table (angles then use the supine reference frame, see
:mod:`avnmotion.synth.angles`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.ndimage import gaussian_filter1d

from avnmotion.exercises.registry import get_definition
from avnmotion.synth.angles import joint_angles
from avnmotion.synth.motion import (
    SIDE_SIGN,
    SIDES,
    SIM_RATE_HZ,
    Motion,
    Pose,
    _mv,
    _unit,
    body_pose,
    fk_leg,
    foot_lowest_height,
    heading_vec,
    leg_ik,
    rot_x,
    rot_y,
    rot_z,
    sim_times,
    smoothstep,
    upright_basis,
)
from avnmotion.synth.subject import (
    Prop,
    Subject,
    chair_props,
    make_subject,
    sole_points,
    table_props,
)

FloatArray = NDArray[np.float64]
D = np.deg2rad

TABLE_HEIGHT_M = 0.62


# ---------------------------------------------------------------------------------------
# rep schedules
# ---------------------------------------------------------------------------------------
@dataclass
class RepPlan:
    """Timing of a set-based exercise (seconds)."""

    reps: int = 8
    sets: int = 1
    rest_s: float = 3.0
    up_s: float = 1.2
    hold_s: float = 0.5
    down_s: float = 1.2
    pause_s: float = 0.6
    lead_in_s: float = 1.0
    lead_out_s: float = 1.0
    #: per-rep ROM scale (1 = full); index = rep index over all sets
    scale: dict[int, float] = field(default_factory=dict)
    #: per-rep tempo multiplier (<1 faster)
    tempo: dict[int, float] = field(default_factory=dict)
    #: reps whose profile gets a jerky overshoot / bounce
    jerky: set[int] = field(default_factory=set)


def rep_profile(plan: RepPlan) -> tuple[FloatArray, FloatArray, list[dict[str, Any]]]:
    """Build the rep profile r(t) in [0, ~1] and the rep list.

    Returns (t, r, reps) where ``reps[k]`` = {index, set, start_s, top_start_s, top_end_s,
    end_s, scale}; ``rep_id`` per sample can be derived from start/end.
    """
    segs: list[tuple[float, float, float, float, str]] = []  # t0, t1, r0, r1, kind
    t = plan.lead_in_s
    reps: list[dict[str, Any]] = []
    k = 0
    for s in range(plan.sets):
        for _ in range(plan.reps):
            sc = plan.scale.get(k, 1.0)
            tm = plan.tempo.get(k, 1.0)
            up, hold, down, pause = plan.up_s * tm, plan.hold_s * tm, plan.down_s * tm, plan.pause_s
            rep = {"index": k, "set": s, "start_s": t, "scale": sc, "jerky": k in plan.jerky}
            segs.append((t, t + up, 0.0, sc, "up"))
            rep["top_start_s"] = t + up
            segs.append((t + up, t + up + hold, sc, sc, "hold"))
            rep["top_end_s"] = t + up + hold
            segs.append((t + up + hold, t + up + hold + down, sc, 0.0, "down"))
            rep["end_s"] = t + up + hold + down
            t = rep["end_s"] + pause
            reps.append(rep)
            k += 1
        if s < plan.sets - 1:
            t += plan.rest_s
    duration = t - plan.pause_s + plan.lead_out_s
    T = sim_times(duration)
    r = np.zeros_like(T)
    for t0, t1, r0, r1, kind in segs:
        m = (t0 <= T) & (t1 >= T)
        u = (T[m] - t0) / max(t1 - t0, 1e-9)
        r[m] = r0 + (r1 - r0) * (smoothstep(u) if kind != "hold" else u * 0 + 1.0 * (r1 == r0))
        if kind == "hold":
            r[m] = r0
    for rep in reps:
        if rep["jerky"]:
            m = (rep["start_s"] <= T) & (rep["end_s"] >= T)
            u = (T[m] - rep["start_s"]) / (rep["end_s"] - rep["start_s"])
            r[m] += 0.12 * rep["scale"] * np.sin(6 * np.pi * u) * np.sin(np.pi * u)
    return T, r, reps


def hold_profile(
    plan_holds: list[tuple[float, float, float]],
    lead_in: float,
    lead_out: float,
    ramp_s: float = 1.0,
    gap_s: float = 2.0,
) -> tuple[FloatArray, FloatArray, list[dict[str, Any]]]:
    """Profile for hold tasks: each (hold_s, scale, _) ramps up, holds, ramps down.

    Returns (t, r, holds) with holds = [{index, start_s (ramp start), hold_start_s,
    hold_end_s, end_s, scale}].
    """
    t = lead_in
    holds = []
    for i, (hold_s, sc, _) in enumerate(plan_holds):
        h = {
            "index": i,
            "start_s": t,
            "hold_start_s": t + ramp_s,
            "hold_end_s": t + ramp_s + hold_s,
            "end_s": t + 2 * ramp_s + hold_s,
            "scale": sc,
        }
        holds.append(h)
        t = h["end_s"] + gap_s
    duration = t - gap_s + lead_out
    T = sim_times(duration)
    r = np.zeros_like(T)
    for h in holds:
        m = (h["start_s"] <= T) & (h["end_s"] >= T)
        up = np.clip((T[m] - h["start_s"]) / ramp_s, 0, 1)
        dn = np.clip((h["end_s"] - T[m]) / ramp_s, 0, 1)
        r[m] = h["scale"] * smoothstep(np.minimum(up, dn))
    return T, r, holds


# ---------------------------------------------------------------------------------------
# posture builders
# ---------------------------------------------------------------------------------------
def _arr(x: Any, n: int) -> FloatArray:
    a = np.asarray(x, dtype=np.float64)
    return np.full(n, float(a)) if a.ndim == 0 else a


@dataclass
class Dof:
    """Per-sample degrees of freedom (radians) of the angle-driven parts."""

    n: int
    v: dict[str, FloatArray] = field(default_factory=dict)

    def __getitem__(self, k: str) -> FloatArray:
        if k not in self.v:
            self.v[k] = np.zeros(self.n)
        return self.v[k]

    def __setitem__(self, k: str, val: Any) -> None:
        self.v[k] = _arr(val, self.n)

    def add(self, k: str, val: Any) -> None:
        self[k] = self[k] + _arr(val, self.n)


def default_arms(d: Dof) -> None:
    for s in SIDES:
        if f"{s}_sh_abd" not in d.v:
            d[f"{s}_sh_abd"] = D(8.0)
        if f"{s}_elbow" not in d.v:
            d[f"{s}_elbow"] = D(12.0)


def assemble(
    subj: Subject,
    T: FloatArray,
    d: Dof,
    *,
    psi: float = 0.0,
    posture: str = "standing",
    pelvis_pos: FloatArray | None = None,
    support: str | None = None,
    support_ankle: dict[str, FloatArray] | None = None,
    ik_legs: dict[str, dict[str, FloatArray]] | None = None,
) -> Pose:
    """Pose from DOFs.

    posture ``standing`` / ``seated``: base frame = heading; ``supine``: lying on the back,
    head toward ``-heading(psi)``, anterior side up.

    ``support`` = "left"/"right": that leg (angle driven) keeps its ankle at
    ``support_ankle[side]`` (or its first-sample position) by translating the whole body.
    ``ik_legs[side]`` = {"ankle", "r_foot", "hint"} solves that leg by IK instead of angles.
    """
    n = T.shape[0]
    psi_a = np.full(n, psi)
    base = rot_y(psi_a)
    if posture == "supine":
        base = base @ rot_z(np.full(n, np.pi / 2))
    r_pel = base @ rot_y(d["pelvis_rot"]) @ rot_x(d["pelvis_obliq"]) @ rot_z(-d["pelvis_tilt"])
    r_tr = base @ rot_y(d["trunk_twist"]) @ rot_z(-d["trunk_flex"]) @ rot_x(d["trunk_lat"])
    r_head = r_tr @ rot_z(d["trunk_flex"] * 0.6 - d["head_pitch"]) @ rot_x(-0.7 * d["trunk_lat"])
    pel = np.zeros((n, 3)) if pelvis_pos is None else pelvis_pos.copy()
    legs: dict[str, dict[str, FloatArray]] = {}

    def leg_for(side: str, pel_now: FloatArray) -> dict[str, FloatArray]:
        hip = pel_now + _mv(r_pel, [0.0, 0.0, SIDE_SIGN[side] * 0.5 * subj.hip_joint_width])
        if ik_legs is not None and side in ik_legs:
            spec = ik_legs[side]
            knee, r_th, r_sh = leg_ik(subj, hip, spec["ankle"], spec["hint"])
            return {
                "knee": knee,
                "ankle": spec["ankle"],
                "r_thigh": r_th,
                "r_shank": r_sh,
                "r_foot": spec["r_foot"],
            }
        p = side
        return fk_leg(
            subj,
            side,
            hip,
            r_pel,
            d[f"{p}_hip_flex"],
            d[f"{p}_hip_abd"],
            d[f"{p}_hip_rot"],
            d[f"{p}_knee"],
            d[f"{p}_ankle"],
        )

    if support is not None:
        leg0 = leg_for(support, pel)
        target = (
            support_ankle[support]
            if support_ankle and support in support_ankle
            else np.repeat(leg0["ankle"][:1], n, axis=0)
        )
        pel = pel + (target - leg0["ankle"])
    for side in SIDES:
        legs[side] = leg_for(side, pel)
    default_arms(d)
    arms = {
        s: {
            "shoulder_flex": d[f"{s}_sh_flex"],
            "shoulder_abd": d[f"{s}_sh_abd"],
            "elbow_flex": d[f"{s}_elbow"],
            "shoulder_rot": d[f"{s}_sh_rot"],
        }
        for s in SIDES
    }
    if posture == "supine":
        f = np.repeat(np.array([[0.0, 1.0, 0.0]]), n, axis=0)
        up = -heading_vec(psi_a)
        right = np.cross(f, up)
        basis = np.stack([f, up, right], axis=-1)
    else:
        basis = upright_basis(psi_a)
    return body_pose(subj, T, pel, r_pel, r_tr, r_head, legs, arms, basis)


def _ground(pose: Pose, subj: Subject, side: str) -> Pose:
    """Translate the body vertically so the support foot's (or the lower foot's, for
    ``"both"``) lowest shoe vertex touches the floor in every sample."""
    sides = SIDES if side == "both" else (side,)
    low = np.min(np.stack([foot_lowest_height(subj, pose, s) for s in sides]), axis=0)
    shift = np.zeros((pose.n, 3))
    shift[:, 1] = -low
    joints = {k: v + shift for k, v in pose.joints.items()}
    segs = {}
    for k, v in pose.segments.items():
        v2 = v.copy()
        v2[:, :3, 3] += shift
        segs[k] = v2
    return Pose(t=pose.t, joints=joints, segments=segs, basis=pose.basis)


def standing_pelvis(
    subj: Subject, n: int, x: float = 0.0, z: float = 0.0, knee_deg: float = 0.0
) -> FloatArray:
    h = subj.thigh + subj.shank + subj.ankle_height
    return np.tile(np.array([x, h, z]), (n, 1))


def foot_flat_rot(psi: float, n: int, pitch: Any = 0.0) -> FloatArray:
    return rot_y(np.full(n, psi)) @ rot_z(_arr(pitch, n))


def planted_feet(
    subj: Subject,
    n: int,
    psi: float,
    centre: FloatArray,
    half_width: float,
    toe_out_deg: float = 0.0,
) -> dict[str, dict[str, FloatArray]]:
    """Flat feet on the floor, ankles ``half_width`` either side of ``centre`` (x, z)."""
    f = heading_vec(psi)
    r = np.cross(f, [0.0, 1.0, 0.0])
    out = {}
    for s in SIDES:
        sg = SIDE_SIGN[s]
        yaw = psi - sg * D(toe_out_deg)
        ank = np.array([centre[0], subj.ankle_height, centre[2]]) + sg * half_width * r
        out[s] = {"ankle": np.repeat(ank[None], n, axis=0), "r_foot": foot_flat_rot(yaw, n)}
    return out


def _true_hold(task: str, t: FloatArray, curve: FloatArray, h: dict[str, Any]) -> dict[str, Any]:
    """The key's hold: the exercise's own hold definition applied to the true angle.

    The schedule's ramps end in a smoothstep, so the body is within a degree of the held
    position well before the schedule's plateau starts (the true hip abduction of the
    adductor stretch: 0.7 deg off at 2.25 s for a plateau from 2.5 s). The key therefore
    times what the analysis is asked to time: the span around the plateau where the true
    angle stays within the definition's ``band`` of its held level (for squeezes within a
    held position, within a quarter of the squeeze's excursion; see
    :func:`avnmotion.exercises.counting.detect_holds`). ``plateau_*`` keep the schedule.
    """
    spec = get_definition(task).hold
    if spec is None:  # a timed test (single-leg stance): its own key field times it
        return {
            "start_s": h["hold_start_s"],
            "end_s": h["hold_end_s"],
            "duration_s": h["hold_end_s"] - h["hold_start_s"],
        }
    plateau = (t >= h["hold_start_s"]) & (t <= h["hold_end_s"])
    level = float(np.median(curve[plateau]))
    if spec.squeeze_min_change is not None:
        rest = float(curve[np.searchsorted(t, h["start_s"])])
        tol = 0.25 * abs(level - rest)
    else:
        tol = spec.band
    inside = (t >= h["start_s"]) & (t <= h["end_s"]) & (np.abs(curve - level) <= tol)
    inside |= plateau
    # the run of in-band frames that contains the plateau
    mid = int(np.flatnonzero(plateau)[plateau.sum() // 2])
    out_before = np.flatnonzero(~inside[:mid])
    out_after = np.flatnonzero(~inside[mid:])
    i0 = int(out_before[-1]) + 1 if out_before.size else 0
    i1 = mid + int(out_after[0]) - 1 if out_after.size else t.size - 1
    return {
        "start_s": float(t[i0]),
        "end_s": float(t[i1]),
        "duration_s": float(t[i1] - t[i0]),
        "band_deg": tol,
        "plateau_start_s": h["hold_start_s"],
        "plateau_end_s": h["hold_end_s"],
    }


def _finish(
    task: str,
    subj: Subject,
    pose: Pose,
    params: dict[str, Any],
    *,
    seed: int,
    reference: str = "upright",
    props: list[Prop] | None = None,
    psi: float = 0.0,
    primary: str,
    reps: list[dict[str, Any]] | None = None,
    holds: list[dict[str, Any]] | None = None,
    faults: list[dict[str, Any]] | None = None,
    test_result: dict[str, Any] | None = None,
    side: str | None = None,
    peak_mode: str = "max",
    seated_rotation: bool = False,
) -> Motion:
    """Compute rep peaks on the true angle curve and pack the Motion."""
    params = dict(params)
    params["seated_rotation"] = seated_rotation
    ang = joint_angles(pose, seated_rotation=seated_rotation)
    curve = ang[primary]
    t = pose.t
    rep_out = []
    partial = 0
    base_val = float(np.median(curve[t < 0.5])) if np.any(t < 0.5) else float(curve[0])
    for rp in reps or []:
        m = (t >= rp["start_s"]) & (t <= rp["end_s"])
        seg = curve[m]
        i = int(np.argmax(seg) if peak_mode == "max" else np.argmin(seg))
        is_partial = bool(rp["scale"] < 0.85)
        partial += int(is_partial)
        rep_out.append(
            {
                "index": rp["index"],
                "set": rp.get("set", 0),
                "start_s": rp["start_s"],
                "peak_s": float(t[m][i]),
                "end_s": rp["end_s"],
                "peak_deg": float(seg[i]),
                "excursion_deg": float(abs(seg[i] - base_val)),
                "partial": is_partial,
            }
        )
    hold_out = [_true_hold(task, t, curve, h) for h in (holds or [])]
    n_sets = 1 + max((r["set"] for r in rep_out), default=0) if rep_out else (1 if hold_out else 0)
    truth: dict[str, Any] = {
        "exercise": {
            "primary_angle": primary,
            "side": side,
            # As the analysis reports it: complete reps are counted, partial reps are not.
            "rep_count": len(rep_out) - partial,
            "complete_reps": len(rep_out) - partial,
            "partial_reps": partial,
            "attempts": len(rep_out),
            "sets": n_sets,
            "reps": rep_out,
            "holds": hold_out,
        },
        "faults": faults or [],
    }
    if test_result is not None:
        truth["test_result"] = test_result
    return Motion(
        task=task,
        subject=subj,
        pose=pose,
        params=params,
        truth=truth,
        props=props or [],
        reference=reference,
        heading=np.full(pose.n, psi),
        seed=seed,
    )


def _fault(
    kind: str, rep: dict[str, Any] | None, size: float | None, **extra: Any
) -> dict[str, Any]:
    out = {
        "kind": kind,
        "rep_index": rep["index"] if rep else None,
        "size_deg": size,
        "start_s": rep["start_s"] if rep else None,
        "end_s": rep["end_s"] if rep else None,
    }
    out.update(extra)
    return out


def _rep_mask(T: FloatArray, rep: dict[str, Any]) -> FloatArray:
    """0..1 weight active during a rep (smooth in/out)."""
    u = (T - rep["start_s"]) / (rep["end_s"] - rep["start_s"])
    return np.where((u >= 0) & (u <= 1), np.sin(np.pi * np.clip(u, 0, 1)) ** 0.5, 0.0)


def _rng(seed: int, tag: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([int(seed), tag]))


def _tempo_jitter(plan: RepPlan, seed: int) -> RepPlan:
    rng = _rng(seed, 0x7E)
    f = float(rng.uniform(0.9, 1.12))
    plan.up_s *= f
    plan.down_s *= f
    plan.hold_s *= f
    return plan


# ---------------------------------------------------------------------------------------
# standing, both feet planted (IK legs)
# ---------------------------------------------------------------------------------------
def generate_squat(
    subject: Subject | None = None,
    *,
    seed: int = 0,
    reps: int = 6,
    sets: int = 1,
    depth_knee_deg: float = 85.0,
    valgus_rep: int | None = 2,
    valgus_deg: float = 33.0,
    partial_rep: int | None = 4,
    deep_rep: int | None = None,
    deep_hip_deg: float = 100.0,
    mini: bool = False,
    rest_s: float = 3.0,
    psi: float = 0.0,
) -> Motion:
    """Bodyweight squat (or mini squat) with planted feet.

    Faults: ``valgus_rep`` (knees collapse medially: the knee plane rotates medially about
    the hip-ankle line by ``valgus_deg`` at the bottom; the key also gives the resulting
    change of the frontal-plane knee angle, ``fppa_change_deg``), ``partial_rep`` (half
    depth), ``deep_rep`` (hip flexion
    beyond 90 deg, ``deep_hip_deg``).
    """
    subj = subject or make_subject(seed=seed)
    depth = 40.0 if mini else depth_knee_deg
    plan = _tempo_jitter(
        RepPlan(reps=reps, sets=sets, rest_s=rest_s, up_s=1.4, hold_s=0.4, down_s=1.3, pause_s=0.8),
        seed,
    )
    if partial_rep is not None:
        plan.scale[partial_rep] = 0.45
    T, r, rp = rep_profile(plan)
    n = T.shape[0]
    d = Dof(n)
    hw = 0.5 * subj.hip_joint_width + 0.03
    feet = planted_feet(subj, n, psi, np.zeros(3), hw, toe_out_deg=8.0)
    f = heading_vec(psi)
    # bottom position: knee flexion `depth`; shank inclination forward ~0.45 * knee
    k = D(depth) * r
    shank_inc = 0.42 * k
    thigh_inc = k - shank_inc  # thigh below horizontal...
    # pelvis relative to the ankle (in the sagittal plane): behind and above
    fwd_ankle = subj.shank * np.sin(shank_inc) - subj.thigh * np.sin(thigh_inc)
    up = subj.shank * np.cos(shank_inc) + subj.thigh * np.cos(thigh_inc)
    deep_extra = np.zeros(n)
    if deep_rep is not None:
        deep_extra = _rep_mask(T, rp[deep_rep]) * r
    pel = np.zeros((n, 3))
    pel[:, 1] = subj.ankle_height + up * 0.999 - 0.06 * deep_extra
    pel[:] += (fwd_ankle - 0.04 * deep_extra)[:, None] * f
    d["trunk_flex"] = 0.55 * thigh_inc + D(3.0) + D(25.0) * deep_extra
    d["pelvis_tilt"] = 0.35 * thigh_inc + D(12.0) * deep_extra
    d["head_pitch"] = 0.3 * d["trunk_flex"]
    for s in SIDES:
        d[f"{s}_sh_flex"] = D(75.0) * r  # arms forward for balance
        d[f"{s}_elbow"] = D(10.0)
    # knee hint: forward, rotated medially for valgus
    hints = {}
    faults = []
    val_w = np.zeros(n)
    if valgus_rep is not None:
        val_w = _rep_mask(T, rp[valgus_rep]) * np.clip(
            r / max(plan.scale.get(valgus_rep, 1.0), 1e-6), 0, 1
        )
    for s in SIDES:
        sg = SIDE_SIGN[s]
        right = np.cross(f, [0.0, 1.0, 0.0])
        # toe-out aligned knees, plus medial collapse
        ang = -sg * D(8.0) + sg * D(valgus_deg) * val_w
        hint = np.cos(ang)[:, None] * f[None] - np.sin(ang)[:, None] * right[None] * 1.0
        hints[s] = _unit(hint)
    ik = {
        s: {"ankle": feet[s]["ankle"], "r_foot": feet[s]["r_foot"], "hint": hints[s]} for s in SIDES
    }
    pose = assemble(subj, T, d, psi=psi, pelvis_pos=pel, ik_legs=ik)
    ang = joint_angles(pose)
    if valgus_rep is not None:
        rep = rp[valgus_rep]
        m = (rep["start_s"] <= T) & (rep["end_s"] >= T)
        size = float(
            np.max(0.5 * (ang["left_knee_valgus_deg"][m] + ang["right_knee_valgus_deg"][m]))
        )
        base_m = (rp[0]["start_s"] <= T) & (rp[0]["end_s"] >= T)
        base = float(
            np.max(
                0.5 * (ang["left_knee_valgus_deg"][base_m] + ang["right_knee_valgus_deg"][base_m])
            )
        )
        # size = medial rotation of the knee plane about the hip-ankle line (the generator's
        # parameter); the frontal-plane knee angle change a front camera sees is reported too
        faults.append(
            _fault(
                "knee_valgus",
                rep,
                float(valgus_deg),
                side="both",
                fppa_change_deg=round(size - base, 2),
                measure="knee_plane_medial_rotation",
            )
        )
    if partial_rep is not None:
        faults.append(_fault("partial_rep", rp[partial_rep], None))
    if deep_rep is not None:
        rep = rp[deep_rep]
        m = (rep["start_s"] <= T) & (rep["end_s"] >= T)
        hf = float(np.max(0.5 * (ang["left_hip_flexion_deg"][m] + ang["right_hip_flexion_deg"][m])))
        faults.append(
            _fault(
                "hip_flexion_past_90", rep, round(hf - 90.0, 2), peak_hip_flexion_deg=round(hf, 2)
            )
        )
    params = {
        "reps": reps,
        "sets": sets,
        "depth_knee_deg": depth,
        "valgus_rep": valgus_rep,
        "valgus_deg": valgus_deg,
        "partial_rep": partial_rep,
        "deep_rep": deep_rep,
        "mini": mini,
        "up_s": plan.up_s,
        "down_s": plan.down_s,
    }
    return _finish(
        "mini_squat" if mini else "squat",
        subj,
        pose,
        params,
        seed=seed,
        psi=psi,
        primary="right_knee_flexion_deg",
        reps=rp,
        faults=faults,
        side="both",
    )


def _chair_geometry(subj: Subject, psi: float, seat_extra: float = 0.0) -> dict[str, Any]:
    """Seated pose geometry: hip joint position, foot placement, chair props."""
    f = heading_vec(psi)
    knee_seat = D(95.0)
    # thigh horizontal, shank inclined back by (knee - 90)
    hip_y = subj.ankle_height + subj.shank * np.cos(knee_seat - np.pi / 2) + seat_extra
    hip_x = 0.0
    ankle_fwd = subj.thigh - subj.shank * np.sin(knee_seat - np.pi / 2)
    seat_h = hip_y - 0.085 * subj.height_m / 1.75
    front = hip_x + 0.75 * subj.thigh
    origin = np.array([0.0, 0.0, 0.0]) + front * f
    props = chair_props(seat_h, origin, heading=psi, seat_depth=0.44)
    return {
        "hip": np.array([0.0, hip_y, 0.0]),
        "ankle_fwd": ankle_fwd,
        "seat_h": seat_h,
        "props": props,
    }


def _sts_profile(r: FloatArray) -> dict[str, FloatArray]:
    """Sit-to-stand kinematic pattern for progress r in [0,1] (0 = seated, 1 = standing)."""
    lean = np.sin(np.pi * np.clip(r * 1.25, 0, 1)) ** 1.2  # forward lean peaks near seat-off
    rise = smoothstep(np.clip((r - 0.28) / 0.72, 0, 1))
    fwd = smoothstep(np.clip(r / 0.6, 0, 1))
    return {"lean": lean, "rise": rise, "fwd": fwd}


def generate_sit_to_stand(
    subject: Subject | None = None,
    *,
    seed: int = 0,
    reps: int = 5,
    partial_rep: int | None = 3,
    tempo: float = 1.0,
    arms_crossed: bool = False,
    task: str = "sit_to_stand",
    duration_s: float | None = None,
    lead_in_s: float = 1.0,
    deep_rep: int | None = None,
    psi: float = 0.0,
) -> Motion:
    """Sit-to-stand from a chair with planted feet (side view)."""
    subj = subject or make_subject(seed=seed)
    plan = _tempo_jitter(
        RepPlan(
            reps=reps,
            up_s=1.3 * tempo,
            hold_s=0.5 * tempo,
            down_s=1.5 * tempo,
            pause_s=0.7 * tempo,
            lead_in_s=lead_in_s,
            lead_out_s=1.0,
        ),
        seed,
    )
    if partial_rep is not None:
        plan.scale[partial_rep] = 0.7
    T, r, rp = rep_profile(plan)
    if duration_s is not None and T[-1] < duration_s:
        T = sim_times(duration_s)
        r = np.concatenate([r, np.zeros(T.shape[0] - r.shape[0])])
    n = T.shape[0]
    geo = _chair_geometry(subj, psi)
    f = heading_vec(psi)
    feet_c = geo["hip"] + geo["ankle_fwd"] * f
    feet = planted_feet(
        subj, n, psi, np.array([feet_c[0], 0.0, feet_c[2]]), 0.5 * subj.hip_joint_width + 0.02, 6.0
    )
    pr = _sts_profile(np.clip(r, 0, 1.2))
    stand_y = subj.ankle_height + (subj.thigh + subj.shank) * 0.999
    seat_hip = geo["hip"]
    stand_fwd = geo["ankle_fwd"] - 0.04
    pel = np.zeros((n, 3))
    pel[:, 1] = seat_hip[1] + (stand_y - seat_hip[1]) * pr["rise"]
    fwd_amt = 0.12 * pr["fwd"] * (1 - pr["rise"]) + stand_fwd * pr["rise"]
    pel += fwd_amt[:, None] * f
    d = Dof(n)
    lean_peak = D(42.0)
    d["trunk_flex"] = lean_peak * pr["lean"] + D(4.0) * (1 - pr["rise"])
    d["pelvis_tilt"] = 0.45 * d["trunk_flex"]
    d["head_pitch"] = -0.4 * d["trunk_flex"]
    for s in SIDES:
        if arms_crossed:
            d[f"{s}_sh_flex"] = D(55.0)
            d[f"{s}_sh_abd"] = D(-5.0)
            d[f"{s}_sh_rot"] = D(60.0)
            d[f"{s}_elbow"] = D(115.0)
        else:
            d[f"{s}_sh_flex"] = D(25.0) * pr["lean"] + D(5.0)
            d[f"{s}_elbow"] = D(20.0)
    hints = {s: np.repeat(f[None], n, axis=0) for s in SIDES}
    ik = {
        s: {"ankle": feet[s]["ankle"], "r_foot": feet[s]["r_foot"], "hint": hints[s]} for s in SIDES
    }
    pose = assemble(subj, T, d, psi=psi, pelvis_pos=pel, ik_legs=ik)
    faults = []
    if partial_rep is not None:
        faults.append(
            _fault("partial_rep", rp[partial_rep], None, note="does not reach full standing")
        )
    # test results from the true kinematics: a stand = pelvis reaching ~standing height
    ang = joint_angles(pose)
    hip_c = 0.5 * (ang["left_hip_flexion_deg"] + ang["right_hip_flexion_deg"])
    params = {
        "reps": reps,
        "partial_rep": partial_rep,
        "tempo": tempo,
        "arms_crossed": arms_crossed,
        "seat_height_m": geo["seat_h"],
        "up_s": plan.up_s,
        "down_s": plan.down_s,
    }
    complete = [x for x in rp if x["scale"] >= 0.85]
    test_result: dict[str, Any] | None = None
    if task == "five_times_sit_to_stand":
        # From movement onset to the buttocks back on the chair after the 5th complete stand
        # (Whitney et al. 2005): the last instant of that rep's descent with the pelvis above
        # the seat (rise > 0); the rep itself ends later, when the trunk is upright again.
        fifth = complete[min(4, len(complete) - 1)]
        t_from, t_to = fifth["top_end_s"], fifth["end_s"]
        on_descent = (t_from <= T) & (t_to >= T) & (pr["rise"] > 0.0)
        end = float(T[on_descent][-1]) if np.any(on_descent) else fifth["end_s"]
        test_result = {
            "duration_s": round(end - rp[0]["start_s"], 4),
            "stand_count": min(5, len(complete)),
            "start_s": rp[0]["start_s"],
            "end_s": round(end, 4),
            "end_definition": "buttocks on the chair after the fifth stand",
        }
    elif task == "thirty_second_chair_stand":
        start = rp[0]["start_s"]
        stands = [x for x in complete if x["top_start_s"] <= start + 30.0]
        test_result = {
            "stand_count": len(stands),
            "window_s": 30.0,
            "start_s": start,
            "end_s": start + 30.0,
        }
    _ = hip_c
    return _finish(
        task,
        subj,
        pose,
        params,
        seed=seed,
        psi=psi,
        props=geo["props"],
        primary="right_knee_flexion_deg",
        reps=rp,
        faults=faults,
        side="both",
        peak_mode="min",
        test_result=test_result,
    )


# ---------------------------------------------------------------------------------------
# standing, one leg moves (stance leg fixed)
# ---------------------------------------------------------------------------------------
def _single_leg(
    task: str,
    subj: Subject,
    seed: int,
    plan: RepPlan,
    side: str,
    move: Callable[[Dof, FloatArray, FloatArray, list[dict[str, Any]]], list[dict[str, Any]]],
    primary: str,
    params: dict[str, Any],
    psi: float = 0.0,
    hold_mode: bool = False,
    holds: list[dict[str, Any]] | None = None,
    T: FloatArray | None = None,
    r: FloatArray | None = None,
    rp: list[dict[str, Any]] | None = None,
    test_result: dict[str, Any] | None = None,
    peak_mode: str = "max",
) -> Motion:
    if T is None:
        T, r, rp = rep_profile(plan)
    assert r is not None
    n = T.shape[0]
    d = Dof(n)
    stance = "left" if side == "right" else "right"
    d[f"{stance}_hip_abd"] = D(2.0)
    d[f"{side}_hip_abd"] = D(2.0)
    faults = move(d, T, r, rp or [])
    f = heading_vec(psi)
    right = np.cross(f, [0.0, 1.0, 0.0])
    anchor = {
        stance: np.repeat(
            (
                np.array([0.0, subj.ankle_height, 0.0])
                + SIDE_SIGN[stance] * (0.5 * subj.hip_joint_width) * right
            )[None],
            n,
            axis=0,
        )
    }
    pel = standing_pelvis(subj, n)
    pose = assemble(subj, T, d, psi=psi, pelvis_pos=pel, support=stance, support_ankle=anchor)
    # keep the moving foot out of the floor: add a little hip flexion where it would dip
    leg = subj.thigh + subj.shank
    for _ in range(6):
        low = foot_lowest_height(subj, _ground(pose, subj, stance), side)
        if low.min() > -1e-4:
            break
        dip = np.maximum(-low + 0.003, 0.0)
        dip = np.maximum(gaussian_filter1d(dip, 0.05 * SIM_RATE_HZ) * 2.0, dip * 1.5)
        d.add(f"{side}_ankle", np.arcsin(np.clip(dip / subj.toe_front, 0, 1)))
        d.add(f"{side}_hip_flex", np.arcsin(np.clip(dip / leg, 0, 1)))
        pose = assemble(subj, T, d, psi=psi, pelvis_pos=pel, support=stance, support_ankle=anchor)
    pose = _ground(pose, subj, stance)
    return _finish(
        task,
        subj,
        pose,
        params,
        seed=seed,
        psi=psi,
        primary=primary,
        reps=rp,
        holds=holds,
        faults=faults,
        side=side,
        test_result=test_result,
        peak_mode=peak_mode,
    )


def generate_hip_abduction(
    subject: Subject | None = None,
    *,
    seed: int = 0,
    side: str = "right",
    reps: int = 8,
    rom_deg: float = 28.0,
    lean_rep: int | None = 3,
    lean_deg: float = 12.0,
    partial_rep: int | None = 5,
    psi: float = 0.0,
) -> Motion:
    """Standing hip abduction (front view); fault: trunk lean toward the stance side."""
    subj = subject or make_subject(seed=seed)
    plan = _tempo_jitter(RepPlan(reps=reps, up_s=1.1, hold_s=0.6, down_s=1.2, pause_s=0.6), seed)
    if partial_rep is not None:
        plan.scale[partial_rep] = 0.45

    def move(
        d: Dof, T: FloatArray, r: FloatArray, rp: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        sg = SIDE_SIGN[side]
        d[f"{side}_hip_abd"] = D(2.0) + D(rom_deg) * r
        d[f"{side}_knee"] = D(3.0)
        d["pelvis_obliq"] = -sg * D(3.0) * r  # moving side hikes a little
        faults = []
        if lean_rep is not None:
            w = _rep_mask(T, rp[lean_rep]) * r
            d["trunk_lat"] = -sg * D(lean_deg) * w  # lean toward the stance side
            faults.append(
                _fault("trunk_lean", rp[lean_rep], lean_deg, direction="toward_stance_side")
            )
        if partial_rep is not None:
            faults.append(_fault("partial_rep", rp[partial_rep], None))
        for s in SIDES:
            d[f"{s}_sh_abd"] = D(12.0)
        return faults

    params = {
        "side": side,
        "reps": reps,
        "rom_deg": rom_deg,
        "lean_rep": lean_rep,
        "lean_deg": lean_deg,
        "partial_rep": partial_rep,
        "up_s": plan.up_s,
    }
    return _single_leg(
        "hip_abduction", subj, seed, plan, side, move, f"{side}_hip_abduction_deg", params, psi=psi
    )


def generate_hamstring_curl(
    subject: Subject | None = None,
    *,
    seed: int = 0,
    side: str = "right",
    reps: int = 8,
    rom_deg: float = 90.0,
    partial_rep: int | None = 4,
    hip_flex_rep: int | None = 2,
    psi: float = 0.0,
) -> Motion:
    """Standing knee flexion (side view); fault: hip flexes (thigh swings forward)."""
    subj = subject or make_subject(seed=seed)
    plan = _tempo_jitter(RepPlan(reps=reps, up_s=1.1, hold_s=0.5, down_s=1.2), seed)
    if partial_rep is not None:
        plan.scale[partial_rep] = 0.45

    def move(
        d: Dof, T: FloatArray, r: FloatArray, rp: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        d[f"{side}_knee"] = D(2.0) + D(rom_deg) * r
        d[f"{side}_hip_flex"] = D(-3.0) * r
        d[f"{side}_ankle"] = D(-15.0) * r
        faults = []
        if hip_flex_rep is not None:
            d.add(f"{side}_hip_flex", D(30.0) * _rep_mask(T, rp[hip_flex_rep]) * r)
            faults.append(_fault("hip_flexion_compensation", rp[hip_flex_rep], 30.0))
        if partial_rep is not None:
            faults.append(_fault("partial_rep", rp[partial_rep], None))
        for s in SIDES:
            d[f"{s}_sh_abd"] = D(15.0)
            d[f"{s}_sh_flex"] = D(20.0)
            d[f"{s}_elbow"] = D(60.0)
        return faults

    params = {
        "side": side,
        "reps": reps,
        "rom_deg": rom_deg,
        "partial_rep": partial_rep,
        "hip_flex_rep": hip_flex_rep,
    }
    return _single_leg(
        "hamstring_curl", subj, seed, plan, side, move, f"{side}_knee_flexion_deg", params, psi=psi
    )


def generate_quad_stretch(
    subject: Subject | None = None,
    *,
    seed: int = 0,
    side: str = "right",
    holds: int = 2,
    hold_s: float = 8.0,
    psi: float = 0.0,
) -> Motion:
    """Standing quadriceps stretch: heel to buttock, held (side view)."""
    subj = subject or make_subject(seed=seed)
    T, r, hl = hold_profile([(hold_s, 1.0, 0.0)] * holds, 1.0, 1.0, ramp_s=1.5, gap_s=2.0)

    def move(
        d: Dof, T: FloatArray, r: FloatArray, rp: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        d[f"{side}_knee"] = D(2.0) + D(133.0) * r
        d[f"{side}_hip_flex"] = D(-8.0) * r
        d[f"{side}_ankle"] = D(-25.0) * r
        d[f"{side}_sh_flex"] = D(-35.0) * r
        d[f"{side}_sh_abd"] = D(8.0) + D(10.0) * r
        d[f"{side}_elbow"] = D(12.0) + D(40.0) * r
        other = "left" if side == "right" else "right"
        d[f"{other}_sh_abd"] = D(10.0) + D(25.0) * r
        d["trunk_flex"] = D(3.0) * r
        return []

    params = {"side": side, "holds": holds, "hold_s": hold_s}
    return _single_leg(
        "quad_stretch",
        subj,
        seed,
        RepPlan(),
        side,
        move,
        f"{side}_knee_flexion_deg",
        params,
        psi=psi,
        holds=hl,
        T=T,
        r=r,
        rp=[],
    )


def generate_single_leg_stance(
    subject: Subject | None = None,
    *,
    seed: int = 0,
    side: str = "right",
    hold_s: float = 10.0,
    psi: float = 0.0,
) -> Motion:
    """Single-leg stance test on ``side`` (the other foot lifted; front view)."""
    subj = subject or make_subject(seed=seed)
    lift = "left" if side == "right" else "right"
    T, r, hl = hold_profile([(hold_s, 1.0, 0.0)], 1.5, 1.5, ramp_s=0.8)

    def move(
        d: Dof, T: FloatArray, r: FloatArray, rp: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        d[f"{lift}_knee"] = D(60.0) * r
        d[f"{lift}_hip_flex"] = D(25.0) * r
        # small balance sway of the trunk
        sway = D(1.5) * np.sin(2 * np.pi * 0.7 * T) * r
        d["trunk_lat"] = sway + SIDE_SIGN[side] * D(2.0) * r
        for s in SIDES:
            d[f"{s}_sh_abd"] = D(8.0) + D(20.0) * r
        return []

    h = hl[0]
    test = {
        "stance_side": side,
        "duration_s": h["hold_end_s"] - h["hold_start_s"] + 0.8,
        "foot_off_s": h["start_s"] + 0.4,
        "foot_down_s": h["end_s"] - 0.4,
    }
    params = {"side": side, "hold_s": hold_s}
    return _single_leg(
        "single_leg_stance",
        subj,
        seed,
        RepPlan(),
        lift,
        move,
        f"{lift}_knee_flexion_deg",
        params,
        psi=psi,
        holds=hl,
        T=T,
        r=r,
        rp=[],
        test_result=test,
    )


def generate_adductor_stretch(
    subject: Subject | None = None,
    *,
    seed: int = 0,
    side: str = "right",
    holds: int = 2,
    hold_s: float = 8.0,
    psi: float = 0.0,
) -> Motion:
    """Standing side-lunge adductor stretch (front view): wide stance, shift over ``side``'s
    bent knee, stretching the other (straight) leg's adductors."""
    subj = subject or make_subject(seed=seed)
    T, r, hl = hold_profile([(hold_s, 1.0, 0.0)] * holds, 1.0, 1.0, ramp_s=1.5, gap_s=2.0)
    n = T.shape[0]
    f = heading_vec(psi)
    right = np.cross(f, [0.0, 1.0, 0.0])
    hw = 0.5 * subj.hip_joint_width + 0.33  # wide stance
    feet = planted_feet(subj, n, psi, np.zeros(3), hw, toe_out_deg=15.0)
    sg = SIDE_SIGN[side]
    leg = subj.thigh + subj.shank
    # pelvis height when standing wide (both legs straight), then shift & lower over `side`
    y0 = subj.ankle_height + np.sqrt(leg**2 - (hw - 0.5 * subj.hip_joint_width) ** 2) * 0.998
    pel = np.zeros((n, 3))
    shift = 0.2 * r
    pel[:, 1] = y0 - 0.16 * r
    pel += (sg * shift)[:, None] * right
    # keep the straight leg reachable: lower less if needed (solved below)
    other = "left" if side == "right" else "right"
    hip_o = pel + (SIDE_SIGN[other] * 0.5 * subj.hip_joint_width) * right
    dist = np.linalg.norm(feet[other]["ankle"] - hip_o, axis=1)
    too_far = dist > leg * 0.999
    if np.any(too_far):
        dv = feet[other]["ankle"] - hip_o
        horiz = np.linalg.norm(dv[:, [0, 2]], axis=1)
        need_y = feet[other]["ankle"][:, 1] + np.sqrt(np.maximum((leg * 0.999) ** 2 - horiz**2, 0))
        pel[:, 1] = np.where(too_far, need_y, pel[:, 1])
    d = Dof(n)
    d["trunk_flex"] = D(10.0) * r
    d["trunk_lat"] = -sg * D(4.0) * r
    for s in SIDES:
        d[f"{s}_sh_abd"] = D(10.0)
        d[f"{s}_sh_flex"] = D(30.0) * r
        d[f"{s}_elbow"] = D(70.0) * r + D(10.0)
    hints = {}
    for s in SIDES:
        yaw = -SIDE_SIGN[s] * D(15.0)
        hints[s] = np.repeat((np.cos(yaw) * f - np.sin(yaw) * right)[None], n, axis=0)
    ik = {
        s: {"ankle": feet[s]["ankle"], "r_foot": feet[s]["r_foot"], "hint": hints[s]} for s in SIDES
    }
    pose = assemble(subj, T, d, psi=psi, pelvis_pos=pel, ik_legs=ik)
    params = {"side": side, "holds": holds, "hold_s": hold_s, "stance_half_width_m": hw}
    return _finish(
        "adductor_stretch",
        subj,
        pose,
        params,
        seed=seed,
        psi=psi,
        primary=f"{other}_hip_abduction_deg",
        holds=hl,
        side=other,
    )


# ---------------------------------------------------------------------------------------
# upper limb (standing, feet fixed)
# ---------------------------------------------------------------------------------------
def _standing_arms(
    task: str,
    subj: Subject,
    seed: int,
    plan: RepPlan,
    move: Callable[[Dof, FloatArray, FloatArray, list[dict[str, Any]]], list[dict[str, Any]]],
    primary: str,
    params: dict[str, Any],
    psi: float = 0.0,
    side: str = "both",
) -> Motion:
    T, r, rp = rep_profile(plan)
    n = T.shape[0]
    d = Dof(n)
    for s in SIDES:
        d[f"{s}_hip_abd"] = D(4.0)
    faults = move(d, T, r, rp)
    f = heading_vec(psi)
    right = np.cross(f, [0.0, 1.0, 0.0])
    anchor = {
        "right": np.repeat(
            (np.array([0.0, subj.ankle_height, 0.0]) + (0.5 * subj.hip_joint_width + 0.03) * right)[
                None
            ],
            n,
            axis=0,
        )
    }
    pose = assemble(
        subj,
        T,
        d,
        psi=psi,
        pelvis_pos=standing_pelvis(subj, n),
        support="right",
        support_ankle=anchor,
    )
    pose = _ground(pose, subj, "both")
    return _finish(
        task,
        subj,
        pose,
        params,
        seed=seed,
        psi=psi,
        primary=primary,
        reps=rp,
        faults=faults,
        side=side,
    )


def generate_biceps_curl(
    subject: Subject | None = None,
    *,
    seed: int = 0,
    reps: int = 8,
    jerky_reps: tuple[int, ...] = (5, 6),
    partial_rep: int | None = 3,
    psi: float = 0.0,
) -> Motion:
    """Standing two-arm biceps curl; faults: jerky fast reps (with trunk swing), a partial rep."""
    subj = subject or make_subject(seed=seed)
    plan = _tempo_jitter(RepPlan(reps=reps, up_s=1.2, hold_s=0.3, down_s=1.5, pause_s=0.5), seed)
    for k in jerky_reps:
        plan.tempo[k] = 0.35
        plan.jerky.add(k)
    if partial_rep is not None:
        plan.scale[partial_rep] = 0.5

    def move(
        d: Dof, T: FloatArray, r: FloatArray, rp: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        for s in SIDES:
            d[f"{s}_elbow"] = D(10.0) + D(125.0) * r
            d[f"{s}_sh_flex"] = D(8.0) * r
            d[f"{s}_sh_abd"] = D(8.0)
        faults = []
        for k in jerky_reps:
            w = _rep_mask(T, rp[k])
            d.add(
                "trunk_flex",
                -D(8.0)
                * w
                * np.sin(2 * np.pi * (T - rp[k]["start_s"]) / (rp[k]["end_s"] - rp[k]["start_s"])),
            )
            faults.append(
                _fault("jerky_fast_rep", rp[k], None, duration_s=rp[k]["end_s"] - rp[k]["start_s"])
            )
        if partial_rep is not None:
            faults.append(_fault("partial_rep", rp[partial_rep], None))
        return faults

    params = {
        "reps": reps,
        "jerky_reps": list(jerky_reps),
        "partial_rep": partial_rep,
        "up_s": plan.up_s,
    }
    return _standing_arms(
        "biceps_curl", subj, seed, plan, move, "right_elbow_flexion_deg", params, psi=psi
    )


def generate_shoulder_press(
    subject: Subject | None = None,
    *,
    seed: int = 0,
    reps: int = 8,
    partial_rep: int | None = 4,
    psi: float = 0.0,
) -> Motion:
    """Standing overhead press (front view): hands from shoulder height to overhead."""
    subj = subject or make_subject(seed=seed)
    plan = _tempo_jitter(RepPlan(reps=reps, up_s=1.2, hold_s=0.4, down_s=1.4, pause_s=0.5), seed)
    if partial_rep is not None:
        plan.scale[partial_rep] = 0.45

    def move(
        d: Dof, T: FloatArray, r: FloatArray, rp: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        lead = smoothstep(np.clip(T / 1.0, 0, 1))  # raise to the start position first
        for s in SIDES:
            d[f"{s}_sh_abd"] = D(8.0) + lead * D(82.0) + D(75.0) * r
            d[f"{s}_elbow"] = D(10.0) + lead * D(80.0) - D(85.0) * r
            d[f"{s}_sh_rot"] = lead * D(-90.0) * (1 - 0.0 * r)
        faults = []
        if partial_rep is not None:
            faults.append(_fault("partial_rep", rp[partial_rep], None))
        return faults

    params = {"reps": reps, "partial_rep": partial_rep}
    return _standing_arms(
        "shoulder_press", subj, seed, plan, move, "right_shoulder_abduction_deg", params, psi=psi
    )


def generate_lateral_raise(
    subject: Subject | None = None,
    *,
    seed: int = 0,
    reps: int = 8,
    partial_rep: int | None = 4,
    high_rep: int | None = 6,
    psi: float = 0.0,
) -> Motion:
    """Standing lateral raise (front view), arms to ~90 deg; fault: raise above shoulder height."""
    subj = subject or make_subject(seed=seed)
    plan = _tempo_jitter(RepPlan(reps=reps, up_s=1.3, hold_s=0.4, down_s=1.5, pause_s=0.5), seed)
    if partial_rep is not None:
        plan.scale[partial_rep] = 0.45
    if high_rep is not None:
        plan.scale[high_rep] = 1.3

    def move(
        d: Dof, T: FloatArray, r: FloatArray, rp: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        for s in SIDES:
            d[f"{s}_sh_abd"] = D(8.0) + D(80.0) * r
            d[f"{s}_elbow"] = D(12.0)
        faults = []
        if partial_rep is not None:
            faults.append(_fault("partial_rep", rp[partial_rep], None))
        if high_rep is not None:
            faults.append(_fault("above_shoulder_height", rp[high_rep], 0.3 * 80.0))
        return faults

    params = {"reps": reps, "partial_rep": partial_rep, "high_rep": high_rep}
    return _standing_arms(
        "lateral_raise", subj, seed, plan, move, "right_shoulder_abduction_deg", params, psi=psi
    )


# ---------------------------------------------------------------------------------------
# seated
# ---------------------------------------------------------------------------------------
def _seated(
    task: str,
    subj: Subject,
    seed: int,
    T: FloatArray,
    move: Callable[[Dof], None],
    primary: str,
    params: dict[str, Any],
    *,
    psi: float = 0.0,
    reps: list[dict[str, Any]] | None = None,
    holds: list[dict[str, Any]] | None = None,
    faults: list[dict[str, Any]] | None = None,
    seat_extra: float = 0.0,
    peak_mode: str = "max",
    test_result: dict[str, Any] | None = None,
    seated_rotation: bool = False,
    side: str | None = None,
) -> Motion:
    n = T.shape[0]
    geo = _chair_geometry(subj, psi, seat_extra=seat_extra)
    d = Dof(n)
    for s in SIDES:
        d[f"{s}_hip_flex"] = D(90.0)
        d[f"{s}_knee"] = D(95.0)
        d[f"{s}_ankle"] = D(5.0)
        d[f"{s}_sh_flex"] = D(20.0)
        d[f"{s}_elbow"] = D(60.0)
        d[f"{s}_sh_abd"] = D(12.0)
    move(d)
    pel = np.repeat(geo["hip"][None], n, axis=0)
    pose = assemble(subj, T, d, psi=psi, posture="seated", pelvis_pos=pel)
    return _finish(
        task,
        subj,
        pose,
        params,
        seed=seed,
        psi=psi,
        props=geo["props"],
        primary=primary,
        reps=reps,
        holds=holds,
        faults=faults,
        side=side,
        peak_mode=peak_mode,
        test_result=test_result,
        seated_rotation=seated_rotation,
    )


def generate_leg_extension(
    subject: Subject | None = None,
    *,
    seed: int = 0,
    side: str = "right",
    reps: int = 8,
    partial_rep: int | None = 3,
    jerky_reps: tuple[int, ...] = (6,),
    psi: float = 0.0,
) -> Motion:
    """Seated knee extension (side view): knee from ~95 to ~5 deg flexion."""
    subj = subject or make_subject(seed=seed)
    plan = _tempo_jitter(RepPlan(reps=reps, up_s=1.2, hold_s=0.8, down_s=1.4, pause_s=0.6), seed)
    if partial_rep is not None:
        plan.scale[partial_rep] = 0.45
    for k in jerky_reps:
        plan.tempo[k] = 0.35
        plan.jerky.add(k)
    T, r, rp = rep_profile(plan)

    def move(d: Dof) -> None:
        d[f"{side}_knee"] = D(95.0) - D(88.0) * r
        d[f"{side}_ankle"] = D(5.0) + D(5.0) * r

    faults = [_fault("jerky_fast_rep", rp[k], None) for k in jerky_reps]
    if partial_rep is not None:
        faults.append(_fault("partial_rep", rp[partial_rep], None))
    params = {
        "side": side,
        "reps": reps,
        "partial_rep": partial_rep,
        "jerky_reps": list(jerky_reps),
    }
    return _seated(
        "leg_extension",
        subj,
        seed,
        T,
        move,
        f"{side}_knee_flexion_deg",
        params,
        psi=psi,
        reps=rp,
        faults=faults,
        peak_mode="min",
        side=side,
    )


def generate_rom_hip_rotation(
    subject: Subject | None = None,
    *,
    seed: int = 0,
    internal_deg: float = 30.0,
    external_deg: float = 38.0,
    reps_per_direction: int = 2,
    psi: float = 0.0,
) -> Motion:
    """Seated hip rotation ROM (front view, hips/knees at 90 deg): for each side the shank
    swings laterally (internal rotation) and medially (external rotation) and holds."""
    subj = subject or make_subject(seed=seed)
    segs = []
    for side in ("right", "left"):
        for _ in range(reps_per_direction):
            segs.append((side, 1.0, internal_deg))
            segs.append((side, -1.0, external_deg))
    t = 1.0
    ramp, hold, gap = 1.2, 1.0, 0.6
    plan_segs = []
    for side, sgn, amt in segs:
        plan_segs.append((side, sgn, amt, t))
        t += 2 * ramp + hold + gap
    T = sim_times(t + 0.6)
    n = T.shape[0]
    rot = {s: np.zeros(n) for s in SIDES}
    reps: list[dict[str, Any]] = []
    for i, (side, sgn, amt, t0) in enumerate(plan_segs):
        mk = (t0 <= T) & (t0 + 2 * ramp + hold >= T)
        up = np.clip((T[mk] - t0) / ramp, 0, 1)
        dn = np.clip((t0 + 2 * ramp + hold - T[mk]) / ramp, 0, 1)
        rot[side][mk] += sgn * D(amt) * smoothstep(np.minimum(up, dn))
        reps.append(
            {
                "index": i,
                "set": 0,
                "start_s": t0,
                "top_start_s": t0 + ramp,
                "top_end_s": t0 + ramp + hold,
                "end_s": t0 + 2 * ramp + hold,
                "scale": 1.0,
                "side": side,
                "direction": "internal" if sgn > 0 else "external",
            }
        )

    def move(d: Dof) -> None:
        for s in SIDES:
            d[f"{s}_knee"] = D(90.0)
            d[f"{s}_hip_rot"] = rot[s]
            d[f"{s}_sh_abd"] = D(25.0)
            d[f"{s}_elbow"] = D(40.0)
            d[f"{s}_sh_flex"] = D(10.0)

    # measured results from the truth (per side, per direction)
    m = _seated(
        "rom_hip_rotation",
        subj,
        seed,
        T,
        move,
        "right_hip_internal_rotation_deg",
        {
            "internal_deg": internal_deg,
            "external_deg": external_deg,
            "reps_per_direction": reps_per_direction,
        },
        psi=psi,
        reps=[],
        seat_extra=0.08,
        seated_rotation=True,
    )
    ang = joint_angles(m.pose, seated_rotation=True)
    res: dict[str, Any] = {}
    rep_out = []
    for rp in reps:
        c = ang[f"{rp['side']}_hip_internal_rotation_deg"]
        mm = (rp["start_s"] <= T) & (rp["end_s"] >= T)
        pk = float(np.max(c[mm]) if rp["direction"] == "internal" else np.min(c[mm]))
        rep_out.append(
            {
                "index": rp["index"],
                "side": rp["side"],
                "direction": rp["direction"],
                "start_s": rp["start_s"],
                "end_s": rp["end_s"],
                "peak_deg": pk,
                "partial": False,
                "peak_s": float(
                    T[mm][
                        int(np.argmax(c[mm]) if rp["direction"] == "internal" else np.argmin(c[mm]))
                    ]
                ),
            }
        )
        key = f"{rp['side']}_{rp['direction']}_rotation_deg"
        res[key] = max(res.get(key, 0.0), abs(pk))
    m.truth["exercise"]["reps"] = rep_out
    m.truth["exercise"]["rep_count"] = len(rep_out)
    m.truth["exercise"]["complete_reps"] = len(rep_out)
    m.truth["exercise"]["attempts"] = len(rep_out)
    m.truth["exercise"]["primary_angle"] = "hip_internal_rotation_deg"
    m.truth["exercise"]["side"] = "both"
    m.truth["test_result"] = res
    return m


# ---------------------------------------------------------------------------------------
# supine (on a treatment table)
# ---------------------------------------------------------------------------------------
def _supine_base(subj: Subject, n: int, psi: float) -> tuple[FloatArray, float, list[Prop]]:
    """Pelvis position lying on a table centred at the origin; head toward -heading."""
    lie_h = TABLE_HEIGHT_M + 0.125 * subj.height_m / 1.75 * subj.bulk
    f = heading_vec(psi)
    # pelvis placed so the body is centred on the table: pelvis slightly toward the feet
    pel = np.repeat((np.array([0.0, lie_h, 0.0]) + 0.05 * f)[None], n, axis=0)
    length = max(2.0, subj.height_m + 0.2)
    props = table_props(TABLE_HEIGHT_M, np.array([0.0, 0.0, 0.0]), length=length, width=0.7)
    if abs(np.sin(psi)) > 0.5:  # table along z
        props = [
            Prop(p.name, p.vertices, p.faces, p.colour, _yaw_pose(np.pi / 2) @ p.pose)
            for p in props
        ]
    return pel, lie_h, props


def _yaw_pose(a: float) -> FloatArray:
    m = np.eye(4)
    m[:3, :3] = rot_y(np.array([a]))[0]
    return m


def _supine(
    task: str,
    subj: Subject,
    seed: int,
    T: FloatArray,
    move: Callable[[Dof], None],
    primary: str,
    params: dict[str, Any],
    *,
    psi: float = 0.0,
    reps: list[dict[str, Any]] | None = None,
    holds: list[dict[str, Any]] | None = None,
    faults: list[dict[str, Any]] | None = None,
    side: str | None = None,
    test_result: dict[str, Any] | None = None,
    peak_mode: str = "max",
) -> Motion:
    n = T.shape[0]
    pel, _, props = _supine_base(subj, n, psi)
    d = Dof(n)
    for s in SIDES:
        d[f"{s}_ankle"] = D(-25.0)  # feet relaxed (plantarflexed) when lying
        d[f"{s}_sh_abd"] = D(12.0)
        d[f"{s}_elbow"] = D(5.0)
        d[f"{s}_hip_abd"] = D(3.0)
    d["head_pitch"] = D(-10.0)
    move(d)
    pose = assemble(subj, T, d, psi=psi, posture="supine", pelvis_pos=pel)
    return _finish(
        task,
        subj,
        pose,
        params,
        seed=seed,
        psi=psi,
        props=props,
        primary=primary,
        reps=reps,
        holds=holds,
        faults=faults,
        side=side,
        reference="supine",
        test_result=test_result,
        peak_mode=peak_mode,
    )


def generate_straight_leg_raise(
    subject: Subject | None = None,
    *,
    seed: int = 0,
    side: str = "right",
    reps: int = 8,
    rom_deg: float = 55.0,
    bent_knee_rep: int | None = 2,
    bent_knee_deg: float = 25.0,
    partial_rep: int | None = 5,
    psi: float = 0.0,
) -> Motion:
    """Supine straight-leg raise; the other knee bent with the foot on the table.

    Faults: ``bent_knee_rep`` (knee flexed by ``bent_knee_deg`` during the raise),
    ``partial_rep`` (about half height).
    """
    subj = subject or make_subject(seed=seed)
    plan = _tempo_jitter(RepPlan(reps=reps, up_s=1.4, hold_s=1.0, down_s=1.6, pause_s=0.8), seed)
    if partial_rep is not None:
        plan.scale[partial_rep] = 0.45
    T, r, rp = rep_profile(plan)
    other = "left" if side == "right" else "right"
    bent = np.zeros_like(T)
    if bent_knee_rep is not None:
        bent = _rep_mask(T, rp[bent_knee_rep]) * np.clip(r * 3, 0, 1)

    def move(d: Dof) -> None:
        d[f"{side}_hip_flex"] = D(rom_deg) * r
        d[f"{side}_knee"] = D(2.0) + D(bent_knee_deg) * bent
        d[f"{side}_ankle"] = D(-25.0) + D(25.0) * np.clip(r * 4, 0, 1)  # foot pulled up
        d[f"{other}_hip_flex"] = D(45.0)
        d[f"{other}_knee"] = D(90.0)
        d[f"{other}_ankle"] = D(0.0)

    faults = []
    if bent_knee_rep is not None:
        faults.append(_fault("bent_knee", rp[bent_knee_rep], bent_knee_deg))
    if partial_rep is not None:
        faults.append(_fault("partial_rep", rp[partial_rep], None))
    params = {
        "side": side,
        "reps": reps,
        "rom_deg": rom_deg,
        "bent_knee_rep": bent_knee_rep,
        "bent_knee_deg": bent_knee_deg,
        "partial_rep": partial_rep,
    }
    return _supine(
        "straight_leg_raise",
        subj,
        seed,
        T,
        move,
        f"{side}_hip_flexion_deg",
        params,
        psi=psi,
        reps=rp,
        faults=faults,
        side=side,
    )


def generate_rom_hip_flexion(
    subject: Subject | None = None,
    *,
    seed: int = 0,
    right_deg: float = 105.0,
    left_deg: float = 115.0,
    reps_per_side: int = 2,
    psi: float = 0.0,
) -> Motion:
    """Supine active hip flexion ROM with the knee bent (knee toward chest), each side."""
    subj = subject or make_subject(seed=seed)
    order = ["right"] * reps_per_side + ["left"] * reps_per_side
    plan = RepPlan(reps=len(order), up_s=1.6, hold_s=1.2, down_s=1.6, pause_s=0.8)
    T, r, rp = rep_profile(plan)
    rr = {s: np.zeros_like(T) for s in SIDES}
    for rep, s in zip(rp, order, strict=True):
        m = (rep["start_s"] <= T) & (rep["end_s"] >= T)
        rr[s][m] = r[m]
        rep["side"] = s

    def move(d: Dof) -> None:
        for s, amt in (("right", right_deg), ("left", left_deg)):
            d[f"{s}_hip_flex"] = D(amt) * rr[s]
            d[f"{s}_knee"] = D(2.0) + D(118.0) * np.clip(rr[s] * 1.3, 0, 1)
            d[f"{s}_ankle"] = D(-25.0) + D(20.0) * rr[s]

    m = _supine(
        "rom_hip_flexion",
        subj,
        seed,
        T,
        move,
        "right_hip_flexion_deg",
        {"right_deg": right_deg, "left_deg": left_deg, "reps_per_side": reps_per_side},
        psi=psi,
        reps=[],
    )
    ang = joint_angles(m.pose)
    reps_out: list[dict[str, Any]] = []
    res: dict[str, float] = {}
    for rep in rp:
        c = ang[f"{rep['side']}_hip_flexion_deg"]
        mm = (rep["start_s"] <= T) & (rep["end_s"] >= T)
        i = int(np.argmax(c[mm]))
        reps_out.append(
            {
                "index": rep["index"],
                "side": rep["side"],
                "start_s": rep["start_s"],
                "peak_s": float(T[mm][i]),
                "end_s": rep["end_s"],
                "peak_deg": float(c[mm][i]),
                "partial": False,
            }
        )
        res[f"{rep['side']}_hip_flexion_deg"] = max(
            res.get(f"{rep['side']}_hip_flexion_deg", 0.0), float(c[mm][i])
        )
    m.truth["exercise"].update(
        {
            "reps": reps_out,
            "rep_count": len(reps_out),
            "complete_reps": len(reps_out),
            "attempts": len(reps_out),
            "primary_angle": "hip_flexion_deg",
            "side": "both",
        }
    )
    m.truth["test_result"] = res
    return m


def generate_glute_bridge(
    subject: Subject | None = None,
    *,
    seed: int = 0,
    reps: int = 8,
    lift_m: float = 0.22,
    partial_rep: int | None = 3,
    hold_s: float = 1.0,
    psi: float = 0.0,
) -> Motion:
    """Supine bridge: knees bent, feet planted on the table, pelvis lifts (hips extend)."""
    subj = subject or make_subject(seed=seed)
    plan = _tempo_jitter(RepPlan(reps=reps, up_s=1.3, hold_s=hold_s, down_s=1.5, pause_s=0.8), seed)
    if partial_rep is not None:
        plan.scale[partial_rep] = 0.45
    T, r, rp = rep_profile(plan)
    n = T.shape[0]
    pel0, _lie_h, props = _supine_base(subj, n, psi)
    f = heading_vec(psi)  # toward the feet
    # feet planted: from the rest pose hip 50 deg / knee 100 deg
    pel = pel0.copy()
    lift = lift_m * r
    pel[:, 1] += lift
    # shoulders stay on the table: trunk rotates about them
    ang_tr = np.arcsin(np.clip(lift / subj.trunk, -1, 1))
    pel += (subj.trunk * (1 - np.cos(ang_tr)))[
        :, None
    ] * f  # pelvis moves slightly toward the head? (kept small)
    d = Dof(n)
    # supine base: trunk "flex" about the right axis; lifting the pelvis = trunk tilted with
    # the pelvis end up: rotation of the trunk's up axis (head-ward) downward toward the table
    d["trunk_flex"] = -ang_tr
    d["pelvis_tilt"] = -ang_tr
    d["head_pitch"] = D(-10.0) - ang_tr
    for s in SIDES:
        d[f"{s}_sh_abd"] = D(15.0)
        d[f"{s}_elbow"] = D(5.0)
    # feet positions from the rest pose (FK with hip 50 / knee 100 at r = 0)
    base = np.eye(3)
    _ = base
    rest = assemble(
        subj,
        T[:1],
        Dof(
            1,
            {f"{s}_hip_flex": np.array([D(50.0)]) for s in SIDES}
            | {f"{s}_knee": np.array([D(100.0)]) for s in SIDES}
            | {f"{s}_ankle": np.array([D(40.0)]) for s in SIDES},
        ),
        psi=psi,
        posture="supine",
        pelvis_pos=pel0[:1],
    )
    ik = {}
    for s in SIDES:
        ank = rest.joints[f"{s}_ankle"][0].copy()
        r_foot = rest.segments[f"{'l' if s == 'left' else 'r'}_foot"][0, :3, :3]
        ik[s] = {
            "ankle": np.repeat(ank[None], n, axis=0),
            "r_foot": np.repeat(r_foot[None], n, axis=0),
            "hint": np.repeat(np.array([[0.0, 1.0, 0.0]]), n, axis=0) * 0.8 + f[None] * 0.2,
        }
    pose = assemble(subj, T, d, psi=psi, posture="supine", pelvis_pos=pel, ik_legs=ik)
    faults = []
    if partial_rep is not None:
        faults.append(_fault("partial_rep", rp[partial_rep], None))
    params = {"reps": reps, "lift_m": lift_m, "partial_rep": partial_rep, "hold_s": hold_s}
    # primary: hip extension = hip flexion decreasing -> peaks are minima of hip flexion
    return _finish(
        "glute_bridge",
        subj,
        pose,
        params,
        seed=seed,
        psi=psi,
        props=props,
        primary="right_hip_flexion_deg",
        reps=rp,
        faults=faults,
        side="both",
        reference="supine",
        peak_mode="min",
    )


def generate_glute_set(
    subject: Subject | None = None,
    *,
    seed: int = 0,
    holds: int = 4,
    hold_s: float = 5.0,
    psi: float = 0.0,
) -> Motion:
    """Supine isometric gluteal squeeze, held: legs straight, a small posterior pelvic tilt
    and slight hip external rotation / knee straightening is the only visible change."""
    subj = subject or make_subject(seed=seed)
    T, r, hl = hold_profile([(hold_s, 1.0, 0.0)] * holds, 1.0, 1.0, ramp_s=0.6, gap_s=3.0)

    def move(d: Dof) -> None:
        d["pelvis_tilt"] = -D(6.0) * r
        for s in SIDES:
            d[f"{s}_hip_rot"] = -D(8.0) * r
            d[f"{s}_knee"] = D(6.0) * (1 - r)
            d[f"{s}_hip_flex"] = D(4.0) * (1 - r)

    return _supine(
        "glute_set",
        subj,
        seed,
        T,
        move,
        "right_hip_flexion_deg",
        {"holds": holds, "hold_s": hold_s},
        psi=psi,
        holds=hl,
        side="both",
    )


def generate_leg_press(
    subject: Subject | None = None,
    *,
    seed: int = 0,
    reps: int = 8,
    partial_rep: int | None = 3,
    psi: float = 0.0,
) -> Motion:
    """Approximate leg press: supine, both legs push from hip/knee ~85/95 deg to extended
    and return (as on a reformer or against a wall)."""
    subj = subject or make_subject(seed=seed)
    plan = _tempo_jitter(
        RepPlan(reps=reps, up_s=1.3, hold_s=0.4, down_s=1.6, pause_s=0.6, lead_in_s=1.5), seed
    )
    if partial_rep is not None:
        plan.scale[partial_rep] = 0.45
    T, r, rp = rep_profile(plan)
    start = smoothstep(np.clip(T / 1.2, 0, 1))  # bring the legs up to the start position

    def move(d: Dof) -> None:
        for s in SIDES:
            d[f"{s}_hip_flex"] = start * (D(85.0) - D(60.0) * r)
            d[f"{s}_knee"] = start * (D(95.0) - D(88.0) * r)
            d[f"{s}_ankle"] = D(-25.0) + start * D(30.0)

    faults = [_fault("partial_rep", rp[partial_rep], None)] if partial_rep is not None else []
    return _supine(
        "leg_press",
        subj,
        seed,
        T,
        move,
        "right_knee_flexion_deg",
        {"reps": reps, "partial_rep": partial_rep},
        psi=psi,
        reps=rp,
        faults=faults,
        side="both",
        peak_mode="min",
    )


def generate_rom_hip_abduction(
    subject: Subject | None = None,
    *,
    seed: int = 0,
    right_deg: float = 35.0,
    left_deg: float = 40.0,
    reps_per_side: int = 2,
    psi: float = 0.0,
) -> Motion:
    """Standing active hip abduction ROM, each side (front view)."""
    subj = subject or make_subject(seed=seed)
    order = ["right"] * reps_per_side + ["left"] * reps_per_side
    plan = RepPlan(reps=len(order), up_s=1.5, hold_s=1.2, down_s=1.5, pause_s=1.0)
    T, r, rp = rep_profile(plan)
    n = T.shape[0]
    parts = []
    # two halves: right leg moves (left stance), then left leg moves (right stance)
    for s, amt in (("right", right_deg), ("left", left_deg)):
        mask = np.zeros(n)
        for rep, o in zip(rp, order, strict=True):
            if o == s:
                mm = (rep["start_s"] <= T) & (rep["end_s"] >= T)
                mask[mm] = r[mm]
        parts.append((s, amt, mask))
    d = Dof(n)
    for s, amt, mask in parts:
        d[f"{s}_hip_abd"] = D(3.0) + D(amt) * mask
        d[f"{s}_knee"] = D(2.0)
        d[f"{s}_sh_abd"] = D(10.0)
    d["pelvis_obliq"] = D(4.0) * (parts[1][2] - parts[0][2])
    d["trunk_lat"] = D(6.0) * (parts[1][2] - parts[0][2]) * 0.5
    # support: the non-moving leg keeps its foot planted; switch support between halves
    f = heading_vec(psi)
    right = np.cross(f, [0.0, 1.0, 0.0])
    pel = standing_pelvis(subj, n)
    pose_r = assemble(
        subj,
        T,
        Dof(n, dict(d.v)),
        psi=psi,
        pelvis_pos=pel,
        support="left",
        support_ankle={
            "left": np.repeat(
                (
                    np.array([0.0, subj.ankle_height, 0.0])
                    - (0.5 * subj.hip_joint_width + 0.02) * right
                )[None],
                n,
                axis=0,
            )
        },
    )
    pose_l = assemble(
        subj,
        T,
        Dof(n, dict(d.v)),
        psi=psi,
        pelvis_pos=pel,
        support="right",
        support_ankle={
            "right": np.repeat(
                (
                    np.array([0.0, subj.ankle_height, 0.0])
                    + (0.5 * subj.hip_joint_width + 0.02) * right
                )[None],
                n,
                axis=0,
            )
        },
    )
    # The two supports give the same pose where no leg is abducted (both at 3 deg); pick by phase
    first_half_end = rp[reps_per_side - 1]["end_s"] + 0.5 * plan.pause_s
    use_r = first_half_end >= T
    pose = Pose(
        t=T,
        joints={
            k: np.where(use_r[:, None], pose_r.joints[k], pose_l.joints[k]) for k in pose_r.joints
        },
        segments={
            k: np.where(use_r[:, None, None], pose_r.segments[k], pose_l.segments[k])
            for k in pose_r.segments
        },
        basis=pose_r.basis,
    )
    pose = _ground(pose, subj, "both")
    m = _finish(
        "rom_hip_abduction",
        subj,
        pose,
        {"right_deg": right_deg, "left_deg": left_deg, "reps_per_side": reps_per_side},
        seed=seed,
        psi=psi,
        primary="right_hip_abduction_deg",
        reps=[],
    )
    ang = joint_angles(pose)
    reps_out: list[dict[str, Any]] = []
    res: dict[str, float] = {}
    for rep, s in zip(rp, order, strict=True):
        c = ang[f"{s}_hip_abduction_deg"]
        mm = (rep["start_s"] <= T) & (rep["end_s"] >= T)
        i = int(np.argmax(c[mm]))
        reps_out.append(
            {
                "index": rep["index"],
                "side": s,
                "start_s": rep["start_s"],
                "peak_s": float(T[mm][i]),
                "end_s": rep["end_s"],
                "peak_deg": float(c[mm][i]),
                "partial": False,
            }
        )
        res[f"{s}_hip_abduction_deg"] = max(res.get(f"{s}_hip_abduction_deg", 0.0), float(c[mm][i]))
    m.truth["exercise"].update(
        {
            "reps": reps_out,
            "rep_count": len(reps_out),
            "complete_reps": len(reps_out),
            "attempts": len(reps_out),
            "primary_angle": "hip_abduction_deg",
            "side": "both",
        }
    )
    m.truth["test_result"] = res
    return m


# ---------------------------------------------------------------------------------------
# registry
# ---------------------------------------------------------------------------------------
#: task name -> (generator, default view)
EXERCISES: dict[str, tuple[Callable[..., Motion], str]] = {
    "squat": (generate_squat, "front"),
    "mini_squat": (
        lambda **kw: generate_squat(
            mini=True, valgus_rep=None, partial_rep=None, deep_rep=kw.pop("deep_rep", 3), **kw
        ),
        "side",
    ),
    "sit_to_stand": (generate_sit_to_stand, "side"),
    "straight_leg_raise": (generate_straight_leg_raise, "side"),
    "hip_abduction": (generate_hip_abduction, "front"),
    "biceps_curl": (generate_biceps_curl, "side"),
    "rom_hip_flexion": (generate_rom_hip_flexion, "side"),
    "rom_hip_abduction": (generate_rom_hip_abduction, "front"),
    "rom_hip_rotation": (generate_rom_hip_rotation, "front"),
    "glute_bridge": (generate_glute_bridge, "side"),
    "glute_set": (generate_glute_set, "side"),
    "quad_stretch": (generate_quad_stretch, "side"),
    "adductor_stretch": (generate_adductor_stretch, "front"),
    "hamstring_curl": (generate_hamstring_curl, "side"),
    "leg_extension": (generate_leg_extension, "side"),
    "leg_press": (generate_leg_press, "side"),
    "shoulder_press": (generate_shoulder_press, "front"),
    "lateral_raise": (generate_lateral_raise, "front"),
    "five_times_sit_to_stand": (
        lambda **kw: generate_sit_to_stand(
            task="five_times_sit_to_stand",
            reps=5,
            partial_rep=None,
            tempo=0.75,
            arms_crossed=True,
            **kw,
        ),
        "side",
    ),
    "thirty_second_chair_stand": (
        lambda **kw: generate_sit_to_stand(
            task="thirty_second_chair_stand",
            reps=11,
            partial_rep=None,
            tempo=0.78,
            arms_crossed=True,
            duration_s=32.5,
            **kw,
        ),
        "side",
    ),
    "single_leg_stance": (generate_single_leg_stance, "front"),
}


def generate_exercise(
    task: str, *, seed: int = 0, subject: Subject | None = None, **kwargs: Any
) -> Motion:
    """Generate any registered exercise / standard test by name."""
    if task not in EXERCISES:
        raise ValueError(f"unknown task {task!r}; choose from gait, {', '.join(EXERCISES)}")
    gen, _ = EXERCISES[task]
    subj = subject or make_subject(height_m=float(_rng(seed, 0x4E).uniform(1.58, 1.90)), seed=seed)
    return gen(subject=subj, seed=seed, **kwargs)


_ = (SIM_RATE_HZ, sole_points)
