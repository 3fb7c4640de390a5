"""Gait events on synthetic walks with known contact times."""

from __future__ import annotations

import numpy as np
import pytest

from avnmotion.gait.events import (
    DetectedEvent,
    FootVelocityEventDetector,
    ZeniEventDetector,
    detect_events,
    enforce_sequence,
    events_by_side,
    parabolic_offset,
)
from avnmotion.gait.synthetic import synthetic_walk
from avnmotion.gait.validation import (
    condition_track,
    match_events,
    project_to_camera,
    unmatched_detections,
)
from avnmotion.kinematics import compute_kinematics
from avnmotion.track import PoseTrack

FS = 60.0


def _detect(track: PoseTrack, mode: str) -> ZeniEventDetector:
    src = track if mode == "3d" else project_to_camera(track, view_axis=np.array([0.0, 0, -1]))
    conditioned = condition_track(src)
    det = detect_events(conditioned, compute_kinematics(conditioned))
    assert isinstance(det, ZeniEventDetector)
    return det


def _errors(det: ZeniEventDetector, truth: dict[tuple[str, str], list[float]]) -> np.ndarray:
    t = det.coords_.t
    matches = match_events(events_by_side(det.events_), truth, t[0], t[-1])
    missed = [m for m in matches if m.error_s is None]
    assert not missed, f"missed: {missed}"
    return np.array([m.error_s for m in matches])


@pytest.mark.parametrize("mode", ["3d", "side"])
def test_straight_walk_events_within_a_frame(mode: str) -> None:
    track, truth = synthetic_walk(fs=FS, strides_per_pass=(4,))
    det = _detect(track, mode)
    err = _errors(det, truth)
    assert np.mean(np.abs(err)) <= 0.010
    assert np.max(np.abs(err)) <= 1.5 / FS
    assert det.dropped_ == 0
    assert not unmatched_detections(events_by_side(det.events_), truth, 0, 99)


@pytest.mark.parametrize("mode", ["3d", "side"])
def test_walking_back_and_forth(mode: str) -> None:
    track, truth = synthetic_walk(fs=FS, strides_per_pass=(3, 2, 3), turn_s=1.5)
    det = _detect(track, mode)
    err = _errors(det, truth)
    assert np.max(np.abs(err)) <= 1.5 / FS
    assert det.coords_.direction_changes == 2
    # Anything not in the truth lies at a pass boundary (the standing turns).
    extra = unmatched_detections(events_by_side(det.events_), truth, 0, 99)
    starts = [0.6 + 0.6 + 3 * 1.1, 0.6 + 0.6 + 3 * 1.1 + 1.5 + 0.6 + 0.6 + 2 * 1.1]
    for _, _, t in extra:
        assert min(abs(t - s) for s in starts) < 1.8


@pytest.mark.parametrize("mode", ["3d", "side"])
def test_nobody_in_view_gap(mode: str) -> None:
    track, truth = synthetic_walk(fs=FS, strides_per_pass=(5,), missing_s=[(2.4, 2.9)])
    det = _detect(track, mode)
    err = _errors(det, truth)
    assert np.max(np.abs(err)) <= 1.5 / FS
    # No event is invented inside the gap.
    assert not any(2.4 < e.time_s < 2.9 for e in det.events_)


def test_events_near_record_edges_are_reported() -> None:
    track, truth = synthetic_walk(fs=FS, strides_per_pass=(4,))
    t = track.timestamps_s
    first_fs = min(truth[("left", "foot_strike")])  # 0.6 s
    last_fs = max(truth[("left", "foot_strike")])
    cut = track.slice_time((t >= first_fs - 0.15) & (t <= last_fs + 0.15))
    det = _detect(cut, "3d")
    times = [e.time_s for e in det.events_ if e.side == "left" and e.kind == "foot_strike"]
    assert min(abs(np.array(times) - last_fs)) < 1.5 / FS
    assert min(abs(np.array(times) - first_fs)) < 1.5 / FS


