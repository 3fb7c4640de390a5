"""A stand-in for ``avnmotion.pipeline.analyze`` used ONLY by tests of the job machinery.

Behaviour is steered by ``track.source["fake"]`` in the uploaded ``.npz`` (see
:func:`fake_track`), so each job can sleep, crash its worker, raise, or succeed.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from avnmotion import __version__
from avnmotion.errors import AvnInputError
from avnmotion.result import AnalysisResult, ExerciseResult, InputInfo, Quality
from avnmotion.track import N_LANDMARKS, PoseTrack


def fake_track(n: int = 30, **behaviour: Any) -> PoseTrack:
    xyz = np.full((n, N_LANDMARKS, 3), 0.5, dtype=np.float32)
    vis = np.ones((n, N_LANDMARKS), dtype=np.float32)
    return PoseTrack(
        timestamps_s=np.arange(n) / 30.0,
        image_xyz=xyz,
        world_xyz=None,
        visibility=vis,
        presence=vis.copy(),
        frame_size_px=(640, 480),
        source={"kind": "synthetic", "fake": behaviour},
    )


def analyze(
    input_path: str | Path,
    task: str,
    *,
    protocol: Any = None,
    height_m: float | None = None,
    affected_side: str | None = None,
    working_side: str | None = None,
    model_path: str | Path | None = None,
    annotate_path: str | Path | None = None,
    track_out: str | Path | None = None,
    progress: Callable[[float], None] | None = None,
) -> AnalysisResult:
    path = Path(input_path)
    if path.suffix != ".npz":
        track = fake_track()
        behaviour: dict[str, Any] = {}
    else:
        track = PoseTrack.load_npz(path)
        behaviour = track.source.get("fake", {})
    marker = behaviour.get("crash_once_marker")
    if behaviour.get("crash") or (marker and Path(marker).exists()):
        if marker:
            Path(marker).unlink()
        os._exit(3)  # a worker dying hard (segfault, OOM kill)
    if behaviour.get("internal"):
        raise RuntimeError(f"simulated bug while reading {path}")
    if behaviour.get("input_error"):
        raise AvnInputError(f"{path}: no person detected in any of 30 frames of {path.name}")
    sleep_s = float(behaviour.get("sleep_s", 0))
    steps = 10
    for i in range(steps):
        if progress:
            progress(i / steps)
        time.sleep(sleep_s / steps)
    if track_out:
        track.save_npz(track_out)
    if annotate_path:
        Path(annotate_path).write_bytes(b"\x00\x00\x00\x18ftypmp42 annotated")
    exercise = None
    if "test_result" in behaviour:
        exercise = ExerciseResult(
            exercise_id=task, rep_count=0, test_result=behaviour["test_result"]
        )
    return AnalysisResult(
        avnmotion_version=__version__,
        input=InputInfo(
            kind="track_npz",
            name=path.name,
            frames=track.n_frames,
            duration_s=track.duration_s,
            height_m=height_m,
        ),
        task=task,
        quality=Quality(view=behaviour.get("view", "side"), frames_with_pose_pct=100.0),
        exercise=exercise,
        processing={
            "filters": {
                "fake": True,
                "affected_side": affected_side,
                "working_side": working_side,
                "protocol": protocol.model_dump(mode="json") if protocol else None,
            }
        },
    )
