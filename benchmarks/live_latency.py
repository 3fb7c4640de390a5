"""Server-side latency of one live frame at 640x480, and what our code adds to the pose model.

Per frame, exactly what the live WebSocket handler does in its worker thread: decode the JPEG
(``api.routes.live._decode``), :meth:`avnmotion.live.LiveSession.process_frame` (MediaPipe
VIDEO-mode pose + the incremental analysis) and the JSON reply. The pose model call is timed
on its own inside ``process_frame`` (``LiveSession.last_pose_ms``), so

* ``live_ms_median`` / ``live_ms_p95``: decode + pose + analysis + JSON, per frame;
* ``live_pose_ms_median``: the MediaPipe call alone;
* ``live_overhead_ms_median``: everything else (JPEG decode, analysis, JSON), per frame.

Frames come from a sample exercise clip, letterboxed to 640x480 and JPEG-encoded at quality 70
(what the page sends), with 15 frames/s client timestamps. The first frames (model warm-up)
are not timed. Network time is not included.

``python -m benchmarks.live_latency`` prints the JSON and writes
``benchmarks/results/live_latency.json``; ``benchmarks.run`` merges it into ``latest.json``.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.common import RESULTS, machine, sample_clips

WIDTH, HEIGHT = 640, 480
JPEG_QUALITY = 70
CLIENT_FPS = 15.0
WARMUP_FRAMES = 15


def _pick() -> tuple[Path, str]:
    from avnmotion.live import live_exercises

    live_ids = {e["id"] for e in live_exercises()}
    clips = [(v, k) for v, k in sample_clips() if k.get("task") in live_ids]
    if not clips:
        raise RuntimeError("no exercise clip in sample_videos/ (make samples)")
    video, key = min(clips, key=lambda c: c[1].get("n_frames", 1e9))
    return video, str(key["task"])


def _letterbox(rgb: np.ndarray) -> np.ndarray:
    import cv2

    h, w = rgb.shape[:2]
    scale = min(WIDTH / w, HEIGHT / h)
    nw, nh = round(w * scale), round(h * scale)
    small = cv2.resize(rgb, (nw, nh), interpolation=cv2.INTER_AREA)
    out = np.zeros((HEIGHT, WIDTH, 3), dtype=np.uint8)
    y0, x0 = (HEIGHT - nh) // 2, (WIDTH - nw) // 2
    out[y0 : y0 + nh, x0 : x0 + nw] = small
    return out


def _jpegs(video: Path, max_frames: int) -> list[bytes]:
    import cv2

    from avnmotion.pose.video import VideoSource

    out = []
    with VideoSource(video, max_frames=max_frames) as src:
        for frame, _t in src:
            bgr = cv2.cvtColor(_letterbox(frame), cv2.COLOR_RGB2BGR)
            ok, buf = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
            if ok:
                out.append(buf.tobytes())
    return out


def _stats(values: list[float]) -> tuple[float, float]:
    arr = np.asarray(values, dtype=np.float64)
    return round(float(np.median(arr)), 2), round(float(np.percentile(arr, 95)), 2)


def run(
    max_frames: int = 450, video: Path | None = None, task: str | None = None
) -> dict[str, Any]:
    """Measure; returns the flat ``live_*`` keys (see the module docstring)."""
    from api.routes.live import _decode
    from avnmotion.live import LiveSession

    if video is None or task is None:
        video, task = _pick()
    jpegs = _jpegs(video, max_frames)
    if len(jpegs) <= WARMUP_FRAMES + 10:
        raise RuntimeError(f"{video.name}: too few frames for the live benchmark")
    total_ms: list[float] = []
    pose_ms: list[float] = []
    decode_ms: list[float] = []
    with LiveSession(task, sampling_rate_hz=CLIENT_FPS) as session:
        for k, jpeg in enumerate(jpegs):
            t0 = time.perf_counter()
            rgb = _decode(jpeg)
            t1 = time.perf_counter()
            update = session.process_frame(rgb, 1000.0 * k / CLIENT_FPS)
            json.dumps({"type": "update", **update.to_dict()}, allow_nan=False)
            t2 = time.perf_counter()
            if k >= WARMUP_FRAMES:
                total_ms.append((t2 - t0) * 1000.0)
                decode_ms.append((t1 - t0) * 1000.0)
                pose_ms.append(session.last_pose_ms)
        count = session.rep_count
        with_pose = session.frames_with_pose
    overhead = [t - p for t, p in zip(total_ms, pose_ms, strict=True)]
    analysis = [o - d for o, d in zip(overhead, decode_ms, strict=True)]
    live_med, live_p95 = _stats(total_ms)
    pose_med, pose_p95 = _stats(pose_ms)
    over_med, over_p95 = _stats(overhead)
    dec_med, _ = _stats(decode_ms)
    ana_med, ana_p95 = _stats(analysis)
    return {
        "live_ms_median": live_med,
        "live_ms_p95": live_p95,
        "live_pose_ms_median": pose_med,
        "live_pose_ms_p95": pose_p95,
        "live_overhead_ms_median": over_med,
        "live_overhead_ms_p95": over_p95,
        "live_decode_ms_median": dec_med,
        "live_analysis_ms_median": ana_med,
        "live_analysis_ms_p95": ana_p95,
        "live_frames_timed": len(total_ms),
        "live_frames_with_pose": with_pose,
        "live_clip": video.name,
        "live_task": task,
        "live_frame_size": f"{WIDTH}x{HEIGHT}",
        "live_jpeg_quality": JPEG_QUALITY,
        "live_rep_count": count,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--max-frames", type=int, default=450)
    ap.add_argument("--video", type=Path, help="a clip instead of the shortest sample clip")
    ap.add_argument("--task", help="exercise id for --video")
    args = ap.parse_args()
    res = run(args.max_frames, args.video, args.task)
    res["machine"] = machine()
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "live_latency.json").write_text(json.dumps(res, indent=2) + "\n")
    print(json.dumps(res, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
