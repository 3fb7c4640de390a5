"""Answer keys: the JSON sidecar written next to every synthetic clip.

Schema (``schema_version`` 1)::

    {
      "schema_version": 1,
      "clip": "gait_side_normal.mp4",
      "task": "gait" | "squat" | ...,          # the analysis task id (avnmotion analyze --task)
      "view": "side" | "front",
      "fps": 30, "n_frames": 600, "duration_s": 20.0,   # duration = n_frames / fps
      "frame_size_px": [960, 540],
      "seed": 7,
      "subject": {"height_m": 1.75, ...},
      "generator": {"name": ..., "params": {...}},
      "camera": {"position_m": [...], "target_m": [...], "yfov_deg": ..., ...},
      "angle_reference": "upright" | "supine",
      "angles_deg": {"left_hip_flexion_deg": [...per frame...], ...},
      "gait": {...}          # gait clips
      "exercise": {...}      # exercise clips
      "faults": [...],
      "test_result": {...}   # standard tests
    }

Frame ``i`` is at ``t = i / fps``. Angles are TRUE angles computed from the simulated 3D
joint centres with the definitions in :mod:`avnmotion.synth.angles` (degrees, rounded to
0.01). ``gait.events`` are foot strikes / foot offs from the shoe mesh's lowest point vs the
floor: ``time_s`` is the simulation time (1/600 s resolution), ``frame`` the first clip
frame showing the new contact state (``ceil(time_s * fps)``).

JSON output is deterministic (fixed key order, fixed rounding).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from avnmotion.synth.angles import joint_angles
from avnmotion.synth.motion import Motion

SCHEMA_VERSION = 1

#: Angle names written for every clip (others are task-specific).
CORE_ANGLES: tuple[str, ...] = (
    "left_hip_flexion_deg",
    "right_hip_flexion_deg",
    "left_thigh_inclination_deg",
    "right_thigh_inclination_deg",
    "left_knee_flexion_deg",
    "right_knee_flexion_deg",
    "left_ankle_dorsiflexion_deg",
    "right_ankle_dorsiflexion_deg",
    "left_hip_abduction_deg",
    "right_hip_abduction_deg",
    "left_leg_abduction_deg",
    "right_leg_abduction_deg",
    "left_knee_valgus_deg",
    "right_knee_valgus_deg",
    "pelvic_obliquity_deg",
    "trunk_forward_lean_deg",
    "trunk_lateral_lean_deg",
)
UPPER_ANGLES: tuple[str, ...] = (
    "left_elbow_flexion_deg",
    "right_elbow_flexion_deg",
    "left_shoulder_flexion_deg",
    "right_shoulder_flexion_deg",
    "left_shoulder_abduction_deg",
    "right_shoulder_abduction_deg",
)
ROTATION_ANGLES: tuple[str, ...] = (
    "left_hip_internal_rotation_deg",
    "right_hip_internal_rotation_deg",
)


def _r(x: Any, nd: int) -> Any:
    """Round floats (recursively) for deterministic JSON; numpy scalars -> Python."""
    if isinstance(x, dict):
        return {k: _r(v, nd) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_r(v, nd) for v in x]
    if isinstance(x, np.ndarray):
        return [_r(v, nd) for v in x.tolist()]
    if isinstance(x, (bool, np.bool_)):
        return bool(x)
    if isinstance(x, (int, np.integer)):
        return int(x)
    if isinstance(x, (float, np.floating)):
        v = float(x)
        if not math.isfinite(v):
            return None
        v = round(v, nd)
        return 0.0 if v == 0 else v
    return x


def clip_angles(motion: Motion, fps: int) -> dict[str, list[float]]:
    """Per-frame true angles for a clip at ``fps`` (rounded to 0.01 deg)."""
    pose = motion.at_fps(fps)
    seated_rot = bool(motion.params.get("seated_rotation", False))
    ang = joint_angles(pose, seated_rotation=seated_rot)
    names = list(CORE_ANGLES) + list(UPPER_ANGLES)
    if seated_rot:
        names += list(ROTATION_ANGLES)
    return {k: [round(float(v), 2) + 0.0 for v in ang[k]] for k in names}


#: Generators whose movement the analysis counts under another task id (a mini squat is a
#: squat of smaller depth); the generator's own name stays in ``generator.name``.
ANALYSIS_TASK = {"mini_squat": "squat"}


def _analysis_kind(task: str) -> str | None:
    from avnmotion.exercises.registry import EXERCISES

    d = EXERCISES.get(task)
    return None if d is None else d.kind


def build_key(
    motion: Motion,
    *,
    fps: int,
    view: str,
    clip_name: str,
    camera: dict[str, Any] | None,
    frame_size: tuple[int, int],
    n_frames: int | None = None,
) -> dict[str, Any]:
    """The answer key dict for one clip (JSON-ready, deterministic)."""
    angles = clip_angles(motion, fps)
    n = len(next(iter(angles.values())))
    if n_frames is not None and n_frames < n:
        angles = {k: v[:n_frames] for k, v in angles.items()}
        n = n_frames
    duration = n / fps
    key: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "clip": clip_name,
        "task": ANALYSIS_TASK.get(motion.task, motion.task),
        "view": view,
        "fps": int(fps),
        "n_frames": int(n),
        "duration_s": _r(duration, 6),
        "frame_size_px": [int(frame_size[0]), int(frame_size[1])],
        "seed": int(motion.seed),
        "subject": _r(motion.subject.as_dict(), 4),
        "generator": {"name": motion.task, "params": _r(motion.params, 4)},
        "camera": _r(camera, 4) if camera is not None else None,
        "angle_reference": motion.reference,
        "angles_deg": angles,
    }
    truth = motion.truth
    if motion.task == "gait":
        g = dict(truth)
        events = []
        for e in g.get("events", []):
            if e["time_s"] > duration:
                continue
            events.append(
                {
                    "side": e["side"],
                    "kind": e["kind"],
                    "time_s": round(e["time_s"], 4),
                    "frame": math.ceil(e["time_s"] * fps - 1e-9),
                    "segment": e.get("segment", ""),
                }
            )
        g["events"] = events
        key["gait"] = _r(g, 4)
    else:
        if "exercise" in truth:
            key["exercise"] = _r(truth["exercise"], 4)
            if _analysis_kind(key["task"]) == "hold":
                # The analysis' rep_count of a hold exercise is its number of holds.
                key["exercise"]["rep_count"] = len(key["exercise"].get("holds") or [])
        key["faults"] = _r(truth.get("faults", []), 4)
        if "test_result" in truth:
            key["test_result"] = _r(truth["test_result"], 4)
    return key


def dumps_key(key: dict[str, Any]) -> str:
    """Deterministic, compact-but-readable JSON: per-frame arrays on one line each."""
    big = {"angles_deg"}
    parts = []
    items = list(key.items())
    for i, (k, v) in enumerate(items):
        comma = "," if i < len(items) - 1 else ""
        if k in big and isinstance(v, dict):
            inner = []
            sub = list(v.items())
            for j, (ak, av) in enumerate(sub):
                c2 = "," if j < len(sub) - 1 else ""
                inner.append(f"    {json.dumps(ak)}: {json.dumps(av, separators=(',', ':'))}{c2}")
            parts.append(f"  {json.dumps(k)}: {{\n" + "\n".join(inner) + f"\n  }}{comma}")
        else:
            body = json.dumps(v, indent=2, ensure_ascii=True)
            body = body.replace("\n", "\n  ")
            parts.append(f"  {json.dumps(k)}: {body}{comma}")
    return "{\n" + "\n".join(parts) + "\n}\n"


def write_key(key: dict[str, Any], path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dumps_key(key), encoding="utf-8")
    return path


def load_key(path: str | Path) -> dict[str, Any]:
    return json.loads(Path(path).read_text(encoding="utf-8"))
