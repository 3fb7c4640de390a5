"""Accuracy against known answers.

* Rep counting over the sample clips of counted exercises and timed tests that count stands:
  mean absolute error and off-by-one accuracy (share of clips whose count is within one
  rep), as in Hsu et al. (2021). Partial reps are not counted, in the keys as in the analysis.
* Partial reps: the share of counted clips whose number of partial reps equals the key's.
* Hold durations over the hold exercises' clips: holds paired in order, mean absolute error
  of the durations (s); a missing or extra hold is counted in ``hold_count_errors``.
* Function and ROM tests: each measured value against the key's ``test_result``
  (:func:`avnmotion.synth.validate.compare_test_result`): the error per clip and measure.
* Angle RMSE against the rendered answer keys (hip flexion and knee flexion, side-view clips).
* Gait event error on the public motion-capture trials (benchmarks/gait_mocap.py), when
  ``../shared/data/mocap`` is present.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from avnmotion.exercises.registry import EXERCISES
from avnmotion.pipeline import analyze_track, exercise_ids
from avnmotion.synth.validate import SAGITTAL_KEY_ANGLES, angle_rmse, compare_test_result
from benchmarks.common import sample_clips
from tests.tracks import cached_track


def run() -> dict[str, Any]:
    clips = sample_clips()
    if not clips:
        return {"accuracy_skipped": "no sample clips (run make samples)"}
    ids = set(exercise_ids())
    rows = []
    errors = []
    hold_errors: list[float] = []
    hold_count_errors = 0
    partial_exact: list[bool] = []
    test_errors: dict[str, float | None] = {}
    hip_sq, knee_sq = [], []
    for video, key in clips:
        track = cached_track(video)
        row: dict[str, Any] = {"clip": video.name, "task": key.get("task"), "view": key.get("view")}
        key_ex = key.get("exercise") or {}
        true_reps = key_ex.get("rep_count")
        definition = EXERCISES.get(str(key.get("task")))
        res = analyze_track(track, key["task"]) if key.get("task") in ids else None
        counted = definition is not None and (
            definition.kind == "rep" or (definition.kind == "timed_test" and key_ex.get("reps"))
        )
        if res is not None and counted:
            got = res.exercise.rep_count if res.exercise else None
            row.update({"reps_true": true_reps, "reps_counted": got})
            if got is not None and true_reps is not None:
                errors.append(abs(got - true_reps))
            if res.exercise is not None and "partial_reps" in key_ex:
                row["partial_reps_true"] = key_ex["partial_reps"]
                row["partial_reps_found"] = len(res.exercise.partial_reps)
                partial_exact.append(row["partial_reps_true"] == row["partial_reps_found"])
        elif res is not None and definition.kind == "hold" and key_ex.get("holds"):
            got_s = [h.duration_s for h in (res.exercise.holds if res.exercise else [])]
            true_s = [float(h["duration_s"]) for h in key_ex["holds"]]
            row.update({"holds_true_s": true_s, "holds_measured_s": [round(g, 2) for g in got_s]})
            hold_errors += [abs(g - t) for g, t in zip(got_s, true_s, strict=False)]
            hold_count_errors += abs(len(got_s) - len(true_s))
        if key.get("test_result") and res is not None:
            measured = res.exercise.test_result if res.exercise else None
            for measure, (got, truth, unit) in compare_test_result(
                measured, key["test_result"]
            ).items():
                err = None if got is None else round(float(got) - truth, 2)
                row.setdefault("test_result", {})[measure] = {
                    "measured": got,
                    "true": truth,
                    "unit": unit,
                    "error": err,
                }
                test_errors[f"{video.stem}.{measure} ({unit})"] = err
        if key.get("view") == "side":
            rm = angle_rmse(track, key, SAGITTAL_KEY_ANGLES)
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
    if partial_exact:
        out["partial_reps_exact"] = round(float(np.mean(partial_exact)), 3)
    if test_errors:
        out["test_result_errors"] = test_errors
    if hold_errors or hold_count_errors:
        out["hold_duration_mae_s"] = round(float(np.mean(hold_errors)), 3) if hold_errors else None
        out["hold_count_errors"] = hold_count_errors
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
