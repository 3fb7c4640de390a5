"""Joint-angle error against the rendered answer keys: the library's stated angle uncertainty.

Every committed sample clip goes through what a user gets (MediaPipe track, conditioning,
:func:`avnmotion.kinematics.compute_kinematics`; :func:`avnmotion.synth.validate.angle_errors`)
and each angle the key holds is compared with the truth over the whole clip: the frame RMSE,
the bias, and the errors of the clip's extremes (measured min/max - true min/max), which are
the numbers a range of movement reports.

Per posture (``upright``: standing, sitting, walking; ``lying``: the supine clips) and base
angle, over the clips that show it (each clip weighted equally):

* ``frame_rmse_deg`` = sqrt(mean over clips of the clip's MSE);
* ``extremes_rmse_deg`` = sqrt(mean of the squared min and max errors);
* ``uncertainty_deg`` = the larger of the two: what results state as ``uncertainty_deg``.

Lying clips compare only angles measured between body segments: the keys of supine clips
give absolute angles (thigh inclination, trunk lean, pelvic obliquity) against the table's
long axis, not the vertical the video measures. An angle or posture without a measured value
gets the largest value measured in that posture (:mod:`avnmotion.accuracy`).

Writes ``avnmotion/data/angle_error.json`` (read by :mod:`avnmotion.accuracy`) and
``benchmarks/results/angle_error.md``. Uses the cached sample tracks (``tests/tracks.py``)::

    python -m benchmarks.angle_error
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections import defaultdict
from typing import Any

from avnmotion.kinematics import base_angle_name
from avnmotion.synth.validate import AngleError, angle_errors
from benchmarks.common import RESULTS, ROOT, sample_clips

DATA_JSON = ROOT / "avnmotion" / "data" / "angle_error.json"
#: Key ``angle_reference`` -> posture group.
POSTURES = {"upright": "upright", "supine": "lying"}
#: Angles whose lying-clip keys are not comparable with video (see the module docstring).
ABSOLUTE_ANGLES = frozenset(
    {
        "thigh_inclination_deg",
        "trunk_forward_lean_deg",
        "trunk_lateral_lean_deg",
        "pelvic_obliquity_deg",
    }
)


def _ceil1(x: float) -> float:
    """Round up to 0.1 deg, so a stated uncertainty is never below the measured value."""
    return math.ceil(round(x * 10.0, 6)) / 10.0


def summarise(rows: list[tuple[str, str, str, AngleError]]) -> dict[str, dict[str, Any]]:
    """Per posture and base angle, from ``(clip, posture, angle name, error)`` rows."""
    groups: dict[tuple[str, str], dict[str, list[AngleError]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for clip, posture, name, err in rows:
        base = base_angle_name(name)
        if posture == "lying" and base in ABSOLUTE_ANGLES:
            continue
        groups[(posture, base)][clip].append(err)
    out: dict[str, dict[str, Any]] = {}
    for (posture, base), by_clip in sorted(groups.items()):
        clip_mse = {
            c: sum(e.rmse**2 * e.n_frames for e in errs) / sum(e.n_frames for e in errs)
            for c, errs in by_clip.items()
        }
        extremes = [
            x for errs in by_clip.values() for e in errs for x in (e.min_error, e.max_error)
        ]
        frame = math.sqrt(sum(clip_mse.values()) / len(clip_mse))
        ext = math.sqrt(sum(x * x for x in extremes) / len(extremes))
        worst = max(clip_mse, key=lambda c: clip_mse[c])
        biases = [e.bias for errs in by_clip.values() for e in errs]
        out.setdefault(posture, {})[base] = {
            "uncertainty_deg": _ceil1(max(frame, ext)),
            "frame_rmse_deg": round(frame, 2),
            "extremes_rmse_deg": round(ext, 2),
            "mean_bias_deg": round(sum(biases) / len(biases), 2),
            "n_clips": len(clip_mse),
            "worst_clip": worst,
            "worst_clip_rmse_deg": round(math.sqrt(clip_mse[worst]), 2),
            "clip_rmse_deg": {c: round(math.sqrt(v), 2) for c, v in sorted(clip_mse.items())},
        }
    return out


def run() -> dict[str, Any]:
    from tests.tracks import cached_track

    rows: list[tuple[str, str, str, AngleError]] = []
    for video, key in sample_clips():
        posture = POSTURES.get(str(key.get("angle_reference")))
        if posture is None:
            continue
        for name, err in angle_errors(cached_track(video), key).items():
            rows.append((video.stem, posture, name, err))
    return {
        "method": (
            "sample clips (sample_videos/) through the analysis vs their answer keys; "
            "uncertainty_deg = max(frame RMSE, RMSE of the clip extremes), clips weighted "
            "equally (benchmarks/angle_error.py). One synthetic figure, rendered: a lower bound "
            "for real people and cameras."
        ),
        "measured_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "postures": summarise(rows),
    }


def markdown(res: dict[str, Any]) -> str:
    lines = [
        "# Joint-angle error vs the rendered answer keys",
        "",
        f"Measured {res['measured_at']} ({res['method']})",
        "",
        "| posture | angle | uncertainty deg | frame RMSE | extremes RMSE | mean bias | clips "
        "| worst clip (RMSE) |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for posture, angles in res["postures"].items():
        for base, e in angles.items():
            lines.append(
                f"| {posture} | {base} | {e['uncertainty_deg']:.1f} | {e['frame_rmse_deg']:.2f} "
                f"| {e['extremes_rmse_deg']:.2f} | {e['mean_bias_deg']:+.2f} | {e['n_clips']} "
                f"| {e['worst_clip']} ({e['worst_clip_rmse_deg']:.2f}) |"
            )
    return "\n".join(lines) + "\n"


def main() -> int:
    res = run()
    DATA_JSON.write_text(json.dumps(res, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    RESULTS.mkdir(parents=True, exist_ok=True)
    md = markdown(res)
    (RESULTS / "angle_error.md").write_text(md, encoding="utf-8")
    print(md)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
