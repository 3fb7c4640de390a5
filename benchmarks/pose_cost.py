"""Pose stage, end-to-end ratio, peak memory and two-core throughput.

* ``pose_ms_per_frame``: decode + MediaPipe inference per frame on a sample clip.
* ``end_to_end_over_pose_ratio``: wall time of the whole ``analyze`` of the same clip divided by
  the decode + inference wall time, both measured in this run (each in a fresh process).
* ``peak_rss_mb_short`` / ``peak_rss_mb_10min``: peak RSS of ``analyze`` on the clip and on the
  clip looped to 10 minutes (stream copy, no re-encode).
* ``two_videos_speedup``: two analyses one after the other vs both at once on two cores.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.common import pick_clip, run_child

POSE_ONLY = """
import json, sys, time
from avnmotion.pose.extract import PoseExtractor
from avnmotion.pose.video import VideoSource
t0 = time.perf_counter(); n = 0
with PoseExtractor() as ex, VideoSource(sys.argv[1]) as src:
    for frame, t_s in src:
        ex.process(frame, int(round(t_s * 1000))); n += 1
print(json.dumps({"frames": n, "seconds": time.perf_counter() - t0}))
"""

ANALYZE = """
import json, sys, time
from avnmotion.pipeline import analyze
t0 = time.perf_counter()
r = analyze(sys.argv[1], sys.argv[2])
print(json.dumps({"frames": r.input.frames, "seconds": time.perf_counter() - t0}))
"""


def loop_video(src: Path, dst: Path, min_duration_s: float) -> Path:
    import imageio_ffmpeg

    from avnmotion.pose.video import probe_video

    dur = probe_video(src).duration_s
    loops = int(min_duration_s // dur) + 1
    cmd = [
        imageio_ffmpeg.get_ffmpeg_exe(),
        "-y",
        "-loglevel",
        "error",
        "-stream_loop",
        str(loops - 1),
        "-i",
        str(src),
        "-c",
        "copy",
        "-t",
        str(min_duration_s),
        str(dst),
    ]
    subprocess.run(cmd, check=True)
    return dst


def run(*, long_video_s: float = 600.0) -> dict[str, Any]:
    picked = pick_clip(task="gait", view="side") or pick_clip()
    if picked is None:
        return {"pose_skipped": "no sample clip in sample_videos/ (run make samples)"}
    clip, key = picked
    task = key.get("task", "rom")
    out: dict[str, Any] = {"pose_clip": clip.name}

    pose = run_child(POSE_ONLY, str(clip))
    frames = pose["result"]["frames"]
    pose_s = pose["result"]["seconds"]
    out["pose_ms_per_frame"] = round(pose_s / frames * 1e3, 3)

    e2e = run_child(ANALYZE, str(clip), task)
    out["end_to_end_ms_per_frame"] = round(e2e["result"]["seconds"] / frames * 1e3, 3)
    out["end_to_end_over_pose_ratio"] = round(e2e["result"]["seconds"] / pose_s, 3)
    out["end_to_end_frames_per_s"] = round(frames / e2e["result"]["seconds"], 2)
    out["peak_rss_mb_short"] = round(e2e["peak_rss_mb"], 1)

    # Two videos: sequential vs concurrent, each analysis in its own process.
    seq0 = time.perf_counter()
    run_child(ANALYZE, str(clip), task)
    run_child(ANALYZE, str(clip), task)
    seq = time.perf_counter() - seq0
    cmd = [sys.executable, "-c", ANALYZE, str(clip), task]
    par0 = time.perf_counter()
    procs = [
        subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(2)
    ]
    rcs = [p.wait() for p in procs]
    par = time.perf_counter() - par0
    if any(rcs):
        raise RuntimeError("concurrent analysis failed")
    out["two_videos_speedup"] = round(seq / par, 3)

    if long_video_s > 0:
        with tempfile.TemporaryDirectory() as tmp:
            long_clip = loop_video(clip, Path(tmp) / f"long{clip.suffix}", long_video_s)
            long = run_child(ANALYZE, str(long_clip), task, timeout_s=3600)
            out["long_video_s"] = long_video_s
            out["long_video_frames"] = long["result"]["frames"]
            out["peak_rss_mb_10min"] = round(long["peak_rss_mb"], 1)
            out["peak_rss_10min_over_short_ratio"] = round(
                long["peak_rss_mb"] / e2e["peak_rss_mb"], 3
            )
    return out


if __name__ == "__main__":
    print(
        json.dumps(run(long_video_s=float(sys.argv[1]) if len(sys.argv) > 1 else 600.0), indent=2)
    )
