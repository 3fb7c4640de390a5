"""Time normalisation of angles to the gait cycle."""

from __future__ import annotations

import numpy as np
import pytest

from avnmotion.gait.cycles import PERCENT, gait_curves, normalise_strides
from avnmotion.gait.parameters import Stride
from avnmotion.kinematics import Kinematics, all_angle_names


def test_normalise_sine_strides() -> None:
    t = np.arange(0, 4.0, 0.01)
    angle = 30.0 * np.sin(2 * np.pi * (t - 0.3) / 1.1)
    strides = [Stride("left", 0.3 + 1.1 * k, 0.3 + 1.1 * (k + 1), 0, False) for k in range(3)]
    curves = normalise_strides(t, angle, strides)
    assert curves.shape == (3, 101)
    expected = 30.0 * np.sin(2 * np.pi * PERCENT / 100)
    np.testing.assert_allclose(curves, np.tile(expected, (3, 1)), atol=0.05)


def test_strides_with_missing_data_are_skipped_and_curves_built() -> None:
    t = np.arange(0, 3.0, 0.01)
    angles = {name: np.full(t.size, np.nan) for name in all_angle_names()}
    angles["left_hip_flexion_deg"] = 20 * np.cos(2 * np.pi * t)
    angles["left_hip_flexion_deg"][(t > 1.2) & (t < 1.6)] = np.nan
    kin = Kinematics(t, "side", 1.0, angles, {"pelvic_obliquity_deg": "needs a front view"})
    strides = [Stride("left", float(k), float(k + 1), 0, False) for k in range(2)]
    curves = gait_curves(kin, strides)
    hip = [c for c in curves if c.angle == "hip_flexion_deg"]
    assert len(hip) == 1 and hip[0].n_cycles == 1 and hip[0].side == "left"
    assert hip[0].mean_deg[0] == pytest.approx(20.0) and hip[0].sd_deg == [0.0] * 101
    assert not any(c.angle == "pelvic_obliquity_deg" for c in curves)
    assert gait_curves(None, strides) == []
