"""The PoseLandmarker model bundle: find it, validate it, or build it offline.

MediaPipe's Tasks API wants a ``.task`` bundle: a zip holding ``pose_detector.tflite`` and
``pose_landmarks_detector.tflite``. Google publishes such bundles (lite / full / heavy) on a
CDN that a locked-down deployment may not reach, so :func:`prepare_model` builds an
equivalent "full" bundle from the two models that ship inside the legacy mediapipe wheel
(0.10.x, fetched from the package index with ``pip download``):

* ``mediapipe/modules/pose_detection/pose_detection.tflite`` -> ``pose_detector.tflite``
* ``mediapipe/modules/pose_landmark/pose_landmark_full.tflite`` ->
  ``pose_landmarks_detector.tflite``

The wheel's models carry no TFLite metadata. The Tasks graph refuses a float-input model
without ``NormalizationOptions``, so image-input metadata is added with mediapipe's own
metadata writer: mean 0 / std 255 for the landmark model (input in [0, 1], as the legacy
graph fed it) and mean 127.5 / std 127.5 for the detector (input in [-1, 1]; this is also
the detector graph's default, written down explicitly so the bundle is self-describing).
Zip entries are stored uncompressed and 64-byte aligned so that MediaPipe can map them.

Any valid ``.task`` bundle (for example Google's official lite/full/heavy ones) can be
used instead via ``--model`` or ``AVNMOTION_POSE_MODEL``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import types
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from avnmotion.errors import AvnInputError, ModelNotAvailableError

#: Environment variable naming an explicit ``.task`` bundle.
ENV_MODEL = "AVNMOTION_POSE_MODEL"
#: Environment variable overriding the cache directory for built bundles.
ENV_MODEL_DIR = "AVNMOTION_MODEL_DIR"
#: File name of the bundle built by :func:`prepare_model`.
MODEL_FILE_NAME = "pose_landmarker_full_offline.task"
#: Entries a PoseLandmarker bundle must contain.
DETECTOR_ENTRY = "pose_detector.tflite"
LANDMARKS_ENTRY = "pose_landmarks_detector.tflite"
REQUIRED_ENTRIES: tuple[str, ...] = (DETECTOR_ENTRY, LANDMARKS_ENTRY)
#: Legacy mediapipe wheels that contain the models, tried in order (any platform works:
#: a wheel is a zip and the .tflite files are identical across platforms).
MEDIAPIPE_WHEEL_VERSIONS: tuple[str, ...] = ("0.10.21", "0.10.20", "0.10.18", "0.10.14")
WHEEL_DETECTOR_PATH = "mediapipe/modules/pose_detection/pose_detection.tflite"
WHEEL_LANDMARKS_PATH = "mediapipe/modules/pose_landmark/pose_landmark_full.tflite"
#: Zip data alignment in bytes (MediaPipe memory-maps stored entries).
ZIP_ALIGNMENT_BYTES = 64

FIX_HINT = (
    "run `avnmotion model prepare` (or `make setup`), or pass --model / "
    f"set {ENV_MODEL} to a PoseLandmarker .task bundle"
)

# Android zipalign's extra-field id for alignment padding; readers skip unknown ids.
_ALIGN_EXTRA_ID = 0xD935
_LOCAL_HEADER_BYTES = 30
_TFLITE_IDENTIFIER = b"TFL3"


# -- locations ----------------------------------------------------------------------------
def default_model_dir() -> Path:
    """Cache directory for built bundles.

    ``$AVNMOTION_MODEL_DIR`` if set, else ``~/.cache/avnmotion/models``.
    """
    env = os.environ.get(ENV_MODEL_DIR)
    if env:
        return Path(env).expanduser()
    return Path.home() / ".cache" / "avnmotion" / "models"


def default_model_path(cache_dir: str | Path | None = None) -> Path:
    """Where :func:`prepare_model` puts (and looks for) its bundle."""
    base = Path(cache_dir).expanduser() if cache_dir is not None else default_model_dir()
    return base / MODEL_FILE_NAME


def resolve_model_path(explicit: str | Path | None = None) -> Path:
    """Find the pose model bundle to use.

    Order: ``explicit``, then ``$AVNMOTION_POSE_MODEL``, then the default cache path.

    Parameters
    ----------
    explicit
        A path given by the user (``--model``), or ``None``.

    Returns
    -------
    Path
        A validated ``.task`` bundle.

    Raises
    ------
    AvnInputError
        An explicitly named bundle (argument or environment) is missing or not a valid
        PoseLandmarker bundle.
    ModelNotAvailableError
        Nothing was named and the default bundle has not been prepared.
    """
    if explicit is not None and str(explicit) != "":
        path = Path(explicit).expanduser()
        if not path.is_file():
            raise AvnInputError(f"pose model {path}: file not found")
        validate_bundle(path)
        return path
    env = os.environ.get(ENV_MODEL)
    if env:
        path = Path(env).expanduser()
        if not path.is_file():
            raise AvnInputError(f"pose model {path} (from ${ENV_MODEL}): file not found")
        validate_bundle(path)
        return path
    path = default_model_path()
    if not path.is_file():
        raise ModelNotAvailableError(f"no pose model found at {path}; {FIX_HINT}")
    validate_bundle(path)
    return path


# -- validation / description -------------------------------------------------------------
def validate_bundle(path: str | Path) -> None:
    """Check that ``path`` is a zip with the two PoseLandmarker ``.tflite`` entries.

    This is a cheap structural check; whether MediaPipe accepts the models is only known
    when the landmarker is created (see :func:`check_bundle_loads`).

    Raises
    ------
    AvnInputError
        With a one-line message naming the file and the problem.
    """
    path = Path(path)
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
            missing = [e for e in REQUIRED_ENTRIES if e not in names]
            if missing:
                raise AvnInputError(
                    f"pose model {path}: not a PoseLandmarker .task bundle "
                    f"(missing {', '.join(missing)})"
                )
            for entry in REQUIRED_ENTRIES:
                with zf.open(entry) as fh:
                    head = fh.read(8)
                if head[4:8] != _TFLITE_IDENTIFIER:
                    raise AvnInputError(f"pose model {path}: {entry} is not a TFLite model")
    except zipfile.BadZipFile:
        raise AvnInputError(
            f"pose model {path}: not a PoseLandmarker .task bundle (not a zip file)"
        ) from None
    except OSError as exc:
        raise AvnInputError(f"pose model {path}: cannot be read ({exc.strerror or exc})") from None


def file_sha256(path: str | Path) -> str:
    """Hex SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def describe_model(path: str | Path) -> dict[str, Any]:
    """A short description of a bundle for results' ``processing`` metadata.

    Returns
    -------
    dict
        ``file`` (name), ``sha256_prefix`` (12 hex digits), ``size_bytes`` and, for bundles
        built by :func:`prepare_model`, ``built_from`` (the provenance sidecar).
    """
    path = Path(path)
    info: dict[str, Any] = {
        "file": path.name,
        "sha256_prefix": file_sha256(path)[:12],
        "size_bytes": path.stat().st_size,
    }
    sidecar = _sidecar_path(path)
    if sidecar.is_file():
        with contextlib.suppress(OSError, ValueError):
            info["built_from"] = json.loads(sidecar.read_text(encoding="utf-8"))
    return info


