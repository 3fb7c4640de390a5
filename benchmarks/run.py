"""``make bench``: run every benchmark and write ``results/latest.json`` and ``latest.md``.

Keys are flat with units in their names. Each goal is a ratio measured within this run, so a
noisy or slower machine changes the absolute numbers but not the verdicts:

* analysis <= 0.5 % of pose time per frame;
* end-to-end analyze <= 1.10 x decode + inference;
* 10-minute peak RSS <= 1.3 x the short clip's;
* two videos on two cores >= 1.8 x faster than one after the other.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import time
from typing import Any

from benchmarks import accuracy, analysis_cost, pose_cost
from benchmarks.common import RESULTS, machine

GOALS: list[tuple[str, str, str, float]] = [
    # key, description, comparison, limit
    ("analysis_over_pose_pct", "analysis cost / pose cost per frame (%)", "<=", 0.5),
    ("end_to_end_over_pose_ratio", "end-to-end / decode+inference wall time", "<=", 1.10),
    ("peak_rss_10min_over_short_ratio", "peak RSS 10-min / short clip", "<=", 1.3),
    ("two_videos_speedup", "two videos at once vs one after the other", ">=", 1.8),
]

TABLE_KEYS: list[tuple[str, str]] = [
    ("analysis_us_per_frame", "analysis cost (us/frame, 1e4 frames, worst task)"),
    ("pose_ms_per_frame", "decode + pose inference (ms/frame)"),
    ("end_to_end_frames_per_s", "end-to-end analyze (frames/s)"),
    ("end_to_end_over_pose_ratio", "end-to-end / decode+inference"),
    ("peak_rss_mb_short", "peak RSS, short clip (MB)"),
    ("peak_rss_mb_10min", "peak RSS, 10-minute video (MB)"),
    ("two_videos_speedup", "two videos on two cores (speed-up)"),
    ("live_ms_median", "live per-frame latency, median (ms)"),
    ("live_ms_p95", "live per-frame latency, p95 (ms)"),
    ("live_overhead_ms_median", "live latency beyond the pose model, median (ms)"),
    ("gait_event_mae_ms", "gait event MAE vs motion capture (ms)"),
    ("gait_event_max_error_frames", "gait event worst error (frames)"),
    ("rep_count_mae", "rep count MAE (sample clips)"),
    ("rep_count_obo", "rep count off-by-one accuracy"),
    ("rep_count_exact", "rep count exact (share of clips)"),
    ("rep_count_clips", "clips with counted reps"),
    ("partial_reps_exact", "partial reps as in the key (share of counted clips)"),
    ("hold_duration_mae_s", "hold duration MAE (s, hold exercises)"),
    ("hold_count_errors", "holds missed or extra (hold exercises)"),
    ("hip_flexion_rmse_deg", "hip flexion RMSE vs answer keys (deg)"),
    ("knee_flexion_rmse_deg", "knee flexion RMSE vs answer keys (deg)"),
]


def check_goals(res: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for key, desc, op, limit in GOALS:
        value = res.get(key)
        ok = None if value is None else (value <= limit if op == "<=" else value >= limit)
        out.append({"key": key, "goal": f"{desc} {op} {limit}", "value": value, "met": ok})
    return out


def markdown(res: dict[str, Any]) -> str:
    m = res["machine"]
    lines = [
        f"Measured {res['measured_at']} on {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB "
        f"(`make bench`, {res['bench_wall_s']:.0f} s).",
        "",
        "| measure | value |",
        "| --- | --- |",
    ]
    for key, desc in TABLE_KEYS:
        if res.get(key) is not None:
            lines.append(f"| {desc} | {res[key]} |")
    errors = res.get("test_result_errors") or {}
    if errors:
        lines += ["", "| ROM / function test (unit) | measured - key |", "| --- | --- |"]
        lines += [f"| {name} | {err} |" for name, err in errors.items()]
    lines += ["", "| goal | value | met |", "| --- | --- | --- |"]
    for g in res["goals"]:
        met = {True: "yes", False: "**no**", None: "not measured"}[g["met"]]
        lines.append(f"| {g['goal']} | {g['value']} | {met} |")
    return "\n".join(lines) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--long-video-s", type=float, default=600.0, help="length of the long video")
    ap.add_argument(
        "--skip", nargs="*", default=[], help="sections to skip: analysis pose live accuracy"
    )
    args = ap.parse_args()
    t0 = time.perf_counter()
    res: dict[str, Any] = {
        "measured_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(),
    }
    sections = {
        "analysis": lambda: analysis_cost.run(),
        "pose": lambda: pose_cost.run(long_video_s=args.long_video_s),
        "live": lambda: __import__("benchmarks.live_latency", fromlist=["run"]).run(),
        "accuracy": lambda: accuracy.run(),
    }
    for name, fn in sections.items():
        if name in args.skip:
            continue
        t = time.perf_counter()
        try:
            res.update(fn())
        except (ImportError, RuntimeError, FileNotFoundError) as exc:
            res[f"{name}_error"] = f"{type(exc).__name__}: {exc}"
        res[f"{name}_bench_s"] = round(time.perf_counter() - t, 1)
        print(f"bench: {name} done in {res[f'{name}_bench_s']} s", flush=True)
    if res.get("analysis_us_per_frame") and res.get("pose_ms_per_frame"):
        res["analysis_over_pose_pct"] = round(
            100 * res["analysis_us_per_frame"] / (1000 * res["pose_ms_per_frame"]), 4
        )
    res["bench_wall_s"] = round(time.perf_counter() - t0, 1)
    res["goals"] = check_goals(res)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "latest.json").write_text(json.dumps(res, indent=2) + "\n")
    (RESULTS / "latest.md").write_text(markdown(res))
    print(markdown(res))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
