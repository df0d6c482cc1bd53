"""Dossiers: entries labelled, the chain's verification and an attachment check in words."""

from __future__ import annotations

from typing import Any

from portal.domain import dossiers as words
from portal.service_layer import dossiers as service


def test_verification_in_words() -> None:
    ok, text = words.verification_text({"ok": True, "checked": 14})
    assert ok and text == "哈希链完整：14 个条目逐一校验通过。"
    ok, text = words.verification_text(
        {"ok": False, "checked": 6, "first_bad_seq": 7, "reason": "entry_hash 不符"}
    )
    assert not ok
    assert text == "哈希链断裂：第 7 个条目起不符（entry_hash 不符）；此前 6 个条目校验通过。"


def test_entry_labels() -> None:
    assert words.entry_label({"kind": "event", "event_type": "planning.task-approved"}) == (
        "实施方案批准"
    )
    assert words.entry_label({"kind": "event", "event_type": "x.new"}) == "x.new"
    attachment = {"kind": "attachment", "filename": "现场笔录.pdf"}
    assert words.entry_label(attachment) == "附件 现场笔录.pdf"


class FakeApi:
    def __init__(self, answers: dict[str, Any]) -> None:
        self.answers = answers
        self.posted: list[tuple[str, dict[str, Any]]] = []

    async def get(self, path: str, **params: Any) -> Any:
        return self.answers[path]

    async def post(self, path: str, body: Any = None, **kwargs: Any) -> Any:
        self.posted.append((path, kwargs))
        return self.answers[path]


async def test_contents_label_every_entry_and_check_sends_the_raw_bytes() -> None:
    base = "/api/archives/dossiers/t1"
    api = FakeApi(
        {
            f"{base}/contents": {
                "categories": [
                    {"entries": [{"seq": 1, "kind": "event", "event_type": "draws.draw-completed"}]}
                ]
            },
            f"{base}/attachments/a1/check": {
                "matches": False,
                "filename": "f.pdf",
                "sha256": "aa",
                "size": 3,
                "filed_sha256": "bb",
                "filed_size": 4,
            },
        }
    )
    found = await service.contents(api, "t1")  # type: ignore[arg-type]
    assert found["categories"][0]["entries"][0]["label"] == "抽取完成"
    checked = await service.check_attachment(api, "t1", "a1", b"abc")  # type: ignore[arg-type]
    assert not checked["matches"] and "归档的为 bb（4 字节）" in checked["text"]
    assert api.posted[0][1]["content"] == b"abc"
    assert api.posted[0][1]["headers"] == {"content-type": "application/octet-stream"}
