"""Measurement error per progress measure: SEM and MDC95 = 1.96 x sqrt(2) x SEM.

Two sources, labelled in every API response (``sem_source``):

* **Measured, synthetic lower bound** (``status="synthetic_lower_bound"``): read from
  ``avnmotion/data/measurement_error.json``, written by ``python -m benchmarks.mdc``. One
  synthetic subject performs one fixed movement, rendered K times with a different camera
  placement (height, distance and azimuth jitter); SEM is the SD of (measured - true) over the
  repeats, pooled within side. No day-to-day variation of a real person and no real cameras,
  so these are a lower bound until real test-retest data exist. A measured value applies to
  the camera view it was measured in.
* **Placeholder** (``status="placeholder"``): every measure (or view) the file does not cover
  keeps a placeholder derived from the library's angle uncertainty (RMSE of video angles vs
  rendered truth) or from frame timing, and says that it is not measured.

A measure without either gets no MDC and the progress report says so rather than guessing.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from avnmotion.accuracy import MEASUREMENT_ERROR_JSON as PACKAGED_MEASUREMENT_ERROR
from avnmotion.accuracy import read_measurement_error

SemStatus = Literal["placeholder", "synthetic_lower_bound", "test_retest"]

PLANNED_SOURCE = (
    "synthetic lower bound from repeat renders with varied camera placement until real "
    "test-retest data exist"
)
#: One frame at 30 fps: the timing resolution of event and rep detection.
FRAME_S = 1 / 30
#: Measured SEMs, written by ``benchmarks/mdc.py`` (packaged with the library).
MEASUREMENT_ERROR_JSON: Path = PACKAGED_MEASUREMENT_ERROR


@dataclass(frozen=True)
class Sem:
    value: float
    unit: str
    status: SemStatus
    derivation: str
    #: Camera view a measured value was measured in (None: not view-specific).
    view: str | None = None

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


# -- measured values ------------------------------------------------------------------------
def _number(v: Any) -> float | None:
    if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
        return None
    return float(v)


def _measured_sem(measure: str, entry: Any) -> Sem | None:
    """One ``measurement_error.json`` entry as a Sem, or None when it has no usable SEM."""
    if not isinstance(entry, dict):
        return None
    sem, unit = _number(entry.get("sem")), entry.get("unit")
    if sem is None or sem <= 0 or not isinstance(unit, str):
        return None  # no SD measured (too few repeats, all missing) or zero spread
    n = entry.get("n_repeats")
    view = entry.get("view") if isinstance(entry.get("view"), str) else None
    bias = _number(entry.get("bias"))
    parts = [
        f"SD of (measured - true) over {n if isinstance(n, int) else '?'} repeat renders "
        "with camera jitter (height, distance, azimuth) of one synthetic subject",
        f"{view} view" if view else None,
        "pooled within side" if entry.get("pooled_over") else None,
        f"bias {bias:+.4g} {unit} not included" if bias is not None else None,
        "benchmarks/mdc.py; replace with real test-retest data",
    ]
    return Sem(
        round(sem, 4),
        unit,
        "synthetic_lower_bound",
        "; ".join(p for p in parts if p),
        view,
    )


def load_measured(path: Path | None = None) -> dict[str, Sem]:
    """Measured SEMs by measure id (``rom_hip_flexion/peak_deg``, ``gait/step_time_s``,
    ``gait/symmetry/stance_time_s``). A missing, unreadable or corrupt file gives ``{}``
    (placeholders everywhere); entries without a usable SEM are left out."""
    raw = read_measurement_error(MEASUREMENT_ERROR_JSON if path is None else path)
    return {m: sem for m, entry in raw.items() if (sem := _measured_sem(m, entry)) is not None}


@functools.cache
def measured() -> dict[str, Sem]:
    """:func:`load_measured` of :data:`MEASUREMENT_ERROR_JSON`, read once
    (``measured.cache_clear()`` re-reads it)."""
    return load_measured()


def _pick(measure: str, unit: str | None, view: str | None, fallback: Sem | None) -> Sem | None:
    """The measured SEM of ``measure`` when it exists for this unit and view, else the
    placeholder ``fallback``, noting why no measured value applies."""
    table = measured()
    got = table.get(measure)
    if got is not None and (unit is None or got.unit == unit):
        if view is None or got.view is None or got.view == view:
            return got
        why = f"{measure} measured only for the {got.view} view, not {view}"
    elif table:
        why = f"no measured value for {measure}"
    else:
        why = None  # no measurement file at all: the placeholder says "not measured"
    if fallback is None or why is None:
        return fallback
    return Sem(fallback.value, fallback.unit, fallback.status, f"{fallback.derivation}; {why}")


# -- placeholders ---------------------------------------------------------------------------
def _angle_uncertainty() -> dict[str, float]:
    try:
        from avnmotion.kinematics import UNCERTAINTY_DEG
    except ImportError:  # the table moved; fall back to no angle entries
        return {}
    return dict(UNCERTAINTY_DEG)


def _p(value: float, unit: str, derivation: str) -> Sem:
    return Sem(round(value, 4), unit, "placeholder", derivation)


#: Placeholder SEMs of gait parameters (``gait/<name>``; per-side ones without the side).
#: Measured values from :func:`measured` take precedence in :func:`sem_for_gait`.
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
    """Placeholder SEM of an angle (``hip_flexion`` or ``hip_flexion_deg``).

    Always a placeholder: measured values belong to a test (``rom_hip_flexion/peak_deg``), not
    to the angle in general."""
    name = angle if angle.endswith("_deg") else f"{angle}_deg"
    value = _angle_uncertainty().get(name)
    if value is None:
        return None
    return _p(value, "deg", f"angle uncertainty (RMSE vs rendered truth) of {name}")


def _placeholder_gait(parameter: str) -> Sem | None:
    if parameter.startswith("symmetry/"):
        return GAIT_SEM["symmetry_si_pct"]
    if parameter in GAIT_SEM:
        return GAIT_SEM[parameter]
    if parameter in ("hip_excursion_deg", "peak_hip_extension_deg"):
        return angle_sem("hip_flexion_deg")
    return None


def sem_for_gait_in_view(parameter: str, view: str | None) -> Sem | None:
    """:func:`sem_for_gait` for a clip filmed in ``view``: a measured value only applies to
    the view it was measured in (``view=None``: any)."""
    if parameter == "symmetry_si_pct":  # the generic SI placeholder, no single measure
        return GAIT_SEM[parameter]
    fallback = _placeholder_gait(parameter)
    if fallback is None and f"gait/{parameter}" not in measured():
        return None
    return _pick(f"gait/{parameter}", fallback.unit if fallback else None, view, fallback)


def sem_for_gait(parameter: str) -> Sem | None:
    """SEM of a gait parameter (per-side ones without the side; ``symmetry/<parameter>``
    for a symmetry index): measured when available, else a placeholder."""
    return sem_for_gait_in_view(parameter, None)


#: Test-result keys and test names that measure a kinematics angle under another name.
ANGLE_ALIASES = {
    "hip_rotation": "hip_internal_rotation",
    "internal_rotation": "hip_internal_rotation",
    "external_rotation": "hip_internal_rotation",
    # the abduction ROM test measures the straight leg against the trunk (leg_abduction_deg)
    "hip_abduction": "leg_abduction",
}


def _placeholder_test(task: str, key: str, unit: str) -> Sem | None:
    if unit == "deg":
        if key == "total_arc_deg":  # internal + external: two independent errors
            one = _placeholder_test(task, "internal_rotation_deg", unit)
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


def sem_for_test_in_view(task: str, key: str, unit: str, view: str | None) -> Sem | None:
    """:func:`sem_for_test` for a clip filmed in ``view``: a measured value only applies to
    the view it was measured in (``view=None``: any)."""
    fallback = _placeholder_test(task, key, unit)
    if fallback is None and f"{task}/{key}" not in measured():
        return None
    return _pick(f"{task}/{key}", unit, view, fallback)


def sem_for_test(task: str, key: str, unit: str) -> Sem | None:
    """SEM for a value in a ROM or function test result (``key`` is its leaf name): measured
    (``<task>/<key>``, pooled over sides) when available, else a placeholder."""
    return sem_for_test_in_view(task, key, unit, None)
