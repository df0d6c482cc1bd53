"""A fake of the services' APIs for the portal's unit tests: canned answers by path."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import httpx
from fastapi import APIRouter, FastAPI

from portal.adapters.api import ApiError
from portal.entrypoints.web import on_refusal

Answer = Any | Callable[[dict[str, Any]], Any]


class FakeApi:
    """``answers`` maps a path to an answer (or a function of the query); an ``ApiError``
    as the answer is raised. Every call is recorded in ``calls``."""

    def __init__(self, answers: Mapping[str, Answer]) -> None:
        self.answers = dict(answers)
        self.calls: list[tuple[str, str, Any]] = []

    def _answer(self, method: str, path: str, payload: Any) -> Any:
        self.calls.append((method, path, payload))
        if path not in self.answers:
            raise ApiError(404, f"未找到：{path}")
        answer = self.answers[path]
        if isinstance(answer, ApiError):
            raise answer
        return answer(payload) if callable(answer) else answer

    async def get(self, path: str, **params: Any) -> Any:
        return self._answer("GET", path, params)

    async def post(self, path: str, body: Any = None, **kwargs: Any) -> Any:
        """A JSON body is recorded as sent; a form (``data``, ``files``) as its keywords."""
        return self._answer("POST", path, body if body is not None else kwargs)

    async def put(self, path: str, body: Any) -> Any:
        return self._answer("PUT", path, body)

    async def request(self, method: str, path: str, **kwargs: Any) -> Any:
        """A raw answer (a download): the canned answer is the ``httpx.Response``."""
        return self._answer(method, path, kwargs)


def console_site(api: FakeApi, token: str, *routers: APIRouter) -> httpx.AsyncClient:
    """The console pages of ``routers`` on ``api``, signed in with ``token`` (its session
    cookie), refusals rendered as the web application renders them."""
    app = FastAPI()
    app.state.portal_api = api
    app.add_exception_handler(ApiError, on_refusal)
    for router in routers:
        app.include_router(router)
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")
    client.cookies.set("spotcheck_session", token)
    return client
