"""Upload, job lifecycle, files and bad input (job machinery with the test double)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.config import Settings
from api.worker import CRASH_REASON, INTERNAL_REASON

from .conftest import World, auth, npz_bytes, running_app, seed, upload, wait_done


def _files(settings: Settings, kind: str) -> list[Path]:
    d = settings.data_dir / kind
    return sorted(p for p in d.iterdir() if p.is_file()) if d.exists() else []


def test_upload_poll_result_track(client: TestClient, world: World, settings: Settings) -> None:
    r = upload(
        client,
        world.clin_a,
        world.p1,
        npz_bytes(sleep_s=0.5),
        filename="../../etc/Patient Name.npz",
        visit_id=world.visit_p1,
        height_m=1.7,
    )
    assert r.status_code == 202, r.text
    aid = r.json()["id"]
    assert r.headers["location"] == f"/v1/analyses/{aid}" == r.json()["url"]
    # The client's name never reaches the file system.
    assert [p.name for p in _files(settings, "uploads")] != []
    assert all("Patient" not in p.name for p in _files(settings, "uploads"))
    body = wait_done(client, world.clin_a, aid)
    assert body["status"] == "done", body
    assert body["progress_pct"] == 100.0 and body["attempts"] == 1 and body["error"] is None
    result = body["result"]
    assert result["task"] == "rom" and result["input"]["name"] == "Patient Name.npz"
    assert result["input"]["height_m"] == 1.7
    # The patient's protocol (affected side left) reaches the pipeline.
    assert result["processing"]["filters"]["affected_side"] == "left"
    assert result["processing"]["filters"]["protocol"]["affected_side"] == "left"
    r = client.get(f"/v1/analyses/{aid}/track", headers=auth(world.clin_a))
    assert r.status_code == 200 and r.content[:2] == b"PK"
    # Raw upload deleted once the result is committed; the track is kept.
    assert _files(settings, "uploads") == []
    assert len(_files(settings, "tracks")) == 1
    listed = client.get(f"/v1/patients/{world.p1}/analyses", headers=auth(world.clin_a)).json()
    assert [a["id"] for a in listed] == [aid] and "result" not in listed[0]
    listed = client.get(
        f"/v1/patients/{world.p1}/analyses?status=failed", headers=auth(world.clin_a)
    ).json()
    assert listed == []
    listed = client.get(
        f"/v1/patients/{world.p1}/analyses?task=rom", headers=auth(world.clin_a)
    ).json()
    assert [a["id"] for a in listed] == [aid]
    # an unknown task is an error naming the valid ones, not an empty list
    r = client.get(f"/v1/patients/{world.p1}/analyses?task=nosuch", headers=auth(world.clin_a))
    assert r.status_code == 422 and "unknown task 'nosuch'" in r.text and "gait" in r.text


def test_protocol_override_and_patient_upload(client: TestClient, world: World) -> None:
    proto = {
        "affected_side": "right",
        "stage": "pre_collapse",
        "weight_bearing": "partial",
        "precautions": [{"movement": "hip_flexion", "limit_deg": 90, "until_date": "2030-01-01"}],
    }
    r = upload(client, world.pat_p1, world.p1, npz_bytes(), protocol=json.dumps(proto))
    assert r.status_code == 202, r.text
    body = wait_done(client, world.pat_p1, r.json()["id"])
    filters = body["result"]["processing"]["filters"]
    assert filters["affected_side"] == "right"
    assert filters["protocol"]["precautions"][0]["limit_deg"] == 90


def test_retention_keeps_raw_when_configured(
    make_settings: Callable[..., Settings],
) -> None:
    settings = make_settings(retain_raw_uploads=True)
    with running_app(settings) as client:
        world = seed(client, settings)
        r = upload(client, world.clin_a, world.p1, npz_bytes())
        assert wait_done(client, world.clin_a, r.json()["id"])["status"] == "done"
    assert len(_files(settings, "uploads")) == 1


def test_input_error_becomes_failed_job_with_reason(
    client: TestClient, world: World, settings: Settings
) -> None:
    r = upload(client, world.clin_a, world.p1, npz_bytes(input_error=True), filename="walk.npz")
    body = wait_done(client, world.clin_a, r.json()["id"])
    assert body["status"] == "failed"
    assert "no person detected" in body["error"]
    # Server paths are replaced by the client's file name.
    assert str(settings.data_dir) not in body["error"] and "uploads/" not in body["error"]
    assert "walk.npz" in body["error"]
    assert body["result"] is None
    assert _files(settings, "uploads") == []  # raw deleted for failed jobs too
    r = client.get(f"/v1/analyses/{body['id']}/track", headers=auth(world.clin_a))
    assert r.status_code == 409


def test_unreadable_track_fails_with_reason(client: TestClient, world: World) -> None:
    r = upload(client, world.clin_a, world.p1, b"PK\x03\x04" + b"garbage" * 10)
    assert r.status_code == 202
    body = wait_done(client, world.clin_a, r.json()["id"])
    assert body["status"] == "failed" and "not a readable .npz track" in body["error"]


def test_internal_error_is_generic_and_logged(
    client: TestClient, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    r = upload(client, world.clin_a, world.p1, npz_bytes(internal=True))
    body = wait_done(client, world.clin_a, r.json()["id"])
    assert body["status"] == "failed" and body["error"] == INTERNAL_REASON
    assert any("simulated bug" in rec.getMessage() for rec in caplog.records)


def test_worker_crash_retries_then_fails(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    settings = make_settings(max_attempts=2, workers=1)
    with running_app(settings) as client:
        world = seed(client, settings)
        marker = tmp_path / "crash-once"
        marker.touch()
        r1 = upload(client, world.clin_a, world.p1, npz_bytes(crash_once_marker=str(marker)))
        once = wait_done(client, world.clin_a, r1.json()["id"], timeout=90)
        assert once["status"] == "done" and once["attempts"] == 2
        r2 = upload(client, world.clin_a, world.p1, npz_bytes(crash=True))
        always = wait_done(client, world.clin_a, r2.json()["id"], timeout=90)
        assert always["status"] == "failed" and always["attempts"] == 2
        assert always["error"] == CRASH_REASON.format(n=2)
        # The pool was replaced: later jobs still run.
        r3 = upload(client, world.clin_a, world.p1, npz_bytes())
        assert wait_done(client, world.clin_a, r3.json()["id"])["status"] == "done"


def test_annotated_video_retention(make_settings: Callable[..., Settings], tiny_mp4: bytes) -> None:
    settings = make_settings(annotated_ttl_hours=0.0, job_lease_s=0.6)
    with running_app(settings) as client:
        world = seed(client, settings)
        r = upload(client, world.clin_a, world.p1, tiny_mp4, filename="clip.mp4", annotate=True)
        assert r.status_code == 202, r.text
        body = wait_done(client, world.clin_a, r.json()["id"])
        assert body["status"] == "done", body
        assert body["annotated_available"] is False
        # TTL 0: expired at once, so the route says 410 Gone (never a half-deleted file) and
        # the maintenance loop deletes the file.
        import time

        r = client.get(f"/v1/analyses/{body['id']}/annotated", headers=auth(world.clin_a))
        assert r.status_code == 410, r.text
        assert "retention" in r.json()["detail"]
        annotated_dir = settings.data_dir / "annotated"
        deadline = time.monotonic() + 10
        while any(annotated_dir.iterdir()) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert list(annotated_dir.iterdir()) == []
        r = client.get(f"/v1/analyses/{body['id']}/annotated", headers=auth(world.clin_a))
        assert r.status_code == 410, r.text


def test_annotated_video_download(make_settings: Callable[..., Settings], tiny_mp4: bytes) -> None:
    settings = make_settings(retain_raw_uploads=True)
    with running_app(settings) as client:
        world = seed(client, settings)
        r = upload(client, world.clin_a, world.p1, tiny_mp4, filename="clip.mp4", annotate=True)
        aid = r.json()["id"]
        assert wait_done(client, world.clin_a, aid)["annotated_available"]
        r = client.get(f"/v1/analyses/{aid}/annotated", headers=auth(world.clin_a))
        assert r.status_code == 200 and r.headers["content-type"] == "video/mp4"
        r = upload(client, world.clin_a, world.p1, npz_bytes())
        wait_done(client, world.clin_a, r.json()["id"])
        r = client.get(f"/v1/analyses/{r.json()['id']}/annotated", headers=auth(world.clin_a))
        assert r.status_code == 404 and "requested" in r.json()["detail"]


def test_corrupt_video_is_a_failed_job(client: TestClient, world: World) -> None:
    content = b"\x00\x00\x00\x18ftypmp42" + b"\x00garbage" * 200
    r = upload(client, world.clin_a, world.p1, content, filename="broken.mp4")
    assert r.status_code == 202, r.text
    body = wait_done(client, world.clin_a, r.json()["id"])
    assert body["status"] == "failed" and body["error"] and "broken.mp4" in body["error"]


@pytest.mark.parametrize(
    ("filename", "content", "needle"),
    [
        ("clip.txt", b"hello", "unsupported file type .txt"),
        ("clip", b"hello", "(no extension)"),
        ("clip.mp4", b"this is not a video", "not MP4"),
        ("track.npz", b"not a zip at all", "not NumPy .npz"),
        ("track.trc", b"garbage", "not TRC"),
    ],
)
def test_415_for_wrong_types(
    client: TestClient, world: World, filename: str, content: bytes, needle: str
) -> None:
    r = upload(client, world.clin_a, world.p1, content, filename=filename)
    assert r.status_code == 415, r.text
    assert needle in r.json()["detail"]


def test_413_for_large_upload(make_settings: Callable[..., Settings]) -> None:
    settings = make_settings(max_upload_mb=0.01)
    with running_app(settings) as client:
        world = seed(client, settings)
        big = b"PK\x03\x04" + b"\x00" * 20_000
        r = upload(client, world.clin_a, world.p1, big)
        assert r.status_code == 413 and "0.01 MiB" in r.json()["detail"]
        # Beyond the form allowance the middleware refuses before parsing.
        huge = b"PK\x03\x04" + b"\x00" * (2 * 1024 * 1024)
        r = upload(client, world.clin_a, world.p1, huge)
        assert r.status_code == 413
    assert not (settings.data_dir / "uploads").exists() or not any(
        (settings.data_dir / "uploads").iterdir()
    )


@pytest.mark.parametrize(
    ("form", "field", "needle"),
    [
        ({"task": "juggling"}, "task", "unknown task 'juggling'; valid tasks: gait, rom"),
        ({"height_m": "7"}, "height_m", "less than or equal to 2.5"),
        ({"height_m": "tall"}, "height_m", "valid number"),
        ({"height_m": "nan"}, "height_m", "finite number"),
        (
            {"protocol": '{"precautions": [{"movement": "impact", "limit_deg": 5}]}'},
            "protocol",
            "limit_deg does not apply to impact",
        ),
        ({"affected_side": "middle"}, "affected_side", "'left' or 'right'"),
        ({"protocol": "{not json"}, "protocol", "not valid JSON"),
        ({"protocol": '{"stage": "bad"}'}, "protocol", "stage"),
        ({"visit_id": "nope"}, "visit_id", "not a visit of this patient"),
        ({"annotate": "true"}, "annotate", "needs a video upload"),
    ],
)
def test_422_names_the_problem(
    client: TestClient, world: World, form: dict[str, str], field: str, needle: str
) -> None:
    form = dict(form)  # parametrize shares the dict between backends
    task = form.pop("task", "rom")
    r = upload(client, world.clin_a, world.p1, npz_bytes(), task=task, **form)
    assert r.status_code == 422, r.text
    detail = r.json()["detail"]
    assert any(field in d["loc"] and needle in d["msg"] for d in detail), detail


def test_422_missing_fields(client: TestClient, world: World) -> None:
    r = client.post("/v1/analyses", data={}, headers=auth(world.clin_a))
    assert r.status_code == 422
    missing = {d["loc"][-1] for d in r.json()["detail"]}
    assert {"file", "task", "patient_id"} <= missing


def test_413_for_chunked_upload_without_length(make_settings: Callable[..., Settings]) -> None:
    settings = make_settings(max_upload_mb=0.01)
    with running_app(settings) as client:
        world = seed(client, settings)
        boundary = "xyz"
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="task"\r\n\r\nrom\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="patient_id"\r\n\r\n'
            f'{world.p1}\r\n--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="t.npz"\r\n\r\nPK\x03\x04'
        ).encode()

        def body():  # type: ignore[no-untyped-def]
            yield head
            for _ in range(40):  # 2.5 MiB > limit + form allowance, in chunks, no length
                yield b"\x00" * 65536
            yield f"\r\n--{boundary}--\r\n".encode()

        r = client.post(
            "/v1/analyses",
            content=body(),
            headers={
                **auth(world.clin_a),
                "content-type": f"multipart/form-data; boundary={boundary}",
            },
        )
        assert r.status_code == 413, r.text


def test_two_files_in_one_upload_are_refused(client: TestClient, world: World) -> None:
    # Only one file would be analysed; the other must not vanish without a word.
    files = [
        ("file", ("a.npz", npz_bytes(), "application/octet-stream")),
        ("file", ("b.npz", npz_bytes(), "application/octet-stream")),
    ]
    data = {"task": "rom", "patient_id": world.p1}
    listing = f"/v1/patients/{world.p1}/analyses"
    before = client.get(listing, headers=auth(world.clin_a)).json()
    r = client.post("/v1/analyses", data=data, files=files, headers=auth(world.clin_a))
    assert r.status_code == 422, r.text
    assert any("file" in d["loc"] and "this upload has 2" in d["msg"] for d in r.json()["detail"])
    assert client.get(listing, headers=auth(world.clin_a)).json() == before  # no job queued
    # one file still goes through
    r = client.post("/v1/analyses", data=data, files=files[:1], headers=auth(world.clin_a))
    assert r.status_code == 202, r.text
