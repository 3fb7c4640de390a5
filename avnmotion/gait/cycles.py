"""Joint angles time-normalised to the gait cycle (0-100 %, foot strike to foot strike).

Each stride of a side (:class:`~avnmotion.gait.parameters.Stride`, complete or not) is
resampled to 101 points by linear interpolation in time, ``t = t_FS + p/100 (t_FS' - t_FS)``
for ``p = 0..100``; strides with more than 20 % missing samples are skipped. The curve is the
mean and SD (ddof 1; 0 with a single stride) over strides, per side.

Angles: hip and knee flexion (sagittal, side view or 3-D), hip abduction (frontal), and the
pelvis (pelvic obliquity, frontal) normalised to each side's cycle. Angles the view cannot
measure are skipped.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from avnmotion.gait.parameters import Stride
from avnmotion.kinematics import Kinematics
from avnmotion.result import GaitCurve

FloatArray = NDArray[np.float64]

PERCENT = np.linspace(0.0, 100.0, 101)

#: Curves per side: (angle name pattern, True when the angle is per side).
CYCLE_ANGLES: tuple[tuple[str, bool], ...] = (
    ("hip_flexion_deg", True),
    ("knee_flexion_deg", True),
    ("hip_abduction_deg", True),
    ("pelvic_obliquity_deg", False),
)


def normalise_strides(
    t: FloatArray, angle: FloatArray, strides: list[Stride], max_missing: float = 0.2
) -> FloatArray:
    """``(n_strides, 101)`` angle curves; strides with too many missing samples are left out."""
    rows = []
    for s in strides:
        sel = (t >= s.start_s) & (t <= s.end_s)
        ts, a = t[sel], angle[sel]
        if a.size < 4 or np.mean(~np.isfinite(a)) > max_missing:
            continue
        ok = np.isfinite(a)
        grid = s.start_s + PERCENT / 100.0 * (s.end_s - s.start_s)
        rows.append(np.interp(grid, ts[ok], a[ok]))
    return np.asarray(rows, dtype=np.float64).reshape(-1, PERCENT.size)


def gait_curves(kin: Kinematics | None, strides: list[Stride]) -> list[GaitCurve]:
    """Mean and SD curves per side for :data:`CYCLE_ANGLES`."""
    if kin is None:
        return []
    out: list[GaitCurve] = []
    for base, per_side in CYCLE_ANGLES:
        for side in ("left", "right"):
            name = f"{side}_{base}" if per_side else base
            if name in kin.unavailable or name not in kin.angles_deg:
                continue
            own = [s for s in strides if s.side == side]
            curves = normalise_strides(kin.timestamps_s, kin.angles_deg[name], own)
            if curves.shape[0] == 0:
                continue
            sd = curves.std(axis=0, ddof=1) if curves.shape[0] > 1 else np.zeros(PERCENT.size)
            out.append(
                GaitCurve(
                    angle=base,
                    side=side,  # type: ignore[arg-type]
                    percent_cycle=[float(p) for p in PERCENT],
                    mean_deg=[round(float(v), 2) for v in curves.mean(axis=0)],
                    sd_deg=[round(float(v), 2) for v in sd],
                    n_cycles=int(curves.shape[0]),
                )
            )
    return out
