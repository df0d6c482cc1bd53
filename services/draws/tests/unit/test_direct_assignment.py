"""Direct assignment (直接委派, 第六条; draw-spec §15) on fakes: the deputy director's approval
before the freeze, the manifest saying so, the targets drawn at random, the teams assigned
and signed by the credit department under the hard rules, the countersignature by someone
else, the event, the statistic and its gauge — and the verifier refusing what breaks it."""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import REGISTRY

from draws import ed25519, verify_draw
from draws.domain import assignment as da
from draws.domain import protocol as p
from draws.domain.model import Draw
from draws.entrypoints import periodic
from draws.service_layer import services, views
from spotcheck_common.errors import Conflict, Forbidden, Invalid, NotFound
from spotcheck_common.events.draws import DrawCompleted

from . import factories
from .fakes import FakeDrawsRepository, FakeDrawsUnitOfWork
from .parties import Parties, published
from .test_service_layer import NOW, loaded, share

CREDIT = da.ASSIGNING_PARTY
REASON = "本区执法检查人员有限，不能满足随机匹配条件"
VECTOR = Path(__file__).resolve().parents[4] / "docs" / "draw-vectors" / "direct-assignment"


async def approved(repo: FakeDrawsRepository, task_id: str = "T-1") -> dict[str, Any]:
    uow = FakeDrawsUnitOfWork(repo, actor="deputy")
    return await services.approve_direct_assignment(uow, task_id, reason=REASON, by_name="王副局长")


async def drawn_for_assignment(repo: FakeDrawsRepository) -> tuple[Parties, Draw]:
    """A direct-assignment draw of T-1 whose targets are drawn (every share revealed)."""
    approval = await approved(repo)
    uow = FakeDrawsUnitOfWork(repo, actor="creator")
    draw = await services.create_draw(
        uow, district="lingang", task_id="T-1", now=NOW, direct_approval=approval["approval_id"]
    )
    parties = Parties(uow)
    draw = await parties.run(draw.draw_id, {q: share(q) for q in draw.parties}, countersign=False)
    return parties, draw


def valid_assignment(repo: FakeDrawsRepository, draw: Draw) -> list[dict[str, Any]]:
    assert draw.result is not None
    return factories.assigned_teams(
        draw.manifest,
        [p.RosterEntry.from_json(r) for r in draw.roster],
        [],
        repo.salts[draw.draw_id],
        [t["uscc"] for t in draw.result["targets"]],
    )


async def assign(
    parties: Parties,
    draw: Draw,
    assignment: list[dict[str, Any]],
    person: str = "credit-assigner",
    party: str = CREDIT,
) -> Draw:
    secret, key_id = await parties.key(person, party)
    signature = ed25519.sign(secret, da.assign_message(draw.digest, assignment)).hex()
    return await services.assign_teams(
        parties.uow.as_(person), draw.draw_id, assignment, person, key_id, signature
    )


async def test_the_approval_is_the_deputy_directors_act_before_the_freeze() -> None:
    repo = await loaded()
    approval = await approved(repo)
    assert (approval["by"], approval["by_name"], approval["reason"]) == (
        "deputy",
        "王副局长",
        REASON,
    )
    assert await repo.direct_approvals_of("T-1") == [approval]
    uow = FakeDrawsUnitOfWork(repo, actor="deputy")
    with pytest.raises(Invalid, match="理由"):
        await services.approve_direct_assignment(uow, "T-1", reason="  ", by_name="王副局长")
    with pytest.raises(NotFound):
        await services.approve_direct_assignment(uow, "T-9", reason=REASON, by_name="王副局长")
    creator = FakeDrawsUnitOfWork(repo, actor="creator")
    with pytest.raises(Invalid, match="须先经分管局长批准"):  # no such approval
        await services.create_draw(creator, district="lingang", task_id="T-1", direct_approval="x")
    await services.create_draw(creator, district="lingang", task_id="T-1")  # drawn at random
    with pytest.raises(Conflict, match="冻结抽取清单之前"):
        await services.approve_direct_assignment(uow, "T-1", reason=REASON, by_name="王副局长")


async def test_an_approval_of_another_task_does_not_count() -> None:
    repo = await loaded()
    other = factories.task("T-2").model_dump(mode="json")
    await repo.upsert_task(other, NOW)
    approval = await approved(repo, "T-2")
    with pytest.raises(Invalid, match="T-1"):
        await services.create_draw(
            FakeDrawsUnitOfWork(repo, actor="creator"),
            district="lingang",
            task_id="T-1",
            direct_approval=approval["approval_id"],
        )


