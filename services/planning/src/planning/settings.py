"""Planning's own settings (environment, prefix ``SPOTCHECK_PLANNING_``).

``SPOTCHECK_PLANNING_YEARLY_CAP``: how many times a year an entity of each risk class may be
drawn by random checks (第五条: 2 by default, adjustable by risk class, law or a higher
authority), e.g. ``D=3,E=4``; classes not named get ``SPOTCHECK_PLANNING_DEFAULT_YEARLY_CAP``
(default 2).
"""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict

from planning.domain.caps import DEFAULT_CAP, parse_caps
from spotcheck_common.events.types import RiskClass


class PlanningSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SPOTCHECK_PLANNING_", extra="ignore")

    yearly_cap: str = ""
    default_yearly_cap: int = DEFAULT_CAP

    def caps(self) -> dict[RiskClass, int]:
        return parse_caps(self.yearly_cap, self.default_yearly_cap)
