"""Pose landmarks from video with MediaPipe's PoseLandmarker (Tasks API, CPU).

Threads: MediaPipe/XNNPACK picks its own inference thread count (the Tasks API offers no
knob for it); on a 2-core machine that default is sane, so nothing is forced here. Run one
extraction per core rather than several in one process if throughput matters.
"""

from __future__ import annotations

import contextlib
import math
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Literal, NamedTuple

import numpy as np
from numpy.typing import NDArray

from avnmotion.errors import AvnInputError
from avnmotion.track import N_LANDMARKS, PoseTrack

RunningMode = Literal["video", "image"]
#: Columns of :attr:`FramePose.image`.
IMAGE_COLUMNS: tuple[str, ...] = ("x", "y", "z", "visibility", "presence")


class FramePose(NamedTuple):
    """One frame's pose.

    Attributes
    ----------
    image
        ``(33, 5)`` float32: normalised ``x, y, z`` (see :mod:`avnmotion.track`),
        ``visibility`` and ``presence``.
    world
        ``(33, 3)`` float32 world landmarks in metres (origin between the hips, y down).
    """

    image: NDArray[np.float32]
    world: NDArray[np.float32]


@contextlib.contextmanager
def native_stderr_silenced() -> Iterator[None]:
    """Send file descriptor 2 to /dev/null for the duration (MediaPipe's C++ start-up logs).

    MediaPipe and TFLite log from C++ before absl is initialised, so neither Python logging
    nor GLOG variables reach them; they would break the CLI's one-line errors. Set
    ``AVNMOTION_NATIVE_LOGS=1`` to see them.
    """
    if os.environ.get("AVNMOTION_NATIVE_LOGS") == "1":
        yield
        return
    try:
        saved = os.dup(2)
    except OSError:  # no stderr at all (daemonised): nothing to silence
        yield
        return
    try:
        sys.stderr.flush()
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        os.close(devnull)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def next_timestamp_ms(timestamp_ms: int, last_ms: int | None) -> int:
    """MediaPipe-safe timestamp: ``timestamp_ms``, or ``last_ms + 1`` if it is not later.

    MediaPipe's video mode rejects a timestamp that is not strictly after the previous one.
    """
    ts = int(timestamp_ms)
    if last_ms is not None and ts <= last_ms:
        return int(last_ms) + 1
    return ts


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]


