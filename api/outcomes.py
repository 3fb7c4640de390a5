"""Pain flags and progress over visits, computed from stored rows.

Progress compares like with like only: the same measure id (ROM test / function test id and
result key, or gait parameter) **and** the same camera view. Only ``rom_*`` test results are
reported as ROM; ranges of movement during gait or an exercise are not clinical ROM and appear
only as the named gait parameters (e.g. hip excursion during walking).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from api import mdc
from api.db.models import Analysis, PainScore, Visit
from api.schemas import (
    Intervention,
    MeasurePoint,
    MeasureSeries,
    PainFlag,
    PainReport,
    PainScoreOut,
    VisitBrief,
)

PAIN_RISE_POINTS = 2
NewPainCode = Literal["new_rest_pain", "new_night_pain"]
PAIN_SOURCE = (
    "service rule: a change of 2 NRS points is clinically important (Farrar et al. 2001, "
    "Pain 94:149); new rest or night pain after none is an observation to review"
)


# -- pain -----------------------------------------------------------------------------------
def pain_flags(scores: Sequence[PainScore]) -> list[PainFlag]:
    """Flags for the clinician: exercise-related rise >= 2, new rest pain, new night pain."""
    flags: list[PainFlag] = []
    last: dict[str, int] = {}
    for s in sorted(scores, key=lambda s: (s.date, s.created_at)):
        if s.before_exercise is not None and s.after_exercise is not None:
            rise = s.after_exercise - s.before_exercise
            if rise >= PAIN_RISE_POINTS:
                flags.append(
                    PainFlag(
                        code="pain_rise_after_exercise",
                        value=rise,
                        threshold=PAIN_RISE_POINTS,
                        message=f"pain rose {rise} points with exercise on {s.date} "
                        f"({s.before_exercise} before, {s.after_exercise} after)",
                        date=s.date,
                        visit_id=s.visit_id,
                        pain_score_id=s.id,
                        source=PAIN_SOURCE,
                    )
                )
        new_pain: tuple[tuple[str, NewPainCode, str], ...] = (
            ("at_rest", "new_rest_pain", "rest"),
            ("at_night", "new_night_pain", "night"),
        )
        for field, code, what in new_pain:
            value = getattr(s, field)
            if value is None:
                continue
            if last.get(field) == 0 and value > 0:
                flags.append(
                    PainFlag(
                        code=code,
                        value=value,
                        threshold=0,
                        message=f"new {what} pain on {s.date}: {value}/10 after 0 previously",
                        date=s.date,
                        visit_id=s.visit_id,
                        pain_score_id=s.id,
                        source=PAIN_SOURCE,
                    )
                )
            last[field] = value
    return flags


def pain_report(scores: Sequence[PainScore], *, for_clinician: bool) -> PainReport:
    ordered = sorted(scores, key=lambda s: (s.date, s.created_at))
    return PainReport(
        scores=[PainScoreOut.model_validate(s) for s in ordered],
        flags=pain_flags(ordered) if for_clinician else [],
    )


# -- measures from one result ------------------------------------------------------------
@dataclass(frozen=True)
class Value:
    measure: str
    label: str
    kind: str
    task: str
    side: str | None
    unit: str
    value: float
    sem: mdc.Sem | None


UNIT_SUFFIXES: tuple[tuple[str, str], ...] = (
    ("_m_per_s", "m/s"),
    ("_deg", "deg"),
    ("_pct", "%"),
    ("_s", "s"),
    ("_m", "m"),
    ("_count", "count"),
    ("reps", "count"),
)
GAIT_SIDE_PARAMS: dict[str, str] = {
    "step_time_s": "step time",
    "stride_time_s": "stride time",
    "stance_pct_cycle": "stance (% of gait cycle)",
    "single_support_pct_cycle": "single support (% of gait cycle)",
    "step_length_m": "step length",
    "hip_excursion_deg": "hip excursion during walking (not clinical ROM)",
    "peak_hip_extension_deg": "peak hip extension during walking (not clinical ROM)",
}
GAIT_PARAMS: dict[str, str] = {
    "cadence_steps_per_min": "cadence",
    "gait_speed_m_per_s": "gait speed",
}


def _unit(key: str) -> str | None:
    for suffix, unit in UNIT_SUFFIXES:
        if key.endswith(suffix):
            return unit
    return None


def _number(v: Any) -> float | None:
    if isinstance(v, bool) or not isinstance(v, int | float):
        return None
    return float(v)


def _side_of(path: Iterable[str]) -> str | None:
    for part in path:
        for side in ("left", "right", "both"):
            if part == side or part.startswith(side + "_"):
                return side
    return None


#: Bookkeeping numbers in a test result that are not outcomes (times within the clip etc.).
NOT_OUTCOMES = {"start_s", "end_s", "window_s", "sustained_s", "uncertainty_deg"}


def _test_values(test: dict[str, Any]) -> Iterator[tuple[tuple[str, ...], str, float]]:
    """Outcome values of a ROM/function ``test_result``: per side when it has sides (never the
    best-of-sides ``value``, which would mix sides), else its ``value`` in its ``unit``, plus
    other top-level values whose name carries a unit."""
    sides = test.get("sides")
    if isinstance(sides, dict) and sides:
        for side, entry in sides.items():
            if not isinstance(entry, dict) or entry.get("available") is False:
                continue
            for key, raw in entry.items():
                unit, value = _unit(key), _number(raw)
                if unit and value is not None and key not in NOT_OUTCOMES:
                    yield (str(side), key), unit, value
    elif (value := _number(test.get("value"))) is not None:
        yield ("value",), str(test.get("unit") or ""), value
    for key, raw in test.items():
        if key in ("value", "sides") or key in NOT_OUTCOMES:
            continue
        unit, value = _unit(key), _number(raw)
        if unit and value is not None:
            yield (key,), unit, value


def measures_of(result: dict[str, Any]) -> list[Value]:
    """Progress measures in one stored AnalysisResult (JSON dict)."""
    task = result.get("task", "")
    # Measured SEMs apply only to the camera view they were measured in.
    view = (result.get("quality") or {}).get("view") or "unknown"
    out: list[Value] = []
    exercise = result.get("exercise") or {}
    test = exercise.get("test_result")
    if isinstance(test, dict):
        kind = "rom_test" if task.startswith("rom_") else "function_test"
        for path, unit, value in _test_values(test):
            key = path[-1] if path[-1] != "value" else str(test.get("measure") or "value")
            out.append(
                Value(
                    measure=f"{task}/{'/'.join(path)}",
                    label=f"{task} {' '.join(path)}",
                    kind=kind,
                    task=task,
                    side=_side_of(path),
                    unit=unit,
                    value=value,
                    sem=mdc.sem_for_test_in_view(task, key, unit, view),
                )
            )
    gait = result.get("gait")
    if task == "gait" and isinstance(gait, dict):
        for key, label in GAIT_PARAMS.items():
            if (num := _number(gait.get(key))) is not None:
                out.append(
                    Value(
                        f"gait/{key}",
                        label,
                        "gait",
                        task,
                        None,
                        _unit(key) or "steps/min",
                        num,
                        mdc.sem_for_gait_in_view(key, view),
                    )
                )
        for side in ("left", "right"):
            summary = gait.get(side) or {}
            for key, label in GAIT_SIDE_PARAMS.items():
                if (num := _number(summary.get(key))) is not None:
                    out.append(
                        Value(
                            f"gait/{side}/{key}",
                            f"{label}, {side}",
                            "gait",
                            task,
                            side,
                            _unit(key) or "",
                            num,
                            mdc.sem_for_gait_in_view(key, view),
                        )
                    )
        for si in gait.get("symmetry") or []:
            if (num := _number(si.get("si_pct"))) is not None:
                param = si.get("parameter", "?")
                out.append(
                    Value(
                        f"gait/symmetry/{param}",
                        f"symmetry index of {param}",
                        "gait",
                        task,
                        None,
                        "%",
                        num,
                        mdc.sem_for_gait_in_view(f"symmetry/{param}", view),
                    )
                )
    return out


# -- progress over visits ----------------------------------------------------------------
def progress_series(
    visits: Sequence[Visit], analyses: Sequence[Analysis]
) -> tuple[list[VisitBrief], list[MeasureSeries], list[str]]:
    ordered = sorted(visits, key=lambda v: (v.date, v.created_at))
    rank = {v.id: i for i, v in enumerate(ordered)}
    notes: list[str] = []
    unlinked = sum(1 for a in analyses if a.status == "done" and a.visit_id is None)
    if unlinked:
        notes.append(f"{unlinked} finished analyses are not linked to a visit and are not shown")

    # (measure, view) -> visit id -> (finished_at, Value, analysis id); latest per visit wins.
    table: dict[tuple[str, str], dict[str, tuple[dt.datetime, Value, str]]] = defaultdict(dict)
    for a in analyses:
        if a.status != "done" or a.visit_id not in rank or not a.result:
            continue
        view = (a.result.get("quality") or {}).get("view") or "unknown"
        stamp = a.finished_at or a.created_at
        for val in measures_of(a.result):
            slot = table[(val.measure, view)]
            if a.visit_id not in slot or slot[a.visit_id][0] < stamp:
                slot[a.visit_id] = (stamp, val, a.id)

    series: list[MeasureSeries] = []
    for (measure, view), by_visit in sorted(table.items()):
        items = sorted(by_visit.items(), key=lambda kv: rank[kv[0]])
        first = items[0][1][1]
        sem = first.sem
        limit = sem.mdc95 if sem else None
        points: list[MeasurePoint] = []
        baseline: float | None = None
        previous: float | None = None
        for visit_id, (_, val, analysis_id) in items:
            visit = ordered[rank[visit_id]]
            change_prev = change_base = None
            exceeds_prev = exceeds_base = None
            if previous is not None and baseline is not None:
                change_prev = round(val.value - previous, 4)
                change_base = round(val.value - baseline, 4)
                if limit is not None:
                    exceeds_prev = abs(change_prev) > limit
                    exceeds_base = abs(change_base) > limit
                    note = (
                        None
                        if exceeds_prev
                        else "change since previous visit is within measurement uncertainty "
                        f"(MDC95 {limit:.2f} {val.unit})"
                    )
                else:
                    note = "no SEM for this measure yet: cannot judge the change"
            else:
                note = "baseline"
            point = MeasurePoint(
                visit_id=visit_id,
                visit_date=visit.date,
                analysis_id=analysis_id,
                value=round(val.value, 4),
                change_vs_previous=change_prev,
                change_vs_baseline=change_base,
                exceeds_mdc_vs_previous=exceeds_prev,
                exceeds_mdc_vs_baseline=exceeds_base,
                note=note,
            )
            baseline = val.value if baseline is None else baseline
            previous = val.value
            points.append(point)
        series.append(
            MeasureSeries(
                measure=measure,
                label=first.label,
                kind=first.kind,  # type: ignore[arg-type]
                task=first.task,
                view=view,
                side=first.side,
                unit=first.unit,
                sem=sem.value if sem else None,
                mdc95=round(limit, 4) if limit else None,
                sem_source=sem.source if sem else None,
                points=points,
            )
        )
    briefs = [
        VisitBrief(
            id=v.id,
            date=v.date,
            interventions=[Intervention.model_validate(i) for i in v.interventions or []],
            walking_aid=v.walking_aid,  # type: ignore[arg-type]
        )
        for v in ordered
    ]
    return briefs, series, notes
