"""Fixtures for the API tests: both databases, settings, a started app and seeded users.

PostgreSQL: a fresh database ``avnmotion_test_<random>`` is created per test session on
``AVNMOTION_TEST_PG`` (default ``postgresql://postgres@127.0.0.1:5432/postgres``) and dropped
at the end; PostgreSQL-parametrised tests skip with the reason when it is unreachable.
"""

from __future__ import annotations

import io
import os
import secrets
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

with warnings.catch_warnings():
    # Starlette's TestClient warns that it prefers httpx2; httpx is what the project pins.
    warnings.filterwarnings("ignore", message=".*httpx2", category=UserWarning)
    from fastapi.testclient import TestClient

from api.cli import create_user
from api.config import Settings
from api.main import create_app

from .fakes import fake_track

PG_ADMIN = os.environ.get("AVNMOTION_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
FAKE_TARGET = "tests.api.fakes:analyze"
BACKENDS = ["sqlite", "postgresql"]


@dataclass
class PgDatabase:
    url: str | None
    reason: str = ""


@pytest.fixture(scope="session")
def pg_database() -> Iterator[PgDatabase]:
    try:
        import psycopg
    except ImportError:
        yield PgDatabase(None, "psycopg not installed (pip install 'psycopg[binary]')")
        return
    try:
        admin = psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=3)
    except psycopg.Error as exc:
        yield PgDatabase(None, f"PostgreSQL unreachable at {PG_ADMIN}: {exc}".splitlines()[0])
        return
    name = f"avnmotion_test_{secrets.token_hex(4)}"
    admin.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    try:
        yield PgDatabase(f"{base}/{name}")
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def reset_pg(url: str) -> None:
    """Empty the session's own test database (never any other)."""
    from sqlalchemy import create_engine

    assert "/avnmotion_test_" in url
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP SCHEMA public CASCADE")
        conn.exec_driver_sql("CREATE SCHEMA public")
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path, pg_database: PgDatabase) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'avnmotion.db'}"
    if pg_database.url is None:
        pytest.skip(pg_database.reason)
    reset_pg(pg_database.url)
    return pg_database.url


@pytest.fixture
def make_settings(tmp_path: Path, db_url: str) -> Callable[..., Settings]:
    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "data_dir": tmp_path / "data",
            "database_url": db_url,
            "workers": 2,
            "job_lease_s": 5.0,
            "analyze_target": FAKE_TARGET,
        }
        values.update(overrides)
        return Settings(**values)

    return make


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    return make_settings()


@contextmanager
def running_app(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as client:
        yield client


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with running_app(settings) as c:
        yield c


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass
class World:
    """Two clinics; clinic A has patients P1 and P2 (with patient logins), B has Q1."""

    clin_a: str
    clin_b: str
    p1: str
    p2: str
    q1: str
    pat_p1: str
    pat_p2: str
    pat_q1: str
    visit_p1: str


def seed(client: TestClient, settings: Settings) -> World:
    _, clin_a = create_user(settings, name="Dr A", role="clinician", clinic="Clinic A")
    _, clin_b = create_user(settings, name="Dr B", role="clinician", clinic="Clinic B")

    def patient(token: str, name: str) -> tuple[str, str]:
        r = client.post(
            "/v1/patients",
            json={"name": name, "protocol": {"affected_side": "left"}},
            headers=auth(token),
        )
        assert r.status_code == 201, r.text
        pid = r.json()["id"]
        r = client.post(f"/v1/patients/{pid}/users", json={"name": name}, headers=auth(token))
        assert r.status_code == 201, r.text
        return pid, r.json()["token"]

    p1, pat_p1 = patient(clin_a, "P1")
    p2, pat_p2 = patient(clin_a, "P2")
    q1, pat_q1 = patient(clin_b, "Q1")
    r = client.post(f"/v1/patients/{p1}/visits", json={"date": "2026-01-05"}, headers=auth(clin_a))
    assert r.status_code == 201, r.text
    return World(clin_a, clin_b, p1, p2, q1, pat_p1, pat_p2, pat_q1, r.json()["id"])


@pytest.fixture
def world(client: TestClient, settings: Settings) -> World:
    return seed(client, settings)


def npz_bytes(**behaviour: Any) -> bytes:
    buf = io.BytesIO()
    path = Path(os.environ.get("TMPDIR", "/tmp")) / f"avnapi-{secrets.token_hex(6)}.npz"
    fake_track(**behaviour).save_npz(path)
    buf.write(path.read_bytes())
    path.unlink()
    return buf.getvalue()


def upload(
    client: TestClient,
    token: str,
    patient_id: str,
    content: bytes,
    *,
    filename: str = "clip.npz",
    task: str = "rom",
    **form: Any,
) -> Any:
    data = {"task": task, "patient_id": patient_id}
    data.update({k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in form.items()})
    return client.post(
        "/v1/analyses", data=data, files={"file": (filename, content)}, headers=auth(token)
    )


def wait_done(client: Any, token: str, analysis_id: str, timeout: float = 60.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        r = client.get(f"/v1/analyses/{analysis_id}", headers=auth(token))
        assert r.status_code == 200, r.text
        body = r.json()
        if body["status"] in ("done", "failed"):
            return body
        if time.monotonic() > deadline:
            raise AssertionError(f"analysis {analysis_id} still {body['status']}: {body}")
        time.sleep(0.1)


@pytest.fixture(scope="session")
def tiny_mp4(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A 10-frame blank MP4 (decodable, so it passes the duration probe)."""
    cv2 = pytest.importorskip("cv2")
    import numpy as np

    path = tmp_path_factory.mktemp("video") / "tiny.mp4"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 10.0, (64, 48))
    for _ in range(10):
        writer.write(np.zeros((48, 64, 3), dtype=np.uint8))
    writer.release()
    data = path.read_bytes()
    if len(data) < 100:
        pytest.skip("OpenCV could not write an MP4 here")
    return data
