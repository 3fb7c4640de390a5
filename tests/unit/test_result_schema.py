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
        "source",
        "message",
        "intervals",
    }


def test_flags_reject_unknown_audience_and_extra_fields():
    with pytest.raises(ValidationError):
        Flag(code="x", source="s", message="m", audience="family")  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        AnalysisResult.model_validate({"avnmotion_version": "0", "task": "gait", "bogus": 1})
