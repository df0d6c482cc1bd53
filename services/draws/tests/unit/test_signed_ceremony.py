"""spotcheck-draw/3 in the service (issue 12 §2): party keys, signed acts, the reveal deadline
and abort, the draw log, the unstaffed finding, replacements after the countersignature."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from draws import ed25519
from draws.domain import protocol as p
from draws.service_layer import services, views
from spotcheck_common.clock import FixedClock
from spotcheck_common.errors import Conflict, Forbidden, Invalid

from .fakes import FakeDrawsRepository, FakeDrawsUnitOfWork
from .parties import OFFICE, Parties, published, replaced, secret_of
from .test_service_layer import loaded, share

CLOCK = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)
CREDIT = "信用监管科"


async def frozen(repo: FakeDrawsRepository) -> tuple[FakeDrawsUnitOfWork, Parties, str]:
    uow = FakeDrawsUnitOfWork(repo, actor="creator", clock=FixedClock(CLOCK))
    draw = await services.create_draw(uow, district="lingang", task_id="T-1")
    return uow, Parties(uow), draw.draw_id


async def test_a_new_draw_is_version_3_with_a_reveal_deadline_and_is_logged() -> None:
    repo = await loaded()
    uow, parties, draw_id = await frozen(repo)
    draw = repo.draws[draw_id]
    assert draw.manifest["algorithm"] == p.ALGORITHM_SIGNED
    assert datetime.fromisoformat(draw.manifest["reveal_deadline"]) == CLOCK + timedelta(hours=72)
    await parties.run(draw_id, {q: share(q) for q in draw.parties})
    log = await views.log(uow, "lingang", 0, 100)
    kinds = [e["record"]["kind"] for e in log["records"]]
    assert kinds == [
        "frozen",
        "key-registered",
        "committed",
        "key-registered",
        "committed",
        "revealed",
        "revealed",
        "drawn",
        "key-registered",
        "countersigned",
    ]
    prev = p.LOG_GENESIS
    for n, entry in enumerate(log["records"], start=1):  # a chain, each hash its record's
        assert entry["record"]["seq"] == n and entry["record"]["prev"] == prev
        assert entry["hash"] == p.log_hash(entry["record"])
        prev = entry["hash"]
    assert log["head"] == {"seq": len(kinds), "hash": prev}
    frozen_record = log["records"][0]["record"]
    assert frozen_record["manifest_sha256"] == draw.manifest_sha256


async def test_a_commitment_binds_the_manifest() -> None:
    """Audit finding 1: the /1 commitment opened any manifest with the same draw id."""
    repo = await loaded()
    _, _, draw_id = await frozen(repo)
    digest = bytes.fromhex(repo.draws[draw_id].manifest_sha256)
    s = share(CREDIT)
    assert p.share_commitment_v3(digest, draw_id, CREDIT, s) != p.share_commitment_v3(
        bytes(32), draw_id, CREDIT, s
    )


async def test_unsigned_forged_or_borrowed_signatures_are_refused() -> None:
    repo = await loaded()
    uow, parties, draw_id = await frozen(repo)
    draw = repo.draws[draw_id]
    commitment = p.share_commitment_v3(draw.digest, draw_id, CREDIT, share(CREDIT))
    with pytest.raises(Invalid, match="签名"):
        await services.commit_share(uow.as_("zhang"), draw_id, CREDIT, commitment.hex())
    secret, key_id = await parties.key("zhang", CREDIT)
    other = ed25519.sign(secret, p.commit_message(bytes(32), CREDIT, commitment)).hex()
    with pytest.raises(Invalid, match="签名无效"):  # signed over another manifest
        await services.commit_share(
            uow.as_("zhang"), draw_id, CREDIT, commitment.hex(), key_id, other
        )
    good = ed25519.sign(secret, p.commit_message(draw.digest, CREDIT, commitment)).hex()
    with pytest.raises(Forbidden, match="他人不得使用"):  # zhang's key, li signed in
        await services.commit_share(uow.as_("li"), draw_id, CREDIT, commitment.hex(), key_id, good)
    _, office_key = await parties.key("zhang", OFFICE)
    with pytest.raises(Forbidden, match="代表「办公室」"):  # a key acts for its own party only
        await services.commit_share(
            uow.as_("zhang"), draw_id, CREDIT, commitment.hex(), office_key, good
        )
    with pytest.raises(Invalid, match="未登记"):
        await services.commit_share(
            uow.as_("zhang"), draw_id, CREDIT, commitment.hex(), "ab" * 16, good
        )
    await services.commit_share(uow.as_("zhang"), draw_id, CREDIT, commitment.hex(), key_id, good)
    assert repo.draws[draw_id].commitments[0]["key_id"] == key_id


async def test_a_reveal_is_signed_with_the_commitments_key_before_the_deadline() -> None:
    repo = await loaded()
    uow, parties, draw_id = await frozen(repo)
    for q in (CREDIT, OFFICE):
        await parties.commit(draw_id, q, share(q))
    # zhang's second key for the same party may not reveal what the first committed
    secret = hashlib.sha256(b"another").digest()
    public = ed25519.public_key(secret)
    today = uow.clock.today()
    message = p.key_message("lingang", CREDIT, CREDIT, public, str(today), str(today))
    second = await services.register_key(
        uow.as_(CREDIT),
        district="lingang",
        party=CREDIT,
        public_key=public.hex(),
        valid_from=today,
        valid_until=today,
        signature=ed25519.sign(secret, message).hex(),
    )
    draw = repo.draws[draw_id]
    sig = ed25519.sign(secret, p.reveal_message(draw.digest, CREDIT, share(CREDIT))).hex()
    with pytest.raises(Forbidden, match="提交承诺时的密钥"):
        await services.reveal_share(
            uow.as_(CREDIT), draw_id, CREDIT, share(CREDIT).hex(), second.key_id, sig
        )
    assert isinstance(uow.clock, FixedClock)
    uow.clock.set(CLOCK + timedelta(hours=73))
    with pytest.raises(Conflict, match="揭示截止时间"):
        await parties.reveal(draw_id, CREDIT, share(CREDIT))


async def test_a_missed_deadline_aborts_the_draw_in_the_log_and_frees_the_task() -> None:
    repo = await loaded()
    uow, parties, draw_id = await frozen(repo)
    for q in (CREDIT, OFFICE):
        await parties.commit(draw_id, q, share(q))
    await parties.reveal(draw_id, CREDIT, share(CREDIT))
    with pytest.raises(Conflict, match="尚未到"):
        await services.abort_draw(uow, draw_id)
    assert isinstance(uow.clock, FixedClock)
    uow.clock.set(CLOCK + timedelta(hours=72, seconds=1))
    await services.abort_draw(uow, draw_id)
    assert repo.draws[draw_id].status == "aborted"
    last = (await views.log(uow, "lingang", 0, 100))["records"][-1]["record"]
    assert (last["kind"], last["missing"]) == ("aborted", [OFFICE])
    assert uow.events[-1].name == "draw-cancelled"
    again = await services.create_draw(uow, district="lingang", task_id="T-1")
    assert again.manifest_sha256 != repo.draws[draw_id].manifest_sha256


async def test_a_cancellation_is_signed_and_logged() -> None:
    repo = await loaded()
    uow, parties, draw_id = await frozen(repo)
    with pytest.raises(Invalid, match="签名"):
        await services.cancel_draw(uow, draw_id, "范围有误")
    await parties.cancel(draw_id, "范围有误")
    last = (await views.log(uow, "lingang", 0, 100))["records"][-1]["record"]
    assert last["kind"] == "cancelled" and last["reason"] == "范围有误" and last["signature"]


async def test_keys_prove_possession_expire_and_are_revoked() -> None:
    repo = await loaded()
    uow = FakeDrawsUnitOfWork(repo, actor="zhang", clock=FixedClock(CLOCK))
    secret = secret_of("zhang", CREDIT)
    public = ed25519.public_key(secret)
    start, end = date(2026, 11, 1), date(2027, 10, 31)

    async def register(signature: str, until: date = end) -> object:
        return await services.register_key(
            uow,
            district="lingang",
            party=CREDIT,
            public_key=public.hex(),
            valid_from=start,
            valid_until=until,
            signature=signature,
        )

    message = p.key_message("lingang", CREDIT, "zhang", public, str(start), str(end))
    with pytest.raises(Invalid, match="证明持有私钥"):  # signed by someone else's key
        await register(ed25519.sign(bytes(32), message).hex())
    with pytest.raises(Invalid, match="最长两年"):
        await register(ed25519.sign(secret, message).hex(), date(2029, 1, 1))
    await register(ed25519.sign(secret, message).hex())
    with pytest.raises(Conflict, match="已登记"):
        await register(ed25519.sign(secret, message).hex())
    key_id = p.key_id_of(public)
    with pytest.raises(Forbidden, match="本人或办公室"):
        await services.revoke_key(uow.as_("li"), key_id, "遗失", may_revoke_any=False)
    await services.revoke_key(uow.as_("zhang"), key_id, "遗失", may_revoke_any=False)
    key = await uow.ledger.get_key(key_id)
    assert key is not None and key.revoked_seq == 2
    _, _, draw_id = await frozen(repo)
    draw = repo.draws[draw_id]
    commitment = p.share_commitment_v3(draw.digest, draw_id, CREDIT, share(CREDIT))
    sig = ed25519.sign(secret, p.commit_message(draw.digest, CREDIT, commitment)).hex()
    with pytest.raises(Forbidden, match="已被吊销"):
        await services.commit_share(
            uow.as_("zhang"), draw_id, CREDIT, commitment.hex(), key_id, sig
        )


async def test_unstaffed_targets_are_a_finding_before_countersigning() -> None:
    """Issue 12 §2.8: a target left unstaffed is something the office must see."""
    repo = await loaded(300, 1)  # one inspector, teams of two: no target can be staffed
    _, parties, draw_id = await frozen(repo)
    draw = await parties.run(draw_id, {q: share(q) for q in (CREDIT, OFFICE)}, countersign=False)
    assert draw.result is not None and draw.result["unstaffed"]
    assert len(draw.result["unstaffed_reasons"]) == len(draw.result["unstaffed"])
    with pytest.raises(Invalid, match="未能配齐检查人员"):
        await parties.countersign(draw_id, acknowledge=False)
    done = await parties.countersign(draw_id, acknowledge=True)
    assert done.status == "completed"


async def test_replacements_follow_the_countersignature() -> None:
    repo = await loaded()
    uow, parties, draw_id = await frozen(repo)
    draw = await parties.run(draw_id, {q: share(q) for q in (CREDIT, OFFICE)}, countersign=False)
    assert draw.result is not None
    target = next(t for t in draw.result["targets"] if t["team"])
    approval = await services.approve_replacement(
        uow.as_("deputy"),
        draw_id,
        uscc=target["uscc"],
        inspector_id=target["team"][1][0],
        reason="病假",
        by_name="王",
    )
    asked = {"uscc": target["uscc"], "inspector_id": target["team"][1][0], "reason": "病假"}
    with pytest.raises(Conflict, match="会签后"):
        await services.replace_inspector(
            uow.as_("zhang"), draw_id, **asked, approval_id=approval["approval_id"]
        )
    await parties.countersign(draw_id)
    held = await services.replace_inspector(
        uow.as_("zhang"), draw_id, **asked, approval_id=approval["approval_id"]
    )
    last = (await views.log(uow, "lingang", 0, 100))["records"][-1]["record"]
    assert last["kind"] == "countersigned"  # held until the office countersigns it
    second = await services.approve_replacement(uow.as_("deputy"), draw_id, **asked, by_name="王")
    with pytest.raises(Conflict, match="待办公室会签"):  # one at a time on a target
        await services.replace_inspector(
            uow.as_("zhang"), draw_id, **asked, approval_id=second["approval_id"]
        )
    with pytest.raises(Invalid, match="签名"):
        await services.countersign_replacement(
            uow.as_("office"), draw_id, approval["approval_id"], "office"
        )
    record = await replaced(parties, draw_id, approval["approval_id"])
    assert record["replacement"] == held["replacement"] and record["countersign"]["signature"]
    last = (await views.log(uow, "lingang", 0, 100))["records"][-1]["record"]
    assert last["kind"] == "replaced" and last["replacement_sha256"] == p.json_sha256(record)


def test_leaders_have_their_own_cap_so_a_scarce_leader_pool_staffs_every_target() -> None:
    """Issue 12 §2.8: 78 inspectors of whom 26 may lead, teams of 2, 310 targets: the common
    cap staffed exactly 26 × 9 = 234; with the leaders' own cap every target is staffed."""
    pool = [p.Candidate(f"I{k:03d}", 0, k % 3 == 0) for k in range(78)]
    targets = [f"T{k:04d}" for k in range(310)]
    key = bytes(32)

    def staffed(per_role: bool) -> p.MatchResult:
        matcher = p.Matcher(key, pool, 2, len(targets), lambda i, u: False, per_role=per_role)
        return matcher.run(targets)

    before, after = staffed(False), staffed(True)
    assert len(before.teams) == 234 and set(before.short.values()) == {"leader"}
    assert len(after.teams) == 310 and not after.unstaffed
    assert (after.load_cap, after.leader_load_cap) == (9, 13)
    leaders = {c.inspector_id for c in pool if c.leader_qualified}
    assert all(after.loads[i] <= (13 if i in leaders else 9) for i in after.loads)


