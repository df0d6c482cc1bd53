"""Who is acting: bearer tokens (JWT, OIDC-compatible) carrying the user, district and roles.

Verification keys are configurable: a shared secret (HS256, the local issuer of ``make run``
and the tests), a PEM public key, or an OIDC provider's JWKS URL (RS256/ES256). Every
protected endpoint names the roles it accepts; a refusal names what is missing.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from typing import Annotated, Any

import jwt
from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from spotcheck_common.roles import ROLE_LABELS, Role
from spotcheck_common.settings import Settings
from spotcheck_common.uow import Context

ALGORITHMS = ["HS256", "RS256", "ES256"]


@dataclass(frozen=True)
class Principal:
    user: str
    district: str
    roles: frozenset[Role]
    name: str = ""
    department: str = ""
    inspector_id: str = ""
    uscc: str = ""
    claims: dict[str, Any] = field(default_factory=dict, compare=False)

    def context(self, reason: str = "") -> Context:
        return Context(actor=self.user)


class Authenticator:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._jwks = jwt.PyJWKClient(settings.auth_jwks_url) if settings.auth_jwks_url else None

    @property
    def configured(self) -> bool:
        s = self.settings
        return bool(s.auth_secret or s.auth_public_key or s.auth_jwks_url)

    def _key(self, token: str) -> Any:
        if self._jwks is not None:
            return self._jwks.get_signing_key_from_jwt(token).key
        if self.settings.auth_public_key:
            return self.settings.auth_public_key
        return self.settings.auth_secret

    def verify(self, token: str) -> Principal:
        if not self.configured:
            raise HTTPException(503, "身份认证未配置（SPOTCHECK_AUTH_*）")
        try:
            claims = jwt.decode(
                token,
                self._key(token),
                algorithms=ALGORITHMS,
                audience=self.settings.auth_audience,
                issuer=self.settings.auth_issuer,
                options={"require": ["sub", "exp", "iss", "aud"]},
            )
        except jwt.PyJWTError as exc:
            raise HTTPException(401, f"令牌无效：{exc}", {"WWW-Authenticate": "Bearer"}) from None
        roles = frozenset(
            Role(r) for r in claims.get("roles", []) if r in Role.__members__.values()
        )
        return Principal(
            user=str(claims["sub"]),
            district=str(claims.get("district", "")),
            roles=roles,
            name=str(claims.get("name", "")),
            department=str(claims.get("department", "")),
            inspector_id=str(claims.get("inspector_id", "")),
            uscc=str(claims.get("uscc", "")),
            claims=claims,
        )

    def issue(
        self,
        user: str,
        roles: list[Role] | list[str],
        district: str | None = None,
        ttl_s: int = 8 * 3600,
        **extra: str,
    ) -> str:
        """Mint a token with the shared secret (the local issuer and tests only)."""
        if not self.settings.auth_secret:
            raise RuntimeError("issuing tokens needs SPOTCHECK_AUTH_SECRET")
        now = int(time.time())
        claims = {
            "sub": user,
            "iss": self.settings.auth_issuer,
            "aud": self.settings.auth_audience,
            "iat": now,
            "exp": now + ttl_s,
            "district": district or self.settings.district,
            "roles": [str(r) for r in roles],
            **extra,
        }
        return jwt.encode(claims, self.settings.auth_secret, algorithm="HS256")


def new_secret() -> str:
    return secrets.token_urlsafe(32)


_bearer = HTTPBearer(auto_error=False)


def _authenticator(request: Request) -> Authenticator:
    auth: Authenticator = request.app.state.authenticator
    return auth


def current_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None:
        raise HTTPException(
            401, "需要登录（Authorization: Bearer <令牌>）", {"WWW-Authenticate": "Bearer"}
        )
    auth = _authenticator(request)
    principal = auth.verify(credentials.credentials)
    if principal.district != auth.settings.district:
        raise HTTPException(
            403, f"令牌属于「{principal.district}」，本系统服务「{auth.settings.district}」"
        )
    return principal


def require(*roles: Role) -> Any:
    """A dependency admitting a principal holding any of ``roles``; 403 names them otherwise."""

    def check(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
        if roles and not principal.roles & set(roles):
            wanted = "、".join(f"{ROLE_LABELS[r]}({r})" for r in roles)
            raise HTTPException(403, f"缺少角色：需要 {wanted} 之一")
        return principal

    return Depends(check)
