"""Every answer is counted by route and status (a crash as a 500), and a process serves at most
``http_max_in_flight`` requests at once: beyond, a 503 with Retry-After at once, never for the
probes and scrapes."""

from __future__ import annotations

import asyncio

import httpx
from fastapi import APIRouter
from prometheus_client import REGISTRY

from spotcheck_common.settings import Settings

from ..helpers import kernel_app

router = APIRouter()
release, two_in = asyncio.Event(), asyncio.Event()
entered: list[int] = []


@router.get("/public/t/slow/{n}")
async def slow(n: int) -> dict[str, int]:
    entered.append(n)
    if len(entered) == 2:
        two_in.set()
    await release.wait()
    return {"n": n}


@router.get("/public/t/crash")
async def crash() -> None:
    raise RuntimeError("a bug")


def count(route: str, status: str) -> float:
    labels = {"method": "GET", "route": route, "status": status}
    return REGISTRY.get_sample_value("spotcheck_http_request_duration_seconds_count", labels) or 0


async def test_beyond_the_limit_a_request_is_refused_at_once_and_probes_still_answer() -> None:
    app = kernel_app(Settings(http_max_in_flight=2), [router])
    release.clear()
    two_in.clear()
    entered.clear()
    refused_before = count("overloaded", "503")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        held = [asyncio.create_task(client.get(f"/public/t/slow/{n}")) for n in range(2)]
        await asyncio.wait_for(two_in.wait(), 10)  # both held inside the app
        refused = await client.get("/public/t/slow/3")
        assert refused.status_code == 503 and refused.headers["retry-after"] == "1"
        assert refused.json()["detail"] == "服务繁忙，请稍后重试"
        assert (await client.get("/healthz")).status_code == 200  # probes pass the limit
        release.set()
        assert [(await h).json()["n"] for h in held] == [0, 1]
        assert (await client.get("/public/t/slow/4")).status_code == 200  # room again
    assert count("overloaded", "503") == refused_before + 1
    assert count("/public/t/slow/{n}", "200") >= 3


async def test_a_crash_is_counted_as_a_500_of_its_route() -> None:
    app = kernel_app(Settings(), [router])
    before = count("/public/t/crash", "500")
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        assert (await client.get("/public/t/crash")).status_code == 500
    assert count("/public/t/crash", "500") == before + 1
