"""The CLI on good and bad input: one-line errors with exit code 2, never a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.builders import sagittal_points, to_image_track, walking_angles


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    return subprocess.run(
        [sys.executable, "-m", "avnmotion", *args], capture_output=True, text=True, env=env, cwd=cwd
    )


def assert_one_line_error(proc: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip() and not ln.startswith("usage:")]
    assert len(lines) == 1, proc.stderr
    for n in needles:
        assert n in lines[0]
    assert proc.stdout == ""


@pytest.fixture(scope="module")
def walk_npz(tmp_path_factory) -> Path:
    ang = walking_angles(150)
    out = tmp_path_factory.mktemp("cli") / "walk.npz"
    to_image_track(sagittal_points(150, ang["hip"], ang["knee"])).save_npz(out)
    return out


def _mp4(path: Path, frames: int = 20, person: bool = False) -> Path:
    import imageio_ffmpeg

    w = imageio_ffmpeg.write_frames(str(path), (320, 240), fps=10, macro_block_size=16)
    w.send(None)
    for i in range(frames):
        w.send(np.full((240, 320, 3), 40 + 5 * i, np.uint8).tobytes())
    w.close()
    return path


def test_json_to_stdout_is_pure_json(walk_npz):
    proc = run_cli("analyze", str(walk_npz), "--task", "rom", "--json", "-")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["task"] == "rom"
    assert result["input"]["frames"] == 150
    hip = result["rom"]["hip_flexion_deg"]["left"]
    assert hip["available"] and hip["range_deg"] == pytest.approx(44.0, abs=0.5)


def test_human_summary_without_json(walk_npz):
    proc = run_cli("analyze", str(walk_npz), "--task", "rom")
    assert proc.returncode == 0
    assert "hip_flexion_deg" in proc.stdout
    assert "No flag does not mean a movement was safe." in proc.stdout


def test_unknown_task_lists_valid_tasks(walk_npz):
    assert_one_line_error(
        run_cli("analyze", str(walk_npz), "--task", "jumping"),
        "unknown task 'jumping'",
        "gait",
        "rom",
    )


def test_text_file_named_mp4(tmp_path):
    bad = tmp_path / "notes.mp4"
    bad.write_text("this is not a video\n")
    assert_one_line_error(
        run_cli("analyze", str(bad), "--task", "rom"), "notes.mp4", "not a readable video"
    )


def test_empty_file(tmp_path):
    empty = tmp_path / "empty.mp4"
    empty.touch()
    assert_one_line_error(run_cli("analyze", str(empty), "--task", "rom"), "empty.mp4", "empty")


def test_missing_file(tmp_path):
    assert_one_line_error(
        run_cli("analyze", str(tmp_path / "nope.mp4"), "--task", "rom"), "not found"
    )


def test_unsupported_extension(tmp_path):
    f = tmp_path / "clip.gif"
    f.write_bytes(b"GIF89a")
    assert_one_line_error(
        run_cli("analyze", str(f), "--task", "rom"), "unsupported input type .gif"
    )


def test_truncated_mp4(tmp_path):
    whole = _mp4(tmp_path / "whole.mp4").read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(whole[: len(whole) // 2])
    assert_one_line_error(run_cli("analyze", str(cut), "--task", "rom"), "cut.mp4")


@pytest.mark.slow
def test_video_with_no_person(tmp_path):
    clip = _mp4(tmp_path / "empty_room.mp4")
    assert_one_line_error(
        run_cli("analyze", str(clip), "--task", "rom"),
        "no person detected in any of 20 frames",
        "empty_room.mp4",
    )


def test_trc_with_missing_columns(tmp_path):
    trc = tmp_path / "bad.trc"
    trc.write_text(
        "PathFileType\t4\t(X/Y/Z)\tbad.trc\n"
        "DataRate\tCameraRate\tNumFrames\tNumMarkers\tUnits\tOrigDataRate\tOrigDataStartFrame\tOrigNumFrames\n"
        "60\t60\t2\t2\tm\t60\t1\t2\n"
        "Frame#\tTime\tleft_hip\t\t\tright_hip\n"
        "\t\tX1\tY1\tZ1\tX2\tY2\tZ2\n"
        "\n"
        "1\t0.0\t0.1\t0.9\t0.0\n"
        "2\t0.0167\t0.1\t0.9\t0.0\n"
    )
    proc = run_cli("analyze", str(trc), "--task", "rom")
    assert_one_line_error(proc, "bad.trc")


def test_bad_height_and_protocol(walk_npz, tmp_path):
    assert_one_line_error(
        run_cli("analyze", str(walk_npz), "--task", "rom", "--height-m", "17"), "outside 0.5-2.5 m"
    )
    proto = tmp_path / "p.json"
    proto.write_text(json.dumps({"affected_side": "middle"}))
    assert_one_line_error(
        run_cli("analyze", str(walk_npz), "--task", "rom", "--protocol", str(proto)),
        "invalid protocol",
        "affected_side",
    )


def test_usage_error_exit_code(walk_npz):
    proc = run_cli("analyze", str(walk_npz))
    assert proc.returncode == 2
    assert "--task" in proc.stderr and "Traceback" not in proc.stderr


def test_extract_then_analyze_round_trip_trc(walk_npz, tmp_path):
    # A track written as TRC (MediaPipe landmark names) reads back and analyses alike.
    from avnmotion.pipeline import save_track
    from avnmotion.track import PoseTrack

    pytest.importorskip("avnmotion.formats.trc")
    trc = save_track(PoseTrack.load_npz(walk_npz), tmp_path / "walk.trc")
    proc = run_cli("analyze", str(trc), "--task", "rom", "--json", "-")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["input"]["kind"] == "track_trc"


def test_bad_output_paths_and_parameters_fail_before_the_analysis(walk_npz, tmp_path):
    missing = tmp_path / "no" / "such" / "dir"
    assert_one_line_error(
        run_cli("analyze", str(walk_npz), "--task", "rom", "--json", str(missing / "r.json")),
        "does not exist",
    )
    assert_one_line_error(
        run_cli("analyze", str(walk_npz), "--task", "rom", "--track-out", str(tmp_path / "t.csv")),
        "must end in .npz or .trc",
    )
    rx = tmp_path / "rx.json"
    for body, needle in (
        ('{"reps": 1e400}', "finite number"),
        ('{"sets": true}', "must be a number"),
    ):
        rx.write_text(body)
        assert_one_line_error(
            run_cli("analyze", str(walk_npz), "--task", "squat", "--prescription", str(rx)), needle
        )
    rx.write_text('{"reps": 3}')
    assert_one_line_error(
        run_cli("analyze", str(walk_npz), "--task", "gait", "--prescription", str(rx)),
        "applies to exercises",
    )
    # a working side was silently ignored for gait and rom
    for task in ("gait", "rom"):
        assert_one_line_error(
            run_cli("analyze", str(walk_npz), "--task", task, "--working-side", "left"),
            f"a working side applies to exercises (which leg does the reps), not to task '{task}'",
        )


def test_short_empty_and_damaged_tracks_are_one_line_errors(tmp_path):
    from avnmotion.track import PoseTrack

    ang = walking_angles(10)
    short = to_image_track(sagittal_points(10, ang["hip"], ang["knee"]))
    short.save_npz(tmp_path / "short.npz")
    assert_one_line_error(
        run_cli("analyze", str(tmp_path / "short.npz"), "--task", "squat"), "too short", "10 frames"
    )
    ang = walking_angles(40)
    walk = to_image_track(sagittal_points(40, ang["hip"], ang["knee"]))
    empty = PoseTrack(
        walk.timestamps_s,
        np.full_like(walk.image_xyz, np.nan),
        None,
        np.zeros_like(walk.visibility),
        np.zeros_like(walk.presence),
        frame_size_px=walk.frame_size_px,
    )
    empty.save_npz(tmp_path / "empty.npz")
    assert_one_line_error(
        run_cli("analyze", str(tmp_path / "empty.npz"), "--task", "squat"), "no person"
    )
    # Coordinates with visibility 0 everywhere are no observation either (this was analysed
    # as a person in 100 % of frames, with 0 reps shown to the patient).
    unseen = walk.with_(visibility=np.zeros_like(walk.visibility))
    unseen.save_npz(tmp_path / "unseen.npz")
    assert_one_line_error(
        run_cli("analyze", str(tmp_path / "unseen.npz"), "--task", "squat"),
        "no person in any of the track's 40 frames",
    )


_NATIVE_THEN_OURS = (
    "import os, sys\n"
    "from avnmotion.cli import _native_stderr_to_devnull\n"
    "_native_stderr_to_devnull()\n"
    "os.write(2, b'W0000 inference_runner_litert.cc] Input tensor memory is not aligned\\n')\n"
    "print('avnmotion: error: ours', file=sys.stderr)\n"
)


@pytest.mark.parametrize(
    ("native_logs", "expected"),
    [
        (None, ["avnmotion: error: ours"]),
        (
            "1",
            [
                "W0000 inference_runner_litert.cc] Input tensor memory is not aligned",
                "avnmotion: error: ours",
            ],
        ),
    ],
)
def test_native_lines_on_descriptor_2_stay_off_the_cli_stderr(native_logs, expected):
    # MediaPipe's C++ runtime may write to descriptor 2 at any frame (CI saw LiteRT's
    # alignment warning mid-video); the CLI's own lines must still arrive, alone.
    env = {k: v for k, v in os.environ.items() if k != "AVNMOTION_NATIVE_LOGS"}
    if native_logs is not None:
        env["AVNMOTION_NATIVE_LOGS"] = native_logs
    proc = subprocess.run(
        [sys.executable, "-c", _NATIVE_THEN_OURS], capture_output=True, text=True, env=env
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.splitlines() == expected
