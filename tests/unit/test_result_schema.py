import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from avnmotion.result import AnalysisResult, Flag, json_schema

SCHEMA_FILE = (
    Path(__file__).resolve().parents[2] / "avnmotion" / "schema" / "analysis_result.schema.json"
)


def test_checked_in_schema_matches_the_model():
    # Regenerate with: avnmotion schema > avnmotion/schema/analysis_result.schema.json
    assert json.loads(SCHEMA_FILE.read_text()) == json.loads(
        json.dumps(json_schema(), sort_keys=True)
    )


def test_schema_has_the_documented_top_level_fields():
    props = json_schema()["properties"]
    for key in (
        "schema_version",
        "avnmotion_version",
        "input",
        "task",
        "quality",
        "rom",
        "gait",
        "exercise",
        "flags",
        "processing",
    ):
        assert key in props
    flag_props = json_schema()["$defs"]["Flag"]["properties"]
    assert set(flag_props) == {
        "code",
        "severity",
        "audience",
        "side",
        "value",
        "threshold",
        "unit",
        "uncertainty",
        "source",
        "message",
        "intervals",
    }


def test_flags_reject_unknown_audience_and_extra_fields():
    with pytest.raises(ValidationError):
        Flag(code="x", source="s", message="m", audience="family")  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        AnalysisResult.model_validate({"avnmotion_version": "0", "task": "gait", "bogus": 1})


def test_numpy_values_in_free_form_fields_serialise():
    import numpy as np

    from avnmotion.result import ExerciseResult, GaitResult

    ex = ExerciseResult(
        exercise_id="thirty_second_chair_stand",
        rep_count=11,
        test_result={"complete": np.bool_(True), "value": np.int64(11), "t": np.arange(2.0)},
    )
    assert json.loads(ex.model_dump_json())["test_result"] == {
        "complete": True,
        "value": 11,
        "t": [0.0, 1.0],
    }
    gait = GaitResult(events=[], details={"steps": [{"n": np.float32(0.5)}]})
    assert json.loads(gait.model_dump_json())["details"]["steps"][0]["n"] == 0.5


@pytest.mark.parametrize("task", ["rom", "gait", "squat"])
def test_every_task_carries_the_patient_advice_and_its_protocol(task):
    from avnmotion.pipeline import analyze_track
    from avnmotion.protocol import PatientProtocol
    from avnmotion.result import PATIENT_SAFETY_ADVICE
    from tests.builders import sagittal_points, to_image_track, walking_angles

    ang = walking_angles(90)
    track = to_image_track(sagittal_points(90, ang["hip"], ang["knee"]))
    result = analyze_track(track, task)
    # gait and ROM tests are done at home too: the advice was only on exercises
    assert result.patient_advice == PATIENT_SAFETY_ADVICE
    assert result.protocol is None
    result = analyze_track(track, task, affected_side="left")
    assert result.protocol == PatientProtocol(affected_side="left")
