"""Quick benchmark guard: ratios measured in this run, never absolute times.

* Analysis cost per frame must stay <= 0.5 % of the pose model's per-frame cost.
* Streaming extraction must not keep frames: Python-heap peak while extracting 4x more
  frames grows by less than one decoded frame's worth per 20 extra frames.
* Analysis memory for a 10-minute track must stay well below the process's resident size
  with the pose model loaded (the 10-minute RSS goal is <= 1.3x the short clip's).
"""

from __future__ import annotations

import gc
import resource
import time
import tracemalloc

import pytest

from avnmotion.pipeline import analyze_track, exercise_ids
from benchmarks.analysis_cost import walking_track
from benchmarks.common import pick_clip

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def clip():
    picked = pick_clip(task="gait", view="side") or pick_clip()
    if picked is None:
        pytest.skip("no sample clip in sample_videos/ (run make samples)")
    return picked[0]


def _pose_ms_per_frame(video, n_frames: int) -> float:
    from avnmotion.pose.extract import PoseExtractor
    from avnmotion.pose.video import VideoSource

    with PoseExtractor() as ex, VideoSource(video) as src:
        t0 = time.perf_counter()
        n = 0
        for frame, t_s in src:
            ex.process(frame, round(t_s * 1000))
            n += 1
            if n >= n_frames:
                break
        return (time.perf_counter() - t0) / n * 1e3


def _analysis_us_per_frame(n_frames: int) -> float:
    track = walking_track(n_frames)
    tasks = ["gait", "rom"] + [t for t in ("squat",) if t in exercise_ids()]
    worst = 0.0
    for task in tasks:
        t0 = time.perf_counter()
        analyze_track(track, task)
        worst = max(worst, (time.perf_counter() - t0) / n_frames * 1e6)
    return worst


def test_analysis_cost_is_below_half_a_percent_of_pose_cost(clip):
    pose_ms = _pose_ms_per_frame(clip, 120)
    analysis_us = min(_analysis_us_per_frame(6000) for _ in range(2))
    ratio_pct = 100 * analysis_us / (pose_ms * 1000)
    print(f"pose {pose_ms:.2f} ms/frame, analysis {analysis_us:.1f} us/frame = {ratio_pct:.3f} %")
    assert ratio_pct <= 0.5


def _extraction_heap_peak_mb(video, n_frames: int) -> float:
    from avnmotion.pose.extract import extract_track

    gc.collect()
    tracemalloc.start()
    extract_track(video, max_frames=n_frames)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def test_extraction_memory_does_not_grow_with_video_length(clip):
    from avnmotion.pose.video import probe_video

    info = probe_video(clip)
    n_short = min(60, info.frame_count // 4)
    short = _extraction_heap_peak_mb(clip, n_short)
    long = _extraction_heap_peak_mb(clip, 4 * n_short)
    frame_mb = info.width_px * info.height_px * 3 / 2**20
    print(f"heap peak {short:.1f} MB for {n_short} frames, {long:.1f} MB for {4 * n_short}")
    # Keeping frames would add 3 * n_short * frame_mb; the track itself adds ~2 KB per frame.
    assert long - short < max(1.0, 3 * n_short * frame_mb / 20)


def test_ten_minute_analysis_memory_is_small_next_to_the_pose_process(clip):
    _pose_ms_per_frame(clip, 10)  # load the pose model so RSS includes it, as in analyze
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    track = walking_track(18_000)  # 10 minutes at 30 fps
    gc.collect()
    tracemalloc.start()
    analyze_track(track, "gait")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    track_mb = sum(a.nbytes for a in (track.image_xyz, track.visibility, track.presence)) / 2**20
    print(
        f"analysis heap peak {peak / 2**20:.1f} MB (track {track_mb:.1f} MB), "
        f"process RSS {rss_mb:.0f} MB"
    )
    assert peak / 2**20 < 0.3 * rss_mb
