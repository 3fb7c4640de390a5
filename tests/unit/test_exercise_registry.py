"""The exercise registry: stable ids, valid signal names, clear errors, listing."""

from __future__ import annotations

import dataclasses

import pytest

from avnmotion.errors import AvnInputError
from avnmotion.exercises import EXERCISES, get_definition, list_exercises
from avnmotion.exercises.signals import DISTANCE_SIGNALS
from avnmotion.kinematics import AXIAL_ANGLES, PER_SIDE_ANGLES

PROGRAMME = {
    "straight_leg_raise",
    "glute_bridge",
    "glute_set",
    "quad_stretch",
    "adductor_stretch",
    "hamstring_curl",
    "leg_extension",
    "leg_press",
    "squat",
    "sit_to_stand",
    "hip_abduction",
    "biceps_curl",
    "shoulder_press",
    "lateral_raise",
}
ROM_TESTS = {"rom_hip_flexion", "rom_hip_abduction", "rom_hip_rotation"}
FUNCTION_TESTS = {
    "timed_up_and_go",
    "five_times_sit_to_stand",
    "thirty_second_chair_stand",
    "single_leg_stance",
    "gait_speed",
}


def test_ids_are_the_programme_and_tests():
    assert set(EXERCISES) == PROGRAMME | ROM_TESTS | FUNCTION_TESTS
    for i, d in EXERCISES.items():
        assert d.id == i
    assert {i for i, d in EXERCISES.items() if d.kind == "rom_test"} == ROM_TESTS
    assert {i for i, d in EXERCISES.items() if d.kind == "timed_test"} == FUNCTION_TESTS


def test_unknown_id_lists_valid_ids():
    with pytest.raises(AvnInputError) as err:
        get_definition("sqaut")
    message = str(err.value)
    assert "'sqaut'" in message
    for i in EXERCISES:
        assert i in message


def test_definitions_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        EXERCISES["squat"].title = "x"  # type: ignore[misc]


def _valid_signal(name):
    return name in PER_SIDE_ANGLES or name in AXIAL_ANGLES or name in DISTANCE_SIGNALS


@pytest.mark.parametrize("exercise_id", sorted(EXERCISES))
def test_every_definition_is_consistent(exercise_id):
    d = EXERCISES[exercise_id]
    assert d.views, "at least one view"
    assert d.cannot_verify
    for spec in d.views:
        assert spec.view in ("side", "front")
        assert _valid_signal(spec.drive.name), spec.drive.name
        assert spec.drive.min_amplitude > 0
        if spec.drive.name in AXIAL_ANGLES:
            assert spec.drive.side == "axial"
    for rule in d.form_rules:
        assert _valid_signal(rule.signal)
        assert rule.source and rule.message
        assert rule.audience in ("patient", "clinician")
        if rule.audience == "patient":
            assert rule.cue
        assert "{value" in rule.message
    if d.kind == "hold":
        assert d.hold is not None
    if d.kind in ("rom_test", "timed_test"):
        assert d.test is not None and d.test.references
    if d.kind == "rep":
        assert d.counting is not None


def test_squat_and_sit_to_stand_count_from_side_and_front():
    for i in ("squat", "sit_to_stand", "five_times_sit_to_stand"):
        d = EXERCISES[i]
        assert set(d.view_names) == {"side", "front"}
        assert d.view_spec("front").drive.name == "hip_height_leg_lengths"
        assert d.view_spec("side").drive.is_angle
        assert d.view_spec("3d") is d.views[0]


def test_specific_texts_and_requirements():
    assert "the contraction itself is not visible" in EXERCISES["glute_set"].cannot_verify
    assert EXERCISES["single_leg_stance"].requires_protocol == "single_leg_stance_allowed"
    assert EXERCISES["gait_speed"].test.delegated_to == "gait"
    assert EXERCISES["rom_hip_rotation"].seated_rotation_test
    citations = " ".join(r.citation for i in FUNCTION_TESTS for r in EXERCISES[i].test.references)
    for author in ("Bohannon", "Whitney", "Rikli", "Springer"):
        assert author in citations


def test_list_exercises_for_the_cli():
    rows = list_exercises()
    assert [r["id"] for r in rows] == list(EXERCISES)
    for r in rows:
        assert {"id", "title", "kind", "measures", "camera", "cannot_verify"} <= set(r)
        assert "view" in r["camera"]
    squat = next(r for r in rows if r["id"] == "squat")
    assert squat["camera"] == "side view or front view"
    assert "front" in squat["view_notes"]
    gait = next(r for r in rows if r["id"] == "gait_speed")
    assert gait["delegated_to"] == "gait"
