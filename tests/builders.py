"""Synthetic pose tracks with known joint angles (test helpers).

A planar skeleton is posed from joint angles in the sagittal plane (x' forward, y' up) or the
frontal plane (x' subject's left, y' up) and placed in an image, so that the true angles of
``avnmotion.kinematics`` are known exactly.
"""

from __future__ import annotations

import numpy as np

from avnmotion.track import LANDMARK_INDEX, N_LANDMARKS, PoseTrack

THIGH_M, SHANK_M, TRUNK_M, UPPER_ARM_M, FOREARM_M = 0.45, 0.45, 0.55, 0.3, 0.27
HIP_HALF_WIDTH_M, SHOULDER_HALF_WIDTH_M = 0.09, 0.18


def _rot(v: np.ndarray, deg: np.ndarray) -> np.ndarray:
    """Rotate 2-D vectors (n, 2) counter-clockwise by ``deg`` (n,)."""
    r = np.radians(deg)
    c, s = np.cos(r), np.sin(r)
    return np.stack([c * v[:, 0] - s * v[:, 1], s * v[:, 0] + c * v[:, 1]], axis=1)


def _full(n: int, value: float | np.ndarray) -> np.ndarray:
    return np.broadcast_to(np.asarray(value, dtype=float), (n,)).astype(float)


def sagittal_points(
    n: int,
    hip_flexion: dict[str, np.ndarray | float],
    knee_flexion: dict[str, np.ndarray | float],
    dorsiflexion: dict[str, np.ndarray | float] | None = None,
    trunk_lean: np.ndarray | float = 0.0,
    pelvis_x: np.ndarray | float = 0.0,
) -> dict[str, np.ndarray]:
    """2-D sagittal landmark positions (metres, x' forward, y' up) from joint angles."""
    dorsiflexion = dorsiflexion or {"left": 0.0, "right": 0.0}
    lean = _full(n, trunk_lean)
    hip = np.stack([_full(n, pelvis_x), np.full(n, 0.95)], axis=1)
    trunk_up = _rot(np.tile([[0.0, 1.0]], (n, 1)), -lean)
    shoulder = hip + TRUNK_M * trunk_up
    pts: dict[str, np.ndarray] = {"nose": shoulder + 0.2 * trunk_up + [[0.08, 0.0]]}
    pts["left_ear"] = pts["right_ear"] = shoulder + 0.2 * trunk_up
    for side in ("left", "right"):
        thigh_dir = _rot(-trunk_up, _full(n, hip_flexion[side]))
        knee = hip + THIGH_M * thigh_dir
        shank_dir = _rot(thigh_dir, -_full(n, knee_flexion[side]))
        ankle = knee + SHANK_M * shank_dir
        foot_dir = _rot(shank_dir, 90.0 + _full(n, dorsiflexion[side]))
        pts[f"{side}_hip"] = hip.copy()
        pts[f"{side}_knee"] = knee
        pts[f"{side}_ankle"] = ankle
        pts[f"{side}_heel"] = ankle - 0.05 * foot_dir
        pts[f"{side}_foot_index"] = ankle + 0.15 * foot_dir
        pts[f"{side}_shoulder"] = shoulder.copy()
        pts[f"{side}_elbow"] = shoulder - UPPER_ARM_M * trunk_up
        pts[f"{side}_wrist"] = pts[f"{side}_elbow"] - FOREARM_M * trunk_up
    return pts


