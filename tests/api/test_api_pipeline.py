"""The service with the real pipeline on a small track: same result as the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from api.config import Settings

from .conftest import auth, running_app, seed, upload, wait_done
from .servers import ROOT
from .tracks import track_bytes, walking_track

pytest.importorskip("avnmotion.pipeline", reason="avnmotion.pipeline not available yet")


def test_result_equals_cli(make_settings: Callable[..., Settings], tmp_path: Path) -> None:
    settings = make_settings(analyze_target="avnmotion.pipeline:analyze")
    content = track_bytes(walking_track(), tmp_path)
    clip = tmp_path / "walk.npz"
    clip.write_bytes(content)
    with running_app(settings) as client:
        world = seed(client, settings)
        # No protocol on this patient, as the CLI run below has none.
        pid = client.post(
            "/v1/patients", json={"name": "plain"}, headers=auth(world.clin_a)
        ).json()["id"]
        r = upload(client, world.clin_a, pid, content, filename="walk.npz", task="rom")
        assert r.status_code == 202, r.text
        body = wait_done(client, world.clin_a, r.json()["id"], timeout=120)
        assert body["status"] == "done", body
        track = client.get(f"/v1/analyses/{body['id']}/track", headers=auth(world.clin_a))
        assert track.status_code == 200
    cli = subprocess.run(
        [
            sys.executable,
            "-m",
            "avnmotion.cli",
            "analyze",
            str(clip),
            "--task",
            "rom",
            "--json",
            "-",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert cli.returncode == 0, cli.stderr
    expected = json.loads(cli.stdout)
    got = body["result"]
    expected.pop("processing")
    got.pop("processing")
    assert got == expected
