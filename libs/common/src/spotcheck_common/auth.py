"""Who is acting: bearer tokens (JWT, OIDC-compatible) carrying the user, district and roles.

Verification keys are configurable: a shared secret (HS256, the local issuer of ``make run``
and the tests), a PEM public key, or an OIDC provider's JWKS URL (RS256/ES256). Every
protected endpoint names the roles it accepts; a refusal names what is missing.

A token is read into typed claims (``Claims``): a claim of the wrong type is a 401, never a
500; a token must say when it was issued and may not live longer than
``auth_max_token_lifetime_s``. A process without a verification key, or with the demo issuer
outside demo mode, refuses to start (``startup_refusals``).
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from typing import Annotated, Any

import jwt
from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from spotcheck_common.roles import ROLE_LABELS, Role
from spotcheck_common.settings import Settings
from spotcheck_common.uow import Context

ALGORITHMS = ["HS256", "RS256", "ES256"]
_CHALLENGE = {"WWW-Authenticate": "Bearer"}


class Claims(BaseModel):
    """What spotcheck reads from a token; anything else the provider adds is kept, unread."""

    model_config = ConfigDict(extra="allow", strict=True)

    sub: str = Field(min_length=1, max_length=128)
    iat: float
    exp: float
    district: str = Field("", max_length=64)
    roles: list[str] = Field(default_factory=list, max_length=32)
    name: str = Field("", max_length=64)
    department: str = Field("", max_length=64)
    inspector_id: str = Field("", max_length=64)
    uscc: str = Field("", max_length=18)


def has_verification_key(settings: Settings) -> bool:
    return bool(settings.auth_secret or settings.auth_public_key or settings.auth_jwks_url)


def startup_refusals(settings: Settings) -> list[str]:
    """Why a process with these settings must not serve (empty: it may)."""
    refusals = []
    if settings.auth_local_issuer and not settings.demo:
        refusals.append(
            "演示令牌签发（SPOTCHECK_AUTH_LOCAL_ISSUER）只能在演示模式（SPOTCHECK_DEMO=true，"
            "make run）下开启"
        )
    if not has_verification_key(settings) and not settings.auth_local_issuer:
        refusals.append(
            "未配置令牌验证密钥：设置 SPOTCHECK_AUTH_JWKS_URL（统一身份认证）、"
            "SPOTCHECK_AUTH_PUBLIC_KEY 或 SPOTCHECK_AUTH_SECRET"
        )
    return refusals


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
        return has_verification_key(self.settings)

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
            decoded = jwt.decode(
                token,
                self._key(token),
                algorithms=ALGORITHMS,
                audience=self.settings.auth_audience,
                issuer=self.settings.auth_issuer,
                options={"require": ["sub", "exp", "iat", "iss", "aud"]},
            )
        except jwt.PyJWTError as exc:
            raise HTTPException(401, f"令牌无效：{exc}", _CHALLENGE) from None
        claims = _typed(decoded)
        if claims.exp - claims.iat > self.settings.auth_max_token_lifetime_s:
            hours = self.settings.auth_max_token_lifetime_s / 3600
            raise HTTPException(401, f"令牌有效期超过 {hours:g} 小时，不予接受", _CHALLENGE)
        return Principal(
            user=claims.sub,
            district=claims.district,
            roles=frozenset(Role(r) for r in claims.roles if r in Role.__members__.values()),
            name=claims.name,
            department=claims.department,
            inspector_id=claims.inspector_id,
            uscc=claims.uscc,
            claims=decoded,
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
        ttl_s = min(ttl_s, self.settings.auth_max_token_lifetime_s)
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


def _typed(decoded: dict[str, Any]) -> Claims:
    try:
        return Claims.model_validate(decoded)
    except ValidationError as exc:
        fields = "、".join(".".join(str(p) for p in e["loc"]) for e in exc.errors())
        raise HTTPException(401, f"令牌声明不符合要求：{fields}", _CHALLENGE) from None


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
        raise HTTPException(401, "需要登录（Authorization: Bearer <令牌>）", _CHALLENGE)
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