def frontal_points(
    n: int,
    hip_abduction: dict[str, np.ndarray | float],
    pelvic_obliquity: np.ndarray | float = 0.0,
    trunk_lateral_lean: np.ndarray | float = 0.0,
    shoulder_abduction: dict[str, np.ndarray | float] | None = None,
) -> dict[str, np.ndarray]:
    """2-D frontal landmark positions (metres, x' subject's left, y' up) from angles."""
    shoulder_abduction = shoulder_abduction or {"left": 0.0, "right": 0.0}
    mid_hip = np.tile([[0.0, 0.95]], (n, 1))
    hip_left_dir = _rot(np.tile([[1.0, 0.0]], (n, 1)), _full(n, pelvic_obliquity))
    # + lean toward the subject's right (-x'): counter-clockwise from vertical.
    trunk_up = _rot(np.tile([[0.0, 1.0]], (n, 1)), _full(n, trunk_lateral_lean))
    mid_sh = mid_hip + TRUNK_M * trunk_up
    sh_left_dir = _rot(trunk_up, -90.0)
    pelvis_down = _rot(hip_left_dir, -90.0)
    pts: dict[str, np.ndarray] = {"nose": mid_sh + 0.2 * trunk_up}
    pts["left_ear"] = mid_sh + 0.2 * trunk_up + 0.07 * sh_left_dir
    pts["right_ear"] = mid_sh + 0.2 * trunk_up - 0.07 * sh_left_dir
    for side, sgn in (("left", 1.0), ("right", -1.0)):
        hip = mid_hip + sgn * HIP_HALF_WIDTH_M * hip_left_dir
        # Abduction rotates the thigh from pelvis-down toward lateral.
        thigh_dir = _rot(pelvis_down, sgn * _full(n, hip_abduction[side]))
        knee = hip + THIGH_M * thigh_dir
        ankle = knee + SHANK_M * thigh_dir
        pts[f"{side}_hip"] = hip
        pts[f"{side}_knee"] = knee
        pts[f"{side}_ankle"] = ankle
        pts[f"{side}_heel"] = ankle + [[0.0, -0.05]]
        pts[f"{side}_foot_index"] = ankle + [[0.0, -0.07]]
        shoulder = mid_sh + sgn * SHOULDER_HALF_WIDTH_M * sh_left_dir
        arm_dir = _rot(-trunk_up, sgn * _full(n, shoulder_abduction[side]))
        pts[f"{side}_shoulder"] = shoulder
        pts[f"{side}_elbow"] = shoulder + UPPER_ARM_M * arm_dir
        pts[f"{side}_wrist"] = pts[f"{side}_elbow"] + FOREARM_M * arm_dir
    return pts


def to_image_track(
    pts: dict[str, np.ndarray],
    *,
    x_sign: np.ndarray | float = 1.0,
    fps: float = 30.0,
    frame_size_px: tuple[int, int] = (1280, 720),
    scale_px_per_m: float = 300.0,
    near_side: str | None = "auto",
) -> PoseTrack:
    """Place 2-D plane points in an image (x_px = cx + x_sign * x' * scale, y down).

    ``x_sign`` is the facing sign for a side view or the "left at image-right" sign for a
    front view. Depth z makes the right side nearer when facing image-right (side views).
    """
    n = next(iter(pts.values())).shape[0]
    w, h = frame_size_px
    sign = _full(n, x_sign)
    xyz = np.full((n, N_LANDMARKS, 3), np.nan, dtype=np.float32)
    vis = np.zeros((n, N_LANDMARKS), dtype=np.float32)
    for name, p in pts.items():
        i = LANDMARK_INDEX[name]
        xyz[:, i, 0] = (w / 2 + sign * p[:, 0] * scale_px_per_m) / w
        xyz[:, i, 1] = (h * 0.95 - p[:, 1] * scale_px_per_m) / h
        z = 0.0
        if near_side == "auto" and name.startswith(("left_", "right_")):
            # Facing image-right, the right side is nearer (smaller z).
            z = np.where(name.startswith("left_"), 0.1, -0.1) * sign
        xyz[:, i, 2] = z
        vis[:, i] = 0.99
    return PoseTrack(
        timestamps_s=np.arange(n) / fps,
        image_xyz=xyz,
        world_xyz=None,
        visibility=vis,
        presence=vis.copy(),
        frame_size_px=frame_size_px,
        source={"kind": "synthetic", "fps": fps},
    )


def walking_angles(
    n: int, fps: float = 30.0, cadence_hz: float = 0.9
) -> dict[str, dict[str, np.ndarray]]:
    """Gait-like hip and knee angle curves per side (right half a cycle after left)."""
    t = np.arange(n) / fps
    out: dict[str, dict[str, np.ndarray]] = {"hip": {}, "knee": {}}
    for side, phase in (("left", 0.0), ("right", np.pi)):
        ph = 2 * np.pi * cadence_hz * t + phase
        out["hip"][side] = 10 + 22 * np.sin(ph)
        out["knee"][side] = 30 + 30 * np.sin(ph + 1.2)
    return out
