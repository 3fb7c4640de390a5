"""Analysis jobs: a spawn-context process pool fed from the ``analyses`` table.

Only the API process touches the database. Worker processes get a job spec (paths and
parameters), run the analysis and return a plain dict; progress comes back through a
``multiprocessing`` queue that an asyncio task drains into the table.

Durability: a job is claimed by one atomic ``UPDATE ... WHERE status='queued'`` that
increments ``attempts`` and sets a lease (owner + expiry) which this process renews while the
job runs. A job whose owner died is queued again: at startup at once when the owner was an
earlier life of a server on this host, otherwise when its lease expires. After
``max_attempts`` interrupted runs the job fails instead of crashing the pool forever. The raw
upload is deleted only after the result is committed, so a re-run always has its input.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import importlib
import logging
import multiprocessing as mp
import os
import queue as queue_mod
import socket
import threading
import time
import traceback
import uuid
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from api import storage
from api.config import Settings
from api.db.models import Analysis, utcnow

log = logging.getLogger("avnmotion.api.worker")

INTERNAL_REASON = "internal error while analysing; the service log has details"
CRASH_REASON = "the analysis was interrupted {n} times (worker or server stopped); giving up"

# -- inside the worker processes -------------------------------------------------------------
_progress_queue: Any = None


def _init_worker(progress_queue: Any, parent_pid: int) -> None:
    global _progress_queue
    _progress_queue = progress_queue
    # If the server is SIGKILLed nobody shuts the pool down; exit rather than compute for no one.
    threading.Thread(target=_exit_with_parent, args=(parent_pid,), daemon=True).start()


def _exit_with_parent(parent_pid: int) -> None:
    while True:
        time.sleep(1.0)
        if os.getppid() != parent_pid:
            os._exit(0)


def _resolve(target: str) -> Any:
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)


def _scrub(message: str, spec: dict[str, Any]) -> str:
    """Replace server paths in a user-facing message by the client's file name."""
    shown = spec.get("display_name") or "upload"
    for path in (spec["input_path"], spec.get("track_out"), spec.get("annotate_path")):
        if path:
            message = message.replace(str(path), shown).replace(Path(path).name, shown)
    return message.replace(str(spec["data_dir"]), "")


def run_job(spec: dict[str, Any]) -> dict[str, Any]:
    """Run one analysis (in a worker process). Never raises: returns ok/reason dicts."""
    from avnmotion.errors import AvnInputError, ModelNotAvailableError
    from avnmotion.result import AnalysisResult

    job_id, attempt = spec["job_id"], spec["attempt"]
    last = [-1]

    def progress(frac: float) -> None:
        pct = int(max(0.0, min(1.0, float(frac))) * 100)
        if pct > last[0] and _progress_queue is not None:
            last[0] = pct
            with contextlib.suppress(Exception):  # progress is best effort
                _progress_queue.put_nowait((job_id, attempt, pct / 100))

    try:
        if spec["input_kind"] == "video":
            from avnmotion.pose.video import probe_video

            info = probe_video(spec["input_path"])
            if info.duration_s > spec["max_duration_s"]:
                raise AvnInputError(
                    f"video is {info.duration_s:.0f} s long; the limit is "
                    f"{spec['max_duration_s']:g} s"
                )
        analyze = _resolve(spec["target"])
        kwargs: dict[str, Any] = {
            "protocol": _protocol(spec["params"].get("protocol")),
            "height_m": spec["params"].get("height_m"),
            "affected_side": spec["params"].get("affected_side"),
            "working_side": spec["params"].get("working_side"),
            "track_out": spec["track_out"],
            "annotate_path": spec.get("annotate_path"),
            "progress": progress,
        }
        if spec.get("model_path"):
            kwargs["model_path"] = spec["model_path"]
        result = analyze(spec["input_path"], spec["task"], **kwargs)
        if not isinstance(result, AnalysisResult):
            result = AnalysisResult.model_validate(result)
        return {"ok": True, "result": result.model_dump(mode="json")}
    except AvnInputError as exc:
        return {"ok": False, "reason": _scrub(str(exc), spec)}
    except ModelNotAvailableError as exc:
        return {"ok": False, "internal": True, "reason": INTERNAL_REASON, "detail": str(exc)}
    except Exception:  # anything else is our bug or the environment's: log, generic reason
        return {
            "ok": False,
            "internal": True,
            "reason": INTERNAL_REASON,
            "detail": traceback.format_exc(),
        }


