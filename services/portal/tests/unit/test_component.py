"""The portal as a component of the one binary: which service answers which path, where it
reaches them alone or in-process, and how a refusal reaches a page."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager

from portal.adapters.api import Api, ApiError, clients_for, service_of
from portal.domain import labels
from spotcheck_common import runner
from spotcheck_common.settings import Settings
from spotcheck_common.testing import TEST_SECRET


@pytest.mark.parametrize(
    ("path", "service"),
    [
        ("/api/registry/entities", "registry"),
        ("/api/draws/draws/d1/reveals", "draws"),
        ("/public/draws/d1/bundle", "draws"),
        ("/public/results", "publication"),
        ("/public/tasks/t1", "publication"),
        ("/public/calendar/2026", "registry"),
        ("/auth/whoami", "registry"),
    ],
)
def test_each_path_goes_to_the_service_that_answers_it(path: str, service: str) -> None:
    assert service_of(path) == service


def test_a_path_no_service_answers_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="no service answers"):
        service_of("/api/nosuch/x")


def test_alone_the_portal_calls_each_service_at_its_own_url_first() -> None:
    clients = clients_for(None, "http://gateway:8000", {"draws": "http://draws:8000"})
    assert str(clients["draws"].base_url) == "http://draws:8000"
    assert str(clients["registry"].base_url) == "http://gateway:8000"


def test_alone_without_urls_the_portal_refuses_to_start_naming_what_is_missing() -> None:
    with pytest.raises(SystemExit, match=r"registry.*SPOTCHECK_PORTAL_SERVICES"):
        clients_for(None, "", {"draws": "http://draws:8000"})


async def test_the_portal_target_serves_pages_and_no_service_api(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path, auth_secret=TEST_SECRET, portal_api_url="http://gateway:8000"
    )
    app = runner.create_app("portal", settings)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        console = await client.get("/console")
        api = await client.get("/api/draws/draws", params={"task_id": "t1"})
    assert console.status_code == 303  # the console's own route: sign in first
    assert api.status_code == 404  # the draws service does not run in this process


async def test_in_process_the_public_site_answers_from_the_services_own_apis(
    tmp_path: Path,
) -> None:
    settings = Settings(data_dir=tmp_path, auth_secret=TEST_SECRET)
    app = runner.create_app("all", settings)
    async with LifespanManager(app, startup_timeout=60):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            page = await client.get("/")
            console = await client.get("/console")
    assert page.status_code == 200
    assert "暂无公示的抽查任务" in page.text  # the publication service's (empty) answer
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert console.status_code == 303
    assert console.headers["location"] == "/console/login?next=%2Fconsole"


async def test_a_refusal_carries_the_reason_and_each_field_s_reason() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        body = {
            "detail": "请求内容不符合要求",
            "errors": [{"field": "body.year", "reason": "年度应在 2000–2100 之间"}],
        }
        return httpx.Response(422, json=body)

    client = httpx.AsyncClient(transport=httpx.MockTransport(refuse), base_url="http://t")
    api = Api({"planning": client}, token="t0ken")
    with pytest.raises(ApiError) as refused:
        await api.post("/api/planning/plans", {"year": 1})
    assert refused.value.status == 422
    assert refused.value.reason == "请求内容不符合要求"
    assert refused.value.field_reasons() == {"year": "年度应在 2000–2100 之间"}


async def test_a_refusal_without_a_reason_still_reads_as_chinese() -> None:
    client = httpx.AsyncClient(
        transport=httpx.MockTransport(lambda r: httpx.Response(403, text="")), base_url="http://t"
    )
    with pytest.raises(ApiError, match="没有办理此事项的权限"):
        await Api({"draws": client}).get("/api/draws/keys")


async def test_a_refusal_no_page_handled_is_a_page_with_the_reason_not_a_500(
    tmp_path: Path,
) -> None:
    app = runner.create_app(
        "portal", Settings(data_dir=tmp_path, auth_secret=TEST_SECRET, portal_api_url="http://gw")
    )

    async def refused_by_a_service() -> None:
        raise ApiError(404, "检查记录不存在")

    async def signed_out() -> None:
        raise ApiError(401, "令牌无效")

    app.add_api_route("/console/gone", refused_by_a_service)
    app.add_api_route("/console/expired", signed_out)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        gone = await client.get("/console/gone")
        expired = await client.get("/console/expired")
    assert gone.status_code == 404
    assert "检查记录不存在" in gone.text and 'href="/console"' in gone.text
    assert expired.status_code == 303
    assert expired.headers["location"] == "/console/login?next=%2Fconsole%2Fexpired"


def test_instants_read_in_beijing_time() -> None:
    assert labels.datetime_zh("2026-11-16T01:00:00+00:00") == "2026-11-16 09:00"
    assert labels.datetime_zh("2026-11-16") == "2026-11-16"
    assert labels.zh("frozen", "draw") == "清单已冻结，待各方提交种子承诺"
    assert labels.zh("nosuch", "draw") == "nosuch"  # never a blank


async def test_a_service_that_cannot_be_reached_reads_as_a_page_that_says_so(
    tmp_path: Path,
) -> None:
    settings = Settings(
        data_dir=tmp_path, auth_secret=TEST_SECRET, portal_api_url="http://127.0.0.1:9"
    )
    app = runner.create_app("portal", settings)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        page = await client.get("/")
    assert page.status_code == 502
    assert "服务暂时无法访问（publication：ConnectError）" in page.text


async def test_a_refusal_naming_one_field_is_shown_beside_that_field() -> None:
    body = {"detail": "收到异议申请的日期不能晚于今天", "field": "received_on"}
    client = httpx.AsyncClient(
        transport=httpx.MockTransport(lambda r: httpx.Response(422, json=body)),
        base_url="http://t",
    )
    with pytest.raises(ApiError) as refused:
        await Api({"objections": client}).post("/api/objections/objections/paper", {})
    assert refused.value.field_reasons() == {"received_on": "收到异议申请的日期不能晚于今天"}
