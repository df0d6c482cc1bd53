// The JavaScript draw verifier against the golden vectors (docs/draw-vectors): each verifies
// and recomputes its expected.json, the served proofs check, and tampered copies are refused
// by the check that should catch them.   node --test services/portal/tests/js/

import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../../../..");
const VERIFY = path.join(root, "services/portal/src/portal/entrypoints/static/js/verify");
const { verifyBundle, verifyProof, canonical, sha256, hex, CHECK_NAMES } = await import(
  path.join(VERIFY, "draw.js")
);
const VECTORS = path.join(root, "docs/draw-vectors");
const NAMES = readdirSync(VECTORS).filter((n) => existsSync(path.join(VECTORS, n, "bundle.json"))).sort();

const read = (name, file) => new Uint8Array(readFileSync(path.join(VECTORS, name, file)));
const json = (name, file) => JSON.parse(readFileSync(path.join(VECTORS, name, file), "utf8"));
const logOf = (name) => (existsSync(path.join(VECTORS, name, "log.json")) ? read(name, "log.json") : undefined);
const digest = (value) => hex(sha256(canonical(value)));

/** The bundle's bytes after `change(body)`, with the digests the change touches recomputed
 * (as a forger would), so that only the check meant to catch it can. */
function forged(name, change, { manifest = false } = {}) {
  const { body } = json(name, "bundle.json");
  change(body);
  if (manifest) body.manifest_sha256 = digest(body.manifest);
  body.result_sha256 = digest(body.result);
  return canonical({ body, body_sha256: digest(body) });
}

/** Re-chains a log's records after one was changed (each prev and hash recomputed). */
function rechain(log) {
  let prev = "0".repeat(64);
  for (const entry of log.records) {
    entry.record.prev = prev;
    entry.hash = hex(sha256(new Uint8Array([...[16], ...new TextEncoder().encode("spotcheck/log/v3"), ...canonical(entry.record)])));
    prev = entry.hash;
  }
}

function failedAt(result, id) {
  assert.equal(result.ok, false, "the tampered copy must be refused");
  const failed = result.checks.filter((c) => !c.ok);
  assert.deepEqual(failed.map((c) => c.id), [id], result.error_zh);
  assert.equal(failed[0].name, CHECK_NAMES[id]);
  assert.ok(result.error_zh && failed[0].detail_zh === result.error_zh);
}

const signed = NAMES.filter((n) => json(n, "bundle.json").body.manifest.algorithm === "spotcheck-draw/3");
const older = NAMES.filter((n) => !signed.includes(n));

test("the vectors cover /1, /2 and /3", () => {
  const algorithms = new Set(NAMES.map((n) => json(n, "bundle.json").body.manifest.algorithm));
  assert.deepEqual([...algorithms].sort(), ["spotcheck-draw/1", "spotcheck-draw/2", "spotcheck-draw/3"]);
});

for (const name of NAMES) {
  test(`vector ${name} verifies and recomputes expected.json`, async () => {
    const result = await verifyBundle(read(name, "bundle.json"), { log: logOf(name) });
    assert.equal(result.ok, true, result.error_zh);
    assert.ok(result.checks.every((c) => c.ok && c.name && c.detail_zh));
    const expected = json(name, "expected.json");
    const got = result.recomputed;
    assert.equal(expected.verifier_exit_code, 0);
    for (const key of ["body_sha256", "manifest_sha256", "population_root", "roster_root", "seed",
      "result_sha256", "quotas", "targets", "unstaffed", "reserve", "skipped", "load_cap"]) {
      assert.deepEqual(got[key], expected[key], key);
    }
    for (const [mine, theirs] of [["expert_roster_root", "expert_roster_root"], ["experts", "experts"],
      ["expert_load_cap", "expert_load_cap"], ["expert_pool_size", "expert_pool_size"],
      ["eligible", "eligible"], ["reserve_sizes", "reserve_sizes"], ["pool_size", "pool_size"],
      ["leader_load_cap", "leader_load_cap"], ["unstaffed_reasons", "unstaffed_reasons"]]) {
      if (theirs in expected) assert.deepEqual(got[mine], expected[theirs], mine);
    }
    if (logOf(name)) {
      const whole = json(name, "log.json").records;
      assert.deepEqual(got.log_head, { seq: whole.at(-1).record.seq, hash: whole.at(-1).hash });
    }
  });
}

test("a bundle given as text or as a parsed object verifies too", async () => {
  const raw = readFileSync(path.join(VECTORS, "basic", "bundle.json"), "utf8");
  assert.equal((await verifyBundle(raw)).ok, true);
  assert.equal((await verifyBundle(JSON.parse(raw))).ok, true);
});

for (const name of NAMES.filter((n) => existsSync(path.join(VECTORS, n, "proof-included.json")))) {
  test(`vector ${name}: the served proofs check against the manifest`, async () => {
    const { body } = json(name, "bundle.json");
    const included = await verifyProof(read(name, "proof-included.json"), body.manifest);
    assert.equal(included.ok, true, included.error_zh);
    assert.equal(included.included, true);
    assert.match(included.summary_zh, /在抽取 .* 的总体之中/);
    const absent = await verifyProof(json(name, "proof-absent.json"), body.manifest.population.merkle_root);
    assert.equal(absent.ok, true, absent.error_zh);
    assert.equal(absent.included, false);
    assert.match(absent.summary_zh, /不在抽取 .* 的总体之中/);
    // an included code is no absence
    const lie = { ...json(name, "proof-absent.json"), uscc: json(name, "proof-included.json").uscc };
    failedAt(await verifyProof(lie), "proof");
    // a changed sibling on the audit path leads elsewhere
    const proof = json(name, "proof-included.json");
    proof.path[0] = proof.path[0].replace(/^./, (c) => (c === "0" ? "1" : "0"));
    failedAt(await verifyProof(proof), "proof");
    const nonproof = json(name, "proof-absent.json");
    nonproof.chunks[1].path[0] = nonproof.chunks[1].path[0].replace(/^./, (c) => (c === "0" ? "1" : "0"));
    failedAt(await verifyProof(nonproof), "proof");
    // another draw's root
    failedAt(await verifyProof(read(name, "proof-included.json"), "00".repeat(32)), "proof_manifest");
  });
}

