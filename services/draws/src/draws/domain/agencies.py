"""Co-organising agencies in a draw (联合检查, 第三条; draw spec §16), pure.

A task may have other government agencies as co-organisers. Each brings an external roster
(inspectors ``<agency>:<id>``, kept with ``district`` = the agency's code, apart from the
bureau's) from which ``inspectors_per_team`` join every team, and a party of its own,
``<agency>:联合检查单位``, whose share its liaison (role ``agency_liaison``, with a claim naming
the agency) commits and reveals at this bureau. The bureau's staff cannot act for it, nor a
liaison for any other party.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from draws.domain import protocol as p
from draws.domain.engine import InspectorRow
from spotcheck_common.errors import Conflict, Forbidden, Invalid


def check_actor(party: str, agency: str | None) -> None:
    """Whoever acts for ``party``: an agency's party only its own liaison (``agency``), any
    other party never a liaison (403 otherwise)."""
    owner = p.agency_of_party(party)
    if owner is not None and agency != owner:
        raise Forbidden(
            f"「{party}」是联合检查单位的参与方：须由该单位的联络人（agency_liaison，"
            f"单位 {owner}）本人提交承诺和揭示，本局人员不得代为操作"
        )
    if owner is None and agency is not None:
        raise Forbidden(
            f"联合检查单位 {agency} 的联络人只能代表本单位的参与方，不能代表「{party}」"
        )


def check_reader(parties: Sequence[str], agency: str) -> None:
    """A liaison reads a draw only where its agency holds a party: it commits and reveals
    from that draw (403 otherwise)."""
    if p.agency_party(agency) not in parties:
        raise Forbidden(f"联合检查单位 {agency} 不是本次抽取的参与方，其联络人不能查看")


def parties(co_organisers: Sequence[Mapping[str, Any]]) -> list[str]:
    """The agencies' parties, in the manifest's order (by agency code)."""
    return [p.agency_party(str(co["agency"])) for co in sorted_by_agency(co_organisers)]


def sorted_by_agency(co_organisers: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    return sorted(co_organisers, key=lambda co: str(co["agency"]).encode("utf-8"))


def check_rosters(
    co_organisers: Sequence[Mapping[str, Any]],
    rows: Mapping[str, Sequence[InspectorRow]],
    draw_date: date,
    districts: Sequence[str],
    direct: bool,
) -> None:
    """A promised agency is there, or the draw is refused (409), never silently dropped: each
    co-organiser has at least ``inspectors_per_team`` inspectors who may be matched (active,
    certificate valid on the draw date, qualified for its items, §16.2)."""
    if direct and co_organisers:
        raise Invalid("有联合检查单位的任务须随机匹配（§16），不能直接委派")
    for co in co_organisers:
        agency, per = str(co["agency"]), int(co.get("inspectors_per_team", 1))
        if agency in districts:
            raise Invalid(f"联合检查单位代码「{agency}」与本区或相邻区同名")
        usable = [
            r
            for r in rows.get(agency, [])
            if r.active
            and r.certificate_expires_on >= draw_date
            and p.qualified(r.qualifications, co["check_items"])
        ]
        if len(usable) < per:
            raise Conflict(
                f"联合检查单位「{co['name']}」（{agency}）可参加匹配的执法人员只有"
                f" {len(usable)} 名，每组需要 {per} 名：其人员名录尚未导入，"
                "或在岗、证件有效、具备其检查事项资格的人员不足。联合检查不能悄然缩小为本局单独检查：请先导入该单位名录，或调整任务"
            )
