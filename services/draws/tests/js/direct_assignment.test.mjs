// The public site's JavaScript verifier against direct assignment (docs/draw-spec.md §15):
// the golden vector verifies (services/portal/tests/js/verify.test.mjs runs every vector), and
// each forged copy below is refused by the check that should catch it, as the Python verifier
// refuses it (services/draws/tests/unit/test_direct_assignment.py).
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
const VECTOR = path.join(root, "docs/draw-vectors/direct-assignment");

const digest = (value) => hex(sha256(canonical(value)));
const body = () => JSON.parse(readFileSync(path.join(VECTOR, "bundle.json"), "utf8")).body;

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

test("the vector verifies and says its teams were assigned, why and by whose approval", async () => {
  const result = await verifyBundle(readFileSync(path.join(VECTOR, "bundle.json")));
  assert.equal(result.ok, true, result.error_zh);
  const matching = result.checks.find((c) => c.id === "matching").detail_zh;
  assert.match(matching, /9 个检查组为直接委派（非随机匹配，第六条）/);
  assert.match(matching, /王副局长/);
  assert.match(result.checks.find((c) => c.id === "constraints").detail_zh, /不受工作量上限约束/);
});

const team = (b, n) => b.result.targets[n].team;
const CASES = [
  ["an inspector not on the roster", (b) => { team(b, 0)[1][0] = "LG9999"; }, {}, "constraints", /不在名录中/],
  ["a pair conflict within a team", (b) => { team(b, 0)[1][0] = "LG0002"; }, {}, "constraints", /冲突关系/],
  ["the leader not first", (b) => { team(b, 0).reverse(); }, {}, "constraints", /组长/],
  ["a team short of an inspector", (b) => { team(b, 0).pop(); }, {}, "matching", /委派的不是 2 名/],
  ["a target without its expert", (b) => { b.result.targets[0].experts = []; }, {}, "constraints", /不是 1 名不同的专家/],
  ["an unstaffed reason", (b) => { b.result.unstaffed_reasons.push("leader"); }, {}, "matching", /unstaffed_reasons/],
  ["no assignment", (b) => { b.assignment = null; }, {}, "matching", /尚未委派/],
  ["assigned teams passed off as drawn", (b) => { delete b.manifest.matching; }, { manifest: true }, "manifest", /未知字段 'assignment'/],
  ["an empty reason", (b) => { b.manifest.matching.reason = " "; }, { manifest: true }, "manifest", /reason/],
  ["an approval after the freeze", (b) => { b.manifest.matching.approval.approved_at = "2026-11-27T00:00:00+00:00"; }, { manifest: true }, "manifest", /晚于清单冻结时间/],
  ["another time than the log's", (b) => { b.assignment.at = "2026-11-29T03:13:00+00:00"; }, {}, "log", /'assigned'/],
  ["other teams than the signed ones", (b) => {
    const t = team(b, 0);
    t[1][0] = t[1][0] === "LG0005" ? "LG0004" : "LG0005";
    b.countersign.result_sha256 = digest(b.result);
  }, {}, "log", /assignment_sha256/],
  ["no 'assigned' record", (b) => {
    b.log.records = b.log.records.filter((e) => e.record.kind !== "assigned");
  }, {}, "log", /应为 'assigned'/],
];

for (const [what, change, options, id, words] of CASES) {
  test(`a direct assignment with ${what} is refused`, async () => {
    await refusedAt(forged(change, options), id, words);
  });
}
