"""Forward kinematics and the gait generator (pure numpy, vectorised over frames).

World frame: metres, ``y`` up, floor at ``y = 0``. A heading angle ``psi`` (radians about
+y) points the body's forward axis at ``(cos psi, 0, -sin psi)``; the subject's right is
``forward x up``. Segment frames follow :mod:`avnmotion.synth.subject` (x anterior, y up,
z right).

Motions are built on a fine time grid (:data:`SIM_RATE_HZ`, a multiple of every supported
frame rate) so that contact events are resolved to ~2 ms; :meth:`Motion.at_fps` samples
the frames of a clip (frame ``i`` at ``t = i / fps``).

Gait is built "feet first": every foot strike has a fixed floor position; during stance
the shoe rolls over its heel edge, lies flat, then rolls over its toe edge, so the contact
point never slides; swing feet follow smooth quintic paths with guaranteed toe clearance.
The pelvis height is solved so that the stance legs reach their feet with a prescribed
knee-flexion pattern, and the legs are solved analytically (two-link IK). Foot strike /
foot off truth is taken from the transformed shoe mesh (lowest vertex vs the floor).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from avnmotion.synth.subject import Prop, Subject, make_subject, shoe_points, sole_points

FloatArray = NDArray[np.float64]

#: Simulation rate; frame rates that divide it are supported exactly.
SIM_RATE_HZ = 600
SUPPORTED_FPS: tuple[int, ...] = (24, 25, 30, 50, 60, 100, 120)
#: A foot is "on the floor" when its lowest shoe vertex is below this height (m).
CONTACT_EPS_M = 0.0005

SIDES: tuple[str, str] = ("left", "right")
SIDE_SIGN = {"left": -1.0, "right": 1.0}
SEG_PREFIX = {"left": "l", "right": "r"}

JOINT_NAMES: tuple[str, ...] = (
    "pelvis",
    "neck",
    "head",
    "nose",
    "left_ear",
    "right_ear",
    "left_hip",
    "right_hip",
    "left_knee",
    "right_knee",
    "left_ankle",
    "right_ankle",
    "left_heel",
    "right_heel",
    "left_foot_index",
    "right_foot_index",
    "left_shoulder",
    "right_shoulder",
    "left_elbow",
    "right_elbow",
    "left_wrist",
    "right_wrist",
)


# ---------------------------------------------------------------------------------------
# rotation helpers (vectorised: angles (T,) -> (T,3,3))
# ---------------------------------------------------------------------------------------
def _as_t(a: Any, n: int) -> FloatArray:
    arr = np.asarray(a, dtype=np.float64)
    if arr.ndim == 0:
        arr = np.full(n, float(arr))
    return arr


def rot_x(a: Any) -> FloatArray:
    a = np.atleast_1d(np.asarray(a, float))
    c, s = np.cos(a), np.sin(a)
    r = np.zeros((*a.shape, 3, 3))
    r[..., 0, 0] = 1
    r[..., 1, 1], r[..., 1, 2] = c, -s
    r[..., 2, 1], r[..., 2, 2] = s, c
    return r


def rot_y(a: Any) -> FloatArray:
    a = np.atleast_1d(np.asarray(a, float))
    c, s = np.cos(a), np.sin(a)
    r = np.zeros((*a.shape, 3, 3))
    r[..., 1, 1] = 1
    r[..., 0, 0], r[..., 0, 2] = c, s
    r[..., 2, 0], r[..., 2, 2] = -s, c
    return r


def rot_z(a: Any) -> FloatArray:
    a = np.atleast_1d(np.asarray(a, float))
    c, s = np.cos(a), np.sin(a)
    r = np.zeros((*a.shape, 3, 3))
    r[..., 2, 2] = 1
    r[..., 0, 0], r[..., 0, 1] = c, -s
    r[..., 1, 0], r[..., 1, 1] = s, c
    return r


def heading_vec(psi: Any) -> FloatArray:
    psi = np.asarray(psi, float)
    return np.stack([np.cos(psi), np.zeros_like(psi), -np.sin(psi)], axis=-1)


def _unit(v: FloatArray) -> FloatArray:
    n = np.linalg.norm(v, axis=-1, keepdims=True)
    return v / np.maximum(n, 1e-12)


def _mv(r: FloatArray, v: Any) -> FloatArray:
    """Batched matrix @ vector: r (T,3,3), v (3,) or (T,3) -> (T,3)."""
    v = np.asarray(v, float)
    if v.ndim == 1:
        return np.einsum("tij,j->ti", r, v)
    return np.einsum("tij,tj->ti", r, v)


def frame_from_axes(y_axis: FloatArray, x_hint: FloatArray) -> FloatArray:
    """Rotation whose y column is ``y_axis`` and x column is ``x_hint`` orthogonalised."""
    y = _unit(y_axis)
    x = x_hint - np.einsum("ti,ti->t", x_hint, y)[:, None] * y
    x = _unit(x)
    z = np.cross(x, y)
    return np.stack([x, y, z], axis=-1)


def transform(rot: FloatArray, pos: FloatArray) -> FloatArray:
    t = np.zeros((rot.shape[0], 4, 4))
    t[:, :3, :3] = rot
    t[:, :3, 3] = pos
    t[:, 3, 3] = 1.0
    return t


def smoothstep(u: Any) -> FloatArray:
    u = np.clip(np.asarray(u, float), 0.0, 1.0)
    return u * u * u * (u * (6 * u - 15) + 10)


def ease_cos(u: Any) -> FloatArray:
    u = np.clip(np.asarray(u, float), 0.0, 1.0)
    return 0.5 - 0.5 * np.cos(np.pi * u)


# ---------------------------------------------------------------------------------------
# pose container and forward kinematics
# ---------------------------------------------------------------------------------------
@dataclass
class Pose:
    """Joint centres and segment transforms over time (simulation grid or clip frames)."""

    t: FloatArray  # (T,) seconds
    joints: dict[str, FloatArray]  # name -> (T,3)
    segments: dict[str, FloatArray]  # segment name -> (T,4,4) world transform
    basis: FloatArray  # (T,3,3) columns: forward, up, right of the angle reference frame

    @property
    def n(self) -> int:
        return int(self.t.shape[0])

    def take(self, idx: NDArray[np.int64], t: FloatArray | None = None) -> Pose:
        return Pose(
            t=self.t[idx] if t is None else t,
            joints={k: v[idx] for k, v in self.joints.items()},
            segments={k: v[idx] for k, v in self.segments.items()},
            basis=self.basis[idx],
        )


@dataclass
class Motion:
    """A generated motion: pose on the simulation grid plus the ground truth."""

    task: str
    subject: Subject
    pose: Pose  # on the SIM_RATE_HZ grid
    params: dict[str, Any]
    truth: dict[str, Any] = field(default_factory=dict)
    props: list[Prop] = field(default_factory=list)
    reference: str = "upright"  # "upright" or "supine": which frame angles are measured in
    #: per-sim-sample facing heading (radians) used by cameras that follow the side
    heading: FloatArray | None = None
    seed: int = 0

    @property
    def duration_s(self) -> float:
        return float(self.pose.t[-1])

    def frame_indices(self, fps: float) -> NDArray[np.int64]:
        """Indices into the simulation grid of clip frames ``i / fps`` within the motion."""
        fps_i = round(fps)
        if SIM_RATE_HZ % fps_i != 0 or abs(fps - fps_i) > 1e-9:
            raise ValueError(f"fps {fps} must divide {SIM_RATE_HZ}")
        step = SIM_RATE_HZ // fps_i
        return np.arange(0, self.pose.n, step, dtype=np.int64)

    def at_fps(self, fps: float) -> Pose:
        idx = self.frame_indices(fps)
        return self.pose.take(idx, t=idx.astype(np.float64) / SIM_RATE_HZ)


def sim_times(duration_s: float) -> FloatArray:
    n = round(duration_s * SIM_RATE_HZ) + 1
    return np.arange(n, dtype=np.float64) / SIM_RATE_HZ


def leg_ik(
    subj: Subject,
    hip: FloatArray,
    ankle: FloatArray,
    knee_hint: FloatArray,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Two-link IK: knee position and thigh / shank rotations.

    The knee lies in the plane of hip, ankle and ``knee_hint`` (a direction the knee points
    to, normally the body's forward axis). Returns (knee (T,3), R_thigh, R_shank).
    """
    l1, l2 = subj.thigh, subj.shank
    d_vec = ankle - hip
    d = np.linalg.norm(d_vec, axis=-1)
    d = np.clip(d, abs(l1 - l2) + 1e-6, (l1 + l2) * (1 - 1e-9))
    u = _unit(d_vec)
    w = knee_hint - np.einsum("ti,ti->t", knee_hint, u)[:, None] * u
    w = _unit(w)
    cos_a = np.clip((l1 * l1 + d * d - l2 * l2) / (2 * l1 * d), -1.0, 1.0)
    sin_a = np.sqrt(1 - cos_a * cos_a)
    knee = hip + l1 * (cos_a[:, None] * u + sin_a[:, None] * w)
    r_th = frame_from_axes(hip - knee, knee_hint)
    r_sh = frame_from_axes(knee - ankle, knee_hint)
    return knee, r_th, r_sh


