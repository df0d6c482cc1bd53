// The selection (§7) recomputed from the seed: quotas, each stratum's walk in ticket order,
// the targets in ticket order.

import { cmpBytes, concat, hex } from "./bytes.js";
import { cmpWords, sha256, Tickets } from "./sha256.js";
import { Difference } from "./errors.js";
import { ceilDiv, cmpStr, expect, pyInt } from "./python.js";
import { ascii, asciiBytes } from "./fields.js";
import { STATUSES, USCC_LEN, YEARLY_CAP } from "./constants.js";
import { cmpTuple } from "./heap.js";

function eligibleCounts(s, st, c, caps) {
  const k = caps.length;
  const bad = s.findIndex((v) => v >= k);
  if (bad >= 0) throw new Difference(`总体第 ${bad} 行：分层索引超出范围`);
  const counts = new Array(k).fill(0);
  for (let i = 0; i < s.length; i++) if (st[i] === 0 && c[i] < caps[s[i]]) counts[s[i]]++;
  return counts;
}

const floorDiv = (a, b) => (a >= 0n ? a / b : -((-a + b - 1n) / b));
const pyModBig = (a, b) => a - floorDiv(a, b) * b;

/** §7.3: largest remainder, integers only (big integers, as in Python). */
function quotas(ratios, eligible, keys) {
  const exact = eligible.map((n, i) => BigInt(n) * BigInt(ratios[i]));
  const total = floorDiv(exact.reduce((a, b) => a + b, 0n) + 5000n, 10000n);
  const base = exact.map((e) => floorDiv(e, 10000n));
  const order = exact.map((_, i) => i).sort((i, j) => {
    const ri = pyModBig(exact[i], 10000n);
    const rj = pyModBig(exact[j], 10000n);
    if (ri !== rj) return ri > rj ? -1 : 1;
    return cmpStr(keys[i], keys[j]);
  });
  const left = Number(total - base.reduce((a, b) => a + b, 0n));
  for (const i of order.slice(0, left)) base[i] += 1n;
  return base.map(Number);
}

/**
 * The tickets of every row (and the check that USCCs ascend strictly); keeps the rows
 * whose ticket is at or below `limit` (8 words; null keeps none, "all" every row).
 */
function scanPopulation(u, n, tickets, limit, run) {
  const scan = { kept: [], words: [], t: new Int32Array(8) };
  // In slices: V8 optimises a function between calls sooner than inside one long loop.
  for (let a = 0; a < n; a += 1 << 16) {
    scanRows(u, a, Math.min(n, a + (1 << 16)), tickets, limit, scan);
    run.progress("selection", a / n);
  }
  return { kept: scan.kept, words: Int32Array.from(scan.words) };
}

function scanRows(u, a, b, tickets, limit, scan) {
  const t = scan.t;
  for (let i = a; i < b; i++) {
    const at = USCC_LEN * i;
    if (i) {
      let k = 0;
      while (k < USCC_LEN && u[at + k] === u[at - USCC_LEN + k]) k++;
      if (k === USCC_LEN || u[at + k] < u[at - USCC_LEN + k]) {
        throw new Difference(`总体第 ${i} 行：统一社会信用代码未严格升序`);
      }
    }
    if (limit === null) continue;
    tickets.into(u, at, t, 0);
    if (limit === "all" || cmpWords(t, 0, limit, 0) <= 0) {
      scan.kept.push(i);
      for (let k = 0; k < 8; k++) scan.words.push(t[k]);
    }
  }
}

/** Rows of a stratum (indices into `scan`), sorted by (ticket, uscc). */
function ordered(scan, rows, u) {
  const { kept, words } = scan;
  return rows.sort((x, y) => {
    const c = cmpWords(words, 8 * x, words, 8 * y);
    if (c) return c;
    const a = USCC_LEN * kept[x];
    const b = USCC_LEN * kept[y];
    return cmpBytes(u.subarray(a, a + USCC_LEN), u.subarray(b, b + USCC_LEN));
  });
}

/** §7.4: the walk of a stratum's rows in ticket order. Returns [steps, filled]. */
function walk(rows, cols, quota, reserve, cap) {
  const [u, , st, c] = cols;
  const out = [];
  let sel = 0;
  let res = 0;
  if (quota === 0) return [out, true];
  for (const i of rows) {
    if (sel === quota && res === reserve) return [out, true];
    const code = ascii(u.subarray(USCC_LEN * i, USCC_LEN * (i + 1)));
    if (st[i] !== 0) out.push([code, STATUSES[st[i]]]);
    else if (c[i] >= cap) out.push([code, YEARLY_CAP]);
    else if (sel < quota) {
      out.push([code, "selected"]);
      sel++;
    } else {
      out.push([code, "reserve"]);
      res++;
    }
  }
  return [out, sel === quota && res === reserve];
}

