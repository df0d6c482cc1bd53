"""Joint draws across districts (issue 10) on fakes: two bureaus' draws services, the events
between them carried by hand as each one's own topic would carry them.

临港 (lingang) is short of inspectors and draws jointly with 环翠 (huancui): huancui's roster
arrives as state, huancui's credit department commits and reveals its own share at huancui,
and the bundle verifies as any other."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

import pytest

from draws import ed25519, verify_draw
from draws.domain import protocol as p
from draws.entrypoints.routes.public import public_joint_draws
from draws.service_layer import joint, services
from spotcheck_common.errors import Conflict, Forbidden, Invalid
from spotcheck_common.events.draws import (
    DrawCancelled,
    DrawCompleted,
    DrawManifestFrozen,
    DrawShareCommitted,
    InspectorRosterEntry,
    JointShareCommitted,
    JointShareRevealed,
)
from spotcheck_common.events.envelope import Event
from spotcheck_common.events.registry import ConflictDeclared, InspectorsImported

from . import factories
from .fakes import FakeDrawsRepository, FakeDrawsUnitOfWork
from .parties import Parties, published
from .test_public_draws import FakeDeps
from .test_service_layer import NOW, loaded, share

HUANCUI_PARTY = "huancui:信用监管科"


def emitted(uow: FakeDrawsUnitOfWork, kind: type[Event]) -> list[Any]:
    return [e for e in [*uow.events, *uow.uncommitted] if isinstance(e, kind)]


def at(repo: FakeDrawsRepository, district: str, actor: str = "tester") -> FakeDrawsUnitOfWork:
    uow = FakeDrawsUnitOfWork(repo, actor=actor)
    uow.district = district
    return uow


async def huancui_roster(lingang: FakeDrawsRepository) -> FakeDrawsRepository:
    """Huancui's own draws service, its roster imported; lingang reads its roster state."""
    huancui = FakeDrawsRepository()
    uow = at(huancui, "huancui")
    roster = factories.inspectors(12, seed=3, prefix="HC")
    await services.inspectors_imported(
        uow, InspectorsImported(batch_id="h", inspectors=roster), "huancui"
    )
    for entry in emitted(uow, InspectorRosterEntry):
        await joint.neighbour_roster_entry(at(lingang, "lingang"), entry, "huancui")
    return huancui


class HuancuiCredit:
    """Huancui's credit department, signed in at huancui, with a key made on its own device and
    registered for lingang's draw log."""

    person = "hc-credit"
    secret = hashlib.sha256(b"key/hc-credit").digest()

    def __init__(self, repo: FakeDrawsRepository) -> None:
        self.repo = repo

    async def commit(self, draw_id: str, share_: bytes) -> JointShareCommitted:
        uow = at(self.repo, "huancui", self.person)
        jd = self.repo.joint[draw_id]
        public = ed25519.public_key(self.secret)
        start, end = uow.clock.today() - timedelta(days=1), uow.clock.today() + timedelta(days=300)
        holder = f"huancui:{self.person}"
        registration = p.key_message(
            "lingang", HUANCUI_PARTY, holder, public, start.isoformat(), end.isoformat()
        )
        commitment = p.share_commitment_v3(jd.digest, draw_id, HUANCUI_PARTY, share_)
        await joint.commit_joint_share(
            uow,
            district="huancui",
            draw_id=draw_id,
            commitment=commitment.hex(),
            public_key=public.hex(),
            valid_from=start,
            valid_until=end,
            key_signature=ed25519.sign(self.secret, registration).hex(),
            signature=ed25519.sign(
                self.secret, p.commit_message(jd.digest, HUANCUI_PARTY, commitment)
            ).hex(),
        )
        (event,) = emitted(uow, JointShareCommitted)
        return event

    async def reveal(self, draw_id: str, share_: bytes) -> JointShareRevealed:
        uow = at(self.repo, "huancui", self.person)
        jd = self.repo.joint[draw_id]
        signature = ed25519.sign(self.secret, p.reveal_message(jd.digest, HUANCUI_PARTY, share_))
        await joint.reveal_joint_share(
            uow, district="huancui", draw_id=draw_id, share=share_.hex(), signature=signature.hex()
        )
        (event,) = emitted(uow, JointShareRevealed)
        return event


async def frozen_jointly(lingang: FakeDrawsRepository, uow: FakeDrawsUnitOfWork) -> Any:
    return await services.create_draw(
        uow,
        district="lingang",
        task_id="T-1",
        now=NOW,
        neighbour_rule="fill-when-short",
        neighbours=["huancui", "wendeng"],
        joint_with=["huancui"],
    )


