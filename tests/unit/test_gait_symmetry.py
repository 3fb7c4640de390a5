"""Symmetry index formula and pairing."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from avnmotion.gait.parameters import GaitParameters, Phase, Step, Stride
from avnmotion.gait.symmetry import compute_symmetry, symmetry_index
from avnmotion.result import SideSummary


def test_formula() -> None:
    si, reason = symmetry_index(1.1, 0.9)
    assert si == pytest.approx((1.1 - 0.9) / 1.0 * 100.0) and reason is None
    assert symmetry_index(1.0, 1.0)[0] == 0.0
    assert symmetry_index(0.9, 1.1)[0] == pytest.approx(-20.0)


def test_undefined_cases_have_reasons() -> None:
    assert symmetry_index(None, 1.0) == (None, "no value on one side")
    assert symmetry_index(0.0, 1.0) == (None, "only defined for positive quantities")
    assert symmetry_index(-1.0, 1.0)[1] == "only defined for positive quantities"
    assert symmetry_index(float("nan"), 1.0)[0] is None
    assert symmetry_index(1e-12, 1e-12) == (None, "denominator near zero")


@given(st.floats(0.01, 100.0), st.floats(0.01, 100.0))
def test_antisymmetric_and_bounded(r: float, left: float) -> None:
    a, _ = symmetry_index(r, left)
    b, _ = symmetry_index(left, r)
    assert a is not None and b is not None
    assert a == pytest.approx(-b)
    assert -200.0 < a < 200.0


def _stride(side: str, t0: float, stance: float, single: float) -> Stride:
    # FS at t0, other off at t0 + ds, other strike at t0 + ds + single, own off at t0 + stance.
    ds = (stance - single) / 2
    return Stride(side, t0, t0 + 1.0, 0, True, t0 + stance, t0 + ds, t0 + ds + single)


def _params(
    strides: list[Stride], steps: list[Step], phases: list[Phase] | None = None
) -> GaitParameters:
    empty = SideSummary(n_strides=0)
    return GaitParameters(steps, strides, {"left": empty, "right": empty}, None, None, None,
                          1.0, 1.0, phases=phases or [])  # fmt: skip


#: Stance 0.62 (left) and 0.58 (right); right swings 0.42 (left single support 0.42), left
#: swings 0.36 and 0.34 (right single support 0.35 on average).
PHASES = [
    Phase("left", "stance", 0.0, 0.62, 0),
    Phase("right", "swing", 0.04, 0.46, 0),
    Phase("right", "stance", 0.5, 1.08, 0),
    Phase("left", "swing", 0.62, 0.98, 0),
    Phase("left", "stance", 1.0, 1.62, 0),
    Phase("right", "swing", 1.04, 1.46, 0),
    Phase("right", "stance", 1.5, 2.08, 0),
    Phase("left", "swing", 1.62, 1.96, 0),
]


def test_compute_symmetry_means_lower_side_and_spread() -> None:
    strides = [
        _stride("left", 0.0, 0.62, 0.42),
        _stride("right", 0.5, 0.58, 0.36),
        _stride("left", 1.0, 0.62, 0.42),
        _stride("right", 1.5, 0.58, 0.34),
    ]
    steps = [Step("right", 0.0, 0.5, 0, 0.66), Step("left", 0.5, 1.0, 0, 0.6),
             Step("right", 1.0, 1.5, 0, 0.66), Step("left", 1.5, 2.0, 0, 0.6)]  # fmt: skip
    out = {s.parameter: s for s in compute_symmetry(_params(strides, steps, PHASES), cutoff_pct=10)}
    ss = out["single_support_time_s"]
    assert ss.si_pct == pytest.approx(100 * (0.35 - 0.42) / (0.5 * 0.77), abs=0.01)
    assert ss.lower_side == "right" and ss.symmetric is False and ss.n_pairs == 2
    assert ss.si_sd_pct is not None and ss.si_sd_pct > 0
    assert out["stance_time_s"].symmetric is True and out["stance_time_s"].cutoff_pct == 10
    step = out["step_length"]
    assert step.lower_side == "left" and step.si_pct == pytest.approx(9.52, abs=0.01)
    assert step.symmetric is True
    assert out["hip_excursion_deg"].si_pct is None
    assert out["hip_excursion_deg"].reason == "no value on one side"
    strict = {
        s.parameter: s for s in compute_symmetry(_params(strides, steps, PHASES), cutoff_pct=5)
    }
    assert strict["step_length"].symmetric is False
