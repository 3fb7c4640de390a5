"""Measured accuracy of ROM-test, timed-test and gait measures, shipped with the library.

``data/measurement_error.json`` is written by ``python -m benchmarks.mdc``. For each measure
(``rom_hip_abduction/peak_deg``, ``five_times_sit_to_stand/duration_s``,
``gait/stance_time_s``, ...) one synthetic subject performs one
fixed movement, rendered K times with a different camera placement, and every render is
analysed like a user's clip. The entry summarises the error :math:`e = measured - true` over
the renders:

* ``bias``: mean error (and ``bias_by_side`` per side), i.e. a systematic offset that the
  analysis does not correct;
* ``sem``: SD of the error, pooled within side (the service turns it into an MDC95);
* ``max_abs_error``: the largest :math:`|e|`.

These are a lower bound: one synthetic subject, no real cameras, no day-to-day variation. The
service's progress reports read the SEM (``api/mdc.py``); analysis results carry the bias and
the largest error next to the value they qualify (:func:`measured_accuracy`), so that a
stated uncertainty is never smaller than the error this project has measured.
"""

from __future__ import annotations

import functools
import json
import logging
import math
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

#: Written by ``benchmarks/mdc.py``; packaged with the library.
MEASUREMENT_ERROR_JSON: Path = Path(
    str(resources.files("avnmotion").joinpath("data", "measurement_error.json"))
)
SOURCE = "benchmarks/mdc.py: repeat renders of one synthetic subject with camera jitter"


def _read_object(path: Path, what: str, *, warn_missing: bool) -> dict[str, Any]:
    """A JSON object from ``path``; ``{}`` (logged) when it is missing, unreadable or not one."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        if warn_missing:
            log.warning("no %s file at %s", what, path)
        return {}
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        log.warning("ignoring %s file %s: %s", what, path, exc)
        return {}
    if not isinstance(raw, dict):
        log.warning("ignoring %s file %s: not a JSON object", what, path)
        return {}
    return raw


def _objects(d: Any) -> dict[str, dict[str, Any]]:
    """The entries of ``d`` that are JSON objects under string keys."""
    if not isinstance(d, dict):
        return {}
    return {k: v for k, v in d.items() if isinstance(k, str) and isinstance(v, dict)}


def read_measurement_error(path: Path | None = None) -> dict[str, dict[str, Any]]:
    """The raw entries of a measurement-error file, by measure id.

    A missing file gives ``{}``; an unreadable or corrupt one is logged and gives ``{}``;
    entries that are not JSON objects are left out.
    """
    path = MEASUREMENT_ERROR_JSON if path is None else path
    return _objects(_read_object(path, "measurement error", warn_missing=False))


@functools.cache
def measurement_error() -> dict[str, dict[str, Any]]:
    """:func:`read_measurement_error` of the packaged file, read once."""
    return read_measurement_error()


def _number(v: Any) -> float | None:
    if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
        return None
    return float(v)


@dataclass(frozen=True)
class MeasuredAccuracy:
    """Error of one measure against rendered truth (see the module docstring)."""

    measure: str
    unit: str
    bias: float | None
    max_abs_error: float | None
    sem: float | None
    n_values: int | None
    view: str | None
    bias_by_side: dict[str, float] = field(default_factory=dict)

    def summary(self) -> str:
        """One sentence for a report, e.g. ``mean error -9.9 deg (right -7.0, left -12.8)``."""
        u = self.unit
        parts = []
        if self.bias is not None:
            sides = ", ".join(f"{s} {b:+.1f}" for s, b in sorted(self.bias_by_side.items()))
            parts.append(f"mean error {self.bias:+.1f} {u}" + (f" ({sides})" if sides else ""))
        if self.max_abs_error is not None:
            parts.append(f"largest error {self.max_abs_error:.1f} {u}")
        n = f"{self.n_values} values" if self.n_values else "values"
        view = f", {self.view} view" if self.view else ""
        return (
            f"against rendered truth ({n}{view}; {SOURCE}): "
            + "; ".join(parts)
            + ". The value shown is not corrected for this error."
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "measure": self.measure,
            "unit": self.unit,
            "bias": self.bias,
            "bias_by_side": dict(self.bias_by_side),
            "max_abs_error": self.max_abs_error,
            "sem": self.sem,
            "n_values": self.n_values,
            "view": self.view,
            "source": SOURCE,
            "summary": self.summary(),
        }


def measured_accuracy(
    measure: str, entries: dict[str, dict[str, Any]] | None = None
) -> MeasuredAccuracy | None:
    """The measured accuracy of ``measure`` (``<test id>/<field>``), or None if not measured."""
    entry = (measurement_error() if entries is None else entries).get(measure)
    if entry is None or not isinstance(entry.get("unit"), str):
        return None
    bias, max_abs = _number(entry.get("bias")), _number(entry.get("max_abs_error"))
    if bias is None and max_abs is None:
        return None
    by_side = entry.get("bias_by_side")
    n = entry.get("n_values")
    view = entry.get("view")
    return MeasuredAccuracy(
        measure=measure,
        unit=entry["unit"],
        bias=bias,
        max_abs_error=max_abs,
        sem=_number(entry.get("sem")),
        n_values=n if isinstance(n, int) and not isinstance(n, bool) else None,
        view=view if isinstance(view, str) else None,
        bias_by_side={
            s: v
            for s, b in (by_side.items() if isinstance(by_side, dict) else ())
            if isinstance(s, str) and (v := _number(b)) is not None
        },
    )


# -- joint angles ---------------------------------------------------------------------------
#: Written by ``benchmarks/angle_error.py``; packaged with the library.
ANGLE_ERROR_JSON: Path = Path(
    str(resources.files("avnmotion").joinpath("data", "angle_error.json"))
)


def read_angle_error(path: Path | None = None) -> dict[str, dict[str, dict[str, Any]]]:
    """``posture -> base angle -> entry`` of an angle-error file (``{}`` if missing/corrupt)."""
    path = ANGLE_ERROR_JSON if path is None else path
    raw = _read_object(path, "angle error", warn_missing=True)
    return {p: _objects(angles) for p, angles in _objects(raw.get("postures")).items()}


@functools.cache
def angle_error() -> dict[str, dict[str, dict[str, Any]]]:
    """:func:`read_angle_error` of the packaged file, read once."""
    return read_angle_error()


def angle_uncertainty_table(
    names: tuple[str, ...] | list[str],
    posture: str,
    table: dict[str, dict[str, dict[str, Any]]] | None = None,
) -> dict[str, float]:
    """Stated uncertainty (deg) of each base angle in ``names`` for a posture.

    The measured ``uncertainty_deg`` where the posture has one; otherwise the largest value
    measured in that posture (in any posture if it has none), so an angle nobody validated
    is never stated as more precise than the worst one measured. ``{}`` without a table.
    """
    table = angle_error() if table is None else table

    def stated(angles: dict[str, dict[str, Any]]) -> dict[str, float]:
        return {
            a: v for a, e in angles.items() if (v := _number(e.get("uncertainty_deg"))) is not None
        }

    measured = stated(table.get(posture, {}))
    pool = list(measured.values()) or [v for a in table.values() for v in stated(a).values()]
    if not pool:
        return {}
    return {n: measured.get(n, max(pool)) for n in names}
