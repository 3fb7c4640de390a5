"""Live analysis: frame-by-frame counting equals the offline analysis of the same frames.

* Synthetic tracks (fast, no MediaPipe): every exercise shape the live path supports.
* Sample clips (``sample_videos/*.mp4`` with ``*.json`` answer keys; slow): the clip's track
  (extracted once, cached) fed frame by frame gives the offline count, rep boundaries within
  2 frames.
* The service: tickets, the WebSocket protocol, backpressure and saving the session as an
  analysis (pose model replaced by a stand-in that replays a synthetic track).
"""

from __future__ import annotations

import json
import os
import struct
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from avnmotion.errors import AvnInputError
from avnmotion.kinematics import compute_kinematics
from avnmotion.live import (
    CausalKinematics,
    GridFrame,
    GridResampler,
    LiveCounter,
    LiveSession,
    RunningQuantile,
    live_exercises,
)
from avnmotion.pipeline import analyze_track, condition_track
from avnmotion.protocol import PatientProtocol, Precaution
from avnmotion.result import PATIENT_SAFETY_ADVICE
from avnmotion.track import N_LANDMARKS, PoseTrack
from tests.builders import frontal_points, sagittal_points, to_image_track, walking_angles

ROOT = Path(__file__).resolve().parents[2]
#: Sample clips with answer keys (``AVNMOTION_SAMPLES`` points elsewhere, e.g. for new clips).
SAMPLES = Path(os.environ.get("AVNMOTION_SAMPLES", ROOT / "sample_videos"))


# -- synthetic tracks -------------------------------------------------------------------------
def bumps(
    n: int, fps: float, starts: list[float], dur: float, amp: float, hold: float = 0.0
) -> np.ndarray:
    """Smooth excursions of ``amp`` lasting ``dur`` s (plus ``hold`` s at the top)."""
    t = np.arange(n) / fps
    y = np.zeros(n)
    for s in starts:
        up = (t >= s) & (t < s + dur / 2)
        y[up] = amp * np.sin(np.pi * (t[up] - s) / dur) ** 2
        top = (t >= s + dur / 2) & (t < s + dur / 2 + hold)
        y[top] = amp
        down = (t >= s + dur / 2 + hold) & (t < s + dur + hold)
        y[down] = amp * np.sin(np.pi * (t[down] - s - hold) / dur) ** 2
    return y


def noisy(track: PoseTrack, seed: int = 0, sd: float = 0.0015) -> PoseTrack:
    rng = np.random.default_rng(seed)
    assert track.image_xyz is not None
    jitter = rng.normal(0.0, sd, track.image_xyz.shape).astype(np.float32)
    return track.with_(image_xyz=track.image_xyz + jitter)


def slr_track(fps: float = 30.0, seconds: float = 40.0, facing: float = -1.0) -> PoseTrack:
    n = int(seconds * fps)
    hip = bumps(n, fps, [3, 6, 9, 12, 15, 30, 33, 36], 2.0, 55.0)
    pts = sagittal_points(n, {"left": hip, "right": 0.0}, {"left": 0.0, "right": 0.0})
    return noisy(to_image_track(pts, x_sign=facing, fps=fps))


def supine_slr_track(fps: float = 30.0) -> PoseTrack:
    """Lying on the back (the programme's position), the right leg raised."""
    n = int(30 * fps)
    hip = bumps(n, fps, [3, 6, 9, 12, 15], 2.0, 50.0)
    pts = sagittal_points(n, {"left": 0.0, "right": hip}, {"left": 0.0, "right": 0.0})
    turn = np.array([[0.0, 1.0], [-1.0, 0.0]])  # -90 deg: head to the left, feet to the right
    for name, p in pts.items():
        pts[name] = (p - [0.0, 0.95]) @ turn.T + [0.0, 0.3]
    return noisy(to_image_track(pts, x_sign=1.0, fps=fps), seed=9)


