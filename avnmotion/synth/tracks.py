"""Pose tracks straight from a simulated motion (no rendering, no pose model).

Used to test the analysis methods on known motion at any size and seed, apart from the pose
model's errors: :func:`motion_lab_track` gives a 3-D laboratory track (metres, Y up, as a
motion-capture TRC), which :func:`avnmotion.gait.validation.project_to_camera` turns into a
video-like image track. Landmarks the simulation has no joint for (eyes, mouth, hands) are
missing (NaN, visibility 0).
"""

from __future__ import annotations

import numpy as np

from avnmotion.synth.motion import Motion
from avnmotion.track import LANDMARK_INDEX, PoseTrack, empty_arrays

#: Simulated joints that are MediaPipe landmarks of the same name.
JOINT_LANDMARKS: tuple[str, ...] = tuple(
    [
        f"{s}_{p}"
        for s in ("left", "right")
        for p in ("ear", "shoulder", "elbow", "wrist", "hip", "knee", "ankle", "heel", "foot_index")
    ]
    + ["nose"]
)


def motion_lab_track(motion: Motion, fps: int = 30) -> PoseTrack:
    """The motion sampled at ``fps`` as a laboratory track (``world_frame="lab_y_up"``)."""
    pose = motion.at_fps(fps)
    arrays = empty_arrays(pose.n)
    xyz, vis = arrays["xyz"], arrays["visibility"]
    for name in JOINT_LANDMARKS:
        k = LANDMARK_INDEX[name]
        xyz[:, k] = pose.joints[name]
        vis[:, k] = 1.0
    return PoseTrack(
        timestamps_s=np.arange(pose.n) / float(fps),
        image_xyz=None,
        world_xyz=xyz,
        visibility=vis,
        presence=vis.copy(),
        world_frame="lab_y_up",
        source={"kind": "simulation", "task": motion.task, "fps": fps},
    )
