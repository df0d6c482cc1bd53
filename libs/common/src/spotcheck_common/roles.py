"""The roles of the rules' chapter 2 (no dependencies: the domains name them too)."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["MANAGEMENT", "ROLE_LABELS", "STAFF", "Role"]


class Role(StrEnum):
    CREDIT_DEPT = "credit_dept"  # 信用监管科
    SUPERVISING_DEPT = "supervising_dept"  # 监管科室
    GENERAL_OFFICE = "general_office"  # 办公室
    DEPUTY_DIRECTOR = "deputy_director"  # 分管局长
    DIRECTOR_MEETING = "director_meeting"  # 局长办公会
    STATION = "station"  # 市场监管所
    INSPECTOR = "inspector"  # 执法检查人员
    EXPERT = "expert"  # 专家
    ENTITY = "entity"  # 检查对象（市场主体）
    # 联合检查单位联络人 (第三条): another agency's person, signed in at this bureau to act for
    # that agency's party in a draw; the token's ``agency`` claim names the agency (e.g. tax)
    AGENCY_LIAISON = "agency_liaison"


ROLE_LABELS = {
    Role.CREDIT_DEPT: "信用监管科",
    Role.SUPERVISING_DEPT: "监管科室",
    Role.GENERAL_OFFICE: "办公室",
    Role.DEPUTY_DIRECTOR: "分管局长",
    Role.DIRECTOR_MEETING: "局长办公会",
    Role.STATION: "市场监管所",
    Role.INSPECTOR: "执法检查人员",
    Role.EXPERT: "专家",
    Role.ENTITY: "检查对象",
    Role.AGENCY_LIAISON: "联合检查单位联络人",
}

# Everyone working in the bureau (all roles but the inspected entity and other agencies'
# liaisons, who act only for their agency's party in a draw).
STAFF = tuple(r for r in Role if r not in (Role.ENTITY, Role.AGENCY_LIAISON))

# The departments and leadership who plan, supervise and account for the work: they read the
# registers and the whole of the records. Field roles (station, inspector, expert) read what
# their own assignments need, through them.
MANAGEMENT = (
    Role.CREDIT_DEPT,
    Role.SUPERVISING_DEPT,
    Role.GENERAL_OFFICE,
    Role.DEPUTY_DIRECTOR,
    Role.DIRECTOR_MEETING,
)