def alternating_slr_track(fps: float = 30.0) -> PoseTrack:
    n = int(40 * fps)
    left = bumps(n, fps, [3, 6, 9, 12], 2.0, 50.0)
    right = bumps(n, fps, [20, 23, 26, 29], 2.0, 50.0)
    pts = sagittal_points(n, {"left": left, "right": right}, {"left": 0.0, "right": 0.0})
    return noisy(to_image_track(pts, x_sign=1.0, fps=fps), seed=1)


def squat_track(fps: float = 30.0) -> PoseTrack:
    n = int(30 * fps)
    knee = bumps(n, fps, [3, 7, 11, 15, 19], 3.0, 90.0)
    hip = 0.8 * knee
    pts = sagittal_points(
        n, {"left": hip, "right": hip}, {"left": knee, "right": knee}, trunk_lean=0.3 * knee
    )
    return noisy(to_image_track(pts, x_sign=1.0, fps=fps), seed=2)


def hip_abduction_track(fps: float = 30.0) -> PoseTrack:
    n = int(25 * fps)
    ab = bumps(n, fps, [3, 6, 9, 12, 15], 2.0, 35.0)
    return noisy(to_image_track(frontal_points(n, {"left": ab, "right": 0.0}), fps=fps), seed=3)


def front_squat_track(fps: float = 30.0) -> PoseTrack:
    """Front view: the hips travel down (counted in leg lengths); knees come toward the camera."""
    n = int(30 * fps)
    drop = bumps(n, fps, [3, 7, 11, 15, 19], 3.0, 0.35)
    pts = frontal_points(n, {"left": 5.0, "right": 5.0})
    for name, p in pts.items():
        if "knee" in name:
            p[:, 1] -= drop / 2
        elif not name.endswith(("ankle", "heel", "foot_index")):
            p[:, 1] -= drop
    return noisy(to_image_track(pts, fps=fps), seed=7)


def quad_hold_track(fps: float = 30.0) -> PoseTrack:
    n = int(40 * fps)
    knee = bumps(n, fps, [3, 20], 2.0, 120.0, hold=8.0)
    pts = sagittal_points(n, {"left": 0.0, "right": 0.0}, {"left": knee, "right": 0.0})
    return noisy(to_image_track(pts, x_sign=1.0, fps=fps), seed=4)


CASES = {
    "slr_30fps": ("straight_leg_raise", lambda: slr_track(30.0)),
    "slr_15fps": ("straight_leg_raise", lambda: slr_track(15.0)),
    "slr_facing_right": ("straight_leg_raise", lambda: slr_track(30.0, facing=1.0)),
    "slr_alternating_sides": ("straight_leg_raise", alternating_slr_track),
    "slr_supine": ("straight_leg_raise", supine_slr_track),
    "squat_side": ("squat", squat_track),
    "squat_front_hip_height": ("squat", front_squat_track),
    "hip_abduction_front": ("hip_abduction", hip_abduction_track),
}


def _boundaries_frames(offline: list[Any], live: list[Any], fps: float) -> float:
    worst = 0.0
    for a, b in zip(offline, live, strict=True):
        worst = max(worst, abs(a.start_s - b.start_s) * fps, abs(a.end_s - b.end_s) * fps)
    return worst


def assert_live_matches_offline(
    task: str, track: PoseTrack, *, view: str | None = None
) -> tuple[Any, LiveCounter]:
    result = analyze_track(track, task)
    ex = result.exercise
    assert ex is not None
    counter = LiveCounter(task, sampling_rate_hz=track.sampling_rate_hz, view=view)
    counter.push_track(track)
    # rep_count: complete reps, or the number of holds of a hold exercise (as offline)
    assert counter.count == ex.rep_count, (counter.summary(), ex.reps, ex.holds)
    reps = counter.counted_reps()
    assert all(r.refined for r in reps)
    worst = _boundaries_frames(ex.reps, reps, track.sampling_rate_hz)
    assert worst <= 2.0 + 1e-6, f"rep boundaries differ by {worst:.1f} frames"
    return result, counter


@pytest.mark.parametrize("case", sorted(CASES))
def test_live_count_equals_offline_on_synthetic_tracks(case: str) -> None:
    task, make = CASES[case]
    result, counter = assert_live_matches_offline(task, make())
    assert counter.rep_count > 0
    # The working side is chosen as the offline analysis chooses it.
    side = counter.chooser.choose()[0] if counter.chooser else "both"
    assert side == (result.exercise.working_side or "both")