async def test_a_future_beacon_is_entered_only_after_every_reveal_once_public() -> None:
    """Audit finding 3: with the beacon known before the last reveal, the last revealer could
    compute the result and refuse to reveal. A /3 beacon is public only after the deadline."""
    repo = await loaded()
    uow = FakeDrawsUnitOfWork(repo, actor="creator", clock=FixedClock(CLOCK))
    named = {"beacon_source": "中国福利彩票双色球第2026140期开奖号码"}
    with pytest.raises(Invalid, match="字节编码"):
        await services.create_draw(uow, district="lingang", task_id="T-1", **named)
    encoding = "红球按开奖顺序、蓝球在后，两位十进制，以 . 连接，UTF-8"
    with pytest.raises(Invalid, match="揭示截止时间"):
        await services.create_draw(
            uow,
            district="lingang",
            task_id="T-1",
            beacon_encoding=encoding,
            beacon_available_at=CLOCK + timedelta(hours=24),
            **named,
        )
    public_at = CLOCK + timedelta(hours=80)
    draw = await services.create_draw(
        uow,
        district="lingang",
        task_id="T-1",
        beacon_encoding=encoding,
        beacon_available_at=public_at,
        **named,
    )
    assert draw.manifest["beacon"]["available_at"] == public_at.isoformat()
    parties = Parties(uow)
    value = b"03.11.17.22.28.31.09".hex()
    for q in (CREDIT, OFFICE):
        await parties.commit(draw.draw_id, q, share(q))
    await parties.reveal(draw.draw_id, CREDIT, share(CREDIT))
    with pytest.raises(Conflict, match="揭示种子后"):
        await services.set_beacon(uow, draw.draw_id, value)
    drawn = await parties.reveal(draw.draw_id, OFFICE, share(OFFICE))
    assert drawn.status == "committed"  # every share in, the beacon still to come
    with pytest.raises(Conflict, match="之后才公布"):
        await services.set_beacon(uow, draw.draw_id, value)
    assert isinstance(uow.clock, FixedClock)
    uow.clock.set(public_at + timedelta(minutes=5))
    done = await services.set_beacon(uow, draw.draw_id, value)
    assert done.status == "drawn"
    kinds = [e["record"]["kind"] for e in (await views.log(uow, "lingang", 0, 100))["records"]]
    assert kinds[-3:] == ["revealed", "beacon", "drawn"]


