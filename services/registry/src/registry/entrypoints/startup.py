"""What the registry does at startup, before it serves: the demo district, loaded through the
same import jobs as an upload."""

from __future__ import annotations

from typing import cast

from registry.adapters import demo, files
from registry.adapters.unit_of_work import SqlRegistryUnitOfWork
from registry.entrypoints.importer import Importer
from registry.service_layer import imports
from spotcheck_common.service import ServiceRuntime
from spotcheck_common.uow import Context

LOADER = Context(actor="demo-loader")


async def _demo_import(
    importer: Importer,
    kind: str,
    data: bytes,
    filename: str,
    params: imports.ImportParams | None = None,
) -> None:
    spooled = files.spool_bytes(data, importer.spool_dir)
    task = await importer.start(LOADER, kind, spooled, filename, params or imports.ImportParams())
    await task


async def load_demo(rt: ServiceRuntime) -> None:
    """With SPOTCHECK_DEMO=true, load the demo district once (an empty registry only; the tax
    office's external roster whenever it is missing), through the same import jobs as an
    upload."""
    if not rt.settings.demo:
        return
    async with rt.uow(LOADER) as unit:
        repo = cast(SqlRegistryUnitOfWork, unit).registry
        has_list = bool(await repo.list_versions())
        has_entities = bool(await repo.count_entities())
        has_experts = bool(await repo.expert_ids())
        has_agency = bool(await repo.external_inspectors(demo.DEMO_AGENCY))
    importer = Importer(rt)
    if not has_list:
        await _demo_import(
            importer,
            "check-items",
            demo.demo_check_items(),
            "demo-check-items.csv",
            imports.ImportParams(
                reason="演示：临港区市场监管局随机抽查事项清单",
                effective_from=demo.DEMO_LIST_EFFECTIVE_FROM,
            ),
        )
    if not has_agency:  # 第三条: also into a demo district loaded before joint checks came
        await _demo_import(
            importer, "external-inspectors", demo.demo_external_inspectors(), "demo-agency.csv"
        )
    if has_entities:
        return
    await _demo_import(importer, "entities", demo.demo_entities(), "demo-entities.csv")
    await _demo_import(importer, "entities", demo.demo_organisations(), "demo-organisations.csv")
    await _demo_import(importer, "products", demo.demo_products(), "demo-products.csv")
    await _demo_import(importer, "inspectors", demo.demo_inspectors(), "demo-inspectors.csv")
    if not has_experts:
        await _demo_import(importer, "experts", demo.demo_experts(), "demo-experts.csv")