def body_pose(
    subj: Subject,
    t: FloatArray,
    pelvis_pos: FloatArray,
    pelvis_rot: FloatArray,
    trunk_rot: FloatArray,
    head_rot: FloatArray,
    legs: dict[str, dict[str, FloatArray]],
    arms: dict[str, dict[str, FloatArray]],
    basis: FloatArray,
) -> Pose:
    """Assemble joints and segment transforms.

    ``legs[side]`` holds either ``{"knee", "r_thigh", "r_shank", "r_foot", "ankle"}``
    (already solved) and ``arms[side]`` holds ``{"shoulder_flex", "shoulder_abd",
    "elbow_flex"}`` angles in radians (T,).
    """
    n = t.shape[0]
    joints: dict[str, FloatArray] = {}
    segs: dict[str, FloatArray] = {}
    joints["pelvis"] = pelvis_pos
    segs["pelvis"] = transform(pelvis_rot, pelvis_pos)
    neck = pelvis_pos + _mv(trunk_rot, [0.0, subj.trunk, 0.0])
    joints["neck"] = neck
    segs["trunk"] = transform(trunk_rot, pelvis_pos)
    head_origin = neck + _mv(trunk_rot, [0.0, subj.neck, 0.0])
    segs["head"] = transform(head_rot, head_origin)
    hh, hd, hw = subj.head_height, subj.head_depth, subj.head_width
    joints["head"] = head_origin + _mv(head_rot, [0.0, 0.5 * hh, 0.0])
    joints["nose"] = head_origin + _mv(head_rot, [0.5 * hd * 0.92 + 0.02, 0.45 * hh, 0.0])
    for side in SIDES:
        sg = SIDE_SIGN[side]
        p = SEG_PREFIX[side]
        joints[f"{side}_ear"] = head_origin + _mv(head_rot, [0.0, 0.5 * hh, sg * 0.5 * hw])
        joints[f"{side}_hip"] = pelvis_pos + _mv(
            pelvis_rot, [0.0, 0.0, sg * 0.5 * subj.hip_joint_width]
        )
        leg = legs[side]
        joints[f"{side}_knee"] = leg["knee"]
        joints[f"{side}_ankle"] = leg["ankle"]
        segs[f"{p}_thigh"] = transform(leg["r_thigh"], joints[f"{side}_hip"])
        segs[f"{p}_shank"] = transform(leg["r_shank"], leg["knee"])
        segs[f"{p}_foot"] = transform(leg["r_foot"], leg["ankle"])
        sp = sole_points(subj)
        joints[f"{side}_heel"] = leg["ankle"] + _mv(leg["r_foot"], sp[0])
        joints[f"{side}_foot_index"] = leg["ankle"] + _mv(leg["r_foot"], sp[1])
        # arm
        shoulder = neck + _mv(
            trunk_rot, [0.0, -0.02 * subj.height_m, sg * 0.5 * subj.shoulder_joint_width]
        )
        arm = arms[side]
        r_ua = (
            trunk_rot
            @ rot_z(_as_t(arm["shoulder_flex"], n))
            @ rot_x(-sg * _as_t(arm["shoulder_abd"], n))
        )
        if "shoulder_rot" in arm:
            r_ua = r_ua @ rot_y(sg * _as_t(arm["shoulder_rot"], n))
        elbow = shoulder + _mv(r_ua, [0.0, -subj.upper_arm, 0.0])
        r_fa = r_ua @ rot_z(_as_t(arm["elbow_flex"], n))
        wrist = elbow + _mv(r_fa, [0.0, -subj.forearm, 0.0])
        joints[f"{side}_shoulder"] = shoulder
        joints[f"{side}_elbow"] = elbow
        joints[f"{side}_wrist"] = wrist
        segs[f"{p}_upper_arm"] = transform(r_ua, shoulder)
        segs[f"{p}_forearm"] = transform(r_fa, elbow)
        segs[f"{p}_hand"] = transform(r_fa, wrist)
    return Pose(t=t, joints=joints, segments=segs, basis=basis)