async def test_disclosures_are_exactly_the_recusals_met_in_order() -> None:
    """Audit finding 4: the operator holds every salt and could open recusals that never
    mattered, or reorder them. In /3 the verifier requires the disclosures to be exactly the
    recusals the replay meets, in the order met (spec §14.9)."""
    from draws import verify_draw
    from spotcheck_common.events.registry import ConflictDeclared

    repo = await loaded()
    for e in list(repo.entities)[:250]:
        for inspector in [f"LG{k:04d}" for k in range(1, 9)]:
            await services.conflict_declared(
                FakeDrawsUnitOfWork(repo),
                ConflictDeclared(inspector_id=inspector, uscc=e, reason="亲属"),
            )
    _, parties, draw_id = await frozen(repo)
    await parties.run(draw_id, {q: share(q) for q in (CREDIT, OFFICE)})
    bundle = await published(repo, draw_id)
    assert verify_draw.verify(bundle, workers=1).ok
    disclosed = bundle["body"]["result"]["recusal_disclosures"]
    assert len(disclosed) >= 2

    def resealed(change: Callable[[list[dict[str, str]]], None]) -> dict[str, Any]:
        body = json.loads(json.dumps(bundle["body"]))
        change(body["result"]["recusal_disclosures"])
        body["result_sha256"] = p.json_sha256(body["result"])
        return {"body": body, "body_sha256": p.json_sha256(body)}

    met = {(d["inspector_id"], d["uscc"]) for d in disclosed}
    i, u, salt = next(x for x in repo.salts[draw_id] if (x[0], x[1]) not in met)
    unmet = {"uscc": u, "inspector_id": i, "salt": salt}
    report = verify_draw.verify(resealed(lambda ds: ds.append(unmet)), workers=1)
    assert not report.ok and "never met" in (report.difference or "")
    report = verify_draw.verify(resealed(lambda ds: ds.reverse()), workers=1)
    assert not report.ok and "in order" in (report.difference or "")


