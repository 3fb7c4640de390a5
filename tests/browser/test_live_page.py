"""The live page in a real browser: fake camera -> WebSocket -> the count on screen.

Headless Chromium (Debian's ``chromium``; pip ``playwright`` pointed at it, no browser
download) gets a fake camera that plays an MJPEG file made at test time from a sample clip,
with still frames added where needed so there are at least 2 s of stillness at each end (the
clip: the shortest one whose offline analysis counts the reps right). The real service runs
as a uvicorn subprocess on a free localhost port with a temporary SQLite database; a patient
token is created through the API. The page must show the clip's true rep count at the end of
the file's first pass (the fake camera loops the file).

Skips with the reason when Chromium, playwright or a suitable clip is missing.
Environment: ``AVNMOTION_CHROMIUM`` (browser binary, default ``/usr/bin/chromium``),
``AVNMOTION_LIVE_SCREENSHOT`` (also save a screenshot of the page there),
``AVNMOTION_LIVE_CLIP`` (use this sample clip), ``AVNMOTION_SAMPLES`` (another clip folder).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
#: Sample clips with answer keys (``AVNMOTION_SAMPLES`` points elsewhere, e.g. for new clips).
SAMPLES = Path(os.environ.get("AVNMOTION_SAMPLES", ROOT / "sample_videos"))
CHROMIUM = os.environ.get("AVNMOTION_CHROMIUM", "/usr/bin/chromium")
#: Chromium plays MJPEG files at a fixed 30 frames per second.
MJPEG_FPS = 30
STILL_S = 2.0
MAX_CLIP_S = 45.0

pytestmark = pytest.mark.slow


def make_app() -> Any:
    """App factory for the uvicorn subprocess."""
    from api.main import create_app

    return create_app()


@dataclass
class Clip:
    video: Path
    key: dict[str, Any]
    truth: int
    duration_s: float
    pad_start_s: float
    pad_end_s: float

    @property
    def played_s(self) -> float:
        """Length of the fake camera's file (the clip plus the still frames added)."""
        return self.duration_s + self.pad_start_s + self.pad_end_s


def _candidates() -> list[Clip]:
    """Counted-exercise clips with answer keys, shortest first.

    Clips whose first rep starts (or last rep ends) within 2 s of the clip's edge get still
    frames (the first / last frame repeated) so that there are 2 s of stillness at each end:
    the fake camera loops the file, and the count is read at the end of the first pass.
    """
    from avnmotion.live import live_exercises

    counted = {e["id"] for e in live_exercises() if e["kind"] == "rep"}
    out = []
    for video in sorted(SAMPLES.glob("*.mp4")):
        key_path = video.with_suffix(".json")
        if not key_path.exists():
            continue
        key = json.loads(key_path.read_text())
        ex = key.get("exercise") or {}
        duration = float(key.get("duration_s") or 0.0)
        reps = [r for r in ex.get("reps") or [] if r.get("start_s") is not None]
        if key.get("task") not in counted or not ex.get("rep_count") or not reps:
            continue
        if not 0 < duration <= MAX_CLIP_S:
            continue
        first = min(r["start_s"] for r in reps)
        last = max(r["end_s"] for r in reps)
        pad_start = max(0.0, STILL_S - first)
        pad_end = max(0.0, STILL_S - (duration - last))
        pad_start, pad_end = (round(p + 0.5, 1) if p else 0.0 for p in (pad_start, pad_end))
        out.append(Clip(video, key, int(ex["rep_count"]), duration, pad_start, pad_end))
    return sorted(out, key=lambda c: c.played_s)


def _pick_clip() -> Clip | None:
    """The shortest clip whose offline analysis gets the true count.

    This test is about the live transport and the page, so it uses a clip the counting itself
    gets right (the offline analysis of the clip's cached track; ``tests/tracks.py``).
    ``AVNMOTION_LIVE_CLIP`` (a clip name) overrides the choice.
    """
    from avnmotion.pipeline import analyze_track
    from tests.tracks import cached_track

    wanted = os.environ.get("AVNMOTION_LIVE_CLIP")
    for clip in _candidates():
        if wanted:
            if clip.video.name == wanted:
                return clip
            continue
        result = analyze_track(cached_track(clip.video), clip.key["task"])
        if result.exercise is not None and result.exercise.rep_count == clip.truth:
            return clip
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _mjpeg(clip: Clip, out: Path) -> Path:
    """The clip as MJPEG at 30 frames/s, 640 wide, with the still frames added."""
    import imageio_ffmpeg

    filters = [f"fps={MJPEG_FPS}", "scale=640:-2"]
    if clip.pad_start_s or clip.pad_end_s:
        filters.append(
            f"tpad=start_mode=clone:start_duration={clip.pad_start_s}"
            f":stop_mode=clone:stop_duration={clip.pad_end_s}"
        )
    cmd = [
        imageio_ffmpeg.get_ffmpeg_exe(),
        "-v",
        "error",
        "-y",
        "-i",
        str(clip.video),
        "-vf",
        ",".join(filters),
        "-q:v",
        "4",
        "-f",
        "mjpeg",
        str(out),
    ]
    subprocess.run(cmd, check=True, timeout=120)
    return out