class PoseExtractor:
    """MediaPipe PoseLandmarker wrapper returning NumPy arrays.

    Parameters
    ----------
    model_path
        A PoseLandmarker ``.task`` bundle; ``None`` resolves it with
        :func:`avnmotion.pose.model.resolve_model_path`.
    running_mode
        ``"video"`` (tracking between frames; timestamps must increase) or ``"image"``
        (every frame independent).
    min_pose_detection_confidence, min_pose_presence_confidence, min_tracking_confidence
        MediaPipe thresholds in [0, 1].
    num_poses
        Maximum number of people; when several are found the largest one (landmark
        bounding box in the image) is returned.

    Notes
    -----
    In video mode MediaPipe needs strictly increasing *integer millisecond* timestamps.
    :meth:`process` therefore takes integer milliseconds and, if a timestamp is not after
    the previous one (two container timestamps rounding to the same millisecond, say),
    moves it to ``previous + 1`` ms. The shift is at most a few milliseconds and only
    affects MediaPipe's internal tracking filter, never the timestamps stored in a track.
    """

    def __init__(
        self,
        model_path: str | Path | None = None,
        *,
        running_mode: RunningMode = "video",
        min_pose_detection_confidence: float = 0.5,
        min_pose_presence_confidence: float = 0.5,
        min_tracking_confidence: float = 0.5,
        num_poses: int = 1,
    ) -> None:
        from avnmotion.pose.model import resolve_model_path

        if running_mode not in ("video", "image"):
            raise AvnInputError(f"running_mode must be 'video' or 'image', got {running_mode!r}")
        for name, value in (
            ("min_pose_detection_confidence", min_pose_detection_confidence),
            ("min_pose_presence_confidence", min_pose_presence_confidence),
            ("min_tracking_confidence", min_tracking_confidence),
        ):
            if not 0.0 <= float(value) <= 1.0:
                raise AvnInputError(f"{name} must lie in [0, 1], got {value}")
        if int(num_poses) < 1:
            raise AvnInputError(f"num_poses must be at least 1, got {num_poses}")
        self.model_path = resolve_model_path(model_path)
        self.running_mode: RunningMode = running_mode
        self.num_poses = int(num_poses)
        self.settings: dict[str, Any] = {
            "running_mode": running_mode,
            "min_pose_detection_confidence": float(min_pose_detection_confidence),
            "min_pose_presence_confidence": float(min_pose_presence_confidence),
            "min_tracking_confidence": float(min_tracking_confidence),
            "num_poses": self.num_poses,
        }
        self._last_timestamp_ms: int | None = None
        self.timestamp_bumps = 0
        self._first_call = True

        from mediapipe.tasks.python import BaseOptions, vision

        mode = vision.RunningMode.VIDEO if running_mode == "video" else vision.RunningMode.IMAGE
        options = vision.PoseLandmarkerOptions(
            base_options=BaseOptions(
                model_asset_path=str(self.model_path), delegate=BaseOptions.Delegate.CPU
            ),
            running_mode=mode,
            num_poses=self.num_poses,
            min_pose_detection_confidence=float(min_pose_detection_confidence),
            min_pose_presence_confidence=float(min_pose_presence_confidence),
            min_tracking_confidence=float(min_tracking_confidence),
            output_segmentation_masks=False,
        )
        try:
            with native_stderr_silenced():
                self._landmarker = vision.PoseLandmarker.create_from_options(options)
        except (RuntimeError, ValueError, OSError) as exc:
            # MediaPipe reports bad bundles as RuntimeError/ValueError/FileNotFoundError.
            raise AvnInputError(
                f"pose model {self.model_path}: MediaPipe cannot load it ({_first_line(exc)})"
            ) from None

    # -- lifecycle ------------------------------------------------------------------------
    def close(self) -> None:
        """Release MediaPipe's graph (idempotent)."""
        landmarker = getattr(self, "_landmarker", None)
        if landmarker is not None:
            # Tearing the graph down logs from C++ too (DestroyAccelerator lines).
            with native_stderr_silenced():
                landmarker.close()
            self._landmarker = None

    def __enter__(self) -> PoseExtractor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- inference ------------------------------------------------------------------------
    def _monotonic_ms(self, timestamp_ms: int) -> int:
        ts = next_timestamp_ms(timestamp_ms, self._last_timestamp_ms)
        if ts != int(timestamp_ms):
            self.timestamp_bumps += 1
        self._last_timestamp_ms = ts
        return ts

    def process(self, frame_rgb: NDArray[np.uint8], timestamp_ms: int) -> FramePose | None:
        """Run the landmarker on one RGB frame.

        Parameters
        ----------
        frame_rgb
            ``uint8`` array ``(height, width, 3)`` in RGB order.
        timestamp_ms
            Frame time in integer milliseconds (ignored in image mode). See the class notes
            for how non-increasing values are handled.

        Returns
        -------
        FramePose or None
            ``None`` when no person is detected.
        """
        if self._landmarker is None:
            raise RuntimeError("PoseExtractor is closed")
        import mediapipe as mp

        frame = np.asarray(frame_rgb)
        if frame.dtype != np.uint8 or frame.ndim != 3 or frame.shape[2] != 3:
            raise AvnInputError(
                f"frame must be uint8 (height, width, 3) RGB, got {frame.dtype} {frame.shape}"
            )
        image = mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(frame))
        # The first inference initialises the delegate, which logs from C++ threads.
        quiet = native_stderr_silenced() if self._first_call else contextlib.nullcontext()
        with quiet:
            if self.running_mode == "video":
                result = self._landmarker.detect_for_video(image, self._monotonic_ms(timestamp_ms))
            else:
                result = self._landmarker.detect(image)
        self._first_call = False
        if not result.pose_landmarks:
            return None
        best = 0
        if len(result.pose_landmarks) > 1:
            best = int(np.argmax([_bbox_area(p) for p in result.pose_landmarks]))
        return FramePose(
            image=_to_array(result.pose_landmarks[best], with_scores=True),
            world=_to_array(result.pose_world_landmarks[best], with_scores=False),
        )


def _score(value: float | None) -> float:
    # MediaPipe leaves scores unset (None) for some outputs; clamp for PoseTrack's [0, 1].
    if value is None or not math.isfinite(value):
        return 0.0
    return min(max(float(value), 0.0), 1.0)


def _to_array(landmarks: Any, *, with_scores: bool) -> NDArray[np.float32]:
    if len(landmarks) != N_LANDMARKS:
        raise RuntimeError(f"expected {N_LANDMARKS} landmarks, MediaPipe gave {len(landmarks)}")
    if with_scores:
        return np.asarray(
            [(lm.x, lm.y, lm.z, _score(lm.visibility), _score(lm.presence)) for lm in landmarks],
            dtype=np.float32,
        )
    return np.asarray([(lm.x, lm.y, lm.z) for lm in landmarks], dtype=np.float32)


def _bbox_area(landmarks: Any) -> float:
    xs = [lm.x for lm in landmarks]
    ys = [lm.y for lm in landmarks]
    return (max(xs) - min(xs)) * (max(ys) - min(ys))