def check_bundle_loads(path: str | Path) -> None:
    """Create a PoseLandmarker from ``path`` and run it on a blank image.

    Raises
    ------
    AvnInputError
        MediaPipe rejects the bundle (message names the file and MediaPipe's reason).
    """
    import numpy as np

    from avnmotion.pose.extract import PoseExtractor

    with PoseExtractor(path, running_mode="image") as extractor:
        extractor.process(np.zeros((64, 64, 3), dtype=np.uint8), 0)


# -- building -----------------------------------------------------------------------------
def prepare_model(
    cache_dir: str | Path | None = None,
    *,
    force: bool = False,
    wheel: str | Path | None = None,
) -> Path:
    """Build (once) the offline "full" PoseLandmarker bundle and return its path.

    Idempotent: an existing valid bundle is returned unchanged unless ``force``.

    Parameters
    ----------
    cache_dir
        Directory for the bundle; default :func:`default_model_dir`.
    force
        Rebuild even if the bundle exists.
    wheel
        A local legacy mediapipe wheel (0.10.x) to take the models from instead of
        downloading one with ``pip download`` from the configured package index.

    Returns
    -------
    Path
        The bundle, verified to load in MediaPipe.

    Raises
    ------
    ModelNotAvailableError
        The wheel could not be obtained or does not contain the models.
    """
    out_path = default_model_path(cache_dir)
    if out_path.is_file() and not force:
        with contextlib.suppress(AvnInputError):
            validate_bundle(out_path)
            return out_path
    out_path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="avnmotion-model-") as tmp:
        tmp_dir = Path(tmp)
        if wheel is not None:
            wheel_path, version = Path(wheel), _wheel_version(Path(wheel))
        else:
            wheel_path, version = _download_wheel(tmp_dir)
        detector, landmarks = _read_wheel_models(wheel_path)
        detector_md = add_image_metadata(detector, norm_mean=127.5, norm_std=127.5)
        landmarks_md = add_image_metadata(landmarks, norm_mean=0.0, norm_std=255.0)
        tmp_bundle = tmp_dir / MODEL_FILE_NAME
        write_aligned_zip(tmp_bundle, {DETECTOR_ENTRY: detector_md, LANDMARKS_ENTRY: landmarks_md})
        # Verify before publishing, so a broken build never replaces a working bundle.
        check_bundle_loads(tmp_bundle)
        provenance = {
            "mediapipe_wheel": version,
            "detector": WHEEL_DETECTOR_PATH,
            "detector_sha256": hashlib.sha256(detector).hexdigest(),
            "landmarks": WHEEL_LANDMARKS_PATH,
            "landmarks_sha256": hashlib.sha256(landmarks).hexdigest(),
        }
        _atomic_copy(tmp_bundle, out_path)
        _atomic_write_text(_sidecar_path(out_path), json.dumps(provenance, indent=2) + "\n")
    return out_path


