"""Synthetic stick-figure PoseTracks for the exercise tests (helpers + their own checks).

Poses are built from joint angles in the plane the camera sees, with the lower foot on the
ground, and placed in a 1280x720 image at 300 px/m. Side view: x' forward, y' up (facing
image-right). Front view: x' toward the subject's left (= image-right, facing the camera).
"""

from __future__ import annotations

import numpy as np

from avnmotion.kinematics import Kinematics, all_angle_names, compute_kinematics
from avnmotion.track import LANDMARK_INDEX, N_LANDMARKS, PoseTrack

THIGH, SHANK, TRUNK, UPPER_ARM, FOREARM = 0.45, 0.45, 0.55, 0.30, 0.27
HIP_HALF, SHOULDER_HALF = 0.09, 0.18
FPS = 30.0
SIDES = ("left", "right")


def _rot(v: np.ndarray, deg: np.ndarray) -> np.ndarray:
    r = np.radians(deg)
    c, s = np.cos(r), np.sin(r)
    return np.stack([c * v[:, 0] - s * v[:, 1], s * v[:, 0] + c * v[:, 1]], axis=1)


def _arr(n: int, v) -> np.ndarray:
    return np.broadcast_to(np.asarray(v, dtype=float), (n,)).astype(float)


def _per_side(n: int, v) -> dict[str, np.ndarray]:
    if isinstance(v, dict):
        return {s: _arr(n, v.get(s, 0.0)) for s in SIDES}
    return {s: _arr(n, v) for s in SIDES}