def fk_leg(
    subj: Subject,
    side: str,
    hip: FloatArray,
    pelvis_rot: FloatArray,
    hip_flex: Any,
    hip_abd: Any,
    hip_rot: Any,
    knee_flex: Any,
    ankle_df: Any,
) -> dict[str, FloatArray]:
    """Angle-driven leg: returns the dict :func:`body_pose` expects (angles in radians)."""
    n = hip.shape[0]
    sg = SIDE_SIGN[side]
    r_th = (
        pelvis_rot
        @ rot_z(_as_t(hip_flex, n))
        @ rot_x(-sg * _as_t(hip_abd, n))
        @ rot_y(sg * _as_t(hip_rot, n))
    )
    knee = hip + _mv(r_th, [0.0, -subj.thigh, 0.0])
    r_sh = r_th @ rot_z(-_as_t(knee_flex, n))
    ankle = knee + _mv(r_sh, [0.0, -subj.shank, 0.0])
    r_ft = r_sh @ rot_z(_as_t(ankle_df, n))
    return {"knee": knee, "ankle": ankle, "r_thigh": r_th, "r_shank": r_sh, "r_foot": r_ft}


def upright_basis(psi: FloatArray) -> FloatArray:
    """Angle reference for upright tasks: forward = heading, up = world vertical."""
    f = heading_vec(psi)
    up = np.broadcast_to(np.array([0.0, 1.0, 0.0]), f.shape)
    r = np.cross(f, up)
    return np.stack([f, up, r], axis=-1)


# ---------------------------------------------------------------------------------------
# contact truth from the shoe mesh
# ---------------------------------------------------------------------------------------
def foot_lowest_height(subj: Subject, pose: Pose, side: str) -> FloatArray:
    """Height (m) of the lowest shoe-mesh vertex above the floor, per sample."""
    verts = shoe_points(subj)  # the shoe mesh is the convex hull of these points
    tr = pose.segments[f"{SEG_PREFIX[side]}_foot"]
    y = np.einsum("tj,nj->tn", tr[:, 1, :3], verts) + tr[:, 1, 3][:, None]
    return y.min(axis=1)


def contact_events(subj: Subject, pose: Pose, eps: float = CONTACT_EPS_M) -> list[dict[str, Any]]:
    """Foot strike / foot off events from the shoe mesh's lowest point vs the floor.

    A strike is the first sample whose lowest vertex is within ``eps`` of the floor after
    a sample above it; a foot off the first sample above it after contact. Times are
    sample times on the simulation grid.
    """
    out: list[dict[str, Any]] = []
    for side in SIDES:
        low = foot_lowest_height(subj, pose, side)
        on = low <= eps
        change = np.flatnonzero(on[1:] != on[:-1]) + 1
        for i in change:
            out.append(
                {
                    "side": side,
                    "kind": "foot_strike" if on[i] else "foot_off",
                    "time_s": float(pose.t[i]),
                }
            )
    out.sort(key=lambda e: (e["time_s"], e["side"]))
    return out


# ---------------------------------------------------------------------------------------
# gait
# ---------------------------------------------------------------------------------------
GAIT_PATTERNS: tuple[str, ...] = (
    "normal",
    "antalgic_left",
    "antalgic_right",
    "trendelenburg_left",
    "trendelenburg_right",
    "duchenne_left",
    "duchenne_right",
)


@dataclass(frozen=True)
class GaitParams:
    """Parameters of :func:`generate_gait` (see there)."""

    speed_m_s: float = 1.25
    cadence_steps_min: float = 108.0
    pattern: str = "normal"
    severity_si: float = 10.0  # antalgic: |stance-time SI| in percent
    pelvic_drop_deg: float = 10.0  # Trendelenburg: peak drop toward the swing side
    trunk_lean_deg: float = 12.0  # Duchenne: peak lean over the stance hip
    n_passes: int = 6
    walkway_m: tuple[float, float] = (-1.5, 1.5)  # first / last strike region of a pass
    axis: str = "x"  # "x": walk across (side view); "z_toward": toward/away from camera
    line_offset_m: float = 0.0  # lateral position of the first pass
    turn_radius_m: float = 0.3
    step_width_m: float = 0.13
    stance_fraction: float = 0.61
    lead_fraction: float = 0.46
    heel_strike_pitch_deg: float = 22.0
    # Contact kinematics (toe-off pitch, the push into swing, the heel's velocity at strike):
    # chosen so that the event detector, within 10 ms of the truth on the public
    # motion-capture walks, also sits close to the truth here (foot strike -17 ms, foot off
    # +15 ms on the simulated 3-D track; it was -38 / +65 ms with a foot that left and met
    # the ground at rest, which halved every stance-time asymmetry). Swing knee peak 68 deg.
    toe_off_pitch_deg: float = 28.0
    heel_off_stance: float = 0.60
    foot_flat_stance: float = 0.14
    toe_clearance_m: float = 0.018
    swing_lift_m_s: float = 0.0
    swing_descent_warp: float = 1.2
    swing_push_m_s: float = 2.0
    strike_heel_fwd_m_s: float = 0.6  # heel's forward velocity at foot strike
    strike_heel_down_m_s: float = 0.3  # heel's downward velocity at foot strike
    arm_swing_deg: float = 16.0
    trunk_forward_deg: float = 3.0
    pelvic_rotation_deg: float = 4.0
    pelvic_list_deg: float = 4.0
    lead_in_s: float = 0.0