def _sidecar_path(bundle: Path) -> Path:
    return bundle.with_suffix(".json")


def _wheel_version(wheel: Path) -> str:
    # Wheel file names are name-version-...; fall back to the whole name.
    parts = wheel.name.split("-")
    return parts[1] if len(parts) > 2 else wheel.name


def _download_wheel(dest: Path) -> tuple[Path, str]:
    """``pip download`` a legacy mediapipe wheel (first available version) into ``dest``."""
    errors: list[str] = []
    # Pin a platform/Python so the download works on any host (macOS, ARM, other Pythons):
    # only the zip's data files are used, never its code. 0.10.21 exists only as a
    # manylinux_2_28 wheel, older versions also as manylinux_2_17.
    attempts = [
        (version, platform)
        for version in MEDIAPIPE_WHEEL_VERSIONS
        for platform in ("manylinux_2_28_x86_64", "manylinux_2_17_x86_64")
    ]
    for version, platform in attempts:
        cmd = [
            sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
            "--platform", platform, "--python-version", "3.11",
            "--disable-pip-version-check", "--quiet",
            f"mediapipe=={version}", "-d", str(dest),
        ]  # fmt: skip
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            errors.append(f"{version}: {exc}")
            continue
        wheels = sorted(dest.glob(f"mediapipe-{version}-*.whl"))
        if proc.returncode == 0 and wheels:
            return wheels[0], version
        last = (proc.stderr.strip().splitlines() or ["pip failed"])[-1]
        errors.append(f"{version}: {last}")
        if "No module named pip" in proc.stderr:
            break
    raise ModelNotAvailableError(
        "could not download a mediapipe 0.10.x wheel with pip to build the pose model "
        f"({errors[-1] if errors else 'unknown error'}); {FIX_HINT}"
    )


def _read_wheel_models(wheel: Path) -> tuple[bytes, bytes]:
    try:
        with zipfile.ZipFile(wheel) as zf:
            return zf.read(WHEEL_DETECTOR_PATH), zf.read(WHEEL_LANDMARKS_PATH)
    except (zipfile.BadZipFile, KeyError, OSError) as exc:
        raise ModelNotAvailableError(
            f"{wheel.name} does not contain the pose models ({exc}); {FIX_HINT}"
        ) from None