def test_sets_split_by_rest_gap_as_offline() -> None:
    track = slr_track()
    result = analyze_track(track, "straight_leg_raise")
    counter = LiveCounter("straight_leg_raise", sampling_rate_hz=30.0).push_track(track)
    assert counter.set_index == len(result.exercise.sets) - 1 == 1
    assert [r.set_index for r in counter.counted_reps()] == [
        r.set_index for r in result.exercise.reps
    ]


def test_holds_counted_as_offline() -> None:
    track = quad_hold_track()
    result = analyze_track(track, "quad_stretch")
    counter = LiveCounter("quad_stretch", sampling_rate_hz=30.0).push_track(track)
    assert counter.count == counter.hold_count == len(result.exercise.holds) == 2
    assert counter.hold_s() == 0.0  # out of position at the end


def test_hold_timer_runs_while_in_position() -> None:
    track = quad_hold_track()
    counter = LiveCounter("quad_stretch", sampling_rate_hz=30.0)
    seen = []
    for i in range(track.n_frames):
        counter.push(
            float(track.timestamps_s[i]),
            track.image_xyz[i],
            track.visibility[i],
            frame_size_px=track.frame_size_px,
        )
        seen.append(counter.hold_s())
    assert max(seen) > 7.0  # the 8 s hold is timed as it happens
    assert seen[2 * 30] == 0.0  # before the first hold


def test_view_is_detected_when_the_exercise_has_several() -> None:
    # Squats are filmed from the side or the front: the first second decides.
    track = squat_track()
    counter = LiveCounter("squat", sampling_rate_hz=30.0)
    assert counter.view is None
    counter.push_track(track)
    assert counter.view == "side" and counter.view_source == "detected"
    assert counter.rep_count == analyze_track(track, "squat").exercise.rep_count


def test_jittery_timestamps_are_put_on_the_grid_and_saved_track_reproduces_count() -> None:
    track = slr_track(30.0)
    rng = np.random.default_rng(5)
    # A browser stream: ~12 frames/s with jitter and a few dropped frames.
    keep = np.sort(rng.choice(track.n_frames, size=int(track.n_frames * 0.4), replace=False))
    times = track.timestamps_s[keep] + rng.uniform(-0.01, 0.01, keep.size)
    order = np.argsort(times)
    keep, times = keep[order], times[order]
    counter = LiveCounter("straight_leg_raise", sampling_rate_hz=15.0)
    for i, t in zip(keep, times, strict=True):
        counter.push(float(t), track.image_xyz[i], track.visibility[i], frame_size_px=(1280, 720))
    counter.flush()
    assert counter.rep_count == 8
    grid = counter.track()
    assert np.allclose(np.diff(grid.timestamps_s), 1 / 15.0)
    # The saved (grid) track analysed offline gives the count shown live.
    assert analyze_track(grid, "straight_leg_raise").exercise.rep_count == counter.rep_count


def test_grid_resampler_passes_an_even_track_through_and_blanks_long_gaps() -> None:
    r = GridResampler(10.0, max_gap_s=0.5)
    xyz = np.zeros((N_LANDMARKS, 3), dtype=np.float32)
    vis = np.ones(N_LANDMARKS, dtype=np.float32)
    out = []
    for t in (0.0, 0.1, 0.2, 0.3):
        out += r.push(GridFrame(t, xyz + t, vis, vis))
    assert [round(g.time_s, 6) for g in out] == [0.0, 0.1, 0.2, 0.3]
    assert all(np.allclose(g.image_xyz, g.time_s) for g in out)
    out = r.push(GridFrame(0.45, xyz + 0.45, vis, vis))  # between grid points: interpolated
    assert [round(g.time_s, 6) for g in out] == [0.4]
    assert np.allclose(out[0].image_xyz, 0.4)
    out = r.push(GridFrame(1.5, xyz, vis, vis))  # a 1 s stall: no made-up motion
    assert len(out) == 11 and all(np.isnan(g.image_xyz).all() for g in out[:-1])
    assert np.allclose(out[-1].image_xyz, 0.0)
    assert r.push(GridFrame(1.2, xyz, vis, vis)) == []  # older than the last frame


