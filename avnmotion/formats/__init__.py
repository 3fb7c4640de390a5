"""Readers and writers for motion files: OpenSim TRC and C3D motion capture.

* :func:`read_trc` / :func:`write_trc` -- OpenSim marker files (landmark-named or laboratory
  marker sets).
* :func:`read_c3d` / :func:`read_c3d_events` -- C3D files through ``ezc3d`` (dev extra).
* :func:`read_any` and :func:`convert_file` -- by file extension (``avnmotion convert``).
"""

from avnmotion.formats.c3d import convert_file, read_any, read_c3d, read_c3d_events
from avnmotion.formats.trc import landmarks_from_markers, read_trc, write_trc

__all__ = [
    "convert_file",
    "landmarks_from_markers",
    "read_any",
    "read_c3d",
    "read_c3d_events",
    "read_trc",
    "write_trc",
]
