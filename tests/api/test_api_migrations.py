"""The Alembic revisions build exactly the ORM schema on both databases, and run at startup."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from api.config import Settings
from api.db.migrate import alembic_config, current_revision, upgrade
from api.db.models import Base
from api.db.session import make_engine

from .conftest import running_app


def test_models_match_migrations(settings: Settings) -> None:
    engine = make_engine(settings)
    try:
        upgrade(engine)
        with engine.connect() as conn:
            diff = compare_metadata(
                MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata
            )
        assert diff == []
        head = ScriptDirectory.from_config(alembic_config()).get_current_head()
        assert current_revision(engine) == head
        upgrade(engine)  # idempotent
        from alembic import command

        command.downgrade(alembic_config(engine), "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    finally:
        engine.dispose()


def test_startup_runs_migrations(settings: Settings) -> None:
    with running_app(settings) as client:
        assert client.get("/health").status_code == 200
        engine = client.app.state.engine
        assert {"patients", "analyses", "visits", "pain_scores"} <= set(
            inspect(engine).get_table_names()
        )


def test_sqlite_pragmas(tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = Settings(data_dir=tmp_path, database_url=None)
    engine = make_engine(settings)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()
    assert (tmp_path / "avnmotion.db").exists()
