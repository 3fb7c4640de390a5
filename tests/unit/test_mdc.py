"""Measured SEMs (synthetic lower bound) from avnmotion/data/measurement_error.json in api/mdc."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from api import mdc
from api.outcomes import measures_of

FACTOR = 1.96 * math.sqrt(2)


def _entry(sem: float | None, unit: str, view: str, **extra: Any) -> dict[str, Any]:
    return {
        "sem": sem,
        "mdc95": None if sem is None else round(FACTOR * sem, 4),
        "unit": unit,
        "n_repeats": 5,
        "n_values": 10,
        "n_missing": 0,
        "bias": 1.5,
        "view": view,
        "method": "synthetic lower bound: ...",
        **extra,
    }


MEASURED = {
    "rom_hip_flexion/peak_deg": _entry(0.8, "deg", "side", pooled_over="left and right"),
    "gait/cadence_steps_per_min": _entry(0.4, "steps/min", "side"),
    "gait/step_time_s": _entry(0.012, "s", "side", pooled_over="left and right"),
    "gait/symmetry/stance_time_s": _entry(1.2, "%", "side"),
    # Measured but without a usable SD (too few repeats): stays a placeholder.
    "gait/stride_time_s": _entry(None, "s", "side"),
}


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    mdc.measured.cache_clear()
    yield
    mdc.measured.cache_clear()


@pytest.fixture
def measured_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "measurement_error.json"
    path.write_text(json.dumps(MEASURED), encoding="utf-8")
    monkeypatch.setattr(mdc, "MEASUREMENT_ERROR_JSON", path)
    return path


def _use(monkeypatch: pytest.MonkeyPatch, path: Path) -> None:
    monkeypatch.setattr(mdc, "MEASUREMENT_ERROR_JSON", path)
    mdc.measured.cache_clear()


def test_measured_entry_is_a_synthetic_lower_bound(measured_file: Path) -> None:
    sem = mdc.sem_for_test("rom_hip_flexion", "peak_deg", "deg")
    assert sem is not None
    assert sem.status == "synthetic_lower_bound"
    assert sem.value == 0.8 and sem.unit == "deg" and sem.view == "side"
    assert math.isclose(sem.mdc95, FACTOR * 0.8)
    assert math.isclose(sem.mdc95, MEASURED["rom_hip_flexion/peak_deg"]["mdc95"], abs_tol=1e-4)
    source = sem.source
    assert source.startswith("synthetic lower bound: ")
    assert "PLACEHOLDER" not in source
    for words in ("5 repeat renders", "camera jitter", "one synthetic subject", "side view"):
        assert words in source
    assert "test-retest" in source


def test_measured_gait_values_replace_placeholders(measured_file: Path) -> None:
    cadence = mdc.sem_for_gait("cadence_steps_per_min")
    assert cadence is not None and cadence.status == "synthetic_lower_bound"
    assert cadence.value == 0.4 and math.isclose(cadence.mdc95, FACTOR * 0.4)
    step = mdc.sem_for_gait("step_time_s")
    assert step is not None and step.status == "synthetic_lower_bound" and step.value == 0.012
    si = mdc.sem_for_gait("symmetry/stance_time_s")
    assert si is not None and si.status == "synthetic_lower_bound" and si.value == 1.2
    # The placeholder table itself is unchanged.
    assert mdc.GAIT_SEM["cadence_steps_per_min"].status == "placeholder"


def test_unmeasured_measures_keep_their_placeholder_and_say_so(measured_file: Path) -> None:
    abduction = mdc.sem_for_test("rom_hip_abduction", "peak_deg", "deg")
    assert abduction is not None and abduction.status == "placeholder"
    assert abduction.value == mdc._angle_uncertainty()["leg_abduction_deg"]
    assert "PLACEHOLDER" in abduction.source
    assert "no measured value for rom_hip_abduction/peak_deg" in abduction.source
    double = mdc.sem_for_gait("double_support_pct_cycle")
    assert double is not None and double.status == "placeholder"
    assert double.value == mdc.GAIT_SEM["double_support_pct_cycle"].value
    # An entry without an SD is not a measurement.
    stride = mdc.sem_for_gait("stride_time_s")
    assert stride is not None and stride.status == "placeholder"
    assert math.isclose(stride.value, round(1 / 30, 4))
    other_si = mdc.sem_for_gait("symmetry/step_length")
    assert other_si is not None and other_si.status == "placeholder"
    assert other_si.value == mdc.GAIT_SEM["symmetry_si_pct"].value
    # Angles in general are never replaced by a test's measured value.
    angle = mdc.angle_sem("hip_flexion")
    assert angle is not None and angle.status == "placeholder"
    # No SEM at all stays None.
    assert mdc.sem_for_test("rom_hip_flexion", "reps_count", "count") is None
    assert mdc.sem_for_gait("no_such_parameter") is None


def test_measured_value_applies_to_its_view_only(measured_file: Path) -> None:
    side = mdc.sem_for_test_in_view("rom_hip_flexion", "peak_deg", "deg", "side")
    assert side is not None and side.status == "synthetic_lower_bound"
    front = mdc.sem_for_test_in_view("rom_hip_flexion", "peak_deg", "deg", "front")
    assert front is not None and front.status == "placeholder"
    assert "measured only for the side view, not front" in front.source
    gait_front = mdc.sem_for_gait_in_view("cadence_steps_per_min", "front")
    assert gait_front is not None and gait_front.status == "placeholder"
    # A different unit is not the same measure.
    assert mdc.sem_for_test("rom_hip_flexion", "peak_deg", "s") is not None
    assert mdc.sem_for_test("rom_hip_flexion", "peak_deg", "s").status == "placeholder"  # type: ignore[union-attr]


def _rom_result(view: str) -> dict[str, Any]:
    return {
        "task": "rom_hip_flexion",
        "quality": {"view": view},
        "exercise": {
            "exercise_id": "rom_hip_flexion",
            "test_result": {
                "test": "rom_hip_flexion",
                "unit": "deg",
                "value": 110.0,
                "sides": {"left": {"peak_deg": 100.0}, "right": {"peak_deg": 110.0}},
            },
        },
        "gait": None,
    }


def test_progress_measures_use_measured_sem_for_matching_view(measured_file: Path) -> None:
    side = {v.measure: v for v in measures_of(_rom_result("side"))}
    left = side["rom_hip_flexion/left/peak_deg"]
    assert left.sem is not None and left.sem.status == "synthetic_lower_bound"
    assert math.isclose(left.sem.mdc95, FACTOR * 0.8)
    front = {v.measure: v for v in measures_of(_rom_result("front"))}
    assert front["rom_hip_flexion/left/peak_deg"].sem.status == "placeholder"  # type: ignore[union-attr]
    gait = {
        "task": "gait",
        "quality": {"view": "side"},
        "gait": {
            "cadence_steps_per_min": 100.0,
            "left": {"step_time_s": 0.55, "double_support_pct_cycle": 20.0},
            "symmetry": [
                {"parameter": "stance_time_s", "si_pct": 2.0},
                {"parameter": "step_length", "si_pct": 4.0},
            ],
        },
    }
    got = {v.measure: v.sem for v in measures_of(gait)}
    assert got["gait/cadence_steps_per_min"].status == "synthetic_lower_bound"  # type: ignore[union-attr]
    assert got["gait/left/step_time_s"].value == 0.012  # type: ignore[union-attr]
    assert got["gait/symmetry/stance_time_s"].value == 1.2  # type: ignore[union-attr]
    assert got["gait/symmetry/step_length"].status == "placeholder"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "content",
    [
        None,  # missing file
        "{not json",
        "",
        '["a", "list"]',
        b"\xff\xfe\x00garbage",
        json.dumps({"rom_hip_flexion/peak_deg": "oops", "gait/step_time_s": [1, 2]}),
        json.dumps(
            {
                "rom_hip_flexion/peak_deg": {"sem": "0.8", "unit": "deg"},
                "gait/cadence_steps_per_min": {"sem": -1.0, "unit": "steps/min"},
                "gait/step_time_s": {"sem": 0.01},
                "gait/stance_pct_cycle": {"sem": float("nan"), "unit": "%"},
            }
        ),
    ],
)
def test_missing_or_corrupt_file_falls_back_to_placeholders(
    content: str | bytes | None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "measurement_error.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content, encoding="utf-8")
    _use(monkeypatch, path)
    assert mdc.load_measured(path) == {}
    for sem in (
        mdc.sem_for_test("rom_hip_flexion", "peak_deg", "deg"),
        mdc.sem_for_gait("cadence_steps_per_min"),
        mdc.sem_for_gait("step_time_s"),
        mdc.sem_for_gait("stance_pct_cycle"),
        mdc.sem_for_gait("symmetry/stance_time_s"),
    ):
        assert sem is not None and sem.status == "placeholder"
        assert "PLACEHOLDER" in sem.source
    flexion = mdc.sem_for_test("rom_hip_flexion", "peak_deg", "deg")
    assert flexion == mdc.angle_sem("hip_flexion")
    total = mdc.sem_for_test("rom_hip_rotation", "total_arc_deg", "deg")
    internal = mdc.sem_for_test("rom_hip_rotation", "internal_rotation_deg", "deg")
    assert total is not None and internal is not None
    assert math.isclose(total.value, round(internal.value * math.sqrt(2), 4))


def test_committed_measurement_file_loads() -> None:
    """The packaged file written by benchmarks/mdc.py: every entry with an SD is used."""
    path = mdc.MEASUREMENT_ERROR_JSON
    assert path.name == "measurement_error.json" and path.parent.name == "data"
    assert path.parent.parent == Path(mdc.__file__).resolve().parents[1] / "avnmotion"
    raw = json.loads(path.read_text(encoding="utf-8"))
    loaded = mdc.measured()
    with_sd = {m for m, e in raw.items() if isinstance(e.get("sem"), int | float) and e["sem"] > 0}
    assert with_sd and set(loaded) == with_sd
    for measure in with_sd:
        sem = loaded[measure]
        assert sem.status == "synthetic_lower_bound"
        assert sem.value == raw[measure]["sem"] and sem.unit == raw[measure]["unit"]
        assert math.isclose(sem.mdc95, FACTOR * sem.value)
        # The stored MDC95 comes from the unrounded SEM; SEM is stored to 4 decimals.
        assert math.isclose(sem.mdc95, raw[measure]["mdc95"], abs_tol=2.5e-4)
        task, _, key = measure.partition("/")
        if task == "gait":
            assert mdc.sem_for_gait(key) == sem
        else:
            assert mdc.sem_for_test(task, key, sem.unit) == sem


def test_core_library_and_mdc_do_not_import_fastapi() -> None:
    code = (
        "import sys, avnmotion, avnmotion.pipeline, api.mdc; api.mdc.measured(); "
        "assert 'fastapi' not in sys.modules, 'fastapi imported'"
    )
    root = Path(__file__).resolve().parents[2]
    subprocess.run([sys.executable, "-c", code], check=True, cwd=root)


def test_progress_judges_change_against_measured_mdc(measured_file: Path) -> None:
    """Change vs MDC95 over visits: measured side view (MDC95 2.22 deg) vs placeholder front."""
    import datetime as dt

    from api.db.models import Analysis, Visit
    from api.outcomes import progress_series

    t0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    visits = [
        Visit(
            id=f"v{i}",
            patient_id="p",
            date=dt.date(2026, 1 + i, 5),
            created_at=t0,
            interventions=[],
            walking_aid=None,
        )
        for i in range(3)
    ]
    analyses = []
    for i, (view, left) in enumerate(
        [("side", 100.0), ("side", 101.0), ("side", 105.0), ("front", 60.0), ("front", 65.0)]
    ):
        result = _rom_result(view)
        result["exercise"]["test_result"]["sides"]["left"]["peak_deg"] = left
        analyses.append(
            Analysis(
                id=f"a{i}",
                patient_id="p",
                visit_id=f"v{i if view == 'side' else i - 3}",
                task="rom_hip_flexion",
                status="done",
                result=result,
                created_at=t0,
                finished_at=t0,
            )
        )
    _, series, _ = progress_series(visits, analyses)
    by = {(s.measure, s.view): s for s in series}
    side = by[("rom_hip_flexion/left/peak_deg", "side")]
    assert side.sem == 0.8 and side.mdc95 == round(FACTOR * 0.8, 4)
    assert side.sem_source is not None and side.sem_source.startswith("synthetic lower bound")
    p = side.points
    assert p[1].change_vs_previous == 1.0 and p[1].exceeds_mdc_vs_previous is False
    assert p[1].note is not None and "within measurement uncertainty (MDC95 2.22 deg)" in p[1].note
    assert p[2].change_vs_previous == 4.0 and p[2].exceeds_mdc_vs_previous is True
    front = by[("rom_hip_flexion/left/peak_deg", "front")]
    assert front.sem_source is not None and "PLACEHOLDER" in front.sem_source
    assert front.mdc95 is not None and front.mdc95 > 5.0
    assert front.points[1].exceeds_mdc_vs_previous is False  # 5 deg within the placeholder MDC
