"""Exact rep counts, and no form issue on clean reps, on exercise clips rendered at test time
from seeds and settings that are not in the sample set (another subject, camera, tempo, side
and number of reps).

The answer key comes from the simulation; the analysis sees only the video. Marks: render,
slow (each clip is rendered with the EGL software renderer, then analysed with MediaPipe).
"""

from __future__ import annotations

import json

import pytest

from avnmotion.synth.catalog import ClipSpec

VARIANTS = [
    # front view, counted from the vertical travel of the hips; the last rep partial
    ClipSpec(
        "variant_squat",
        "squat",
        "front",
        101,
        kwargs={"reps": 3, "valgus_rep": None, "partial_rep": 2},
    ),
    # the LEFT leg works, so the camera films the left side; the middle rep partial
    ClipSpec(
        "variant_hamstring_left",
        "hamstring_curl",
        "side",
        102,
        kwargs={"reps": 3, "side": "left", "hip_flex_rep": None, "partial_rep": 1},
    ),
    # upper limb, side view, no faults
    ClipSpec(
        "variant_biceps",
        "biceps_curl",
        "side",
        104,
        kwargs={"reps": 2, "jerky_reps": (), "partial_rep": None},
    ),
]


@pytest.mark.render
@pytest.mark.slow
@pytest.mark.parametrize("spec", VARIANTS, ids=[v.name for v in VARIANTS])
def test_unseen_variant_counts_exactly(spec: ClipSpec, tmp_path) -> None:
    from tests.integration.test_synth import _model_or_skip, _renderer_or_skip

    _renderer_or_skip()
    model = _model_or_skip()
    from avnmotion.pipeline import analyze
    from avnmotion.synth.catalog import render_clip

    render_clip(spec, tmp_path)
    key = json.loads((tmp_path / f"{spec.name}.json").read_text(encoding="utf-8"))
    result = analyze(tmp_path / f"{spec.name}.mp4", task=key["task"], model_path=model)
    ex = result.exercise
    assert ex is not None
    true_reps = key["exercise"]["rep_count"]
    assert ex.rep_count == true_reps, result.quality.warnings
    assert len(ex.partial_reps) == key["exercise"]["partial_reps"]
    if key["exercise"]["side"] in ("left", "right"):
        assert ex.working_side == key["exercise"]["side"]
    # no fault was injected: no rep carries a form issue (technique or tempo)
    assert key.get("faults", []) == [] or all(f["kind"] == "partial_rep" for f in key["faults"])
    assert {r.index: r.form_issues for r in ex.reps if r.form_issues} == {}
