"""``avnmotion live --camera 0 --task ID [--record OUT] [--max-seconds S]``: console count and
cues from a camera or a video file, optional annotated recording."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from avnmotion.errors import AvnInputError
from avnmotion.live.counter import LiveCounter
from avnmotion.live.session import LiveSession, LiveUpdate
from avnmotion.result import PATIENT_SAFETY_ADVICE
from avnmotion.track import N_LANDMARKS


def _console_line(u: LiveUpdate, hold_target: float | None) -> str:
    noun = "holds" if u.kind == "hold" else "reps"
    parts = [f"{noun} {u.rep_count}", f"set {u.set_index + 1}"]
    if u.hold_s is not None:
        target = f" / {hold_target:g} s" if hold_target else " s"
        parts.append(f"hold {u.hold_s:.0f}{target}")
    if u.cues:
        parts.append(" ".join(u.cues))
    return " | ".join(parts)


def _open_recording(record: str | Path, frame_size_px: tuple[int, int], rate: float) -> Any:
    """An H.264 MP4 writer (``send`` RGB frames; sides rounded up to even sizes)."""
    import imageio_ffmpeg

    w, h = frame_size_px
    writer = imageio_ffmpeg.write_frames(
        str(record),
        (w + w % 2, h + h % 2),
        fps=rate,
        codec="libx264",
        pix_fmt_out="yuv420p",
        quality=6,
        macro_block_size=1,
        ffmpeg_log_level="error",
        output_params=["-preset", "veryfast", "-movflags", "+faststart"],
    )
    writer.send(None)
    return writer


def _annotated(
    frame: NDArray[np.uint8], u: LiveUpdate, line: str, frame_size_px: tuple[int, int]
) -> NDArray[np.uint8]:
    """The frame with the skeleton and the console line, padded to even sides (H.264)."""
    from avnmotion.pose.overlay import draw_pose

    lines = [line[:80]]
    if u.landmarks is not None:
        arr = np.asarray(u.landmarks, dtype=np.float64)
        xy = arr[:, :2] * np.asarray(frame_size_px, dtype=np.float64)
        drawn = draw_pose(frame, xy, arr[:, 2], lines)
    else:
        drawn = draw_pose(frame, np.full((N_LANDMARKS, 2), np.nan), np.zeros(N_LANDMARKS), lines)
    h, w = drawn.shape[:2]
    if w % 2 or h % 2:
        drawn = np.pad(drawn, ((0, h % 2), (0, w % 2), (0, 0)))
    return np.ascontiguousarray(drawn)


def run_camera(args: Any, *, out: Callable[[str], None] | None = None) -> int:
    """``avnmotion live``: count from a camera (device index) or a video file.

    ``args`` needs ``camera`` (device index or file path), ``task``, ``model``, ``record``
    (annotated MP4 path or ``None``) and ``max_seconds``. Prints the count and cues as they
    change, then a summary. Returns the exit code.
    """
    from avnmotion.pose.video import VideoSource

    say = out or (lambda text: print(text, flush=True))
    cam = str(getattr(args, "camera", "0"))
    source: int | Path = int(cam) if cam.isdigit() else Path(cam)
    if isinstance(source, Path) and not source.exists():
        raise AvnInputError(f"{cam}: no such video file (give a camera index such as 0 or a file)")
    max_s = getattr(args, "max_seconds", None)
    if max_s is not None and not max_s > 0:
        raise AvnInputError(f"--max-seconds must be positive, got {max_s}")
    record = getattr(args, "record", None)
    if record and Path(record).suffix.lower() != ".mp4":
        raise AvnInputError(f"{record}: the recording must be an .mp4 file")
    # Fail on a bad task before opening the camera.
    LiveCounter(args.task)

    with VideoSource(source) as video:
        rate = video.fps if video.fps > 0 else 30.0
        if video.is_camera:
            rate = min(rate, 30.0)
        session = LiveSession(
            args.task, model_path=getattr(args, "model", None), sampling_rate_hz=rate
        )
        info = session.describe()
        writer = _open_recording(record, video.frame_size_px, rate) if record else None
        say(f"{info['name']}: {info['instructions']}")
        say(f"Safety: {PATIENT_SAFETY_ADVICE}")
        say("Press Ctrl-C to stop." if video.is_camera else f"Reading {source}.")
        last_line = ""
        try:
            with session:
                try:
                    for frame, time_s in video:
                        if max_s is not None and time_s > max_s:
                            break
                        u = session.process_frame(frame, time_s * 1000.0)
                        line = _console_line(u, info["hold_target_s"])
                        if line != last_line:
                            say(f"{u.time_s:7.1f} s  {line}")
                            last_line = line
                        if writer is not None:
                            writer.send(_annotated(frame, u, line, video.frame_size_px))
                except KeyboardInterrupt:
                    say("stopped")
                if not session.has_pose:
                    say("No person was seen; nothing to summarise.")
                    return 2
                _track, result = session.finish()
        finally:
            if writer is not None:
                writer.close()
    ex = result.exercise
    noun = "holds" if info["kind"] == "hold" else "reps"
    n = session.rep_count
    say(f"Done: {n} {noun}" + (f" in {len(ex.sets)} set(s)" if ex and ex.sets else "") + ".")
    if ex is not None:
        for msg in ex.patient_messages:
            say(f"  - {msg}")
    for note in result.quality.warnings:
        say(f"  note: {note}")
    if record:
        say(f"Recording: {record}")
    say(f"Safety: {PATIENT_SAFETY_ADVICE}")
    return 0
