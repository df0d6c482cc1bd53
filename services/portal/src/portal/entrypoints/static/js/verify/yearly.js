// §14.12: the yearly checks column, bounded by the draws the manifest lists and, given their
// bundles, recomputed from them.

import { hex } from "./bytes.js";
import { sha256 } from "./sha256.js";
import { canonical } from "./canonical.js";
import { Difference } from "./errors.js";
import { cmpStr, expect, num } from "./python.js";
import { ascii } from "./fields.js";
import { USCC_LEN } from "./constants.js";
import { splitBundle } from "./bundle.js";

/** §14.12 without the prior bundles: no entity counts more checks than listed draws, all
 * of them no more than the listed draws' targets. */
export function checksBound(m, c) {
  const draws = m.checks.draws;
  const most = Math.min(255, draws.length);
  const row = c.findIndex((v) => v > most);
  if (row >= 0) {
    throw new Difference(`总体第 ${row} 行：${c[row]} 次检查，但 manifest.checks 只列出 ${draws.length} 次抽取`);
  }
  let sum = 0;
  for (let i = 0; i < c.length; i++) sum += c[i];
  let targets = 0;
  for (const d of draws) targets += num(d.targets);
  if (sum > targets) throw new Difference("总体的年度检查次数超过所计抽取的检查对象总数");
}

/** §14.12 with the prior bundles: the listed draws recompute the `checks` column. */
export async function checkPrior(ctx, priors) {
  const { body, columns } = ctx;
  const m = body.manifest;
  const listed = new Map(m.checks.draws.map((d) => [d.draw_id, d]));
  const counts = new Map();
  const seen = new Set();
  for (const raw of priors) {
    const { body: prior } = await splitBundle(raw);
    const drawId = prior.manifest.draw_id;
    if (!listed.has(drawId)) throw new Difference(`--prior：抽取 ${drawId} 不在 manifest.checks 中`);
    expect(hex(sha256(canonical(prior.result))), listed.get(drawId).result_sha256, `--prior ${drawId}：result_sha256`);
    const targets = prior.result.targets.map((t) => t.uscc);
    expect(targets.length, listed.get(drawId).targets, `--prior ${drawId}：检查对象数`);
    for (const u of targets) counts.set(u, (counts.get(u) || 0) + 1);
    seen.add(drawId);
  }
  const missing = [...listed.keys()].filter((d) => !seen.has(d)).sort(cmpStr);
  if (missing.length) throw new Difference(`--prior：未给出所列抽取 ${missing[0]} 的数据包`);
  const { uscc: u, checks } = columns;
  for (let i = 0; i < checks.length; i++) {
    const code = ascii(u.subarray(USCC_LEN * i, USCC_LEN * (i + 1)));
    expect(checks[i], Math.min(255, counts.get(code) || 0), `${code} 的年度检查次数（按 --prior 重算）`);
  }
  return `年度检查次数可由 ${seen.size} 次往期抽取的数据包逐一重算`;
}
