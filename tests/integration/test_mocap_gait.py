"""Gait events against motion-capture truth (public trials in ../shared/data/mocap).

Each trial is read (C3D or TRC), conditioned like the pipeline (gap fill, 6 Hz zero-phase
low-pass) and analysed in 3-D and as a projected side-view video. Truth events whose markers
are missing in the recording are left out (``observable_truth``). Skipped when the data
folder is absent (a fresh clone does not have it).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

MOCAP = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "mocap"

pytestmark = pytest.mark.mocap

if not MOCAP.is_dir():
    pytest.skip(f"motion-capture trials not found at {MOCAP}", allow_module_level=True)

pytest.importorskip("ezc3d", reason="ezc3d (dev extra) reads the C3D trials")

from avnmotion.formats.c3d import read_c3d, read_c3d_events  # noqa: E402
from avnmotion.formats.trc import read_trc, write_trc  # noqa: E402
from avnmotion.gait import analyze_gait  # noqa: E402
from avnmotion.gait.events import events_by_side  # noqa: E402
from avnmotion.gait.validation import (  # noqa: E402
    MocapTrial,
    condition_track,
    load_trial,
    match_events,
    mocap_trials,
    observable_truth,
    project_to_camera,
)
from avnmotion.kinematics import compute_kinematics  # noqa: E402

TRIALS = {t.name: t for t in mocap_trials(MOCAP)}
SAMPLE03 = "c3dorg__sample_03__gait-pig.c3d"
BTK = "BTKData__PiG__PiG_Motion-FlatFoot-Full.c3d"
OPENSIM = "Gait10dof18musc__ExperimentalData__subject01_walk.trc"


def _errors(trial: MocapTrial, mode: str) -> tuple[np.ndarray, int]:
    raw = load_trial(trial)
    truth, _ = observable_truth(raw, trial.truth)
    track = condition_track(raw if mode == "3d" else project_to_camera(raw))
    result, _ = analyze_gait(track, compute_kinematics(track))
    t = track.timestamps_s
    matches = match_events(events_by_side(result.events), truth, t[0], t[-1])
    missed = sum(1 for m in matches if m.error_s is None)
    return np.array([m.error_s for m in matches if m.error_s is not None]), missed


def _trial(name: str) -> MocapTrial:
    if name not in TRIALS:
        pytest.skip(f"{name} not in {MOCAP}")
    return TRIALS[name]


# -- readers ------------------------------------------------------------------------------
def test_c3d_clock_axes_and_events() -> None:
    btk = _trial(BTK)
    track = read_c3d(btk.path)
    assert track.timestamps_s[0] == pytest.approx(147 / 100.0)  # first frame 148 (1-based)
    assert track.n_frames == 315 and track.world_frame == "lab_y_up"
    w = track.world_xyz
    assert w is not None
    # Y up: hips about 0.8-0.95 m above heels.
    hip_h = np.nanmean(w[:, 23, 1]) - np.nanmean(w[:, 29, 1])
    assert 0.6 < hip_h < 1.0
    events = read_c3d_events(btk.path)
    assert events[("right", "foot_strike")] == [1.53, 2.54, 3.57, 4.59]
    s03 = read_c3d(_trial(SAMPLE03).path)
    assert s03.source["landmark_sources"]["left_hip"].endswith("sacral marker")
    assert np.all(np.isnan(s03.world_xyz[:, 29]))  # type: ignore[index]  # no heel markers


def test_opensim_trc_reads_and_round_trips(tmp_path: Path) -> None:
    track = read_trc(_trial(OPENSIM).path)
    assert track.n_frames == 151 and track.sampling_rate_hz == pytest.approx(60.0)
    assert "Harrington" in track.source["landmark_sources"]["right_hip"]
    back = read_trc(write_trc(track, tmp_path / "walk.trc"))
    np.testing.assert_allclose(back.world_xyz, track.world_xyz, atol=1e-6)  # type: ignore[arg-type]


# -- events -------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", ["3d", "side"])
@pytest.mark.parametrize("name", [SAMPLE03, OPENSIM, BTK])
def test_mean_absolute_error_within_20_ms(name: str, mode: str) -> None:
    trial = _trial(name)
    err, missed = _errors(trial, mode)
    assert missed == 0
    assert np.mean(np.abs(err)) <= 0.020


@pytest.mark.parametrize("mode", ["3d", "side"])
@pytest.mark.parametrize("name", [SAMPLE03, OPENSIM])
def test_every_event_within_one_frame(name: str, mode: str) -> None:
    trial = _trial(name)
    err, _ = _errors(trial, mode)
    assert np.max(np.abs(err)) * trial.rate_hz <= 1.0


@pytest.mark.xfail(
    strict=True,
    reason="BTKData FlatFoot (100 Hz): 4-5 foot strikes lie 1.5-3.6 frames (15-36 ms) from the "
    "stored events (right strikes labelled when the heel has stopped, left ones earlier); "
    "the other events are within a frame",
)
@pytest.mark.parametrize("mode", ["3d", "side"])
def test_every_btk_event_within_one_frame(mode: str) -> None:
    trial = _trial(BTK)
    err, _ = _errors(trial, mode)
    assert np.max(np.abs(err)) * trial.rate_hz <= 1.0


def test_gait_parameters_plausible_on_opensim_treadmill() -> None:
    track = condition_track(read_trc(_trial(OPENSIM).path))
    result, _ = analyze_gait(track, compute_kinematics(track))
    assert result.strides_used >= 2
    # Treadmill at about 1.1 m/s: speed comes from step lengths, not pelvis travel.
    assert result.gait_speed_m_per_s == pytest.approx(1.1, abs=0.15)
    assert result.cadence_steps_per_min == pytest.approx(98, abs=5)


@pytest.mark.parametrize("direction", ["towards", "away"])
@pytest.mark.parametrize("camera_height_m", [1.0, 1.5])
def test_front_projection_cadence_from_crossings(direction: str, camera_height_m: float) -> None:
    # Real foot motion seen from the front (pinhole camera 4 m from the walk). Measured:
    # +0.0 / +0.0 % towards and +2.7 / +1.2 % away at 1.0 / 1.5 m (4 strides); the crossings
    # read cadence high by the swinging toe's clearance over the camera height (front.py).
    from avnmotion.gait.front import FootCrossingDetector
    from avnmotion.gait.geometry import gait_coordinates
    from avnmotion.kinematics import pelvis_frame_3d

    raw = load_trial(_trial(BTK))
    truth, _ = observable_truth(raw, TRIALS[BTK].truth)
    forward = np.nanmean(pelvis_frame_3d(raw)[0], axis=0)
    forward[1] = 0.0
    axis = -forward if direction == "towards" else forward
    cam = project_to_camera(raw, view_axis=axis, distance_m=4.0, height_m=camera_height_m)
    track = condition_track(cam)
    det = FootCrossingDetector().detect(gait_coordinates(track, compute_kinematics(track)))
    strides = np.concatenate([np.diff(truth[(s, "foot_strike")]) for s in ("left", "right")])
    true_cadence = 120.0 / float(np.mean(strides))
    assert det.n_strides_ >= 4
    assert det.cadence_steps_per_min_ is not None
    error = det.cadence_steps_per_min_ / true_cadence - 1.0
    assert -0.01 <= error <= 0.03