async def test_the_neighbours_roster_arrives_as_state_under_namespaced_ids() -> None:
    lingang = await loaded(200, 3)
    huancui = await huancui_roster(lingang)
    theirs = {k: v for k, v in lingang.inspectors.items() if v["district"] == "huancui"}
    assert sorted(theirs) == [f"huancui:HC{n:04d}" for n in range(1, 13)]
    assert "HC0001" not in lingang.inspectors  # never under the bare id: ids cannot collide
    # a recusal declared at huancui re-publishes that inspector's whole state
    uow = at(huancui, "huancui")
    uscc = next(iter(lingang.entities))
    await services.conflict_declared(
        uow, ConflictDeclared(inspector_id="HC0002", uscc=uscc, reason="亲属")
    )
    (entry,) = emitted(uow, InspectorRosterEntry)
    assert entry.inspector_id == "HC0002" and entry.recusals == [uscc]
    await joint.neighbour_roster_entry(at(lingang, "lingang"), entry, "huancui")
    assert ("huancui:HC0002", uscc) in lingang.conflicts
    # the state replaces: a later entry without the recusal withdraws it
    await joint.neighbour_roster_entry(
        at(lingang, "lingang"), entry.model_copy(update={"recusals": []}), "huancui"
    )
    assert ("huancui:HC0002", uscc) not in lingang.conflicts


async def test_a_promised_neighbour_pool_that_is_not_there_is_refused_not_narrowed() -> None:
    lingang = await loaded(200, 3)
    await huancui_roster(lingang)
    uow = FakeDrawsUnitOfWork(lingang)
    with pytest.raises(Conflict, match=r"wendeng.*名录尚未同步"):
        await services.create_draw(
            uow,
            district="lingang",
            task_id="T-1",
            now=NOW,
            neighbour_rule="fill-when-short",
            neighbours=["huancui", "wendeng"],  # wendeng's roster never arrived
        )
    assert lingang.draws == {}
    with pytest.raises(Invalid, match="不是本局的相邻区"):
        await services.create_draw(
            uow, district="lingang", task_id="T-1", now=NOW,
            neighbour_rule="fill-when-short", neighbours=["huancui"], joint_with=["rongcheng"],
        )  # fmt: skip
    with pytest.raises(Invalid, match="未配置相邻区"):
        await services.create_draw(
            uow, district="lingang", task_id="T-1", now=NOW, neighbour_rule="fill-when-short"
        )
    with pytest.raises(Forbidden, match="相邻区的参与方"):  # a neighbour's party only with its pool
        await services.create_draw(
            uow, district="lingang", task_id="T-1", now=NOW,
            parties=["信用监管科", "办公室", HUANCUI_PARTY],
        )  # fmt: skip


async def test_a_joint_draw_with_the_neighbours_share_made_at_the_neighbour_verifies() -> None:
    lingang = await loaded(200, 3)  # a tiny own pool: one inspector per department
    huancui = await huancui_roster(lingang)
    uow = FakeDrawsUnitOfWork(lingang)
    draw = await frozen_jointly(lingang, uow)
    assert [(x["district"], x["tier"]) for x in draw.manifest["pools"]] == [
        ("lingang", 0),
        ("huancui", 1),
    ]
    assert draw.parties == ["信用监管科", "办公室", HUANCUI_PARTY]

    # huancui learns of it from lingang's topic; lingang's staff cannot act for huancui
    (frozen,) = emitted(uow, DrawManifestFrozen)
    await joint.neighbour_manifest_frozen(at(huancui, "huancui"), frozen, "lingang")
    assert huancui.joint[draw.draw_id].status == "awaiting-commit"
    with pytest.raises(Forbidden, match="本局人员不得代为操作"):
        await services.commit_share(uow.as_("lg-credit"), draw.draw_id, HUANCUI_PARTY, "00" * 32)

    credit = HuancuiCredit(huancui)
    shares = {q: share(q) for q in draw.parties}
    committed = await credit.commit(draw.draw_id, shares[HUANCUI_PARTY])
    with pytest.raises(Conflict, match="尚有参与方未提交承诺"):  # huancui cannot reveal early
        await credit.reveal(draw.draw_id, shares[HUANCUI_PARTY])

    # a forged copy from another district is ignored; huancui's own reaches lingang
    await joint.joint_share_committed(at(lingang, "lingang"), committed, "wendeng")
    assert lingang.draws[draw.draw_id].commitments == []
    consumer = at(lingang, "lingang")
    await joint.joint_share_committed(consumer, committed, "huancui")
    (entry,) = lingang.draws[draw.draw_id].commitments
    assert entry["party"] == HUANCUI_PARTY and entry["key_id"] == committed.key.key_id
    assert (await lingang.ledger.get_key(committed.key.key_id)).holder == "huancui:hc-credit"

    parties = Parties(uow)
    for party in ("信用监管科", "办公室"):
        await parties.commit(draw.draw_id, party, shares[party])
    # every commit lingang recorded (huancui's too), read at huancui from lingang's topic
    for event in emitted(consumer, DrawShareCommitted) + emitted(uow, DrawShareCommitted):
        await joint.neighbour_share_committed(at(huancui, "huancui"), event, "lingang")
    revealed = await credit.reveal(draw.draw_id, shares[HUANCUI_PARTY])
    await joint.joint_share_revealed(at(lingang, "lingang"), revealed, "huancui")
    for party in ("信用监管科", "办公室"):
        await parties.reveal(draw.draw_id, party, shares[party])
    await parties.countersign(draw.draw_id)

    result = lingang.draws[draw.draw_id].result
    assert result is not None
    members = {i for t in result["targets"] for i, _ in t["team"]}
    assert any(i.startswith("huancui:HC") for i in members)  # the neighbour filled the teams
    assert verify_draw.verify(await published(lingang, draw.draw_id)).ok

    # huancui keeps the result lingang published, to show on its own public site
    (completed,) = emitted(uow, DrawCompleted)
    await joint.neighbour_draw_completed(at(huancui, "huancui"), completed, "wendeng")
    assert huancui.joint[draw.draw_id].status == "revealed"  # another district's claim: ignored
    await joint.neighbour_draw_completed(at(huancui, "huancui"), completed, "lingang")
    side = huancui.joint[draw.draw_id]
    assert side.status == "completed"
    assert side.result_sha256 == lingang.draws[draw.draw_id].result_sha256
    assert side.bundle_url == completed.bundle_url != ""
    now = at(huancui, "huancui").clock.now()  # the fakes' fixed clock
    assert (side.committed_at, side.revealed_at) == (now, now)
    (listed,) = (await public_joint_draws(FakeDeps(huancui))).items  # type: ignore[arg-type]
    assert listed.model_dump() == {
        "draw_id": draw.draw_id,
        "drawing_district": "lingang",
        "task_no": draw.task_no,
        "party": HUANCUI_PARTY,
        "status": "completed",
        "manifest_sha256": draw.manifest_sha256,
        "result_sha256": side.result_sha256,
        "bundle_url": completed.bundle_url,
    }
    assert (await public_joint_draws(FakeDeps(lingang))).total == 0  # type: ignore[arg-type]


