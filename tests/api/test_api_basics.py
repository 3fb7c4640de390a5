"""Health, docs, authentication and the simplest record flows."""

from __future__ import annotations

from fastapi.testclient import TestClient

from .conftest import World, auth


def test_health_and_docs(client: TestClient) -> None:
    r = client.get("/health")
    assert r.status_code == 200
    assert r.json()["status"] == "ok" and r.json()["database"] == "ok"
    assert client.get("/docs").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    assert "/v1/analyses" in paths and "/v1/patients/{patient_id}/progress" in paths


def test_401_without_or_with_bad_token(client: TestClient, world: World) -> None:
    for headers in ({}, auth("avn_not-a-token"), {"Authorization": "Basic abc"}):
        r = client.get("/v1/me", headers=headers)
        assert r.status_code == 401, headers
        assert r.headers["www-authenticate"] == "Bearer"
    r = client.get(f"/v1/patients/{world.p1}", headers=auth("nope"))
    assert r.status_code == 401


def test_me(client: TestClient, world: World) -> None:
    me = client.get("/v1/me", headers=auth(world.clin_a)).json()
    assert me["role"] == "clinician" and me["clinic"] == "Clinic A"
    me = client.get("/v1/me", headers=auth(world.pat_p1)).json()
    assert me["role"] == "patient" and me["patient_id"] == world.p1


def test_tokens_are_stored_hashed(client: TestClient, world: World) -> None:
    from sqlalchemy import select

    from api.db.models import User

    with client.app.state.sessionmaker() as db:
        hashes = db.scalars(select(User.token_hash)).all()
    assert all(len(h) == 64 for h in hashes)
    assert world.clin_a not in hashes
