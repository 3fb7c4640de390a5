"""Durability of the job machinery: leases, recovery after a crash, clean shutdown."""

from __future__ import annotations

import datetime as dt
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable

from api.config import Settings
from api.db.models import Analysis, utcnow
from api.worker import CRASH_REASON, _owner_alive

from .conftest import auth, npz_bytes, running_app, seed, upload, wait_done


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _queue_one(settings: Settings, **behaviour: object) -> tuple[str, str]:
    """Seed and upload with no worker running; returns (clinician token, analysis id)."""
    quiet = settings.model_copy(update={"start_worker": False})
    with running_app(quiet) as client:
        world = seed(client, quiet)
        r = upload(client, world.clin_a, world.p1, npz_bytes(**behaviour))
        assert r.status_code == 202
        return world.clin_a, r.json()["id"]


def _set(settings: Settings, analysis_id: str, **values: object) -> None:
    from api.db.session import make_engine, make_sessionmaker

    engine = make_engine(settings)
    with make_sessionmaker(engine)() as db:
        job = db.get_one(Analysis, analysis_id)
        for k, v in values.items():
            setattr(job, k, v)
        db.commit()
    engine.dispose()


def _crashed_running(
    settings: Settings, aid: str, owner: str, attempts: int = 1, lease_s: float = 3600
) -> None:
    _set(
        settings,
        aid,
        status="running",
        attempts=attempts,
        lease_owner=owner,
        lease_expires_at=utcnow() + dt.timedelta(seconds=lease_s),
        progress=0.4,
    )


def test_restart_requeues_job_of_dead_server_at_once(settings: Settings) -> None:
    token, aid = _queue_one(settings)
    # A server on this host that is gone, holding a lease that has not expired yet.
    _crashed_running(settings, aid, f"{socket.gethostname()}:{_dead_pid()}:deadbeef")
    assert any((settings.data_dir / "uploads").iterdir())  # input kept until the commit
    with running_app(settings) as client:
        body = wait_done(client, token, aid, timeout=30)
    assert body["status"] == "done" and body["attempts"] == 2


def test_earlier_life_of_same_pid_is_dead(settings: Settings) -> None:
    token, aid = _queue_one(settings)
    _crashed_running(settings, aid, f"{socket.gethostname()}:{os.getpid()}:earlierboot")
    with running_app(settings) as client:
        assert wait_done(client, token, aid, timeout=30)["status"] == "done"


def test_other_host_lease_is_respected_until_it_expires(
    make_settings: Callable[..., Settings],
) -> None:
    settings = make_settings(job_lease_s=0.6)
    token, aid = _queue_one(settings)
    leased_at = time.monotonic()
    _crashed_running(settings, aid, "otherhost:1:cafe", lease_s=4.0)
    with running_app(settings) as client:
        time.sleep(0.8)
        r = client.get(f"/v1/analyses/{aid}", headers=auth(token)).json()
        # A slow start-up must not eat the lease, or the check below proves nothing.
        assert time.monotonic() - leased_at < 4.0
        assert r["status"] == "running" and r["attempts"] == 1  # not stolen while leased
        body = wait_done(client, token, aid, timeout=30)
    assert body["status"] == "done" and body["attempts"] == 2


def test_job_interrupted_too_often_fails(settings: Settings) -> None:
    token, aid = _queue_one(settings)
    _crashed_running(
        settings, aid, f"{socket.gethostname()}:{_dead_pid()}:x", attempts=settings.max_attempts
    )
    with running_app(settings) as client:
        body = wait_done(client, token, aid, timeout=30)
    assert body["status"] == "failed"
    assert body["error"] == CRASH_REASON.format(n=settings.max_attempts)
    assert not any((settings.data_dir / "uploads").iterdir())


def test_clean_shutdown_hands_job_back_without_counting(settings: Settings) -> None:
    token, aid = _queue_one(settings, sleep_s=30)
    with running_app(settings) as client:
        deadline = time.monotonic() + 30
        while client.get(f"/v1/analyses/{aid}", headers=auth(token)).json()["status"] != "running":
            assert time.monotonic() < deadline
            time.sleep(0.05)
    quiet = settings.model_copy(update={"start_worker": False})
    with running_app(quiet) as client:
        body = client.get(f"/v1/analyses/{aid}", headers=auth(token)).json()
    assert body["status"] == "queued" and body["attempts"] == 0


def test_progress_is_reported(settings: Settings) -> None:
    token, aid = _queue_one(settings, sleep_s=3)
    seen: set[float] = set()
    with running_app(settings) as client:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            body = client.get(f"/v1/analyses/{aid}", headers=auth(token)).json()
            seen.add(body["progress_pct"])
            if body["status"] == "done":
                break
            time.sleep(0.1)
    assert body["status"] == "done"
    assert any(0 < p < 100 for p in seen), seen


def test_owner_alive() -> None:
    me = f"{socket.gethostname()}:{os.getpid()}:boot1"
    assert _owner_alive(me, me)
    assert not _owner_alive(f"{socket.gethostname()}:{os.getpid()}:boot0", me)
    assert not _owner_alive(f"{socket.gethostname()}:{_dead_pid()}:b", me)
    assert _owner_alive("elsewhere:1:b", me)
    assert not _owner_alive(None, me)
