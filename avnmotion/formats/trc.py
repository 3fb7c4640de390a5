"""OpenSim TRC marker files, and the mapping of laboratory marker sets to MediaPipe landmarks.

TRC layout (tab separated)::

    PathFileType  4  (X/Y/Z)  trial.trc
    DataRate  CameraRate  NumFrames  NumMarkers  Units  OrigDataRate  OrigDataStartFrame ...
    60.00     60.00       151        41          mm     60.00         1                  ...
    Frame#  Time  left_hip          right_hip ...
                  X1   Y1   Z1      X2   Y2   Z2 ...
    (optional blank line)
    1       0.000 ...

Reading
-------
* Markers named after MediaPipe landmarks (``left_hip``, ``right_heel``, ``left_foot_index``,
  ...; case-insensitive) map one-to-one. A file holding only a subset of the 33 landmarks is
  accepted: the missing landmarks are NaN with visibility 0; present ones have visibility 1
  wherever they hold a value.
* Common laboratory marker names are mapped too (:data:`MARKER_ALTERNATIVES`): the OpenSim
  Gait10dof18musc set (``R.ASIS``, ``L.ASIS``, ``V.Sacral``, ``R.Heel``, ``R.Toe.Tip``,
  ``R.Acromium``, ...) and Vicon Plug-in Gait (``LASI``, ``LKNE``, ``LANK``, ``LHEE``,
  ``LTOE``, ``LSHO``, ...; a ``Subject:`` prefix is ignored). Hip joint centres come from the
  pelvis markers by the Harrington et al. (2007) regression (:func:`harrington_hip_centres`).
* Coordinates are converted from the header ``Units`` (``mm``, ``cm``, ``m``) to metres and
  kept in the laboratory frame (Y up, as OpenSim writes it): ``world_frame = "lab_y_up"``.
* Times come from the ``Time`` column. When they agree with ``DataRate`` to the printed
  precision (OpenSim prints 3 decimals, so 60 Hz frames read 0.017, 0.033, ...), the exact
  grid ``t0 + i / DataRate`` is used instead, so that the track's sampling rate is exact.

Writing
-------
* Laboratory tracks (``world_frame == "lab_y_up"``) write ``world_xyz`` in ``units``.
* Video tracks write **image coordinates in pixels with Y up**: ``X = x_px``,
  ``Y = frame_height_px - y_px``, ``Z = 0`` (MediaPipe's relative depth is not metric and is
  dropped). Without a scale the header says ``Units px`` and carries two extra header fields,
  ``FrameWidth`` and ``FrameHeight``, so that :func:`read_trc` rebuilds an image track. With
  ``metres_per_pixel`` the pixel coordinates are scaled to ``units`` instead (as Sports2D does
  from a pixel-to-metre scale); such a file reads back as a planar laboratory track.
  MediaPipe's own world landmarks are never written: their hip-centred, camera-oriented frame
  is not a laboratory frame and their depth is unreliable.

Only landmarks with at least one finite sample are written; NaN samples are empty fields, as
Mokka and OpenSim write gaps.

References
----------
Harrington, M. E., Zavatsky, A. B., Lawson, S. E. M., Yuan, Z., & Theologis, T. N. (2007).
Prediction of the hip joint centre in adults, children, and patients with cerebral palsy based
on magnetic resonance imaging. J Biomech 40(3), 595-602.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from avnmotion.errors import AvnInputError
from avnmotion.track import LANDMARK_INDEX, LANDMARK_NAMES, PoseTrack, empty_arrays

FloatArray = NDArray[np.float64]

#: Metres per unit for the ``Units`` values we accept (case-insensitive).
UNIT_SCALE_M: dict[str, float] = {
    "mm": 1e-3,
    "millimeters": 1e-3,
    "millimetres": 1e-3,
    "cm": 1e-2,
    "centimeters": 1e-2,
    "centimetres": 1e-2,
    "m": 1.0,
    "meters": 1.0,
    "metres": 1.0,
}


def _alternatives() -> dict[str, list[tuple[str, ...]]]:
    """Per landmark, marker-name alternatives in order of preference (upper-case).

    Each alternative is a tuple of marker names whose mean gives the landmark (for example the
    medial and lateral wrist markers).
    """
    table: dict[str, list[tuple[str, ...]]] = {}
    for side, letter in (("left", "L"), ("right", "R")):

        def alt(*names: str, _l: str = letter) -> tuple[str, ...]:
            return tuple(n.format(s=_l).upper() for n in names)

        table[f"{side}_shoulder"] = [
            alt("{s}SHO"), alt("{s}.Acromium"), alt("{s}.Acromion"), alt("{s}.Shoulder"),
            alt("{s}_Shoulder"),
        ]  # fmt: skip
        table[f"{side}_elbow"] = [
            alt("{s}ELB"), alt("{s}.Elbow.Lat", "{s}.Elbow.Med"), alt("{s}.Elbow"),
            alt("{s}_Elbow"),
        ]  # fmt: skip
        table[f"{side}_wrist"] = [
            alt("{s}WRA", "{s}WRB"), alt("{s}.Wrist.Med", "{s}.Wrist.Lat"), alt("{s}WRA"),
            alt("{s}WRB"), alt("{s}.Wrist"), alt("{s}_Wrist"),
        ]  # fmt: skip
        table[f"{side}_hip"] = [alt("{s}HJC"), alt("{s}.HJC"), alt("{s}_HJC")]
        table[f"{side}_knee"] = [
            alt("{s}KJC"), alt("{s}.Knee.Lat", "{s}.Knee.Med"), alt("{s}KNE"),
            alt("{s}.Knee.Lat"), alt("{s}.Knee"), alt("{s}_Knee"),
        ]  # fmt: skip
        table[f"{side}_ankle"] = [
            alt("{s}AJC"), alt("{s}.Ankle.Lat", "{s}.Ankle.Med"), alt("{s}ANK"),
            alt("{s}.Ankle.Lat"), alt("{s}.Ankle"), alt("{s}_Ankle"),
        ]  # fmt: skip
        table[f"{side}_heel"] = [alt("{s}HEE"), alt("{s}.Heel"), alt("{s}.Calc"), alt("{s}_Heel")]
        table[f"{side}_foot_index"] = [
            alt("{s}TOE"), alt("{s}.Toe.Tip"), alt("{s}.Toe"), alt("{s}.Toe.Lat", "{s}.Toe.Med"),
            alt("{s}_Toe"), alt("{s}MT2"),
        ]  # fmt: skip
    return table


#: Laboratory marker names per landmark (upper-case; alternatives in order of preference).
MARKER_ALTERNATIVES: dict[str, list[tuple[str, ...]]] = _alternatives()

#: Pelvis markers used for the hip joint centres (upper-case; alternatives by preference).
PELVIS_MARKERS: dict[str, tuple[str, ...]] = {
    "rasi": ("RASI", "R.ASIS", "R_ASIS", "RASIS"),
    "lasi": ("LASI", "L.ASIS", "L_ASIS", "LASIS"),
    "rpsi": ("RPSI", "R.PSIS", "R_PSIS", "RPSIS"),
    "lpsi": ("LPSI", "L.PSIS", "L_PSIS", "LPSIS"),
    "sacr": ("SACR", "V.SACRAL", "SACRUM", "S2", "V_SACRAL"),
}


def normalise_marker_name(label: str) -> str:
    """Upper-case marker name without a ``Subject:`` prefix or surrounding blanks."""
    return label.rsplit(":", 1)[-1].strip().upper()


def harrington_hip_centres(
    rasi: FloatArray, lasi: FloatArray, posterior: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Left and right hip joint centres from pelvis markers (Harrington et al. 2007).

    In the pelvis frame (origin at the mid-point of the ASIS; ``z`` from LASI to RASI, ``x``
    anterior, perpendicular to ``z`` in the plane of the ASIS and the posterior point, ``y =
    z x x`` superior), with pelvis width ``PW = |RASI - LASI|`` and pelvis depth ``PD`` the
    distance from the mid-ASIS to the mid-PSIS (or the sacral marker), in millimetres:

    .. math::

        x = -0.24\\,PD - 9.9, \\quad y = -0.30\\,PW - 10.9, \\quad z = \\pm(0.33\\,PW + 7.3)

    (``+`` right, ``-`` left). This is the regression without leg length, which Harrington et
    al. found as accurate as the full one (mean error about 4 mm in adults).

    Parameters
    ----------
    rasi, lasi, posterior
        ``(n_time, 3)`` positions in metres; ``posterior`` is the PSIS mid-point or the
        sacral marker. The frame is anatomical, so any laboratory axis convention works.

    Returns
    -------
    left, right
        ``(n_time, 3)`` hip joint centres in metres (NaN where a marker is missing).
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        origin = 0.5 * (rasi + lasi)
        z_raw = rasi - lasi
        pw = np.linalg.norm(z_raw, axis=1, keepdims=True)
        z = z_raw / pw
        x_raw = origin - posterior
        pd = np.linalg.norm(x_raw, axis=1, keepdims=True)
        x_raw = x_raw - np.sum(x_raw * z, axis=1, keepdims=True) * z
        x = x_raw / np.linalg.norm(x_raw, axis=1, keepdims=True)
        y = np.cross(z, x)
    pw_mm, pd_mm = pw * 1e3, pd * 1e3
    ax = (-0.24 * pd_mm - 9.9) * 1e-3
    ay = (-0.30 * pw_mm - 10.9) * 1e-3
    az = (0.33 * pw_mm + 7.3) * 1e-3
    right = origin + ax * x + ay * y + az * z
    left = origin + ax * x + ay * y - az * z
    return left, right


def landmarks_from_markers(
    markers: Mapping[str, FloatArray], n_time: int
) -> tuple[NDArray[np.float32], NDArray[np.float32], dict[str, str]]:
    """Map laboratory markers (metres, Y up) onto the 33 MediaPipe landmarks.

    Parameters
    ----------
    markers
        Marker name (any case, optional ``Subject:`` prefix) -> ``(n_time, 3)`` positions in
        metres; NaN where the marker is missing.
    n_time
        Number of frames.

    Returns
    -------
    xyz, visibility, mapping
        ``(n_time, 33, 3)`` landmark positions, ``(n_time, 33)`` visibility (1 where finite)
        and, per landmark that was filled, the marker names it came from.
    """
    by_name: dict[str, FloatArray] = {}
    for label, value in markers.items():
        by_name.setdefault(normalise_marker_name(label), np.asarray(value, dtype=np.float64))
    arrays = empty_arrays(n_time)
    xyz = arrays["xyz"]
    mapping: dict[str, str] = {}

    def put(landmark: str, value: FloatArray, source: str) -> None:
        xyz[:, LANDMARK_INDEX[landmark], :] = value
        mapping[landmark] = source

    # 1. Markers that already carry landmark names.
    for name in LANDMARK_NAMES:
        if name.upper() in by_name:
            put(name, by_name[name.upper()], name)
    # 2. Laboratory marker sets.
    for landmark, alternatives in MARKER_ALTERNATIVES.items():
        if landmark in mapping:
            continue
        for alt in alternatives:
            if all(m in by_name for m in alt):
                put(landmark, np.mean([by_name[m] for m in alt], axis=0), "+".join(alt))
                break
    # 3. Hip joint centres from the pelvis markers.
    if "left_hip" not in mapping or "right_hip" not in mapping:
        found = {
            key: next((by_name[m] for m in names if m in by_name), None)
            for key, names in PELVIS_MARKERS.items()
        }
        rasi, lasi = found["rasi"], found["lasi"]
        posterior: FloatArray | None
        rpsi, lpsi = found["rpsi"], found["lpsi"]
        if rpsi is not None and lpsi is not None:
            posterior, post_name = 0.5 * (rpsi + lpsi), "PSIS"
        else:
            posterior, post_name = found["sacr"], "sacral marker"
        if rasi is not None and lasi is not None and posterior is not None:
            left, right = harrington_hip_centres(rasi, lasi, posterior)
            source = f"Harrington 2007 from ASIS and {post_name}"
            if "left_hip" not in mapping:
                put("left_hip", left, source)
            if "right_hip" not in mapping:
                put("right_hip", right, source)
    visibility = np.asarray(np.isfinite(xyz).all(axis=2), dtype=np.float32)
    xyz[visibility == 0] = np.nan
    return xyz, visibility, mapping


# -- reading ------------------------------------------------------------------------------
def _fail(path: Path, message: str) -> AvnInputError:
    return AvnInputError(f"{path.name}: {message}")


def _parse_header(path: Path, lines: list[str]) -> tuple[dict[str, str], list[str], int]:
    """Header key/values, marker names and the index of the first data line."""
    if len(lines) < 5:
        raise _fail(path, "too short for a TRC file (needs 5 header lines)")
    if not lines[0].startswith("PathFileType"):
        raise _fail(path, "line 1 does not start with 'PathFileType'; not a TRC file")
    keys = [k.strip() for k in lines[1].split("\t")]
    values = [v.strip() for v in lines[2].split("\t")]
    if "DataRate" not in keys or "NumMarkers" not in keys or "Units" not in keys:
        raise _fail(path, "line 2 lacks DataRate / NumMarkers / Units")
    header = {k: v for k, v in zip(keys, values, strict=False) if k}
    names_row = lines[3].rstrip("\r\n").split("\t")
    if len(names_row) < 2 or names_row[0].strip() != "Frame#" or names_row[1].strip() != "Time":
        raise _fail(path, "line 4 must start with 'Frame#' and 'Time'")
    # Marker names sit every third column from column 2 (empty fields between them).
    names = [n.strip() for n in names_row[2:] if n.strip()]
    first_data = 5
    while first_data < len(lines) and not lines[first_data].strip():
        first_data += 1
    return header, names, first_data


def _number(path: Path, header: Mapping[str, str], key: str) -> float:
    try:
        return float(header[key])
    except (KeyError, ValueError):
        raise _fail(path, f"header {key} is missing or not a number") from None


def read_trc(path: str | Path) -> PoseTrack:
    """Read an OpenSim TRC file into a :class:`~avnmotion.track.PoseTrack`.

    See the module docstring for the accepted marker names, units and clock.

    Raises
    ------
    AvnInputError
        Missing file, wrong header, a data line with a wrong number of columns, non-numeric
        data, or a file from which no landmark can be mapped.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        raise AvnInputError(f"{path}: file not found") from None
    except OSError as exc:
        raise AvnInputError(f"{path}: cannot read ({exc.strerror})") from None
    lines = text.splitlines()
    header, names, first = _parse_header(path, lines)
    n_markers = int(_number(path, header, "NumMarkers"))
    rate = _number(path, header, "DataRate")
    units = header.get("Units", "").strip()
    if len(names) != n_markers:
        raise _fail(path, f"line 4 names {len(names)} markers, header promises {n_markers}")
    pixel_file = units.lower() == "px"
    if not pixel_file and units.lower() not in UNIT_SCALE_M:
        raise _fail(path, f"unknown Units {units!r} (expected mm, cm or m)")
    if rate <= 0:
        raise _fail(path, f"DataRate must be positive, got {rate:g}")

    n_cols = 2 + 3 * n_markers
    data_lines = [(i + 1, ln.rstrip("\r\n")) for i, ln in enumerate(lines[first:], start=first)]
    data_lines = [(no, ln) for no, ln in data_lines if ln.strip()]
    if not data_lines:
        raise _fail(path, "no data lines")
    rows: list[list[str]] = []
    for line_no, line in data_lines:
        fields = line.split("\t")
        # Writers differ in trailing tabs: drop empty fields beyond the promised count.
        while len(fields) > n_cols and not fields[-1].strip():
            fields.pop()
        if len(fields) != n_cols:
            raise _fail(path, f"line {line_no} has {len(fields)} columns, header promises {n_cols}")
        rows.append(fields)
    tokens = np.array(rows, dtype=object)
    stripped = np.char.strip(tokens.astype(str))
    stripped[stripped == ""] = "nan"
    try:
        values = stripped.astype(np.float64)
    except ValueError:
        for (line_no, _), row in zip(data_lines, stripped, strict=True):
            for col, tok in enumerate(row):
                try:
                    float(tok)
                except ValueError:
                    raise _fail(
                        path, f"line {line_no} column {col + 1} is not a number: {tok[:20]!r}"
                    ) from None
        raise  # pragma: no cover - astype failed but no single token did
    times = values[:, 1]
    if not np.all(np.isfinite(times)):
        bad = int(np.flatnonzero(~np.isfinite(times))[0])
        raise _fail(path, f"line {data_lines[bad][0]} has no time")
    times = _snap_times(times, rate)
    if times.size > 1 and np.any(np.diff(times) <= 0):
        bad = int(np.flatnonzero(np.diff(times) <= 0)[0]) + 1
        raise _fail(path, f"line {data_lines[bad][0]}: times must increase")
    coords = values[:, 2:].reshape(len(rows), n_markers, 3)
    source: dict[str, Any] = {
        "kind": "track_trc",
        "path": str(path),
        "fps": rate,
        "units": units,
        "markers": names,
    }
    if pixel_file:
        return _pixel_track(path, header, names, coords, times, source)
    coords = coords * UNIT_SCALE_M[units.lower()]
    markers = {name: coords[:, j, :] for j, name in enumerate(names)}
    xyz, visibility, mapping = landmarks_from_markers(markers, len(rows))
    if not mapping:
        raise _fail(
            path,
            "no marker matches a MediaPipe landmark or a known laboratory marker name "
            "(e.g. left_hip, LASI, R.ASIS)",
        )
    source["landmark_sources"] = mapping
    return PoseTrack(
        timestamps_s=times,
        image_xyz=None,
        world_xyz=xyz,
        visibility=visibility,
        presence=visibility.copy(),
        world_frame="lab_y_up",
        source=source,
    )


