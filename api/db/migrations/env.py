"""Alembic environment: online migrations with the service's engine (or the configured URL)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool

from api.db.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_offline() -> None:
    from api.config import Settings

    context.configure(
        url=config.get_main_option("sqlalchemy.url") or Settings().db_url,
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = config.attributes.get("engine")
    if engine is None:
        # Command-line alembic: the same database (and SQLite setup) the service would use.
        from api.config import Settings
        from api.db.session import make_engine

        url = config.get_main_option("sqlalchemy.url")
        engine = create_engine(url, poolclass=pool.NullPool) if url else make_engine(Settings())
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            # SQLite cannot ALTER most things; batch mode rebuilds tables instead.
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