async def test_the_manifest_says_so_and_the_targets_wait_for_their_teams() -> None:
    repo = await loaded()
    parties, draw = await drawn_for_assignment(repo)
    approval = (await repo.direct_approvals_of("T-1"))[0]
    assert draw.manifest["matching"] == {
        "rule": "direct-assignment",
        "reason": REASON,
        "approval": {
            "approval_id": approval["approval_id"],
            "approved_by": "王副局长",
            "approved_at": approval["at"],
        },
    }
    assert draw.status == "assigning" and draw.result_sha256 is None
    assert draw.result is not None and draw.result["targets"]
    assert all(t["team"] == [] for t in draw.result["targets"])
    with pytest.raises(Conflict, match="尚未完成"):  # no bundle of a result without its teams
        await views.bundle(parties.uow, draw.draw_id)
    with pytest.raises(Conflict):  # nothing to countersign yet
        await parties.countersign(draw.draw_id)
    kinds = [r["kind"] for r in await repo.ledger.records("lingang", 0, 100)]
    assert "drawn" not in kinds and not repo.checks  # the result is complete only with teams


@pytest.mark.parametrize(
    ("break_it", "message"),
    [
        (lambda a, ids: a.pop(), "每个抽中的检查对象各委派一次"),
        (lambda a, ids: a.reverse(), "每个抽中的检查对象各委派一次"),
        (lambda a, ids: a[0]["team"].pop(), "恰有 2 名"),
        (lambda a, ids: a[0]["team"].reverse(), "组长"),
        (lambda a, ids: a[0]["team"][1].__setitem__(0, "LG9999"), "不在本次抽取冻结的名录"),
        (lambda a, ids: a[0]["team"][1].__setitem__(0, ids["unqualified"]), "不在人员库"),
        (lambda a, ids: a[0]["team"][0].__setitem__(0, ids["not_leader"]), "不具备组长资格"),
    ],
)
async def test_an_assignment_breaking_a_hard_rule_is_refused(break_it: Any, message: str) -> None:
    repo = await loaded()
    parties, draw = await drawn_for_assignment(repo)
    roster = [p.RosterEntry.from_json(r) for r in draw.roster]
    ids = {
        "unqualified": next(r.inspector_id for r in roster if p.static_exclusion(r, draw.manifest)),
        "not_leader": next(
            r.inspector_id
            for r in roster
            if not r.leader_qualified and p.static_exclusion(r, draw.manifest) is None
        ),
    }
    assignment = valid_assignment(repo, draw)
    break_it(assignment, ids)
    with pytest.raises(Invalid, match=message):
        await assign(parties, draw, assignment)
    assert repo.draws[draw.draw_id].status == "assigning"


async def test_a_recused_inspector_cannot_be_assigned() -> None:
    repo = await loaded()
    parties, draw = await drawn_for_assignment(repo)
    assert draw.result is not None
    ((inspector, uscc, _),) = repo.salts[draw.draw_id]  # the one declared conflict
    assignment = valid_assignment(repo, draw)
    targets = [a["uscc"] for a in assignment]
    if uscc not in targets:  # put the declared conflict on a drawn target of this draw
        repo.salts[draw.draw_id] = [(inspector, targets[0], "00" * 16)]
        uscc = targets[0]
    entry = assignment[targets.index(uscc)]
    entry["team"][-1][0] = inspector if entry["team"][0][0] != inspector else entry["team"][-1][0]
    with pytest.raises(Invalid, match="须回避"):
        await assign(parties, draw, assignment)


async def test_only_the_credit_departments_signature_assigns() -> None:
    repo = await loaded()
    parties, draw = await drawn_for_assignment(repo)
    assignment = valid_assignment(repo, draw)
    with pytest.raises(Forbidden, match="不能代表「信用监管科」"):
        await assign(parties, draw, assignment, person="office-x", party=p.OFFICE_PARTY)
    secret, key_id = await parties.key("credit-assigner", CREDIT)
    other = copy.deepcopy(assignment)
    other[0]["team"][1][0] = "LG0000"
    signed_other = ed25519.sign(secret, da.assign_message(draw.digest, other)).hex()
    with pytest.raises(Invalid, match="签名无效"):  # signed another assignment than posted
        await services.assign_teams(
            parties.uow.as_("credit-assigner"),
            draw.draw_id,
            assignment,
            "credit-assigner",
            key_id,
            signed_other,
        )