@pytest.fixture(scope="module")
def chromium() -> str:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    pytest.importorskip("playwright.sync_api", reason="pip install playwright")
    return CHROMIUM


@contextlib.contextmanager
def _serve(data: Path, tls: tuple[Path, Path] | None = None) -> Iterator[dict[str, Any]]:
    """The real app in a uvicorn subprocess on a free port, with a patient token."""
    pytest.importorskip("uvicorn")
    pytest.importorskip("websockets", reason="uvicorn needs websockets for WebSocket routes")
    import httpx

    from api.cli import create_user
    from api.config import Settings

    env = dict(os.environ)
    env.update(
        {
            "AVNMOTION_DATA_DIR": str(data),
            "AVNMOTION_START_WORKER": "false",
            "PYTHONPATH": str(ROOT),
        }
    )
    env.pop("AVNMOTION_DATABASE_URL", None)
    _, clinician = create_user(
        Settings(data_dir=data, database_url=None),
        name="Dr Browser",
        role="clinician",
        clinic="Browser clinic",
    )
    port = _free_port()
    cmd = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "tests.browser.test_live_page:make_app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
    ]
    if tls is not None:
        cmd += ["--ssl-certfile", str(tls[0]), "--ssl-keyfile", str(tls[1])]
    log = (data / "server.log").open("w")
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"{'https' if tls else 'http'}://127.0.0.1:{port}"
    try:
        with httpx.Client(verify=False, timeout=5) as http:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if http.get(f"{base}/v1/live/exercises").status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("server did not start: " + (data / "server.log").read_text())
                time.sleep(0.3)
            h = {"Authorization": f"Bearer {clinician}"}
            r = http.post(f"{base}/v1/patients", json={"name": "Browser patient"}, headers=h)
            assert r.status_code == 201, r.text
            pid = r.json()["id"]
            r = http.post(f"{base}/v1/patients/{pid}/users", json={"name": "BP"}, headers=h)
            assert r.status_code == 201, r.text
            token = r.json()["token"]
        yield {"base": base, "token": token, "clinician": clinician, "data": data}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    with _serve(tmp_path_factory.mktemp("live-server")) as srv:
        yield srv


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl not found (needed to make a self-signed test certificate)")
    data = tmp_path_factory.mktemp("live-tls")
    cert, key = data / "cert.pem", data / "key.pem"
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    with _serve(data, (cert, key)) as srv:
        yield srv


def _launch(playwright: Any, chromium: str, mjpeg: Path | None) -> Any:
    args = [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        "--autoplay-policy=no-user-gesture-required",
    ]
    if mjpeg is not None:
        args.append(f"--use-file-for-fake-video-capture={mjpeg}")
    return playwright.chromium.launch(executable_path=chromium, headless=True, args=args)


