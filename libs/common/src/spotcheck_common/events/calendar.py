"""The working-day calendar as an event: one year's official holiday schedule, recorded by the
general office in the registry and kept by every service that counts working days."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field

from spotcheck_common.events.envelope import Event
from spotcheck_common.workdays import YearSchedule


class HolidayPeriod(BaseModel):
    """One holiday of the notice: 「春节：2月15日至23日放假调休，共9天」."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, max_length=50, description="节日名称，如 春节")
    start: date = Field(description="放假第一天")
    end: date = Field(description="放假最后一天（含）")

    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]


class MakeUpWorkday(BaseModel):
    """A weekend day worked in exchange (调休上班): 「2月14日（周六）上班」."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    date: date
    name: str = Field("", max_length=50, description="所属节日，如 春节")


class CalendarYearRecorded(Event):
    """A version of one year's holiday schedule (国务院办公厅关于部分节假日安排的通知).

    Version 1 is the notice as first entered; a later version corrects it (``reason`` says
    why) and replaces it wholly. Every service that keeps a legal clock stores every version
    and computes with the latest, recording the version in each deadline it computes.
    """

    service = "registry"
    name = "calendar-year-recorded"

    year: int = Field(ge=2000, le=2100)
    schedule_version: int = Field(ge=1)
    document_no: str = Field(min_length=1, description="发文字号")
    title: str = ""
    published_on: date
    days_off: list[HolidayPeriod]
    make_up_workdays: list[MakeUpWorkday] = Field(default_factory=list)
    reason: str = ""
    recorded_by: str
    recorded_at: datetime

    def aggregate_id(self) -> str:
        return f"calendar:{self.year}"

    def schedule(self) -> YearSchedule:
        return YearSchedule(
            year=self.year,
            version=self.schedule_version,
            source=self.document_no,
            days_off={d: p.name for p in self.days_off for d in p.days()},
            make_up_workdays={m.date: m.name or "调休上班" for m in self.make_up_workdays},
        )
