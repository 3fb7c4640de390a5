"""True joint angles from simulated 3D joint centres (degrees).

The definitions are the ones the analysis uses (see :mod:`avnmotion.synth.keys`):
every angle is a 2D angle measured in the sagittal or frontal plane of a reference frame
``(forward, up, right)`` per frame (``Pose.basis``):

* upright tasks: forward = facing (heading) direction, up = world vertical;
* supine tasks: up = the body's head-ward long axis along the table, forward = world
  vertical (the anterior side faces the ceiling), right = the subject's right.

The sagittal plane is spanned by forward and up (normal = right); the frontal plane by
right and up (normal = forward). Flexion is positive; 0 is upright neutral stance.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from avnmotion.synth.motion import SIDES, Pose

FloatArray = NDArray[np.float64]


def _proj(v: FloatArray, basis: FloatArray, plane: str) -> tuple[FloatArray, FloatArray]:
    """2D coordinates of vectors ``v`` (T,3) in a plane: (horizontal-ish, up) components.

    sagittal: (forward, up); frontal: (right, up).
    """
    f, u, r = basis[:, :, 0], basis[:, :, 1], basis[:, :, 2]
    a = f if plane == "sagittal" else r
    return np.einsum("ti,ti->t", v, a), np.einsum("ti,ti->t", v, u)


def _signed(ax: FloatArray, ay: FloatArray, bx: FloatArray, by: FloatArray) -> FloatArray:
    """Signed angle (deg) from 2D vector a to b, counter-clockwise positive in (x, y)."""
    return np.degrees(np.arctan2(ax * by - ay * bx, ax * bx + ay * by))


def _angle3d(a: FloatArray, b: FloatArray) -> FloatArray:
    c = np.einsum("ti,ti->t", a, b) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
    return np.degrees(np.arccos(np.clip(c, -1.0, 1.0)))


def joint_angles(pose: Pose, *, seated_rotation: bool = False) -> dict[str, FloatArray]:
    """All key angles per frame (degrees, float64)."""
    j = pose.joints
    b = pose.basis
    mid_hip = 0.5 * (j["left_hip"] + j["right_hip"])
    mid_sh = 0.5 * (j["left_shoulder"] + j["right_shoulder"])
    trunk_down = mid_hip - mid_sh
    trunk_up = -trunk_down
    out: dict[str, FloatArray] = {}
    # sagittal plane: x = forward, y = up. An anterior rotation of a downward vector is a
    # counter-clockwise rotation in (forward, up) coordinates? down=(0,-1) -> forward=(1,0)
    # is counter-clockwise, so _signed(down, thigh) > 0 for an anterior thigh.
    tdx, tdy = _proj(trunk_down, b, "sagittal")
    down_x, down_y = np.zeros(pose.n), -np.ones(pose.n)
    for side in SIDES:
        hip, knee, ankle = j[f"{side}_hip"], j[f"{side}_knee"], j[f"{side}_ankle"]
        heel, toe = j[f"{side}_heel"], j[f"{side}_foot_index"]
        thx, thy = _proj(knee - hip, b, "sagittal")
        shx, shy = _proj(ankle - knee, b, "sagittal")
        ftx, fty = _proj(toe - heel, b, "sagittal")
        out[f"{side}_hip_flexion_deg"] = _signed(tdx, tdy, thx, thy)
        out[f"{side}_thigh_inclination_deg"] = _signed(down_x, down_y, thx, thy)
        out[f"{side}_knee_flexion_deg"] = -_signed(thx, thy, shx, shy)
        out[f"{side}_ankle_dorsiflexion_deg"] = _signed(shx, shy, ftx, fty) - 90.0
    # frontal plane: x = right, y = up
    hhx, hhy = _proj(j["right_hip"] - j["left_hip"], b, "frontal")  # left -> right hip
    n = np.hypot(hhx, hhy)
    hhx, hhy = hhx / n, hhy / n
    px, py = hhy, -hhx  # hip line rotated by -90 deg: the downward perpendicular
    tfx, tfy = _proj(trunk_down, b, "frontal")
    for side, sg in (("left", -1.0), ("right", 1.0)):
        hip, knee, ankle = j[f"{side}_hip"], j[f"{side}_knee"], j[f"{side}_ankle"]
        tx, ty = _proj(knee - hip, b, "frontal")
        sx, sy = _proj(ankle - knee, b, "frontal")
        # right leg: lateral = +x, rotating the downward perpendicular toward +x is
        # counter-clockwise -> positive; mirror for the left leg.
        out[f"{side}_hip_abduction_deg"] = sg * _signed(px, py, tx, ty)
        lgx, lgy = _proj(ankle - hip, b, "frontal")
        out[f"{side}_leg_abduction_deg"] = sg * _signed(tfx, tfy, lgx, lgy)
        # valgus: knee medial of the hip-ankle line -> shank turns lateral vs thigh
        out[f"{side}_knee_valgus_deg"] = sg * _signed(tx, ty, sx, sy)
        if seated_rotation:
            out[f"{side}_hip_internal_rotation_deg"] = sg * _signed(down_x, down_y, sx, sy)
        # upper limb
        sh, el, wr = j[f"{side}_shoulder"], j[f"{side}_elbow"], j[f"{side}_wrist"]
        uax, uay = _proj(el - sh, b, "sagittal")
        out[f"{side}_shoulder_flexion_deg"] = _signed(tdx, tdy, uax, uay)
        ufx, ufy = _proj(el - sh, b, "frontal")
        out[f"{side}_shoulder_abduction_deg"] = sg * _signed(tfx, tfy, ufx, ufy)
        out[f"{side}_elbow_flexion_deg"] = _angle3d(el - sh, wr - el)
    # pelvic obliquity: right->left hip line vs horizontal, + when the left hip is higher
    lx, ly = _proj(j["left_hip"] - j["right_hip"], b, "frontal")
    # vector points to -x (left); angle above horizontal measured toward +y
    out["pelvic_obliquity_deg"] = np.degrees(np.arctan2(ly, -lx))
    fx, fy = _proj(trunk_up, b, "sagittal")
    out["trunk_forward_lean_deg"] = np.degrees(np.arctan2(fx, fy))
    lx2, ly2 = _proj(trunk_up, b, "frontal")
    out["trunk_lateral_lean_deg"] = np.degrees(np.arctan2(lx2, ly2))
    return out