def test_causal_kinematics_frame_by_frame_equal_offline_causal_angles() -> None:
    n = 200
    ang = walking_angles(n)
    facing = np.where(np.arange(n) < 95, 1.0, -1.0)
    track = to_image_track(sagittal_points(n, ang["hip"], ang["knee"]), x_sign=facing)
    rng = np.random.default_rng(0)
    vis = track.visibility.copy()
    vis[rng.random(vis.shape) < 0.05] = 0.2  # some samples gated
    track = noisy(track.with_(visibility=vis))
    for view, tr in (
        ("side", track),
        ("front", noisy(to_image_track(frontal_points(n, {"left": 10.0, "right": -5.0})))),
    ):
        offline = compute_kinematics(condition_track(tr).causal, view=view, causal=True)
        live = CausalKinematics(view, tr.sampling_rate_hz, tr.frame_size_px)
        rows = [live.push(tr.image_xyz[i], tr.visibility[i]) for i in range(tr.n_frames)]
        for name in live.names:
            got = np.array([r[name] for r in rows])
            np.testing.assert_array_equal(np.isnan(got), np.isnan(offline.angle(name)), name)
            np.testing.assert_allclose(got, offline.angle(name), atol=1e-9, err_msg=name)


def test_running_quantile_matches_numpy_percentile_to_a_bin() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(30.0, 12.0, 5000)
    q = RunningQuantile(0.05)
    for v in x:
        q.add(float(v))
    for p in (5, 50, 95):
        assert abs(q.percentile(p) - np.percentile(x, p)) <= 0.1
    assert abs(q.robust_range() - float(np.subtract(*np.percentile(x, [95, 5])))) <= 0.1


def test_per_frame_cost_does_not_grow_with_session_length() -> None:
    # 6 minutes of reps at 15 Hz: the last minute costs about what the first ones did.
    fps, minutes = 15.0, 6
    n = int(minutes * 60 * fps)
    starts = list(np.arange(2.0, minutes * 60 - 4, 4.0))
    hip = bumps(n, fps, starts, 2.0, 50.0)
    track = noisy(
        to_image_track(
            sagittal_points(n, {"left": hip, "right": 0.0}, {"left": 0.0, "right": 0.0}),
            x_sign=1.0,
            fps=fps,
        )
    )
    counter = LiveCounter("straight_leg_raise", sampling_rate_hz=fps)
    per_minute = []
    block = int(60 * fps)
    for m in range(minutes):
        t0 = time.perf_counter()
        for i in range(m * block, (m + 1) * block):
            counter.push(
                float(track.timestamps_s[i]),
                track.image_xyz[i],
                track.visibility[i],
                frame_size_px=track.frame_size_px,
            )
        per_minute.append(time.perf_counter() - t0)
    assert counter.rep_count == len(starts)
    assert per_minute[-1] < 2.0 * min(per_minute[:3]) + 0.05, per_minute


def test_live_exercises_list_rep_and_hold_exercises_only() -> None:
    items = {e["id"]: e for e in live_exercises()}
    assert "straight_leg_raise" in items and "quad_stretch" in items
    assert "gait_speed" not in items and "rom_hip_rotation" not in items
    assert items["thirty_second_chair_stand"]["category"] == "timed_test"
    assert items["quad_stretch"]["kind"] == "hold"
    assert items["straight_leg_raise"]["view"] == "side"
    with pytest.raises(AvnInputError, match="nothing to count live"):
        LiveCounter("gait_speed")
    with pytest.raises(AvnInputError, match="unknown exercise"):
        LiveCounter("no_such_exercise")