def _quintic(
    p0: FloatArray, v0: FloatArray, p1: FloatArray, v1: FloatArray, dur: float, u: FloatArray
) -> FloatArray:
    """Quintic Hermite with zero end accelerations; u in [0,1] (K,), p* (D,) -> (K,D)."""
    u = u[:, None]
    h00 = 1 - 10 * u**3 + 15 * u**4 - 6 * u**5
    h10 = u - 6 * u**3 + 8 * u**4 - 3 * u**5
    h01 = 10 * u**3 - 15 * u**4 + 6 * u**5
    h11 = -4 * u**3 + 7 * u**4 - 3 * u**5
    return h00 * p0 + h10 * dur * v0 + h01 * p1 + h11 * dur * v1


def _foot_rot(psi: FloatArray, pitch: FloatArray) -> FloatArray:
    """Foot rotation: yaw psi then pitch (toe up positive) about the foot's lateral axis."""
    return rot_y(psi) @ rot_z(pitch)


def _stance_pitch(p: GaitParams, s: FloatArray) -> FloatArray:
    """Foot pitch during stance (radians, toe up positive) at stance phase s in [0,1]."""
    hs = np.deg2rad(p.heel_strike_pitch_deg)
    to = np.deg2rad(p.toe_off_pitch_deg)
    out = np.zeros_like(s)
    a = s < p.foot_flat_stance
    out[a] = hs * (1 - ease_cos(s[a] / p.foot_flat_stance))
    b = s > p.heel_off_stance
    u = (s[b] - p.heel_off_stance) / (1 - p.heel_off_stance)
    out[b] = -to * (0.35 * u**2 + 0.65 * u**3) / 1.0
    return out


def _stance_pitch_rate(p: GaitParams, stance_dur: float) -> float:
    """d(pitch)/dt at the end of stance (rad/s)."""
    to = np.deg2rad(p.toe_off_pitch_deg)
    du = 1.0 / ((1 - p.heel_off_stance) * stance_dur)
    return float(-to * (0.7 + 1.95) * du)


def _schedule(p: GaitParams, stride_t: float) -> dict[str, Any]:
    """Timing of one stride starting at a RIGHT strike, for the chosen pattern.

    Returns step times (after a right strike -> left strike: ``t_l``), and the initial
    double-support durations after a right (``d_r``) and after a left (``d_l``) strike.
    """
    T = stride_t
    d0 = (p.stance_fraction - 0.5) * T
    t_l = 0.5 * T
    d_r = d_l = d0
    si = 0.0
    if p.pattern.startswith("antalgic"):
        k = 0.5
        mag = abs(p.severity_si)
        # painful side X: shorter stance on X. For X = right: SI = (R-L)/mean < 0.
        si_signed = -mag if p.pattern.endswith("right") else mag
        # St_R = t_l + d_l ; St_L = T - t_l + d_r ; with t_l = T/2 - delta (right painful)
        # and both double supports d0 + k*delta:
        # SI = -2 delta / (T/2 + d0 + k delta) * 100  (right painful)
        delta = mag * (T / 2 + d0) / (200.0 - mag * k)
        t_l = 0.5 * T - delta if p.pattern.endswith("right") else 0.5 * T + delta
        d_r = d_l = d0 + k * delta
        si = si_signed
    return {"t_l": t_l, "d_r": d_r, "d_l": d_l, "si": si}


def _path(
    p: GaitParams,
    subj: Subject,
    stride_len: float,
    step_len_r: float,
    step_len_l: float,
    n_turn_steps: int,
) -> tuple[list[dict[str, Any]], FloatArray]:
    """Foot placements along the walkway: alternating passes joined by 180 deg turns.

    Returns a list of strikes (side, arc position s, pelvis point, heading, segment label)
    and the pass boundaries. Every pass starts with a right strike.
    """
    x0, x1 = p.walkway_m
    length = abs(x1 - x0)
    d_first = 1.0 if x1 >= x0 else -1.0
    r = p.turn_radius_m
    strikes: list[dict[str, Any]] = []
    side = "right"
    # lead-in steps before the first pass (off the start of the walkway)
    n_lead = 3
    s = -n_lead * 0.5 * stride_len
    pass_start_s = 0.0
    for j in range(p.n_passes):
        direction = d_first if j % 2 == 0 else -d_first
        lateral = p.line_offset_m + (0.0 if j % 2 == 0 else 2 * r)
        start_x = x0 if j % 2 == 0 else x1

        def straight(
            sv: float,
            start_x=start_x,
            direction=direction,
            lateral=lateral,
            pass_start_s=pass_start_s,
        ):
            along = start_x + direction * (sv - pass_start_s)
            return along, lateral, 0.0 if direction > 0 else np.pi

        # strides along this pass (include lead-in for the first pass)
        while s <= pass_start_s + length + 1e-9:
            along, lat, psi = straight(s)
            strikes.append(
                {
                    "side": side,
                    "s": s,
                    "along": along,
                    "lat": lat,
                    "psi": psi,
                    "segment": f"pass{j}" if s >= pass_start_s - 1e-9 else "lead_in",
                    "pass": j,
                    "direction": direction,
                }
            )
            s += step_len_r if side == "right" else step_len_l
            side = "left" if side == "right" else "right"
        if j == p.n_passes - 1:
            # lead-out: keep walking beyond the end so the clip ends mid-walk
            for _ in range(3):
                along, lat, psi = straight(s)
                strikes.append(
                    {
                        "side": side,
                        "s": s,
                        "along": along,
                        "lat": lat,
                        "psi": psi,
                        "segment": "lead_out",
                        "pass": j,
                        "direction": direction,
                    }
                )
                s += step_len_r if side == "right" else step_len_l
                side = "left" if side == "right" else "right"
            break
        # turn: semicircle of radius r around the centre beyond the end of the pass
        end_s = s
        end_along, _, _ = straight(end_s)
        # pass end reached at arc (pass_start_s + length); the turn starts at the last strike
        centre_along = end_along
        sign_lat = 1.0 if j % 2 == 0 else -1.0
        centre_lat = lateral + sign_lat * r
        for k in range(1, n_turn_steps + 1):
            ang = np.pi * k / (n_turn_steps + 1)
            # position on the semicircle, starting at (end_along, lateral) heading `direction`
            along = centre_along + direction * r * np.sin(ang)
            lat = centre_lat - sign_lat * r * np.cos(ang)
            psi0 = 0.0 if direction > 0 else np.pi
            # turning toward +lat; +lat is -z for heading 0 so a left turn for +x walking
            turn_dir = 1.0 if (direction > 0) == (sign_lat > 0) else -1.0
            psi = psi0 + turn_dir * ang
            s += np.pi * r / (n_turn_steps + 1)
            strikes.append(
                {
                    "side": side,
                    "s": s,
                    "along": along,
                    "lat": lat,
                    "psi": psi,
                    "segment": f"turn{j}",
                    "pass": j,
                    "direction": direction,
                }
            )
            side = "left" if side == "right" else "right"
        s += np.pi * r / (n_turn_steps + 1)
        # make the next pass start with whatever side is next; position arc at its start
        pass_start_s = s
    return strikes, np.array([])


