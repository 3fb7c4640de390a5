"""Loading observations: the same movement judged against different protocols."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from avnmotion.exercises import analyze_exercise, loading_observations
from avnmotion.kinematics import compute_kinematics
from avnmotion.protocol import PatientProtocol, Precaution, default_precautions
from tests.unit.test_exercise_poses import FPS, cosine_reps, side_points, to_track

TODAY = dt.date(2026, 6, 1)


def _knee_lift_track():
    """Standing on the right leg, the left knee lifted to 105 deg hip flexion from 4 to 7 s."""
    n = int(11 * FPS)
    t = np.arange(n) / FPS
    ramp = np.clip(np.minimum(t - 3.5, 7.5 - t) / 0.5, 0, 1)
    hip = {"left": 105.0 * ramp, "right": 0.0}
    knee = {"left": 100.0 * ramp, "right": 0.0}
    return to_track(side_points(n, hip=hip, knee=knee), noise_px=0.5)


def _analyze(track, protocol, exercise_id="rom_hip_flexion"):
    kin = compute_kinematics(track)
    return analyze_exercise(track, kin, kin, exercise_id, protocol=protocol, today=TODAY)


PRE_COLLAPSE = PatientProtocol(
    affected_side="right", stage="pre_collapse", weight_bearing="partial"
)
POSTERIOR = PatientProtocol(
    affected_side="left",
    stage="after_hip_replacement",
    replacement_approach="posterior",
    precautions=default_precautions("posterior", "left"),
)
EXPIRED = POSTERIOR.model_copy(
    update={"precautions": default_precautions("posterior", "left", TODAY - dt.timedelta(days=1))}
)


def test_same_movement_different_protocols():
    track = _knee_lift_track()
    # Pre-collapse AVN, right side, partial weight bearing: standing on the right leg alone.
    _, flags, _ = _analyze(track, PRE_COLLAPSE)
    codes = [f.code for f in flags]
    assert codes == ["weight_bearing_single_leg_affected"]
    f = flags[0]
    assert f.side == "right" and f.audience == "clinician" and f.unit == "s"
    assert f.message.startswith("stood on the right leg alone for 3.")
    assert f.value == pytest.approx(3.7, abs=0.3)  # foot off the ground from ~3.65 to ~7.35 s
    assert len(f.intervals) == 1 and f.intervals[0].start_s == pytest.approx(3.6, abs=0.4)

    # Posterior-approach replacement on the left: the flexion precaution, not weight bearing.
    _, flags, _ = _analyze(track, POSTERIOR)
    by_code = {(f.code, f.side): f for f in flags}
    flex = by_code[("precaution_hip_flexion", "left")]
    assert flex.severity == "warning" and flex.threshold == 90 and flex.unit == "deg"
    assert flex.value == pytest.approx(105, abs=2)
    assert flex.message.startswith("hip flexion 10")
    assert "trunk-thigh angle, limit 90 (proxy: not pelvis-referenced)" in flex.message
    assert flex.source.startswith("default precautions after posterior approach")
    assert flex.intervals[0].start_s == pytest.approx(4.2, abs=0.4)
    assert flex.intervals[0].end_s == pytest.approx(6.8, abs=0.4)
    # 15 deg past the limit: beyond the stated uncertainty, so not called measurement error
    assert flex.uncertainty is not None and 0 < flex.uncertainty < 15
    assert "within the angle's stated uncertainty" not in flex.message
    # Adduction needs the front view, rotation the seated test: said, not silently skipped.
    not_assessable = [f for f in flags if f.code == "precaution_not_assessable"]
    assert {f.severity for f in not_assessable} == {"info"}
    messages = " ".join(f.message for f in not_assessable)
    assert "hip adduction precaution" in messages and "front view" in messages
    assert "hip internal rotation precaution" in messages and "seated" in messages
    assert not any(f.code.startswith("weight_bearing") for f in flags)

    # The same precautions past their end date raise nothing.
    _, flags, _ = _analyze(track, EXPIRED)
    assert flags == []
    # No protocol, nothing to judge against.
    _, flags, _ = _analyze(track, None)
    assert flags == []


def test_single_leg_stance_precaution_and_both_sides():
    track = _knee_lift_track()
    kin = compute_kinematics(track)
    protocol = PatientProtocol(precautions=[Precaution(movement="single_leg_stance")])
    flags, _ = loading_observations(track, kin, protocol, today=TODAY)
    assert [(f.code, f.side) for f in flags] == [("precaution_single_leg_stance", "right")]


def test_far_foot_drawn_higher_by_perspective_is_not_off_the_ground():
    # Filmed from the side with the camera above the feet, the far foot reads 0.02-0.08 leg
    # lengths above the near one with both feet down (rendered sit-to-stand, squat, curl
    # clips). Here the far (left) foot is drawn 0.07 higher throughout: standing on the right
    # leg alone is still only the 3.7 s of the knee lift, not the whole 11 s clip.
    n = int(11 * FPS)
    t = np.arange(n) / FPS
    ramp = np.clip(np.minimum(t - 3.5, 7.5 - t) / 0.5, 0, 1)
    pts = side_points(n, hip={"left": 105.0 * ramp}, knee={"left": 100.0 * ramp})
    for point in ("ankle", "heel", "foot_index"):
        pts[f"left_{point}"][:, 1] += 0.07 * 0.9
    _, flags, _ = _analyze(to_track(pts, noise_px=0.5), PRE_COLLAPSE)
    assert [(f.code, f.side) for f in flags] == [("weight_bearing_single_leg_affected", "right")]
    assert flags[0].value == pytest.approx(3.7, abs=0.3)


@pytest.mark.parametrize("far_foot_higher_leg_lengths", [0.0, 0.07])
def test_non_weight_bearing_flags_standing_on_both_feet(far_foot_higher_leg_lengths):
    # 0.07: the far foot drawn higher by perspective (side view) is still on the ground.
    n = int(6 * FPS)
    pts = side_points(n)
    for point in ("ankle", "heel", "foot_index"):
        pts[f"left_{point}"][:, 1] += far_foot_higher_leg_lengths * 0.9
    track = to_track(pts, noise_px=0.5)
    kin = compute_kinematics(track)
    protocol = PatientProtocol(affected_side="left", weight_bearing="non", stage="pre_collapse")
    flags, _ = loading_observations(track, kin, protocol, today=TODAY)
    assert [f.code for f in flags] == ["weight_bearing_both_feet"]
    assert flags[0].value == pytest.approx(6.0, abs=0.2)


def test_a_hidden_leg_is_not_assessable_rather_than_silent():
    # Filmed from the side, the far (left) leg's knee and foot are missing: whether the patient
    # stood on it alone, or on both feet, cannot be judged, and the clip says so.
    n = int(6 * FPS)
    pts = side_points(n)
    for point in ("knee", "ankle", "heel", "foot_index"):
        pts[f"left_{point}"][:] = np.nan
    track = to_track(pts, noise_px=0.5)
    partial = PatientProtocol(affected_side="left", stage="pre_collapse", weight_bearing="partial")
    _, flags, _ = _analyze(track, partial, "squat")
    assert [(f.code, f.side, f.value) for f in flags] == [
        ("single_leg_stance_not_assessable", "left", 0.0)
    ]
    assert flags[0].severity == "info" and "not assessable" in flags[0].message
    non = partial.model_copy(update={"weight_bearing": "non"})
    codes = [f.code for f in _analyze(track, non, "squat")[1]]
    assert codes == ["single_leg_stance_not_assessable", "both_feet_stance_not_assessable"]
    # The near (right) leg is seen: judged, nothing observed, nothing said about it.
    right = partial.model_copy(update={"affected_side": "right"})
    assert _analyze(track, right, "squat")[1] == []
    # Lying, seated or arm exercises do not bear weight: no note.
    assert _analyze(track, partial, "rom_hip_flexion")[1] == []


def _sit_down_track(sit_s):
    """Standing, then sitting down in ``sit_s`` seconds (fast = dropping into the chair)."""
    s, _ = cosine_reps([1.0], up_s=0.001, top_s=2.0, down_s=sit_s, rest_s=2.0, lead_s=0.0)
    knee = 90 * (1 - s)
    lean = 10 * (1 - s)
    return to_track(side_points(s.size, hip=knee + lean, knee=knee, trunk_lean=lean))


def test_impact_and_fast_lowering_only_for_avn_without_replacement():
    fast = _sit_down_track(0.25)
    avn = PatientProtocol(affected_side="right", stage="pre_collapse")
    _, flags, _ = _analyze(fast, avn, "sit_to_stand")
    codes = {f.code for f in flags}
    assert codes == {"impact", "fast_uncontrolled_loading"}
    assert all(f.intervals for f in flags)
    # After replacement these are not the concern; a controlled sit-down raises nothing.
    after = PatientProtocol(affected_side="right", stage="after_hip_replacement")
    assert _analyze(fast, after, "sit_to_stand")[1] == []
    assert _analyze(_sit_down_track(1.5), avn, "sit_to_stand")[1] == []


def test_rotation_precaution_is_assessable_in_the_seated_test():
    n = int(6 * FPS)
    from tests.unit.test_exercise_poses import blank_track, make_kin

    rot = 20 * np.sin(np.linspace(0, 2 * np.pi, n))
    kin = make_kin(
        n, "front", left_hip_internal_rotation_deg=rot, right_hip_internal_rotation_deg=0 * rot
    )
    protocol = PatientProtocol(
        precautions=[Precaution(movement="hip_internal_rotation", limit_deg=10, side="left")]
    )
    flags, _ = loading_observations(blank_track(n), kin, protocol, today=TODAY)
    assert [f.code for f in flags] == ["precaution_hip_internal_rotation"]
    assert flags[0].value == pytest.approx(20, abs=0.5)


def test_approach_without_precautions_is_a_warning_not_a_default():
    protocol = PatientProtocol(replacement_approach="anterior", affected_side="left")
    track = _knee_lift_track()
    _, flags, warnings = _analyze(track, protocol)
    assert flags == []
    assert any("defaults are not applied" in w for w in warnings)


def test_a_limit_on_a_movement_judged_without_one_is_refused():
    # It would be ignored by the analysis and read as if it had been checked.
    from pydantic import ValidationError

    from avnmotion.protocol import Precaution

    for movement in ("impact", "single_leg_stance", "hip_abduction_resisted"):
        with pytest.raises(ValidationError, match="limit_deg does not apply"):
            Precaution(movement=movement, limit_deg=10)
        assert Precaution(movement=movement).limit_deg is None
    with pytest.raises(ValidationError, match="finite number"):
        Precaution(movement="hip_flexion", limit_deg=float("nan"))


def test_a_breach_within_measurement_error_says_so():
    """A limit passed by less than the angle's stated uncertainty is still observed, with the
    uncertainty in the flag and in its message (it read "0 deg, limit 0" for 0.1 deg)."""
    from avnmotion.protocol import Precaution

    track = _knee_lift_track()
    proto = PatientProtocol(
        affected_side="left",
        stage="after_hip_replacement",
        precautions=[Precaution(movement="hip_flexion", limit_deg=103, side="left")],
    )
    _, flags, _ = _analyze(track, proto)
    flex = next(f for f in flags if f.code == "precaution_hip_flexion")
    assert 103 < flex.value < 103 + flex.uncertainty  # peak 106 deg, uncertainty 5.2
    assert f"hip flexion {flex.value:.1f} deg" in flex.message
    assert f"within the angle's stated uncertainty of +-{flex.uncertainty:g} deg" in flex.message
