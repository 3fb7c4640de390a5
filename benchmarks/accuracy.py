"""Accuracy against known answers.

* Rep counting over the exercise sample clips: mean absolute error and off-by-one accuracy
  (share of clips whose count is within one rep), as in Hsu et al. (2021).
* Angle RMSE against the rendered answer keys (hip flexion and knee flexion, side-view clips).
* Gait event error on the public motion-capture trials (benchmarks/gait_mocap.py), when
  ``../shared/data/mocap`` is present.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from avnmotion.kinematics import compute_kinematics
from avnmotion.pipeline import analyze_track, condition_track, exercise_ids
from benchmarks.common import sample_clips
from tests.tracks import cached_track


def angle_rmse(track: Any, key: dict[str, Any], names: tuple[str, ...]) -> dict[str, float]:
    kin = compute_kinematics(condition_track(track).filtered)
    out = {}
    for name in names:
        truth = key.get("angles_deg", {}).get(name)
        if truth is None or name in kin.unavailable:
            continue
        est = kin.angle(name)
        truth = np.asarray(truth, dtype=float)
        n = min(len(truth), len(est))
        ok = np.isfinite(est[:n]) & np.isfinite(truth[:n])
        if ok.sum() > 10:
            out[name] = float(np.sqrt(np.mean((est[:n][ok] - truth[:n][ok]) ** 2)))
    return out


def run() -> dict[str, Any]:
    clips = sample_clips()
    if not clips:
        return {"accuracy_skipped": "no sample clips (run make samples)"}
    ids = set(exercise_ids())
    rows = []
    errors = []
    hip_sq, knee_sq = [], []
    for video, key in clips:
        track = cached_track(video)
        row: dict[str, Any] = {"clip": video.name, "task": key.get("task"), "view": key.get("view")}
        true_reps = (key.get("exercise") or {}).get("rep_count")
        if key.get("task") in ids and true_reps is not None:
            res = analyze_track(track, key["task"])
            got = res.exercise.rep_count if res.exercise else None
            row.update({"reps_true": true_reps, "reps_counted": got})
            if got is not None:
                errors.append(abs(got - true_reps))
        if key.get("view") == "side":
            rm = angle_rmse(
                track,
                key,
                (
                    "left_hip_flexion_deg",
                    "right_hip_flexion_deg",
                    "left_knee_flexion_deg",
                    "right_knee_flexion_deg",
                ),
            )
            row["angle_rmse_deg"] = {k: round(v, 2) for k, v in rm.items()}
            hip_sq += [v**2 for k, v in rm.items() if "hip" in k]
            knee_sq += [v**2 for k, v in rm.items() if "knee" in k]
        rows.append(row)
    out: dict[str, Any] = {"accuracy_clips": rows}
    if errors:
        out["rep_count_mae"] = round(float(np.mean(errors)), 3)
        out["rep_count_obo"] = round(float(np.mean(np.asarray(errors) <= 1)), 3)
        out["rep_count_exact"] = round(float(np.mean(np.asarray(errors) == 0)), 3)
        out["rep_count_clips"] = len(errors)
    if hip_sq:
        out["hip_flexion_rmse_deg"] = round(float(np.sqrt(np.mean(hip_sq))), 2)
    if knee_sq:
        out["knee_flexion_rmse_deg"] = round(float(np.sqrt(np.mean(knee_sq))), 2)
    try:
        from benchmarks import gait_mocap

        out.update(gait_mocap.summary())
    except (ImportError, AttributeError, FileNotFoundError) as exc:
        out["gait_mocap_skipped"] = str(exc)
    return out


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
