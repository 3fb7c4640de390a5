"""Check a rendered clip against its answer key with MediaPipe landmarks (dev tool).

The 2D side-view angles are computed from MediaPipe image landmarks with the same
definitions as the key (:mod:`avnmotion.synth.angles`): hip flexion = angle between the
trunk line (mid-shoulder -> mid-hip) and the thigh (hip -> knee), knee flexion = angle
between thigh and shank, image x mirrored so that the subject's facing direction is +x.
MediaPipe may swap the legs when they cross, so RMSEs are reported both as labelled and
as "best of swapped / unswapped" per frame.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from avnmotion.synth.motion import SIDES, Motion

FloatArray = NDArray[np.float64]


def _ang2d(ref: FloatArray, v: FloatArray, facing: FloatArray) -> FloatArray:
    """Signed 2D angle ref -> v in image pixels (y down), mirrored so facing is +x."""
    ax, ay = ref[:, 0] * facing, -ref[:, 1]
    bx, by = v[:, 0] * facing, -v[:, 1]
    return np.degrees(np.arctan2(ax * by - ay * bx, ax * bx + ay * by))


def landmark_sagittal_angles(
    image_xyz: FloatArray, frame_size: tuple[int, int], facing: FloatArray, *, swap: bool = False
) -> dict[str, FloatArray]:
    """Hip / knee flexion per side from MediaPipe normalised image landmarks (T,33,3)."""
    from avnmotion.track import LANDMARK_NAMES

    ix = {n: i for i, n in enumerate(LANDMARK_NAMES)}
    w, h = frame_size

    def pt(name: str) -> FloatArray:
        a = image_xyz[:, ix[name], :2].astype(np.float64).copy()
        a[:, 0] *= w
        a[:, 1] *= h
        return a

    sh = 0.5 * (pt("left_shoulder") + pt("right_shoulder"))
    hp = 0.5 * (pt("left_hip") + pt("right_hip"))
    out = {}
    for side in SIDES:
        src = ("right" if side == "left" else "left") if swap else side
        hip, knee, ankle = pt(f"{src}_hip"), pt(f"{src}_knee"), pt(f"{src}_ankle")
        out[f"{side}_hip_flexion_deg"] = _ang2d(hp - sh, knee - hip, facing)
        out[f"{side}_knee_flexion_deg"] = -_ang2d(knee - hip, ankle - knee, facing)
    return out


def facing_sign(motion: Motion, camera: Any, fps: int, n: int) -> FloatArray:
    """+1 where the subject faces image-right, -1 where image-left (from the simulation)."""
    pose = motion.at_fps(fps)
    pel = pose.joints["pelvis"][:n]
    fwd = pel + 0.3 * pose.basis[:n, :, 0]
    d = camera.project(fwd) - camera.project(pel)
    return np.where(d[:, 0] >= 0, 1.0, -1.0)


def compare_side_view(
    image_xyz: FloatArray,
    key: dict[str, Any],
    motion: Motion,
    camera: Any,
    *,
    straight_only: bool = True,
) -> dict[str, Any]:
    """Detection rate and hip / knee flexion RMSE (deg) of MediaPipe vs the key.

    ``straight_only`` restricts the angle comparison to frames where the walker is on a
    straight pass (a 2D side-view angle is meaningless mid-turn).
    """
    fps = int(key["fps"])
    n = min(int(key["n_frames"]), image_xyz.shape[0])
    img = image_xyz[:n]
    w, h = key["frame_size_px"]
    facing = facing_sign(motion, camera, fps, n)
    det = ~np.isnan(img[:, 23, 0]) & ~np.isnan(img[:, 25, 0])
    mask = det.copy()
    if straight_only and motion.heading is not None:
        psi = motion.heading[motion.frame_indices(fps)][:n]
        mask &= np.abs(np.sin(psi)) < np.sin(np.deg2rad(5.0))
    a0 = landmark_sagittal_angles(img, (w, h), facing)
    a1 = landmark_sagittal_angles(img, (w, h), facing, swap=True)
    truth = {k: np.asarray(v[:n], float) for k, v in key["angles_deg"].items()}
    out: dict[str, Any] = {
        "n_frames": n,
        "detected_fraction": float(det.mean()),
        "n_compared": int(mask.sum()),
    }
    # near side: the side facing the camera (right when facing image-right for a +z camera)
    for joint in ("hip_flexion_deg", "knee_flexion_deg"):
        e0 = {s: a0[f"{s}_{joint}"] - truth[f"{s}_{joint}"] for s in SIDES}
        e1 = {s: a1[f"{s}_{joint}"] - truth[f"{s}_{joint}"] for s in SIDES}
        tot0 = e0["left"] ** 2 + e0["right"] ** 2
        tot1 = e1["left"] ** 2 + e1["right"] ** 2
        use1 = tot1 < tot0
        for s in SIDES:
            best = np.where(use1, e1[s], e0[s])
            out[f"{s}_{joint}_rmse"] = float(np.sqrt(np.mean(e0[s][mask] ** 2)))
            out[f"{s}_{joint}_rmse_best_of_swap"] = float(np.sqrt(np.mean(best[mask] ** 2)))
        both = np.concatenate([e0[s][mask] for s in SIDES])
        both_b = np.concatenate([np.where(use1, e1[s], e0[s])[mask] for s in SIDES])
        out[f"{joint}_rmse_both"] = float(np.sqrt(np.mean(both**2)))
        out[f"{joint}_rmse_both_best_of_swap"] = float(np.sqrt(np.mean(both_b**2)))
        out["swapped_fraction"] = float(np.mean(use1[mask]))
    # near-side RMSE (camera on +z sees the right side when facing image-right)
    near = np.where(facing > 0, 1.0, 0.0)[mask]
    for joint in ("hip_flexion_deg", "knee_flexion_deg"):
        er = (a0[f"right_{joint}"] - truth[f"right_{joint}"])[mask]
        el = (a0[f"left_{joint}"] - truth[f"left_{joint}"])[mask]
        e_near = np.where(near > 0, er, el)
        e_far = np.where(near > 0, el, er)
        out[f"near_{joint}_rmse"] = float(np.sqrt(np.mean(e_near**2)))
        out[f"far_{joint}_rmse"] = float(np.sqrt(np.mean(e_far**2)))
        # best of swapped / unswapped per frame (both legs swapped together)
        sr = (a1[f"right_{joint}"] - truth[f"right_{joint}"])[mask]
        sl = (a1[f"left_{joint}"] - truth[f"left_{joint}"])[mask]
        use1 = (sr**2 + sl**2) < (er**2 + el**2)
        bn = np.where(use1, np.where(near > 0, sr, sl), e_near)
        bf = np.where(use1, np.where(near > 0, sl, sr), e_far)
        out[f"near_{joint}_rmse_best_of_swap"] = float(np.sqrt(np.mean(bn**2)))
        out[f"far_{joint}_rmse_best_of_swap"] = float(np.sqrt(np.mean(bf**2)))
    return out


def compare_pipeline_side_view(
    track: Any,
    key: dict[str, Any],
    motion: Motion,
    camera: Any,
) -> dict[str, Any]:
    """Hip / knee flexion RMSE (deg) of the analysis' own angles vs the key, side view.

    The angles are what a user gets: :func:`avnmotion.pipeline.condition_track` (swap
    repair, gating, gap fill, zero-phase low-pass) then
    :func:`avnmotion.kinematics.compute_kinematics` in the side view, no oracle labels.
    Straight-walking frames only; ``near`` is the leg facing the camera, ``far`` the one
    behind it (mostly hidden, reported for completeness). Bias = mean(estimate - truth).
    """
    from avnmotion.kinematics import compute_kinematics
    from avnmotion.pipeline import condition_track

    fps = int(key["fps"])
    n = min(int(key["n_frames"]), track.n_frames)
    facing = facing_sign(motion, camera, fps, n)
    mask = np.ones(n, dtype=bool)
    if motion.heading is not None:
        psi = motion.heading[motion.frame_indices(fps)][:n]
        mask &= np.abs(np.sin(psi)) < np.sin(np.deg2rad(5.0))
    kin = compute_kinematics(condition_track(track).filtered, view="side")
    near_right = facing > 0
    out: dict[str, Any] = {"n_compared": int(mask.sum())}
    for joint in ("hip_flexion_deg", "knee_flexion_deg"):
        est = {s: kin.angles_deg[f"{s}_{joint}"][:n] for s in SIDES}
        tru = {s: np.asarray(key["angles_deg"][f"{s}_{joint}"][:n], float) for s in SIDES}
        for which, right in (("near", near_right), ("far", ~near_right)):
            e = np.where(right, est["right"] - tru["right"], est["left"] - tru["left"])[mask]
            ok = np.isfinite(e)
            out[f"{which}_{joint}_rmse"] = float(np.sqrt(np.mean(e[ok] ** 2)))
            out[f"{which}_{joint}_bias"] = float(np.mean(e[ok]))
            out[f"{which}_{joint}_n"] = int(ok.sum())
    return out


#: Side-view angles compared with the answer keys by :func:`angle_rmse`.
SAGITTAL_KEY_ANGLES: tuple[str, ...] = (
    "left_hip_flexion_deg",
    "right_hip_flexion_deg",
    "left_knee_flexion_deg",
    "right_knee_flexion_deg",
)


@dataclass(frozen=True)
class AngleError:
    """Error of one angle of one clip against the key (deg; error = measured - true).

    ``rmse``/``bias`` are over every frame where both values exist; ``min_error`` and
    ``max_error`` compare the clip's extremes (measured min - true min, measured max - true
    max), the values a range of movement reports.
    """

    rmse: float
    bias: float
    n_frames: int
    min_error: float
    max_error: float
    true_range: float


def angle_errors(
    track: Any, key: dict[str, Any], names: tuple[str, ...] | None = None
) -> dict[str, AngleError]:
    """Every angle the key and the analysis both hold, against the key, over the whole clip.

    The angles are what a user gets (:func:`avnmotion.pipeline.condition_track`, then
    :func:`avnmotion.kinematics.compute_kinematics`, with the seated rotation test for a
    ``rom_hip_rotation`` key); names the key lacks or the view cannot show are left out, as
    are angles compared on 10 frames or fewer. ``names`` limits the comparison.
    """
    from avnmotion.kinematics import compute_kinematics
    from avnmotion.pipeline import condition_track

    seated = key.get("task") == "rom_hip_rotation"
    kin = compute_kinematics(condition_track(track).filtered, seated_rotation_test=seated)
    truths = key.get("angles_deg", {})
    out = {}
    for name in names if names is not None else tuple(truths):
        truth = truths.get(name)
        if truth is None or name in kin.unavailable or name not in kin.angles_deg:
            continue
        est = kin.angle(name)
        truth_a = np.asarray(truth, dtype=float)
        n = min(len(truth_a), len(est))
        e_, t_ = est[:n], truth_a[:n]
        ok = np.isfinite(e_) & np.isfinite(t_)
        if ok.sum() <= 10:
            continue
        err = e_[ok] - t_[ok]
        out[name] = AngleError(
            rmse=float(np.sqrt(np.mean(err**2))),
            bias=float(np.mean(err)),
            n_frames=int(ok.sum()),
            min_error=float(np.min(e_[ok]) - np.min(t_[ok])),
            max_error=float(np.max(e_[ok]) - np.max(t_[ok])),
            true_range=float(np.ptp(t_[ok])),
        )
    return out


def angle_rmse(track: Any, key: dict[str, Any], names: tuple[str, ...]) -> dict[str, float]:
    """RMSE (deg) of the analysis' own angles against the key (see :func:`angle_errors`)."""
    return {name: e.rmse for name, e in angle_errors(track, key, names).items()}


