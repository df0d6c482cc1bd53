"""The external roster (联合检查单位执法人员, 第三条) on the console's registry page, on a fake
of the services' APIs: the page offers it for upload and as a template, and an upload goes to
the registry's external-inspectors import."""

from __future__ import annotations

from portal.adapters.api import ApiError

from .test_registry_objects import CSRF, SignedInApi, site, template_answer

KIND = "external-inspectors"


async def test_the_import_page_offers_the_agencies_roster_and_its_template() -> None:
    api = SignedInApi({"/api/registry/imports": {"items": []}})
    async with site(api) as client:
        page = await client.get("/console/registry")
    assert page.status_code == 200, page.text
    assert f'<option value="{KIND}">联合检查单位执法人员</option>' in page.text
    for fmt in ("xlsx", "csv"):
        assert f'href="/console/registry/templates/{KIND}.{fmt}"' in page.text


async def test_the_agencies_roster_is_uploaded_to_its_own_import() -> None:
    api = SignedInApi(
        {
            f"/api/registry/{KIND}/import": {"import_id": "x1", "state": "queued"},
            f"/api/registry/templates/{KIND}.csv": template_answer(KIND),
        }
    )
    roster = "单位代码,单位名称,执法人员编号,姓名,检查资格,执法证有效期至,在岗\n".encode()
    async with site(api) as client:
        answer = await client.post(
            "/console/registry/imports",
            data={"csrf": CSRF, "kind": KIND},
            files={"file": ("税务局人员.csv", roster, "text/csv")},
        )
        template = await client.get(f"/console/registry/templates/{KIND}.csv")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/console/registry/imports/x1"
    assert template.status_code == 200 and template.content.endswith(KIND.encode())
    (method, path, sent), _ = [c for c in api.calls if c[1].startswith("/api/")]
    assert (method, path) == ("POST", f"/api/registry/{KIND}/import")
    assert sent["params"] == {"filename": "税务局人员.csv"}


async def test_a_refused_roster_is_shown_beside_the_file_with_its_kind_kept() -> None:
    refusal = ApiError(422, "第 2 行「单位代码」：单位代码不得是本区或相邻区的名称")
    api = SignedInApi(
        {f"/api/registry/{KIND}/import": refusal, "/api/registry/imports": {"items": []}}
    )
    async with site(api) as client:
        answer = await client.post(
            "/console/registry/imports",
            data={"csrf": CSRF, "kind": KIND},
            files={"file": ("人员.csv", b"x", "text/csv")},
        )
    assert answer.status_code == 422
    assert f'<option value="{KIND}" selected>联合检查单位执法人员</option>' in answer.text
    assert "单位代码不得是本区或相邻区的名称" in answer.text
