"""Uploaded and generated files: type checks and server-generated names.

Client file names never appear in a path: every file is ``<kind>/<uuid><ext>`` under the data
dir, and the database stores that relative path.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from api.config import Settings

CHUNK = 1024 * 1024
MP4_BOXES = {b"ftyp", b"moov", b"mdat", b"free", b"wide", b"skip", b"pnot"}


def _iso_bmff(head: bytes) -> bool:
    return head[4:8] in MP4_BOXES


def _avi(head: bytes) -> bool:
    return head[:4] == b"RIFF" and head[8:12] == b"AVI "


def _ebml(head: bytes) -> bool:
    return head[:4] == b"\x1a\x45\xdf\xa3"


def _zip(head: bytes) -> bool:
    return head[:4] in (b"PK\x03\x04", b"PK\x05\x06")


def _trc(head: bytes) -> bool:
    return head.removeprefix(b"\xef\xbb\xbf").startswith(b"PathFileType")


#: extension -> (input kind, magic check, description for error messages)
ACCEPTED: dict[str, tuple[str, Callable[[bytes], bool], str]] = {
    ".mp4": ("video", _iso_bmff, "MP4"),
    ".m4v": ("video", _iso_bmff, "MP4"),
    ".mov": ("video", _iso_bmff, "QuickTime"),
    ".avi": ("video", _avi, "AVI"),
    ".webm": ("video", _ebml, "WebM"),
    ".mkv": ("video", _ebml, "Matroska"),
    ".npz": ("track_npz", _zip, "NumPy .npz"),
    ".trc": ("track_trc", _trc, "TRC (OpenSim)"),
}


class UnsupportedFile(ValueError):
    """Extension not accepted, or content does not match it (HTTP 415)."""


class FileTooLarge(ValueError):
    """Upload exceeds ``max_upload_mb`` (HTTP 413)."""


def classify(filename: str | None, head: bytes) -> tuple[str, str]:
    """(extension, input kind) of an upload, checked by extension and magic bytes."""
    ext = Path(filename or "").suffix.lower()
    if ext not in ACCEPTED:
        raise UnsupportedFile(
            f"unsupported file type {ext or '(no extension)'}; accepted: "
            f"{', '.join(sorted(ACCEPTED))}"
        )
    kind, check, desc = ACCEPTED[ext]
    if not check(head):
        raise UnsupportedFile(f"file content is not {desc} although the name ends in {ext}")
    return ext, kind


def safe_display_name(filename: str | None) -> str | None:
    """The client's base name, for display only (never used to build a path)."""
    if not filename:
        return None
    name = filename.replace("\\", "/").rsplit("/", 1)[-1].strip()
    name = "".join(ch for ch in name if ch.isprintable())
    return name[:255] or None


def new_relpath(kind: str, ext: str) -> str:
    return f"{kind}/{uuid.uuid4().hex}{ext}"


def abspath(settings: Settings, relpath: str) -> Path:
    return settings.data_dir / relpath


def save_stream(settings: Settings, src: BinaryIO, ext: str) -> tuple[str, int]:
    """Copy an upload to ``uploads/<uuid><ext>``; returns (relative path, size)."""
    settings.storage_dir("uploads")
    rel = new_relpath("uploads", ext)
    dest = abspath(settings, rel)
    tmp = dest.with_name(dest.name + ".part")
    size = 0
    try:
        with tmp.open("wb") as out:
            while chunk := src.read(CHUNK):
                size += len(chunk)
                if size > settings.max_upload_bytes:
                    raise FileTooLarge(
                        f"upload exceeds the limit of {settings.max_upload_mb:g} MiB"
                    )
                out.write(chunk)
        tmp.replace(dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return rel, size


def delete(settings: Settings, relpath: str | None) -> None:
    if relpath:
        with contextlib.suppress(FileNotFoundError):
            abspath(settings, relpath).unlink()
