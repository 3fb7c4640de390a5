"""Gait analysis of the committed sample clips against their answer keys.

The tracks come from MediaPipe on the rendered clips (extracted once and cached, see
``tests/tracks.py``); the keys come from the simulation. Marks: slow.

Checked: cadence within 2 % of the key (side view from foot contacts, front view from the
mid-swing foot crossings); stance-time SI within 3 points of the key on both side-view walks
(measured -1.7 for -0.0 and -7.6 for -10.0 from the near leg's phases, 12 passes each); the
antalgic observation on the painful side and no observation on the normal walk. Not met yet
(issue 4, see the closing notes; ``xfail(strict=True)``): the Trendelenburg flag (MediaPipe's
hip line does not follow the rendered pelvic drop: r = -0.32 with the true obliquity). In
windows of +-0.15 s around the mid-swing crossings (single support in 38 of 41 crossings
by the key) the true drop toward the swing side averages 9.3 deg in the right single
supports of the Trendelenburg clip and at most 3.9 deg elsewhere; the projected true hip
joints give 9.2 deg, MediaPipe's image hips -0.3 deg and its world landmarks 0.5 deg. The
left-right hip height difference moves with a gain of about -0.1 against the true one, so
the drop is not in the landmarks; with them the existing 10-deg rule would separate the
clips.
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
@pytest.mark.parametrize("name", SIDE_CLIPS)
def test_side_view_stance_si_within_three_points(name: str) -> None:
    # measured -0.8 (key -0.0) on the normal walk, -7.3 (key -10.0) on the antalgic one
    result, key = _analyse(name)
    symmetry = {s["parameter"]: s for s in result["gait"]["symmetry"]}
    truth = key["gait"]["stance_time_si_pct"]
    assert symmetry["stance_time_s"]["si_pct"] == pytest.approx(truth, abs=3.0)
    assert symmetry["stance_time_s"]["n_pairs"] >= 4  # its spread is reported


@pytest.mark.slow
def test_antalgic_flag_on_the_painful_side() -> None:
    # single-support SI -14.4 % (key -16.8 %); the right step is the longer one, no
    # shortened-step observation
    result, _ = _analyse("gait_side_antalgic_right")
    assert [(f["code"], f["side"]) for f in result["flags"]] == [("antalgic_pattern", "right")]


@pytest.mark.slow
def test_normal_walk_has_no_deviation_flag() -> None:
    result, _ = _analyse("gait_side_normal")
    assert [f["code"] for f in result["flags"]] == []


FRONT_CLIPS = ["gait_front_normal", "gait_front_trendelenburg_right"]


@pytest.mark.slow
@pytest.mark.parametrize("name", FRONT_CLIPS)
def test_front_view_cadence_within_two_percent(name: str) -> None:
    # measured +0.7 % (normal) and -0.7 % (Trendelenburg) from 13-14 strides of crossings
    result, key = _analyse(name)
    gait = result["gait"]
    crossings = gait["details"]["front_view_crossings"]
    assert crossings["n_strides"] >= 10
    truth = key["gait"]["cadence_steps_per_min"]
    assert gait["cadence_steps_per_min"] == pytest.approx(truth, rel=0.02)
    assert any("pelvic drop" in w for w in result["quality"]["warnings"])


@pytest.mark.slow
@pytest.mark.xfail(
    reason="MediaPipe's hip line does not follow the rendered pelvic drop (r = -0.32 with the "
    "true obliquity; SD 2.5 vs 6.4 deg), and foot contacts from the front are too few",
    strict=True,
)
def test_trendelenburg_flag_only_on_the_trendelenburg_clip() -> None:
    codes = {
        name: [(f["code"], f["side"]) for f in _analyse(name)[0]["flags"]] for name in FRONT_CLIPS
    }
    assert ("trendelenburg_pattern", "right") in codes["gait_front_trendelenburg_right"]
    assert not any(c == "trendelenburg_pattern" for c, _ in codes["gait_front_normal"])