def generate_gait(
    subject: Subject | None = None,
    params: GaitParams | None = None,
    *,
    seed: int = 0,
) -> Motion:
    """Walking back and forth across (or toward/away from) the camera.

    The walker starts mid-stride at the start of the walkway, walks ``n_passes`` straight
    passes joined by 180-degree turns (a few short turning steps), and stops recording
    mid-stride after the last pass. Odd passes run in the opposite direction, so each body
    side is once the near side of a side-view camera.

    Patterns (``params.pattern``):

    * ``normal``
    * ``antalgic_right`` / ``antalgic_left``: shorter stance and single support on the
      painful side, longer double support, shorter step of the other limb; the true stance
      time symmetry index ``SI = (R - L) / (0.5 (R + L)) * 100`` has magnitude
      ``severity_si`` (negative for a painful right side).
    * ``trendelenburg_right`` / ``_left``: during single stance on that limb the pelvis
      drops toward the swing side by ``pelvic_drop_deg`` (peak).
    * ``duchenne_right`` / ``_left``: the trunk leans over that stance hip by
      ``trunk_lean_deg`` (peak) during its stance; the pelvis stays level or rises.
    """
    p = params or GaitParams()
    if p.pattern not in GAIT_PATTERNS:
        raise ValueError(f"unknown gait pattern {p.pattern!r}; choose from {GAIT_PATTERNS}")
    subj = subject or make_subject(seed=seed)
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), 0x6A17]))

    step_t = 60.0 / p.cadence_steps_min
    stride_t = 2 * step_t
    stride_len = p.speed_m_s * stride_t
    sch = _schedule(p, stride_t)
    t_l = sch["t_l"]  # time from a right strike to the next left strike (= left step time)
    # step lengths proportional to step times (constant progression speed)
    step_len_l = stride_len * t_l / stride_t
    step_len_r = stride_len - step_len_l
    # for _path: length advanced after striking `side`: after right -> left step length
    n_turn_steps = 4
    strikes, _ = _path(p, subj, stride_len, step_len_l, step_len_r, n_turn_steps)

    # ---- timing of strikes -------------------------------------------------------------
    t = 0.0
    times = []
    for k, st in enumerate(strikes):
        times.append(t)
        dt = t_l if st["side"] == "right" else stride_t - t_l
        if st["segment"].startswith("turn") or (
            k + 1 < len(strikes) and strikes[k + 1]["segment"].startswith("turn")
        ):
            dt = step_t * 1.05
        t += dt
    times_arr = np.array(times)
    # time 0 of the clip = the first strike of pass 0 minus lead_in_s
    first_pass = next(i for i, st in enumerate(strikes) if st["segment"] == "pass0")
    t0 = times_arr[first_pass] - p.lead_in_s
    times_arr -= t0
    for st, tt in zip(strikes, times_arr, strict=True):
        st["t"] = float(tt)
        st["ds_after"] = sch["d_r"] if st["side"] == "right" else sch["d_l"]
    # end: the last strike of the final pass (before lead_out) + a little
    last_pass_idx = max(i for i, st in enumerate(strikes) if st["segment"].startswith("pass"))
    duration = float(times_arr[last_pass_idx] + 0.5 * step_t)

    # ---- foot placements ----------------------------------------------------------------
    half_w = 0.5 * p.step_width_m

    def axes(psi: float) -> tuple[FloatArray, FloatArray]:
        f = heading_vec(psi)
        r = np.cross(f, [0.0, 1.0, 0.0])
        return f, r

    def to_world(along: float, lat: float) -> FloatArray:
        if p.axis == "x":
            return np.array([along, 0.0, -lat])
        return np.array([lat, 0.0, along])

    def world_psi(psi: float) -> float:
        # along-axis heading psi (0 = +along) -> world heading
        if p.axis == "x":
            return psi
        # along = +z world: heading vector (0,0,1) -> psi = -pi/2
        return psi - np.pi / 2

    for st in strikes:
        psi_w = world_psi(st["psi"])
        f, r = axes(psi_w)
        base = to_world(st["along"], st["lat"])
        step_here = stride_len * 0.5
        if st["segment"].startswith("turn"):
            step_here = np.pi * p.turn_radius_m / (n_turn_steps + 1)
        lead = p.lead_fraction * step_here
        st["lead"] = lead
        st["pelvis_xz"] = base
        st["psi_w"] = psi_w
        st["heel"] = base + lead * f + SIDE_SIGN[st["side"]] * half_w * r
        st["heel"][1] = 0.0

    T = sim_times(duration)
    n = T.shape[0]
    # ---- pelvis horizontal path & heading -------------------------------------------------
    from scipy.interpolate import PchipInterpolator

    kt = np.array([st["t"] for st in strikes])
    kxz = np.array([st["pelvis_xz"] for st in strikes])
    kpsi = np.unwrap(np.array([st["psi_w"] for st in strikes]))
    pel_xz = PchipInterpolator(kt, kxz, axis=0)(T)
    psi = PchipInterpolator(kt, kpsi)(T)
    # heading smoothing (turning is gradual)
    from scipy.ndimage import gaussian_filter1d

    psi = gaussian_filter1d(psi, 0.12 * SIM_RATE_HZ, mode="nearest")
    pel_xz = gaussian_filter1d(pel_xz, 0.05 * SIM_RATE_HZ, axis=0, mode="nearest")

    # ---- feet -----------------------------------------------------------------------------
    subj_sole = sole_points(subj)
    heel_local = subj_sole[0]
    toe_local = subj_sole[1]
    sole_len = toe_local[0] - heel_local[0]
    hs_pitch = np.deg2rad(p.heel_strike_pitch_deg)
    to_pitch = np.deg2rad(p.toe_off_pitch_deg)
    foot_rot: dict[str, FloatArray] = {}
    foot_ankle: dict[str, FloatArray] = {}
    stance_phase: dict[str, FloatArray] = {}  # -1 in swing
    for side in SIDES:
        idx = [i for i, st in enumerate(strikes) if st["side"] == side]
        rot = np.zeros((n, 3, 3))
        ank = np.zeros((n, 3))
        phase = -np.ones(n)
        for a, i in enumerate(idx):
            st = strikes[i]
            t_hs = st["t"]
            # toe off: after the next contralateral strike + its double support
            if i + 1 < len(strikes):
                t_to = strikes[i + 1]["t"] + strikes[i + 1]["ds_after"]
            else:
                t_to = t_hs + p.stance_fraction * stride_t
            st["t_to"] = t_to
            stance_dur = t_to - t_hs
            m = (t_hs <= T) & (t_to > T)
            if a == 0:
                m |= t_hs > T  # before the first strike: hold the strike pose
            s = np.clip((T[m] - t_hs) / stance_dur, 0.0, 1.0)
            pitch = _stance_pitch(p, s)
            psi_f = np.full(s.shape, st["psi_w"])
            r_f = _foot_rot(psi_f, pitch)
            heel = st["heel"]
            f_vec = heading_vec(st["psi_w"])
            toe = heel + sole_len * f_vec
            # pivot: heel edge while pitch >= 0, toe edge while pitch < 0
            use_toe = pitch < 0
            piv_world = np.where(use_toe[:, None], toe[None, :], heel[None, :])
            piv_local = np.where(use_toe[:, None], toe_local[None, :], heel_local[None, :])
            ank[m] = piv_world - _mv(r_f, piv_local)
            rot[m] = r_f
            phase[m] = s
            # swing to the next strike of this side
            if a + 1 < len(idx):
                nst = strikes[idx[a + 1]]
                t1 = nst["t"]
                dur = t1 - t_to
                ms = (t_to <= T) & (t1 > T)
                u = (T[ms] - t_to) / dur
                # start state (end of stance): heel point, pitch and their rates
                pitch_rate0 = _stance_pitch_rate(p, stance_dur)
                r0 = _foot_rot(np.array([st["psi_w"]]), np.array([-to_pitch]))[0]
                ank0 = toe - r0 @ toe_local
                heel0 = ank0 + r0 @ heel_local
                # heel velocity from rotation about the toe (axis = foot lateral axis)
                axis = np.cross(f_vec, [0.0, 1.0, 0.0])
                vheel0 = pitch_rate0 * np.cross(axis, heel0 - toe)
                vheel0 = vheel0 + np.array([0.0, p.swing_lift_m_s, 0.0]) + p.swing_push_m_s * f_vec
                heel1 = nst["heel"]
                nf_vec = heading_vec(nst["psi_w"])
                vheel1 = np.array([0.0, -0.15, 0.0]) + p.strike_heel_fwd_m_s * nf_vec
                hp = _quintic(heel0, vheel0, heel1, vheel1, dur, u)
                # vertical: reach the floor earlier than the forward progression (terminal
                # swing is mostly knee extension): warp time for y
                uy = 1.0 - (1.0 - u) ** p.swing_descent_warp
                vy0 = vheel0.copy()
                vy0[1] /= p.swing_descent_warp
                vy1 = np.array([0.0, -p.strike_heel_down_m_s, 0.0])
                hp[:, 1] = _quintic(heel0, vy0, heel1, vy1, dur, uy)[:, 1]
                pp = _quintic(
                    np.array([-to_pitch]),
                    np.array([pitch_rate0]),
                    np.array([hs_pitch]),
                    np.array([0.0]),
                    dur,
                    u,
                )[:, 0]
                psi_sw = st["psi_w"] + (
                    np.unwrap([st["psi_w"], nst["psi_w"]])[1] - st["psi_w"]
                ) * smoothstep(u)
                r_sw = _foot_rot(psi_sw, pp)
                # toe clearance: lift the whole foot where its sole gets too low
                low = np.minimum(hp[:, 1], (hp + _mv(r_sw, toe_local - heel_local))[:, 1])
                # heel lift profile typical of swing (knee flexion) + clearance floor
                want = p.toe_clearance_m * np.sin(np.pi * u) ** 0.7
                deficit = np.maximum(want - low, 0.0)
                if deficit.size and deficit.max() > 0:
                    bump = deficit.max() * np.sin(np.pi * np.clip(u, 0, 1)) ** 0.7
                    bump = np.maximum(bump, deficit)
                    hp[:, 1] += gaussian_filter1d(bump, 0.02 * SIM_RATE_HZ, mode="nearest") * (
                        np.sin(np.pi * u) > 0
                    )
                ank[ms] = hp - _mv(r_sw, heel_local)
                rot[ms] = r_sw
            else:
                ms = t_to <= T
                # after the last strike's stance: hold the toe-off pose (clip ends before)
                r0 = _foot_rot(np.array([st["psi_w"]]), np.array([-to_pitch]))[0]
                ank[ms] = toe - r0 @ toe_local
                rot[ms] = r0
        foot_rot[side] = rot
        foot_ankle[side] = ank
        stance_phase[side] = phase

    # ---- pelvis orientation ---------------------------------------------------------------
    # gait-cycle phase per side: 0 at its strike, 1 at its next strike (for angle patterns)
    def cycle_phase(side: str) -> FloatArray:
        kts = np.array([st["t"] for st in strikes if st["side"] == side])
        ph = np.interp(T, kts, np.arange(len(kts)), left=np.nan, right=np.nan)
        return np.where(np.isnan(ph), (T - kts[0]) / stride_t, ph)

    ph_r = cycle_phase("right")
    ph_l = cycle_phase("left")
    # pelvic rotation: right side forward at right strike
    prot = np.deg2rad(p.pelvic_rotation_deg) * np.cos(2 * np.pi * ph_r)

    # pelvic list (obliquity, + = left hip higher): in right single stance the left (swing)
    # side drops (negative), in left single stance the right side drops (positive).
    def single_support_bump(side: str) -> FloatArray:
        """0..1 bump over single support of `side` (other foot in swing)."""
        other = "left" if side == "right" else "right"
        sw = stance_phase[other] < 0
        on = (stance_phase[side] >= 0) & sw
        b = gaussian_filter1d(on.astype(float), 0.04 * SIM_RATE_HZ, mode="nearest")
        return b

    ss_r = single_support_bump("right")
    ss_l = single_support_bump("left")
    list_amp = np.deg2rad(p.pelvic_list_deg)
    obliq = list_amp * (ss_l - ss_r)
    trunk_lat = np.zeros(n)
    if p.pattern.startswith("trendelenburg"):
        drop = np.deg2rad(p.pelvic_drop_deg)
        if p.pattern.endswith("right"):
            obliq = obliq - (drop - list_amp) * ss_r
        else:
            obliq = obliq + (drop - list_amp) * ss_l
        # mild compensatory lean over the stance limb is not modelled (pure drop)
    if p.pattern.startswith("duchenne"):
        lean = np.deg2rad(p.trunk_lean_deg)
        st_side = "right" if p.pattern.endswith("right") else "left"
        on = (stance_phase[st_side] >= 0).astype(float)
        b = gaussian_filter1d(on, 0.06 * SIM_RATE_HZ, mode="nearest")
        trunk_lat = (lean if st_side == "right" else -lean) * b
        # pelvis level or slightly raised on the swing side during that stance
        if st_side == "right":
            obliq = list_amp * ss_l + 0.5 * list_amp * ss_r
        else:
            obliq = -list_amp * ss_r - 0.5 * list_amp * ss_l
    # subject-specific small variation
    jitter = 1.0 + 0.1 * rng.uniform(-1, 1)
    prot = prot * jitter
    r_pel = rot_y(psi) @ rot_y(prot) @ rot_x(obliq)

    # ---- pelvis height: stance legs reach their feet with the target knee flexion --------
    l1, l2 = subj.thigh, subj.shank

    def dist_for_knee(kdeg: FloatArray) -> FloatArray:
        k = np.deg2rad(kdeg)
        return np.sqrt(l1 * l1 + l2 * l2 + 2 * l1 * l2 * np.cos(k))

    y_req = np.full(n, np.inf)
    y_reach = np.full(n, np.inf)
    for side in SIDES:
        off = _mv(r_pel, [0.0, 0.0, SIDE_SIGN[side] * 0.5 * subj.hip_joint_width])
        hip_xz = np.stack([pel_xz[:, 0], np.zeros(n), pel_xz[:, 2]], axis=1) + off * np.array(
            [1, 0, 1]
        )
        dh = np.linalg.norm((foot_ankle[side] - hip_xz)[:, [0, 2]], axis=1)
        s = stance_phase[side]
        # knee target over stance: 5 deg at strike, 17 at 25 %, 4 at 60 %, then free
        kt_deg = np.interp(s, [0.0, 0.22, 0.55, 0.8], [4.0, 15.0, 5.0, 4.0])
        d_t = dist_for_knee(kt_deg)
        yr = foot_ankle[side][:, 1] - off[:, 1] + np.sqrt(np.maximum(d_t**2 - dh**2, 0.0))
        active = (s >= 0) & (s <= 0.8)
        y_req = np.where(active, np.minimum(y_req, yr), y_req)
        d_max = dist_for_knee(np.full(n, 2.0))
        yreach = foot_ankle[side][:, 1] - off[:, 1] + np.sqrt(np.maximum(d_max**2 - dh**2, 0.0))
        y_reach = np.minimum(y_reach, yreach)
    y = np.minimum(y_req, y_reach)
    y = gaussian_filter1d(y, 0.03 * SIM_RATE_HZ, mode="nearest")
    y = np.minimum(y, y_reach)
    pel_pos = np.stack([pel_xz[:, 0], y, pel_xz[:, 2]], axis=1)

    # ---- legs -----------------------------------------------------------------------------
    legs: dict[str, dict[str, FloatArray]] = {}
    fwd = heading_vec(psi)
    for side in SIDES:
        hip = pel_pos + _mv(r_pel, [0.0, 0.0, SIDE_SIGN[side] * 0.5 * subj.hip_joint_width])
        foot_f = _mv(foot_rot[side], [1.0, 0.0, 0.0])
        foot_f[:, 1] = 0.0
        hint = _unit(_unit(foot_f) + fwd)
        knee, r_th, r_sh = leg_ik(subj, hip, foot_ankle[side], hint)
        legs[side] = {
            "knee": knee,
            "ankle": foot_ankle[side],
            "r_thigh": r_th,
            "r_shank": r_sh,
            "r_foot": foot_rot[side],
        }

    # ---- trunk, head, arms ----------------------------------------------------------------
    lean_f = np.deg2rad(p.trunk_forward_deg) + 0.01 * np.cos(4 * np.pi * ph_r)
    twist = -0.6 * prot
    r_tr = rot_y(psi) @ rot_y(twist) @ rot_z(-lean_f) @ rot_x(trunk_lat)
    r_head = rot_y(psi) @ rot_z(np.full(n, -np.deg2rad(4.0)))
    arms = {}
    amp = np.deg2rad(p.arm_swing_deg)
    for side, ph in (("right", ph_r), ("left", ph_l)):
        # arm forward when the contralateral leg is forward: opposite to own leg
        arms[side] = {
            "shoulder_flex": -amp * np.cos(2 * np.pi * ph) + np.deg2rad(2.0),
            "shoulder_abd": np.full(n, np.deg2rad(9.0)),
            "elbow_flex": np.deg2rad(18.0) + np.deg2rad(10.0) * (1 - np.cos(2 * np.pi * ph)) / 2,
        }
    basis = upright_basis(psi)
    pose = body_pose(subj, T, pel_pos, r_pel, r_tr, r_head, legs, arms, basis)

    # ---- truth ------------------------------------------------------------------------------
    ev = contact_events(subj, pose)
    truth = gait_truth(ev, strikes, duration, p)
    truth["schedule_si"] = sch["si"]
    params_out = {k: (list(v) if isinstance(v, tuple) else v) for k, v in p.__dict__.items()}
    params_out["stride_time_s"] = stride_t
    params_out["stride_length_m"] = stride_len
    return Motion(
        task="gait",
        subject=subj,
        pose=pose,
        params=params_out,
        truth=truth,
        reference="upright",
        heading=psi,
        seed=seed,
    )


