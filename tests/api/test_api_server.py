"""The real server process: 20 concurrent uploads, and SIGKILL mid-job then restart.

Both run on SQLite and PostgreSQL. The uploads go through the real pipeline (small synthetic
track, task ``rom``); the kill test slows jobs with the test double so that "mid-job" is
certain, since it tests the job machinery.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.cli import create_user
from api.config import Settings

from .conftest import FAKE_TARGET, auth, npz_bytes
from .servers import Server
from .tracks import track_bytes, walking_track

pytestmark = pytest.mark.slow


def _seed(db_url: str, data_dir: Path, url: str) -> tuple[str, str]:
    settings = Settings(database_url=db_url, data_dir=data_dir)
    _, token = create_user(settings, name="Dr A", role="clinician", clinic="Clinic A")
    r = httpx.post(f"{url}/v1/patients", json={"name": "P"}, headers=auth(token))
    assert r.status_code == 201, r.text
    return token, r.json()["id"]


def _post(url: str, token: str, pid: str, content: bytes, task: str = "rom") -> httpx.Response:
    return httpx.post(
        f"{url}/v1/analyses",
        headers=auth(token),
        timeout=60,
        data={"task": task, "patient_id": pid},
        files={"file": ("t.npz", content)},
    )


def _wait_all(url: str, token: str, ids: list[str], timeout: float) -> dict[str, dict[str, Any]]:
    deadline = time.monotonic() + timeout
    final: dict[str, dict[str, Any]] = {}
    with httpx.Client(base_url=url, headers=auth(token), timeout=30) as c:
        while len(final) < len(ids):
            for aid in ids:
                if aid not in final:
                    body = c.get(f"/v1/analyses/{aid}").json()
                    if body["status"] in ("done", "failed"):
                        final[aid] = body
            if time.monotonic() > deadline:
                raise AssertionError(f"only {len(final)}/{len(ids)} finished")
            time.sleep(0.2)
    return final


def test_twenty_concurrent_uploads(db_url: str, tmp_path: Path) -> None:
    pytest.importorskip("avnmotion.pipeline")
    data_dir = tmp_path / "data"
    with Server(db_url, data_dir) as server:
        token, pid = _seed(db_url, data_dir, server.url)
        tracks = [track_bytes(walking_track(n=60 + i), tmp_path) for i in range(20)]
        with ThreadPoolExecutor(20) as pool:
            responses = list(pool.map(lambda c: _post(server.url, token, pid, c), tracks))
        assert [r.status_code for r in responses] == [202] * 20, [r.text for r in responses]
        ids = [r.json()["id"] for r in responses]
        assert len(set(ids)) == 20
        final = _wait_all(server.url, token, ids, timeout=240)
        assert all(b["status"] == "done" for b in final.values()), server.log()[-3000:]
        # Nothing lost or mixed up: each result is the track that was uploaded with it.
        assert sorted(final[i]["result"]["input"]["frames"] for i in ids) == list(range(60, 80))
        listed = httpx.get(f"{server.url}/v1/patients/{pid}/analyses", headers=auth(token)).json()
        assert {a["id"] for a in listed} == set(ids)
        assert not any((data_dir / "uploads").iterdir())  # raw inputs all deleted
        assert len(list((data_dir / "tracks").iterdir())) == 20


def test_sigkill_mid_job_then_restart_finishes(db_url: str, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    env = {"AVNMOTION_ANALYZE_TARGET": FAKE_TARGET}
    server = Server(db_url, data_dir, env=env).start()
    try:
        token, pid = _seed(db_url, data_dir, server.url)
        r = _post(server.url, token, pid, npz_bytes(sleep_s=6))
        assert r.status_code == 202
        aid = r.json()["id"]
        deadline = time.monotonic() + 60
        while True:
            body = httpx.get(f"{server.url}/v1/analyses/{aid}", headers=auth(token)).json()
            if body["status"] == "running" and body["progress_pct"] > 0:
                break
            assert time.monotonic() < deadline, body
            time.sleep(0.05)
        server.kill()
        assert any((data_dir / "uploads").iterdir())  # the input survives for the re-run
    finally:
        server.stop()
    with Server(db_url, data_dir, env=env, port=server.port) as again:
        final = _wait_all(again.url, token, [aid], timeout=120)[aid]
    assert final["status"] == "done", final
    assert final["attempts"] == 2
    assert not any((data_dir / "uploads").iterdir())