def test_standing_still_gives_no_events() -> None:
    track, _ = synthetic_walk(fs=FS, strides_per_pass=(4,), lead_in_s=2.0)
    still = track.slice_time(track.timestamps_s < 1.2)  # walking starts at 1.45 s
    det = _detect(still, "3d")
    assert det.events_ == []


def _ev(side: str, kind: str, t: float, strength: float = 0.3) -> DetectedEvent:
    return DetectedEvent(side, kind, t, strength, t, True, 0)  # type: ignore[arg-type]


def test_alternation_drops_duplicates_and_counts_them() -> None:
    events = []
    for k in range(3):
        base = 1.1 * k
        events += [
            _ev("left", "foot_strike", base),
            _ev("right", "foot_off", base + 0.11),
            _ev("right", "foot_strike", base + 0.55),
            _ev("left", "foot_off", base + 0.66),
        ]
    spurious = _ev("right", "foot_strike", 0.30, strength=0.05)  # too close to FS_R at 0.55
    wrong_order = _ev("left", "foot_off", 1.15, strength=0.02)  # a left off just after FS_L
    kept, reasons = enforce_sequence([*events, spurious, wrong_order], min_step_time_s=0.25)
    assert spurious not in kept and wrong_order not in kept
    assert len(reasons) == 2
    assert len(kept) == len(events)
    # A missed event is not invented and does not drop its neighbours.
    kept2, reasons2 = enforce_sequence(events[:5] + events[6:], min_step_time_s=0.25)
    assert reasons2 == [] and len(kept2) == len(events) - 1


def test_parabolic_offset_recovers_subframe_peak() -> None:
    x = np.arange(20, dtype=float)
    y = -((x - 7.3) ** 2)
    k = np.array([int(np.argmax(y))])
    assert k[0] + parabolic_offset(y, k)[0] == pytest.approx(7.3)
    assert parabolic_offset(y, np.array([0]))[0] == 0.0


def test_front_view_uses_foot_stillness() -> None:
    track, truth = synthetic_walk(fs=FS, strides_per_pass=(4,))
    # Camera 8 m ahead of the middle of the walk (5 m past its end), looking back at it.
    camera = project_to_camera(track, view_axis=np.array([-1.0, 0, 0]), distance_m=8.0)
    front = condition_track(camera)
    kin = compute_kinematics(front)
    assert kin.view == "front"
    det = detect_events(front, kin)
    assert isinstance(det, FootVelocityEventDetector)
    t = det.coords_.t
    matches = match_events(events_by_side(det.events_), truth, t[0], t[-1])
    found = np.array([m.error_s for m in matches if m.error_s is not None])
    assert found.size >= 0.8 * len(matches)
    assert np.mean(np.abs(found)) <= 0.020


def test_frames_facing_the_camera_mid_turn_are_not_in_a_pass() -> None:
    # Side view of a walk with standing turns: mid-turn the walker faces the camera (a front
    # view of the body); those frames and a margin around them belong to no pass, so no
    # stride or step is measured from a body seen front-on.
    from avnmotion.gait.geometry import gait_coordinates
    from avnmotion.kinematics import detect_view_per_frame

    track, _ = synthetic_walk(fs=FS, strides_per_pass=(3, 3), turn_s=1.5)
    src = condition_track(project_to_camera(track, view_axis=np.array([0.0, 0, -1])))
    view = detect_view_per_frame(src)
    front = np.flatnonzero(view == "front")
    assert front.size > 5  # the turn is seen front-on for a while
    coords = gait_coordinates(src, compute_kinematics(src))
    margin = round(0.3 * FS)
    for k in front:
        lo, hi = max(0, k - margin), k + margin + 1
        assert np.all(coords.pass_id[lo:hi] == -1)
    assert coords.pass_id.max() == 1  # the two passes are still there
