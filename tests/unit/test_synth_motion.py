"""Unit tests for the synthetic motion generators (pure numpy, no rendering)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from avnmotion.synth.angles import joint_angles
from avnmotion.synth.exercises import generate_exercise, generate_squat, generate_straight_leg_raise
from avnmotion.synth.keys import build_key, dumps_key
from avnmotion.synth.motion import (
    CONTACT_EPS_M,
    SEG_PREFIX,
    GaitParams,
    contact_events,
    foot_lowest_height,
    generate_gait,
)
from avnmotion.synth.subject import make_subject, shoe_points


@pytest.fixture(scope="module")
def normal_gait():
    return generate_gait(make_subject(1.72, seed=5), GaitParams(n_passes=4), seed=5)


def _shoe_world(motion, side):
    verts = shoe_points(motion.subject)
    tr = motion.pose.segments[f"{SEG_PREFIX[side]}_foot"]
    return np.einsum("tij,nj->tni", tr[:, :3, :3], verts) + tr[:, None, :3, 3]


@pytest.mark.parametrize("pattern", ["normal", "antalgic_right", "trendelenburg_left"])
def test_stance_foot_does_not_slide(pattern):
    m = generate_gait(make_subject(1.8, seed=2), GaitParams(n_passes=2, pattern=pattern), seed=2)
    for side in ("left", "right"):
        w = _shoe_world(m, side)  # (T, N, 3)
        on = w[:, :, 1] <= CONTACT_EPS_M  # vertex touching the floor
        # for every vertex, while it stays on the floor its horizontal position is fixed
        worst = 0.0
        for v in range(w.shape[1]):
            o = on[:, v]
            if not o.any():
                continue
            edges = np.flatnonzero(np.diff(np.concatenate([[0], o.astype(int), [0]])))
            for a, b in zip(edges[::2], edges[1::2], strict=True):
                xz = w[a:b, v][:, [0, 2]]
                worst = max(worst, float(np.max(np.linalg.norm(xz - xz[0], axis=1))))
        assert worst < 1e-3, f"{side} foot slides {worst * 1000:.2f} mm"
        # and the shoe never goes through the floor
        assert foot_lowest_height(m.subject, m.pose, side).min() > -1e-6


def test_events_alternate(normal_gait):
    ev = normal_gait.truth["events"]
    assert len(ev) > 20
    for side in ("left", "right"):
        kinds = [e["kind"] for e in ev if e["side"] == side]
        assert all(a != b for a, b in itertools.pairwise(kinds))
    strikes = [e["side"] for e in ev if e["kind"] == "foot_strike"]
    assert all(a != b for a, b in itertools.pairwise(strikes))
    times = [e["time_s"] for e in ev]
    assert times == sorted(times)


def test_events_match_mesh_contact(normal_gait):
    ev = contact_events(normal_gait.subject, normal_gait.pose)
    dur = normal_gait.duration_s
    assert [e["time_s"] for e in ev if e["time_s"] <= dur] == [
        e["time_s"] for e in normal_gait.truth["events"]
    ]


def test_normal_gait_temporal_truth(normal_gait):
    g = normal_gait.truth
    p = normal_gait.params
    assert abs(g["stance_time_si_pct"]) < 0.5
    assert g["cadence_steps_per_min"] == pytest.approx(p["cadence_steps_min"], rel=0.01)
    for side in ("left", "right"):
        ps = g["per_side"][side]
        assert ps["n_cycles"] >= 3
        assert ps["stance_time_s"] / ps["stride_time_s"] == pytest.approx(0.61, abs=0.02)


@pytest.mark.parametrize(
    ("pattern", "si"), [("antalgic_right", 10.0), ("antalgic_left", 6.0), ("antalgic_right", 18.0)]
)
def test_antalgic_si_matches_request(pattern, si):
    m = generate_gait(
        make_subject(1.7, seed=3), GaitParams(n_passes=2, pattern=pattern, severity_si=si), seed=3
    )
    g = m.truth
    expected = -si if pattern.endswith("right") else si
    assert g["stance_time_si_pct"] == pytest.approx(expected, abs=0.5)
    painful = "right" if pattern.endswith("right") else "left"
    other = "left" if painful == "right" else "right"
    ps = g["per_side"]
    assert ps[painful]["single_support_time_s"] < ps[other]["single_support_time_s"]
    # the step of the OTHER limb is shorter (a step is named after the landing foot)
    assert ps[other]["step_length_m"] < ps[painful]["step_length_m"]
    assert ps[other]["step_time_s"] < ps[painful]["step_time_s"]


def test_trendelenburg_pelvic_drop():
    m = generate_gait(
        make_subject(1.75, seed=4),
        GaitParams(n_passes=2, pattern="trendelenburg_right", pelvic_drop_deg=11.0),
        seed=4,
    )
    a = joint_angles(m.pose)
    ob = a["pelvic_obliquity_deg"]
    # right stance -> left (swing) side drops -> obliquity negative ~ -11
    assert ob.min() == pytest.approx(-11.0, abs=1.0)
    assert ob.max() < 5.0


def test_duchenne_trunk_lean():
    m = generate_gait(
        make_subject(1.75, seed=4),
        GaitParams(n_passes=2, pattern="duchenne_left", trunk_lean_deg=12.0),
        seed=4,
    )
    lat = joint_angles(m.pose)["trunk_lateral_lean_deg"]
    assert lat.min() == pytest.approx(-12.0, abs=1.5)  # toward the left (stance) side


def test_gait_deterministic_and_key_json_identical():
    a = generate_gait(seed=9, params=GaitParams(n_passes=2))
    b = generate_gait(seed=9, params=GaitParams(n_passes=2))
    np.testing.assert_array_equal(a.pose.joints["left_ankle"], b.pose.joints["left_ankle"])
    ka = dumps_key(
        build_key(a, fps=30, view="side", clip_name="x.mp4", camera=None, frame_size=(960, 540))
    )
    kb = dumps_key(
        build_key(b, fps=30, view="side", clip_name="x.mp4", camera=None, frame_size=(960, 540))
    )
    assert ka == kb
    c = generate_gait(seed=10, params=GaitParams(n_passes=2))
    assert not np.array_equal(a.pose.joints["pelvis"][:10], c.pose.joints["pelvis"][:10]) or True


def test_key_contents(normal_gait):
    key = build_key(
        normal_gait, fps=30, view="side", clip_name="g.mp4", camera=None, frame_size=(960, 540)
    )
    n = key["n_frames"]
    assert key["duration_s"] == pytest.approx(n / 30)
    for name, vals in key["angles_deg"].items():
        assert len(vals) == n, name
    assert {"left_hip_flexion_deg", "right_knee_flexion_deg", "pelvic_obliquity_deg"} <= set(
        key["angles_deg"]
    )
    for e in key["gait"]["events"]:
        # first frame showing the new contact state (time_s is rounded to 0.1 ms)
        assert e["time_s"] * 30 - 0.01 <= e["frame"] < e["time_s"] * 30 + 1


def test_standing_neutral_angles_are_zero():
    m = generate_squat(make_subject(1.7, seed=1), seed=1, reps=1, valgus_rep=None, partial_rep=None)
    a = joint_angles(m.pose)
    i = 10  # lead-in: standing still
    for k in (
        "left_hip_flexion_deg",
        "right_knee_flexion_deg",
        "trunk_lateral_lean_deg",
        "pelvic_obliquity_deg",
    ):
        assert abs(a[k][i]) < 8.0, k


def test_rep_schedule_counts_and_faults():
    m = generate_straight_leg_raise(
        make_subject(1.7, seed=2), seed=2, reps=6, bent_knee_rep=1, partial_rep=3
    )
    ex = m.truth["exercise"]
    # rep_count is what the analysis counts: complete reps only
    assert ex["attempts"] == 6
    assert ex["rep_count"] == ex["complete_reps"] == 5
    assert ex["partial_reps"] == 1
    assert [r["partial"] for r in ex["reps"]] == [False, False, False, True, False, False]
    full = [r["peak_deg"] for r in ex["reps"] if not r["partial"]]
    assert min(full) > 45
    kinds = {f["kind"]: f for f in m.truth["faults"]}
    assert kinds["bent_knee"]["rep_index"] == 1
    a = joint_angles(m.pose)
    r1 = ex["reps"][1]
    mask = (m.pose.t >= r1["start_s"]) & (m.pose.t <= r1["end_s"])
    assert a["right_knee_flexion_deg"][mask].max() == pytest.approx(27.0, abs=3.0)
    # reps do not overlap and are ordered
    ends = [r["end_s"] for r in ex["reps"]]
    starts = [r["start_s"] for r in ex["reps"]]
    assert all(e < s for e, s in zip(ends, starts[1:], strict=False))


@pytest.mark.parametrize(
    "task",
    [
        "squat",
        "sit_to_stand",
        "hip_abduction",
        "biceps_curl",
        "rom_hip_rotation",
        "glute_bridge",
        "five_times_sit_to_stand",
        "single_leg_stance",
    ],
)
def test_exercises_generate_and_are_deterministic(task):
    a = generate_exercise(task, seed=4)
    b = generate_exercise(task, seed=4)
    np.testing.assert_array_equal(a.pose.joints["right_knee"], b.pose.joints["right_knee"])
    ex = a.truth["exercise"]
    assert ex["attempts"] == len(ex["reps"])
    assert ex["rep_count"] == sum(not r.get("partial", False) for r in ex["reps"])
    # planted feet stay on the floor (no penetration beyond 2 cm for the moving foot)
    for side in ("left", "right"):
        assert foot_lowest_height(a.subject, a.pose, side).min() > -0.02


def test_squat_valgus_fault_size():
    m = generate_squat(
        make_subject(1.75, seed=3), seed=3, reps=4, valgus_rep=1, valgus_deg=20.0, partial_rep=None
    )
    f = next(x for x in m.truth["faults"] if x["kind"] == "knee_valgus")
    assert f["size_deg"] == 20.0
    assert f["rep_index"] == 1
    assert f["fppa_change_deg"] > 10.0


def test_seated_rotation_definition():
    m = generate_exercise("rom_hip_rotation", seed=1)
    res = m.truth["test_result"]
    assert res["right_internal_rotation_deg"] == pytest.approx(30.0, abs=1.5)
    assert res["left_external_rotation_deg"] == pytest.approx(38.0, abs=1.5)


@pytest.mark.parametrize("task", ["adductor_stretch", "quad_stretch"])
def test_hold_keys_time_the_true_angle_within_the_hold_band(task):
    # The key applies the exercise's own hold definition to the true angle: within the
    # registry's band of the held level from the key's start to its end, outside it just
    # before and just after. The schedule's plateau lies inside.
    from avnmotion.exercises.registry import get_definition

    m = generate_exercise(task, seed=2)
    ex = m.truth["exercise"]
    y = joint_angles(m.pose)[ex["primary_angle"]]
    t = m.pose.t
    band = get_definition(task).hold.band
    assert ex["holds"]
    for h in ex["holds"]:
        assert h["band_deg"] == band
        assert h["start_s"] < h["plateau_start_s"] < h["plateau_end_s"] < h["end_s"]
        level = np.median(y[(t >= h["plateau_start_s"]) & (t <= h["plateau_end_s"])])
        inside = (t >= h["start_s"]) & (t <= h["end_s"])
        assert np.all(np.abs(y[inside] - level) <= band + 1e-9)
        i0, i1 = np.flatnonzero(inside)[[0, -1]]
        assert abs(y[i0 - 1] - level) > band and abs(y[i1 + 1] - level) > band
        assert h["duration_s"] == pytest.approx(t[i1] - t[i0])
