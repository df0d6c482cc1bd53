"""The publication service's composition root: its dependencies, built once per app, handed to
the routes through FastAPI ``Depends`` (``Deps``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, cast

from fastapi import Depends

from publication.adapters.unit_of_work import SqlPublicationUnitOfWork
from publication.service_layer.answers import Answers
from spotcheck_common.service import ServiceRuntime, dependencies_of
from spotcheck_common.uow import Context

SERVICE = "publication"
PUBLIC = Context(actor="public")
"""Who reads the public pages (no token): reads only, nothing is written as them."""


@dataclass(frozen=True)
class Publication:
    runtime: ServiceRuntime
    answers: Answers  # the public searches' answers kept in memory (ADR 0013)

    def uow(self, context: Context) -> SqlPublicationUnitOfWork:
        """A unit of work acting as ``context`` (reads use one too, and leave it unchanged)."""
        return cast(SqlPublicationUnitOfWork, self.runtime.uow(context))


def bootstrap(rt: ServiceRuntime) -> Publication:
    async def data_version() -> int:
        async with rt.uow(PUBLIC) as uow:
            return await cast(SqlPublicationUnitOfWork, uow).publication.data_version()

    answers = Answers(data_version, recheck_s=rt.settings.public_answers_recheck_s)
    rt.commit_hooks.append(answers.expire)  # this replica's commits: never a stale answer
    return Publication(rt, answers)


Deps = Annotated[Publication, Depends(dependencies_of(SERVICE))]
