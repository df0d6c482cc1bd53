// The population: its columns and their Merkle root; in /3 its rows' attributes.

import { hex } from "./bytes.js";
import { sha256All } from "./sha256.js";
import { Difference, short } from "./errors.js";
import { expect, pyIn, pyInt, sortedDistinct, sortedStr, truthy } from "./python.js";
import { ALGORITHM_SIGNED, ASSIGNED_KINDS, ATTRIBUTES, STATUSES, USCC_LEN } from "./constants.js";
import { chunkData, merkleRoot } from "./merkle.js";
import { checksBound } from "./yearly.js";

export async function checkPopulation(ctx) {
  const { m, columns, rec } = ctx;
  const { uscc: u, stratum: s, status: st, checks: c } = columns;
  const n = s.length;
  if (u.length !== USCC_LEN * n || st.length !== n || c.length !== n) {
    throw new Difference("总体各列长度不一致");
  }
  expect(n, m.population.size, "总体规模（population.size）");
  const chunk = pyInt(m.population.chunk_size);
  if (chunk < 1) throw new Difference("manifest.population.chunk_size 须为正数");
  const signed = m.algorithm === ALGORITHM_SIGNED;
  const hasAttrs = Object.hasOwn(columns, "attributes");
  if (signed !== hasAttrs) {
    throw new Difference(`${m.algorithm} 数据包中${hasAttrs ? "出现了" : "缺少"} population.attributes`);
  }
  const attrs = columns.attributes || new Uint8Array(0);
  if (hasAttrs && attrs.length !== 6 * n) {
    throw new Difference("population.attributes：不是每行 2 字节的三块");
  }
  const data = [];
  for (let a = 0; a < n; a += chunk) data.push(chunkData(u, s, st, c, a, Math.min(a + chunk, n), attrs));
  const leaves = await sha256All(data);
  const root = hex(merkleRoot(leaves));
  rec.population_root = root;
  expect(root, m.population.merkle_root, "总体 Merkle 根");
  if (signed) {
    checksBound(m, c);
    inScope(m, attrs, n);
  }
  ofKind(m, u);
  const bad = st.findIndex((v) => v >= STATUSES.length);
  if (bad >= 0) throw new Difference(`总体第 ${bad} 行：未知状态码 ${st[bad]}`);
  ctx.cols = [u, s, st, c];
  return `${n} 个检查对象，${leaves.length} 个分块，Merkle 根 ${root} 与清单一致`;
}

/** §4.1: the kind of an object from its id's first two characters. */
export function objectKind(first, second) {
  const a = String.fromCharCode(first);
  const b = String.fromCharCode(second);
  if (a === "Z") return ASSIGNED_KINDS[b] || "";
  if (a === "9") return "market_entity";
  if (a === "1" && b === "1") return "organ";
  if (a === "1" && b === "2") return "institution";
  return a === "5" ? "social_organisation" : "other_organisation";
}

/** §4.1: every row of the population is an object of the kind the task targets. */
function ofKind(m, u) {
  const want = Object.hasOwn(m.target_filter, "object_kind") ? m.target_filter.object_kind : "market_entity";
  const seen = new Set();
  for (let at = 0; at < u.length; at += USCC_LEN) {
    const prefix = (u[at] << 8) | u[at + 1];
    if (seen.has(prefix)) continue;
    seen.add(prefix);
    if (objectKind(u[at], u[at + 1]) !== want) {
      const code = String.fromCharCode(...u.subarray(at, at + USCC_LEN));
      throw new Difference(`总体：${code} 不是 ${want} 类检查对象`);
    }
  }
}

/** §14.13: every row's attributes index its vocabulary and lie in the task's scope. */
function inScope(m, attrs, n) {
  const vocabulary = m.population.vocabulary;
  ATTRIBUTES.forEach((key, k) => {
    const values = vocabulary[key];
    if (!Array.isArray(values) || !sortedDistinct(values)) {
      throw new Difference(`manifest.population.vocabulary.${key}：不是排好序的不重复值`);
    }
    const used = new Uint8Array(65536);
    let most = -1;
    for (let i = 2 * k * n; i < 2 * (k + 1) * n; i += 2) {
      const v = (attrs[i] << 8) | attrs[i + 1];
      used[v] = 1;
      if (v > most) most = v;
    }
    if (most >= values.length) {
      throw new Difference(`population.attributes：${key} 的索引超出词表`);
    }
    const scope = m.target_filter[key];
    const outside = [];
    for (let v = 0; v <= most; v++) {
      if (used[v] && truthy(scope) && !pyIn(values[v], scope)) outside.push(values[v]);
    }
    if (outside.length) {
      throw new Difference(`总体：某行的 ${key} 值 ${short(sortedStr(outside)[0])} 不在 target_filter.${key} 之内`);
    }
  });
}
