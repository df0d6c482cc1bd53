"""The web application as a component of the one binary: ``--target=portal`` alone, or part
of ``--target=all``. Its pages are routers (``public``: the 公示 site at ``/``; ``console``:
the staff console at ``/console``); its assets are its own, served from ``/static/portal``."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from portal.adapters.api import Api, ApiError, clients_for
from portal.adapters.oidc import Provider
from portal.entrypoints import console, public
from portal.entrypoints.web import STATIC, STATIC_URL, on_refusal, templates
from spotcheck_common.service import FrontendDefinition
from spotcheck_common.settings import Settings


def mount(app: FastAPI, settings: Settings, local: bool) -> None:
    clients = clients_for(
        app if local else None, settings.portal_api_url, settings.portal_service_urls
    )
    app.state.portal_api = Api(clients)
    # Behind the cluster's TLS-terminating ingress the portal sees http: outside demo mode the
    # session cookie is always Secure.
    app.state.portal_secure_cookie = not settings.demo
    app.state.portal_oidc = _provider(settings)
    templates.env.globals.update(
        bureau=settings.bureau_name, district=settings.district, demo=settings.demo
    )
    app.add_exception_handler(ApiError, on_refusal)
    app.mount(STATIC_URL, StaticFiles(directory=STATIC), name="portal-static")
    for router in (*public.ROUTERS, *console.ROUTERS):
        app.include_router(router)


def _provider(settings: Settings) -> Provider | None:
    """The bureau's single sign-on, when the settings name it."""
    if not settings.portal_oidc_issuer:
        return None
    redirect = settings.portal_public_url.rstrip("/") + "/console/login/callback"
    return Provider(
        issuer=settings.portal_oidc_issuer,
        client_id=settings.portal_oidc_client_id,
        client_secret=settings.portal_oidc_client_secret,
        redirect_uri=redirect,
        http=httpx.AsyncClient(timeout=10.0),
    )


definition = FrontendDefinition(name="portal", title="门户：公示网站与工作人员工作台", mount=mount)
