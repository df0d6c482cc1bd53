// The public site's JavaScript verifier against co-organising agencies (docs/draw-spec.md §16):
// the golden vector verifies (services/portal/tests/js/verify.test.mjs runs every vector) and
// recomputes its agencies' pools and members, and each forged copy below is refused by the
// check that should catch it, as the Python verifier refuses it
// (services/draws/tests/unit/test_co_organisers.py).
//   node --test services/draws/tests/js/

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../../../..");
const VERIFY = path.join(root, "services/portal/src/portal/entrypoints/static/js/verify");
const { verifyBundle, canonical, sha256, hex } = await import(path.join(VERIFY, "draw.js"));
const VECTOR = path.join(root, "docs/draw-vectors/co-organisers");

const digest = (value) => hex(sha256(canonical(value)));
const body = () => JSON.parse(readFileSync(path.join(VECTOR, "bundle.json"), "utf8")).body;
const expected = JSON.parse(readFileSync(path.join(VECTOR, "expected.json"), "utf8"));

/** The vector after `change(body)`, its digests recomputed as a forger would. */
function forged(change, { manifest = false } = {}) {
  const b = body();
  change(b);
  if (manifest) b.manifest_sha256 = digest(b.manifest);
  b.result_sha256 = digest(b.result);
  return canonical({ body: b, body_sha256: digest(b) });
}

async function refusedAt(bytes, id, words) {
  const result = await verifyBundle(bytes);
  assert.equal(result.ok, false, "the forged copy must be refused");
  const failed = result.checks.filter((c) => !c.ok);
  assert.deepEqual(failed.map((c) => c.id), [id], result.error_zh);
  assert.match(result.error_zh, words);
}

test("the vector verifies and recomputes the agencies' pools and members", async () => {
  const log = JSON.parse(readFileSync(path.join(VECTOR, "log.json"), "utf8"));
  const result = await verifyBundle(readFileSync(path.join(VECTOR, "bundle.json")), { log });
  assert.equal(result.ok, true, result.error_zh);
  assert.deepEqual(result.recomputed.agency_pools, expected.agency_pools);
  assert.deepEqual(result.recomputed.agency_members, expected.agency_members);
  const matching = result.checks.find((c) => c.id === "matching").detail_zh;
  assert.match(matching, /联合检查单位：eco 每组 1 名，人员库 1 人/);
});

const staffed = (b) => b.result.targets.filter((t) => t.team.length);
const CASES = [
  ["another tax inspector than the rule's", (b) => {
    const t = staffed(b)[0];
    const others = ["tax:TX0001", "tax:TX0002", "tax:TX0003"].filter((i) => !t.agency_members.includes(i));
    t.agency_members[1] = others[0];
  }, {}, "matching", /联合检查单位人员/],
  ["a team short of an agency's inspector", (b) => { staffed(b)[0].agency_members.pop(); }, {}, "matching", /联合检查单位人员/],
  ["an inactive agency inspector", (b) => { staffed(b)[0].agency_members[1] = "tax:TX0004"; }, {}, "matching", /联合检查单位人员/],
  ["an agency recusal left out", (b) => { b.result.co_organisers.recusal_disclosures.shift(); }, {}, "matching", /联合检查单位人员/],
  ["another unstaffed reason", (b) => { b.result.unstaffed_reasons[0] = "member"; }, {}, "matching", /未能组队的原因/],
  ["another agency pool size", (b) => { b.result.co_organisers.pools[0].pool_size = 2; }, {}, "matching", /co_organisers\.pools/],
  ["an agency without its party", (b) => {
    b.manifest.parties = b.manifest.parties.filter((x) => x !== "tax:联合检查单位");
  }, { manifest: true }, "manifest", /tax:联合检查单位/],
  ["agency members passed off without co-organisers", (b) => { delete b.manifest.co_organisers; }, { manifest: true }, "manifest", /未知字段 'co_organisers'/],
  ["agencies unsorted", (b) => { b.manifest.co_organisers.reverse(); }, { manifest: true }, "manifest", /未按单位代码排序/],
  ["an agency named like a pool's district", (b) => {
    b.manifest.co_organisers[0].agency = "lingang";
    b.manifest.co_organisers.sort((x, y) => (x.agency < y.agency ? -1 : 1));
    b.manifest.parties.push("lingang:联合检查单位");
  }, { manifest: true }, "manifest", /也是人员库的区划/],
  ["co-organisers with direct assignment", (b) => {
    b.manifest.matching = { rule: "direct-assignment", reason: "x", approval: {} };
  }, { manifest: true }, "manifest", /直接委派不能并存/],
];

for (const [what, change, options, id, words] of CASES) {
  test(`a joint check with ${what} is refused`, async () => {
    await refusedAt(forged(change, options), id, words);
  });
}
