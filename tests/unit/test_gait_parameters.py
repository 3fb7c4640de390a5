"""Temporal-spatial parameters and the analyze_gait entry point on synthetic walks."""

from __future__ import annotations

import numpy as np
import pytest

from avnmotion.gait import analyze_gait
from avnmotion.gait.events import DetectedEvent
from avnmotion.gait.parameters import Stride, build_strides
from avnmotion.gait.synthetic import synthetic_walk
from avnmotion.gait.validation import condition_track, project_to_camera
from avnmotion.kinematics import compute_kinematics
from avnmotion.result import GaitResult

T = 1.1
STRIDE_M = 1.3


def _analyse(  # type: ignore[no-untyped-def]
    mode: str = "3d",
    height_m: float | None = None,
    affected_side: str | None = None,
    **settings: object,
):
    track, truth = synthetic_walk(fs=60.0, stride_time_s=T, stride_length_m=STRIDE_M, **settings)
    if mode == "side":
        track = project_to_camera(track, view_axis=np.array([0.0, 0.0, -1.0]))
    track = condition_track(track)
    kin = compute_kinematics(track)
    return analyze_gait(track, kin, height_m=height_m, affected_side=affected_side), truth


def test_symmetric_walk_3d_parameters() -> None:
    (res, flags), _ = _analyse(strides_per_pass=(5,))
    assert isinstance(res, GaitResult)
    assert res.strides_used >= 6 and res.warnings == []
    assert res.cadence_steps_per_min == pytest.approx(60 / (T / 2), rel=0.03)
    assert res.gait_speed_m_per_s == pytest.approx(STRIDE_M / T, rel=0.05)
    for side in (res.left, res.right):
        assert side is not None
        assert side.stride_time_s == pytest.approx(T, abs=0.02)
        assert side.step_time_s == pytest.approx(T / 2, abs=0.02)
        assert side.stance_time_s == pytest.approx(0.6 * T, abs=0.025)
        assert side.swing_time_s == pytest.approx(0.4 * T, abs=0.025)
        assert side.single_support_time_s == pytest.approx(0.4 * T, abs=0.025)
        assert side.double_support_pct_cycle == pytest.approx(20.0, abs=2.5)
        assert side.stance_pct_cycle is not None and side.swing_pct_cycle is not None
        assert side.stance_pct_cycle + side.swing_pct_cycle == pytest.approx(100.0)
        assert side.step_length_m == pytest.approx(STRIDE_M / 2, abs=0.03)
        assert side.step_width_m == pytest.approx(0.18, abs=0.01)
        assert side.step_length_leg_lengths is not None
    assert all(s.symmetric for s in res.symmetry if s.si_pct is not None)
    assert flags == []
    assert {c.angle for c in res.cycles} >= {"hip_flexion_deg", "knee_flexion_deg"}
    assert all(len(c.mean_deg) == 101 for c in res.cycles)
    assert res.details["steps"] and res.details["strides"]
    # every phase behind the stance and swing times is listed
    phases = res.details["phases"]
    for side in ("left", "right"):
        summ = getattr(res, side)
        n = sum(1 for p in phases if p["side"] == side and p["phase"] == "stance")
        assert n == summ.n_stance_phases > 0


def test_side_view_lengths_need_height() -> None:
    (res, _), _ = _analyse("side", strides_per_pass=(5,))
    assert res.left is not None and res.left.step_length_m is None
    assert res.left.step_length_leg_lengths is not None
    assert res.gait_speed_m_per_s is None and res.gait_speed_leg_lengths_per_s is not None
    assert res.left.step_width_m is None
    (res_h, _), _ = _analyse("side", height_m=1.75, strides_per_pass=(5,))
    assert res_h.left is not None and res_h.left.step_length_m is not None
    # The synthetic leg (hip to ankle ~0.83 m) is longer than 0.491 x 1.75 m, so lengths
    # scale by that ratio; the ratio of step length to leg length is what is preserved.
    ratio = res_h.left.step_length_m / res.left.step_length_leg_lengths
    assert ratio == pytest.approx(0.491 * 1.75, rel=1e-3)


