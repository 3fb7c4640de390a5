"""Shared helpers for the benchmarks: sample clips, timing, peak RSS of a child process."""

from __future__ import annotations

import contextlib
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_videos"
RESULTS = ROOT / "benchmarks" / "results"
MOCAP = ROOT.parent / "shared" / "data" / "mocap"


def sample_clips() -> list[tuple[Path, dict[str, Any]]]:
    """Committed sample clips with their answer keys, sorted by name."""
    out = []
    for key_path in sorted(SAMPLES.glob("*.json")):
        video = key_path.with_suffix(".mp4")
        if video.exists():
            out.append((video, json.loads(key_path.read_text())))
    return out


def pick_clip(
    task: str | None = None, view: str | None = None
) -> tuple[Path, dict[str, Any]] | None:
    """The shortest sample clip matching task/view (None when the sample set is absent)."""
    clips = [
        (v, k)
        for v, k in sample_clips()
        if (task is None or k.get("task") == task) and (view is None or k.get("view") == view)
    ]
    return min(clips, key=lambda c: c[1].get("n_frames", 1e9)) if clips else None


def machine() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gib = None
    with contextlib.suppress(ValueError, OSError):
        mem_gib = round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": mem_gib,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def run_child(code: str, *args: str, timeout_s: float = 1800) -> dict[str, Any]:
    """Run Python code in a child process; returns its JSON stdout plus wall time and peak RSS.

    Peak RSS comes from ``getrusage(RUSAGE_CHILDREN)`` of a wrapper process that runs only
    that one child, so earlier children do not leak into the figure.
    """
    wrapper = (
        "import json, resource, subprocess, sys, time\n"
        "t0 = time.perf_counter()\n"
        "p = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
        "wall = time.perf_counter() - t0\n"
        "ru = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
        "print(json.dumps({'rc': p.returncode, 'stdout': p.stdout, 'stderr': p.stderr[-2000:],"
        " 'wall_s': wall, 'peak_rss_mb': ru.ru_maxrss / 1024}))\n"
    )
    cmd = [sys.executable, "-c", wrapper, sys.executable, "-c", code, *args]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s, cwd=ROOT)
    info = json.loads(out.stdout)
    if info["rc"] != 0:
        raise RuntimeError(f"benchmark child failed: {info['stderr']}")
    try:
        info["result"] = json.loads(info["stdout"].strip().splitlines()[-1])
    except (json.JSONDecodeError, IndexError):
        info["result"] = None
    return info


class Timer:
    def __enter__(self) -> Timer:
        self.t0 = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.s = time.perf_counter() - self.t0
