// The browser's direct assignment (第六条, docs/draw-spec.md §15.3) against the reference
// client's: the golden vector docs/draw-vectors/direct-assignment was signed by the Python
// ceremony (spotcheck-ceremony assign); the assignment the page builds from the same teams
// must hash to the log's assignment_sha256 and its message must carry that signature.
//   node --test services/portal/tests/js/
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

import { assignmentOf, problemOf } from "../../src/portal/entrypoints/static/js/ceremony/assignment.js";
import * as p from "../../src/portal/entrypoints/static/js/ceremony/protocol.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const VECTOR = path.resolve(here, "../../../../docs/draw-vectors/direct-assignment/bundle.json");
const body = JSON.parse(readFileSync(VECTOR, "utf8")).body;
const records = body.log.records.map((e) => e.record);
const assigned = records.find((r) => r.kind === "assigned");
const key = records.find((r) => r.kind === "key-registered" && r.key.key_id === assigned.key_id).key;

// The page's picks: what the credit department chose in each drawn target's row.
const rows = body.result.targets.map((t) => ({
  uscc: t.uscc,
  leader: t.team[0][0],
  members: t.team.slice(1).map((m) => m[0]),
  experts: t.experts,
}));

async function verifies(message, signature) {
  const publicKey = await crypto.subtle.importKey(
    "raw", p.fromHex(key.public_key), { name: "Ed25519" }, false, ["verify"],
  );
  return crypto.subtle.verify({ name: "Ed25519" }, publicKey, p.fromHex(signature), message);
}

test("the page's assignment is the one the reference client signed, byte for byte", async () => {
  assert.equal(key.party, p.CREDIT_PARTY);
  const assignment = assignmentOf(rows, Boolean(body.manifest.experts));
  assert.equal(p.toHex(await p.digestOf(assignment)), assigned.assignment_sha256);
  const message = await p.assignMessage(p.fromHex(body.manifest_sha256), assignment);
  assert.equal(await verifies(message, body.assignment.signature), true);
  assert.equal(body.assignment.signature, assigned.signature);
});

test("another team, or the experts left out, is not what was signed", async () => {
  const md = p.fromHex(body.manifest_sha256);
  const other = structuredClone(rows);
  other[0].members[0] = other[0].members[0] === "LG0005" ? "LG0004" : "LG0005";
  const changed = await p.assignMessage(md, assignmentOf(other, true));
  assert.equal(await verifies(changed, body.assignment.signature), false);
  const withoutExperts = await p.assignMessage(md, assignmentOf(rows, false));
  assert.equal(await verifies(withoutExperts, body.assignment.signature), false);
});

test("the page refuses what breaks a rule it can check, before anything is signed", () => {
  const roster = body.roster;
  const rules = {
    targets: body.result.targets.map((t) => t.uscc),
    size: body.manifest.team.size,
    leaders: new Set(roster.filter((r) => r.leader_qualified).map((r) => r.inspector_id)),
    members: new Set(roster.map((r) => r.inspector_id)),
    pairs: body.manifest.pair_conflicts,
    perTarget: body.manifest.experts.per_target,
    experts: new Set(body.expert_roster.map((e) => e.expert_id)),
  };
  const good = assignmentOf(rows, true);
  assert.equal(problemOf(good, rules), null);
  const paired = structuredClone(good);
  paired[0].team[1][0] = "LG0002"; // LG0001 and LG0002 may not be on one team
  assert.match(problemOf(paired, rules), /不得同组/);
  const empty = structuredClone(good);
  empty[1].team[1][0] = "";
  assert.match(problemOf(empty, rules), /每个岗位都须选定/);
  assert.match(problemOf(good.slice(1), rules), /抽中顺序/);
});
