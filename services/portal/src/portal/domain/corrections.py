"""Corrections requested from the city bureau (第九条) as the credit department's forms give
them: the request's document, the city's reply. Pure: no I/O.

A published result is never changed by the district: the credit department requests the
correction of the city (with its document number and date) and records the city's reply;
publication issues the new version only on a grant.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# The objections service's request statuses, in the order a list filter offers them.
STATUSES = {
    "requested": "已报市局，待批复",
    "granted": "市局同意更正",
    "refused": "市局不予更正",
}
DECISIONS = {"granted": "同意更正", "refused": "不予更正"}


def _dated(body: dict[str, Any], name: str, value: str) -> dict[str, Any]:
    """An optional date left out when the form leaves it empty (the service takes today)."""
    return body | {name: value} if value else body


def request_body(form: Mapping[str, str]) -> dict[str, Any]:
    """``{request_no, requested_on?, note}`` of a request's form."""
    body = {"request_no": form.get("request_no", "").strip(), "note": form.get("note", "").strip()}
    return _dated(body, "requested_on", form.get("requested_on", "").strip())


def reply_fields(form: Mapping[str, str]) -> dict[str, str]:
    """The reply's form fields as the service's multipart form takes them: ``decision``,
    ``reply_no``, ``replied_on`` (left out when empty), ``reason``."""
    fields = {
        "decision": form.get("decision", ""),
        "reply_no": form.get("reply_no", "").strip(),
        "reason": form.get("reason", "").strip(),
    }
    return _dated(fields, "replied_on", form.get("replied_on", "").strip())


def awaiting_reply(request: Mapping[str, Any]) -> bool:
    return request.get("status") == "requested"
