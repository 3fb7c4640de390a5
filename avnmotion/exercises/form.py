"""Per-rep form checks from declarative :class:`~avnmotion.exercises.registry.FormRule` s, and
technique cues (tempo, smoothness).

A rule reads one signal over one phase of a rep (whole rep, away from rest, top, return, or a
hold) and compares one measure (max, min, absolute max, range, or rise: the phase's maximum
minus the signal's level at the start of the rep, the median of its first
:data:`START_LEVEL_S`) with its threshold. Rules for the
patient become short cues in ``ExerciseResult.patient_messages`` and codes in
``Rep.form_issues``; rules for the clinician become :class:`~avnmotion.result.Flag` s.

The absence of a form issue does not mean the technique was right: only what the rules check,
in the planes the camera sees, is judged.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from avnmotion.exercises.registry import FormRule
from avnmotion.exercises.signals import get_signal
from avnmotion.kinematics import Kinematics
from avnmotion.result import Flag, Interval
from avnmotion.track import PoseTrack

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class Window:
    """Frames of one rep (or hold) per phase, as index arrays."""

    rep: NDArray[np.intp]
    away: NDArray[np.intp]
    top: NDArray[np.intp]
    ret: NDArray[np.intp]
    side: str  # "left", "right" or "both"
    start_s: float
    end_s: float
    label: int  # 1-based rep number for messages

    def phase(self, name: str) -> NDArray[np.intp]:
        return {"rep": self.rep, "away": self.away, "top": self.top, "return": self.ret}.get(
            name, self.rep
        )


@dataclass(frozen=True)
class Violation:
    rule: FormRule
    side: str | None
    value: float
    window: Window


#: The "start of the rep" level for the ``rise`` measure: the median over this long.
START_LEVEL_S = 0.2


def _measure(values: FloatArray, measure: str, start: FloatArray | None = None) -> float | None:
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return None
    if measure == "rise":
        base = start[np.isfinite(start)] if start is not None else np.empty(0)
        return float(finite.max() - np.median(base)) if base.size else None
    if measure == "max":
        return float(finite.max())
    if measure == "min":
        return float(finite.min())
    if measure == "abs_max":
        return float(np.abs(finite).max())
    return float(finite.max() - finite.min())  # range


def _violates(value: float, rule: FormRule) -> bool:
    return value > rule.threshold if rule.comparator == ">" else value < rule.threshold


def rule_unavailable(rule: FormRule, kin: Kinematics, track: PoseTrack) -> str | None:
    """Why a rule cannot be evaluated in this clip (view), or ``None``."""
    side = "axial" if rule.side == "axial" else "left"
    _, reason = get_signal(rule.signal, side, kin, track)
    return reason


def evaluate_rules(
    rules: tuple[FormRule, ...],
    windows: list[Window],
    kin: Kinematics,
    track: PoseTrack,
) -> tuple[list[Violation], dict[str, str]]:
    """Check every rule on every window; returns violations and unavailable rules (reason)."""
    violations: list[Violation] = []
    unavailable: dict[str, str] = {}
    cache: dict[tuple[str, str], FloatArray] = {}

    def signal(name: str, side: str) -> FloatArray:
        key = (name, side)
        if key not in cache:
            cache[key] = get_signal(name, side, kin, track)[0]
        return cache[key]

    n_start = max(1, round(START_LEVEL_S * track.sampling_rate_hz))
    for rule in rules:
        reason = rule_unavailable(rule, kin, track)
        if reason is not None:
            unavailable[f"form_{rule.code}"] = f"{rule.code} not checked: {reason}"
            continue
        for w in windows:  # loop over reps (events)
            frames = w.phase(rule.phase)
            if frames.size == 0:
                continue
            if rule.side == "axial":
                sides: tuple[str, ...] = ("axial",)
            elif rule.side == "each":
                sides = ("left", "right") if w.side == "both" else (w.side,)
            else:
                sides = (w.side,)
            for s in sides:
                y = signal(rule.signal, s)
                value = _measure(y[frames], rule.measure, y[w.rep[:n_start]])
                if value is not None and _violates(value, rule):
                    violations.append(
                        Violation(rule, None if s in ("axial", "both") else s, value, w)
                    )
    return violations, unavailable


def _rep_list(labels: list[int], noun: str = "rep", times: dict[int, float] | None = None) -> str:
    """``rep 4`` / ``reps 4, 5``; with ``times`` (label -> start, s) also where they are.

    Rep numbers count counted reps only (as the live counter shows them), so after a partial
    rep a patient counting every attempt would look one rep too early: the start times in
    the recording say which movement is meant.
    """
    labels = sorted(set(labels))
    word = noun if len(labels) == 1 else noun + "s"
    text = f"{word} {', '.join(str(x) for x in labels)}"
    if times and all(x in times for x in labels):
        text += f": at {', '.join(f'{times[x]:.1f}' for x in labels)} s in the recording"
    return text


def patient_cues(
    violations: list[Violation], noun: str = "rep", with_times: bool = False
) -> list[str]:
    """One cue per patient rule, naming the reps (or holds) it applies to, and with
    ``with_times`` (a recording, not live) their start times."""
    by_code: dict[str, tuple[str, list[int]]] = {}
    times: dict[int, float] = {}
    for v in violations:
        if v.rule.audience != "patient" or not v.rule.cue:
            continue
        _cue, labels = by_code.setdefault(v.rule.code, (v.rule.cue, []))
        labels.append(v.window.label)
        times[v.window.label] = v.window.start_s
    return [
        f"{cue} ({_rep_list(labels, noun, times if with_times else None)})"
        for cue, labels in by_code.values()
    ]


def clinician_flags(
    violations: list[Violation], n_windows: int, unit_word: str = "reps"
) -> list[Flag]:
    """One flag per clinician rule and side: worst value, the reps' time intervals."""
    groups: dict[tuple[str, str | None], list[Violation]] = {}
    for v in violations:
        if v.rule.audience == "clinician":
            groups.setdefault((v.rule.code, v.side), []).append(v)
    flags = []
    for (_, side), group in groups.items():
        rule = group[0].rule
        worst = max(group, key=lambda v: v.value if rule.comparator == ">" else -v.value)
        message = rule.message.format(value=worst.value, threshold=rule.threshold)
        flags.append(
            Flag(
                code=rule.code,
                severity=rule.severity,
                audience="clinician",
                side=side,  # type: ignore[arg-type]
                value=round(worst.value, 1),
                threshold=rule.threshold,
                unit=rule.unit,
                source=rule.source,
                message=f"{message} ({len(group)} of {n_windows} {unit_word})",
                intervals=[
                    Interval(start_s=round(v.window.start_s, 3), end_s=round(v.window.end_s, 3))
                    for v in group
                ],
            )
        )
    return flags


