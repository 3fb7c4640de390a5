"""Property-based run over the OpenAPI schema: no request, authenticated as a seeded clinician
or patient, ever gets a 5xx. Bounded (few examples per operation) to stay under two minutes.

Each generated case is sent three times: as generated (random ids, clinician token), and with
its path ids / ``patient_id`` replaced by seeded records, once as the clinician and once as the
patient, so validation and handlers run on real rows too.
"""

from __future__ import annotations

import os
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
from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from hypothesis.errors import Unsatisfiable  # noqa: E402


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
        yield {
            "server": server,
            "clinician": clin,
            "patient": pat,
            "ids": {"patient_id": pid, "visit_id": vid, "analysis_id": "none"},
        }


EXAMPLES = int(os.environ.get("AVNMOTION_SCHEMATHESIS_EXAMPLES", "10"))


def _send(case: Any, server: dict[str, Any]) -> list[tuple[str, int]]:
    """The case as generated, then aimed at seeded records as clinician and as patient."""
    seen = []
    response = case.call(headers=auth(server["clinician"]))
    seen.append(
        (f"clinician, generated ids: {case.method} {case.formatted_path}", response.status_code)
    )
    ids = server["ids"]
    if case.path_parameters:
        case.path_parameters = {k: ids.get(k, v) for k, v in case.path_parameters.items()}
    if isinstance(case.body, dict) and "patient_id" in case.body:
        case.body = {**case.body, "patient_id": ids["patient_id"]}
    for who in ("clinician", "patient"):
        response = case.call(headers=auth(server[who]))
        seen.append(
            (f"{who}, seeded ids: {case.method} {case.formatted_path}", response.status_code)
        )
    return seen


def test_no_server_errors(seeded_server: dict[str, Any]) -> None:
    from schemathesis import GenerationMode

    schema = schemathesis.openapi.from_url(f"{seeded_server['server'].url}/openapi.json")
    operations = [r.ok() for r in schema.get_all_operations()]
    assert len(operations) >= 16
    errors: list[str] = []
    codes: dict[int, int] = {}
    calls = 0

    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                database=None,
                derandomize=True,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            @given(case=operation.as_strategy(generation_mode=mode))
            def run(case: Any) -> None:
                nonlocal calls
                for label, code in _send(case, seeded_server):
                    calls += 1
                    if code >= 500:
                        errors.append(f"{code} for {label} body={case.body!r:.300}")
                    codes[code] = codes.get(code, 0) + 1

            try:
                run()
            except Unsatisfiable:
                # Nothing to make invalid (e.g. GET /health has no parameters).
                assert mode == GenerationMode.NEGATIVE, operation.label
    # The run must reach the handlers with real rows, not stop at auth or validation.
    assert calls > 100 and codes.get(200, 0) > 50 and codes.get(422, 0) > 0, codes
    log = seeded_server["server"].log()
    assert not errors, "\n".join(errors[:20]) + "\n" + log[-4000:]
    assert "Traceback" not in log, log[-4000:]
