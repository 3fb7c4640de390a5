"""Synthetic sample videos with exact answer keys (development / test extra).

Pure-numpy parts (subject, motion generators, angles, keys) import without any renderer;
:mod:`avnmotion.synth.render` needs pyrender + EGL and is imported only when rendering.
Nothing outside this package imports it.
"""

from avnmotion.synth.motion import GaitParams, Motion, Pose, generate_gait
from avnmotion.synth.subject import Subject, make_subject

__all__ = ["GaitParams", "Motion", "Pose", "Subject", "generate_gait", "make_subject"]
