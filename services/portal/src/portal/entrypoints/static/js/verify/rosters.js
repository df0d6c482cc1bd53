// The inspectors' and the experts' rosters and their Merkle roots.

import { hex } from "./bytes.js";
import { Difference } from "./errors.js";
import { cmpStr, expect, sortedDistinct } from "./python.js";
import { strictUtf8 } from "./fields.js";
import { expertRecord, leafOf, merkleRoot, rosterRecord } from "./merkle.js";

function sortedUnique(ids) {
  const sorted = [...ids].sort(cmpStr); // utf8 of each id: code point order
  return sorted.every((x, i) => x === ids[i]) && new Set(ids).size === ids.length;
}

export function checkRoster(ctx) {
  const { body, m, rec } = ctx;
  const roster = body.roster;
  const ids = roster.map((r) => r.inspector_id);
  ids.forEach(strictUtf8);
  if (!sortedUnique(ids)) throw new Difference("名录未按 inspector_id 排序或有重复");
  for (const r of roster) {
    if (!sortedDistinct(r.qualifications) || !sortedDistinct(r.recusals)) {
      throw new Difference(`名录条目 ${r.inspector_id}：列表未排序或有重复`);
    }
  }
  expect(roster.length, m.roster.size, "名录人数（roster.size）");
  const root = hex(merkleRoot(roster.map((r) => leafOf(rosterRecord(r)))));
  rec.roster_root = root;
  expect(root, m.roster.merkle_root, "检查人员名录 Merkle 根");
  ctx.roster = roster;
  ctx.byId = new Map(roster.map((r) => [r.inspector_id, r]));
  return `${roster.length} 名检查人员，Merkle 根 ${root} 与清单一致`;
}

export function checkExpertRoster(ctx) {
  const { body, m, rec } = ctx;
  const spec = m.experts;
  if (typeof spec.per_target !== "number" || !Number.isInteger(spec.per_target) || spec.per_target < 1) {
    throw new Difference("manifest.experts.per_target 须为正整数");
  }
  if (!sortedDistinct(spec.fields)) throw new Difference("manifest.experts.fields 未排序或有重复");
  const experts = body.expert_roster;
  const ids = experts.map((r) => r.expert_id);
  ids.forEach(strictUtf8);
  if (!sortedUnique(ids)) throw new Difference("专家名录未按 expert_id 排序或有重复");
  for (const r of experts) {
    if (!sortedDistinct(r.recusals)) throw new Difference(`专家名录条目 ${r.expert_id}：回避列表未排序`);
    if (typeof r.active !== "boolean") throw new Difference(`专家名录条目 ${r.expert_id}：active 不是布尔值`);
  }
  expect(experts.length, spec.roster.size, "专家名录人数");
  const root = hex(merkleRoot(experts.map((r) => leafOf(expertRecord(r)))));
  rec.expert_roster_root = root;
  expect(root, spec.roster.merkle_root, "专家名录 Merkle 根");
  ctx.experts = experts;
  return `${experts.length} 名专家，Merkle 根 ${root} 与清单一致`;
}
