"""Measurement error per progress measure: SEM and MDC95 = 1.96 x sqrt(2) x SEM.

Every value here is a **placeholder** until measured values replace it. The intended first
source is a synthetic lower bound from repeat renders with varied camera placement, until
real test-retest data exist; the placeholders below are only derived from the library's
angle uncertainty (RMSE of video angles vs rendered truth) and from frame timing, and are
labelled as such in every API response (``sem_source``). A measure without an entry gets no
MDC and the progress report says so rather than guessing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

SemStatus = Literal["placeholder", "synthetic_lower_bound", "test_retest"]

PLANNED_SOURCE = (
    "synthetic lower bound from repeat renders with varied camera placement until real "
    "test-retest data exist"
)
#: One frame at 30 fps: the timing resolution of event and rep detection.
FRAME_S = 1 / 30


@dataclass(frozen=True)
class Sem:
    value: float
    unit: str
    status: SemStatus
    derivation: str

    @property
    def mdc95(self) -> float:
        return mdc95(self.value)

    @property
    def source(self) -> str:
        if self.status == "placeholder":
            return (
                f"PLACEHOLDER, not measured ({self.derivation}); to be replaced by a "
                f"{PLANNED_SOURCE}"
            )
        return f"{self.status.replace('_', ' ')}: {self.derivation}"


def mdc95(sem: float) -> float:
    return 1.96 * math.sqrt(2) * sem


def _angle_uncertainty() -> dict[str, float]:
    try:
        from avnmotion.kinematics import UNCERTAINTY_DEG
    except ImportError:  # the table moved; fall back to no angle entries
        return {}
    return dict(UNCERTAINTY_DEG)


def _p(value: float, unit: str, derivation: str) -> Sem:
    return Sem(round(value, 4), unit, "placeholder", derivation)


#: Gait parameters (``gait/<name>``; per-side ones without the side).
GAIT_SEM: dict[str, Sem] = {
    "cadence_steps_per_min": _p(
        3.0, "steps/min", "one-frame (1/30 s) event timing error over ~6 steps of 0.55 s"
    ),
    "step_time_s": _p(FRAME_S, "s", "one frame at 30 fps"),
    "stride_time_s": _p(FRAME_S, "s", "one frame at 30 fps"),
    "stance_time_s": _p(FRAME_S, "s", "one frame at 30 fps"),
    "stance_pct_cycle": _p(3.0, "%", "one frame over a 1.1 s stride"),
    "single_support_pct_cycle": _p(3.0, "%", "one frame over a 1.1 s stride"),
    "double_support_pct_cycle": _p(3.0, "%", "one frame over a 1.1 s stride"),
    "gait_speed_m_per_s": _p(0.05, "m/s", "assumed 5% of a typical 1.0 m/s; no basis yet"),
    "step_length_m": _p(0.03, "m", "assumed 5% of a typical 0.6 m step; no basis yet"),
    "symmetry_si_pct": _p(3.0, "%", "one-frame timing error on a 0.55 s step, as SI points"),
}


def angle_sem(angle: str) -> Sem | None:
    """Placeholder SEM of an angle (``hip_flexion`` or ``hip_flexion_deg``)."""
    name = angle if angle.endswith("_deg") else f"{angle}_deg"
    value = _angle_uncertainty().get(name)
    if value is None:
        return None
    return _p(value, "deg", f"angle uncertainty (RMSE vs rendered truth) of {name}")


def sem_for_gait(parameter: str) -> Sem | None:
    if parameter in GAIT_SEM:
        return GAIT_SEM[parameter]
    if parameter in ("hip_excursion_deg", "peak_hip_extension_deg"):
        return angle_sem("hip_flexion_deg")
    return None


#: Test-result keys and test names that measure a kinematics angle under another name.
ANGLE_ALIASES = {
    "hip_rotation": "hip_internal_rotation",
    "internal_rotation": "hip_internal_rotation",
    "external_rotation": "hip_internal_rotation",
}


def sem_for_test(task: str, key: str, unit: str) -> Sem | None:
    """SEM for a value in a ROM or function test result (``key`` is its leaf name)."""
    if unit == "deg":
        if key == "total_arc_deg":  # internal + external: two independent errors
            one = sem_for_test(task, "internal_rotation_deg", unit)
            if one is None:
                return None
            return _p(one.value * math.sqrt(2), "deg", f"sqrt(2) x ({one.derivation})")
        # A key naming the angle wins over the test name (rom_hip_flexion -> hip_flexion).
        for candidate in (key, task.removeprefix("rom_")):
            for side in ("left_", "right_"):
                candidate = candidate.removeprefix(side)
            for suffix in ("_max_deg", "_min_deg", "_range_deg", "_peak_deg", "_deg"):
                candidate = candidate.removesuffix(suffix)
            sem = angle_sem(ANGLE_ALIASES.get(candidate, candidate))
            if sem is not None:
                return sem
        return None
    if unit == "s":
        return _p(FRAME_S, "s", "one frame at 30 fps")
    return None
