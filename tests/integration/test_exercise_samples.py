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
KNOWN_MISCOUNTS: dict[str, str] = {}


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


def _with_misses(names: list[str] | tuple[str, ...], misses: dict[str, str]) -> list[Any]:
    """``names`` as pytest params, the known misses marked ``xfail(strict=True)``."""
    return [
        pytest.param(n, marks=pytest.mark.xfail(reason=misses[n], strict=True))
        if n in misses
        else n
        for n in names
    ] or [pytest.param("none", marks=pytest.mark.skip(reason="no sample clips"))]


@pytest.mark.slow
@pytest.mark.parametrize("name", _with_misses(CLIPS, KNOWN_MISCOUNTS))
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


def _analyse(name: str) -> tuple[Any, dict[str, Any]]:
    from tests.integration.test_synth import _model_or_skip
    from tests.tracks import cached_track

    video = SAMPLES / f"{name}.mp4"
    if not video.is_file():
        pytest.skip(f"{video.name} not in sample_videos/")
    _model_or_skip()
    key = json.loads(video.with_suffix(".json").read_text(encoding="utf-8"))
    ex = analyze_track(cached_track(video), key["task"]).exercise
    assert ex is not None
    return ex, key


@pytest.mark.slow
@pytest.mark.parametrize(
    "name",
    ["five_times_sit_to_stand", "thirty_second_chair_stand", "single_leg_stance"],
)
def test_timed_tests_within_half_a_second_of_the_key(name: str) -> None:
    # measured: 5x sit-to-stand 12.67 s (key 13.00), 10 stands (10), single-leg 8.40 s (8.80)
    from avnmotion.synth.validate import compare_test_result

    ex, key = _analyse(name)
    pairs = compare_test_result(ex.test_result, key["test_result"])
    assert pairs
    for measure, (got, truth, unit) in pairs.items():
        assert got is not None, measure
        assert got == (truth if unit == "count" else pytest.approx(truth, abs=0.5)), measure


@pytest.mark.slow
@pytest.mark.parametrize("name", ["five_times_sit_to_stand", "single_leg_stance"])
def test_timed_test_uncertainty_covers_its_error_on_the_sample_clip(name: str) -> None:
    # The stated uncertainty_s comes from repeat renders of another subject (benchmarks/mdc.py);
    # the sample clip is a different subject and camera, so this checks that it carries over.
    from avnmotion.synth.validate import compare_test_result

    ex, key = _analyse(name)
    result = ex.test_result
    got, truth, _unit = compare_test_result(result, key["test_result"])["duration_s"]
    assert got is not None and result["uncertainty_s"] is not None
    assert abs(got - truth) <= result["uncertainty_s"]
    assert "not corrected" in result["accuracy"]["duration_s"]["summary"]


HOLD_MISSES: dict[str, str] = {}


@pytest.mark.slow
@pytest.mark.parametrize(
    "name", _with_misses(("adductor_stretch", "glute_set", "quad_stretch"), HOLD_MISSES)
)
def test_hold_durations_within_half_a_second_of_the_key(name: str) -> None:
    # measured (key): adductor 7.07, 7.10 s (6.92, 6.92); quad 6.50, 6.40 (6.61, 6.61);
    # glute_set squeezes 4.17, 4.40, 4.47 (4.43 each), timed by the hip angle's change
    ex, key = _analyse(name)
    truth = [h["duration_s"] for h in key["exercise"]["holds"]]
    assert len(ex.holds) == len(truth)
    for hold, true_s in zip(ex.holds, truth, strict=True):
        assert hold.duration_s == pytest.approx(true_s, abs=0.5)


#: rom_hip_abduction read 30.6 and 31.1 deg for true 38 and 43 when it was measured on
#: MediaPipe's hip-hip line and thigh; on the straight leg against the trunk line it passes.
ROM_MISSES: dict[str, str] = {}


@pytest.mark.slow
@pytest.mark.parametrize(
    "name", _with_misses(("rom_hip_flexion", "rom_hip_abduction", "rom_hip_rotation"), ROM_MISSES)
)
def test_rom_test_values_within_five_degrees_of_the_key(name: str) -> None:
    from avnmotion.synth.validate import compare_test_result

    ex, key = _analyse(name)
    pairs = compare_test_result(ex.test_result, key["test_result"])
    assert len(pairs) >= 2
    for measure, (got, truth, _unit) in pairs.items():
        assert got is not None, measure
        assert got == pytest.approx(truth, abs=5.0), measure


@pytest.mark.slow
@pytest.mark.parametrize("name", ("rom_hip_flexion", "rom_hip_abduction", "rom_hip_rotation"))
def test_rom_test_uncertainty_covers_its_error_on_the_sample_clip(name: str) -> None:
    # The stated uncertainty is never smaller than an error measured on rendered truth
    # (rom_hip_abduction once read 7.4 and 11.9 deg low here while it claimed +-5).
    from avnmotion.synth.validate import compare_test_result

    ex, key = _analyse(name)
    result = ex.test_result
    pairs = compare_test_result(result, key["test_result"])
    for measure, (got, truth, _unit) in pairs.items():
        assert got is not None
        assert abs(got - truth) <= result["uncertainty_deg"], measure
    measured = [a for a in result["accuracy"].values() if a.get("bias") is not None]
    assert measured and all("not corrected" in a["summary"] for a in measured)


