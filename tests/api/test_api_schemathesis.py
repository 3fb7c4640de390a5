"""Property-based run over the OpenAPI schema: no request, authenticated as a seeded clinician
or patient, ever gets a 5xx. Bounded (few examples per operation) to stay under two minutes.

Each generated case is sent three times: as generated (random ids, clinician token), and with
its path ids / ``patient_id`` replaced by seeded records, once as the clinician and once as the
patient, so validation and handlers run on real rows too.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.cli import create_user
from api.config import Settings

from .conftest import auth
from .servers import Server

schemathesis = pytest.importorskip("schemathesis", reason="pip install schemathesis")
from hypothesis import HealthCheck, Phase, settings  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402


@pytest.fixture
def seeded_server(db_url: str, tmp_path: Path) -> Iterator[dict[str, Any]]:
    data_dir = tmp_path / "data"
    with Server(db_url, data_dir, workers=1) as server:
        cfg = Settings(database_url=db_url, data_dir=data_dir)
        _, clin = create_user(cfg, name="Dr A", role="clinician", clinic="Clinic A")
        with httpx.Client(base_url=server.url, headers=auth(clin)) as c:
            pid = c.post("/v1/patients", json={"name": "P1"}).json()["id"]
            vid = c.post(f"/v1/patients/{pid}/visits", json={"date": "2026-01-05"}).json()["id"]
            pat = c.post(f"/v1/patients/{pid}/users", json={"name": "P1"}).json()["token"]
            c.post(f"/v1/patients/{pid}/pain-scores", json={"visit_id": vid, "at_rest": 2})
        yield {"server": server, "clinician": clin, "patient": pat,
               "ids": {"patient_id": pid, "visit_id": vid, "analysis_id": "none"}}


@pytest.fixture
def api_schema(seeded_server: dict[str, Any]) -> Any:
    return schemathesis.openapi.from_url(f"{seeded_server['server'].url}/openapi.json")


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=6, deadline=None, database=None, derandomize=True,
          phases=[Phase.explicit, Phase.generate],
          suppress_health_check=list(HealthCheck))
def test_no_server_errors(case: Any, seeded_server: dict[str, Any]) -> None:
    case.call_and_validate(headers=auth(seeded_server["clinician"]), checks=[not_a_server_error])
    ids = seeded_server["ids"]
    if case.path_parameters:
        case.path_parameters = {k: ids.get(k, v) for k, v in case.path_parameters.items()}
    if isinstance(case.body, dict) and "patient_id" in case.body:
        case.body = {**case.body, "patient_id": ids["patient_id"]}
    for who in ("clinician", "patient"):
        case.call_and_validate(headers=auth(seeded_server[who]), checks=[not_a_server_error])