async def test_before_countersigning_the_disclosures_are_audited_and_logged() -> None:
    """§14.9: the service recomputes the result from the sealed declarations and checks that
    no declared conflict sits on a team, then records the audit in the countersign record."""
    repo = await loaded()
    _, parties, draw_id = await frozen(repo)
    draw = await parties.run(draw_id, {q: share(q) for q in (CREDIT, OFFICE)}, countersign=False)
    assert draw.result is not None
    target = next(t for t in draw.result["targets"] if t["team"])
    # a declaration sealed for someone who sits on the team (as a tampered table would have it)
    repo.salts[draw_id].append((target["team"][0][0], target["uscc"], "00" * 16))
    with pytest.raises(Conflict, match="复核未通过"):
        await parties.countersign(draw_id)
    repo.salts[draw_id].pop()
    await parties.countersign(draw_id)
    uow = FakeDrawsUnitOfWork(repo)
    last = (await views.log(uow, "lingang", 0, 100))["records"][-1]["record"]
    assert last["kind"] == "countersigned"
    assert last["audit"] == {
        "sealed": len(repo.salts[draw_id]),
        "disclosed": len(draw.result["recusal_disclosures"]),
        "recomputed": True,
    }


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (lambda b: b["manifest"].update(comment="x"), "manifest: unknown key 'comment'"),
        (lambda b: b["result"].pop("leader_load_cap"), "leader_load_cap"),
        (lambda b: b["manifest"].update(draw_id="DRAW-1"), "lower-case UUID"),
        (lambda b: b["manifest"]["strata"][0].update(ratio_bp=10001), "ratio_bp"),
        (lambda b: b["manifest"]["population"].update(chunk_size=128), "chunk_size"),
        (lambda b: b["manifest"].update(draw_date="20261126"), "YYYY-MM-DD"),
        (lambda b: b["roster"][0].update(note=""), "roster[0]: unknown key 'note'"),
        (lambda b: b["commitments"][0].update(device="x"), "commitments[0]: unknown key"),
    ],
)
async def test_a_v3_bundle_has_exactly_its_keys_ranges_and_formats(
    change: Callable[[dict[str, Any]], Any], named: str
) -> None:
    """Spec precision (§14.10): unknown keys are refused, not ignored; numbers have ranges;
    identifiers and dates one exact format."""
    from draws import verify_draw

    repo = await loaded()
    _, parties, draw_id = await frozen(repo)
    await parties.run(draw_id, {q: share(q) for q in (CREDIT, OFFICE)})
    body = (await published(repo, draw_id))["body"]
    change(body)
    report = verify_draw.verify({"body": body, "body_sha256": p.json_sha256(body)}, workers=1)
    assert not report.ok and named in (report.difference or ""), report.difference


