"""The pose track: one validated container for landmarks over time.

Dimensions are fixed and named ``("time", "landmark", "space")``:

* ``time``: one row per frame, with ``timestamps_s`` (seconds, strictly increasing).
* ``landmark``: always the 33 MediaPipe pose landmarks in :data:`LANDMARK_NAMES` order.
  A source that lacks some of them (a TRC with only legs, a motion-capture trial) stores
  NaN there with visibility 0.
* ``space``: ``x, y, z``.

Coordinate sets
---------------
``image_xyz``
    MediaPipe normalised image coordinates: x to the right and y downwards in [0, 1] of the
    frame width / height, z a relative depth (same scale as x, smaller is nearer the camera).
    ``None`` for 3D sources such as TRC files.
``world_xyz``
    Metric coordinates in metres. For video this is MediaPipe's world landmarks (origin
    between the hips, y down); for motion capture (``world_frame == "lab_y_up"``) it is the
    laboratory frame with y up, as OpenSim writes TRC files.

Everything is stored as float32 (a 10-minute 30 fps clip is ~2.5 MB per coordinate set); no
image data is ever kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from avnmotion.errors import AvnInputError

DIMS: tuple[str, str, str] = ("time", "landmark", "space")

#: The 33 MediaPipe pose landmarks, in model output order (snake_case as in the Tasks API).
LANDMARK_NAMES: tuple[str, ...] = (
    "nose",
    "left_eye_inner",
    "left_eye",
    "left_eye_outer",
    "right_eye_inner",
    "right_eye",
    "right_eye_outer",
    "left_ear",
    "right_ear",
    "mouth_left",
    "mouth_right",
    "left_shoulder",
    "right_shoulder",
    "left_elbow",
    "right_elbow",
    "left_wrist",
    "right_wrist",
    "left_pinky",
    "right_pinky",
    "left_index",
    "right_index",
    "left_thumb",
    "right_thumb",
    "left_hip",
    "right_hip",
    "left_knee",
    "right_knee",
    "left_ankle",
    "right_ankle",
    "left_heel",
    "right_heel",
    "left_foot_index",
    "right_foot_index",
)
N_LANDMARKS = len(LANDMARK_NAMES)
LANDMARK_INDEX: dict[str, int] = {name: i for i, name in enumerate(LANDMARK_NAMES)}

#: Landmarks that the kinematics and gait analysis need, per side.
BODY_LANDMARKS: tuple[str, ...] = (
    "shoulder",
    "elbow",
    "wrist",
    "hip",
    "knee",
    "ankle",
    "heel",
    "foot_index",
)

WorldFrame = Literal["mediapipe_hip", "lab_y_up"]
FloatArray = NDArray[np.floating[Any]]


def landmark_index(name: str) -> int:
    """Index of a landmark by name, with a clear error for unknown names."""
    try:
        return LANDMARK_INDEX[name]
    except KeyError:
        raise AvnInputError(
            f"unknown landmark {name!r}; valid names: {', '.join(LANDMARK_NAMES)}"
        ) from None


def swap_side_name(name: str) -> str:
    """``left_knee`` -> ``right_knee`` and vice versa; other names unchanged."""
    if name.startswith("left_"):
        return "right_" + name[5:]
    if name.startswith("right_"):
        return "left_" + name[6:]
    return name


#: Permutation of the landmark axis that exchanges left and right landmarks.
LR_PERMUTATION: NDArray[np.intp] = np.array(
    [LANDMARK_INDEX[swap_side_name(n)] for n in LANDMARK_NAMES], dtype=np.intp
)


@dataclass(frozen=True)
class PoseTrack:
    """Landmarks over time, validated on construction.

    Parameters
    ----------
    timestamps_s
        Time of each frame in seconds, strictly increasing, shape ``(n_time,)``.
    image_xyz
        Normalised image coordinates, shape ``(n_time, 33, 3)``, or ``None``.
    world_xyz
        Metric coordinates in metres, shape ``(n_time, 33, 3)``, or ``None``.
    visibility
        MediaPipe visibility in [0, 1] (1 for measured motion-capture markers, 0 for missing
        ones), shape ``(n_time, 33)``.
    presence
        MediaPipe presence in [0, 1], shape ``(n_time, 33)``.
    frame_size_px
        ``(width, height)`` of the analysed (rotation-corrected) frames, or ``None``.
    world_frame
        Convention of ``world_xyz``: ``"mediapipe_hip"`` or ``"lab_y_up"``.
    source
        Free-form metadata about the origin (kind, path, container fps, rotation, ...).
    """

    timestamps_s: NDArray[np.float64]
    image_xyz: NDArray[np.float32] | None
    world_xyz: NDArray[np.float32] | None
    visibility: NDArray[np.float32]
    presence: NDArray[np.float32]
    frame_size_px: tuple[int, int] | None = None
    world_frame: WorldFrame = "mediapipe_hip"
    source: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Normalise dtypes first so that validation sees what will be stored.
        object.__setattr__(self, "timestamps_s", np.asarray(self.timestamps_s, dtype=np.float64))
        for name in ("image_xyz", "world_xyz"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, np.asarray(value, dtype=np.float32))
        for name in ("visibility", "presence"):
            object.__setattr__(self, name, np.asarray(getattr(self, name), dtype=np.float32))
        if self.frame_size_px is not None:
            w, h = self.frame_size_px
            object.__setattr__(self, "frame_size_px", (int(w), int(h)))
        problems = self._problems()
        if problems:
            raise AvnInputError("invalid pose track: " + "; ".join(problems))

    def _problems(self) -> list[str]:
        """Collect every validation problem, so the user sees them all at once."""
        problems: list[str] = []
        t = self.timestamps_s
        if t.ndim != 1:
            problems.append(f"timestamps_s must be 1-D, got shape {t.shape}")
            return problems
        n = t.shape[0]
        if n == 0:
            problems.append("track has no frames")
        if not np.all(np.isfinite(t)):
            problems.append("timestamps_s contains NaN or infinite values")
        elif n > 1 and np.any(np.diff(t) <= 0):
            problems.append("timestamps_s must be strictly increasing")
        if self.image_xyz is None and self.world_xyz is None:
            problems.append("track needs image_xyz or world_xyz")
        for name in ("image_xyz", "world_xyz"):
            value = getattr(self, name)
            if value is not None and value.shape != (n, N_LANDMARKS, 3):
                problems.append(
                    f"{name} must have shape (time={n}, landmark={N_LANDMARKS}, space=3), "
                    f"got {value.shape}"
                )
        for name in ("visibility", "presence"):
            value = getattr(self, name)
            if value.shape != (n, N_LANDMARKS):
                problems.append(
                    f"{name} must have shape (time={n}, landmark={N_LANDMARKS}), got {value.shape}"
                )
            elif not np.all((value >= 0) & (value <= 1)):
                problems.append(f"{name} must lie in [0, 1] (no NaN)")
        if self.frame_size_px is not None and min(self.frame_size_px) <= 0:
            problems.append(f"frame_size_px must be positive, got {self.frame_size_px}")
        if self.world_frame not in ("mediapipe_hip", "lab_y_up"):
            problems.append(f"unknown world_frame {self.world_frame!r}")
        return problems

    # -- derived quantities -------------------------------------------------------------
    @property
    def n_frames(self) -> int:
        return int(self.timestamps_s.shape[0])

    @property
    def duration_s(self) -> float:
        if self.n_frames < 2:
            return 0.0
        return float(self.timestamps_s[-1] - self.timestamps_s[0])

    @property
    def sampling_rate_hz(self) -> float:
        """Sampling rate from the median frame interval (robust to a few dropped frames)."""
        if self.n_frames < 2:
            return float(self.source.get("fps", 0.0) or 0.0)
        return float(1.0 / np.median(np.diff(self.timestamps_s)))

    @property
    def is_3d(self) -> bool:
        """True for laboratory 3D tracks (motion capture / TRC) without image coordinates."""
        return self.image_xyz is None

    @property
    def pixel_xy(self) -> NDArray[np.float32] | None:
        """Image coordinates in pixels, ``(n_time, 33, 2)``; ``None`` without a frame size."""
        if self.image_xyz is None or self.frame_size_px is None:
            return None
        scale = np.asarray(self.frame_size_px, dtype=np.float32)
        return self.image_xyz[..., :2] * scale

    def frames_with_pose(self) -> NDArray[np.bool_]:
        """Boolean per frame: a person is there (a finite landmark with visibility above 0).

        Coordinates with zero visibility are no observation: the analysis gates them out, so
        a track whose every landmark has visibility 0 shows nobody, whatever its coordinates.
        """
        coords = self.image_xyz if self.image_xyz is not None else self.world_xyz
        assert coords is not None
        return np.any(np.isfinite(coords[..., 0]) & (self.visibility > 0), axis=1)

    def point(self, name: str, coords: Literal["image", "world"] = "image") -> FloatArray:
        """One landmark over time, ``(n_time, 3)``."""
        arr = self.image_xyz if coords == "image" else self.world_xyz
        if arr is None:
            raise AvnInputError(f"track has no {coords} coordinates")
        return arr[:, landmark_index(name), :]

    def with_(self, **changes: Any) -> PoseTrack:
        """A validated copy with some fields replaced."""
        return replace(self, **changes)

    def slice_time(self, index: slice | NDArray[np.bool_] | NDArray[np.intp]) -> PoseTrack:
        """A copy restricted to some frames (every per-frame array is indexed alike)."""
        return self.with_(
            timestamps_s=self.timestamps_s[index],
            image_xyz=None if self.image_xyz is None else self.image_xyz[index],
            world_xyz=None if self.world_xyz is None else self.world_xyz[index],
            visibility=self.visibility[index],
            presence=self.presence[index],
        )

    # -- persistence --------------------------------------------------------------------
    def save_npz(self, path: str | Path) -> Path:
        """Save to a compressed ``.npz`` (float32 arrays plus JSON metadata)."""
        import json

        path = Path(path)
        arrays: dict[str, Any] = {
            "timestamps_s": self.timestamps_s,
            "visibility": self.visibility,
            "presence": self.presence,
            "landmark_names": np.array(LANDMARK_NAMES),
            "meta_json": np.array(
                json.dumps(
                    {
                        "format": "avnmotion-track",
                        "format_version": 1,
                        "dims": list(DIMS),
                        "frame_size_px": self.frame_size_px,
                        "world_frame": self.world_frame,
                        "source": self.source,
                    },
                    default=str,
                )
            ),
        }
        if self.image_xyz is not None:
            arrays["image_xyz"] = self.image_xyz
        if self.world_xyz is not None:
            arrays["world_xyz"] = self.world_xyz
        with path.open("wb") as fh:
            np.savez_compressed(fh, **arrays)
        return path

    @classmethod
    def load_npz(cls, path: str | Path) -> PoseTrack:
        """Load a track written by :meth:`save_npz`, with a clear error for anything else."""
        import zipfile
        import zlib

        path = Path(path)
        try:
            data = np.load(path, allow_pickle=False)
        except FileNotFoundError:
            raise AvnInputError(f"{path}: file not found") from None
        except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
            if "pickled" in str(exc):  # np.load's advice on unsafe loading is not for users
                raise AvnInputError(
                    f"{path}: not a readable .npz track (not a NumPy .npz archive)"
                ) from None
            raise AvnInputError(f"{path}: not a readable .npz track ({exc})") from None
        with data:
            try:
                return cls._from_npz(data)
            except AvnInputError as exc:
                raise AvnInputError(f"{path}: {exc}") from None
            except (
                OSError,
                ValueError,
                TypeError,
                KeyError,
                AttributeError,
                EOFError,
                zipfile.BadZipFile,
                zlib.error,
            ) as exc:
                # a damaged member, metadata of the wrong shape, or arrays of the wrong type
                raise AvnInputError(f"{path}: not a readable avnmotion track ({exc})") from None

    @classmethod
    def _from_npz(cls, data: Any) -> PoseTrack:
        import json

        missing = [
            k for k in ("timestamps_s", "visibility", "presence", "meta_json") if k not in data
        ]
        if missing:
            raise AvnInputError(f"not an avnmotion track (missing {', '.join(missing)})")
        names = tuple(str(n) for n in data["landmark_names"]) if "landmark_names" in data else None
        if names is not None and names != LANDMARK_NAMES:
            raise AvnInputError("landmark names do not match MediaPipe's 33 landmarks")
        meta = json.loads(str(data["meta_json"]))
        if not isinstance(meta, dict) or not isinstance(meta.get("source", {}), dict):
            raise AvnInputError("track metadata (meta_json) must be a JSON object")
        size = meta.get("frame_size_px")
        if size is not None and (not isinstance(size, list) or len(size) != 2):
            raise AvnInputError(f"frame_size_px must be [width, height], got {size!r}")
        return cls(
            timestamps_s=data["timestamps_s"],
            image_xyz=data.get("image_xyz"),
            world_xyz=data.get("world_xyz"),
            visibility=data["visibility"],
            presence=data["presence"],
            frame_size_px=tuple(size) if size else None,  # type: ignore[arg-type]
            world_frame=meta.get("world_frame", "mediapipe_hip"),
            source=meta.get("source", {}),
        )


def empty_arrays(n_time: int) -> dict[str, NDArray[np.float32]]:
    """NaN coordinates and zero visibility for ``n_time`` frames (for builders and readers)."""
    return {
        "xyz": np.full((n_time, N_LANDMARKS, 3), np.nan, dtype=np.float32),
        "visibility": np.zeros((n_time, N_LANDMARKS), dtype=np.float32),
        "presence": np.zeros((n_time, N_LANDMARKS), dtype=np.float32),
    }
