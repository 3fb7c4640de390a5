"""Adherence to a prescription: target reps, sets, tempo and hold time versus what was done.

A prescription is a plain dict (from the CLI, the API or a stored plan)::

    {"reps": 10, "sets": 3, "concentric_s": 2, "eccentric_s": 2, "hold_s": 5}

Every key is optional; unknown keys and non-positive values raise
:class:`~avnmotion.errors.AvnInputError` naming the valid keys.

Measured phase durations are the 5-90% excursion times extrapolated to the whole movement
(``counting.describe_rep``); a rep is *within tempo* when every prescribed phase lies between
60% and 160% of its target, and *too fast* when a phase is below 60%.
"""

from __future__ import annotations

import math
from typing import Any

from avnmotion.errors import AvnInputError
from avnmotion.result import ExerciseSet, Hold, Rep

PRESCRIPTION_KEYS: dict[str, str] = {
    "reps": "target reps per set (or holds per set for a hold exercise)",
    "sets": "target number of sets",
    "concentric_s": "target concentric (lifting) phase duration, s",
    "eccentric_s": "target eccentric (lowering) phase duration, s",
    "hold_s": "target hold duration, s",
}
TEMPO_LOW = 0.6
TEMPO_HIGH = 1.6
HOLD_TOLERANCE_S = 0.5


def validate_prescription(prescription: dict[str, Any] | None) -> dict[str, float] | None:
    """Check keys and values; returns a clean ``{key: float}`` dict (or ``None``)."""
    if prescription is None:
        return None
    if not isinstance(prescription, dict):
        raise AvnInputError("prescription must be a mapping such as {'reps': 10, 'sets': 3}")
    unknown = sorted(set(prescription) - set(PRESCRIPTION_KEYS))
    if unknown:
        raise AvnInputError(
            f"unknown prescription key(s) {', '.join(unknown)}; valid keys: "
            + ", ".join(f"{k} ({v})" for k, v in PRESCRIPTION_KEYS.items())
        )
    clean: dict[str, float] = {}
    for key, value in prescription.items():
        if value is None:
            continue
        try:
            if isinstance(value, bool):
                raise TypeError
            number = float(value)
        except (TypeError, ValueError):
            raise AvnInputError(f"prescription {key} must be a number, got {value!r}") from None
        if not math.isfinite(number):
            raise AvnInputError(f"prescription {key} must be a finite number, got {value!r}")
        if not number > 0:
            raise AvnInputError(f"prescription {key} must be positive, got {value!r}")
        if key in ("reps", "sets") and number != int(number):
            raise AvnInputError(f"prescription {key} must be a whole number, got {value!r}")
        clean[key] = number
    return clean


def _share(hits: int, total: int) -> float | None:
    return round(hits / total, 3) if total else None


def adherence(
    prescription: dict[str, Any] | None,
    *,
    reps: list[Rep],
    partial_reps: list[Rep],
    sets: list[ExerciseSet],
    holds: list[Hold],
    hold_exercise: bool = False,
) -> dict[str, Any] | None:
    """Targets, what was done and the shares within target (``None`` without a prescription).

    For a hold exercise, "reps" are holds. Sets of a hold exercise are not split by rests, so
    all holds count as one set.
    """
    target = validate_prescription(prescription)
    if target is None:
        return None
    out: dict[str, Any] = {"targets": target}
    per_set = ([len(holds)] if holds else []) if hold_exercise else [s.rep_count for s in sets]
    done: dict[str, Any] = {
        "reps": len(holds) if hold_exercise else len(reps),
        "sets": len(per_set),
        "reps_per_set": per_set,
        "partial_reps": len(partial_reps),
    }
    out["done"] = done
    if "reps" in target:
        want = int(target["reps"])
        out["sets_meeting_rep_target"] = sum(1 for n in per_set if n >= want)
        total_want = want * int(target.get("sets", 1))
        out["reps_pct_of_target"] = round(100.0 * done["reps"] / total_want, 1)
    if "sets" in target:
        out["sets_pct_of_target"] = round(100.0 * len(per_set) / target["sets"], 1)
    phases = [(k, k) for k in ("concentric_s", "eccentric_s") if k in target]
    if phases and not hold_exercise:
        within = too_fast = too_slow = measured = 0
        for rep in reps:
            values = {k: getattr(rep, attr) for k, attr in phases}
            if any(v is None for v in values.values()):
                continue
            measured += 1
            ratios = [values[k] / target[k] for k, _ in phases]
            if all(TEMPO_LOW <= r <= TEMPO_HIGH for r in ratios):
                within += 1
            if any(r < TEMPO_LOW for r in ratios):
                too_fast += 1
            elif any(r > TEMPO_HIGH for r in ratios):
                too_slow += 1
        out["tempo"] = {
            "reps_measured": measured,
            "within_tempo_share": _share(within, measured),
            "too_fast_share": _share(too_fast, measured),
            "too_slow_share": _share(too_slow, measured),
            "band": f"{TEMPO_LOW:g}-{TEMPO_HIGH:g} x target",
        }
    if "hold_s" in target:
        want_s = target["hold_s"]
        durations = [h.duration_s for h in holds]
        met = sum(1 for d in durations if d >= want_s - HOLD_TOLERANCE_S)
        out["holds"] = {
            "count": len(durations),
            "mean_s": round(sum(durations) / len(durations), 2) if durations else None,
            "meeting_target": met,
            "meeting_target_share": _share(met, len(durations)),
            "tolerance_s": HOLD_TOLERANCE_S,
        }
    return out
