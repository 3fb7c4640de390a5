"""Front-view cadence from mid-swing foot crossings, on synthetic walks with known timing."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from avnmotion.gait import analyze_gait
from avnmotion.gait.front import FootCrossingDetector
from avnmotion.gait.geometry import gait_coordinates
from avnmotion.gait.synthetic import synthetic_walk
from avnmotion.gait.validation import condition_track, project_to_camera
from avnmotion.kinematics import compute_kinematics
from avnmotion.track import PoseTrack

TOWARDS = np.array([-1.0, 0.0, 0.0])  # camera ahead of the walk, looking back at it


def _front(track: PoseTrack, noise_px: float = 0.0, seed: int = 0) -> PoseTrack:
    cam = project_to_camera(track, view_axis=TOWARDS, distance_m=8.0)
    if noise_px:
        img = cam.image_xyz.copy()
        w, h = cam.frame_size_px
        rng = np.random.default_rng(seed)
        img[..., 0] += rng.normal(0, noise_px / w, img.shape[:2]).astype(np.float32)
        img[..., 1] += rng.normal(0, noise_px / h, img.shape[:2]).astype(np.float32)
        cam = cam.with_(image_xyz=img)
    return condition_track(cam)


def _mid_swing_truth(truth: dict[tuple[str, str], list[float]], side: str) -> np.ndarray:
    offs, strikes = truth[(side, "foot_off")], truth[(side, "foot_strike")]
    return np.array([(o + min(s for s in strikes if s > o)) / 2 for o in offs if max(strikes) > o])


@pytest.mark.parametrize(
    ("stride_time_s", "strides"),
    [(1.1, (5,)), (1.3, (4,)), (1.0, (4, 4))],
)
def test_cadence_from_crossings_within_two_percent(
    stride_time_s: float, strides: tuple[int, ...]
) -> None:
    # The synthetic toe lifts 8 cm at mid-swing (4x a real toe clearance), which makes the
    # crossings drift with distance: measured +0.1 to +1.6 % (see avnmotion.gait.front).
    track, truth = synthetic_walk(fs=60.0, stride_time_s=stride_time_s, strides_per_pass=strides)
    front = _front(track)
    det = FootCrossingDetector().detect(gait_coordinates(front, compute_kinematics(front)))
    assert det.cadence_steps_per_min_ == pytest.approx(120.0 / stride_time_s, rel=0.02)
    assert det.n_strides_ >= 2 * sum(strides) - 3 * len(strides)
    assert det.dropped_ == 0
    # Sides alternate within a pass and each crossing lies in its own foot's swing.
    ms = det.mid_swings_
    assert all(a.side != b.side for a, b in itertools.pairwise(ms) if a.pass_id == b.pass_id)
    for m in det.mid_swings_:
        nearest = np.min(np.abs(_mid_swing_truth(truth, m.side) - m.time_s))
        assert nearest < 0.3 * stride_time_s


def test_noise_of_a_pixel_keeps_the_cadence() -> None:
    track, _ = synthetic_walk(fs=60.0, stride_time_s=1.1, strides_per_pass=(5,))
    for seed in range(3):
        front = _front(track, noise_px=1.0, seed=seed)
        det = FootCrossingDetector().detect(gait_coordinates(front, compute_kinematics(front)))
        assert det.cadence_steps_per_min_ == pytest.approx(120.0 / 1.1, rel=0.02)


def test_standing_still_gives_no_crossings_and_no_cadence() -> None:
    track, _ = synthetic_walk(fs=60.0, strides_per_pass=(4,))
    still = track.with_(
        world_xyz=np.broadcast_to(track.world_xyz[:1], track.world_xyz.shape).copy()
    )
    front = _front(still, noise_px=1.0)
    det = FootCrossingDetector().detect(gait_coordinates(front, compute_kinematics(front)))
    assert det.mid_swings_ == []
    assert det.cadence_steps_per_min_ is None and det.n_strides_ == 0


def test_front_view_gait_reports_crossing_cadence_and_its_limits() -> None:
    track, _ = synthetic_walk(fs=60.0, stride_time_s=1.1, strides_per_pass=(5,))
    front = _front(track)
    res, flags = analyze_gait(front, compute_kinematics(front))
    crossings = res.details["front_view_crossings"]
    assert res.cadence_steps_per_min == crossings["cadence_steps_per_min"]
    assert res.cadence_steps_per_min == pytest.approx(120.0 / 1.1, rel=0.02)
    assert crossings["cadence_se_steps_per_min"] < 1.0
    assert any("pelvic drop" in w for w in res.warnings)
    assert flags == []
    # phase times from foot stillness are not reported from the front, and say why
    assert res.left is not None and res.left.stance_time_s is None
    assert res.left.step_time_s is None
    # stride times per side and the strides behind the cadence come from the crossings
    assert res.left.stride_time_s == pytest.approx(1.1, rel=0.02)
    assert res.strides_used == crossings["n_strides"]
    stance = {s.parameter: s for s in res.symmetry}["stance_time_s"]
    assert stance.si_pct is None and "front view" in (stance.reason or "")
    # nor do the per-stride and per-step tables carry them
    assert res.details["phases"] == []
    assert all("stance_time_s" not in row for row in res.details["strides"])
    assert all("step_time_s" not in row for row in res.details["steps"])


def test_too_short_a_front_walk_has_no_cadence_and_says_why() -> None:
    # The walker leaves the view 1.8 s in: one crossing interval, no stride to time.
    track, _ = synthetic_walk(fs=60.0, stride_time_s=1.1, missing_s=[(1.8, 99.0)])
    front = _front(track)
    res, flags = analyze_gait(front, compute_kinematics(front))
    assert res.cadence_steps_per_min is None and flags == []
    assert res.details["front_view_crossings"]["n_strides"] == 1
    assert any(w.startswith("front view: no cadence") for w in res.warnings)
    assert any(w.startswith("not enough strides") for w in res.warnings)
