"""Offline rep counts and partial reps on the committed sample clips against their answer keys.

The tracks come from MediaPipe on the rendered clips (extracted once and cached, see
``tests/tracks.py``); the keys come from the simulation. Marks: slow.

Clips the analysis does not count exactly today are marked ``xfail(strict=True)`` with the
measured reason, so a fix shows up as an unexpected pass and a regression on any other clip
fails (issue 5).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from avnmotion.pipeline import analyze_track

SAMPLES = Path(__file__).resolve().parents[2] / "sample_videos"

#: Clip -> why its count is not exact yet (measured on the committed clips).
KNOWN_MISCOUNTS = {
    "leg_extension": "MediaPipe reads the seated knee's full extension 20-30 deg short and "
    "noisy, so the partial rep (45% of the true range) reaches 65% of the measured range: "
    "6 reps counted instead of 5 and 1 partial",
    "glute_set": "the 3 isometric holds show only a 2.5 deg knee change: one long hold is "
    "found instead of 3",
}


def _counting_clips() -> list[str]:
    """Sample clips of exercises that count reps or holds (not the ROM-only or timed tests)."""
    from avnmotion.exercises.registry import get_definition

    out = []
    for key_path in sorted(SAMPLES.glob("*.json")):
        key = json.loads(key_path.read_text(encoding="utf-8"))
        ex = key.get("exercise")
        if not ex or not key_path.with_suffix(".mp4").is_file():
            continue
        d = get_definition(key["task"])
        if d.counting is not None or d.hold is not None:
            out.append(key_path.stem)
    return out


CLIPS = _counting_clips()


def _params() -> list[Any]:
    return [
        pytest.param(
            name,
            marks=pytest.mark.xfail(reason=KNOWN_MISCOUNTS[name], strict=True)
            if name in KNOWN_MISCOUNTS
            else (),
        )
        for name in CLIPS
    ] or [pytest.param("none", marks=pytest.mark.skip(reason="no sample clips"))]


@pytest.mark.slow
@pytest.mark.parametrize("name", _params())
def test_sample_clip_rep_count_and_partial_reps_match_the_key(name: str) -> None:
    from tests.integration.test_synth import _model_or_skip
    from tests.tracks import cached_track

    _model_or_skip()
    video = SAMPLES / f"{name}.mp4"
    key = json.loads(video.with_suffix(".json").read_text(encoding="utf-8"))
    result = analyze_track(cached_track(video), key["task"])
    ex = result.exercise
    assert ex is not None
    truth = key["exercise"]
    # rep_count is the number of holds for a hold exercise (the key lists them as reps too)
    assert ex.rep_count == truth["rep_count"], (ex.reps, ex.holds)
    assert len(ex.partial_reps) == truth.get("partial_reps", 0), ex.partial_reps