#: Answer-key ``test_result`` measure -> (field of the analysis' per-side ROM result).
_ROM_FIELDS = {
    "hip_flexion_deg": "peak_deg",
    "hip_abduction_deg": "peak_deg",
    "internal_rotation_deg": "internal_rotation_deg",
    "external_rotation_deg": "external_rotation_deg",
}


def compare_test_result(
    measured: dict[str, Any] | None, truth: dict[str, Any] | None
) -> dict[str, tuple[float | None, float, str]]:
    """Pair a function or ROM test's measured values with the answer key's ``test_result``.

    Returns ``{measure: (measured, truth, unit)}``: ``duration_s`` (5x sit-to-stand, or the
    single-leg stance on the key's stance side), ``stand_count`` (30 s chair stand) and, for
    ROM tests, every ``<side>_<angle>`` of the key. A value the analysis did not produce is
    ``None``. Keys without a ``test_result`` give ``{}``.
    """
    if not truth:
        return {}
    m = measured or {}
    sides = m.get("sides") or {}
    out: dict[str, tuple[float | None, float, str]] = {}
    if "stance_side" in truth:
        got = (sides.get(truth["stance_side"]) or {}).get("longest_s")
        out["duration_s"] = (got, float(truth["duration_s"]), "s")
    elif "stand_count" in truth and "window_s" in truth:
        out["stand_count"] = (m.get("value"), float(truth["stand_count"]), "count")
    elif "duration_s" in truth:
        out["duration_s"] = (m.get("value"), float(truth["duration_s"]), "s")
    else:
        for measure, true_deg in truth.items():
            side, rest = measure.split("_", 1)
            field = _ROM_FIELDS.get(rest)
            if field is not None:
                out[measure] = ((sides.get(side) or {}).get(field), float(true_deg), "deg")
    return out