async def test_a_result_that_is_no_digest_is_dropped_and_a_cancellation_closes_the_side() -> None:
    lingang = await loaded(200, 3)
    huancui = await huancui_roster(lingang)
    uow = FakeDrawsUnitOfWork(lingang)
    draw = await frozen_jointly(lingang, uow)
    (frozen,) = emitted(uow, DrawManifestFrozen)
    await joint.neighbour_manifest_frozen(at(huancui, "huancui"), frozen, "lingang")
    bogus = DrawCompleted(
        draw_id=draw.draw_id, task_id="T-1", task_no=draw.task_no, algorithm=p.ALGORITHM_SIGNED,
        seed_hex="00" * 32, population_size=0, targets=[], unstaffed=[],
        result_sha256="not-a-digest", bundle_url="/public/draws/x/bundle",
    )  # fmt: skip
    await joint.neighbour_draw_completed(at(huancui, "huancui"), bogus, "lingang")  # no raise
    side = huancui.joint[draw.draw_id]
    assert (side.status, side.result_sha256, side.bundle_url) == ("awaiting-commit", None, None)
    cancelled = DrawCancelled(draw_id=draw.draw_id, task_id="T-1", reason="重抽")
    await joint.neighbour_draw_cancelled(at(huancui, "huancui"), cancelled, "lingang")
    assert huancui.joint[draw.draw_id].status == "cancelled"
    with pytest.raises(Conflict, match="已作废"):
        await HuancuiCredit(huancui).commit(draw.draw_id, share(HUANCUI_PARTY))


async def test_a_neighbours_act_that_does_not_hold_is_dropped_not_retried() -> None:
    lingang = await loaded(200, 3)
    huancui = await huancui_roster(lingang)
    uow = FakeDrawsUnitOfWork(lingang)
    draw = await frozen_jointly(lingang, uow)
    (frozen,) = emitted(uow, DrawManifestFrozen)
    await joint.neighbour_manifest_frozen(at(huancui, "huancui"), frozen, "lingang")
    committed = await HuancuiCredit(huancui).commit(draw.draw_id, share(HUANCUI_PARTY))
    bad = committed.model_copy(update={"signature": "00" * 64})
    await joint.joint_share_committed(at(lingang, "lingang"), bad, "huancui")  # no exception
    assert lingang.draws[draw.draw_id].commitments == []
    # a party claimed for another district than the topic's is not even looked at
    claimed = committed.model_copy(update={"party": "wendeng:信用监管科"})
    await joint.joint_share_committed(at(lingang, "lingang"), claimed, "huancui")
    assert lingang.draws[draw.draw_id].commitments == []