# -- the session (pose model replaced) ---------------------------------------------------------
class ReplayExtractor:
    """Stands in for PoseExtractor: returns the track's pose nearest to each timestamp."""

    model_path = None

    def __init__(self, track: PoseTrack, delay_s: float = 0.0) -> None:
        self.track = track
        self.delay_s = delay_s
        self.calls: list[int] = []
        self.first_ms: int | None = None

    def process(self, frame: Any, timestamp_ms: int) -> Any:
        from avnmotion.pose.extract import FramePose

        self.calls.append(int(timestamp_ms))
        if self.first_ms is None:
            self.first_ms = int(timestamp_ms)
        if self.delay_s:
            time.sleep(self.delay_s)
        t = (timestamp_ms - self.first_ms) / 1000.0  # the client's clock starts anywhere
        i = int(np.argmin(np.abs(self.track.timestamps_s - t)))
        assert self.track.image_xyz is not None
        if not np.isfinite(self.track.image_xyz[i]).any():
            return None
        image = np.concatenate(
            [
                self.track.image_xyz[i],
                self.track.visibility[i][:, None],
                self.track.presence[i][:, None],
            ],
            axis=1,
        ).astype(np.float32)
        return FramePose(image=image, world=np.zeros((N_LANDMARKS, 3), dtype=np.float32))

    def close(self) -> None:
        pass


def test_live_session_updates_and_finish_saves_the_same_count() -> None:
    track = slr_track(15.0)
    protocol = PatientProtocol(
        affected_side="left", precautions=[Precaution(movement="hip_flexion", limit_deg=40.0)]
    )
    session = LiveSession(
        "straight_leg_raise",
        extractor=ReplayExtractor(track),
        protocol=protocol,
        affected_side="left",
    )
    frame = np.zeros((72, 128, 3), dtype=np.uint8)  # 16:9 like the track's 1280x720
    updates = []
    for t in track.timestamps_s:
        updates.append(session.process_frame(frame, 1000.0 * float(t) + 12345.0))
    last = updates[-1].to_dict()
    assert last["rep_count"] == 8 and last["set_index"] == 1
    assert len(last["landmarks"]) == N_LANDMARKS and len(last["landmarks"][0]) == 3
    assert 14.0 <= last["fps"] <= 16.0
    json.dumps(last, allow_nan=False)  # JSON-clean for the WebSocket
    # Loading observations are recorded for the clinician as they happen ...
    assert any(f["code"].startswith("precaution") for f in session.flags)
    assert all(f["audience"] == "clinician" for f in session.flags)
    first_seen = min(f["first_seen_s"] for f in session.flags)
    assert first_seen < 6.0  # raised during the first rep, not at the end
    # ... and never put in front of the patient.
    text = json.dumps([u.to_dict() for u in updates])
    assert "precaution" not in text and "flag" not in text
    track_out, result = session.finish()
    assert result.input.kind == "live"
    assert result.exercise.rep_count == 8
    assert result.patient_advice == PATIENT_SAFETY_ADVICE
    assert any(f.code.startswith("precaution") for f in result.flags)
    assert track_out.n_frames == track.n_frames
    assert not result.quality.warnings or "live display" not in " ".join(result.quality.warnings)


def test_live_session_shows_tempo_cue_for_fast_reps() -> None:
    fps = 15.0
    n = int(20 * fps)
    hip = bumps(n, fps, [3, 5, 7, 9], 0.9, 55.0)  # ~0.45 s up, 0.45 s down: too fast
    track = noisy(
        to_image_track(
            sagittal_points(n, {"left": hip, "right": 0.0}, {"left": 0.0, "right": 0.0}),
            fps=fps,
        )
    )
    session = LiveSession("straight_leg_raise", extractor=ReplayExtractor(track))
    frame = np.zeros((72, 128, 3), dtype=np.uint8)
    cues = set()
    for t in track.timestamps_s:
        cues.update(session.process_frame(frame, 1000.0 * float(t)).cues)
    assert any(c.startswith("Slow down") for c in cues), cues


def test_live_session_asks_to_step_into_view() -> None:
    track = slr_track(15.0, seconds=6.0)
    assert track.image_xyz is not None
    blank = track.with_(
        image_xyz=np.full_like(track.image_xyz, np.nan), visibility=np.zeros_like(track.visibility)
    )
    session = LiveSession("straight_leg_raise", extractor=ReplayExtractor(blank))
    frame = np.zeros((72, 128, 3), dtype=np.uint8)
    u = None
    for t in blank.timestamps_s:
        u = session.process_frame(frame, 1000.0 * float(t))
    assert u is not None and u.landmarks is None
    assert any("whole body" in c for c in u.cues)
    assert not session.has_pose