async def test_an_unknown_status_code_is_refused_in_any_row() -> None:
    """§14.10: a status code outside 0..4 is refused even in a row no walk reaches."""
    import base64

    from draws import verify_draw

    repo = await loaded()
    _, parties, draw_id = await frozen(repo)
    await parties.run(draw_id, {q: share(q) for q in (CREDIT, OFFICE)})
    body = (await published(repo, draw_id))["body"]
    cols = {k: base64.b64decode(v) for k, v in body["population"].items()}
    status = bytearray(cols["status"])
    status[-1] = 7
    pop = p.Population(
        cols["uscc"], cols["stratum"], bytes(status), cols["checks"], cols["attributes"]
    )
    body["population"]["status"] = base64.b64encode(bytes(status)).decode()
    body["manifest"]["population"]["merkle_root"] = p.population_root(pop).hex()
    body["manifest_sha256"] = p.json_sha256(body["manifest"])
    report = verify_draw.verify({"body": body, "body_sha256": p.json_sha256(body)}, workers=1)
    assert not report.ok and "unknown status code 7" in (report.difference or "")


async def test_the_yearly_checks_name_the_draws_they_count() -> None:
    """Audit finding 6: `checks` was a bare count. In /3 the manifest lists the draws it
    counts (ids and result digests); their bundles recompute the column (spec §14.12)."""
    from draws import verify_draw

    from . import factories
    from .test_service_layer import run_draw

    repo = await loaded(60, 24)
    for n in (1, 2, 3):
        await services.task_approved(
            FakeDrawsUnitOfWork(repo), factories.task(f"T-{n}", {k: 10000 for k in "ABCDE"})
        )
    first, _ = await run_draw(repo, "T-1", "a")
    second, _ = await run_draw(repo, "T-2", "b")
    third, _ = await run_draw(repo, "T-3", "c")
    listed = repo.draws[third].manifest["checks"]
    assert listed["year"] == 2026
    assert [d["draw_id"] for d in listed["draws"]] == sorted([first, second])
    assert {d["draw_id"]: d["result_sha256"] for d in listed["draws"]} == {
        d: repo.draws[d].result_sha256 for d in (first, second)
    }
    raws = {d: p.canonical_json(await published(repo, d)) for d in (first, second, third)}
    ok = verify_draw.verify_bytes(raws[third], workers=1, priors=[raws[first], raws[second]])
    assert ok.ok, ok.difference
    missing = verify_draw.verify_bytes(raws[third], workers=1, priors=[raws[first]])
    assert not missing.ok and "is not given" in (missing.difference or "")
    wrong = verify_draw.verify_bytes(raws[second], workers=1, priors=[raws[third]])
    assert not wrong.ok and "not listed" in (wrong.difference or "")


