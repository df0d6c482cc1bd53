"""Who may do what (第八条、第九条、第十条), and the refusals the routes document."""

from __future__ import annotations

from typing import Annotated, Any

from spotcheck_common.auth import Principal, require
from spotcheck_common.errors import Forbidden
from spotcheck_common.http import refusals
from spotcheck_common.roles import MANAGEMENT, STAFF, Role

# 第八条、第九条: the leader records and submits (谁检查、谁录入); every member of the team,
# experts included, signs; everyone in the bureau reads.
Inspector = Annotated[Principal, require(Role.INSPECTOR)]
Signer = Annotated[Principal, require(Role.INSPECTOR, Role.EXPERT)]
Staff = Annotated[Principal, require(*STAFF)]
# 第十条: the lead department handles follow-up and reports to the credit department, which
# keeps the register; the bureau's leadership reads it (第十三条 accountability).
FollowUpReader = Annotated[
    Principal,
    require(Role.CREDIT_DEPT, Role.SUPERVISING_DEPT, Role.DEPUTY_DIRECTOR, Role.DIRECTOR_MEETING),
]
FollowUpRecorder = Annotated[Principal, require(Role.CREDIT_DEPT, Role.SUPERVISING_DEPT)]
BUREAU_WIDE = {Role.CREDIT_DEPT, Role.DEPUTY_DIRECTOR, Role.DIRECTOR_MEETING}

S403 = "缺少角色，不是检查组成员或不是组长"
S404 = "检查记录不存在"
REFUSALS: dict[int | str, dict[str, Any]] = refusals(
    401,
    403,
    404,
    409,
    422,
    s403=S403,
    s404=S404,
    s409="检查记录已提交，或尚不能进行这一步",
)
READ_REFUSALS: dict[int | str, dict[str, Any]] = refusals(401, 403, 404, s404=S404)
FOLLOW_UP_REFUSALS: dict[int | str, dict[str, Any]] = refusals(
    401,
    403,
    404,
    409,
    422,
    s403="缺少角色，或不是牵头监管科室",
    s404="后续处理不存在",
    s409="当前状态不能记录这一处理结果",
)


Management = Annotated[Principal, require(*MANAGEMENT)]


def field_reader(principal: Principal) -> str | None:
    """None for the departments and the leadership (they read every record); a field role's
    own id otherwise: station, inspector and expert tokens read only the inspections they
    work on ("" when the token names nobody: nothing)."""
    if principal.roles & set(MANAGEMENT):
        return None
    return principal.inspector_id


def department_scope(principal: Principal, department: str | None) -> str | None:
    """The credit department and the leadership read every department's follow-ups; a
    supervising department its own."""
    if principal.roles & BUREAU_WIDE:
        return department
    if department and department != principal.department:
        raise Forbidden(f"监管科室只能查看本科室（{principal.department}）的后续处理")
    return principal.department
