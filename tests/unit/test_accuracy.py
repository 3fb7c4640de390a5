"""Measured accuracy tables: reading them, and what results state from them."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from avnmotion import accuracy
from avnmotion.synth.validate import AngleError
from benchmarks.angle_error import summarise

ENTRY = {
    "sem": 0.3,
    "unit": "deg",
    "n_values": 10,
    "bias": -9.9,
    "max_abs_error": 13.3,
    "view": "front",
    "bias_by_side": {"left": -12.82, "right": -6.98},
}


def test_measured_accuracy_reports_bias_per_side_and_largest_error() -> None:
    acc = accuracy.measured_accuracy(
        "rom_hip_abduction/peak_deg", {"rom_hip_abduction/peak_deg": ENTRY}
    )
    assert acc is not None
    d = acc.as_dict()
    assert d["bias"] == -9.9 and d["max_abs_error"] == 13.3 and d["n_values"] == 10
    assert d["bias_by_side"] == {"left": -12.82, "right": -6.98}
    assert "mean error -9.9 deg (left -12.8, right -7.0)" in d["summary"]
    assert "largest error 13.3 deg" in d["summary"] and "not corrected" in d["summary"]
    assert accuracy.measured_accuracy("rom_hip_flexion/peak_deg", {"x": ENTRY}) is None
    no_error = {k: v for k, v in ENTRY.items() if k not in ("bias", "max_abs_error")}
    assert accuracy.measured_accuracy("m", {"m": no_error}) is None


@pytest.mark.parametrize("content", [None, "{not json", "[1, 2]"])
def test_missing_or_corrupt_files_read_as_empty(content: str | None, tmp_path: Path) -> None:
    path = tmp_path / "f.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    assert accuracy.read_measurement_error(path) == {}
    assert accuracy.read_angle_error(path) == {}


def test_angle_uncertainty_falls_back_to_the_worst_measured_value() -> None:
    table = {
        "upright": {
            "hip_flexion_deg": {"uncertainty_deg": 5.4},
            "knee_flexion_deg": {"uncertainty_deg": 13.6},
        },
        "lying": {"hip_flexion_deg": {"uncertainty_deg": 8.8}},
    }
    names = ("hip_flexion_deg", "knee_flexion_deg", "elbow_flexion_deg")
    assert accuracy.angle_uncertainty_table(names, "upright", table) == {
        "hip_flexion_deg": 5.4,
        "knee_flexion_deg": 13.6,
        "elbow_flexion_deg": 13.6,
    }
    assert accuracy.angle_uncertainty_table(names, "lying", table) == dict.fromkeys(names, 8.8)
    # a posture nobody measured takes the worst value of any posture
    assert accuracy.angle_uncertainty_table(names, "kneeling", table)["hip_flexion_deg"] == 13.6
    assert accuracy.angle_uncertainty_table(names, "upright", {}) == {}


def _err(rmse: float, n: int, lo: float, hi: float, bias: float = 0.0) -> AngleError:
    return AngleError(rmse=rmse, bias=bias, n_frames=n, min_error=lo, max_error=hi, true_range=30)


def test_summary_weights_clips_equally_and_states_the_larger_error() -> None:
    rows = [
        # clip a: both sides, 3 deg RMSE each (100 and 300 frames) -> MSE 9
        ("a", "upright", "left_knee_flexion_deg", _err(3.0, 100, 1.0, -2.0, bias=1.0)),
        ("a", "upright", "right_knee_flexion_deg", _err(3.0, 300, 0.0, 2.0, bias=-1.0)),
        # clip b: 4 deg RMSE, a large error at the extreme
        ("b", "upright", "left_knee_flexion_deg", _err(4.0, 50, 0.0, -10.0, bias=3.0)),
        # lying clips: an absolute angle is not compared, a relative one is
        ("c", "lying", "left_thigh_inclination_deg", _err(40.0, 50, 50.0, 50.0)),
        ("c", "lying", "left_hip_flexion_deg", _err(6.0, 50, 1.0, 1.0)),
    ]
    out = summarise(rows)
    knee = out["upright"]["knee_flexion_deg"]
    assert knee["frame_rmse_deg"] == pytest.approx(math.sqrt((9 + 16) / 2), abs=0.01)
    extremes = math.sqrt((1 + 4 + 0 + 4 + 0 + 100) / 6)
    assert knee["extremes_rmse_deg"] == pytest.approx(extremes, abs=0.01)
    assert knee["uncertainty_deg"] == math.ceil(extremes * 10) / 10
    assert knee["n_clips"] == 2 and knee["worst_clip"] == "b"
    assert knee["mean_bias_deg"] == pytest.approx(1.0)
    assert set(out["lying"]) == {"hip_flexion_deg"}
    assert out["lying"]["hip_flexion_deg"]["uncertainty_deg"] == 6.0


def test_shipped_angle_table_covers_both_postures() -> None:
    raw = json.loads(accuracy.ANGLE_ERROR_JSON.read_text(encoding="utf-8"))
    assert set(raw["postures"]) == {"upright", "lying"}
    for angles in raw["postures"].values():
        for entry in angles.values():
            assert entry["uncertainty_deg"] >= max(
                entry["frame_rmse_deg"], entry["extremes_rmse_deg"]
            )


def _timed_entry(max_abs: float) -> dict[str, dict[str, object]]:
    return {
        "five_times_sit_to_stand/duration_s": {
            "unit": "s",
            "bias": -0.3,
            "max_abs_error": max_abs,
            "sem": 0.1,
            "n_values": 5,
            "view": "side",
        }
    }


def test_timed_test_uncertainty_is_the_largest_measured_error() -> None:
    from avnmotion.exercises.assessments import timed_accuracy
    from avnmotion.exercises.registry import get_definition

    d = get_definition("five_times_sit_to_stand")
    stated, acc = timed_accuracy(d, 30.0, entries=_timed_entry(0.41))
    assert stated == 0.41
    assert acc["duration_s"]["max_abs_error"] == 0.41
    assert "not corrected" in acc["duration_s"]["summary"]


def test_timed_test_uncertainty_is_never_below_two_frames() -> None:
    from avnmotion.exercises.assessments import timed_accuracy
    from avnmotion.exercises.registry import get_definition

    d = get_definition("five_times_sit_to_stand")
    # a start and an end each on a frame: 2 / 30 s at 30 fps, 2 / 60 s at 60 fps
    assert timed_accuracy(d, 30.0, entries=_timed_entry(0.01))[0] == 0.07
    assert timed_accuracy(d, 60.0, entries=_timed_entry(0.01))[0] == 0.03


def test_an_unmeasured_timed_test_states_no_uncertainty() -> None:
    from avnmotion.exercises.assessments import timed_accuracy
    from avnmotion.exercises.registry import get_definition

    d = get_definition("timed_up_and_go")
    stated, acc = timed_accuracy(d, 30.0, entries={})
    assert stated is None
    assert acc == {
        "duration_s": {"measure": "timed_up_and_go/duration_s", "status": "not measured"}
    }
