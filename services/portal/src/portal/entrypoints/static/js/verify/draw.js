// spotcheck draw verifier in JavaScript: recomputes a draw from its public bundle exactly as
// services/draws/src/draws/verify_draw.py does (docs/draw-spec.md, spotcheck-draw/1, /2, /3)
// and says in Chinese what it checked. ES modules without dependencies (this directory): they
// run unchanged in a browser (module Web Worker, see worker.js) and in Node 20.
//
//   verifyBundle(bundle, {log, prior, onProgress})  -> {ok, version, checks, error_zh?, ...}
//   verifyProof(proof, manifestOrRoot)              -> {ok, included, checks, error_zh?, ...}
//
// A bundle is best given as its exact bytes (Uint8Array/ArrayBuffer) or text, as served by
// GET /public/draws/{id}/bundle: body_sha256 is over those bytes. A parsed object is first
// written back in canonical JSON, as the Python verifier's verify() does.
// This file runs the checks in the reference verifier's order; each check is in the module
// named after what it checks.

export { hex } from "./bytes.js";
export { sha256 } from "./sha256.js";
export { canonical } from "./canonical.js";
export { merkleRoot } from "./merkle.js";
export { CHECK_NAMES } from "./checks.js";
export { verifyProof } from "./proofs.js";

import { Difference } from "./errors.js";
import { get, pyEq } from "./python.js";
import { ALGORITHM_SIGNED } from "./constants.js";
import { Run } from "./checks.js";
import { bundleBytes, jsonOf, splitBundle } from "./bundle.js";
import { checkManifest } from "./manifest.js";
import { checkPopulation } from "./population.js";
import { checkExpertRoster, checkRoster } from "./rosters.js";
import { checkPrior } from "./yearly.js";
import { checkCommitments, checkSeed } from "./seed.js";
import { checkSelection, checkTargets } from "./selection.js";
import { checkConstraints, checkCountersign, checkMatching, checkReplacements } from "./teams.js";
import { checkFullLog, checkLogExtract } from "./log.js";
import { checkKeys, checkSignatures } from "./signatures.js";

/**
 * Verifies a bundle. `log`: the district's whole draw log (/3, check 17); `prior`: the
 * bundles of the draws its yearly checks count (/3, §14.12); `onProgress({check, name,
 * fraction})` as the checks go. `recomputed` holds what was recomputed (digests, roots, seed,
 * quotas, teams after replacements…), to compare with values published elsewhere.
 */
export async function verifyBundle(bundle, { log, prior, onProgress } = {}) {
  const run = new Run(onProgress);
  const rec = {};
  const out = { ok: false, version: null, checks: run.checks, recomputed: rec };
  try {
    const raw = bundleBytes(bundle);
    const ctx = { rec, log: log === undefined || log === null ? null : jsonOf(log, "--log") };
    await run.step("bundle", async () => {
      Object.assign(ctx, await splitBundle(raw));
      rec.body_sha256 = ctx.body_sha256;
      return `正文摘要 ${rec.body_sha256} 与数据包一致；正文为规范 JSON，总体各列为规范 base64`;
    });
    const algorithm = get(ctx.body.manifest, "algorithm");
    out.version = typeof algorithm === "string" ? algorithm : null;
    await verifyBody(run, ctx);
    if (prior !== undefined && prior !== null) {
      await run.step("prior", () => {
        if (!pyEq(algorithm, ALGORITHM_SIGNED)) {
          throw new Difference(`--prior 只适用于 ${ALGORITHM_SIGNED} 数据包`);
        }
        return checkPrior(ctx, prior.map(bundleBytes));
      });
    }
    out.ok = true;
  } catch (error) {
    out.error_zh = run.fail(error);
  }
  return out;
}

/** Every check of the spec, in the reference verifier's order; each fills in `ctx`. */
async function verifyBody(run, ctx) {
  await run.step("manifest", () => checkManifest(ctx));
  await run.step("population", () => checkPopulation(ctx));
  await run.step("roster", () => checkRoster(ctx));
  if (ctx.withExperts) await run.step("expert_roster", () => checkExpertRoster(ctx));
  await run.step("commitments", () => checkCommitments(ctx));
  await run.step("seed", () => checkSeed(ctx));
  await run.step("selection", () => checkSelection(ctx, run));
  await run.step("targets", () => checkTargets(ctx));
  await run.step("matching", () => checkMatching(ctx));
  await run.step("constraints", () => checkConstraints(ctx));
  await run.step("replacements", () => checkReplacements(ctx));
  await run.step("countersign", () => checkCountersign(ctx.body));
  if (ctx.signed) {
    await run.step("log", () => checkLogExtract(ctx));
    await run.step("keys", () => checkKeys(ctx));
    await run.step("signatures", () => checkSignatures(ctx));
    if (ctx.log !== null) await run.step("full_log", () => checkFullLog(ctx));
  }
}