class _RowBuffer:
    """Per-frame storage in fixed-size blocks, so long videos need no per-frame objects.

    Columns: image ``x, y, z``, ``visibility``, ``presence``, world ``x, y, z``. Frames
    without a person keep NaN coordinates and zero scores. Blocks (not a doubling array)
    keep the peak near the data itself: growing never copies what is already stored.
    """

    BLOCK = 2048

    def __init__(self) -> None:
        self.n = 0
        self.n_detected = 0
        self._times: list[NDArray[np.float64]] = []
        self._blocks: list[NDArray[np.float32]] = []

    def append(self, time_s: float, pose: FramePose | None) -> None:
        i = self.n % self.BLOCK
        if i == 0:
            block = np.full((self.BLOCK, N_LANDMARKS, 8), np.nan, dtype=np.float32)
            block[..., 3:5] = 0.0
            self._blocks.append(block)
            self._times.append(np.empty(self.BLOCK, dtype=np.float64))
        self._times[-1][i] = time_s
        if pose is not None:
            self._blocks[-1][i, :, 0:5] = pose.image
            self._blocks[-1][i, :, 5:8] = pose.world
            self.n_detected += 1
        self.n += 1

    def columns(self, a: int, b: int) -> NDArray[np.float32]:
        """Columns ``a:b`` of every stored frame, ``(n, 33, b - a)``, as one new array."""
        out = np.empty((self.n, N_LANDMARKS, b - a), dtype=np.float32)
        for k, block in enumerate(self._blocks):  # loop over blocks of frames
            lo = k * self.BLOCK
            hi = min(lo + self.BLOCK, self.n)
            out[lo:hi] = block[: hi - lo, :, a:b]
        return out

    def times_s(self) -> NDArray[np.float64]:
        return np.concatenate(self._times)[: self.n] if self._times else np.empty(0)


def extract_track(
    video_path: str | Path,
    *,
    model_path: str | Path | None = None,
    progress: Callable[[float], None] | None = None,
    max_frames: int | None = None,
    extractor_options: dict[str, Any] | None = None,
) -> PoseTrack:
    """Run pose estimation over a video and return a :class:`~avnmotion.track.PoseTrack`.

    Frames are streamed (one decoded frame in memory at a time); only the landmark arrays
    are kept (float32). Frames without a person get NaN coordinates and zero
    visibility/presence.

    Parameters
    ----------
    video_path
        Video file (mp4/mov/avi/webm...).
    model_path
        PoseLandmarker bundle; default :func:`avnmotion.pose.model.resolve_model_path`.
    progress
        Called with the fraction done in [0, 1] (based on the container frame count) about
        every 1 % and once with 1.0 at the end.
    max_frames
        Stop after this many frames.
    extractor_options
        Extra keyword arguments for :class:`PoseExtractor` (confidence thresholds...).

    Returns
    -------
    PoseTrack
        ``frame_size_px`` is the rotation-corrected size; ``source`` holds ``kind``,
        ``path``, ``fps``, ``rotation_deg``, ``n_frames``, ``codec``, timestamp jitter
        statistics, the model description and the extractor settings.

    Raises
    ------
    AvnInputError
        Unreadable video, or no person in any frame.
    """
    from avnmotion.pose.model import describe_model
    from avnmotion.pose.video import VideoSource, timestamp_jitter_s

    video_path = Path(video_path)
    rows = _RowBuffer()
    with (
        VideoSource(video_path, max_frames=max_frames) as video,
        PoseExtractor(model_path, **(extractor_options or {})) as extractor,
    ):
        expected = video.frame_count
        if max_frames is not None and expected:
            expected = min(expected, max_frames)
        last_reported = -1.0
        for frame, time_s in video:
            pose = extractor.process(frame, round(time_s * 1000.0))
            rows.append(time_s, pose)
            if progress is not None and expected:
                frac = min(rows.n / expected, 1.0)
                if frac - last_reported >= 0.01:
                    progress(frac)
                    last_reported = frac
        info = video.info()
        n_decoded = video.n_frames_decoded
        incomplete = video.incomplete
        fallbacks = video.timestamp_fallbacks
        bumps = extractor.timestamp_bumps
        settings = dict(extractor.settings)
        model_used = extractor.model_path
    n = rows.n
    if n == 0:
        raise AvnInputError(f"{video_path}: no decodable video frames")
    n_detected = rows.n_detected
    if n_detected == 0:
        raise AvnInputError(f"no person detected in any of {n} frames of {video_path.name}")
    image_xyz = rows.columns(0, 3)
    visibility = rows.columns(3, 4)[..., 0]
    presence = rows.columns(4, 5)[..., 0]
    world_xyz = rows.columns(5, 8)
    timestamps_s = rows.times_s()
    del rows
    source: dict[str, Any] = {
        "kind": "video",
        "path": video_path.name,
        "fps": info.fps,
        "frame_count_container": info.frame_count,
        "rotation_deg": info.rotation_deg,
        "n_frames": n_decoded,
        "n_frames_with_pose": int(n_detected),
        "decoding_incomplete": bool(incomplete),
        "codec": info.codec,
        "timestamps": {
            **timestamp_jitter_s(timestamps_s),
            "fallbacks": int(fallbacks),
            "mediapipe_ms_bumps": int(bumps),
        },
        "model": describe_model(model_used),
        "extractor": settings,
    }
    if progress is not None and last_reported < 1.0:
        progress(1.0)
    return PoseTrack(
        timestamps_s=timestamps_s,
        image_xyz=image_xyz,
        world_xyz=world_xyz,
        visibility=visibility,
        presence=presence,
        frame_size_px=info.frame_size_px,
        world_frame="mediapipe_hip",
        source=source,
    )
