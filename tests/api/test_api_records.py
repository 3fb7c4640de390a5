"""Patients (with protocol) and visits."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient

from .conftest import World, auth


def test_patient_protocol_roundtrip(client: TestClient, world: World) -> None:
    proto = {
        "affected_side": "right",
        "stage": "after_core_decompression",
        "weight_bearing": "toe_touch",
        "precautions": [
            {
                "movement": "hip_flexion",
                "limit_deg": 90,
                "side": "right",
                "until_date": "2026-06-01",
            },
            {"movement": "impact"},
        ],
        "single_leg_stance_allowed": False,
    }
    r = client.post(
        "/v1/patients", json={"name": "P9", "protocol": proto}, headers=auth(world.clin_a)
    )
    assert r.status_code == 201, r.text
    pid = r.json()["id"]
    got = client.get(f"/v1/patients/{pid}", headers=auth(world.clin_a)).json()["protocol"]
    assert got["precautions"][0]["until_date"] == "2026-06-01"
    assert got["precautions"][1]["source"] == "clinician-entered precaution"
    r = client.patch(
        f"/v1/patients/{pid}",
        json={"protocol": {"affected_side": "left"}},
        headers=auth(world.clin_a),
    )
    assert r.status_code == 200 and r.json()["protocol"]["affected_side"] == "left"
    assert r.json()["protocol"]["precautions"] == []
    # An explicit null used to be accepted and silently ignored; it is refused by name.
    for body, needle in (
        ({"name": None}, "name cannot be null"),
        ({"protocol": None}, "protocol cannot be null"),
        ({"name": None, "protocol": None}, "name, protocol cannot be null"),
    ):
        r = client.patch(f"/v1/patients/{pid}", json=body, headers=auth(world.clin_a))
        assert r.status_code == 422 and needle in r.text, (body, r.text)
    got = client.get(f"/v1/patients/{pid}", headers=auth(world.clin_a)).json()
    assert got["name"] == "P9" and got["protocol"]["affected_side"] == "left"


def test_patient_validation(client: TestClient, world: World) -> None:
    for body, needle in (
        ({"name": ""}, "at least 1 character"),
        ({"name": "x", "protocol": {"stage": "late"}}, "protocol"),
        (
            {
                "name": "x",
                "protocol": {"precautions": [{"movement": "hip_flexion", "limit_deg": 500}]},
            },
            "limit_deg",
        ),
        ({"name": "x", "extra": 1}, "Extra inputs"),
    ):
        r = client.post("/v1/patients", json=body, headers=auth(world.clin_a))
        assert r.status_code == 422 and needle in r.text, (body, r.text)


def test_visits(client: TestClient, world: World) -> None:
    tok, pid = world.clin_a, world.p1
    body = {
        "date": "2026-02-01",
        "notes": "reviewed",
        "walking_aid": "two_crutches",
        "interventions": [
            {"kind": "surgery", "details": "core decompression"},
            {"kind": "physio_session"},
        ],
    }
    r = client.post(f"/v1/patients/{pid}/visits", json=body, headers=auth(tok))
    assert r.status_code == 201, r.text
    vid = r.json()["id"]
    assert r.json()["interventions"][0] == {"kind": "surgery", "details": "core decompression"}
    r = client.patch(
        f"/v1/visits/{vid}", json={"walking_aid": "none", "interventions": []}, headers=auth(tok)
    )
    assert r.status_code == 200
    assert r.json()["walking_aid"] == "none" and r.json()["interventions"] == []
    assert r.json()["notes"] == "reviewed"
    r = client.patch(f"/v1/visits/{vid}", json={"date": None}, headers=auth(tok))
    assert r.status_code == 422 and "date cannot be null" in r.text
    r = client.patch(f"/v1/visits/{vid}", json={"date": "9999-12-31"}, headers=auth(tok))
    assert r.status_code == 422 and "outside 1900-01-01" in r.text
    today = dt.date.today().isoformat()  # today is a valid visit date
    r = client.patch(f"/v1/visits/{vid}", json={"date": today}, headers=auth(tok))
    assert r.status_code == 200 and r.json()["date"] == today
    r = client.patch(f"/v1/visits/{vid}", json={"date": "2026-02-01"}, headers=auth(tok))
    assert r.status_code == 200
    listed = client.get(f"/v1/patients/{pid}/visits", headers=auth(tok)).json()
    assert [v["date"] for v in listed] == ["2026-01-05", "2026-02-01"]
    for bad, needle in (
        ({"date": "2026-13-01"}, "date"),
        ({"date": "0001-01-01"}, "outside 1900-01-01"),
        ({"date": "9999-12-31"}, "outside 1900-01-01"),
        ({"date": (dt.date.today() + dt.timedelta(days=2)).isoformat()}, "plus one day"),
        ({"date": "2026-02-01", "interventions": [{"kind": "massage"}]}, "physio_session"),
        ({"date": "2026-02-01", "walking_aid": "skateboard"}, "walking_aid"),
    ):
        r = client.post(f"/v1/patients/{pid}/visits", json=bad, headers=auth(tok))
        assert r.status_code == 422 and needle in r.text, (bad, r.text)
    # Patients read their visits but do not write them.
    assert client.get(f"/v1/visits/{vid}", headers=auth(world.pat_p1)).status_code == 200
    r = client.patch(f"/v1/visits/{vid}", json={"notes": "x"}, headers=auth(world.pat_p1))
    assert r.status_code == 403


def test_nul_and_malformed_ids_never_reach_the_database(client: TestClient, world: World) -> None:
    # PostgreSQL rejects NUL in text; found by the schemathesis run. 4xx on both backends.
    h = auth(world.clin_a)
    r = client.post("/v1/patients", json={"name": "a\x00b"}, headers=h)
    assert r.status_code == 422 and "NUL" in r.text
    r = client.post(
        f"/v1/patients/{world.p1}/visits", json={"date": "2026-01-01", "notes": "\x00"}, headers=h
    )
    assert r.status_code == 422
    for path in (
        "/v1/patients/%00",
        "/v1/visits/%00x",
        "/v1/analyses/%00",
        "/v1/patients/..%2F..",
        f"/v1/patients/{world.p1.upper()}",
    ):
        assert client.get(path, headers=h).status_code == 404, path
    r = client.post(
        f"/v1/patients/{world.p1}/pain-scores", headers=h, json={"visit_id": "\x00", "at_rest": 1}
    )
    assert r.status_code == 422
    r = client.get(f"/v1/patients/{world.p1}/analyses", params={"task": "\x00"}, headers=h)
    assert r.status_code == 422


def test_nan_and_infinity_in_a_body_are_a_422_naming_them(client: TestClient, world: World) -> None:
    # json.loads accepts NaN/Infinity; echoing them back used to fail with a 500.
    for body, field in (
        ('{"name": NaN}', "name"),
        (
            '{"name": "x", "protocol": {"precautions": [{"movement": "hip_flexion", '
            '"limit_deg": Infinity}]}}',
            "limit_deg",
        ),
    ):
        r = client.post(
            "/v1/patients",
            content=body,
            headers={**auth(world.clin_a), "Content-Type": "application/json"},
        )
        assert r.status_code == 422, r.text
        detail = r.json()["detail"]
        assert any(field in map(str, e["loc"]) for e in detail), detail
        assert any("NaN and Infinity are not accepted" in e["msg"] for e in detail), detail


def test_an_upload_without_a_file_name_is_named_and_not_echoed(
    client: TestClient, world: World
) -> None:
    content = b"x" * 5000
    r = client.post(
        "/v1/analyses",
        data={"task": "rom", "patient_id": world.p1},
        files={"file": ("", content)},
        headers=auth(world.clin_a),
    )
    assert r.status_code == 422, r.text
    assert "file upload with a file name" in r.text
    assert len(r.text) < 2000  # the 5000 bytes are not sent back


def test_pain_score_dates_are_plausible(client: TestClient, world: World) -> None:
    h = auth(world.clin_a)
    url = f"/v1/patients/{world.p1}/pain-scores"
    for day in ("0001-01-01", "9999-12-31", (dt.date.today() + dt.timedelta(days=2)).isoformat()):
        r = client.post(url, headers=h, json={"date": day, "at_rest": 2})
        assert r.status_code == 422 and "outside 1900-01-01" in r.text, (day, r.text)
    r = client.post(url, headers=h, json={"date": dt.date.today().isoformat(), "at_rest": 2})
    assert r.status_code == 201, r.text
    assert r.json()["date"] == dt.date.today().isoformat()