export function checkSelection(ctx, run) {
  const { m, cols, prefix, rec } = ctx;
  const result = ctx.body.result;
  const [u, s, st, c] = cols;
  const strata = m.strata;
  const keys = strata.map((x) => x.key);
  const caps = strata.map((x) => pyInt(x.cap));
  const claimed = result.strata;
  expect(claimed.map((x) => x.key), keys, "结果的分层");
  const counts = eligibleCounts(s, st, c, caps);
  const qs = quotas(strata.map((x) => pyInt(x.ratio_bp)), counts, keys);
  const sel = m.selection;
  const reserves = qs.map((q) =>
    q === 0 ? 0 : Math.max(pyInt(sel.reserve_min), ceilDiv(q * pyInt(sel.reserve_bp), 10000)),
  );
  const tickets = new Tickets(prefix);
  // Every row whose ticket is at or below the largest ticket the published walks reached.
  let limit = null;
  const t = new Int32Array(8);
  for (const x of claimed) {
    for (const w of x.walk) {
      const code = asciiBytes(w[0]);
      if (code.length !== USCC_LEN) {
        const full = sha256(concat(prefix, code)); // an odd length: hashed as the reference does
        for (let k = 0; k < 8; k++) t[k] = (full[4 * k] << 24) | (full[4 * k + 1] << 16) | (full[4 * k + 2] << 8) | full[4 * k + 3];
      } else tickets.into(code, 0, t, 0);
      if (limit === null || cmpWords(t, 0, limit, 0) > 0) limit = Int32Array.from(t);
    }
  }
  const n = s.length;
  const scan = scanPopulation(u, n, tickets, limit, run);
  const per = strata.map(() => []);
  scan.kept.forEach((row, x) => per[s[row]].push(x));
  const sizes = strata.map(() => 0);
  for (let i = 0; i < n; i++) sizes[s[i]]++;
  const lines = [];
  rec.quotas = {};
  rec.eligible = {};
  rec.reserve_sizes = {};
  rec.reserve = [];
  rec.skipped = [];
  claimed.forEach((x, k) => {
    const key = keys[k];
    expect(x.eligible, counts[k], `分层 ${key}：符合条件的主体数`);
    expect(x.quota, qs[k], `分层 ${key}：配额`);
    expect(x.reserve_size, reserves[k], `分层 ${key}：候补数`);
    let [steps, filled] = walk(ordered(scan, per[k], u).map((j) => scan.kept[j]), cols, qs[k], reserves[k], caps[k]);
    if (!filled && per[k].length < sizes[k]) {
      // The published walks stopped too early: recompute this stratum in full.
      const all = scanPopulation(u, n, tickets, "all", run);
      const rows = [];
      all.kept.forEach((row, j) => s[row] === k && rows.push(j));
      [steps] = walk(ordered(all, rows, u).map((j) => all.kept[j]), cols, qs[k], reserves[k], caps[k]);
    }
    checkWalk(x.walk, steps, key);
    const count = (f) => steps.filter(([, o]) => f(o)).length;
    rec.quotas[key] = qs[k];
    rec.eligible[key] = counts[k];
    rec.reserve_sizes[key] = reserves[k];
    for (const [code, o] of steps) {
      if (o === "reserve") rec.reserve.push(code);
      else if (o !== "selected") rec.skipped.push([code, o]);
    }
    lines.push(
      `分层 ${key}：符合条件 ${counts[k]}，配额 ${qs[k]}，抽中 ${count((o) => o === "selected")}，` +
        `候补 ${count((o) => o === "reserve")}，跳过 ${count((o) => o !== "selected" && o !== "reserve")}`,
    );
  });
  const selected = [];
  claimed.forEach((x, k) => {
    for (const w of x.walk) {
      if (w[1] === "selected") selected.push([sha256(concat(prefix, asciiBytes(w[0]))), w[0], keys[k]]);
    }
  });
  ctx.selected = selected.sort(cmpTuple);
  return `配额、逐行抽取步骤与候补名单均可由种子重算。${lines.join("；")}`;
}

function checkWalk(claimed, steps, key) {
  const n = Math.min(claimed.length, steps.length);
  for (let j = 0; j < n; j++) expect(claimed[j], steps[j], `分层 ${key}：第 ${j + 1} 步抽取`);
  expect(claimed.length, steps.length, `分层 ${key}：抽取步骤数`);
}

export function checkTargets(ctx) {
  const { selected } = ctx;
  const targets = ctx.body.result.targets;
  expect(targets.length, selected.length, "检查对象数");
  targets.forEach((t, n) => {
    const [ticket, code, key] = selected[n];
    expect([t.uscc, t.stratum, t.ticket], [code, key, hex(ticket)], "检查对象顺序（uscc、分层、签号）");
  });
  return `${targets.length} 个检查对象按签号排序，分层与签号均一致`;
}
