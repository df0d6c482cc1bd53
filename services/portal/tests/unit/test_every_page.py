"""A fresh district (nothing imported, planned or drawn yet): every page of the site and of
the console answers each role with a page — its content, or the service's refusal — never a
server error."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio
from asgi_lifespan import LifespanManager

from spotcheck_common import runner
from spotcheck_common.settings import Settings
from spotcheck_common.testing import TEST_SECRET, auth_headers

# One server for the module: its event loop lives as long as the module's tests.
pytestmark = pytest.mark.asyncio(loop_scope="module")

PUBLIC = [
    "/",
    "/items",
    "/plans",
    "/tasks",
    "/results",
    "/results.csv",
    "/verify",
    "/draws/joint",
    "/entities/91371071MA3C000011",
]
CONSOLE = [
    "/console",
    "/console/registry",
    "/console/plans",
    "/console/plans/new",
    "/console/tasks",
    "/console/tasks/new",
    "/console/draws",
    "/console/draws/keys",
    "/console/draws/direct-assignment",
    "/console/joint-draws",
    "/console/inspections",
    "/console/joint-inspections",
    "/console/workload",
    "/console/follow-ups",
    "/console/publication",
    "/console/objections",
    "/console/objections/new",
    "/console/corrections",
    "/console/dossiers",
    "/console/statistics",
    "/console/not-inspected-reports",
    "/console/exemptions",
    "/console/exemptions?status=proposed",
]
PEOPLE = {
    "credit_dept": {"department": "信用监管科"},
    "supervising_dept": {"department": "市场规范管理科"},
    "general_office": {"department": "办公室"},
    "deputy_director": {},
    "director_meeting": {},
    "station": {"inspector_id": "LG0005"},
    "inspector": {"inspector_id": "LG0001"},
    "expert": {"inspector_id": "ZJ0001"},
    "entity": {"uscc": "91371071MA3C000011"},
    "agency_liaison": {"agency": "tax"},
}


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def site(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("data"), auth_secret=TEST_SECRET)
    app = runner.create_app("all", settings)
    async with LifespanManager(app, startup_timeout=60):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            yield client


@pytest.mark.parametrize("path", PUBLIC)
async def test_every_public_page_answers_with_a_page(site: httpx.AsyncClient, path: str) -> None:
    page = await site.get(path)
    assert page.status_code == 200, page.text[:300]


@pytest.mark.parametrize("role", sorted(PEOPLE))
async def test_every_console_page_answers_each_role_without_a_server_error(
    site: httpx.AsyncClient, role: str
) -> None:
    token = auth_headers(f"user-{role}", role, **PEOPLE[role])["Authorization"][7:]
    answers = {}
    site.cookies.set("spotcheck_session", token)
    try:
        for path in CONSOLE:
            answers[path] = (await site.get(path)).status_code
    finally:
        site.cookies.clear()
    failed = {p: s for p, s in answers.items() if s >= 500}
    assert not failed, f"{role}: {failed}"
    assert answers["/console"] == 200  # what awaits the person, whatever their role