def test_asymmetric_walk_flags_antalgic_on_short_single_support_side() -> None:
    (res, flags), _ = _analyse(strides_per_pass=(6,), right_strike_fraction=0.56)
    assert res.right is not None and res.left is not None
    assert res.right.single_support_time_s < res.left.single_support_time_s
    ss = next(s for s in res.symmetry if s.parameter == "single_support_time_s")
    assert ss.lower_side == "right" and ss.symmetric is False and ss.n_pairs >= 2
    codes = {f.code: f for f in flags}
    assert codes["antalgic_pattern"].side == "right"
    assert "supports this" in codes["antalgic_pattern"].message
    assert "mixed" in codes["antalgic_pattern"].message
    assert codes["antalgic_pattern"].intervals
    assert codes["shortened_step"].side == "left"
    (_res2, flags2), _ = _analyse(
        strides_per_pass=(6,), right_strike_fraction=0.56, affected_side="right"
    )
    assert "given as affected" in next(f for f in flags2 if f.code == "antalgic_pattern").message


def test_not_enough_strides_warns_without_numbers() -> None:
    (res, flags), _ = _analyse(strides_per_pass=(1,), lead_out_s=0.3)
    assert any(w.startswith("not enough strides:") for w in res.warnings)
    assert res.cadence_steps_per_min is None and res.left is None and res.right is None
    assert res.symmetry == [] and res.cycles == [] and flags == []
    assert res.events  # the events that were found are still listed


def test_no_walking_at_all() -> None:
    track, _ = synthetic_walk(strides_per_pass=(3,), lead_in_s=2.0)
    still = condition_track(track.slice_time(track.timestamps_s < 1.0))
    res, flags = analyze_gait(still, compute_kinematics(still))
    assert res.events == [] and flags == []
    assert res.warnings[0].startswith("not enough strides: 0 complete")


def test_invalid_arguments() -> None:
    track, _ = synthetic_walk(strides_per_pass=(2,))
    kin = compute_kinematics(track)
    from avnmotion.errors import AvnInputError

    with pytest.raises(AvnInputError, match="affected_side"):
        analyze_gait(track, kin, affected_side="both")
    with pytest.raises(AvnInputError, match="height"):
        analyze_gait(track, kin, height_m=175)


def ev(side: str, kind: str, t: float) -> DetectedEvent:
    """An accepted event at ``t`` in pass 0 (for stride-building tests)."""
    return DetectedEvent(side, kind, t, 0.3, t, True, 0)  # type: ignore[arg-type]


def test_strides_need_all_cycle_events_to_be_complete() -> None:
    events = [
        ev("left", "foot_strike", 0.0),
        ev("right", "foot_off", 0.1),
        ev("right", "foot_strike", 0.5),
        ev("left", "foot_off", 0.6),
        ev("left", "foot_strike", 1.0),
        ev("right", "foot_strike", 1.5),  # right foot off at ~1.1 missed
        ev("left", "foot_off", 1.6),
        ev("left", "foot_strike", 2.0),
    ]
    strides = build_strides(events)
    left = [s for s in strides if s.side == "left"]
    assert [s.complete for s in left] == [True, False]
    phases = left[0].phases()
    assert phases["stance_time_s"] == pytest.approx(0.6)
    assert phases["single_support_time_s"] == pytest.approx(0.4)
    assert phases["double_support_time_s"] == pytest.approx(0.2)
    assert left[1].phases() == {"stride_time_s": pytest.approx(1.0)}
    assert isinstance(left[0], Stride)


def test_front_view_step_width_in_leg_lengths() -> None:
    track, _ = synthetic_walk(fs=60.0, strides_per_pass=(5,))
    camera = project_to_camera(track, view_axis=np.array([-1.0, 0, 0]), distance_m=8.0)
    front = condition_track(camera)
    res, _ = analyze_gait(front, compute_kinematics(front), height_m=1.70)
    assert res.warnings and res.warnings[0].startswith("front view")
    widths = [s["step_width_leg_lengths"] for s in res.details["steps"]]
    leg = 0.83  # synthetic hip-to-ankle distance, m
    assert np.median(widths) == pytest.approx(0.18 / leg, rel=0.2)
    assert res.left is not None and res.left.step_length_m is None
    assert res.left.step_width_m == pytest.approx(0.18 / leg * 0.491 * 1.70, rel=0.2)