def _ground(pts: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Shift every frame vertically so that the lowest foot point is at y = 0."""
    feet = np.stack([pts[f"{s}_{p}"][:, 1] for s in SIDES for p in ("ankle", "heel", "foot_index")])
    low = feet.min(axis=0)
    return {k: v - np.stack([np.zeros_like(low), low], axis=1) for k, v in pts.items()}


def side_points(
    n: int,
    *,
    hip=0.0,
    knee=0.0,
    trunk_lean=0.0,
    shoulder=0.0,
    elbow=0.0,
) -> dict[str, np.ndarray]:
    """Sagittal stick figure from angles (deg; dicts per side or scalars/arrays for both)."""
    hip, knee = _per_side(n, hip), _per_side(n, knee)
    shoulder, elbow = _per_side(n, shoulder), _per_side(n, elbow)
    lean = _arr(n, trunk_lean)
    mid_hip = np.zeros((n, 2))
    trunk_up = _rot(np.tile([[0.0, 1.0]], (n, 1)), -lean)
    mid_sh = mid_hip + TRUNK * trunk_up
    fwd = _rot(trunk_up, -90.0)
    pts = {
        "nose": mid_sh + 0.22 * trunk_up + 0.09 * fwd,
        "left_ear": mid_sh + 0.2 * trunk_up,
        "right_ear": mid_sh + 0.2 * trunk_up,
    }
    for s in SIDES:
        thigh = _rot(-trunk_up, hip[s])
        kn = mid_hip + THIGH * thigh
        shank = _rot(thigh, -knee[s])
        an = kn + SHANK * shank
        foot = _rot(shank, 90.0)
        pts[f"{s}_hip"] = mid_hip.copy()
        pts[f"{s}_knee"] = kn
        pts[f"{s}_ankle"] = an
        pts[f"{s}_heel"] = an - 0.06 * foot - 0.04 * shank
        pts[f"{s}_foot_index"] = an + 0.16 * foot
        upper = _rot(-trunk_up, shoulder[s])
        el = mid_sh + UPPER_ARM * upper
        pts[f"{s}_shoulder"] = mid_sh.copy()
        pts[f"{s}_elbow"] = el
        pts[f"{s}_wrist"] = el + FOREARM * _rot(upper, elbow[s])
    return _ground(pts)


def front_points(
    n: int,
    *,
    depth_knee=0.0,
    abduction=0.0,
    valgus_m=0.0,
    foot_lift_m=0.0,
    obliquity=0.0,
    trunk_lateral=0.0,
    shoulder_abd=0.0,
    elbow=0.0,
) -> dict[str, np.ndarray]:
    """Frontal stick figure. ``depth_knee``: knee flexion of a symmetric squat (not visible as
    an angle: shortens the projected thigh and shank); ``valgus_m``: knee moved medially;
    ``foot_lift_m``: foot raised (knee bent backwards, projected shank shorter)."""
    depth = _arr(n, depth_knee)
    abd, valg = _per_side(n, abduction), _per_side(n, valgus_m)
    lift = _per_side(n, foot_lift_m)
    sh_abd, elb = _per_side(n, shoulder_abd), _per_side(n, elbow)
    mid_hip = np.zeros((n, 2))
    hip_left = _rot(np.tile([[1.0, 0.0]], (n, 1)), _arr(n, obliquity))
    trunk_up = _rot(np.tile([[0.0, 1.0]], (n, 1)), _arr(n, trunk_lateral))
    mid_sh = mid_hip + TRUNK * trunk_up
    sh_left = _rot(trunk_up, -90.0)
    pelvis_down = _rot(hip_left, -90.0)
    cos_half = np.cos(np.radians(depth / 2))
    pts = {
        "nose": mid_sh + 0.22 * trunk_up,
        "left_ear": mid_sh + 0.2 * trunk_up + 0.07 * sh_left,
        "right_ear": mid_sh + 0.2 * trunk_up - 0.07 * sh_left,
    }
    for s, sgn in (("left", 1.0), ("right", -1.0)):
        hp = mid_hip + sgn * HIP_HALF * hip_left
        thigh_dir = _rot(pelvis_down, sgn * abd[s])
        kn = hp + THIGH * cos_half[:, None] * thigh_dir
        kn = kn - np.stack([sgn * valg[s], np.zeros(n)], axis=1)
        an = hp + (THIGH + SHANK) * cos_half[:, None] * thigh_dir
        an = an + np.stack([np.zeros(n), lift[s]], axis=1)
        pts[f"{s}_hip"] = hp
        pts[f"{s}_knee"] = kn
        pts[f"{s}_ankle"] = an
        pts[f"{s}_heel"] = an + [[0.0, -0.05]]
        pts[f"{s}_foot_index"] = an + [[sgn * 0.02, -0.07]]
        sh = mid_sh + sgn * SHOULDER_HALF * sh_left
        upper = _rot(-trunk_up, sgn * sh_abd[s])
        el = sh + UPPER_ARM * upper
        pts[f"{s}_shoulder"] = sh
        pts[f"{s}_elbow"] = el
        pts[f"{s}_wrist"] = el + FOREARM * _rot(upper, sgn * elb[s])
    return _ground(pts)


def to_track(
    pts: dict[str, np.ndarray],
    *,
    fps: float = FPS,
    noise_px: float = 0.0,
    seed: int = 0,
    dropouts: list[tuple[int, int]] | None = None,
    x_sign: float = 1.0,
) -> PoseTrack:
    """Image track (1280x720, 300 px/m, ground at 95% of the height)."""
    n = next(iter(pts.values())).shape[0]
    w, h, scale = 1280, 720, 300.0
    rng = np.random.default_rng(seed)
    xyz = np.full((n, N_LANDMARKS, 3), np.nan, dtype=np.float32)
    vis = np.zeros((n, N_LANDMARKS), dtype=np.float32)
    for name, p in pts.items():
        i = LANDMARK_INDEX[name]
        px = w / 2 + x_sign * p[:, 0] * scale + rng.normal(0, noise_px, n)
        py = h * 0.95 - p[:, 1] * scale + rng.normal(0, noise_px, n)
        xyz[:, i, 0] = px / w
        xyz[:, i, 1] = py / h
        xyz[:, i, 2] = 0.0
        vis[:, i] = 0.99
    for a, b in dropouts or []:
        xyz[a:b] = np.nan
        vis[a:b] = 0.0
    return PoseTrack(
        timestamps_s=np.arange(n) / fps,
        image_xyz=xyz,
        world_xyz=None,
        visibility=vis,
        presence=vis.copy(),
        frame_size_px=(w, h),
        source={"kind": "synthetic", "fps": fps},
    )


def blank_track(n: int, fps: float = FPS) -> PoseTrack:
    """A track with no landmarks (for tests driven by a synthetic Kinematics)."""
    return PoseTrack(
        timestamps_s=np.arange(n) / fps,
        image_xyz=np.full((n, N_LANDMARKS, 3), np.nan, dtype=np.float32),
        world_xyz=None,
        visibility=np.zeros((n, N_LANDMARKS), dtype=np.float32),
        presence=np.zeros((n, N_LANDMARKS), dtype=np.float32),
        frame_size_px=(1280, 720),
    )


def make_kin(n: int, view: str = "side", fps: float = FPS, **angles: np.ndarray) -> Kinematics:
    """A Kinematics with given angles (full names) and NaN elsewhere; the other plane is
    marked unavailable as compute_kinematics does."""
    sagittal = {"hip_flexion_deg", "thigh_inclination_deg", "knee_flexion_deg"}
    sagittal |= {"ankle_dorsiflexion_deg", "shoulder_flexion_deg", "trunk_forward_lean_deg"}
    out, unavailable = {}, {}
    for name in all_angle_names():
        base = name.split("_", 1)[1] if name.startswith(SIDES) else name
        out[name] = np.asarray(angles.get(name, np.full(n, np.nan)), dtype=float)
        is_sag = base in sagittal
        if base == "elbow_flexion_deg":
            continue
        if (view == "side") != is_sag:
            needs = "side" if is_sag else "front"
            unavailable[name] = f"needs a {needs} view; this clip is filmed from the {view}"
    for s in SIDES:
        name = f"{s}_hip_internal_rotation_deg"
        if name not in angles:
            unavailable[name] = "hip rotation is only measured in the seated rotation test"
    return Kinematics(
        timestamps_s=np.arange(n) / fps,
        view=view,  # type: ignore[arg-type]
        view_confidence=1.0,
        angles_deg=out,
        unavailable=unavailable,
    )


def cosine_reps(
    amplitudes,
    *,
    up_s=1.5,
    top_s=0.5,
    down_s=1.5,
    rest_s=1.0,
    base=0.0,
    fps: float = FPS,
    lead_s=1.0,
    tail_s=1.5,
) -> tuple[np.ndarray, list[tuple[float, float]]]:
    """Rest - raised-cosine up - hold - down reps; returns the signal and true (start, end)."""
    n_amp = len(amplitudes)
    ups, tops, downs, rests = (
        np.broadcast_to(np.asarray(v, dtype=float), (n_amp,)) for v in (up_s, top_s, down_s, rest_s)
    )
    parts = [np.full(round(lead_s * fps), 0.0)]
    truth = []
    t = len(parts[0]) / fps
    for a, u, tp, d, r in zip(amplitudes, ups, tops, downs, rests, strict=True):
        tu = np.arange(round(u * fps)) / fps
        td = np.arange(round(d * fps)) / fps
        seg = np.concatenate(
            [
                a * (1 - np.cos(np.pi * tu / u)) / 2,
                np.full(round(tp * fps), a),
                a * (1 + np.cos(np.pi * td / d)) / 2,
            ]
        )
        truth.append((t, t + len(seg) / fps))
        rest = np.zeros(round(r * fps))
        parts += [seg, rest]
        t += (len(seg) + len(rest)) / fps
    parts.append(np.zeros(round(tail_s * fps)))
    return base + np.concatenate(parts), truth


# -- checks of the helpers themselves -------------------------------------------------------
def test_side_points_give_the_angles_back():
    n = 60
    hip = np.linspace(0, 80, n)
    knee = np.linspace(0, 100, n)
    tr = to_track(side_points(n, hip={"left": hip, "right": 0.0}, knee={"left": knee}))
    kin = compute_kinematics(tr)
    assert kin.view == "side"
    np.testing.assert_allclose(kin.angle("left_hip_flexion_deg"), hip, atol=0.2)
    np.testing.assert_allclose(kin.angle("left_knee_flexion_deg"), knee, atol=0.2)
    np.testing.assert_allclose(kin.angle("right_knee_flexion_deg"), 0.0, atol=0.2)


def test_front_points_give_the_angles_back():
    n = 40
    abd = np.linspace(0, 30, n)
    tr = to_track(front_points(n, abduction={"left": abd}, obliquity=np.linspace(0, 5, n)))
    kin = compute_kinematics(tr)
    assert kin.view == "front"
    np.testing.assert_allclose(kin.angle("left_hip_abduction_deg"), abd, atol=0.3)
    np.testing.assert_allclose(kin.angle("pelvic_obliquity_deg"), np.linspace(0, 5, n), atol=0.3)


def test_cosine_reps_truth():
    x, truth = cosine_reps([10, 20], up_s=1.0, top_s=0.0, down_s=1.0, rest_s=1.0)
    assert len(truth) == 2
    assert x.max() == 20
    assert truth[1][0] - truth[0][1] == 1.0
