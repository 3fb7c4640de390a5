"""MediaPipe pose extraction on generated images and clips (slow: runs the model).

MediaPipe does not detect stick figures, but it reliably detects the filled, clothed,
face-bearing cartoon person drawn by :func:`draw_person` (checked: every landmark used
below within ~2 % of the frame height of where it was drawn).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from avnmotion.errors import AvnInputError, ModelNotAvailableError
from avnmotion.track import LANDMARK_INDEX, N_LANDMARKS

cv2 = pytest.importorskip("cv2")
imageio_ffmpeg = pytest.importorskip("imageio_ffmpeg")
pytest.importorskip("mediapipe")

from avnmotion.pose.extract import PoseExtractor, extract_track  # noqa: E402
from avnmotion.pose.model import prepare_model  # noqa: E402

pytestmark = pytest.mark.slow

WIDTH_PX, HEIGHT_PX = 480, 640
#: Tolerance for landmark positions, as a fraction of the frame height.
TOLERANCE = 0.05

SKIN, SHIRT, PANTS = (224, 180, 150), (40, 90, 170), (50, 50, 60)
SHOE, HAIR = (30, 30, 30), (60, 40, 25)


def _pt(p: tuple[float, float]) -> tuple[int, int]:
    return round(p[0]), round(p[1])


def _limb(
    img: np.ndarray,
    p: tuple[float, float],
    q: tuple[float, float],
    width: float,
    colour: tuple[int, int, int],
) -> None:
    """A tapered, round-ended segment (a thick filled limb, not a line)."""
    a, b = np.asarray(p, float), np.asarray(q, float)
    d = b - a
    n = np.array([-d[1], d[0]]) / (np.linalg.norm(d) + 1e-9)
    poly = np.array(
        [a + n * width / 2, b + n * width * 0.4, b - n * width * 0.4, a - n * width / 2], np.int32
    )
    cv2.fillConvexPoly(img, poly, colour, cv2.LINE_AA)
    cv2.circle(img, _pt(p), round(width / 2), colour, -1, cv2.LINE_AA)
    cv2.circle(img, _pt(q), round(width * 0.4), colour, -1, cv2.LINE_AA)


def draw_person(
    width: int = WIDTH_PX, height: int = HEIGHT_PX, shift_x: float = 0.0, person: bool = True
) -> tuple[np.ndarray, dict[str, tuple[float, float]]]:
    """Draw a front-facing cartoon person; return the RGB image and joint pixels.

    Joint names follow MediaPipe (the subject's left is on the image's right).
    """
    img = np.empty((height, width, 3), np.uint8)
    for y in range(height):  # wall gradient and a floor
        img[y] = (
            (200 - y * 0.08, 195 - y * 0.08, 185 - y * 0.06)
            if y < 0.85 * height
            else (120, 100, 80)
        )
    if not person:
        return img, {}
    s = height / 640.0
    cx = width / 2 + shift_x * width
    j: dict[str, tuple[float, float]] = {"nose": (cx, 95 * s)}
    for side, sign in (("left", 1), ("right", -1)):
        j[f"{side}_shoulder"] = (cx + sign * 45 * s, 160 * s)
        j[f"{side}_elbow"] = (cx + sign * 58 * s, 245 * s)
        j[f"{side}_wrist"] = (cx + sign * 62 * s, 320 * s)
        j[f"{side}_hip"] = (cx + sign * 28 * s, 330 * s)
        j[f"{side}_knee"] = (cx + sign * 32 * s, 445 * s)
        j[f"{side}_ankle"] = (cx + sign * 34 * s, 560 * s)
    for side, sign in (("left", 1), ("right", -1)):
        _limb(img, j[f"{side}_hip"], j[f"{side}_knee"], 46 * s, PANTS)
        _limb(img, j[f"{side}_knee"], j[f"{side}_ankle"], 38 * s, PANTS)
        ax, ay = j[f"{side}_ankle"]
        cv2.ellipse(
            img,
            _pt((ax + sign * 12 * s, ay + 12 * s)),
            _pt((26 * s, 11 * s)),
            0,
            0,
            360,
            SHOE,
            -1,
            cv2.LINE_AA,
        )
    lh, rh = j["left_hip"], j["right_hip"]
    torso = np.array(
        [j["left_shoulder"], j["right_shoulder"], (rh[0] - 8 * s, rh[1]), (lh[0] + 8 * s, lh[1])],
        np.int32,
    )
    cv2.fillConvexPoly(img, torso, SHIRT, cv2.LINE_AA)
    cv2.ellipse(img, _pt((cx, 165 * s)), _pt((48 * s, 18 * s)), 0, 180, 360, SHIRT, -1, cv2.LINE_AA)
    cv2.rectangle(img, _pt((rh[0] - 10 * s, 315 * s)), _pt((lh[0] + 10 * s, 345 * s)), PANTS, -1)
    for side in ("left", "right"):
        _limb(img, j[f"{side}_shoulder"], j[f"{side}_elbow"], 30 * s, SHIRT)
        _limb(img, j[f"{side}_elbow"], j[f"{side}_wrist"], 24 * s, SKIN)
        wx, wy = j[f"{side}_wrist"]
        cv2.ellipse(
            img, _pt((wx, wy + 12 * s)), _pt((11 * s, 16 * s)), 0, 0, 360, SKIN, -1, cv2.LINE_AA
        )
    _limb(img, (cx, 140 * s), (cx, 120 * s), 24 * s, SKIN)  # neck
    hx, hy = j["nose"]
    cv2.ellipse(img, _pt((hx, hy)), _pt((30 * s, 38 * s)), 0, 0, 360, SKIN, -1, cv2.LINE_AA)
    cv2.ellipse(
        img, _pt((hx, hy - 14 * s)), _pt((32 * s, 28 * s)), 0, 180, 360, HAIR, -1, cv2.LINE_AA
    )
    line_w = max(1, round(2 * s))
    for ex in (-11, 11):  # eyes with pupils and brows, ears
        eye = (hx + ex * s, hy - 2 * s)
        cv2.ellipse(
            img, _pt(eye), _pt((6 * s, 3.5 * s)), 0, 0, 360, (255, 255, 255), -1, cv2.LINE_AA
        )
        cv2.circle(img, _pt(eye), round(2.5 * s), (50, 30, 20), -1, cv2.LINE_AA)
        cv2.line(
            img,
            _pt((eye[0] - 6 * s, hy - 10 * s)),
            _pt((eye[0] + 6 * s, hy - 10 * s)),
            HAIR,
            line_w,
            cv2.LINE_AA,
        )
    for ex in (-31, 31):
        cv2.ellipse(
            img,
            _pt((hx + ex * s, hy + 2 * s)),
            _pt((5 * s, 9 * s)),
            0,
            0,
            360,
            SKIN,
            -1,
            cv2.LINE_AA,
        )
    cv2.line(
        img, _pt((hx, hy)), _pt((hx - 3 * s, hy + 10 * s)), (180, 130, 110), line_w, cv2.LINE_AA
    )
    cv2.ellipse(
        img,
        _pt((hx, hy + 19 * s)),
        _pt((9 * s, 4 * s)),
        0,
        0,
        180,
        (150, 60, 60),
        line_w,
        cv2.LINE_AA,
    )
    return cv2.GaussianBlur(img, (3, 3), 0), j


def write_clip(path: Path, frames: list[np.ndarray], fps: float = 25.0) -> Path:
    height, width = frames[0].shape[:2]
    writer = imageio_ffmpeg.write_frames(
        str(path),
        (width, height),
        fps=fps,
        codec="libx264",
        macro_block_size=1,
        ffmpeg_log_level="error",
        output_params=["-crf", "18"],
    )
    writer.send(None)
    for frame in frames:
        writer.send(np.ascontiguousarray(frame))
    writer.close()
    return path


@pytest.fixture(scope="session")
def model_path() -> Path:
    try:
        return prepare_model()
    except ModelNotAvailableError as exc:
        pytest.skip(f"pose model could not be prepared (needs the package index): {exc}")


def _assert_near(
    image_xy: np.ndarray, joints: dict[str, tuple[float, float]], width: int, height: int
) -> None:
    for name in (
        "nose",
        "left_shoulder",
        "right_shoulder",
        "left_hip",
        "right_hip",
        "left_knee",
        "right_knee",
        "left_ankle",
        "right_ankle",
    ):
        x, y = image_xy[LANDMARK_INDEX[name], :2] * (width, height)
        jx, jy = joints[name]
        err = float(np.hypot(x - jx, y - jy)) / height
        assert err < TOLERANCE, f"{name}: detected ({x:.0f}, {y:.0f}), drawn ({jx:.0f}, {jy:.0f})"


def test_detects_drawn_person_image_mode(model_path: Path) -> None:
    frame, joints = draw_person()
    with PoseExtractor(model_path, running_mode="image") as extractor:
        pose = extractor.process(frame, 0)
    assert pose is not None
    assert pose.image.shape == (N_LANDMARKS, 5)
    assert pose.world.shape == (N_LANDMARKS, 3)
    assert pose.image.dtype == np.float32
    _assert_near(pose.image, joints, WIDTH_PX, HEIGHT_PX)
    assert pose.image[LANDMARK_INDEX["left_hip"], 3] > 0.8  # visibility
    assert pose.image[LANDMARK_INDEX["left_hip"], 4] > 0.8  # presence
    # World landmarks: metres, origin between the hips, y down (head above the hips).
    world_hips = pose.world[[LANDMARK_INDEX["left_hip"], LANDMARK_INDEX["right_hip"]]]
    assert np.all(np.abs(world_hips.mean(axis=0)) < 0.05)
    assert pose.world[LANDMARK_INDEX["nose"], 1] < -0.3


def test_video_mode_duplicate_timestamps_are_bumped(model_path: Path) -> None:
    frame, _ = draw_person()
    with PoseExtractor(model_path) as extractor:
        for ts in (0, 33, 33, 40):
            assert extractor.process(frame, ts) is not None
        assert extractor.timestamp_bumps == 1


def test_extract_track_on_moving_person(model_path: Path, tmp_path: Path) -> None:
    shifts = np.linspace(-0.08, 0.08, 14)
    drawn = [draw_person(shift_x=float(dx)) for dx in shifts]
    frames = [f for f, _ in drawn]
    gap = range(5, 9)
    empty, _ = draw_person(person=False)
    for i in gap:  # the person leaves the picture for a while
        frames[i] = empty
    clip = write_clip(tmp_path / "walker.mp4", frames)
    fractions: list[float] = []
    track = extract_track(clip, model_path=model_path, progress=fractions.append)

    assert track.n_frames == 14
    assert track.frame_size_px == (WIDTH_PX, HEIGHT_PX)
    assert track.image_xyz is not None and track.world_xyz is not None
    assert track.image_xyz.dtype == np.float32
    assert track.world_xyz.dtype == np.float32
    np.testing.assert_allclose(track.timestamps_s, np.arange(14) / 25.0, atol=1e-6)
    detected = track.frames_with_pose()
    # MediaPipe's tracker may hold a fading pose for a frame or two after the person left
    # (low per-landmark presence), but not through the whole gap.
    missing = [i for i in gap if not detected[i]]
    assert missing
    for i in missing:
        assert np.all(np.isnan(track.image_xyz[i])) and np.all(np.isnan(track.world_xyz[i]))
        assert np.all(track.visibility[i] == 0) and np.all(track.presence[i] == 0)
    outside = [i for i in range(14) if i not in gap]
    assert detected[outside].all()
    for i in outside:
        _assert_near(track.image_xyz[i], drawn[i][1], WIDTH_PX, HEIGHT_PX)

    assert fractions[-1] == 1.0
    assert fractions == sorted(fractions)
    src = track.source
    assert src["kind"] == "video"
    assert src["path"] == "walker.mp4"
    assert src["fps"] == pytest.approx(25.0)
    assert src["rotation_deg"] == 0
    assert src["n_frames"] == 14
    assert src["decoding_incomplete"] is False
    assert src["n_frames_with_pose"] == int(detected.sum())
    assert src["codec"].lower() in {"avc1", "h264"}
    assert src["timestamps"]["median_interval_s"] == pytest.approx(0.04, abs=1e-6)
    assert src["model"]["file"] == model_path.name
    assert len(src["model"]["sha256_prefix"]) == 12


def test_extract_track_max_frames(model_path: Path, tmp_path: Path) -> None:
    frames = [draw_person(shift_x=0.01 * i)[0] for i in range(6)]
    clip = write_clip(tmp_path / "short.mp4", frames)
    track = extract_track(clip, model_path=model_path, max_frames=3)
    assert track.n_frames == 3


def test_no_person_in_any_frame(model_path: Path, tmp_path: Path) -> None:
    empty, _ = draw_person(person=False)
    frames = [np.roll(empty, 3 * i, axis=1) for i in range(8)]
    clip = write_clip(tmp_path / "empty_room.mp4", frames)
    with pytest.raises(
        AvnInputError, match=r"no person detected in any of 8 frames of empty_room\.mp4"
    ):
        extract_track(clip, model_path=model_path)


def test_extract_track_bad_video(model_path: Path, tmp_path: Path) -> None:
    path = tmp_path / "notes.mp4"
    path.write_text("not a video")
    with pytest.raises(AvnInputError, match=r"notes\.mp4"):
        extract_track(path, model_path=model_path)


def test_a_cut_off_video_is_analysed_with_a_warning_not_silently(
    model_path: Path, tmp_path: Path
) -> None:
    # The first 30 % of a sample clip's bytes decode (its index is intact); the result must
    # say that the video ended early instead of passing for the whole recording.
    from avnmotion.pipeline import analyze

    sample = Path(__file__).resolve().parents[2] / "sample_videos" / "squat.mp4"
    if not sample.is_file():
        pytest.skip("sample clip squat.mp4 not present")
    data = sample.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: int(0.3 * len(data))])
    try:
        result = analyze(cut, "squat", model_path=model_path)
    except AvnInputError as exc:  # a decoder that refuses the prefix names the file
        assert "cut.mp4" in str(exc)
        return
    warning = [w for w in result.quality.warnings if "ended early" in w]
    assert warning, result.quality.warnings
    assert "may be truncated" in warning[0]
    assert result.input.frames < 0.6 * 753  # the full clip has 753 frames
    assert result.input.container_fps == pytest.approx(30.0)
