"""Deviation flags from constructed strides and angle series with known answers."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from avnmotion.gait.deviations import (
    DUCHENNE_THRESHOLD_DEG,
    TRENDELENBURG_THRESHOLD_DEG,
    duchenne_flags,
    hip_extension_flags,
    trendelenburg_flags,
)
from avnmotion.gait.parameters import GaitParameters, Stride
from avnmotion.kinematics import Kinematics, all_angle_names
from avnmotion.result import SideSummary

T = 1.0


def _params(n: int = 4, hip_ext: float | None = None) -> GaitParameters:
    strides = []
    for k in range(n):
        t0 = k * T
        # Left: FS 0, R off 0.1, R strike 0.5, L off 0.6. Right shifted by half a cycle.
        strides.append(Stride("left", t0, t0 + T, 0, True, t0 + 0.6, t0 + 0.1, t0 + 0.5))
        s = t0 + 0.5
        strides.append(Stride("right", s, s + T, 0, True, s + 0.6, s + 0.1, s + 0.5))
    summ = SideSummary(n_strides=n, peak_hip_extension_deg=hip_ext)
    return GaitParameters([], strides, {"left": summ, "right": summ}, None, None, None, 1, 1)


def _kin(view: str, **series: Callable[[np.ndarray], np.ndarray]) -> tuple[Kinematics, np.ndarray]:
    t = np.arange(0, 5.0, 0.01)
    angles = {name: np.zeros(t.size) for name in all_angle_names()}
    for name, f in series.items():
        angles[name] = f(t)
    return Kinematics(t, view, 1.0, angles, {}), t  # type: ignore[arg-type]


def _in_left_single_support(t: np.ndarray) -> np.ndarray:
    phase = np.mod(t, T)
    return (phase > 0.1) & (phase < 0.5)


def test_trendelenburg_on_left_stance() -> None:
    # Right side drops (left hip higher, obliquity +) by 14 deg in left single support.
    kin, _ = _kin("3d", pelvic_obliquity_deg=lambda t: 14.0 * _in_left_single_support(t))
    flags = trendelenburg_flags(_params(), kin, affected_side="left")
    assert [f.side for f in flags] == ["left"]
    f = flags[0]
    assert f.code == "trendelenburg_pattern" and f.unit == "deg"
    assert f.value is not None and f.value > TRENDELENBURG_THRESHOLD_DEG
    assert f.threshold == TRENDELENBURG_THRESHOLD_DEG and f.intervals
    assert "dropped toward the right" in f.message and "given as affected" in f.message
    # Normal drop of 5 deg: no flag. Side view: not measurable, no flag.
    kin_ok, _ = _kin("3d", pelvic_obliquity_deg=lambda t: 5.0 * _in_left_single_support(t))
    assert trendelenburg_flags(_params(), kin_ok) == []
    kin_side, _ = _kin("side", pelvic_obliquity_deg=lambda t: 14.0 * _in_left_single_support(t))
    assert trendelenburg_flags(_params(), kin_side) == []


def test_duchenne_lean_over_left_stance_hip() -> None:
    # + is toward the subject's right, so leaning over the left hip is negative.
    kin, _ = _kin("front", trunk_lateral_lean_deg=lambda t: -12.0 * _in_left_single_support(t))
    flags = duchenne_flags(_params(), kin)
    assert [f.side for f in flags] == ["left"]
    assert flags[0].value is not None and flags[0].value > DUCHENNE_THRESHOLD_DEG
    assert "not its cause" in flags[0].message and "Not validated for video" in flags[0].message


def test_reduced_hip_extension_side_view_only() -> None:
    kin, _ = _kin("side")
    flags = hip_extension_flags(_params(hip_ext=2.0), kin)
    assert {f.side for f in flags} == {"left", "right"}
    assert all(f.threshold == 5.0 and f.value == 2.0 for f in flags)
    assert hip_extension_flags(_params(hip_ext=15.0), kin) == []
    kin_front, _ = _kin("front")
    assert hip_extension_flags(_params(hip_ext=2.0), kin_front) == []
