"""Frame-by-frame video input with container timestamps and rotation handled once.

Frames are decoded with OpenCV's FFmpeg backend one at a time (bounded memory: one frame
in flight), converted to RGB and turned upright according to the stream's rotation
metadata. OpenCV would auto-rotate by itself (``CAP_PROP_ORIENTATION_AUTO``); we switch
that off and rotate explicitly, so a rotated phone clip is turned exactly once whatever the
OpenCV build does by default.

Timestamps are the container's presentation times (``CAP_PROP_POS_MSEC`` after each read),
so variable-frame-rate phone clips keep their real timing. A frame whose timestamp is
missing, negative or not after the previous one gets ``previous + 1 / fps`` instead; the
number of such fixes is reported as ``timestamp_fallbacks``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from avnmotion.errors import AvnInputError

#: Extensions accepted for uploaded / local videos.
VIDEO_EXTENSIONS: tuple[str, ...] = (".mp4", ".mov", ".m4v", ".avi", ".webm", ".mkv")
#: Frame interval assumed when neither timestamps nor a frame rate are available.
DEFAULT_FPS = 30.0


@dataclass(frozen=True)
class VideoInfo:
    """What a video claims to be, after opening it and decoding its first frame.

    Attributes
    ----------
    path
        The file (``None`` for a camera).
    width_px, height_px
        Size of the frames as delivered, i.e. after rotation.
    fps
        Container (average) frame rate; 0 when unknown.
    frame_count
        Frame count reported by the container (may be an estimate for some formats).
    duration_s
        ``frame_count / fps`` (0 when unknown).
    rotation_deg
        Clockwise rotation applied to make frames upright (0, 90, 180 or 270).
    codec
        FourCC of the video stream, e.g. ``"avc1"``, ``"h264"``, ``"VP80"``.
    """

    path: str | None
    width_px: int
    height_px: int
    fps: float
    frame_count: int
    duration_s: float
    rotation_deg: int
    codec: str

    @property
    def frame_size_px(self) -> tuple[int, int]:
        return (self.width_px, self.height_px)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _fourcc_to_str(value: float) -> str:
    code = int(value)
    if code <= 0:
        return ""
    chars = "".join(chr((code >> (8 * i)) & 0xFF) for i in range(4))
    return chars.strip("\0 ").strip() if chars.isprintable() else f"0x{code:08x}"


def _check_file(path: Path) -> None:
    if not path.exists():
        raise AvnInputError(f"{path}: file not found")
    if not path.is_file():
        raise AvnInputError(f"{path}: not a file")
    if path.stat().st_size == 0:
        raise AvnInputError(f"{path}: file is empty")


class VideoSource:
    """Iterate over a video's frames as ``(frame_rgb, timestamp_s)``.

    Parameters
    ----------
    source
        A video file path, or an integer webcam device index.
    max_frames
        Stop after this many frames (useful for cameras, which never end).

    Notes
    -----
    ``frame_rgb`` is a fresh ``uint8`` array ``(height, width, 3)`` per frame. Use as a
    context manager or call :meth:`close`. The iterator can be consumed once.

    Examples
    --------
    >>> with VideoSource("walk.mp4") as video:  # doctest: +SKIP
    ...     for frame_rgb, time_s in video:
    ...         ...
    """

    def __init__(self, source: str | Path | int, *, max_frames: int | None = None) -> None:
        import cv2

        self._cv2 = cv2
        self.max_frames = max_frames
        self.is_camera = isinstance(source, int)
        self.path: Path | None = None if isinstance(source, int) else Path(source)
        self._label = f"camera {source}" if isinstance(source, int) else str(source)
        if isinstance(source, int):
            cap = cv2.VideoCapture(source)
        else:
            assert self.path is not None
            _check_file(self.path)
            cap = cv2.VideoCapture(str(self.path), cv2.CAP_FFMPEG)
        if not cap.isOpened():
            cap.release()
            what = (
                "camera could not be opened"
                if self.is_camera
                else "not a readable video (FFmpeg could not open it: truncated upload, "
                "missing index or not a video file?)"
            )
            raise AvnInputError(f"{self._label}: {what}")
        self._cap = cap
        self.rotation_deg = self._setup_rotation()
        self.fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
        if not math.isfinite(self.fps) or self.fps <= 0 or self.fps > 1000:
            self.fps = 0.0
        count = cap.get(cv2.CAP_PROP_FRAME_COUNT)
        self.frame_count = int(count) if math.isfinite(count) and count > 0 else 0
        self.codec = _fourcc_to_str(cap.get(cv2.CAP_PROP_FOURCC))
        # Decode the first frame now: this is what catches truncated or corrupt files, and
        # it gives the true (rotated) frame size.
        first = self._read()
        if first is None:
            self.close()
            raise AvnInputError(
                f"{self._label}: no decodable video frames (truncated or corrupt file?)"
            )
        self._pending: tuple[NDArray[np.uint8], float] | None = first
        height, width = first[0].shape[:2]
        self.frame_size_px: tuple[int, int] = (int(width), int(height))
        self.n_frames_decoded = 0
        self.timestamp_fallbacks = 0
        self._prev_time_s: float | None = None
        self._camera_t0: float | None = None
        self._started = False
        self._exhausted = False

    # -- set-up ---------------------------------------------------------------------------
    def _setup_rotation(self) -> int:
        """Switch off OpenCV's auto-rotation and return the rotation we must apply."""
        cv2 = self._cv2
        cap = self._cap
        meta = cap.get(cv2.CAP_PROP_ORIENTATION_META)
        rotation = round(meta) % 360 if math.isfinite(meta) else 0
        if rotation not in (0, 90, 180, 270):
            rotation = 0
        if rotation == 0:
            return 0
        disabled = cap.set(cv2.CAP_PROP_ORIENTATION_AUTO, 0) and not cap.get(
            cv2.CAP_PROP_ORIENTATION_AUTO
        )
        # If auto-rotation cannot be switched off, OpenCV already turns the frames: applying
        # the rotation again would turn them twice.
        return rotation if disabled else 0

    def _rotate(self, frame: NDArray[np.uint8]) -> NDArray[np.uint8]:
        cv2 = self._cv2
        if self.rotation_deg == 90:
            return cv2.rotate(frame, cv2.ROTATE_90_CLOCKWISE)
        if self.rotation_deg == 180:
            return cv2.rotate(frame, cv2.ROTATE_180)
        if self.rotation_deg == 270:
            return cv2.rotate(frame, cv2.ROTATE_90_COUNTERCLOCKWISE)
        return frame

    def _read(self) -> tuple[NDArray[np.uint8], float] | None:
        """Decode one frame: ``(rgb, raw_position_ms)`` or ``None`` at the end."""
        cv2 = self._cv2
        try:
            ok, frame_bgr = self._cap.read()
        except cv2.error:
            return None
        if not ok or frame_bgr is None or frame_bgr.size == 0:
            return None
        pos_ms = float(self._cap.get(cv2.CAP_PROP_POS_MSEC))
        if frame_bgr.ndim == 2:
            rgb = cv2.cvtColor(frame_bgr, cv2.COLOR_GRAY2RGB)
        else:
            rgb = cv2.cvtColor(frame_bgr, cv2.COLOR_BGR2RGB)
        return self._rotate(rgb), pos_ms

    # -- properties -----------------------------------------------------------------------
    @property
    def duration_s(self) -> float:
        """Nominal duration from frame count and frame rate (0 when unknown)."""
        return self.frame_count / self.fps if self.fps > 0 and self.frame_count > 0 else 0.0

    @property
    def incomplete(self) -> bool:
        """True when decoding ended before the container's announced frame count.

        Only meaningful after the frames were consumed to the end (a truncated file with an
        intact index decodes its first part, then stops). Some containers only estimate the
        count, so a shortfall of up to 2 frames (or 2 %) is tolerated.
        """
        shortfall = self.frame_count - self.n_frames_decoded
        return self._exhausted and shortfall > max(2, 0.02 * self.frame_count)

    def info(self) -> VideoInfo:
        """Container properties as a :class:`VideoInfo`."""
        return VideoInfo(
            path=None if self.path is None else str(self.path),
            width_px=self.frame_size_px[0],
            height_px=self.frame_size_px[1],
            fps=self.fps,
            frame_count=self.frame_count,
            duration_s=self.duration_s,
            rotation_deg=self.rotation_deg,
            codec=self.codec,
        )

    # -- iteration ------------------------------------------------------------------------
    def _timestamp_s(self, pos_ms: float) -> float:
        if self.is_camera:
            # Camera drivers' position values are unreliable; wall-clock arrival is honest.
            now = time.monotonic()
            if self._camera_t0 is None:
                self._camera_t0 = now
            candidate = now - self._camera_t0
        else:
            candidate = pos_ms / 1000.0
        prev = self._prev_time_s
        if prev is None:
            if not math.isfinite(candidate) or candidate < 0:
                self.timestamp_fallbacks += 1
                candidate = 0.0
        elif not math.isfinite(candidate) or candidate <= prev:
            self.timestamp_fallbacks += 1
            candidate = prev + 1.0 / (self.fps or DEFAULT_FPS)
        self._prev_time_s = candidate
        return candidate

    def __iter__(self) -> Iterator[tuple[NDArray[np.uint8], float]]:
        if self._started:
            raise RuntimeError("VideoSource can be iterated only once; open it again")
        self._started = True
        return self._frames()

    def _frames(self) -> Iterator[tuple[NDArray[np.uint8], float]]:
        try:
            while self.max_frames is None or self.n_frames_decoded < self.max_frames:
                item: tuple[NDArray[np.uint8], float] | None
                if self._pending is not None:
                    item, self._pending = self._pending, None
                else:
                    item = self._read()
                if item is None:
                    self._exhausted = True
                    break
                frame, pos_ms = item
                self.n_frames_decoded += 1
                yield frame, self._timestamp_s(pos_ms)
        finally:
            self.close()

    def close(self) -> None:
        """Release the decoder (idempotent)."""
        cap = getattr(self, "_cap", None)
        if cap is not None:
            cap.release()
            self._cap = None  # type: ignore[assignment]
        self._pending = None

    def __enter__(self) -> VideoSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def probe_video(path: str | Path) -> VideoInfo:
    """Open a video, decode its first frame and report its properties.

    Raises
    ------
    AvnInputError
        Missing, empty, non-video, truncated or undecodable file (one-line message naming
        the file and the problem).
    """
    source = VideoSource(path)
    try:
        return source.info()
    finally:
        source.close()


def timestamp_jitter_s(timestamps_s: NDArray[np.floating[Any]]) -> dict[str, float]:
    """Frame-interval statistics: median interval and the spread around it.

    Returns
    -------
    dict
        ``median_interval_s``, ``interval_std_s``, ``max_interval_s`` and
        ``max_abs_deviation_s`` (largest distance of an interval from the median).
    """
    t = np.asarray(timestamps_s, dtype=np.float64)
    if t.size < 2:
        return {
            "median_interval_s": 0.0,
            "interval_std_s": 0.0,
            "max_interval_s": 0.0,
            "max_abs_deviation_s": 0.0,
        }
    dt = np.diff(t)
    median = float(np.median(dt))
    return {
        "median_interval_s": median,
        "interval_std_s": float(np.std(dt)),
        "max_interval_s": float(np.max(dt)),
        "max_abs_deviation_s": float(np.max(np.abs(dt - median))),
    }
