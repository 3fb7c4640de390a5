"""Analysis cost per frame (conditioning, kinematics, gait, exercise counting, flags).

Runs on synthetic walking tracks of 1e3, 1e4 and 1e5 frames (no MediaPipe) and reports
microseconds per frame per task and the growth from 1e4 to 1e5 frames (1.0 = linear).
"""

from __future__ import annotations

import json
import time
from typing import Any

import numpy as np

from avnmotion.pipeline import analyze_track, exercise_ids
from tests.builders import sagittal_points, to_image_track, walking_angles

TASKS = ("gait", "rom", "squat")


def walking_track(n_frames: int, fps: float = 30.0) -> Any:
    ang = walking_angles(n_frames, fps)
    t = np.arange(n_frames) / fps
    tr = to_image_track(
        sagittal_points(n_frames, ang["hip"], ang["knee"], pelvis_x=0.5 * np.sin(0.05 * t)),
        fps=fps,
    )
    # Realistic noise so filters and detectors do real work.
    rng = np.random.default_rng(0)
    noisy = tr.image_xyz + rng.normal(0, 0.002, tr.image_xyz.shape).astype(np.float32)
    return tr.with_(image_xyz=noisy)


def cost_us_per_frame(task: str, n_frames: int, repeats: int = 3) -> float:
    track = walking_track(n_frames)
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        analyze_track(track, task)
        best = min(best, time.perf_counter() - t0)
    return best / n_frames * 1e6


def run(sizes: tuple[int, ...] = (1_000, 10_000, 100_000)) -> dict[str, Any]:
    tasks = [t for t in TASKS if t in ("gait", "rom") or t in exercise_ids()]
    table: dict[str, dict[int, float]] = {}
    for task in tasks:
        table[task] = {}
        for n in sizes:
            table[task][n] = round(cost_us_per_frame(task, n, repeats=1 if n >= 100_000 else 3), 2)
    worst_task = max(tasks, key=lambda t: table[t][sizes[1]])
    growth = {
        t: round(table[t][sizes[-1]] / table[t][sizes[1]], 3) for t in tasks if len(sizes) > 1
    }
    return {
        "analysis_us_per_frame": table[worst_task][sizes[1]],
        "analysis_us_per_frame_task": worst_task,
        "analysis_us_per_frame_by_task_and_frames": {
            t: {str(k): v for k, v in d.items()} for t, d in table.items()
        },
        "analysis_growth_1e4_to_1e5_ratio": growth,
    }


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