@contextlib.contextmanager
def _metadata_version_stub() -> Iterator[None]:
    """Provide ``_pywrap_metadata_version`` while mediapipe's metadata writer is imported.

    mediapipe 1.2.x ships the pure-python metadata writers but not the pybind module
    ``mediapipe.tasks.cc.metadata.python._pywrap_metadata_version`` that
    ``metadata.MetadataPopulator`` imports. Its only function,
    ``GetMinimumMetadataParserVersion``, computes the oldest parser able to read the
    metadata; for plain image-input metadata (no tokenizers, tensor groups, associated
    files or custom metadata) that is the schema's first version, "1.0.0". The stand-in is
    injected only when the real module is missing and removed again afterwards.
    """
    name = "mediapipe.tasks.cc.metadata.python._pywrap_metadata_version"
    try:
        __import__(name)
    except ImportError:
        pass
    else:
        yield
        return
    parents = [
        "mediapipe.tasks.cc",
        "mediapipe.tasks.cc.metadata",
        "mediapipe.tasks.cc.metadata.python",
    ]
    added: list[str] = []
    for parent in parents:
        if parent not in sys.modules:
            module = types.ModuleType(parent)
            module.__path__ = []  # a namespace-like package with nothing on disk
            sys.modules[parent] = module
            added.append(parent)
    stub = types.ModuleType(name)
    stub.GetMinimumMetadataParserVersion = lambda _buf: "1.0.0"  # type: ignore[attr-defined]
    sys.modules[name] = stub
    added.append(name)
    sys.modules["mediapipe.tasks.cc.metadata.python"]._pywrap_metadata_version = stub  # type: ignore[attr-defined]
    # The writer modules bind the stub at import time; drop them too so that a later
    # import (with a real pybind module, say) does not keep the stand-in.
    writer_modules = [
        "mediapipe.tasks.python.metadata.metadata",
        "mediapipe.tasks.python.metadata.metadata_writers.metadata_writer",
    ]
    preexisting = {m for m in writer_modules if m in sys.modules}
    try:
        yield
    finally:
        for mod in writer_modules:
            if mod not in preexisting:
                sys.modules.pop(mod, None)
        for mod in reversed(added):
            sys.modules.pop(mod, None)


def add_image_metadata(tflite: bytes, *, norm_mean: float, norm_std: float) -> bytes:
    """Return ``tflite`` with RGB image-input metadata (``(pixel - mean) / std``).

    Parameters
    ----------
    tflite
        A TFLite flatbuffer with a single float image input.
    norm_mean, norm_std
        Normalisation applied by MediaPipe's image preprocessing before inference.
    """
    with _metadata_version_stub():
        from mediapipe.tasks.python.metadata.metadata_writers import metadata_writer

        writer = metadata_writer.MetadataWriter.create(bytearray(tflite))
        writer.add_image_input(norm_mean=[norm_mean], norm_std=[norm_std])
        model_with_metadata, _json = writer.populate()
    return bytes(model_with_metadata)


def write_aligned_zip(
    path: str | Path, entries: dict[str, bytes], *, alignment: int = ZIP_ALIGNMENT_BYTES
) -> Path:
    """Write a zip with uncompressed entries whose data start on ``alignment`` bytes.

    Padding goes into each local header's extra field (as Android's zipalign does), so
    the archive stays a standard zip.
    """
    path = Path(path)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as zf:
        for name, data in entries.items():
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_STORED
            info.create_system = 3  # unix, so the permission bits below are honoured
            info.external_attr = 0o644 << 16
            offset = zf.fp.tell() if zf.fp is not None else 0
            header_end = offset + _LOCAL_HEADER_BYTES + len(name.encode("utf-8"))
            pad = (-header_end) % alignment
            if 0 < pad < 4:  # an extra-field record needs at least 4 bytes
                pad += alignment
            if pad:
                info.extra = struct.pack("<HH", _ALIGN_EXTRA_ID, pad - 4) + b"\0" * (pad - 4)
            zf.writestr(info, data)
    return path


def zip_data_offsets(path: str | Path) -> dict[str, int]:
    """Byte offset of each entry's data, read from the local headers (for checks)."""
    offsets: dict[str, int] = {}
    with zipfile.ZipFile(path) as zf, Path(path).open("rb") as fh:
        for info in zf.infolist():
            fh.seek(info.header_offset)
            header = fh.read(_LOCAL_HEADER_BYTES)
            name_len, extra_len = struct.unpack("<HH", header[26:30])
            offsets[info.filename] = info.header_offset + _LOCAL_HEADER_BYTES + name_len + extra_len
    return offsets


def _atomic_copy(src: Path, dst: Path) -> None:
    fd, tmp_name = tempfile.mkstemp(prefix=dst.name + ".", suffix=".tmp", dir=dst.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        shutil.copyfile(src, tmp)
        tmp.chmod(0o644)
        tmp.replace(dst)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _atomic_write_text(dst: Path, text: str) -> None:
    fd, tmp_name = tempfile.mkstemp(prefix=dst.name + ".", suffix=".tmp", dir=dst.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        tmp.replace(dst)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
