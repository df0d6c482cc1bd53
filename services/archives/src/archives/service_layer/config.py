"""The archives service's own settings (environment, prefix ``SPOTCHECK_ARCHIVES_``)."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ArchivesSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SPOTCHECK_ARCHIVES_", extra="ignore")

    # An open legal deadline this many working days ahead (or fewer) counts as due soon
    # (spotcheck_due_soon_items): the warning before it is missed.
    due_soon_workdays: int = Field(3, ge=1, le=20)


@lru_cache
def get_archives_settings() -> ArchivesSettings:
    return ArchivesSettings()