async def test_every_population_row_carries_its_scope_attributes() -> None:
    """Audit finding 6: the leaves carried no scope attributes. In /3 each row's entity type,
    industry and area are in its leaf (indices into the manifest's vocabulary), and the
    verifier checks every row lies in the task's scope (spec §14.13)."""
    import base64

    from draws import verify_draw

    repo = await loaded()
    _, parties, draw_id = await frozen(repo)
    await parties.run(draw_id, {q: share(q) for q in (CREDIT, OFFICE)})
    bundle = await published(repo, draw_id)
    body = bundle["body"]
    vocabulary = body["manifest"]["population"]["vocabulary"]
    pop = repo.populations[draw_id]
    areas = base64.b64decode(body["population"]["attributes"])[4 * pop.size :]
    first = repo.entities[pop.code(0).decode()]
    assert vocabulary["areas"][int.from_bytes(areas[:2], "big")] == first["area"]
    assert verify_draw.verify(bundle, workers=1).ok
    # a scope that leaves out an area some row has: the verifier names the row's area
    scoped = json.loads(json.dumps(body))
    scoped["manifest"]["target_filter"]["areas"] = [vocabulary["areas"][0]]
    scoped["manifest_sha256"] = p.json_sha256(scoped["manifest"])
    report = verify_draw.verify({"body": scoped, "body_sha256": p.json_sha256(scoped)}, workers=1)
    assert len(vocabulary["areas"]) > 1 and not report.ok
    assert "outside target_filter.areas" in (report.difference or "")


