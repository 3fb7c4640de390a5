"""Gait-event accuracy on the public motion-capture walking trials.

Each trial of ``../shared/data/mocap`` (relative to the repository root) is read, conditioned
like the analysis pipeline (gap fill, 6 Hz zero-phase low-pass) and analysed

* in 3-D (the laboratory track), and
* as a side-view video: the markers projected through a pinhole camera 4 m to the subject's
  right, looking along the trial's pelvis-lateral axis (1920 x 1080 px),

with :func:`avnmotion.gait.analyze_gait`. Every stored (C3D) or force-plate (TRC) event whose
markers exist in the recording is paired with the nearest detection of the same side and kind.

Run ``python benchmarks/gait_mocap.py``; it prints a Markdown table and writes
``benchmarks/results/gait_mocap.json`` and ``.md``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from avnmotion.gait import analyze_gait  # noqa: E402
from avnmotion.gait.events import events_by_side  # noqa: E402
from avnmotion.gait.validation import (  # noqa: E402
    condition_track,
    load_trial,
    match_events,
    mocap_trials,
    observable_truth,
    project_to_camera,
    score,
    unmatched_detections,
)
from avnmotion.kinematics import compute_kinematics  # noqa: E402

MOCAP = ROOT / ".." / "shared" / "data" / "mocap"
OUT = ROOT / "benchmarks" / "results"


def run() -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for trial in mocap_trials(MOCAP):
        raw = load_trial(trial)
        truth, skipped = observable_truth(raw, trial.truth)
        for mode in ("3d", "side"):
            src = raw if mode == "3d" else project_to_camera(raw)
            track = condition_track(src)
            kin = compute_kinematics(track)
            result, _ = analyze_gait(track, kin)
            detected = events_by_side(result.events)
            t0, t1 = float(track.timestamps_s[0]), float(track.timestamps_s[-1])
            matches = match_events(detected, truth, t0, t1)
            summary = score(matches, trial.rate_hz)
            all_truth = [t for times in truth.values() for t in times]
            extra = unmatched_detections(
                detected, truth, min(all_truth) - 0.2, max(all_truth) + 0.2
            )
            rows.append(
                {
                    "trial": trial.name,
                    "mode": mode,
                    "rate_hz": trial.rate_hz,
                    **summary,
                    "within_one_frame": sum(
                        1
                        for m in matches
                        if m.error_s is not None and abs(m.error_s) * trial.rate_hz <= 1.0 + 1e-9
                    ),
                    "extra_detections": len(extra),
                    "not_observable": skipped,
                    "events": [
                        {
                            "side": m.side,
                            "kind": m.kind,
                            "truth_s": m.truth_s,
                            "error_ms": None if m.error_s is None else round(m.error_s * 1e3, 1),
                        }
                        for m in matches
                    ],
                }
            )
    return rows


def summary() -> dict[str, object]:
    """Flat figures for ``make bench``: event MAE over every matched event of every trial."""
    if not MOCAP.is_dir():
        return {"gait_mocap_skipped": f"motion-capture data not found at {MOCAP}"}
    rows = run()
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "gait_mocap.json").write_text(json.dumps(rows, indent=1) + "\n")
    (OUT / "gait_mocap.md").write_text("# Gait events vs motion-capture truth\n\n" + markdown(rows))
    errors_ms = [
        abs(e["error_ms"])  # type: ignore[index]
        for r in rows
        for e in r["events"]  # type: ignore[attr-defined]
        if e["error_ms"] is not None
    ]
    frames = [r["max_error_frames"] for r in rows if r["max_error_frames"] is not None]
    return {
        "gait_event_mae_ms": round(sum(errors_ms) / len(errors_ms), 2) if errors_ms else None,
        "gait_event_max_error_frames": round(max(frames), 2) if frames else None,  # type: ignore[type-var]
        "gait_event_n": len(errors_ms),
        "gait_mocap_table": "benchmarks/results/gait_mocap.md",
    }


def markdown(rows: list[dict[str, object]]) -> str:
    lines = [
        "| trial | mode | rate Hz | events | matched | within 1 frame | MAE ms | bias ms "
        "| max error frames | extra |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        mae = "-" if r["mae_ms"] is None else f"{r['mae_ms']:.1f}"
        bias = "-" if r["bias_ms"] is None else f"{r['bias_ms']:+.1f}"
        mx = "-" if r["max_error_frames"] is None else f"{r['max_error_frames']:.2f}"
        lines.append(
            f"| {r['trial']} | {r['mode']} | {r['rate_hz']:g} | {r['n_truth']} | "
            f"{r['n_matched']} | {r['within_one_frame']} | {mae} | {bias} | {mx} | "
            f"{r['extra_detections']} |"
        )
    notes = sorted({s for r in rows for s in r["not_observable"]})  # type: ignore[attr-defined]
    if notes:
        lines += ["", "Truth events left out (markers missing in the recording):", ""]
        lines += [f"- {n}" for n in notes]
    return "\n".join(lines) + "\n"


def main() -> int:
    if not MOCAP.is_dir():
        print(f"motion-capture data not found at {MOCAP}; nothing to do")
        return 0
    rows = run()
    md = markdown(rows)
    print(md)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "gait_mocap.json").write_text(json.dumps(rows, indent=1) + "\n")
    (OUT / "gait_mocap.md").write_text("# Gait events vs motion-capture truth\n\n" + md)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
