"""Video input (rotation, VFR timestamps, broken files) and the annotated-video writer.

All clips are generated at test time with the FFmpeg binary bundled in imageio-ffmpeg.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import numpy as np
import pytest

from avnmotion.errors import AvnInputError
from avnmotion.track import LANDMARK_INDEX, N_LANDMARKS, PoseTrack

cv2 = pytest.importorskip("cv2")
imageio_ffmpeg = pytest.importorskip("imageio_ffmpeg")

from avnmotion.pose.overlay import write_annotated_video  # noqa: E402
from avnmotion.pose.video import VideoInfo, VideoSource, probe_video  # noqa: E402

WIDTH_PX, HEIGHT_PX = 160, 96
MARKER_PX = 24  # red square in the top-left corner of the unrotated frame
#: Intended presentation times of the variable-frame-rate clip (ms, irregular on purpose).
VFR_TIMES_MS = (0, 40, 73, 123, 143, 243, 283, 316, 353, 413)


def ffmpeg() -> str:
    return imageio_ffmpeg.get_ffmpeg_exe()


def run_ffmpeg(*args: str) -> None:
    subprocess.run([ffmpeg(), "-y", "-loglevel", "error", *args], check=True)


def make_frame(index: int, width: int = WIDTH_PX, height: int = HEIGHT_PX) -> np.ndarray:
    """Grey RGB frame with a red square top-left and a bright bar whose x encodes ``index``."""
    frame = np.full((height, width, 3), 60, dtype=np.uint8)
    frame[4 : 4 + MARKER_PX, 4 : 4 + MARKER_PX] = (255, 0, 0)
    x = 40 + 8 * index
    frame[height // 2 :, x : x + 6] = (255, 255, 255)
    return frame


def write_pngs(directory: Path, n_frames: int) -> str:
    directory.mkdir(parents=True, exist_ok=True)
    for i in range(n_frames):
        cv2.imwrite(
            str(directory / f"f{i:03d}.png"), cv2.cvtColor(make_frame(i), cv2.COLOR_RGB2BGR)
        )
    return str(directory / "f%03d.png")


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("clips")
    pattern = write_pngs(root / "png", 10)
    out: dict[str, Path] = {}
    out["plain"] = root / "plain.mp4"
    run_ffmpeg(
        "-framerate",
        "25",
        "-i",
        pattern,
        "-c:v",
        "libx264",
        "-pix_fmt",
        "yuv420p",
        str(out["plain"]),
    )
    # Rotation metadata the way phones write it (display matrix); `-metadata rotate=` is
    # ignored by current FFmpeg, `-display_rotation` (counter-clockwise degrees) works.
    for ccw in (90, 180, 270):
        out[f"rot{ccw}"] = root / f"rot{ccw}.mp4"
        run_ffmpeg(
            "-display_rotation",
            str(ccw),
            "-i",
            str(out["plain"]),
            "-c",
            "copy",
            str(out[f"rot{ccw}"]),
        )
    # VFR: rewrite presentation times with setpts in a 1/1000 time base and pass them through.
    expr = "0"
    for i, t_ms in enumerate(VFR_TIMES_MS):
        expr = f"if(eq(N,{i}),{t_ms},{expr})"
    out["vfr"] = root / "vfr.mp4"
    run_ffmpeg(
        "-framerate",
        "25",
        "-i",
        pattern,
        "-vf",
        f"settb=1/1000,setpts='{expr}'",
        "-fps_mode",
        "passthrough",
        "-enc_time_base",
        "1/1000",
        "-video_track_timescale",
        "1000",
        "-c:v",
        "libx264",
        "-pix_fmt",
        "yuv420p",
        str(out["vfr"]),
    )
    out["webm"] = root / "clip.webm"
    run_ffmpeg(
        "-framerate", "25", "-i", pattern, "-c:v", "libvpx", "-b:v", "500k", str(out["webm"])
    )
    out["avi"] = root / "clip.avi"
    run_ffmpeg("-framerate", "25", "-i", pattern, "-c:v", "mjpeg", "-q:v", "3", str(out["avi"]))
    out["mov"] = root / "clip.mov"
    run_ffmpeg(
        "-framerate", "25", "-i", pattern, "-c:v", "libx264", "-pix_fmt", "yuv420p", str(out["mov"])
    )
    return out


def read_all(path: Path) -> tuple[list[np.ndarray], list[float], VideoSource]:
    frames, times = [], []
    with VideoSource(path) as video:
        for frame, t in video:
            frames.append(frame)
            times.append(t)
    return frames, times, video


def ffmpeg_reference_frames(path: Path) -> list[np.ndarray]:
    """Decode with the ffmpeg CLI, which applies the display rotation (what players show)."""
    reader = imageio_ffmpeg.read_frames(str(path))
    meta = reader.__next__()
    width, height = meta["size"]
    return [np.frombuffer(b, np.uint8).reshape(height, width, 3) for b in reader]


def red_mask(frame: np.ndarray) -> np.ndarray:
    return (frame[..., 0] > 180) & (frame[..., 1] < 80) & (frame[..., 2] < 80)


# -- plain decoding -------------------------------------------------------------------------
def test_plain_clip_properties_and_timestamps(clips: dict[str, Path]) -> None:
    frames, times, video = read_all(clips["plain"])
    assert len(frames) == 10
    assert video.n_frames_decoded == 10
    assert video.fps == pytest.approx(25.0)
    assert video.frame_count == 10
    assert video.duration_s == pytest.approx(0.4)
    assert video.rotation_deg == 0
    assert video.frame_size_px == (WIDTH_PX, HEIGHT_PX)
    assert video.timestamp_fallbacks == 0
    np.testing.assert_allclose(times, np.arange(10) * 0.04, atol=1e-6)
    for i, frame in enumerate(frames):
        assert frame.dtype == np.uint8
        assert frame.shape == (HEIGHT_PX, WIDTH_PX, 3)
        # Colour order is RGB and content is in order: marker top-left, bar at x = 40 + 8 i.
        assert red_mask(frame)[4 + MARKER_PX // 2, 4 + MARKER_PX // 2]
        bar_x = int(np.argmax(frame[-5, :, 1] > 200))
        assert abs(bar_x - (40 + 8 * i)) <= 1


def test_probe_video(clips: dict[str, Path]) -> None:
    info = probe_video(clips["plain"])
    assert isinstance(info, VideoInfo)
    assert info.frame_size_px == (WIDTH_PX, HEIGHT_PX)
    assert info.frame_count == 10
    assert info.fps == pytest.approx(25.0)
    assert info.codec.lower() in {"avc1", "h264"}
    assert info.as_dict()["rotation_deg"] == 0


@pytest.mark.parametrize("name", ["webm", "avi", "mov"])
def test_other_containers(clips: dict[str, Path], name: str) -> None:
    frames, times, _ = read_all(clips[name])
    assert len(frames) == 10
    assert frames[0].shape == (HEIGHT_PX, WIDTH_PX, 3)
    np.testing.assert_allclose(times, np.arange(10) * 0.04, atol=1.5e-3)


def test_max_frames_and_single_iteration(clips: dict[str, Path]) -> None:
    with VideoSource(clips["plain"], max_frames=3) as video:
        assert len(list(video)) == 3
        with pytest.raises(RuntimeError, match="only once"):
            iter(video)


# -- rotation -------------------------------------------------------------------------------
@pytest.mark.parametrize("ccw", [90, 180, 270])
def test_rotated_clip_turned_exactly_once(clips: dict[str, Path], ccw: int) -> None:
    frames, _, video = read_all(clips[f"rot{ccw}"])
    expected_size = (HEIGHT_PX, WIDTH_PX) if ccw in (90, 270) else (WIDTH_PX, HEIGHT_PX)
    assert video.frame_size_px == expected_size
    assert video.rotation_deg == (360 - ccw) % 360  # reported clockwise
    assert frames[0].shape == (expected_size[1], expected_size[0], 3)
    # Where the top-left marker must land after a counter-clockwise turn of the display.
    h, w = frames[0].shape[:2]
    c = 4 + MARKER_PX // 2
    expected_centre = {90: (h - 1 - c, c), 180: (h - 1 - c, w - 1 - c), 270: (c, w - 1 - c)}[ccw]
    ys, xs = np.nonzero(red_mask(frames[0]))
    assert abs(ys.mean() - expected_centre[0]) < 2
    assert abs(xs.mean() - expected_centre[1]) < 2
    # And identical (up to decoder noise) to what ffmpeg's own autorotation displays.
    reference = ffmpeg_reference_frames(clips[f"rot{ccw}"])
    assert len(reference) == len(frames)
    diff = np.abs(reference[0].astype(int) - frames[0].astype(int))
    assert diff.mean() < 3


# -- variable frame rate --------------------------------------------------------------------
def test_vfr_timestamps_are_container_times(clips: dict[str, Path]) -> None:
    frames, times, video = read_all(clips["vfr"])
    assert len(frames) == len(VFR_TIMES_MS)
    np.testing.assert_allclose(np.array(times) * 1000.0, VFR_TIMES_MS, atol=1.0)
    assert video.timestamp_fallbacks == 0
    assert np.all(np.diff(times) > 0)


# -- broken input ---------------------------------------------------------------------------
def _one_line(exc: pytest.ExceptionInfo[AvnInputError]) -> str:
    message = str(exc.value)
    assert "\n" not in message
    return message


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(AvnInputError) as info:
        VideoSource(tmp_path / "absent.mp4")
    assert re.search(r"absent\.mp4: file not found", _one_line(info))


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.mp4"
    path.write_bytes(b"")
    with pytest.raises(AvnInputError) as info:
        probe_video(path)
    assert "empty.mp4: file is empty" in _one_line(info)


def test_text_file_named_mp4(tmp_path: Path) -> None:
    path = tmp_path / "notes.mp4"
    path.write_text("this is not a video\n" * 50)
    with pytest.raises(AvnInputError) as info:
        probe_video(path)
    message = _one_line(info)
    assert "notes.mp4" in message
    assert "not a readable video" in message or "no decodable" in message


@pytest.mark.parametrize("faststart", [False, True])
def test_truncated_mp4(clips: dict[str, Path], tmp_path: Path, faststart: bool) -> None:
    source = clips["plain"]
    if faststart:
        # With the index at the front the first half still opens; its frame data is cut.
        source = tmp_path / "fast.mp4"
        run_ffmpeg("-i", str(clips["plain"]), "-c", "copy", "-movflags", "+faststart", str(source))
    data = source.read_bytes()
    path = tmp_path / "truncated.mp4"
    path.write_bytes(data[: len(data) // 2])
    try:
        frames, _, video = read_all(path)
    except AvnInputError as exc:
        assert "truncated.mp4" in str(exc)
        assert "\n" not in str(exc)
        return
    # Decodable prefix: it must not pretend to be complete.
    assert len(frames) < 10
    assert video.n_frames_decoded == len(frames)


# -- annotated output -----------------------------------------------------------------------
def _synthetic_track(n_frames: int, width: int, height: int, fps: float) -> PoseTrack:
    """A track whose left knee walks along the bar of each frame; frame 3 has no pose."""
    image = np.full((n_frames, N_LANDMARKS, 3), np.nan, dtype=np.float32)
    visibility = np.zeros((n_frames, N_LANDMARKS), dtype=np.float32)
    knee = LANDMARK_INDEX["left_knee"]
    hip = LANDMARK_INDEX["left_hip"]
    for i in range(n_frames):
        image[i, hip] = ((40 + 8 * i) / width, 0.2, 0.0)
        image[i, knee] = ((40 + 8 * i) / width, 0.8, 0.0)
    visibility[:, [hip, knee]] = 1.0
    image[3] = np.nan
    visibility[3] = 0.0
    return PoseTrack(
        timestamps_s=np.arange(n_frames) / fps,
        image_xyz=image,
        world_xyz=None,
        visibility=visibility,
        presence=visibility.copy(),
        frame_size_px=(width, height),
    )


def _ffmpeg_stream_line(path: Path) -> str:
    proc = subprocess.run(
        [ffmpeg(), "-hide_banner", "-i", str(path)], capture_output=True, text=True
    )
    lines = [ln for ln in proc.stderr.splitlines() if "Video:" in ln]
    assert lines, proc.stderr
    return lines[0]


@pytest.mark.parametrize("odd", [False, True])
def test_write_annotated_video(clips: dict[str, Path], tmp_path: Path, odd: bool) -> None:
    source = clips["plain"]
    width, height = WIDTH_PX, HEIGHT_PX
    if odd:
        # Odd sizes are legal in many containers but not in yuv420p H.264: must be padded.
        source = tmp_path / "odd.avi"
        run_ffmpeg(
            "-i",
            str(clips["plain"]),
            "-vf",
            "format=yuvj444p,crop=159:95:0:0",
            "-c:v",
            "mjpeg",
            str(source),
        )
        width, height = 159, 95
    track = _synthetic_track(10, width, height, 25.0)
    readouts = {"L knee (deg)": np.linspace(0, 90, 10), "R knee (deg)": np.full(10, np.nan)}
    out = write_annotated_video(source, track, tmp_path / "annotated.mp4", readouts)
    assert out.is_file()
    assert not list(tmp_path.glob("*.partial*"))
    stream = _ffmpeg_stream_line(out)
    assert "h264" in stream
    assert "yuv420p" in stream
    frames, times, video = read_all(out)
    assert len(frames) == 10
    assert video.frame_size_px == (width + width % 2, height + height % 2)
    np.testing.assert_allclose(times, np.arange(10) * 0.04, atol=2e-3)

    # Skeleton drawn in the subject-left colour between hip and knee (except frame 3).
    def orange_near(frame: np.ndarray, x: int, y: int) -> bool:
        patch = frame[y - 1 : y + 2, x - 3 : x + 4].reshape(-1, 3).astype(int)
        return bool(np.any((patch[:, 0] > 200) & (patch[:, 1] > 100) & (patch[:, 1] < 180)))

    for i in range(10):
        assert orange_near(frames[i], 40 + 8 * i, int(0.6 * height)) == (i != 3), i
    # Text box top-left: a dark block with white text pixels.
    assert frames[0][6:20, 6:60].min() < 30
    assert frames[0][6:20, 6:60].max() > 200


def test_write_annotated_video_rejects_bad_readout(clips: dict[str, Path], tmp_path: Path) -> None:
    track = _synthetic_track(10, WIDTH_PX, HEIGHT_PX, 25.0)
    with pytest.raises(AvnInputError, match="one value per track frame"):
        write_annotated_video(clips["plain"], track, tmp_path / "x.mp4", {"a": np.zeros(3)})