const flip = (h) => (h[0] === "0" ? "1" : "0") + h.slice(1);

for (const name of NAMES) {
  const log = logOf(name);
  test(`vector ${name}: tampered copies are refused by the right check`, async () => {
    const check = async (bytes, id, options = { log }) => failedAt(await verifyBundle(bytes, options), id);
    // one selected target swapped for a row that was not selected
    await check(forged(name, (b) => {
      const taken = new Set(b.result.targets.map((t) => t.uscc));
      const other = b.result.strata.flatMap((s) => s.walk).find(([u]) => !taken.has(u));
      b.result.targets[0].uscc = other ? other[0] : "91370000MA00000000";
    }), "targets");
    // one step of a selection walk
    await check(forged(name, (b) => {
      const s = b.result.strata.find((x) => x.walk.length);
      s.walk[0][1] = s.walk[0][1] === "selected" ? "reserve" : "selected";
    }), "selection");
    await check(forged(name, (b) => { b.commitments[0].commitment = flip(b.commitments[0].commitment); }), "commitments");
    await check(forged(name, (b) => { b.reveals.at(-1).share = flip(b.reveals.at(-1).share); }), "commitments");
    await check(forged(name, (b) => { b.manifest.population.merkle_root = flip(b.manifest.population.merkle_root); },
      { manifest: true }), "population");
    await check(forged(name, (b) => { b.manifest.roster.merkle_root = flip(b.manifest.roster.merkle_root); },
      { manifest: true }), "roster");
    await check(forged(name, (b) => { b.seed = flip(b.seed); }), "seed");
    // a changed byte anywhere in the file: its digest
    const raw = read(name, "bundle.json");
    raw[raw.length >> 1] ^= 1;
    await check(raw, "bundle");
  });
}

for (const name of signed) {
  test(`vector ${name}: tampered signatures and log records are refused`, async () => {
    const check = async (bytes, id, options = {}) => failedAt(await verifyBundle(bytes, options), id);
    // one signature byte, in the bundle and in its log record alike (the chain redone)
    await check(forged(name, (b) => {
      const sig = b.commitments[0].signature;
      const changed = sig.slice(0, 10) + (sig[10] === "a" ? "b" : "a") + sig.slice(11);
      b.commitments[0].signature = changed;
      b.log.records.find((e) => e.record.kind === "committed" && e.record.party === b.commitments[0].party)
        .record.signature = changed;
      rechain(b.log);
    }), "signatures");
    // one log record changed, its hash not
    await check(forged(name, (b) => { b.log.records[0].record.at = "2026-11-26T00:00:00+00:00"; }), "log");
    // one log record changed and the chain redone: the key's self-signature no longer holds
    await check(forged(name, (b) => {
      b.log.records.find((e) => e.record.kind === "key-registered").record.key.holder = "someone else";
      rechain(b.log);
    }), "keys");
    // the whole log (--log) changed in one record
    const whole = json(name, "log.json");
    whole.records[0].record.at = "2026-11-26T00:00:00+00:00";
    await check(read(name, "bundle.json"), "full_log", { log: whole });
    // --log for a draw without a log
    await check(read(older[0], "bundle.json"), "manifest", { log: whole });
  });
}

test("a /1 bundle with expert keys, an unknown algorithm and /3 keys in /1 are refused", async () => {
  const check = async (bytes, id) => failedAt(await verifyBundle(bytes), id);
  await check(forged("basic", (b) => { b.result.experts = { load_cap: 0, pool_size: 0, recusal_disclosures: [] }; }), "manifest");
  await check(forged("basic", (b) => { b.manifest.algorithm = "spotcheck-draw/9"; }, { manifest: true }), "manifest");
  await check(forged("basic", (b) => { b.result.leader_load_cap = 1; }), "manifest");
  await check(forged(signed[0], (b) => { b.manifest.team.extra = 1; }, { manifest: true }), "manifest");
});

test("--prior applies to /3 bundles only", async () => {
  const result = await verifyBundle(read(older[0], "bundle.json"), { prior: [] });
  failedAt(result, "prior");
});

test("the worker posts progress and the result", async () => {
  const messages = [];
  globalThis.self = { postMessage: (m) => messages.push(m) };
  await import(path.join(VERIFY, "worker.js"));
  await globalThis.self.onmessage({ data: { bundle: read("basic", "bundle.json") } });
  await globalThis.self.onmessage({ data: { proof: json("statuses-and-caps", "proof-included.json") } });
  const [first, second] = messages.filter((m) => m.type === "result");
  assert.equal(first.result.ok, true);
  assert.equal(second.result.ok, true);
  assert.ok(messages.some((m) => m.type === "progress" && m.check === "selection"));
  assert.deepEqual(structuredClone(first.result), first.result); // postable from a real worker
});