async def test_a_direct_draw_completes_verifiably_and_says_it_was_assigned() -> None:
    repo = await loaded()
    parties, draw = await drawn_for_assignment(repo)
    assignment = valid_assignment(repo, draw)
    draw = await assign(parties, draw, assignment)
    assert draw.status == "drawn" and draw.assignment is not None
    assert draw.assignment["by"] == "credit-assigner" and draw.result_sha256
    with pytest.raises(Forbidden, match="直接委派了本次抽取的检查组"):
        await parties.countersign(draw.draw_id, person="credit-assigner")
    draw = await parties.countersign(draw.draw_id)
    assert draw.status == "completed"
    records = await repo.ledger.records("lingang", 0, 100)
    kinds = [r["kind"] for r in records if r.get("draw_id") == draw.draw_id]
    assert kinds[-3:] == ["assigned", "drawn", "countersigned"]
    completed = parties.uow.events[-1]
    assert isinstance(completed, DrawCompleted)
    assert completed.assignment_reason == REASON
    assert completed.targets and all(t.assigned for t in completed.targets)
    assert [[m.inspector_id for m in t.team] for t in completed.targets] == [
        [m[0] for m in a["team"]] for a in assignment
    ]
    bundle = await published(repo, draw.draw_id)
    report = verify_draw.verify(bundle)
    assert report.ok, report.difference
    assert any("ASSIGNED DIRECTLY" in line for line in report.lines)
    with pytest.raises(Conflict, match="直接委派的检查组"):  # no alternates to replace from
        await services.approve_replacement(
            parties.uow.as_("deputy"),
            draw.draw_id,
            uscc=assignment[0]["uscc"],
            inspector_id=assignment[0]["team"][1][0],
            reason="病假",
            by_name="王副局长",
        )


async def test_a_random_draw_cannot_be_assigned() -> None:
    repo = await loaded()
    uow = FakeDrawsUnitOfWork(repo, actor="creator")
    draw = await services.create_draw(uow, district="lingang", task_id="T-1", now=NOW)
    parties = Parties(uow)
    draw = await parties.run(draw.draw_id, {q: share(q) for q in draw.parties}, countersign=False)
    assert "matching" not in draw.manifest and draw.status == "drawn"
    with pytest.raises(Conflict, match="随机匹配"):
        await assign(parties, draw, [])


async def test_the_share_of_assigned_teams_per_department_and_its_gauge() -> None:
    repo = await loaded()
    parties, draw = await drawn_for_assignment(repo)
    draw = await assign(parties, draw, valid_assignment(repo, draw))
    draw = await parties.countersign(draw.draw_id)
    assert draw.result is not None
    assigned = sum(1 for t in draw.result["targets"] if t["team"])
    other = factories.task("T-2").model_dump(mode="json") | {"lead_department": "食品安全科"}
    await repo.upsert_task(other, NOW)
    uow = FakeDrawsUnitOfWork(repo, actor="creator2")
    random = await services.create_draw(uow, district="lingang", task_id="T-2", now=NOW)
    random = await Parties(uow).run(random.draw_id, {q: share(q, "2") for q in random.parties})
    assert random.result is not None
    drawn = sum(1 for t in random.result["targets"] if t["team"])
    shares = await services.direct_assignment_shares(uow)
    assert shares == [
        {"department": "信用监管科", "teams": assigned, "assigned": assigned, "share_bp": 10000},
        {"department": "食品安全科", "teams": drawn, "assigned": 0, "share_bp": 0},
    ]
    periodic.set_gauges(shares)
    ratio = "spotcheck_direct_assignment_ratio"
    assert REGISTRY.get_sample_value(ratio, {"department": "信用监管科"}) == 1.0
    assert REGISTRY.get_sample_value(ratio, {"department": "食品安全科"}) == 0.0
    teams = "spotcheck_draw_teams"
    labels = {"department": "食品安全科", "matching": "drawn"}
    assert REGISTRY.get_sample_value(teams, labels) == drawn


# ------------------------------------------------------------------------------ verifier


def vector() -> dict[str, Any]:
    return dict(json.loads((VECTOR / "bundle.json").read_bytes()))


