"""Pose model bundle: locating, validating, building (build tests are slow)."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from avnmotion.errors import AvnInputError, ModelNotAvailableError
from avnmotion.pose import model as pm
from avnmotion.pose.extract import PoseExtractor, next_timestamp_ms

# Just enough of a TFLite file for the structural check: 4 bytes offset + identifier.
FAKE_TFLITE = b"\x1c\x00\x00\x00TFL3" + b"\x00" * 100


def _fake_bundle(path: Path, entries: dict[str, bytes] | None = None) -> Path:
    if entries is None:
        entries = {pm.DETECTOR_ENTRY: FAKE_TFLITE, pm.LANDMARKS_ENTRY: FAKE_TFLITE}
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return path


@pytest.fixture
def no_model_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Empty cache dir and no explicit model in the environment."""
    cache = tmp_path / "cache"
    monkeypatch.setenv(pm.ENV_MODEL_DIR, str(cache))
    monkeypatch.delenv(pm.ENV_MODEL, raising=False)
    return cache


def test_import_pose_does_not_import_heavy_modules() -> None:
    code = (
        "import sys, avnmotion, avnmotion.pose, avnmotion.pose.model, avnmotion.pose.video, "
        "avnmotion.pose.extract, avnmotion.pose.overlay\n"
        "heavy = [m for m in ('cv2', 'mediapipe', 'imageio_ffmpeg') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    root = Path(__file__).resolve().parents[2]
    subprocess.run([sys.executable, "-c", code], check=True, cwd=root)


def test_aligned_zip_offsets_and_stored(tmp_path: Path) -> None:
    entries = {"a.tflite": b"x" * 1000, "bb.tflite": b"y" * 333, "ccc_longer_name.bin": b"z"}
    path = pm.write_aligned_zip(tmp_path / "t.zip", entries)
    offsets = pm.zip_data_offsets(path)
    assert set(offsets) == set(entries)
    assert all(off % 64 == 0 for off in offsets.values()), offsets
    with zipfile.ZipFile(path) as zf:
        assert zf.testzip() is None
        for info in zf.infolist():
            assert info.compress_type == zipfile.ZIP_STORED
            assert zf.read(info.filename) == entries[info.filename]
    raw = path.read_bytes()
    for name, off in offsets.items():
        assert raw[off : off + len(entries[name])] == entries[name]


def test_validate_bundle_accepts_structurally_valid(tmp_path: Path) -> None:
    pm.validate_bundle(_fake_bundle(tmp_path / "ok.task"))


def test_validate_bundle_not_zip(tmp_path: Path) -> None:
    path = tmp_path / "bad.task"
    path.write_text("hello")
    with pytest.raises(AvnInputError, match=r"bad\.task.*not a zip"):
        pm.validate_bundle(path)


def test_validate_bundle_missing_entry(tmp_path: Path) -> None:
    path = _fake_bundle(tmp_path / "half.task", {pm.DETECTOR_ENTRY: FAKE_TFLITE})
    with pytest.raises(AvnInputError, match=r"missing pose_landmarks_detector\.tflite"):
        pm.validate_bundle(path)


def test_validate_bundle_entry_not_tflite(tmp_path: Path) -> None:
    entries = {pm.DETECTOR_ENTRY: FAKE_TFLITE, pm.LANDMARKS_ENTRY: b"not a model at all"}
    path = _fake_bundle(tmp_path / "junk.task", entries)
    with pytest.raises(AvnInputError, match="is not a TFLite model"):
        pm.validate_bundle(path)


def test_resolve_default_missing_names_the_fix(no_model_env: Path) -> None:
    with pytest.raises(ModelNotAvailableError) as info:
        pm.resolve_model_path()
    message = str(info.value)
    assert "\n" not in message
    assert "avnmotion model prepare" in message
    assert "AVNMOTION_POSE_MODEL" in message
    assert str(no_model_env) in message


def test_resolve_order_explicit_env_default(
    no_model_env: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    no_model_env.mkdir()
    default = _fake_bundle(no_model_env / pm.MODEL_FILE_NAME)
    assert pm.resolve_model_path() == default
    env_bundle = _fake_bundle(tmp_path / "env.task")
    monkeypatch.setenv(pm.ENV_MODEL, str(env_bundle))
    assert pm.resolve_model_path() == env_bundle
    explicit = _fake_bundle(tmp_path / "explicit.task")
    assert pm.resolve_model_path(explicit) == explicit
    assert pm.resolve_model_path(str(explicit)) == explicit


def test_resolve_explicit_missing_is_input_error(no_model_env: Path, tmp_path: Path) -> None:
    with pytest.raises(AvnInputError, match=r"nope\.task: file not found"):
        pm.resolve_model_path(tmp_path / "nope.task")


def test_resolve_env_missing_is_input_error(
    no_model_env: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(pm.ENV_MODEL, str(tmp_path / "gone.task"))
    with pytest.raises(AvnInputError, match="AVNMOTION_POSE_MODEL"):
        pm.resolve_model_path()


def test_default_model_dir_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(pm.ENV_MODEL_DIR, str(tmp_path))
    assert pm.default_model_path() == tmp_path / pm.MODEL_FILE_NAME
    monkeypatch.delenv(pm.ENV_MODEL_DIR)
    assert pm.default_model_dir() == Path.home() / ".cache" / "avnmotion" / "models"


def test_describe_model(tmp_path: Path) -> None:
    path = _fake_bundle(tmp_path / "d.task")
    info = pm.describe_model(path)
    assert info["file"] == "d.task"
    assert len(info["sha256_prefix"]) == 12
    assert info["sha256_prefix"] == pm.file_sha256(path)[:12]


def test_next_timestamp_ms_bumps_duplicates() -> None:
    assert next_timestamp_ms(0, None) == 0
    assert next_timestamp_ms(33, 0) == 33
    assert next_timestamp_ms(33, 33) == 34
    assert next_timestamp_ms(30, 34) == 35


def test_extractor_rejects_bad_settings() -> None:
    with pytest.raises(AvnInputError, match="running_mode"):
        PoseExtractor(running_mode="live")  # type: ignore[arg-type]
    with pytest.raises(AvnInputError, match="min_tracking_confidence"):
        PoseExtractor(min_tracking_confidence=1.5)
    with pytest.raises(AvnInputError, match="num_poses"):
        PoseExtractor(num_poses=0)


def test_extractor_reports_unloadable_bundle(no_model_env: Path, tmp_path: Path) -> None:
    pytest.importorskip("mediapipe")
    path = _fake_bundle(tmp_path / "garbage.task")
    with pytest.raises(AvnInputError, match=r"garbage\.task: MediaPipe cannot load it"):
        PoseExtractor(path, running_mode="image")


def test_metadata_stub_is_scoped() -> None:
    pytest.importorskip("mediapipe")
    name = "mediapipe.tasks.cc.metadata.python._pywrap_metadata_version"
    with pm._metadata_version_stub():
        module = sys.modules[name]
        assert module.GetMinimumMetadataParserVersion(b"") == "1.0.0"
    assert name not in sys.modules or sys.modules[name] is not module


# -- building the real bundle (downloads a wheel through pip on first use) -------------------
@pytest.fixture(scope="session")
def built_model() -> Path:
    try:
        return pm.prepare_model()
    except ModelNotAvailableError as exc:
        pytest.skip(f"pose model could not be prepared: {exc}")


@pytest.mark.slow
def test_prepared_bundle_is_aligned_and_loads(built_model: Path) -> None:
    pm.validate_bundle(built_model)
    offsets = pm.zip_data_offsets(built_model)
    assert set(offsets) == {pm.DETECTOR_ENTRY, pm.LANDMARKS_ENTRY}
    assert all(off % pm.ZIP_ALIGNMENT_BYTES == 0 for off in offsets.values())
    with zipfile.ZipFile(built_model) as zf:
        assert all(i.compress_type == zipfile.ZIP_STORED for i in zf.infolist())
    pm.check_bundle_loads(built_model)
    info = pm.describe_model(built_model)
    assert info["built_from"]["mediapipe_wheel"].startswith("0.10.")


@pytest.mark.slow
def test_prepare_is_idempotent(built_model: Path) -> None:
    mtime = built_model.stat().st_mtime_ns
    assert pm.prepare_model(built_model.parent) == built_model
    assert built_model.stat().st_mtime_ns == mtime


@pytest.mark.slow
def test_prepare_from_local_wheel_and_force(built_model: Path, tmp_path: Path) -> None:
    # Rebuild from the models inside a hand-made "wheel" to exercise the build path without
    # a second download; the result must equal the cached build byte for byte.
    wheel_dir = tmp_path / "wheel"
    wheel_dir.mkdir()
    try:
        pm._download_wheel(wheel_dir)
    except ModelNotAvailableError as exc:
        pytest.skip(f"wheel download unavailable: {exc}")
    wheel = next(wheel_dir.glob("mediapipe-*.whl"))
    out = pm.prepare_model(tmp_path / "cache", wheel=wheel)
    assert out.read_bytes() == built_model.read_bytes()
    first = out.stat().st_mtime_ns
    out2 = pm.prepare_model(tmp_path / "cache", wheel=wheel, force=True)
    assert out2 == out
    assert out2.stat().st_mtime_ns >= first
