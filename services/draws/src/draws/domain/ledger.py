"""Party keys and the district's draw log (``docs/draw-spec.md`` §14.2, §14.6); pure.

A party key is an Ed25519 public key a person registered for a party of the draws, proven by
its own signature; a signature counts only while the key is registered, unrevoked and valid on
the day. The draw log chains every key registration, revocation and step of every draw, so a
draw cannot be previewed, cancelled and quietly drawn again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from draws import ed25519
from draws.domain import protocol as p
from spotcheck_common.clock import CHINA_TZ
from spotcheck_common.errors import Forbidden, Invalid

MAX_VALIDITY = timedelta(days=2 * 366)  # a key is rotated at least every two years


def china_day(at: datetime) -> str:
    return at.astimezone(CHINA_TZ).date().isoformat()


def parse_signature(value: str) -> bytes:
    try:
        raw = bytes.fromhex(value)
    except ValueError:
        raise Invalid("签名不是十六进制字符串") from None
    if len(raw) != 64:
        raise Invalid("签名应为64字节（128个十六进制字符）")
    return raw


@dataclass
class PartyKey:
    key_id: str
    district: str
    party: str
    holder: str
    public_key: str  # hex, 32 bytes
    valid_from: str  # YYYY-MM-DD
    valid_until: str
    signature: str  # the key's own signature of its registration (hex)
    registered_seq: int = 0
    revoked_seq: int | None = None

    @classmethod
    def register(
        cls,
        *,
        district: str,
        party: str,
        holder: str,
        public_key: str,
        valid_from: date,
        valid_until: date,
        signature: str,
        today: date,
    ) -> PartyKey:
        """A key registered by its holder, who proves possession by signing the record."""
        try:
            raw = bytes.fromhex(public_key)
        except ValueError:
            raise Invalid("公钥不是十六进制字符串") from None
        if len(raw) != 32:
            raise Invalid("公钥应为32字节（64个十六进制字符）")
        if valid_until < valid_from:
            raise Invalid("有效期的结束日期早于开始日期")
        if valid_until < today:
            raise Invalid("有效期已经结束")
        if valid_until - valid_from > MAX_VALIDITY:
            raise Invalid("密钥有效期最长两年，到期须轮换")
        key = cls(
            key_id=p.key_id_of(raw),
            district=district,
            party=party,
            holder=holder,
            public_key=raw.hex(),
            valid_from=valid_from.isoformat(),
            valid_until=valid_until.isoformat(),
            signature=signature.lower(),
        )
        message = p.key_message(district, party, holder, raw, key.valid_from, key.valid_until)
        if not ed25519.verify(raw, message, parse_signature(signature)):
            raise Invalid("登记签名无效：须用该密钥本身对登记内容签名（证明持有私钥）")
        return key

    def record(self) -> dict[str, Any]:
        """The key record of §14.2, as the log and the bundle carry it."""
        return {
            "key_id": self.key_id,
            "party": self.party,
            "holder": self.holder,
            "public_key": self.public_key,
            "valid_from": self.valid_from,
            "valid_until": self.valid_until,
            "signature": self.signature,
        }

    def check(
        self, *, actor: str, party: str, at: datetime, message: bytes, signature: str
    ) -> None:
        """Refuses unless ``actor`` signs ``message`` for ``party`` with this key, usable at
        ``at`` (§14.2)."""
        if self.holder != actor:
            raise Forbidden(f"密钥 {self.key_id} 登记在 {self.holder} 名下，他人不得使用")
        if self.party != party:
            raise Forbidden(f"密钥 {self.key_id} 代表「{self.party}」，不能代表「{party}」签名")
        if self.revoked_seq is not None:
            raise Forbidden(f"密钥 {self.key_id} 已被吊销")
        if not self.valid_from <= china_day(at) <= self.valid_until:
            raise Forbidden(
                f"密钥 {self.key_id} 的有效期为 {self.valid_from} 至 {self.valid_until}"
            )
        if not ed25519.verify(bytes.fromhex(self.public_key), message, parse_signature(signature)):
            raise Invalid(f"签名无效：不是密钥 {self.key_id} 对本次操作内容的签名")


def log_record(
    *, seq: int, prev: str, at: datetime, kind: str, district: str, fields: dict[str, Any]
) -> dict[str, Any]:
    """One record of the draw log (§14.6), hash-chained to the one before."""
    return {
        "seq": seq,
        "prev": prev,
        "at": at.isoformat(),
        "kind": kind,
        "district": district,
        **fields,
    }


def extract(district: str, records: list[dict[str, Any]]) -> dict[str, Any]:
    """The log (or a bundle's extract of it) as served: each record with its hash."""
    return {
        "district": district,
        "records": [{"record": r, "hash": p.log_hash(r)} for r in records],
    }
