"""C3D motion-capture files (Vicon Plug-in Gait and similar marker sets).

* Markers are mapped to MediaPipe landmarks as in :mod:`avnmotion.formats.trc`: ``LSHO/RSHO``
  shoulders, ``LKNE/RKNE`` knees, ``LANK/RANK`` ankles, ``LHEE/RHEE`` heels, ``LTOE/RTOE``
  foot indices, hip joint centres from ``LASI/RASI/LPSI/RPSI`` (or ``SACR`` when the PSIS
  markers are absent) by Harrington et al. (2007). Labels may carry a subject prefix
  (``A22:RKNE``).
* **Clock.** Frame ``i`` (0-based) of the file is at ``t = (F - 1 + i) / rate`` with ``F`` the
  header's 1-based first frame (ezc3d reports ``F - 1``). Events stored in the file use the
  same clock, so detected and stored events compare directly.
* **Axes.** The laboratory frame is rotated so that the vertical (``POINT:Y_SCREEN``, ``+Z`` in
  Vicon files) becomes +Y and ``POINT:X_SCREEN`` stays +X, keeping the frame right-handed: for
  Vicon ``(x, y, z) -> (x, z, -y)``. Units (``POINT:UNITS``) are converted to metres.
* Markers that were not reconstructed (ezc3d residual < 0, or all coordinates exactly 0) are NaN.

``ezc3d`` is imported inside the functions; it ships with the ``dev`` extra.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from avnmotion.errors import AvnInputError
from avnmotion.formats.trc import UNIT_SCALE_M, landmarks_from_markers, read_trc, write_trc
from avnmotion.track import PoseTrack

FloatArray = NDArray[np.float64]

_AXES = {"X": 0, "Y": 1, "Z": 2}


def _load(path: Path) -> Any:
    try:
        import ezc3d
    except ImportError:
        raise AvnInputError(
            "reading C3D files needs the ezc3d package: install the dev extra "
            "(pip install 'avnmotion[dev]') or 'pip install ezc3d'"
        ) from None
    if not path.is_file():
        raise AvnInputError(f"{path}: file not found")
    try:
        return ezc3d.c3d(str(path), extract_forceplat_data=False)
    except Exception as exc:  # ezc3d raises plain RuntimeError/ValueError for broken files
        raise AvnInputError(f"{path.name}: not a readable C3D file ({exc})") from None


def _param(c3d: Any, group: str, name: str, default: Any = None) -> Any:
    try:
        return c3d["parameters"][group][name]["value"]
    except KeyError:
        return default


def _axis_vector(code: Any, default: str) -> NDArray[np.float64]:
    text = str(code[0] if isinstance(code, list | tuple) and code else code or default).strip()
    text = text.upper() or default
    sign = -1.0 if text.startswith("-") else 1.0
    letter = text[-1]
    if letter not in _AXES:
        letter, sign = default[-1], 1.0
    v = np.zeros(3)
    v[_AXES[letter]] = sign
    return v


def lab_rotation(x_screen: Any = "+X", y_screen: Any = "+Z") -> NDArray[np.float64]:
    """Rotation matrix taking C3D laboratory coordinates to Y-up coordinates.

    Rows are the new axes expressed in the old frame: ``new_x = X_SCREEN``, ``new_y =
    Y_SCREEN`` (up) and ``new_z = new_x x new_y``. For Vicon (``+X``, ``+Z``) this is
    ``(x, y, z) -> (x, z, -y)``.
    """
    nx = _axis_vector(x_screen, "+X")
    ny = _axis_vector(y_screen, "+Z")
    if abs(float(nx @ ny)) > 0.5:  # inconsistent parameters: fall back to Vicon's convention
        nx, ny = _axis_vector("+X", "+X"), _axis_vector("+Z", "+Z")
    return np.stack([nx, ny, np.cross(nx, ny)])


def _clock(c3d: Any) -> tuple[float, int]:
    header = c3d["header"]["points"]
    rate = float(header["frame_rate"])
    if rate <= 0:
        rate = float(np.atleast_1d(_param(c3d, "POINT", "RATE", [0.0]))[0])
    if rate <= 0:
        raise AvnInputError("C3D file has no point rate")
    first_frame_1based = int(header["first_frame"]) + 1
    return rate, first_frame_1based


def read_c3d(path: str | Path) -> PoseTrack:
    """Read a C3D file into a laboratory :class:`~avnmotion.track.PoseTrack` (metres, Y up).

    Raises
    ------
    AvnInputError
        ezc3d missing, unreadable file, no point data, or no mappable markers.
    """
    path = Path(path)
    c3d = _load(path)
    rate, first = _clock(c3d)
    points = np.asarray(c3d["data"]["points"], dtype=np.float64)  # (4, n_points, n_frames)
    labels = [str(s) for s in _param(c3d, "POINT", "LABELS", [])]
    labels += [str(s) for s in _param(c3d, "POINT", "LABELS2", [])]
    if points.ndim != 3 or points.shape[2] == 0 or points.shape[1] == 0:
        raise AvnInputError(f"{path.name}: no 3-D point data")
    labels = labels[: points.shape[1]]
    units = str(np.atleast_1d(_param(c3d, "POINT", "UNITS", ["mm"]))[0]).strip().lower() or "mm"
    if units not in UNIT_SCALE_M:
        raise AvnInputError(f"{path.name}: unknown POINT:UNITS {units!r} (expected mm, cm or m)")
    xyz = points[:3].transpose(2, 1, 0)  # (n_frames, n_points, 3)
    residuals = c3d["data"]["meta_points"].get("residuals")
    invalid = np.all(xyz == 0.0, axis=2)
    if residuals is not None and residuals.size:
        invalid |= np.asarray(residuals)[0].T < 0
    xyz = np.where(invalid[..., None], np.nan, xyz) * UNIT_SCALE_M[units]
    rot = lab_rotation(
        _param(c3d, "POINT", "X_SCREEN", "+X"), _param(c3d, "POINT", "Y_SCREEN", "+Z")
    )
    xyz = xyz @ rot.T
    n = xyz.shape[0]
    markers = {label: xyz[:, j, :] for j, label in enumerate(labels)}
    lm, visibility, mapping = landmarks_from_markers(markers, n)
    if not mapping:
        raise AvnInputError(
            f"{path.name}: no marker matches a known marker set (Plug-in Gait LASI/LKNE/...)"
        )
    times = (first - 1 + np.arange(n)) / rate
    return PoseTrack(
        timestamps_s=times,
        image_xyz=None,
        world_xyz=lm,
        visibility=visibility,
        presence=visibility.copy(),
        world_frame="lab_y_up",
        source={
            "kind": "c3d",
            "path": str(path),
            "fps": rate,
            "first_frame_1based": first,
            "units": units,
            "landmark_sources": mapping,
        },
    )


_EVENT_KINDS = {
    "foot strike": "foot_strike",
    "foot contact": "foot_strike",
    "heel strike": "foot_strike",
    "initial contact": "foot_strike",
    "foot off": "foot_off",
    "toe off": "foot_off",
}


def read_c3d_events(path: str | Path) -> dict[tuple[str, str], list[float]]:
    """Gait events stored in a C3D file, on the same clock as :func:`read_c3d`.

    Returns
    -------
    dict
        ``{("left", "foot_strike"): [t0, t1, ...], ("right", "foot_off"): [...], ...}`` with
        sorted times in seconds. Events with other labels or contexts are ignored.
    """
    path = Path(path)
    c3d = _load(path)
    contexts = [str(s).strip().lower() for s in _param(c3d, "EVENT", "CONTEXTS", [])]
    labels = [str(s).strip().lower() for s in _param(c3d, "EVENT", "LABELS", [])]
    raw = np.asarray(_param(c3d, "EVENT", "TIMES", []), dtype=np.float64)
    n = min(len(contexts), len(labels))
    out: dict[tuple[str, str], list[float]] = {}
    if n == 0 or raw.size == 0:
        return out
    # C3D stores TIMES as a (2, n) array of minutes and seconds; ezc3d may flatten it
    # column-major, giving (minutes, seconds) pairs.
    if raw.ndim == 2 and raw.shape[0] == 2:
        minutes, seconds = raw[0], raw[1]
    else:
        pairs = raw.reshape(-1, 2)
        minutes, seconds = pairs[:, 0], pairs[:, 1]
    times = 60.0 * minutes + seconds
    for context, label, t in zip(contexts[:n], labels[:n], times[:n], strict=False):
        kind = _EVENT_KINDS.get(label)
        if kind is None or context not in ("left", "right"):
            continue
        out.setdefault((context, kind), []).append(round(float(t), 6))
    return {k: sorted(v) for k, v in out.items()}


def read_any(path: str | Path) -> PoseTrack:
    """Read a track from ``.c3d``, ``.trc`` or avnmotion ``.npz`` by extension."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".c3d":
        return read_c3d(path)
    if suffix == ".trc":
        return read_trc(path)
    if suffix == ".npz":
        return PoseTrack.load_npz(path)
    raise AvnInputError(f"{path.name}: unknown motion file type {suffix!r} (use .c3d, .trc, .npz)")


def convert_file(src: str | Path, dst: str | Path) -> Path:
    """Convert a motion file to TRC or avnmotion ``.npz`` (``avnmotion convert``).

    ``src`` may be ``.c3d``, ``.trc`` or ``.npz``; the output type follows the
    extension of ``dst`` (``.trc`` in metres, or ``.npz``).
    """
    dst = Path(dst)
    track = read_any(src)
    suffix = dst.suffix.lower()
    if suffix == ".trc":
        return write_trc(track, dst, units="m")
    if suffix == ".npz":
        return track.save_npz(dst)
    raise AvnInputError(f"{dst.name}: unknown output type {suffix!r} (use .trc or .npz)")


#: Alias used by the command line (``avnmotion convert trial.c3d -o trial.trc``).
convert = convert_file

__all__ = ["convert", "convert_file", "lab_rotation", "read_any", "read_c3d", "read_c3d_events"]