# -- sample clips (MediaPipe; slow) ----------------------------------------------------------
def _exercise_clips() -> list[tuple[Path, dict[str, Any]]]:
    from avnmotion.exercises.registry import EXERCISES

    live_ids = {e["id"] for e in live_exercises()}
    out = []
    for video in sorted(SAMPLES.glob("*.mp4")):
        key_path = video.with_suffix(".json")
        if not key_path.exists():
            continue
        key = json.loads(key_path.read_text())
        task = key.get("task")
        if task in EXERCISES and task in live_ids:
            out.append((video, key))
    return out


CLIPS = _exercise_clips()


@pytest.fixture(scope="session")
def clip_tracks() -> dict[str, PoseTrack]:
    """Each clip's track, extracted once per session (cached on disk across sessions)."""
    from tests.tracks import cached_track

    return {video.name: cached_track(video) for video, _ in CLIPS}


@pytest.mark.slow
@pytest.mark.skipif(not CLIPS, reason="no exercise clips with answer keys in sample_videos/")
@pytest.mark.parametrize("clip", [c[0].name for c in CLIPS] or ["none"])
def test_live_count_equals_offline_on_sample_clips(
    clip: str, clip_tracks: dict[str, PoseTrack]
) -> None:
    key = next(k for v, k in CLIPS if v.name == clip)
    track = clip_tracks[clip]
    _, counter = assert_live_matches_offline(key["task"], track)
    truth = (key.get("exercise") or {}).get("rep_count")
    if truth is not None and counter.definition.counting is not None:
        # Not the subject of this test, but a live count far from the truth is worth a note.
        assert abs(counter.rep_count - truth) <= max(1, truth // 5), (counter.rep_count, truth)


@pytest.mark.slow
@pytest.mark.skipif(not CLIPS, reason="no exercise clips with answer keys in sample_videos/")
def test_run_camera_on_a_clip_prints_the_count_and_records(tmp_path: Path) -> None:
    from avnmotion.live import run_camera
    from avnmotion.pose.video import probe_video

    video, key = CLIPS[0]
    lines: list[str] = []
    out = tmp_path / "live.mp4"
    args = SimpleNamespace(
        camera=str(video), task=key["task"], model=None, record=str(out), max_seconds=None
    )
    assert run_camera(args, out=lines.append) == 0
    text = "\n".join(lines)
    assert "Done:" in text and PATIENT_SAFETY_ADVICE in text
    info = probe_video(out)
    assert info.frame_count >= probe_video(video).frame_count - 2


# -- the service -------------------------------------------------------------------------------
@pytest.fixture
def live_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    import avnmotion.pose.extract as extract_mod
    from api.cli import create_user
    from api.config import Settings
    from api.main import create_app

    track = slr_track(15.0)
    delay = {"s": 0.0}

    class FakeExtractor(ReplayExtractor):
        def __init__(self, model_path: Any = None, **_: Any) -> None:
            super().__init__(track, delay["s"])

    monkeypatch.setattr(extract_mod, "PoseExtractor", FakeExtractor)
    settings = Settings(
        data_dir=tmp_path / "data",
        database_url=f"sqlite:///{tmp_path / 'live.db'}",
        start_worker=False,
    )
    app = create_app(settings)
    with TestClient(app) as client:
        _, clinician = create_user(settings, name="Dr L", role="clinician", clinic="Live clinic")
        h = {"Authorization": f"Bearer {clinician}"}
        r = client.post("/v1/patients", json={"name": "P"}, headers=h)
        assert r.status_code == 201, r.text
        pid = r.json()["id"]
        r = client.post(f"/v1/patients/{pid}/users", json={"name": "P"}, headers=h)
        patient = r.json()["token"]
        yield SimpleNamespace(
            client=client,
            settings=settings,
            clinician=clinician,
            patient=patient,
            patient_id=pid,
            track=track,
            delay=delay,
            app=app,
        )


def _jpeg(width: int = 128, height: int = 72) -> bytes:
    import cv2

    ok, buf = cv2.imencode(".jpg", np.full((height, width, 3), 90, np.uint8))
    assert ok
    return buf.tobytes()


def _ticket(env: Any, token: str, **body: Any) -> Any:
    body.setdefault("task", "straight_leg_raise")
    return env.client.post(
        "/v1/live/sessions", json=body, headers={"Authorization": f"Bearer {token}"}
    )


def test_ticket_needs_a_token_and_a_known_exercise(live_app: Any) -> None:
    env = live_app
    assert env.client.post("/v1/live/sessions", json={"task": "squat"}).status_code == 401
    r = _ticket(env, env.patient, task="gait_speed")
    assert r.status_code == 422 and "valid" in r.text
    r = _ticket(env, env.clinician)  # a clinician must name the patient
    assert r.status_code == 422
    r = _ticket(env, env.clinician, patient_id="0" * 32)
    assert r.status_code == 404
    r = _ticket(env, env.patient, patient_id="0" * 32)  # a patient only for themself
    assert r.status_code == 404
    r = _ticket(env, env.patient)
    assert r.status_code == 201
    body = r.json()
    assert body["patient_id"] == env.patient_id and body["expires_in_s"] <= 60
    assert body["ws_path"] == "/v1/live/ws" and env.patient not in json.dumps(body)


def test_websocket_refuses_missing_used_and_expired_tickets(live_app: Any) -> None:
    from starlette.websockets import WebSocketDisconnect

    env = live_app
    with env.client.websocket_connect("/v1/live/ws") as ws:  # a token is not a ticket
        ws.send_text(json.dumps({"type": "start", "ticket": env.patient}))
        assert ws.receive_json()["type"] == "error"
        with pytest.raises(WebSocketDisconnect) as exc:
            ws.receive_text()
        assert exc.value.code == 4401
    ticket = _ticket(env, env.patient).json()["ticket"]
    with env.client.websocket_connect("/v1/live/ws") as ws:
        ws.send_text(json.dumps({"type": "start", "ticket": ticket}))
        assert ws.receive_json()["type"] == "ready"
        ws.send_text(json.dumps({"type": "end"}))
        assert ws.receive_json()["type"] == "saved"
    with env.client.websocket_connect("/v1/live/ws") as ws:  # single use
        ws.send_text(json.dumps({"type": "start", "ticket": ticket}))
        assert ws.receive_json() == {"type": "error", "message": "invalid or expired ticket"}
    from api.routes.live import _state

    store = _state(env.app).tickets
    ticket = _ticket(env, env.patient).json()["ticket"]
    for grant in store._tickets.values():
        grant.expires_at = time.monotonic() - 1
    with env.client.websocket_connect("/v1/live/ws") as ws:
        ws.send_text(json.dumps({"type": "start", "ticket": ticket}))
        assert ws.receive_json()["type"] == "error"


def test_websocket_session_counts_and_is_saved_as_an_analysis(live_app: Any) -> None:
    env = live_app
    ticket = _ticket(env, env.patient).json()["ticket"]
    jpeg = _jpeg()
    last: dict[str, Any] = {}
    with env.client.websocket_connect("/v1/live/ws") as ws:
        ws.send_text(json.dumps({"type": "start", "ticket": ticket}))
        ready = ws.receive_json()
        assert ready["type"] == "ready" and ready["advice"] == PATIENT_SAFETY_ADVICE
        assert ready["skeleton_edges"] and ready["kind"] == "rep"
        for t in env.track.timestamps_s:  # lock-step: one frame, one update
            ws.send_bytes(struct.pack(">d", 1000.0 * float(t) + 5000.0) + jpeg)
            last = ws.receive_json()
            assert last["type"] == "update"
        assert last["rep_count"] == 8 and last["dropped"] == 0
        assert "flags" not in last
        ws.send_text(json.dumps({"type": "end"}))
        saved = ws.receive_json()
    assert saved["type"] == "saved" and saved["analysis_id"]
    assert saved["rep_count"] == saved["live_rep_count"] == 8
    h = {"Authorization": f"Bearer {env.clinician}"}
    r = env.client.get(f"/v1/analyses/{saved['analysis_id']}", headers=h)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["input_kind"] == "live" and body["status"] == "done"
    assert body["track_available"] and body["result"]["exercise"]["rep_count"] == 8
    r = env.client.get(f"/v1/analyses/{saved['analysis_id']}/track", headers=h)
    assert r.status_code == 200 and r.content[:2] == b"PK"


def test_websocket_drops_stale_frames_instead_of_queueing(live_app: Any) -> None:
    env = live_app
    env.delay["s"] = 0.05  # the server manages ~20 frames/s
    ticket = _ticket(env, env.patient).json()["ticket"]
    jpeg = _jpeg()
    n_sent = 60
    with env.client.websocket_connect("/v1/live/ws") as ws:
        ws.send_text(json.dumps({"type": "start", "ticket": ticket}))
        assert ws.receive_json()["type"] == "ready"
        for k in range(n_sent):  # all at once, far faster than they can be processed
            ws.send_bytes(struct.pack(">d", 1000.0 + 66.7 * k) + jpeg)
        ws.send_text(json.dumps({"type": "end"}))
        updates = []
        while True:
            msg = ws.receive_json()
            if msg["type"] != "update":
                break
            updates.append(msg)
    assert msg["type"] == "saved"
    assert updates and len(updates) < n_sent
    assert updates[-1]["dropped"] > 0
    assert updates[-1]["processed"] + updates[-1]["dropped"] == n_sent
    # The newest frame is always processed: no stale backlog.
    assert updates[-1]["timestamp_ms"] == pytest.approx(1000.0 + 66.7 * (n_sent - 1))
    assert [u["timestamp_ms"] for u in updates] == sorted(u["timestamp_ms"] for u in updates)


def test_live_page_and_exercise_list_are_served(live_app: Any) -> None:
    env = live_app
    r = env.client.get("/live")
    assert r.status_code == 200 and "text/html" in r.headers["content-type"]
    assert PATIENT_SAFETY_ADVICE in r.text
    assert "default-src 'self'" in r.headers["content-security-policy"]
    assert "http://" not in r.text and "https://" not in r.text  # no CDN assets
    for asset in ("live.js", "live.css"):
        r = env.client.get(f"/live/static/{asset}")
        assert r.status_code == 200 and "http://" not in r.text and "https://" not in r.text
    assert env.client.get("/live/static/..%2Fmain.py").status_code == 404
    js = env.client.get("/live/static/live.js").text
    assert 'location.protocol === "https:" ? "wss:" : "ws:"' in js
    items = env.client.get("/v1/live/exercises").json()
    assert {"straight_leg_raise", "squat"} <= {e["id"] for e in items}


def test_frames_are_size_checked_before_decoding() -> None:
    pytest.importorskip("fastapi")
    import cv2

    from api.routes.live import MAX_FRAME_PIXELS, _decode, _jpeg_size

    ok, buf = cv2.imencode(".jpg", np.zeros((480, 640, 3), np.uint8))
    assert ok and _jpeg_size(buf.tobytes()) == (640, 480)
    assert _decode(buf.tobytes()).shape == (480, 640, 3)
    # A tiny file that declares a huge image is refused without decoding it.
    data = bytearray(buf.tobytes())
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = (20000).to_bytes(2, "big") + (20000).to_bytes(2, "big")
    assert _jpeg_size(bytes(data)) == (20000, 20000) and MAX_FRAME_PIXELS < 20000 * 20000
    assert _decode(bytes(data)) is None
    assert _decode(b"not a jpeg") is None


def test_saved_result_is_plain_json() -> None:
    pytest.importorskip("fastapi")
    from api.routes.live import _plain

    data = _plain({"a": np.bool_(True), "b": [np.float64(1.5), float("nan")], "c": (1, "x")})
    assert data == {"a": True, "b": [1.5, None], "c": [1, "x"]}
    json.dumps(data, allow_nan=False)