def gait_truth(
    events: list[dict[str, Any]], strikes: list[dict[str, Any]], duration: float, p: GaitParams
) -> dict[str, Any]:
    """Gait ground truth from contact events: per-side temporal parameters and SI.

    Summary statistics use straight-walking gait cycles only (both bounding strikes and
    the events inside them on a straight pass; turn steps excluded).
    """
    # label events with the segment they belong to (by nearest scheduled strike time)
    st_t = np.array([s["t"] for s in strikes])
    seg_of_t = [s["segment"] for s in strikes]

    def segment_at(tt: float) -> str:
        i = int(np.searchsorted(st_t, tt, side="right") - 1)
        i = max(i, 0)
        return seg_of_t[i]

    evs = []
    for e in events:
        e = dict(e)
        e["segment"] = segment_at(e["time_s"] + 1e-6)
        evs.append(e)
    in_clip = [e for e in evs if 0.0 <= e["time_s"] <= duration]

    def straight(seg: str) -> bool:
        return seg.startswith("pass")

    # per-side cycles: strike -> off -> next strike (same side), require straight segments
    per: dict[str, dict[str, list[float]]] = {
        s: {"stance": [], "swing": [], "single": [], "step": [], "stride": []} for s in SIDES
    }
    strikes_ev = [e for e in evs if e["kind"] == "foot_strike"]
    offs = {
        s: np.array([e["time_s"] for e in evs if e["kind"] == "foot_off" and e["side"] == s])
        for s in SIDES
    }
    for i, e in enumerate(strikes_ev):
        if not (0.0 <= e["time_s"] <= duration) or not straight(e["segment"]):
            continue
        side = e["side"]
        other = "left" if side == "right" else "right"
        nxt_same = [x for x in strikes_ev[i + 1 :] if x["side"] == side]
        nxt_other = [x for x in strikes_ev[i + 1 :] if x["side"] == other]
        prev_other = [x for x in strikes_ev[:i] if x["side"] == other]
        if not nxt_same or not nxt_other or not prev_other:
            continue
        t_next = nxt_same[0]["time_s"]
        if (
            t_next > duration
            or not straight(nxt_same[0]["segment"])
            or not straight(nxt_other[0]["segment"])
        ):
            continue
        off_t = offs[side][(offs[side] > e["time_s"]) & (offs[side] < t_next)]
        off_o = offs[other][(offs[other] > e["time_s"]) & (offs[other] < nxt_other[0]["time_s"])]
        if len(off_t) != 1 or len(off_o) != 1:
            continue
        stance = off_t[0] - e["time_s"]
        per[side]["stance"].append(stance)
        per[side]["swing"].append(t_next - off_t[0])
        per[side]["stride"].append(t_next - e["time_s"])
        # single support of `side` = swing of the other limb inside this stance
        per[side]["single"].append(nxt_other[0]["time_s"] - off_o[0])
        # step time named after the landing foot: previous other strike -> this strike
        per[side]["step"].append(e["time_s"] - prev_other[-1]["time_s"])

    def mean(v: list[float]) -> float | None:
        return float(np.mean(v)) if v else None

    out: dict[str, Any] = {
        "events": [{k: e[k] for k in ("side", "kind", "time_s", "segment")} for e in in_clip]
    }
    summ: dict[str, Any] = {}
    for side in SIDES:
        summ[side] = {
            "n_cycles": len(per[side]["stance"]),
            "stance_time_s": mean(per[side]["stance"]),
            "swing_time_s": mean(per[side]["swing"]),
            "single_support_time_s": mean(per[side]["single"]),
            "step_time_s": mean(per[side]["step"]),
            "stride_time_s": mean(per[side]["stride"]),
        }
    out["per_side"] = summ
    st_r, st_l = summ["right"]["stance_time_s"], summ["left"]["stance_time_s"]
    if st_r and st_l:
        out["stance_time_si_pct"] = float((st_r - st_l) / (0.5 * (st_r + st_l)) * 100.0)
    else:
        out["stance_time_si_pct"] = None
    strides = [x for s in SIDES for x in per[s]["stride"]]
    out["cadence_steps_per_min"] = float(120.0 / np.mean(strides)) if strides else None
    # step lengths from placements (straight segments)
    lens: dict[str, list[float]] = {s: [] for s in SIDES}
    for a, b in itertools.pairwise(strikes):
        if straight(a["segment"]) and straight(b["segment"]) and a["segment"] == b["segment"]:
            f = heading_vec(b["psi_w"])
            lens[b["side"]].append(float(np.dot(b["heel"] - a["heel"], f)))
    for side in SIDES:
        summ[side]["step_length_m"] = mean(lens[side])
    out["walking_speed_m_s"] = p.speed_m_s
    return out