# -- tempo and smoothness ------------------------------------------------------------------
TOO_FAST_FRACTION = 0.6


@dataclass(frozen=True)
class TempoTarget:
    concentric_s: float | None
    eccentric_s: float | None
    prescribed: bool


def tempo_issues(
    concentric_s: float | None,
    eccentric_s: float | None,
    reversals: int,
    target: TempoTarget,
) -> list[str]:
    """Codes ``too_fast`` / ``jerky`` for one rep.

    With a prescription, a phase is too fast below 60% of the prescribed duration (the measured
    5-90% times run short of the full movement time); without one, below the definition's
    slowest-acceptable default. A rep with direction reversals beyond the one at the top is
    jerky.
    """
    issues = []
    factor = TOO_FAST_FRACTION if target.prescribed else 1.0
    for measured, wanted in (
        (concentric_s, target.concentric_s),
        (eccentric_s, target.eccentric_s),
    ):
        if measured is not None and wanted and measured < factor * wanted:
            issues.append("too_fast")
            break
    if reversals > 0:
        issues.append("jerky")
    return issues


def tempo_cues(
    rep_issues: dict[int, list[str]], target: TempoTarget, times: dict[int, float] | None = None
) -> list[str]:
    """Slow-down and smoothness cues naming the reps (``times``: label -> start, s)."""
    too_fast = [k for k, issues in rep_issues.items() if "too_fast" in issues]
    jerky = [k for k, issues in rep_issues.items() if "jerky" in issues]
    cues = []
    if too_fast:
        parts = []
        if target.concentric_s:
            parts.append(f"about {target.concentric_s:g} s to lift")
        if target.eccentric_s:
            parts.append(f"about {target.eccentric_s:g} s to lower")
        detail = f": take {' and '.join(parts)}" if parts else ""
        cues.append(f"Slow down{detail} ({_rep_list(too_fast, times=times)}).")
    if jerky:
        cues.append(
            f"Move smoothly, without stopping and starting again ({_rep_list(jerky, times=times)})."
        )
    return cues
