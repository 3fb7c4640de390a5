"""Cross-clinic and cross-patient access is refused on every route that returns patient data.

Rule: a record outside the caller's scope answers 404 (existence is not revealed); a record in
scope but an action the role may not take (a patient editing) answers 403.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.config import Settings

from .conftest import World, auth, npz_bytes, running_app, seed, upload, wait_done

# Operations that do not touch patient records.
PUBLIC_OR_SELF = {
    ("GET", "/health"),
    ("GET", "/v1/me"),
    ("GET", "/v1/tasks"),
    ("GET", "/v1/live/exercises"),
}
# Collections filtered by scope rather than addressed by id (tested separately below).
COLLECTIONS = {("GET", "/v1/patients"), ("POST", "/v1/patients")}
CLINICIAN_ONLY = {
    ("PATCH", "/v1/patients/{patient_id}"),
    ("POST", "/v1/patients/{patient_id}/users"),
    ("POST", "/v1/patients/{patient_id}/visits"),
    ("PATCH", "/v1/visits/{visit_id}"),
}


def _requests(w: World, analysis_id: str, mp4: bytes) -> dict[tuple[str, str], dict[str, Any]]:
    ids = {"patient_id": w.p1, "visit_id": w.visit_p1, "analysis_id": analysis_id}
    reqs: dict[tuple[str, str], dict[str, Any]] = {
        ("GET", "/v1/patients/{patient_id}"): {},
        ("PATCH", "/v1/patients/{patient_id}"): {"json": {"name": "renamed"}},
        ("POST", "/v1/patients/{patient_id}/users"): {"json": {"name": "x"}},
        ("POST", "/v1/patients/{patient_id}/visits"): {"json": {"date": "2026-02-01"}},
        ("GET", "/v1/patients/{patient_id}/visits"): {},
        ("GET", "/v1/visits/{visit_id}"): {},
        ("PATCH", "/v1/visits/{visit_id}"): {"json": {"notes": "x"}},
        ("POST", "/v1/patients/{patient_id}/pain-scores"): {
            "json": {"date": "2026-02-01", "at_rest": 1}
        },
        ("GET", "/v1/patients/{patient_id}/pain"): {},
        ("GET", "/v1/analyses/{analysis_id}"): {},
        ("GET", "/v1/analyses/{analysis_id}/track"): {},
        ("GET", "/v1/analyses/{analysis_id}/annotated"): {},
        ("GET", "/v1/patients/{patient_id}/analyses"): {},
        ("GET", "/v1/patients/{patient_id}/progress"): {},
        ("POST", "/v1/analyses"): {
            "data": {"task": "rom", "patient_id": w.p1},
            "files": {"file": ("c.npz", npz_bytes())},
        },
        # A live-session ticket names the patient whose record the session is saved to.
        ("POST", "/v1/live/sessions"): {"json": {"task": "squat", "patient_id": w.p1}},
    }
    return {(m, p.format(**ids)): dict(kw, template=p) for (m, p), kw in reqs.items()}


@pytest.fixture
def setup(make_settings: Callable[..., Settings], tiny_mp4: bytes) -> Any:
    settings = make_settings(retain_raw_uploads=True)
    with running_app(settings) as client:
        world = seed(client, settings)
        r = upload(
            client,
            world.clin_a,
            world.p1,
            tiny_mp4,
            filename="c.mp4",
            annotate=True,
            visit_id=world.visit_p1,
        )
        aid = r.json()["id"]
        assert wait_done(client, world.clin_a, aid)["status"] == "done"
        yield client, world, aid, tiny_mp4


def _call(client: TestClient, method: str, path: str, token: str, kw: dict[str, Any]) -> Any:
    kw = {k: v for k, v in kw.items() if k != "template"}
    return client.request(method, path, headers=auth(token), **kw)


def test_every_patient_route_is_covered(setup: Any) -> None:
    client, world, aid, mp4 = setup
    ops = {
        (m.upper(), p)
        for p, item in client.get("/openapi.json").json()["paths"].items()
        for m in item
    }
    covered = {(m, kw["template"]) for (m, _), kw in _requests(world, aid, mp4).items()}
    assert ops - PUBLIC_OR_SELF - COLLECTIONS == covered


def test_other_clinic_and_other_patient_get_404(setup: Any) -> None:
    client, world, aid, mp4 = setup
    for (method, path), kw in _requests(world, aid, mp4).items():
        for who, token in (
            ("clinician of clinic B", world.clin_b),
            ("patient P2 (same clinic)", world.pat_p2),
            ("patient Q1 (clinic B)", world.pat_q1),
        ):
            r = _call(client, method, path, token, kw)
            assert r.status_code == 404, f"{who}: {method} {path} -> {r.status_code} {r.text}"
            assert "P1" not in r.text


def test_owner_clinician_and_own_patient_allowed(setup: Any) -> None:
    client, world, aid, mp4 = setup
    for (method, path), kw in _requests(world, aid, mp4).items():
        template = (method, kw["template"])
        r = _call(client, method, path, world.clin_a, kw)
        assert r.status_code < 300, f"clinician A: {method} {path} -> {r.status_code} {r.text}"
        r = _call(client, method, path, world.pat_p1, kw)
        if template in CLINICIAN_ONLY:
            assert r.status_code == 403, f"patient P1: {method} {path} -> {r.status_code}"
        else:
            assert r.status_code < 300, f"patient P1: {method} {path} -> {r.status_code} {r.text}"


def test_collections_are_filtered(setup: Any) -> None:
    client, world, _, _ = setup
    ids = lambda tok: {p["id"] for p in client.get("/v1/patients", headers=auth(tok)).json()}  # noqa: E731
    assert ids(world.clin_a) == {world.p1, world.p2}
    assert ids(world.clin_b) == {world.q1}
    assert ids(world.pat_p1) == {world.p1}
    assert ids(world.pat_q1) == {world.q1}
    r = client.post("/v1/patients", json={"name": "x"}, headers=auth(world.pat_p1))
    assert r.status_code == 403


def test_patient_does_not_see_clinician_flags(setup: Any) -> None:
    client, world, _, _ = setup
    client.post(
        f"/v1/patients/{world.p1}/pain-scores",
        headers=auth(world.pat_p1),
        json={"date": "2026-02-02", "before_exercise": 1, "after_exercise": 5},
    )
    assert (
        client.get(f"/v1/patients/{world.p1}/pain", headers=auth(world.pat_p1)).json()["flags"]
        == []
    )
    flags = client.get(f"/v1/patients/{world.p1}/pain", headers=auth(world.clin_a)).json()["flags"]
    assert [f["code"] for f in flags] == ["pain_rise_after_exercise"]