def forged(change: Any, manifest: bool = False) -> verify_draw.Report:
    """The vector after ``change(body)``, its digests recomputed as a forger would."""
    bundle = vector()
    body = bundle["body"]
    change(body)
    if manifest:
        body["manifest_sha256"] = p.json_sha256(body["manifest"])
    body["result_sha256"] = p.json_sha256(body["result"])
    bundle["body_sha256"] = p.json_sha256(body)
    return verify_draw.verify(bundle, workers=1)


def _team(body: dict[str, Any], n: int) -> list[list[str]]:
    team: list[list[str]] = body["result"]["targets"][n]["team"]
    return team


@pytest.mark.parametrize(
    ("change", "manifest", "difference"),
    [
        (lambda b: _team(b, 0)[1].__setitem__(0, "LG9999"), False, "not on the roster"),
        (lambda b: _team(b, 0)[1].__setitem__(0, "LG0002"), False, "declared conflict"),
        (lambda b: _team(b, 0).reverse(), False, "exactly one leader"),
        (lambda b: _team(b, 0).pop(), False, "not 2 assigned inspectors"),
        (lambda b: b["result"]["targets"][0]["experts"].clear(), False, "not 1 distinct"),
        (lambda b: b["result"]["targets"][0].__setitem__("team", []), False, "not 2 assigned"),
        (lambda b: b["result"]["unstaffed_reasons"].append("leader"), False, "unstaffed_reasons"),
        (lambda b: b.__setitem__("assignment", None), False, "were not assigned"),
        (lambda b: b["manifest"].pop("matching"), True, "unknown key 'assignment'"),
        (lambda b: b["manifest"]["matching"].__setitem__("reason", " "), True, "reason"),
        (lambda b: b["manifest"]["matching"].__setitem__("rule", "x"), True, "matching.rule"),
        (
            lambda b: b["manifest"]["matching"]["approval"].__setitem__(
                "approved_at", "2026-11-27T00:00:00+00:00"
            ),
            True,
            "after the freeze",
        ),
        (  # the assignment made another time than the log's 'assigned' record says
            lambda b: b["assignment"].__setitem__("at", "2026-11-29T03:13:00+00:00"),
            False,
            "'assigned' record",
        ),
    ],
)
def test_the_verifier_refuses_a_forged_direct_assignment(
    change: Any, manifest: bool, difference: str
) -> None:
    report = forged(change, manifest)
    assert not report.ok
    assert difference in (report.difference or ""), report.difference


def test_the_verifier_refuses_other_teams_than_the_signed_ones() -> None:
    """Another valid team for a target: the hard rules hold, the countersignature is redone,
    but the credit department's signature (and the log's digest) is of the assignment made."""

    def change(body: dict[str, Any]) -> None:
        team = _team(body, 0)
        team[1][0] = "LG0005" if team[1][0] != "LG0005" else "LG0004"
        body["countersign"]["result_sha256"] = p.json_sha256(body["result"])

    report = forged(change)
    assert not report.ok and "assignment_sha256" in (report.difference or "")


def test_the_verifier_refuses_a_countersignature_by_the_assigner(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Supervision is another person's (§15.3): the service refuses it (above); a bundle made
    without the service is refused by the verifier."""
    monkeypatch.setattr(factories, "ASSIGNER", "office-supervisor")
    original = Draw.sign

    def unchecked(self: Draw, *args: Any, **kwargs: Any) -> None:
        self.assigned_by = ""  # what a forger's own software would do
        original(self, *args, **kwargs)

    monkeypatch.setattr(Draw, "sign", unchecked)
    name = "direct-assignment"
    draw, pop, _ = factories._vector(name, factories.VECTORS[name])
    report = verify_draw.verify(factories.vector_bundle(name, draw, pop), workers=1)
    assert not report.ok and "who assigned the teams" in (report.difference or "")


def test_the_verifier_needs_the_assigned_record_in_the_log() -> None:
    def change(body: dict[str, Any]) -> None:
        records = body["log"]["records"]
        body["log"]["records"] = [r for r in records if r["record"]["kind"] != "assigned"]

    report = forged(change)
    assert not report.ok and "expected 'assigned'" in (report.difference or "")


NODE = shutil.which("node")


@pytest.mark.skipif(NODE is None, reason="node (20+) is not installed")
def test_the_public_sites_verifier_refuses_the_same_forgeries() -> None:
    """The JavaScript verifier (services/portal/…/js/verify) against §15: its node suite."""
    suite = Path(__file__).resolve().parents[1] / "js" / "direct_assignment.test.mjs"
    run = subprocess.run(
        [str(NODE), "--test", str(suite)], capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stdout + run.stderr
