"""Gait analysis of the committed side-view sample clips against their answer keys.

The tracks come from MediaPipe on the rendered clips (extracted once and cached, see
``tests/tracks.py``); the keys come from the simulation. Marks: slow.

What is checked here is what the analysis meets today: cadence within 2 % of the key, and
no deviation flag on the normal walk. Not met yet (issue 4, see the closing notes): stance
time SI within 3 points, the antalgic flag on the antalgic clip, and front-view events.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from avnmotion.pipeline import analyze_track

SAMPLES = Path(__file__).resolve().parents[2] / "sample_videos"
SIDE_CLIPS = ["gait_side_normal", "gait_side_antalgic_right"]


def _analyse(name: str) -> tuple[dict[str, Any], dict[str, Any]]:
    video = SAMPLES / f"{name}.mp4"
    if not video.is_file():
        pytest.skip(f"{video.name} not in sample_videos/")
    from tests.integration.test_synth import _model_or_skip
    from tests.tracks import cached_track

    _model_or_skip()
    key = json.loads(video.with_suffix(".json").read_text(encoding="utf-8"))
    result = analyze_track(cached_track(video), "gait").model_dump(mode="json")
    return result, key


@pytest.mark.slow
@pytest.mark.parametrize("name", SIDE_CLIPS)
def test_side_view_cadence_within_two_percent(name: str) -> None:
    result, key = _analyse(name)
    gait = result["gait"]
    truth = key["gait"]["cadence_steps_per_min"]
    assert gait["cadence_steps_per_min"] == pytest.approx(truth, rel=0.02)
    # the turns in view are not walking in the side view: fewer strides than events suggest
    assert gait["strides_used"] >= 10


@pytest.mark.slow
def test_normal_walk_has_no_deviation_flag() -> None:
    result, _ = _analyse("gait_side_normal")
    assert [f["code"] for f in result["flags"]] == []