def _snap_times(times: FloatArray, rate: float) -> FloatArray:
    """Replace times printed with few decimals by the exact ``DataRate`` grid when they agree."""
    if times.size < 2:
        return times
    grid = times[0] + np.arange(times.size) / rate
    # Printed precision: the number of decimals needed to represent the given times.
    for decimals in range(0, 10):
        if np.allclose(np.round(times, decimals), times, rtol=0, atol=1e-12):
            break
    tolerance = 0.5 * 10.0 ** (-decimals) + 1e-9
    if np.max(np.abs(times - grid)) <= tolerance:
        return grid
    return times


def _pixel_track(
    path: Path,
    header: Mapping[str, str],
    names: list[str],
    coords: FloatArray,
    times: FloatArray,
    source: dict[str, Any],
) -> PoseTrack:
    """Rebuild an image track from a pixel TRC written by :func:`write_trc`."""
    width = _number(path, header, "FrameWidth")
    height = _number(path, header, "FrameHeight")
    arrays = empty_arrays(len(times))
    img = arrays["xyz"]
    found = 0
    for j, name in enumerate(names):
        idx = LANDMARK_INDEX.get(name.strip().lower())
        if idx is None:
            continue
        found += 1
        img[:, idx, 0] = coords[:, j, 0] / width
        img[:, idx, 1] = (height - coords[:, j, 1]) / height
        img[:, idx, 2] = np.where(np.isfinite(coords[:, j, 0]), 0.0, np.nan)
    if not found:
        raise _fail(path, "pixel TRC without MediaPipe landmark names")
    visibility = np.isfinite(img[..., 0]).astype(np.float32)
    return PoseTrack(
        timestamps_s=times,
        image_xyz=img,
        world_xyz=None,
        visibility=visibility,
        presence=visibility.copy(),
        frame_size_px=(int(width), int(height)),
        source=source,
    )


