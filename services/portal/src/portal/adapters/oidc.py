"""Signing staff in through the bureau's single sign-on: the OpenID Connect authorization
code flow with PKCE (RFC 7636), the portal being a confidential client.

The token the provider returns is the person's bearer token for the services, which verify
it themselves against the provider's keys (``SPOTCHECK_AUTH_JWKS_URL``); the portal only
carries it.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from urllib.parse import urlencode

import httpx


class SignInFailed(Exception):
    """The provider refused or answered what the flow cannot use (reason in Chinese)."""


@dataclass(frozen=True)
class Attempt:
    """One sign-in under way: where to send the person, and what to check on return."""

    url: str
    state: str
    verifier: str


@dataclass
class Provider:
    issuer: str
    client_id: str
    client_secret: str
    redirect_uri: str
    http: httpx.AsyncClient

    async def _endpoints(self) -> dict[str, str]:
        url = self.issuer.rstrip("/") + "/.well-known/openid-configuration"
        try:
            response = await self.http.get(url)
            response.raise_for_status()
            found = response.json()
            return {k: str(found[k]) for k in ("authorization_endpoint", "token_endpoint")}
        except (httpx.HTTPError, ValueError, KeyError) as exc:
            raise SignInFailed(f"统一身份认证暂时无法访问（{type(exc).__name__}）") from None

    async def begin(self) -> Attempt:
        endpoints = await self._endpoints()
        state, verifier = secrets.token_urlsafe(24), secrets.token_urlsafe(48)
        query = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "scope": "openid profile",
            "state": state,
            "code_challenge": _challenge(verifier),
            "code_challenge_method": "S256",
        }
        return Attempt(f"{endpoints['authorization_endpoint']}?{urlencode(query)}", state, verifier)

    async def finish(self, code: str, verifier: str) -> str:
        """The access token for ``code``."""
        endpoints = await self._endpoints()
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": self.redirect_uri,
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "code_verifier": verifier,
        }
        try:
            response = await self.http.post(endpoints["token_endpoint"], data=form)
        except httpx.HTTPError as exc:
            raise SignInFailed(f"统一身份认证暂时无法访问（{type(exc).__name__}）") from None
        if response.status_code != 200:
            raise SignInFailed(f"统一身份认证拒绝了本次登录（{response.status_code}）")
        token = response.json().get("access_token")
        if not isinstance(token, str) or not token:
            raise SignInFailed("统一身份认证的应答中没有访问令牌")
        return token


def _challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
