"""The committed OpenAPI and AsyncAPI documents match the code (regenerate: ``make docs``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from spotcheck_common.db import MAX_OFFSET
from spotcheck_common.events import registered_events
from spotcheck_common.runner import available, main

DOCS = Path(__file__).resolve().parents[2] / "docs" / "api"


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("api")
    main(["docs", "--out", str(out)])
    return out


@pytest.mark.parametrize("service", available())
@pytest.mark.parametrize("kind", ["openapi", "asyncapi"])
def test_committed_document_is_current(generated: Path, service: str, kind: str) -> None:
    name = f"{service}.{kind}.json"
    committed = DOCS / name
    assert committed.exists(), f"docs/api/{name} missing: run `make docs`"
    assert json.loads(committed.read_text()) == json.loads((generated / name).read_text()), (
        f"docs/api/{name} is stale: run `make docs` and commit the result"
    )


def test_every_event_is_published_by_some_service(generated: Path) -> None:
    """Each event schema appears as a channel in its producer's AsyncAPI document; a retired
    schema version does not (nothing produces it any more)."""
    for event in registered_events():
        document = json.loads((generated / f"{event.service}.asyncapi.json").read_text())
        addresses = {c.get("address") for c in document.get("channels", {}).values()}
        produced = event.topic("lingang") in addresses
        assert produced is not event.retired, f"{event.event_type()} v{event.version}"


@pytest.mark.parametrize("service", available())
def test_every_operation_documents_its_answer_and_its_refusals(
    generated: Path, service: str
) -> None:
    """A 2xx answer with a schema (a model, or a declared media type), and every refusal the
    route may answer with beside the framework's own 422."""
    document = json.loads((generated / f"{service}.openapi.json").read_text())
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            ok = [r for status, r in responses.items() if status.startswith("2")]
            assert ok, f"{method.upper()} {path}: no 2xx response"
            assert all(r.get("content") for r in ok), f"{method.upper()} {path}: no schema"
            if path.startswith("/api/"):
                assert "401" in responses and "403" in responses, f"{method.upper()} {path}"


@pytest.mark.parametrize("service", available())
def test_every_listing_bounds_its_offset(generated: Path, service: str) -> None:
    """An offset beyond what the database holds was a 500 on nine listings (issue 12): every
    ``offset`` parameter is bounded by the kernel's ``Offset``."""
    document = json.loads((generated / f"{service}.openapi.json").read_text())
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                if parameter["name"] == "offset":
                    schema = parameter["schema"]
                    assert schema.get("maximum") == MAX_OFFSET, f"{method.upper()} {path}"
                    assert schema.get("minimum") == 0, f"{method.upper()} {path}"
