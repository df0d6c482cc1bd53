"""Who reads what (第十二条, 第十三条), shared by the route modules."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

from spotcheck_common.auth import Principal, require
from spotcheck_common.errors import Forbidden
from spotcheck_common.roles import Role

# 第十二条: the dossiers (and the annual plans filed with them) are read and exported by the
# departments that keep, oversee or use them: the credit department, the general office, the
# deputy director, the director's meeting and the supervising departments.
ARCHIVE_READERS = (
    Role.CREDIT_DEPT,
    Role.GENERAL_OFFICE,
    Role.DEPUTY_DIRECTOR,
    Role.DIRECTOR_MEETING,
    Role.SUPERVISING_DEPT,
)
Reader = Annotated[Principal, require(*ARCHIVE_READERS)]

# 第十三条: accountability and statistics are read bureau-wide by the credit department (which
# urges the departments to finish the annual plan), the general office, the deputy director and
# the director's meeting; a supervising department reads its own department only.
BUREAU_WIDE = (
    Role.CREDIT_DEPT,
    Role.GENERAL_OFFICE,
    Role.DEPUTY_DIRECTOR,
    Role.DIRECTOR_MEETING,
)
ACCOUNTABILITY_READERS = (*BUREAU_WIDE, Role.SUPERVISING_DEPT)
AccountabilityReader = Annotated[Principal, require(*ACCOUNTABILITY_READERS)]

# The folds parked (operations): the departments that keep the archive and audit its reports.
Auditor = Annotated[Principal, require(Role.CREDIT_DEPT, Role.GENERAL_OFFICE)]

TaskId = Annotated[str, Path(min_length=1, max_length=100, description="任务 ID")]


def department_scope(principal: Principal, department: str | None) -> str | None:
    """A supervising department sees its own department only; bureau-wide roles any."""
    if principal.roles & set(BUREAU_WIDE):
        return department
    own = principal.department
    if not own:
        raise Forbidden("监管科室的令牌未载明所属科室（department），无法查看")
    if department is not None and department != own:
        raise Forbidden(f"监管科室只能查看本科室（{own}）的情况")
    return own


Department = Annotated[str | None, Query(max_length=100, description="科室（责任科室）")]