def test_live_page_counts_the_clip_reps(
    chromium: str, server: dict[str, Any], tmp_path: Path
) -> None:
    from playwright.sync_api import sync_playwright

    clip = _pick_clip()
    if clip is None:
        pytest.skip(
            f"no counted-exercise clip (<= {MAX_CLIP_S:g} s, answer key, counted right "
            f"offline) in {SAMPLES} (make samples)"
        )
    key, truth, duration = clip.key, clip.truth, clip.played_s
    mjpeg = _mjpeg(clip, tmp_path / f"{clip.video.stem}.mjpeg")

    with sync_playwright() as p:
        browser = _launch(p, chromium, mjpeg)
        try:
            # The page's CSP forbids eval; Playwright's wait_for_function needs it.
            page = browser.new_page(viewport={"width": 1100, "height": 900}, bypass_csp=True)
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(f"{server['base']}/live")
            page.fill("#token", server["token"])
            page.press("#token", "Tab")  # change event: checks the token
            page.wait_for_function(
                "document.querySelectorAll('#exercise option').length > 1", timeout=15_000
            )
            page.select_option("#exercise", key["task"])
            page.wait_for_function(
                "document.getElementById('status').textContent.startsWith('Ready')",
                timeout=15_000,
            )
            t_start = time.monotonic()
            page.click("#start")  # opens the fake camera: the file starts playing now
            page.wait_for_function(
                "document.getElementById('status').textContent.startsWith('Counting')",
                timeout=30_000,
            )
            # Read the count over the first pass; the second pass cannot complete a rep
            # before its own leading stillness is over.
            counts: list[tuple[float, int]] = []
            shot = None
            while (elapsed := time.monotonic() - t_start) < duration + 1.0:
                text = page.inner_text("#rep-count").strip()
                counts.append((round(elapsed, 2), int(text or 0)))
                if shot is None and elapsed > duration / 2:
                    shot = tmp_path / "live_page.png"
                    page.screenshot(path=str(shot))
                time.sleep(0.2)
            final = counts[-1][1]
            fps = page.inner_text("#fps")
            page.click("#stop")
            try:
                page.wait_for_function(
                    "!document.body.classList.contains('running')", timeout=60_000
                )
            finally:
                status = page.inner_text("#status")
            out = os.environ.get("AVNMOTION_LIVE_SCREENSHOT")
            if out and shot is not None:
                shutil.copy(shot, out)
            assert not errors, errors
        finally:
            browser.close()
    assert final == truth, (
        f"{clip.video.name}: page showed {final}, truth {truth}; counts {counts}; fps {fps}"
    )
    # Counting is monotonic within the pass, and the session was saved.
    values = [c for _, c in counts]
    assert values == sorted(values)
    assert "Saved" in status


def test_live_page_without_a_token_explains_what_to_do(
    chromium: str, server: dict[str, Any]
) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = _launch(p, chromium, None)
        try:
            page = browser.new_page(viewport={"width": 390, "height": 844}, bypass_csp=True)
            page.goto(f"{server['base']}/live")
            page.wait_for_function("document.querySelectorAll('#exercise option').length > 1")
            page.click("#start")
            assert "access code" in page.inner_text("#status").lower()
            page.fill("#token", "avn_not-a-token")
            page.press("#token", "Tab")
            page.wait_for_function(
                "document.getElementById('status').textContent.includes('not accepted')"
            )
            # Labels for every control; the count is announced politely.
            for control in ("token", "exercise", "side"):
                assert page.locator(f"label[for={control}]").count() == 1
            assert page.get_attribute("#rep-count", "class") == "value"
            live = page.locator(".readout.count")
            assert live.get_attribute("aria-live") == "polite"
            # Nothing wider than the phone screen.
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 390
        finally:
            browser.close()


def test_live_page_over_https_streams_over_wss(chromium: str, tls_server: dict[str, Any]) -> None:
    """Served with TLS (as ``avnmotion serve --tls-cert --tls-key``), the page uses wss://."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = _launch(p, chromium, None)  # Chromium's own fake camera pattern
        try:
            context = browser.new_context(ignore_https_errors=True, bypass_csp=True)
            page = context.new_page()
            sockets: list[str] = []
            page.on("websocket", lambda ws: sockets.append(ws.url))
            page.goto(f"{tls_server['base']}/live")
            assert page.evaluate("window.isSecureContext")
            page.fill("#token", tls_server["token"])
            page.press("#token", "Tab")
            page.wait_for_function(
                "document.getElementById('status').textContent.startsWith('Ready')",
                timeout=15_000,
            )
            page.select_option("#exercise", "squat")
            page.click("#start")
            page.wait_for_function(
                "document.getElementById('status').textContent.startsWith('Counting')",
                timeout=30_000,
            )
            page.wait_for_function(
                "document.getElementById('fps').textContent !== '-'", timeout=30_000
            )
            page.click("#stop")
            # No person on the test pattern: the session ends with nothing to save.
            page.wait_for_function("!document.body.classList.contains('running')", timeout=60_000)
            assert "nothing was saved" in page.inner_text("#status").lower()
        finally:
            browser.close()
    assert sockets and all(u.startswith("wss://127.0.0.1:") for u in sockets), sockets