# -- writing ------------------------------------------------------------------------------
def _format_block(values: FloatArray, decimals: int) -> list[str]:
    """Tab-joined strings per row, with empty fields for NaN."""
    text = np.char.mod(f"%.{decimals}f", values)
    text = np.where(np.isfinite(values), text, "")
    return ["\t".join(row) for row in text]


def write_trc(
    track: PoseTrack,
    path: str | Path,
    units: str = "m",
    *,
    metres_per_pixel: float | None = None,
) -> Path:
    """Write a track as an OpenSim TRC file (markers named after the MediaPipe landmarks).

    Parameters
    ----------
    track
        A laboratory track (``world_frame == "lab_y_up"``, written in ``units``) or a video
        track (image pixels with Y up; see the module docstring).
    path
        Output file.
    units
        ``"m"``, ``"cm"`` or ``"mm"`` for metric output.
    metres_per_pixel
        Video tracks only: scale pixel coordinates to ``units``. Without it the file holds
        pixels (``Units px``) and the frame size.

    Returns
    -------
    Path
        The written file.
    """
    path = Path(path)
    if units.lower() not in UNIT_SCALE_M:
        raise AvnInputError(f"unknown TRC units {units!r} (use m, cm or mm)")
    header_extra: dict[str, str] = {}
    if track.world_frame == "lab_y_up" and track.world_xyz is not None:
        coords = track.world_xyz.astype(np.float64) / UNIT_SCALE_M[units.lower()]
        out_units = units
        decimals = 9 if units.lower() in ("m", "meters", "metres") else 6
    elif track.image_xyz is not None:
        if track.frame_size_px is None:
            raise AvnInputError("cannot write a video track to TRC without its frame size")
        w, h = track.frame_size_px
        coords = np.empty(track.image_xyz.shape, dtype=np.float64)
        coords[..., 0] = track.image_xyz[..., 0].astype(np.float64) * w
        coords[..., 1] = h - track.image_xyz[..., 1].astype(np.float64) * h
        coords[..., 2] = np.where(np.isfinite(coords[..., 0]), 0.0, np.nan)
        if metres_per_pixel is None:
            out_units = "px"
            header_extra = {"FrameWidth": str(w), "FrameHeight": str(h)}
            decimals = 4
        else:
            coords *= metres_per_pixel / UNIT_SCALE_M[units.lower()]
            out_units = units
            decimals = 6
    else:
        raise AvnInputError(
            "cannot write this track to TRC: it has neither laboratory nor image coordinates"
        )
    present = np.flatnonzero(np.any(np.isfinite(coords[..., 0]), axis=0))
    if present.size == 0:
        raise AvnInputError("cannot write a TRC: no landmark has any finite sample")
    names = [LANDMARK_NAMES[i] for i in present]
    n, m = track.n_frames, len(names)
    rate = track.sampling_rate_hz
    keys = [
        "DataRate", "CameraRate", "NumFrames", "NumMarkers", "Units",
        "OrigDataRate", "OrigDataStartFrame", "OrigNumFrames",
    ]  # fmt: skip
    vals = [f"{rate:.6g}", f"{rate:.6g}", str(n), str(m), out_units, f"{rate:.6g}", "1", str(n)]
    keys += list(header_extra)
    vals += list(header_extra.values())
    lines = [
        f"PathFileType\t4\t(X/Y/Z)\t{path.name}",
        "\t".join(keys),
        "\t".join(vals),
        "\t".join(["Frame#", "Time"] + [f"{nm}\t\t" for nm in names]).rstrip("\t"),
        "\t\t" + "\t".join(f"X{k}\tY{k}\tZ{k}" for k in range(1, m + 1)),
        "",
    ]
    block = coords[:, present, :].reshape(n, 3 * m)
    body = _format_block(block, decimals)
    frame_col = np.arange(1, n + 1).astype(str)
    time_col = np.char.mod("%.9f", track.timestamps_s)
    lines += [f"{f}\t{t}\t{b}" for f, t, b in zip(frame_col, time_col, body, strict=True)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


__all__ = [
    "MARKER_ALTERNATIVES",
    "harrington_hip_centres",
    "landmarks_from_markers",
    "normalise_marker_name",
    "read_trc",
    "write_trc",
]