def _protocol(data: dict[str, Any] | None) -> Any:
    if not data:
        return None
    from avnmotion.protocol import PatientProtocol

    return PatientProtocol.model_validate(data)


# -- in the API process ------------------------------------------------------------------------
def _owner_alive(owner: str | None, me: str) -> bool:
    """Whether the server that holds a lease may still be running (conservative)."""
    if not owner:
        return False
    host, _, rest = owner.partition(":")
    pid_s, _, boot = rest.partition(":")
    my_host, my_pid, my_boot = me.split(":")
    if host != my_host:
        return True  # another machine: only its lease expiry tells
    if pid_s == my_pid:
        return boot == my_boot  # same pid, other boot id: an earlier life of this server
    try:
        os.kill(int(pid_s), 0)
    except ProcessLookupError:
        return False
    except (PermissionError, ValueError):
        return True
    return True


class JobRunner:
    """Claims queued jobs, runs them in the pool and commits their outcome."""

    def __init__(self, settings: Settings, sessions: sessionmaker[Session]) -> None:
        self.settings = settings
        self.sessions = sessions
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"
        self._ctx = mp.get_context("spawn")
        self._queue: Any = None
        self._pool: ProcessPoolExecutor | None = None
        self._running: dict[str, int] = {}  # job id -> attempt
        self._tasks: list[asyncio.Task[None]] = []
        self._job_tasks: set[asyncio.Task[None]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._stopping = False

    # lifecycle
    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        self._queue = self._ctx.Queue()
        self._pool = self._new_pool()
        await asyncio.to_thread(self.recover)
        self._tasks = [
            asyncio.create_task(self._dispatch_loop(), name="avnmotion-dispatch"),
            asyncio.create_task(self._progress_loop(), name="avnmotion-progress"),
            asyncio.create_task(self._maintenance_loop(), name="avnmotion-maintenance"),
        ]
        log.info("job runner %s started with %d workers", self.owner, self.settings.workers)

    async def stop(self) -> None:
        self._stopping = True
        tasks = [*self._tasks, *self._job_tasks]
        for task in tasks:
            task.cancel()
        if tasks:
            # Bounded: a stuck task must not block the server's shutdown.
            _, pending = await asyncio.wait(tasks, timeout=10)
            if pending:
                log.warning("%d job-runner tasks did not stop in time", len(pending))
        pool, self._pool = self._pool, None
        if pool is not None:
            procs = list((getattr(pool, "_processes", None) or {}).values())
            # Jobs in flight go back to the queue below; don't let workers finish them unseen.
            for proc in procs:
                with contextlib.suppress(Exception):
                    proc.terminate()
            try:  # join the pool so its queues and semaphores are released, within bounds
                await asyncio.wait_for(
                    asyncio.to_thread(pool.shutdown, wait=True, cancel_futures=True), timeout=10
                )
            except TimeoutError:
                log.warning("worker pool did not shut down in time")
        await asyncio.to_thread(self._release_own_jobs)
        queue, self._queue = self._queue, None
        if queue is not None:
            queue.close()
            queue.join_thread()

    def notify(self) -> None:
        """Wake the dispatcher (thread-safe; called after a job is queued)."""
        if self._loop is not None and self._wake is not None and not self._loop.is_closed():
            with contextlib.suppress(RuntimeError):
                self._loop.call_soon_threadsafe(self._wake.set)

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=self.settings.workers,
            mp_context=self._ctx,
            initializer=_init_worker,
            initargs=(self._queue, os.getpid()),
        )

    # recovery and leases
    def recover(self) -> None:
        """Re-queue jobs whose server died (see the module docstring)."""
        now = utcnow()
        with self.sessions() as db:
            jobs = db.scalars(select(Analysis).where(Analysis.status == "running")).all()
            for job in jobs:
                expired = job.lease_expires_at is None or job.lease_expires_at < now
                if job.lease_owner == self.owner:
                    continue
                if expired or not _owner_alive(job.lease_owner, self.owner):
                    self._requeue_or_fail(job, "server stopped during the analysis")
            db.commit()
        self._purge_files()

    def _requeue_or_fail(self, job: Analysis, why: str) -> None:
        if job.attempts >= self.settings.max_attempts:
            log.warning(
                "job %s: %s; attempt %d of %d, failing",
                job.id,
                why,
                job.attempts,
                self.settings.max_attempts,
            )
            job.status = "failed"
            job.error = CRASH_REASON.format(n=job.attempts)
            job.finished_at = utcnow()
        else:
            log.warning("job %s: %s; re-queued after attempt %d", job.id, why, job.attempts)
            job.status = "queued"
            job.progress = 0.0
        job.lease_owner = None
        job.lease_expires_at = None

    def _release_own_jobs(self) -> None:
        """On a clean stop, hand our jobs back without counting the attempt."""
        with self.sessions() as db:
            jobs = db.scalars(
                select(Analysis).where(
                    Analysis.status == "running", Analysis.lease_owner == self.owner
                )
            ).all()
            for job in jobs:
                job.status, job.progress = "queued", 0.0
                job.attempts = max(0, job.attempts - 1)
                job.lease_owner = job.lease_expires_at = None
            db.commit()

    def _heartbeat(self) -> None:
        if not self._running:
            return
        with self.sessions() as db:
            db.execute(
                update(Analysis)
                .where(
                    Analysis.id.in_(list(self._running)),
                    Analysis.status == "running",
                    Analysis.lease_owner == self.owner,
                )
                .values(lease_expires_at=self._lease_expiry())
            )
            db.commit()

    def _sweep_expired(self) -> None:
        now = utcnow()
        with self.sessions() as db:
            jobs = db.scalars(
                select(Analysis).where(
                    Analysis.status == "running",
                    Analysis.lease_expires_at < now,
                    Analysis.lease_owner != self.owner,
                )
            ).all()
            for job in jobs:
                self._requeue_or_fail(job, "lease expired")
            db.commit()

    def _purge_files(self) -> None:
        """Retention: raw uploads of finished jobs, and annotated videos past their expiry."""
        if self.settings.retain_raw_uploads:
            return
        now = utcnow()
        with self.sessions() as db:
            finished = db.scalars(
                select(Analysis).where(
                    Analysis.status.in_(("done", "failed")), Analysis.raw_path.is_not(None)
                )
            ).all()
            for job in finished:
                storage.delete(self.settings, job.raw_path)
                job.raw_path = None
            expired = db.scalars(
                select(Analysis).where(
                    Analysis.annotated_path.is_not(None), Analysis.annotated_expires_at < now
                )
            ).all()
            for job in expired:
                storage.delete(self.settings, job.annotated_path)
                job.annotated_path = None
            db.commit()

    def _lease_expiry(self) -> dt.datetime:
        return utcnow() + dt.timedelta(seconds=self.settings.job_lease_s)

    # claiming and running
    def _claim(self, n: int) -> list[dict[str, Any]]:
        specs: list[dict[str, Any]] = []
        with self.sessions() as db:
            ids = db.scalars(
                select(Analysis.id)
                .where(Analysis.status == "queued")
                .order_by(Analysis.created_at, Analysis.id)
                .limit(n)
            ).all()
            for job_id in ids:
                claimed = db.execute(
                    update(Analysis)
                    .where(Analysis.id == job_id, Analysis.status == "queued")
                    .values(
                        status="running",
                        attempts=Analysis.attempts + 1,
                        lease_owner=self.owner,
                        lease_expires_at=self._lease_expiry(),
                        started_at=utcnow(),
                        progress=0.0,
                    )
                )
                if claimed.rowcount != 1:  # type: ignore[attr-defined]
                    continue  # another server got it first
                job = db.get_one(Analysis, job_id, populate_existing=True)
                specs.append(self._spec(job))
            db.commit()
        return specs

    def _spec(self, job: Analysis) -> dict[str, Any]:
        s = self.settings
        if job.raw_path is None:
            raise RuntimeError(f"job {job.id} has no input file")
        return {
            "job_id": job.id,
            "attempt": job.attempts,
            "target": s.analyze_target,
            "input_path": str(storage.abspath(s, job.raw_path).resolve()),
            "input_kind": job.input_kind,
            "display_name": job.original_name,
            "data_dir": str(s.data_dir.resolve()),
            "task": job.task,
            "params": job.params,
            "track_out": str((s.storage_dir("tracks") / f"{job.id}.npz").resolve()),
            "annotate_path": (
                str((s.storage_dir("annotated") / f"{job.id}.mp4").resolve())
                if job.annotate
                else None
            ),
            "model_path": s.pose_model,
            "max_duration_s": s.max_duration_s,
        }

    async def _dispatch_loop(self) -> None:
        assert self._wake is not None
        while not self._stopping:
            try:
                free = self.settings.workers - len(self._running)
                if free > 0 and self._pool is not None:
                    for spec in await asyncio.to_thread(self._claim, free):
                        self._submit(spec)
            except asyncio.CancelledError:
                raise
            except Exception:  # a DB hiccup must not kill the dispatcher; retry next tick
                log.exception("dispatcher error")
            # Not asyncio.wait_for: on 3.11 it can swallow a cancel that races the wake-up.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(1.0):
                    await self._wake.wait()
            self._wake.clear()

    def _submit(self, spec: dict[str, Any]) -> None:
        assert self._pool is not None
        self._running[spec["job_id"]] = spec["attempt"]
        try:
            fut: Future[dict[str, Any]] = self._pool.submit(run_job, spec)
        except (BrokenProcessPool, RuntimeError):
            self._pool = self._new_pool()
            fut = self._pool.submit(run_job, spec)
        task = asyncio.create_task(self._await_job(spec, fut))
        self._job_tasks.add(task)  # keep a reference until done (asyncio holds weak ones)
        task.add_done_callback(self._job_tasks.discard)

    async def _await_job(self, spec: dict[str, Any], fut: Future[dict[str, Any]]) -> None:
        job_id = spec["job_id"]
        try:
            try:
                outcome = await asyncio.wrap_future(fut)
            except BrokenProcessPool:
                if self._stopping:
                    return
                log.error("worker process died while running job %s", job_id)
                self._replace_broken_pool()
                await asyncio.to_thread(self._crashed, spec)
                return
            except Exception:  # e.g. an unpicklable argument: our bug, fail the job
                log.exception("job %s could not be run", job_id)
                outcome = {"ok": False, "internal": True, "reason": INTERNAL_REASON}
            await asyncio.to_thread(self._finish, spec, outcome)
        finally:
            self._running.pop(job_id, None)
            if self._wake is not None:
                self._wake.set()

    def _replace_broken_pool(self) -> None:
        pool = self._pool
        if pool is not None and getattr(pool, "_broken", False):
            pool.shutdown(wait=False, cancel_futures=True)
            self._pool = self._new_pool()

    def _owned(self, db: Session, spec: dict[str, Any]) -> Analysis | None:
        job = db.get(Analysis, spec["job_id"])
        if (
            job is None
            or job.status != "running"
            or job.lease_owner != self.owner
            or job.attempts != spec["attempt"]
        ):
            log.warning(
                "job %s attempt %s is no longer ours; result dropped",
                spec["job_id"],
                spec["attempt"],
            )
            return None
        return job

    def _crashed(self, spec: dict[str, Any]) -> None:
        with self.sessions() as db:
            job = self._owned(db, spec)
            if job is not None:
                self._requeue_or_fail(job, "worker process died")
                failed = job.status == "failed"
                db.commit()
                if failed:
                    self._cleanup_failed(db, job)
        if self._wake is not None and self._loop is not None:
            self.notify()

    def _finish(self, spec: dict[str, Any], outcome: dict[str, Any]) -> None:
        from avnmotion.result import AnalysisResult

        if outcome.get("internal"):
            log.error("job %s failed internally: %s", spec["job_id"], outcome.get("detail"))
        result_json: dict[str, Any] | None = None
        reason = outcome.get("reason")
        if outcome.get("ok"):
            try:
                result = AnalysisResult.model_validate(outcome["result"])
            except ValueError:
                log.exception("job %s returned an invalid result", spec["job_id"])
                reason = INTERNAL_REASON
            else:
                # Same result as the CLI for the same file: the name is the client's one.
                result.input.name = spec.get("display_name") or result.input.name
                if result.input.duration_s > spec["max_duration_s"]:
                    reason = (
                        f"input is {result.input.duration_s:.0f} s long; the limit is "
                        f"{spec['max_duration_s']:g} s"
                    )
                else:
                    result_json = result.model_dump(mode="json")
        with self.sessions() as db:
            job = self._owned(db, spec)
            if job is None:
                return
            now = utcnow()
            job.finished_at, job.lease_owner, job.lease_expires_at = now, None, None
            if result_json is not None:
                job.status, job.progress, job.result, job.error = "done", 1.0, result_json, None
                track = Path(spec["track_out"])
                job.track_path = f"tracks/{track.name}" if track.exists() else None
                ann = spec.get("annotate_path")
                if ann and Path(ann).exists():
                    job.annotated_path = f"annotated/{Path(ann).name}"
                    if not self.settings.retain_raw_uploads:
                        job.annotated_expires_at = now + dt.timedelta(
                            hours=self.settings.annotated_ttl_hours
                        )
            else:
                job.status, job.error = "failed", reason or INTERNAL_REASON
            db.commit()
            # Only now that the outcome is committed may the input go (privacy, re-runs).
            if job.status == "failed":
                self._cleanup_failed(db, job)
            elif not self.settings.retain_raw_uploads and job.raw_path:
                storage.delete(self.settings, job.raw_path)
                job.raw_path = None
                db.commit()

    def _cleanup_failed(self, db: Session, job: Analysis) -> None:
        for name in (f"tracks/{job.id}.npz", f"annotated/{job.id}.mp4"):
            storage.delete(self.settings, name)
        job.track_path = job.annotated_path = None
        if not self.settings.retain_raw_uploads:
            storage.delete(self.settings, job.raw_path)
            job.raw_path = None
        db.commit()

    # progress and maintenance
    async def _progress_loop(self) -> None:
        while not self._stopping:
            await asyncio.sleep(0.25)
            latest: dict[str, tuple[int, float]] = {}
            while True:
                try:
                    job_id, attempt, frac = self._queue.get_nowait()
                except queue_mod.Empty:
                    break
                except (OSError, ValueError, EOFError):  # queue closed during shutdown
                    return
                latest[job_id] = (attempt, frac)
            if latest:
                try:
                    await asyncio.to_thread(self._write_progress, latest)
                except asyncio.CancelledError:
                    raise
                except Exception:  # progress is cosmetic; never let it stop the loop
                    log.exception("could not store progress")

    def _write_progress(self, latest: dict[str, tuple[int, float]]) -> None:
        with self.sessions() as db:
            for job_id, (attempt, frac) in latest.items():
                db.execute(
                    update(Analysis)
                    .where(
                        Analysis.id == job_id,
                        Analysis.status == "running",
                        Analysis.lease_owner == self.owner,
                        Analysis.attempts == attempt,
                        Analysis.progress < frac,
                    )
                    .values(progress=frac)
                )
            db.commit()

    async def _maintenance_loop(self) -> None:
        interval = max(0.2, min(self.settings.job_lease_s / 3, 10.0))
        while not self._stopping:
            await asyncio.sleep(interval)
            try:
                await asyncio.to_thread(self._heartbeat)
                await asyncio.to_thread(self._sweep_expired)
                await asyncio.to_thread(self._purge_files)
            except asyncio.CancelledError:
                raise
            except Exception:  # transient DB errors: try again next round
                log.exception("maintenance error")
            self.notify()
