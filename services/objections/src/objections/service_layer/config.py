"""The objections service's own settings (environment, prefix ``SPOTCHECK_OBJECTIONS_``)."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from objections.domain.scans import MAX_BYTES


class ObjectionsSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SPOTCHECK_OBJECTIONS_", extra="ignore")

    # Largest scan of a paper objection accepted (413 above it).
    scan_max_bytes: int = Field(MAX_BYTES, ge=1)


@lru_cache
def get_objections_settings() -> ObjectionsSettings:
    return ObjectionsSettings()
