"""Joint angles from a pose track, vectorised over all frames.

Conventions (all angles in degrees; 0 = upright neutral stance; flexion positive)
---------------------------------------------------------------------------------
Angles are computed in two anatomical planes from 2-D point sets:

* **sagittal** (side view, or a 3-D track projected on the plane of vertical and walking /
  facing direction) with x' pointing where the subject faces and y' up;
* **frontal** (front or back view, or a 3-D track projected on the plane of vertical and the
  pelvis' left-right axis) with x' pointing to the subject's left and y' up.

For a video, x' is the image x multiplied by the per-frame facing sign (side view) or by the
sign that puts the subject's left at +x' (front view), and y' is minus image y, in pixels so
that the frame's aspect ratio does not bend angles.

=========================  ======  ==========================================================
name                       plane   definition
=========================  ======  ==========================================================
hip_flexion_deg            sag     angle from the trunk line (mid-shoulder -> mid-hip) to the
                                   thigh (hip -> knee); + when the knee is anterior. Not
                                   pelvis-referenced: it differs from motion-capture hip
                                   flexion by pelvic tilt (about 10 deg in gait).
thigh_inclination_deg      sag     thigh vs vertical-down; + anterior
knee_flexion_deg           sag     angle from thigh to shank (knee -> ankle); + flexion
ankle_dorsiflexion_deg     sag     angle from shank to foot (heel -> foot index) minus 90;
                                   + dorsiflexion
shoulder_flexion_deg       sag     angle from the trunk line to the upper arm; + anterior
trunk_forward_lean_deg     sag     mid-hip -> mid-shoulder vs vertical; + forward
elbow_flexion_deg          both    180 - angle at the elbow in the image plane (0 = straight)
hip_abduction_deg          front   angle from the downward perpendicular to the hip-hip line
                                   to the thigh; + lateral (pelvis-referenced)
leg_abduction_deg          front   angle from the trunk line (mid-shoulder -> mid-hip) to the
                                   hip -> ankle line; + lateral. Hip abduction for a straight
                                   knee, measured on longer levers (see below)
knee_valgus_deg            front   angle between thigh and shank; + when the knee lies medial
                                   to the hip-ankle line
shoulder_abduction_deg     front   angle from the trunk line to the upper arm; + lateral
hip_internal_rotation_deg  front   seated test only (hips and knees at 90 deg): shank vs
                                   vertical, knee at its 10 s moving median (the thigh is
                                   still); + when the foot moves laterally (internal
                                   rotation)
pelvic_obliquity_deg       front   right-hip -> left-hip line vs horizontal; + when the left
                                   hip is higher (pelvis lower on the right)
trunk_lateral_lean_deg     front   mid-hip -> mid-shoulder vs vertical; + toward the
                                   subject's right
=========================  ======  ==========================================================

``leg_abduction_deg`` exists for the standing abduction ROM test (knee straight). MediaPipe's
hip-hip line is an 18 cm lever: on the rendered ROM test it tilted -7 to +11 deg while the
pelvis tilted +-4, and the thigh (hip -> knee) read 4-5 deg low, so the pelvis-referenced angle
read 7-12 deg low. The hip -> ankle line (twice the thigh's length) and the trunk line
(about 0.5 m) read within 1.7 deg of the key's pelvis-referenced peak on three subjects. It
differs from pelvis-referenced abduction by the knee's frontal bend and by lateral pelvic tilt
relative to the trunk (lumbar side bending, about 1 deg in the rendered hip hike).

MediaPipe's own 3-D world landmarks gave hip angle errors of 15-80 deg on rendered clips while
image-plane angles in the matching view were within about 5 deg, so video angles always come
from image coordinates in the plane the camera sees; an angle of the other plane is reported
unavailable with a reason rather than as a number.

References
----------
Wu, G. et al. (2002). ISB recommendation on definitions of joint coordinate systems, part I.
J Biomech 35, 543-548. (Sign conventions: flexion, abduction, internal rotation positive.)
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from avnmotion.accuracy import angle_uncertainty_table
from avnmotion.track import LANDMARK_INDEX, PoseTrack

FloatArray = NDArray[np.float64]
Points2D = dict[str, FloatArray]  # landmark name -> (n_time, 2) in x', y'
Plane = Literal["sagittal", "frontal"]
ViewName = Literal["side", "front", "oblique", "unknown", "3d"]

SIDES: tuple[str, str] = ("left", "right")

#: Per-side angle names and their plane; the name in results is f"{side}_{name}".
PER_SIDE_ANGLES: dict[str, Plane | Literal["both"]] = {
    "hip_flexion_deg": "sagittal",
    "thigh_inclination_deg": "sagittal",
    "knee_flexion_deg": "sagittal",
    "ankle_dorsiflexion_deg": "sagittal",
    "shoulder_flexion_deg": "sagittal",
    "elbow_flexion_deg": "both",
    "hip_abduction_deg": "frontal",
    "leg_abduction_deg": "frontal",
    "knee_valgus_deg": "frontal",
    "shoulder_abduction_deg": "frontal",
    "hip_internal_rotation_deg": "frontal",
}
#: Whole-body angle names and their plane.
AXIAL_ANGLES: dict[str, Plane] = {
    "trunk_forward_lean_deg": "sagittal",
    "pelvic_obliquity_deg": "frontal",
    "trunk_lateral_lean_deg": "frontal",
}

Posture = Literal["upright", "lying"]
#: Median |trunk forward lean| (side view) above which a clip is filmed lying down.
LYING_TRUNK_LEAN_DEG = 60.0


#: Stated uncertainty (deg) of video angles per posture: the larger of the frame RMSE and the
#: RMSE of the clip extremes against the rendered answer keys, measured over the sample clips
#: in the matching view by ``benchmarks/angle_error.py`` (``avnmotion/data/angle_error.json``;
#: see :mod:`avnmotion.accuracy`). Angles not measured in a posture get the largest value
#: measured there. A lower bound for real people and cameras.
UNCERTAINTY_BY_POSTURE_DEG: dict[str, dict[str, float]] = {
    p: angle_uncertainty_table((*PER_SIDE_ANGLES, *AXIAL_ANGLES), p) for p in ("upright", "lying")
}
#: The upright table (standing, sitting, walking), the default.
UNCERTAINTY_DEG: dict[str, float] = UNCERTAINTY_BY_POSTURE_DEG["upright"]


def posture_of(kin: Kinematics) -> Posture:
    """``lying`` when a side view shows the trunk near horizontal for most of the clip."""
    if kin.view != "side" or "trunk_forward_lean_deg" in kin.unavailable:
        return "upright"
    lean = np.abs(kin.angles_deg["trunk_forward_lean_deg"])
    if not np.any(np.isfinite(lean)):
        return "upright"
    return "lying" if float(np.nanmedian(lean)) > LYING_TRUNK_LEAN_DEG else "upright"


def uncertainty_deg(base: str, posture: Posture = "upright") -> float | None:
    """Stated uncertainty (deg) of a base angle in a posture (None when none is known)."""
    return UNCERTAINTY_BY_POSTURE_DEG.get(posture, {}).get(base)


def all_angle_names() -> list[str]:
    """Every angle name the kinematics can produce (per side names expanded)."""
    return [f"{s}_{n}" for n in PER_SIDE_ANGLES for s in SIDES] + list(AXIAL_ANGLES)


def base_angle_name(name: str) -> str:
    """``left_hip_flexion_deg`` -> ``hip_flexion_deg``."""
    for s in SIDES:
        if name.startswith(s + "_"):
            return name[len(s) + 1 :]
    return name


# -- 2-D vector helpers ---------------------------------------------------------------------
def _cross(a: FloatArray, b: FloatArray) -> FloatArray:
    return a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0]


def _dot(a: FloatArray, b: FloatArray) -> FloatArray:
    return a[:, 0] * b[:, 0] + a[:, 1] * b[:, 1]


def signed_angle_deg(a: FloatArray, b: FloatArray) -> FloatArray:
    """Counter-clockwise angle from ``a`` to ``b`` in (-180, 180], per row.

    ``atan2`` of cross and dot products never needs unwrapping, which avoids the 122 -> 329 deg
    jumps that ``arccos``-plus-quadrant schemes produce.
    """
    return np.degrees(np.arctan2(_cross(a, b), _dot(a, b)))


def unsigned_angle_deg(a: FloatArray, b: FloatArray) -> FloatArray:
    """Angle between ``a`` and ``b`` in [0, 180], per row."""
    return np.abs(signed_angle_deg(a, b))


def _mid(p: Points2D, name: str) -> FloatArray:
    return 0.5 * (p[f"left_{name}"] + p[f"right_{name}"])


_DOWN = np.array([[0.0, -1.0]])
_UP = np.array([[0.0, 1.0]])


def compute_sagittal_angles(p: Points2D) -> dict[str, FloatArray]:
    """Sagittal-plane angles from points in (x' forward, y' up); see the module table."""
    trunk_down = _mid(p, "hip") - _mid(p, "shoulder")
    n = trunk_down.shape[0]
    down = np.broadcast_to(_DOWN, (n, 2))
    out: dict[str, FloatArray] = {
        "trunk_forward_lean_deg": -signed_angle_deg(np.broadcast_to(_UP, (n, 2)), -trunk_down)
    }
    for s in SIDES:
        thigh = p[f"{s}_knee"] - p[f"{s}_hip"]
        shank = p[f"{s}_ankle"] - p[f"{s}_knee"]
        foot = p[f"{s}_foot_index"] - p[f"{s}_heel"]
        upper_arm = p[f"{s}_elbow"] - p[f"{s}_shoulder"]
        out[f"{s}_hip_flexion_deg"] = signed_angle_deg(trunk_down, thigh)
        out[f"{s}_thigh_inclination_deg"] = signed_angle_deg(down, thigh)
        out[f"{s}_knee_flexion_deg"] = -signed_angle_deg(thigh, shank)
        out[f"{s}_ankle_dorsiflexion_deg"] = signed_angle_deg(shank, foot) - 90.0
        out[f"{s}_shoulder_flexion_deg"] = signed_angle_deg(trunk_down, upper_arm)
        out[f"{s}_elbow_flexion_deg"] = _elbow_flexion(p, s)
    return out


def _elbow_flexion(p: Points2D, s: str) -> FloatArray:
    upper_arm = p[f"{s}_elbow"] - p[f"{s}_shoulder"]
    forearm = p[f"{s}_wrist"] - p[f"{s}_elbow"]
    return unsigned_angle_deg(upper_arm, forearm)


def _unit(v: FloatArray) -> FloatArray:
    norm = np.linalg.norm(v, axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return v / norm


def compute_frontal_angles(p: Points2D) -> dict[str, FloatArray]:
    """Frontal-plane angles from points in (x' subject's left, y' up); see the module table."""
    pelvis_left = _unit(p["left_hip"] - p["right_hip"])  # right hip -> left hip
    # Downward perpendicular to the hip line: rotate the left-pointing axis by -90 deg.
    pelvis_down = np.stack([pelvis_left[:, 1], -pelvis_left[:, 0]], axis=1)
    trunk_up = _mid(p, "shoulder") - _mid(p, "hip")
    trunk_down_u = _unit(-trunk_up)
    trunk_left = np.stack([-trunk_down_u[:, 1], trunk_down_u[:, 0]], axis=1)
    n = trunk_up.shape[0]
    hip_line = p["left_hip"] - p["right_hip"]
    out: dict[str, FloatArray] = {
        "pelvic_obliquity_deg": np.degrees(np.arctan2(hip_line[:, 1], np.abs(hip_line[:, 0]))),
        # + toward the subject's right, i.e. toward -x'.
        "trunk_lateral_lean_deg": signed_angle_deg(np.broadcast_to(_UP, (n, 2)), trunk_up),
    }
    for s, lateral_sign in (("left", 1.0), ("right", -1.0)):
        thigh = p[f"{s}_knee"] - p[f"{s}_hip"]
        shank = p[f"{s}_ankle"] - p[f"{s}_knee"]
        upper_arm = p[f"{s}_elbow"] - p[f"{s}_shoulder"]
        out[f"{s}_hip_abduction_deg"] = np.degrees(
            np.arctan2(lateral_sign * _dot(thigh, pelvis_left), _dot(thigh, pelvis_down))
        )
        leg = p[f"{s}_ankle"] - p[f"{s}_hip"]
        out[f"{s}_leg_abduction_deg"] = np.degrees(
            np.arctan2(lateral_sign * _dot(leg, trunk_left), _dot(leg, trunk_down_u))
        )
        out[f"{s}_shoulder_abduction_deg"] = np.degrees(
            np.arctan2(lateral_sign * _dot(upper_arm, trunk_left), _dot(upper_arm, trunk_down_u))
        )
        # Foot moving laterally with the knee at 90 deg is internal rotation of the hip.
        out[f"{s}_hip_internal_rotation_deg"] = np.degrees(
            np.arctan2(lateral_sign * shank[:, 0], -shank[:, 1])
        )
        hip_ankle = p[f"{s}_ankle"] - p[f"{s}_hip"]
        knee_offset = _cross(hip_ankle, p[f"{s}_knee"] - p[f"{s}_hip"])
        # For the left leg (lateral = +x') a knee medial to the downward hip->ankle line lies
        # at -x', which gives a negative cross product; mirrored for the right leg.
        medial = -lateral_sign * np.sign(knee_offset)
        out[f"{s}_knee_valgus_deg"] = medial * unsigned_angle_deg(thigh, shank)
        out[f"{s}_elbow_flexion_deg"] = _elbow_flexion(p, s)
    return out


#: Seated rotation test: the knee's position is its moving median over this window. The test
#: keeps the thigh still, and MediaPipe's knee point slides down the shank when the foot
#: crosses in front of the other leg (on the rendered test: 30 px for 1.6 s, reading 58 deg
#: of external rotation for a true 38).
SEATED_KNEE_WINDOW_S = 10.0


def rolling_nanmedian(x: FloatArray, window: int) -> FloatArray:
    """Centred moving median along axis 0 that ignores NaN (NaN where a window has none)."""
    x = np.asarray(x, dtype=np.float64)
    half = max(1, int(window)) // 2
    pad = [(half, half)] + [(0, 0)] * (x.ndim - 1)
    padded = np.pad(x, pad, mode="constant", constant_values=np.nan)
    windows = np.lib.stride_tricks.sliding_window_view(padded, 2 * half + 1, axis=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN windows give NaN
        return np.asarray(np.nanmedian(windows, axis=-1))


def seated_rotation_deg(p: Points2D, fs: float) -> dict[str, FloatArray]:
    """Hip internal rotation in the seated test, from the ankle and the knee's moving median.

    Same formula as :func:`compute_frontal_angles` (shank against the downward vertical,
    + internal: the foot moving laterally), with the knee at its
    :data:`SEATED_KNEE_WINDOW_S` moving median: the test holds the thigh still, so a knee
    point that moves is the pose model's error.
    """
    window = max(3, round(SEATED_KNEE_WINDOW_S * fs))
    out: dict[str, FloatArray] = {}
    for s, lateral_sign in (("left", 1.0), ("right", -1.0)):
        knee = rolling_nanmedian(p[f"{s}_knee"], window)
        knee = np.where(np.isfinite(p[f"{s}_knee"]), knee, np.nan)
        shank = p[f"{s}_ankle"] - knee
        out[f"{s}_hip_internal_rotation_deg"] = np.degrees(
            np.arctan2(lateral_sign * shank[:, 0], -shank[:, 1])
        )
    return out


# -- projecting tracks into the planes ------------------------------------------------------
_NEEDED = [
    f"{s}_{n}"
    for s in SIDES
    for n in ("shoulder", "elbow", "wrist", "hip", "knee", "ankle", "heel", "foot_index")
]


def _image_points_px(track: PoseTrack) -> NDArray[np.float64]:
    """Image landmarks in pixels with y up: ``(n_time, 33, 2)``."""
    assert track.image_xyz is not None
    w, h = track.frame_size_px or (1, 1)
    xy = track.image_xyz[..., :2].astype(np.float64) * np.array([w, h], dtype=np.float64)
    xy[..., 1] *= -1.0
    return xy


def _rolling_majority(sign: FloatArray, window: int, causal: bool = False) -> FloatArray:
    """Sign of the moving sum of per-frame +-1/0 votes (NaN-safe).

    Centred by default; ``causal=True`` uses a trailing window (only past and present frames),
    which is what the live path can compute, so offline and live agree frame by frame.
    """
    votes = np.nan_to_num(sign)
    window = max(1, window | 1)
    if causal:
        csum = np.concatenate([[0.0], np.cumsum(votes)])
        idx = np.arange(1, votes.size + 1)
        summed = csum[idx] - csum[np.maximum(idx - window, 0)]
    else:
        # centred sum; "full" then cut, because mode="same" grows to the window on short input
        lead = (window - 1) // 2
        summed = np.convolve(votes, np.ones(window), mode="full")[lead : lead + votes.size]
    out = np.sign(summed)
    if causal:
        # Undecided frames keep the last decided sign (never a future one).
        decided_idx = np.where(out != 0, np.arange(out.size), -1)
        last = np.maximum.accumulate(decided_idx)
        return np.where(last >= 0, out[np.maximum(last, 0)], 0.0)
    # Frames where the window had no vote keep the nearest decided sign.
    if np.any(out == 0) and np.any(out != 0):
        idx = np.arange(out.size)
        decided = out != 0
        nearest = np.interp(idx, idx[decided], idx[decided])
        out = out[np.round(nearest).astype(int)]
    return out


def facing_sign_side_view(
    track: PoseTrack, xy: NDArray[np.float64] | None = None, *, causal: bool = False
) -> FloatArray:
    """Per frame +1 when the subject's anterior side is counter-clockwise of the trunk line.

    With y up, "counter-clockwise of the downward trunk line" is image-right for a standing
    subject, so +1 means facing image-right. The same rule covers lying and sitting: the
    feet (heel -> foot index) and the head (ears -> nose) point anteriorly, and the sign of
    their cross product with the trunk line (mid-shoulder -> mid-hip) says on which side of
    the trunk anterior lies, whether the body is upright, supine or prone. Votes are smoothed
    by a 0.5 s majority window so single noisy frames do not flip while real turns do.
    """
    xy = _image_points_px(track) if xy is None else xy
    i = LANDMARK_INDEX
    trunk_down = 0.5 * (xy[:, i["left_hip"]] + xy[:, i["right_hip"]]) - 0.5 * (
        xy[:, i["left_shoulder"]] + xy[:, i["right_shoulder"]]
    )
    foot = (xy[:, i["left_foot_index"]] - xy[:, i["left_heel"]]) + (
        xy[:, i["right_foot_index"]] - xy[:, i["right_heel"]]
    )
    head = xy[:, i["nose"]] - 0.5 * (xy[:, i["left_ear"]] + xy[:, i["right_ear"]])
    votes = np.nan_to_num(np.sign(_cross(trunk_down, foot))) + np.nan_to_num(
        np.sign(_cross(trunk_down, head))
    )
    window = round(0.5 * max(track.sampling_rate_hz, 1.0))
    return _rolling_majority(np.sign(votes), window, causal)


def left_sign_front_view(
    track: PoseTrack, xy: NDArray[np.float64] | None = None, *, causal: bool = False
) -> FloatArray:
    """Per frame +1 when the subject's left is at image-right (facing the camera), else -1."""
    xy = _image_points_px(track) if xy is None else xy
    i = LANDMARK_INDEX
    votes = np.sign(xy[:, i["left_hip"], 0] - xy[:, i["right_hip"], 0]) + np.sign(
        xy[:, i["left_shoulder"], 0] - xy[:, i["right_shoulder"], 0]
    )
    window = round(0.5 * max(track.sampling_rate_hz, 1.0))
    return _rolling_majority(np.sign(np.nan_to_num(votes)), window, causal)


def _points_from(xy: NDArray[np.float64], x_sign: FloatArray) -> Points2D:
    out: Points2D = {}
    for name in _NEEDED:
        pts = xy[:, LANDMARK_INDEX[name], :].copy()
        pts[:, 0] *= x_sign
        out[name] = pts
    return out


def pelvis_frame_3d(track: PoseTrack) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Per-frame unit axes (forward, up, left) of a 3-D lab track (y up).

    ``left`` is the horizontal right-hip -> left-hip direction; ``forward = left x up``
    (ISB: x anterior, y superior, z right).
    """
    assert track.world_xyz is not None
    w = track.world_xyz.astype(np.float64)
    lr = w[:, LANDMARK_INDEX["left_hip"]] - w[:, LANDMARK_INDEX["right_hip"]]
    lr[:, 1] = 0.0
    left = lr / np.linalg.norm(lr, axis=1, keepdims=True)
    up = np.broadcast_to(np.array([0.0, 1.0, 0.0]), left.shape)
    forward = np.cross(left, up)
    return forward, up, left


def _project_3d(track: PoseTrack, axis_x: FloatArray, axis_y: FloatArray) -> Points2D:
    assert track.world_xyz is not None
    w = track.world_xyz.astype(np.float64)
    out: Points2D = {}
    for name in _NEEDED:
        pts = w[:, LANDMARK_INDEX[name], :]
        out[name] = np.stack([np.sum(pts * axis_x, axis=1), np.sum(pts * axis_y, axis=1)], axis=1)
    return out


# -- view detection -------------------------------------------------------------------------
def width_ratio_per_frame(track: PoseTrack) -> FloatArray:
    """Mean of the apparent shoulder and hip widths over the torso length, per frame.

    About 0.7 when the body faces the camera (hip line ~0.65, shoulder line ~0.8 of the
    hip-shoulder distance), towards 0 side-on; NaN without a pose.
    """
    xy = _image_points_px(track)
    i = LANDMARK_INDEX
    sh = xy[:, i["left_shoulder"]] - xy[:, i["right_shoulder"]]
    hp = xy[:, i["left_hip"]] - xy[:, i["right_hip"]]
    torso = 0.5 * (xy[:, i["left_shoulder"]] + xy[:, i["right_shoulder"]]) - 0.5 * (
        xy[:, i["left_hip"]] + xy[:, i["right_hip"]]
    )
    torso_len = np.linalg.norm(torso, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio: FloatArray = (
            0.5 * (np.linalg.norm(sh, axis=1) + np.linalg.norm(hp, axis=1)) / torso_len
        )
    return ratio


def detect_view_per_frame(track: PoseTrack) -> NDArray[np.str_]:
    """Per-frame camera view from apparent shoulder and hip widths relative to torso length
    (:func:`width_ratio_per_frame`): > 0.45 front; < 0.25 side; otherwise oblique; no pose:
    unknown.
    """
    if track.is_3d:
        return np.full(track.n_frames, "3d")
    ratio = width_ratio_per_frame(track)
    view = np.where(ratio > 0.45, "front", np.where(ratio < 0.25, "side", "oblique"))
    return np.where(np.isfinite(ratio), view, "unknown")


def summarise_view(per_frame: NDArray[np.str_]) -> tuple[ViewName, float]:
    """Majority view over frames with a pose, and the share of frames that agree with it."""
    known = per_frame[per_frame != "unknown"]
    if known.size == 0:
        return "unknown", 0.0
    names, counts = np.unique(known, return_counts=True)
    best = int(np.argmax(counts))
    return str(names[best]), float(counts[best] / known.size)  # type: ignore[return-value]


# -- the whole computation ------------------------------------------------------------------
@dataclass
class Kinematics:
    """Joint angles over time with the view they were measured in.

    ``angles_deg`` maps every name of :func:`all_angle_names` to an array over time, NaN where
    the angle is unmeasurable; ``unavailable`` maps names that cannot be measured at all in
    this view to the reason.
    """

    timestamps_s: NDArray[np.float64]
    view: ViewName
    view_confidence: float
    angles_deg: dict[str, FloatArray]
    unavailable: dict[str, str] = field(default_factory=dict)
    direction_sign: FloatArray | None = None
    frames_off_view: int = 0

    def angle(self, name: str) -> FloatArray:
        return self.angles_deg[name]

    def available(self, name: str) -> bool:
        return name not in self.unavailable


#: Frontal angles that the seated rotation test's position leaves undefined.
SEATED_UNDEFINED: tuple[str, ...] = ("hip_abduction_deg", "leg_abduction_deg", "knee_valgus_deg")

_VIEW_PLANE: dict[str, Plane | None] = {"side": "sagittal", "front": "frontal"}


def _unavailable_reason(plane: str, view: str) -> str:
    needs = "side" if plane == "sagittal" else "front"
    return f"needs a {needs} view ({plane} plane); this clip is filmed from the {view}"


def compute_kinematics(
    track: PoseTrack,
    *,
    view: ViewName | None = None,
    seated_rotation_test: bool = False,
    causal: bool = False,
) -> Kinematics:
    """Compute every joint angle of the module table for every frame.

    Parameters
    ----------
    track
        A pose track (video tracks use image coordinates; 3-D lab tracks use world
        coordinates projected on the pelvis / walking-direction planes).
    view
        Override the detected camera view (``"side"`` or ``"front"``).
    seated_rotation_test
        Hip rotation is only defined in the seated test position (hips and knees at 90 deg,
        front view); otherwise it is reported unavailable.
    causal
        Use only past and present frames for the facing-direction vote, so that every
        frame's angles equal what the live path computes when that frame arrives (pass
        ``view`` too: view detection looks at the whole clip).
    """
    per_frame = detect_view_per_frame(track)
    detected, confidence = summarise_view(per_frame)
    use_view: ViewName = view or detected
    angles: dict[str, FloatArray] = {}
    unavailable: dict[str, str] = {}
    direction: FloatArray | None = None

    planes: dict[Plane, Callable[[], Points2D]] = {}
    if track.is_3d:
        fwd, up, left = pelvis_frame_3d(track)
        planes["sagittal"] = lambda: _project_3d(track, fwd, up)
        planes["frontal"] = lambda: _project_3d(track, left, up)
        use_view = "3d"
        confidence = 1.0
    else:
        xy = _image_points_px(track)
        if use_view == "side":
            direction = facing_sign_side_view(track, xy, causal=causal)
            planes["sagittal"] = lambda: _points_from(xy, direction)  # type: ignore[arg-type]
        elif use_view == "front":
            direction = left_sign_front_view(track, xy, causal=causal)
            planes["frontal"] = lambda: _points_from(xy, direction)  # type: ignore[arg-type]

    computed: dict[str, FloatArray] = {}
    if "sagittal" in planes:
        computed.update(compute_sagittal_angles(planes["sagittal"]()))
    if "frontal" in planes:
        frontal_points = planes["frontal"]()
        frontal = compute_frontal_angles(frontal_points)
        if seated_rotation_test:
            fs = track.sampling_rate_hz if track.n_frames > 1 else 1.0
            frontal.update(seated_rotation_deg(frontal_points, fs))
        # Elbow flexion: keep the plane the camera faces (sagittal wins for 3-D).
        computed.update({k: v for k, v in frontal.items() if k not in computed})

    n = track.n_frames
    # Frames filmed from the other plane's view (the subject turning to face the camera in a
    # side-view clip, or side-on in a front-view clip) would give distorted numbers: NaN.
    # Oblique frames too: on the walkway clips the turn's oblique frames read the elbow up
    # to 101 deg (true 28) and the pelvic obliquity -23 deg (true +-4) in the ROM extremes.
    off_view = (
        np.isin(per_frame, ["front" if use_view == "side" else "side", "oblique"])
        if use_view in ("side", "front")
        else np.zeros(n, dtype=bool)
    )
    for name in all_angle_names():
        base = base_angle_name(name)
        if name in computed:
            angles[name] = np.where(off_view, np.nan, computed[name])
        else:
            plane = PER_SIDE_ANGLES.get(base) or AXIAL_ANGLES.get(base) or "sagittal"
            angles[name] = np.full(n, np.nan)
            unavailable[name] = _unavailable_reason(str(plane), use_view)
    if not seated_rotation_test:
        for s in SIDES:
            name = f"{s}_hip_internal_rotation_deg"
            angles[name] = np.full(n, np.nan)
            unavailable[name] = (
                "hip rotation is only measured in the seated rotation test "
                "(rom_hip_rotation: hips and knees at 90 deg, front view)"
            )
    else:
        # Seated, the thigh points at the camera: its short image direction says nothing
        # about frontal-plane hip or knee angles (14.8 and 87.6 deg RMSE on the rendered test).
        for s in SIDES:
            for base in SEATED_UNDEFINED:
                angles[f"{s}_{base}"] = np.full(n, np.nan)
                unavailable[f"{s}_{base}"] = (
                    "not measured in the seated rotation test: the thigh points at the camera"
                )
    return Kinematics(
        timestamps_s=track.timestamps_s,
        view=use_view,
        view_confidence=confidence,
        angles_deg=angles,
        unavailable=unavailable,
        direction_sign=direction,
        frames_off_view=int(np.count_nonzero(off_view)),
    )


def angle_ranges(kin: Kinematics) -> dict[str, dict[str, Any]]:
    """Range of movement per base angle and side, in the layout of ``AnalysisResult.rom``."""
    out: dict[str, dict[str, Any]] = {}
    posture = posture_of(kin)
    for name, values in kin.angles_deg.items():
        base = base_angle_name(name)
        side = name[: -len(base) - 1] if base != name else "both"
        entry: dict[str, Any]
        if name in kin.unavailable:
            entry = {"available": False, "reason": kin.unavailable[name]}
        elif not np.any(np.isfinite(values)):
            entry = {"available": False, "reason": "landmarks not visible in any frame"}
        else:
            lo, hi = float(np.nanmin(values)), float(np.nanmax(values))
            entry = {
                "available": True,
                "min_deg": round(lo, 2),
                "max_deg": round(hi, 2),
                "range_deg": round(hi - lo, 2),
                "uncertainty_deg": uncertainty_deg(base, posture),
            }
        out.setdefault(base, {})[side] = entry
    return out
