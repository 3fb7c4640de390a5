"""Opt-in annotated video: the detected skeleton and a few numbers drawn on each frame.

The source video is decoded again frame by frame (same rotation handling as extraction)
and written as H.264 / yuv420p MP4 through the FFmpeg binary bundled with
``imageio-ffmpeg``, so browsers can play it (OpenCV's wheels carry no H.264 encoder). The
output has a constant frame rate (the container's, or the track's median rate); frame
count and order match the decoded source.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from avnmotion.errors import AvnInputError
from avnmotion.track import LANDMARK_INDEX, PoseTrack

#: Skeleton edges drawn (MediaPipe pose connections without the face and hand details).
SKELETON_EDGES: tuple[tuple[str, str], ...] = (
    ("left_shoulder", "right_shoulder"),
    ("left_hip", "right_hip"),
    ("left_shoulder", "left_hip"),
    ("right_shoulder", "right_hip"),
    ("left_shoulder", "left_elbow"),
    ("left_elbow", "left_wrist"),
    ("right_shoulder", "right_elbow"),
    ("right_elbow", "right_wrist"),
    ("left_hip", "left_knee"),
    ("left_knee", "left_ankle"),
    ("left_ankle", "left_heel"),
    ("left_heel", "left_foot_index"),
    ("left_ankle", "left_foot_index"),
    ("right_hip", "right_knee"),
    ("right_knee", "right_ankle"),
    ("right_ankle", "right_heel"),
    ("right_heel", "right_foot_index"),
    ("right_ankle", "right_foot_index"),
)
_EDGE_INDEX = tuple((LANDMARK_INDEX[a], LANDMARK_INDEX[b]) for a, b in SKELETON_EDGES)
_DRAWN = sorted({i for edge in _EDGE_INDEX for i in edge} | {LANDMARK_INDEX["nose"]})
# RGB colours: the subject's left side orange, right side blue (as MediaPipe's own drawings).
_LEFT_RGB = (255, 140, 0)
_RIGHT_RGB = (0, 160, 255)
_MID_RGB = (230, 230, 230)
#: Landmarks below this visibility are drawn faintly (thin, grey) rather than hidden.
MIN_VISIBILITY = 0.5


def _colour(index_a: int, index_b: int | None = None) -> tuple[int, int, int]:
    from avnmotion.track import LANDMARK_NAMES

    names = [LANDMARK_NAMES[index_a]] + ([] if index_b is None else [LANDMARK_NAMES[index_b]])
    if all(n.startswith("left_") for n in names):
        return _LEFT_RGB
    if all(n.startswith("right_") for n in names):
        return _RIGHT_RGB
    return _MID_RGB


def _format_value(value: float) -> str:
    return "n/a" if not np.isfinite(value) else f"{value:.1f}"


def draw_pose(
    frame_rgb: NDArray[np.uint8],
    pixel_xy: NDArray[np.floating[Any]],
    visibility: NDArray[np.floating[Any]],
    lines: list[str] | None = None,
) -> NDArray[np.uint8]:
    """Draw a skeleton (``pixel_xy`` ``(33, 2)``) and text ``lines`` onto a frame copy."""
    import cv2

    out = np.ascontiguousarray(frame_rgb).copy()
    height = out.shape[0]
    thick = max(2, round(height / 240))
    for a, b in _EDGE_INDEX:
        pa, pb = pixel_xy[a], pixel_xy[b]
        if not (np.all(np.isfinite(pa)) and np.all(np.isfinite(pb))):
            continue
        confident = min(visibility[a], visibility[b]) >= MIN_VISIBILITY
        colour = _colour(a, b) if confident else (128, 128, 128)
        cv2.line(
            out,
            (round(float(pa[0])), round(float(pa[1]))),
            (round(float(pb[0])), round(float(pb[1]))),
            colour,
            thick if confident else max(1, thick // 2),
            cv2.LINE_AA,
        )
    for i in _DRAWN:
        p = pixel_xy[i]
        if not np.all(np.isfinite(p)):
            continue
        colour = _colour(i) if visibility[i] >= MIN_VISIBILITY else (128, 128, 128)
        cv2.circle(
            out, (round(float(p[0])), round(float(p[1]))), thick + 1, colour, -1, cv2.LINE_AA
        )
    if lines:
        scale = max(0.4, height / 900)
        line_h = round(24 * scale / 0.7)
        width = max(cv2.getTextSize(t, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)[0][0] for t in lines)
        # A dark box behind the text keeps it readable on any background.
        cv2.rectangle(out, (4, 4), (12 + width, 10 + line_h * len(lines)), (0, 0, 0), -1)
        for k, text in enumerate(lines):
            cv2.putText(
                out,
                text,
                (8, 4 + line_h * (k + 1) - line_h // 4),
                cv2.FONT_HERSHEY_SIMPLEX,
                scale,
                (255, 255, 255),
                1,
                cv2.LINE_AA,
            )
    return out


def write_annotated_video(
    video_path: str | Path,
    track: PoseTrack,
    out_path: str | Path,
    readouts: Mapping[str, NDArray[np.floating[Any]]] | None = None,
    *,
    quality: int = 6,
) -> Path:
    """Write ``video_path`` with the track's skeleton and readouts drawn on it.

    Parameters
    ----------
    video_path
        The video the track was extracted from.
    track
        A track from :func:`avnmotion.pose.extract.extract_track` (image coordinates and
        frame size needed). Decoded frames are matched to track frames by timestamp, so a
        time-sliced track works too; frames without a match are written undecorated.
    out_path
        Output ``.mp4`` (written to a temporary name, then renamed).
    readouts
        Label -> per-frame values (length ``track.n_frames``), e.g.
        ``{"L hip flex (deg)": angles}``; shown top-left, NaN as ``n/a``.
    quality
        imageio-ffmpeg quality 0-10 (10 best); 6 is about CRF 20.

    Returns
    -------
    Path
        ``out_path``.
    """
    import imageio_ffmpeg

    from avnmotion.pose.video import VideoSource

    out_path = Path(out_path)
    pixel_xy = track.pixel_xy
    if pixel_xy is None:
        raise AvnInputError("annotated video needs a track with image coordinates and frame size")
    readouts = dict(readouts or {})
    for label, values in readouts.items():
        if np.asarray(values).shape != (track.n_frames,):
            raise AvnInputError(
                f"readout {label!r} must have one value per track frame ({track.n_frames}), "
                f"got shape {np.asarray(values).shape}"
            )
    times = track.timestamps_s
    tolerance_s = 0.5 / track.sampling_rate_hz if track.n_frames > 1 else 0.5

    with VideoSource(video_path) as video:
        width, height = video.frame_size_px
        if (width, height) != track.frame_size_px:
            raise AvnInputError(
                f"{Path(video_path).name}: frame size {width}x{height} does not match the "
                f"track's {track.frame_size_px}"
            )
        fps = video.fps or track.sampling_rate_hz or 30.0
        # yuv420p needs even dimensions; pad by one pixel instead of rescaling.
        out_w, out_h = width + width % 2, height + height % 2
        tmp_path = out_path.with_name(out_path.stem + ".partial" + out_path.suffix)
        writer = imageio_ffmpeg.write_frames(
            str(tmp_path),
            (out_w, out_h),
            fps=fps,
            codec="libx264",
            pix_fmt_out="yuv420p",
            quality=quality,
            macro_block_size=1,
            ffmpeg_log_level="error",
            output_params=["-preset", "veryfast", "-movflags", "+faststart"],
        )
        writer.send(None)
        try:
            for frame, time_s in video:
                j = int(np.searchsorted(times, time_s))
                candidates = [k for k in (j - 1, j) if 0 <= k < track.n_frames]
                k = min(candidates, key=lambda c: abs(times[c] - time_s)) if candidates else -1
                if k >= 0 and abs(times[k] - time_s) <= tolerance_s:
                    lines = [f"{lab}: {_format_value(float(v[k]))}" for lab, v in readouts.items()]
                    frame = draw_pose(frame, pixel_xy[k], track.visibility[k], lines)
                if (out_w, out_h) != (width, height):
                    frame = np.pad(frame, ((0, out_h - height), (0, out_w - width), (0, 0)))
                writer.send(np.ascontiguousarray(frame))
        except BaseException:
            writer.close()
            tmp_path.unlink(missing_ok=True)
            raise
        writer.close()
    tmp_path.replace(out_path)
    return out_path