async def test_replacements_take_the_alternates_the_draw_fixed() -> None:
    """Audit finding 5: replacements drawn at request time could be steered by choosing whom
    to replace and when. In /3 each position's alternates are the next candidates its search
    held as the team was found — fixed by the draw, different from target to target — and a
    replacement takes the first still possible (spec §14.11)."""
    from draws import verify_draw
    from draws.domain import engine

    repo = await loaded()
    uow, parties, draw_id = await frozen(repo)
    draw = await parties.run(draw_id, {q: share(q) for q in (CREDIT, OFFICE)})
    assert draw.result is not None and draw.manifest["team"]["alternates"] == p.ALTERNATES
    staffed = [t for t in draw.result["targets"] if t["team"]]

    def alternates(uscc: str) -> list[tuple[list[str], list[str]]]:
        return engine.alternates_of(
            manifest=draw.manifest,
            seed=bytes.fromhex(draw.seed_hex or ""),
            roster=[p.RosterEntry.from_json(r) for r in draw.roster],
            salts=repo.salts[draw_id],
            expert_roster=[],
            result=draw.result,
            uscc=uscc,
        )

    lists = {t["uscc"]: alternates(t["uscc"]) for t in staffed[:12]}
    assert len({tuple(a[1][0]) for a in lists.values()}) > 1  # not everyone's same alternates
    target = staffed[0]
    fixed = lists[target["uscc"]][1][0]
    assert len(fixed) == p.ALTERNATES and not set(fixed) & {i for i, _ in target["team"]}

    async def replace() -> dict[str, Any]:
        holder = repo.draws[draw_id].team_of(target["uscc"])[1][0]
        asked = {"uscc": target["uscc"], "inspector_id": holder, "reason": "病假"}
        approval = await services.approve_replacement(
            uow.as_("deputy"), draw_id, **asked, by_name="王"
        )
        await services.replace_inspector(
            uow.as_("zhang"), draw_id, **asked, approval_id=approval["approval_id"]
        )
        return await replaced(parties, draw_id, approval["approval_id"])

    assert [(await replace())["replacement"] for _ in fixed] == fixed  # in the draw's order
    with pytest.raises(Invalid, match="备选人员均不可用"):
        await replace()
    bundle = await published(repo, draw_id)
    assert verify_draw.verify(bundle, workers=1).ok
    body = json.loads(json.dumps(bundle["body"]))
    body["replacements"][0]["replacement"] = fixed[1]  # another than the draw fixed
    report = verify_draw.verify({"body": body, "body_sha256": p.json_sha256(body)}, workers=1)
    assert not report.ok and "replacement 1 of" in (report.difference or "")
