"""Joint draws across districts (第六条: 跨区域联合抽查), pure.

A draw whose matching may fill from a neighbour's pool names that neighbour's credit
department as a party, ``<district>:信用监管科``. The neighbour's party makes its share and signs
at its own bureau, through its own services, never through the drawing district's staff: its
side of the draw is a :class:`JointDraw` there. Its key is registered for the drawing
district's log (its self-signature names that district), so the bundle verifies unchanged.
Inspectors of a neighbour are known by namespaced ids, ``<district>:<id>``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from draws.domain import protocol as p
from draws.domain.ledger import PartyKey
from draws.domain.model import parse_hex
from spotcheck_common.errors import Conflict, Invalid

CREDIT_PARTY = "信用监管科"
SEP = ":"


def neighbour_party(district: str) -> str:
    """The party a neighbour's credit department holds in a joint draw."""
    return f"{district}{SEP}{CREDIT_PARTY}"


def district_of_party(party: str) -> str | None:
    """The neighbour a party belongs to; None for the drawing district's own parties."""
    district, sep, _ = party.partition(SEP)
    return district if sep else None


def namespaced(district: str, local_id: str) -> str:
    return f"{district}{SEP}{local_id}"


def holder_of(district: str, user: str) -> str:
    """A person of another bureau, as the drawing district's log names them."""
    return f"{district}{SEP}{user}"


@dataclass
class JointDraw:
    """A neighbour's draw in which this district holds a party."""

    draw_id: str
    drawing_district: str
    party: str
    task_no: str
    manifest: dict[str, Any]
    manifest_sha256: str
    committed: list[str] = field(default_factory=list)  # parties committed at the drawing side
    commitment: str | None = None
    key: dict[str, Any] | None = None  # the party key record (§14.2) it committed with
    share_revealed: bool = False
    status: str = "awaiting-commit"  # → committed → revealed → completed | cancelled
    created_at: datetime | None = None
    committed_at: datetime | None = None  # when this bureau committed, and revealed
    revealed_at: datetime | None = None
    # The drawing district's result, as its DrawCompleted said: its bundle is published
    # there, and these let anyone check that it is the one this bureau took part in.
    result_sha256: str | None = None
    bundle_url: str | None = None
    version: int = 0

    @property
    def parties(self) -> list[str]:
        return list(self.manifest["parties"])

    @property
    def digest(self) -> bytes:
        return bytes.fromhex(self.manifest_sha256)

    def _open(self, act: str) -> None:
        if self.status in ("completed", "cancelled"):
            label = "已完成" if self.status == "completed" else "已作废"
            raise Conflict(f"该联合抽取{label}，不能再{act}")

    def commit(
        self, commitment_hex: str, key: PartyKey, signature: str, holder: str, at: datetime
    ) -> None:
        """This party's commitment, signed at this bureau by ``holder`` with ``key``."""
        self._open("提交承诺")
        if self.commitment is not None:
            raise Conflict(f"「{self.party}」已提交承诺，承诺一经提交不得更改")
        digest = parse_hex(commitment_hex, 32, "承诺")
        message = p.commit_message(self.digest, self.party, digest)
        key.check(actor=holder, party=self.party, at=at, message=message, signature=signature)
        self.commitment = digest.hex()
        self.key = key.record()
        self.status = "committed"
        self.committed_at = at

    def reveal(self, share_hex: str, signature: str, holder: str, at: datetime) -> bytes:
        """This party's share, signed with the key it committed with, once every party of the
        draw has committed (a share shown before would let the last committer choose the
        seed)."""
        self._open("揭示种子")
        if self.commitment is None or self.key is None:
            raise Conflict(f"「{self.party}」尚未提交承诺")
        if self.share_revealed:
            raise Conflict(f"「{self.party}」已揭示种子")
        waiting = [x for x in self.parties if x not in self.committed]
        if waiting:
            raise Conflict(f"尚有参与方未提交承诺（{'、'.join(waiting)}），不能揭示")
        share = parse_hex(share_hex, 32, "种子份额")
        if p.commitment_of(self.manifest, self.digest, self.party, share).hex() != self.commitment:
            raise Invalid(f"「{self.party}」揭示的种子与其承诺不符，揭示被拒绝")
        key = PartyKey(district=self.drawing_district, **self.key)
        message = p.reveal_message(self.digest, self.party, share)
        key.check(actor=holder, party=self.party, at=at, message=message, signature=signature)
        self.share_revealed = True
        self.status = "revealed"
        self.revealed_at = at
        return share

    def complete(self, result_sha256: str, bundle_url: str) -> bool:
        """The drawing district completed the draw; False if already known."""
        if self.status == "completed":
            return False
        self.result_sha256 = parse_hex(result_sha256, 32, "结果摘要").hex()
        self.bundle_url = bundle_url or None
        self.status = "completed"
        return True

    def cancel(self) -> bool:
        """The drawing district cancelled the draw; False if already known."""
        if self.status == "cancelled":
            return False
        self.status = "cancelled"
        return True

    def saw_commit(self, party: str) -> bool:
        """The drawing district recorded ``party``'s commitment; False if already known."""
        if party not in self.parties or party in self.committed:
            return False
        self.committed.append(party)
        return True
