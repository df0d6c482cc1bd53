"""The spot-check item list's versions (抽查事项清单): pure rules, no I/O.

Each import is a new version with the date it takes effect and the reason for it; versions are
never changed. The *current* list is the newest version already in effect on a given day.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from spotcheck_common.errors import Invalid


@dataclass(frozen=True)
class ListVersion:
    version: int
    list_id: str
    effective_from: date
    reason: str
    items: int
    filename: str
    sha256: str
    imported_by: str
    imported_at: datetime


class VersionRefused(Invalid):
    """The new version's metadata breaks a rule (422); nothing is written."""


def current(versions: Sequence[ListVersion], today: date) -> ListVersion | None:
    """The newest version in effect on ``today`` (None if none has taken effect yet)."""
    effective = [v for v in versions if v.effective_from <= today]
    return max(effective, key=lambda v: v.version) if effective else None


def status(version: ListVersion, versions: Sequence[ListVersion], today: date) -> str:
    """current (现行) / superseded (已被替代) / scheduled (待生效)."""
    if version.effective_from > today:
        return "scheduled"
    now = current(versions, today)
    return "current" if now is not None and now.version == version.version else "superseded"


STATUS_LABELS = {"current": "现行", "superseded": "已被替代", "scheduled": "待生效"}


def check_new_version(versions: Sequence[ListVersion], effective_from: date, reason: str) -> int:
    """The number of the next version; refuses an empty reason or an effective date earlier
    than the latest version's (versions take effect in the order they are issued)."""
    if not reason.strip():
        raise VersionRefused("请填写本次发布（调整）抽查事项清单的理由", field="reason")
    latest = max(versions, key=lambda v: v.version) if versions else None
    if latest is not None and effective_from < latest.effective_from:
        raise VersionRefused(
            f"生效日期 {effective_from} 早于第 {latest.version} 版的生效日期 "
            f"{latest.effective_from}；新版本不能早于已发布的版本生效",
            field="effective_from",
        )
    return (latest.version if latest else 0) + 1
