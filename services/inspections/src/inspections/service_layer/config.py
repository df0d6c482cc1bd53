"""The inspections service's own settings (environment, prefix ``SPOTCHECK_INSPECTIONS_``)."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from inspections.domain.attachments import DEFAULT_MAX_BYTES
from inspections.domain.follow_ups import DEFAULT_TRANSFER_WORKDAYS


class InspectionsSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SPOTCHECK_INSPECTIONS_", extra="ignore")

    # A case filed on a suspected crime is overdue when not transferred to the judicial
    # authorities within this many working days of the filing (第十条、第十三条).
    transfer_due_workdays: int = Field(DEFAULT_TRANSFER_WORKDAYS, ge=1, le=60)
    # Largest attachment accepted (413 above it).
    attachment_max_bytes: int = Field(DEFAULT_MAX_BYTES, ge=1)


@lru_cache
def get_inspections_settings() -> InspectionsSettings:
    return InspectionsSettings()
