"""The people of a /3 draw over HTTP: each registers a key made as ``spotcheck-ceremony`` makes
it, and signs each act with it (the tool's own request bodies)."""

from __future__ import annotations

import hashlib
from typing import Any

import httpx

from draws import ceremony

# The domain clock of these flows (keys must be valid on the day of each act).
CLOCK = "2026-11-26T10:00:00+08:00"
VALID = ("2026-01-01", "2027-12-31")


class Signers:
    def __init__(self, client: httpx.AsyncClient, district: str) -> None:
        self.client = client
        self.district = district
        self.keys: dict[tuple[str, str], ceremony.Key] = {}

    async def key(self, headers: dict[str, str], user: str, party: str) -> ceremony.Key:
        """``user``'s key for ``party``, registered (as ``user``) on first use."""
        if (user, party) not in self.keys:
            secret = hashlib.sha256(f"{user}/{party}".encode()).digest()
            key = ceremony.Key.new(secret, self.district, party, user, *VALID)
            r = await self.client.post(
                "/api/draws/keys", json=ceremony.registration_body(key), headers=headers
            )
            assert r.status_code == 201, r.text
            self.keys[(user, party)] = key
        return self.keys[(user, party)]

    async def post(
        self, draw: dict[str, Any], action: str, body: dict[str, Any], headers: dict[str, str]
    ) -> httpx.Response:
        return await self.client.post(
            f"/api/draws/draws/{draw['draw_id']}/{action}", json=body, headers=headers
        )


def digest(draw: dict[str, Any]) -> bytes:
    return bytes.fromhex(draw["manifest_sha256"])
