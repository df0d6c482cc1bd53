"""The one error hierarchy of every service: what a rule refused, and why (no dependencies).

Domain and service-layer code raise these; only the HTTP edge (``spotcheck_common.http``) maps
them to status codes. ``reason`` is what staff and the public read (Chinese); ``details`` are
extra fields of the answer (e.g. ``errors``: the fields at fault).
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "Conflict",
    "Corrupted",
    "DomainError",
    "Forbidden",
    "Invalid",
    "NotFound",
    "StaleWrite",
    "TooLarge",
    "Unavailable",
]


class DomainError(Exception):
    """A rule of the domain refused the request (HTTP 422 unless a subclass says otherwise)."""

    def __init__(self, reason: str, **details: Any) -> None:
        super().__init__(reason)
        self.reason = reason
        self.details = details


class Invalid(DomainError):
    """The request breaks a rule: a value, a date, a combination (422)."""


class NotFound(DomainError):
    """What the request names does not exist, or not yet (404)."""


class Conflict(DomainError):
    """The state of things does not allow it now: already decided, a duplicate (409)."""


class StaleWrite(Conflict):
    """Someone else changed the record first (optimistic lock); reload and try again (409)."""


class Forbidden(DomainError):
    """This actor may not do this (403)."""


class TooLarge(DomainError):
    """The request is larger than allowed (413)."""


class Unavailable(DomainError):
    """Something the request needs is not there: not configured, not reachable (503)."""


class Corrupted(DomainError):
    """Stored data failed its own integrity check (a hash, a chain): not the caller's fault
    (500)."""