#: Injected fault (key ``faults[].kind``) -> the form-issue codes that report it on its rep.
#: ``hip_flexion_past_90`` is judged against a protocol's precautions (tests of the loading
#: module), not as technique; partial reps are checked by the count test above.
FAULT_CODES = {
    "bent_knee": {"slr_knee_bent"},
    "knee_valgus": {"knee_valgus"},
    "trunk_lean": {"trunk_lateral_lean"},
    "above_shoulder_height": {"raise_above_shoulder"},
    "hip_flexion_compensation": {"hamstring_curl_hip_flexion"},
    "jerky_fast_rep": {"too_fast", "jerky"},
}
NOT_TECHNIQUE = {"partial_rep", "hip_flexion_past_90"}

FAULT_MISSES: dict[str, str] = {}


def _fault_clips() -> list[str]:
    out = []
    for key_path in sorted(SAMPLES.glob("*.json")):
        key = json.loads(key_path.read_text(encoding="utf-8"))
        if key.get("exercise") and key.get("faults") and key_path.with_suffix(".mp4").is_file():
            out.append(key_path.stem)
    return out


@pytest.mark.slow
@pytest.mark.parametrize("name", _with_misses(_fault_clips(), FAULT_MISSES))
def test_injected_faults_are_flagged_on_their_rep_and_clean_reps_have_none(name: str) -> None:
    ex, key = _analyse(name)

    def overlapping(start_s: float, end_s: float) -> list[Any]:
        return [r for r in ex.reps if r.start_s < end_s and r.end_s > start_s]

    faulty: set[int] = set()
    for fault in key["faults"]:
        if fault["kind"] in NOT_TECHNIQUE:
            continue
        reps = overlapping(fault["start_s"], fault["end_s"])
        assert len(reps) == 1, (fault, ex.reps)
        assert FAULT_CODES[fault["kind"]] & set(reps[0].form_issues), (fault, reps[0])
        faulty.add(reps[0].index)
    clean = {r.index: r.form_issues for r in ex.reps if r.index not in faulty}
    assert all(not issues for issues in clean.values()), clean


#: Clips with no stance on the right leg alone: the left foot stays down (the seated rotation
#: test; standing on both feet, or curling or holding up the right leg, from the side).
NO_RIGHT_STANCE = (
    "rom_hip_rotation",
    "sit_to_stand",
    "five_times_sit_to_stand",
    "thirty_second_chair_stand",
    "mini_squat",
    "biceps_curl",
    "hamstring_curl",
    "quad_stretch",
)


@pytest.mark.slow
def test_single_leg_observation_on_the_stance_test_and_not_where_both_feet_are_down() -> None:
    """Toe-touch weight bearing on the right: standing on the right leg alone is observed on
    the single-leg stance test (its 6-cm foot lift was missed by a stricter lift threshold
    than the test's own) and on no clip in which the other foot stays down: not on the seated
    rotation test (the foreshortened thighs made the seated patient look upright: "stood on
    the right leg alone for 1.6 s"), and not from the side, where the far foot reads higher
    than the near one by perspective (the toes' height above the other foot's gave 1.1-5.1 s
    on all of :data:`NO_RIGHT_STANCE` but the seated test)."""
    from avnmotion.protocol import PatientProtocol
    from tests.integration.test_synth import _model_or_skip
    from tests.tracks import cached_track

    _model_or_skip()
    proto = PatientProtocol(affected_side="right", stage="pre_collapse", weight_bearing="toe_touch")
    codes = {}
    for name in ("single_leg_stance", *NO_RIGHT_STANCE):
        video = SAMPLES / f"{name}.mp4"
        if not video.is_file():
            pytest.skip(f"{video.name} not in sample_videos/")
        key = json.loads(video.with_suffix(".json").read_text(encoding="utf-8"))
        result = analyze_track(cached_track(video), key["task"], protocol=proto)
        codes[name] = {f.code: f for f in result.flags}
    stance = codes["single_leg_stance"].get("weight_bearing_single_leg_affected")
    assert stance is not None and stance.side == "right"
    truth = json.loads((SAMPLES / "single_leg_stance.json").read_text(encoding="utf-8"))
    assert truth["test_result"]["stance_side"] == "right"
    # measured 8.58 s; true 8.8 s (the observation needs the foot 0.05 leg lengths up)
    assert stance.value == pytest.approx(truth["test_result"]["duration_s"], abs=0.5)
    wrong = {
        n: codes[n]["weight_bearing_single_leg_affected"].value
        for n in NO_RIGHT_STANCE
        if "weight_bearing_single_leg_affected" in codes[n]
    }
    assert wrong == {}
