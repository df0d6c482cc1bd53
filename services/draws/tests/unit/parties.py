"""The people of a ``spotcheck-draw/3`` draw as the unit tests play them: each person signs with
an Ed25519 key made for them and registered through the service, as ``spotcheck-ceremony``
does on their own computer."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from typing import Any

from draws import ed25519
from draws.domain import protocol as p
from draws.domain.model import Draw
from draws.service_layer import services, views

from .fakes import FakeDrawsRepository, FakeDrawsUnitOfWork

OFFICE = p.OFFICE_PARTY


def secret_of(person: str, party: str) -> bytes:
    return hashlib.sha256(f"key/{person}/{party}".encode()).digest()


class Parties:
    """Each party played by a person of its name; a co-organising agency's party by that
    agency's liaison (§16)."""

    def __init__(self, uow: FakeDrawsUnitOfWork, district: str = "lingang") -> None:
        self.uow = uow
        self.district = district
        self.keys: dict[tuple[str, str], str] = {}  # (person, party) → key_id

    def _draw(self, draw_id: str) -> Draw:
        return self.uow.draws.draws[draw_id]

    async def key(self, person: str, party: str) -> tuple[bytes, str]:
        """The person's key for the party, registered on first use."""
        secret = secret_of(person, party)
        public = ed25519.public_key(secret)
        if await self.uow.ledger.get_key(p.key_id_of(public)) is not None:
            self.keys[(person, party)] = p.key_id_of(public)
        if (person, party) not in self.keys:
            today = self.uow.clock.today()
            start, end = today - timedelta(days=1), today + timedelta(days=365)
            message = p.key_message(
                self.district, party, person, public, start.isoformat(), end.isoformat()
            )
            key = await services.register_key(
                self.uow.as_(person),
                district=self.district,
                party=party,
                public_key=public.hex(),
                valid_from=start,
                valid_until=end,
                signature=ed25519.sign(secret, message).hex(),
                agency=p.agency_of_party(party),  # an agency's party: its liaison (§16)
            )
            self.keys[(person, party)] = key.key_id
        return secret, self.keys[(person, party)]

    async def commit(
        self, draw_id: str, party: str, share: bytes, person: str | None = None
    ) -> Draw:
        person = person or party
        draw = self._draw(draw_id)
        secret, key_id = await self.key(person, party)
        commitment = p.share_commitment_v3(draw.digest, draw_id, party, share)
        signature = ed25519.sign(secret, p.commit_message(draw.digest, party, commitment))
        return await services.commit_share(
            self.uow.as_(person),
            draw_id,
            party,
            commitment.hex(),
            key_id,
            signature.hex(),
            agency=p.agency_of_party(party),
        )

    async def reveal(
        self, draw_id: str, party: str, share: bytes, person: str | None = None
    ) -> Draw:
        person = person or party
        draw = self._draw(draw_id)
        secret, key_id = await self.key(person, party)
        signature = ed25519.sign(secret, p.reveal_message(draw.digest, party, share))
        return await services.reveal_share(
            self.uow.as_(person),
            draw_id,
            party,
            share.hex(),
            key_id,
            signature.hex(),
            agency=p.agency_of_party(party),
        )

    async def countersign(
        self, draw_id: str, person: str = "office-supervisor", acknowledge: bool = True
    ) -> Draw:
        draw = self._draw(draw_id)
        secret, key_id = await self.key(person, OFFICE)
        result_digest = bytes.fromhex(draw.result_sha256 or "00" * 32)  # none yet: refused
        message = p.countersign_message(draw.digest, result_digest)
        return await services.countersign(
            self.uow.as_(person),
            draw_id,
            person,
            "ok",
            "/b",
            key_id=key_id,
            signature=ed25519.sign(secret, message).hex(),
            acknowledge_unstaffed=acknowledge,
        )

    async def cancel(
        self, draw_id: str, reason: str, person: str = "信用监管科", party: str = "信用监管科"
    ) -> Draw:
        draw = self._draw(draw_id)
        secret, key_id = await self.key(person, party)
        signature = ed25519.sign(secret, p.cancel_message(draw.digest, reason))
        return await services.cancel_draw(
            self.uow.as_(person), draw_id, reason, key_id, signature.hex()
        )

    async def run(self, draw_id: str, shares: dict[str, bytes], countersign: bool = True) -> Draw:
        """Every party commits then reveals (each party played by a person of its name)."""
        for party, share in shares.items():
            await self.commit(draw_id, party, share)
        for party, share in shares.items():
            draw = await self.reveal(draw_id, party, share)
        return await self.countersign(draw_id) if countersign else draw


async def published(repo: FakeDrawsRepository, draw_id: str) -> dict[str, Any]:
    """The draw's public bundle as served (with its draw log extract, for /3)."""
    return dict(json.loads(await views.bundle(FakeDrawsUnitOfWork(repo), draw_id)))


async def replaced(
    parties: Parties, draw_id: str, approval_id: str, person: str = "office-countersigner"
) -> dict[str, Any]:
    """/3 (§14.11): the general office countersigns the replacement held for ``approval_id``,
    which then takes effect."""
    draw = parties.uow.draws.draws[draw_id]
    (pending,) = [a["pending"] for a in draw.approvals if a["approval_id"] == approval_id]
    secret, key_id = await parties.key(person, OFFICE)
    message = p.replacement_message(
        draw.digest, pending["uscc"], pending["replaced"], pending["replacement"], approval_id
    )
    return await services.countersign_replacement(
        parties.uow.as_(person),
        draw_id,
        approval_id,
        person,
        key_id,
        ed25519.sign(secret, message).hex(),
    )