def test_implausible_stride_is_left_out_of_the_phase_summaries() -> None:
    # A stride whose events are in cycle order but give a stance of 10 % of the cycle (a
    # spurious foot off) is not walking: it is left out of the phase summaries, with a note.
    from avnmotion.gait.geometry import gait_coordinates
    from avnmotion.gait.parameters import compute_parameters

    # 1 s into the walk's pass: a phase that starts right after a pass begins is a turn's.
    events = [
        ev("left", "foot_strike", 1.0),
        ev("right", "foot_off", 1.1),
        ev("right", "foot_strike", 1.5),
        ev("left", "foot_off", 1.6),  # plausible: stance 60 %
        ev("left", "foot_strike", 2.0),
        ev("right", "foot_off", 2.03),
        ev("right", "foot_strike", 2.06),
        ev("left", "foot_off", 2.1),  # stance 10 % of the cycle
        ev("left", "foot_strike", 3.0),
    ]
    track, _ = synthetic_walk(fs=60.0, strides_per_pass=(3,))
    coords = gait_coordinates(condition_track(track))
    params = compute_parameters(events, coords)
    left = [s for s in params.strides if s.side == "left"]
    assert [s.complete for s in left] == [True, False]
    # the 10 % stance is not a plausible phase either
    assert params.summaries["left"].stance_time_s == pytest.approx(0.6)
    assert params.summaries["left"].n_stance_phases == 1
    # the right stride 1.5 -> 2.06 s then has a stance of 95 % (foot off at 2.03 s): also out
    right = [s for s in params.strides if s.side == "right"]
    assert [s.complete for s in right] == [False]
    note = "stride(s) left out of the phase summaries"
    assert any(
        f"2 {note}" in n and "right at 1.50 s" in n and "left at 2.00 s" in n for n in params.notes
    )


def _side_coords(facing: np.ndarray, fs: float = 10.0):
    from avnmotion.gait.geometry import GaitCoordinates

    t = np.arange(facing.size) / fs
    return GaitCoordinates(
        t=t,
        mode="side",
        units="px",
        points={},
        velocity={},
        pass_id=np.zeros(t.size, dtype=np.intp),
        direction_changes=0,
        leg_length=100.0,
        facing_sign=facing.astype(float),
    )


def test_side_view_keeps_the_near_legs_phases() -> None:
    from avnmotion.gait.parameters import Phase, near_leg_phases

    # Facing image-right for 10 s (right leg near), then image-left (left leg near).
    coords = _side_coords(np.r_[np.ones(100), -np.ones(100)])
    phases = [
        Phase(side, kind, t0, t0 + 0.5, 0)
        for t0 in (1.0, 3.0, 5.0, 11.0, 13.0, 15.0)
        for side in ("left", "right")
        for kind in ("stance", "swing")
    ]
    kept, note = near_leg_phases(phases, coords)
    assert {(p.side, p.start_s < 10) for p in kept} == {("right", True), ("left", False)}
    assert len(kept) == 12 and "near leg's phases only (12 of 24)" in note
    # Too few near phases of one side: all are used, and the note says so.
    few = [p for p in phases if not (p.side == "left" and p.start_s > 12)]
    kept, note = near_leg_phases(few, coords)
    assert kept == few and note.startswith("side view: too few near-leg phases")


def test_a_step_that_does_not_move_forward_has_no_length() -> None:
    from avnmotion.gait.geometry import gait_coordinates
    from avnmotion.gait.parameters import compute_parameters

    track, truth = synthetic_walk(fs=60.0, strides_per_pass=(4,))
    coords = gait_coordinates(condition_track(track))
    events = [ev(side, kind, t) for (side, kind), times in truth.items() for t in times]
    # Move one right strike to the middle of its swing: the right heel is then behind.
    strikes = sorted(truth[("right", "foot_strike")])
    offs = sorted(truth[("right", "foot_off")])
    wrong = next(s for s in strikes if any(o < s for o in offs))
    off = max(o for o in offs if o < wrong)
    events = [e for e in events if not (e.side == "right" and e.time_s == wrong)]
    events.append(ev("right", "foot_strike", off + 0.05))
    params = compute_parameters(events, coords)
    moved = [s for s in params.steps if s.side == "right" and s.end_s == pytest.approx(off + 0.05)]
    assert moved and moved[0].length is None
    assert any("left out of the step lengths" in n for n in params.notes)
    assert all(s.length is not None and s.length > 0 for s in params.steps if s not in moved)
