"""Service settings, read from ``AVNMOTION_*`` environment variables."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

#: Where production jobs go; tests of the job machinery inject a double via ``analyze_target``.
DEFAULT_ANALYZE_TARGET = "avnmotion.pipeline:analyze"


class Settings(BaseSettings):
    """Configuration of one service instance.

    Every field can be set as ``AVNMOTION_<FIELD>`` (e.g. ``AVNMOTION_DATABASE_URL``).
    """

    model_config = SettingsConfigDict(env_prefix="AVNMOTION_", extra="ignore")

    data_dir: Path = Field(
        default=Path("data"),
        description="Uploads, tracks, annotated videos and the SQLite database.",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL, e.g. postgresql+psycopg://user@host/db; "
        "default: SQLite file <data_dir>/avnmotion.db.",
    )
    max_upload_mb: float = Field(default=500.0, gt=0, description="Largest accepted upload (MiB).")
    max_duration_s: float = Field(
        default=900.0, gt=0, description="Longest accepted clip or track (s); longer ones fail."
    )
    retain_raw_uploads: bool = Field(
        default=False,
        description="Keep uploaded videos/tracks after the result is committed (and keep "
        "annotated videos indefinitely). Off: raw uploads are deleted at commit and annotated "
        "videos after annotated_ttl_hours.",
    )
    annotated_ttl_hours: float = Field(
        default=24.0,
        ge=0,
        description="How long annotated videos stay when raw uploads are not kept.",
    )
    workers: int = Field(default=2, ge=1, le=64, description="Analysis worker processes.")
    job_lease_s: float = Field(
        default=60.0,
        gt=0,
        description="A running job whose lease is not renewed for this long is re-run.",
    )
    max_attempts: int = Field(
        default=3, ge=1, description="Give up on a job interrupted this often."
    )
    analyze_target: str = Field(
        default=DEFAULT_ANALYZE_TARGET, description="module:function run for each job (tests only)."
    )
    pose_model: str | None = Field(
        default=None, description="PoseLandmarker bundle for video jobs."
    )
    sqlite_busy_timeout_ms: int = Field(default=30_000, ge=0)
    run_migrations: bool = Field(default=True, description="Run `alembic upgrade head` at startup.")
    start_worker: bool = Field(default=True, description="Run analysis jobs in this process.")

    @property
    def db_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'avnmotion.db').resolve()}"

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 1024 * 1024)

    def storage_dir(self, kind: str) -> Path:
        """``uploads``, ``tracks`` or ``annotated`` under the data dir (created on demand)."""
        path = self.data_dir / kind
        path.mkdir(parents=True, exist_ok=True)
        return path
