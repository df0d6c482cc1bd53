// The teams replayed (§8), the hard rules on the published teams, the replacements (§9,
// /3 §14.11) and the office's countersignature.

import { Difference } from "./errors.js";
import { blank, expect, has, pyEq, pyInt, truthy } from "./python.js";
import { ALGORITHM_SIGNED } from "./constants.js";
import {
  AgencyMatching,
  excluded,
  EXCLUDED_ZH,
  ExpertMatching,
  Matching,
  openings,
  pair,
} from "./matching.js";

export function checkMatching(ctx) {
  if (ctx.direct) return checkAssigned(ctx);
  const { m, key, roster, byId, rec } = ctx;
  const { result, replacements } = ctx.body;
  const nSelected = ctx.selected.length;
  const recused = openings(result.recusal_disclosures, byId, false);
  const signed = m.algorithm === ALGORITHM_SIGNED;
  const matching = new Matching(key, m, roster, nSelected, recused, signed);
  if (signed) {
    matching.peek = new Set(replacements.map((r) => r.uscc));
    matching.peekCount = pyInt(m.team.alternates);
    for (const r of replacements) {
      for (const k of openings(r.recusal_disclosures, byId, false)) matching.peekRecused.add(k);
    }
  }
  expect(result.pool_size, matching.pool.size, "人员库人数（pool_size）");
  expect(result.load_cap, matching.cap, "工作量上限（load_cap）");
  if (signed) expect(result.leader_load_cap, matching.leaderCap, "组长工作量上限（leader_load_cap）");
  let ematching = null;
  if (has(m, "experts")) {
    const eById = new Map(ctx.experts.map((r) => [r.expert_id, r]));
    const erecused = openings(result.experts.recusal_disclosures, eById, true);
    ematching = new ExpertMatching(key, m, ctx.experts, nSelected, erecused);
    expect(result.experts.pool_size, ematching.pool.size, "专家库人数");
    expect(result.experts.load_cap, ematching.cap, "专家工作量上限");
  }
  let amatching = null;
  if (has(m, "co_organisers")) { // §16
    const arecused = openings(result.co_organisers.recusal_disclosures, byId, false);
    amatching = new AgencyMatching(key, m, roster, nSelected, arecused, matching.conflict);
    const pools = amatching.pools.map(([a, , pool]) => ({ agency: a, pool_size: pool.length, load_cap: amatching.cap.get(a) }));
    expect(result.co_organisers.pools, pools, "联合检查单位人员库（co_organisers.pools）");
  }
  const unstaffed = result.targets.filter((t) => !staff(t, matching, ematching, amatching)).map((t) => t.uscc);
  expect(result.unstaffed, unstaffed, "未能组队的检查对象");
  if (signed) {
    expect(result.unstaffed_reasons, unstaffed.map((u) => matching.short.get(u)), "未能组队的原因");
    checkMet(result.recusal_disclosures, matching.met, "inspector_id", "回避");
    if (ematching) checkMet(result.experts.recusal_disclosures, ematching.met, "expert_id", "专家回避");
    if (amatching) checkMet(result.co_organisers.recusal_disclosures, amatching.met, "inspector_id", "联合检查单位人员回避");
  }
  Object.assign(rec, {
    load_cap: matching.cap,
    pool_size: matching.pool.size,
    unstaffed,
    ...(signed && { leader_load_cap: matching.leaderCap, unstaffed_reasons: unstaffed.map((u) => matching.short.get(u)) }),
    ...(ematching && { expert_load_cap: ematching.cap, expert_pool_size: ematching.pool.size }),
    ...(amatching && {
      agency_pools: result.co_organisers.pools,
      agency_members: result.targets.map((t) => [t.uscc, t.agency_members]),
    }),
  });
  Object.assign(ctx, { matching, ematching, amatching });
  return (
    `${result.targets.length - unstaffed.length} 个对象组队成功，${unstaffed.length} 个未能组队；` +
    `人员库 ${matching.pool.size} 人，工作量上限 ${matching.cap}` +
    (signed ? `，组长上限 ${matching.leaderCap}` : "") +
    `；${result.recusal_disclosures.length} 项回避披露均能打开名录中的承诺` +
    (ematching ? `；每个对象 ${ematching.per} 名专家，专家库 ${ematching.pool.size} 人，专家上限 ${ematching.cap}` : "") +
    (amatching ? "；联合检查单位：" + amatching.pools.map(([a, per, pool]) =>
      `${a} 每组 ${per} 名，人员库 ${pool.length} 人，上限 ${amatching.cap.get(a)}`).join("；") : "")
  );
}

/** §15.2, §15.4: assigned teams are not replayed — nothing was searched, so nothing is
 * unstaffed, met or disclosed, and none is replaced — but every target has a full team. */
function checkAssigned(ctx) {
  const { m, key, roster, rec, body } = ctx;
  const result = body.result;
  const nSelected = ctx.selected.length;
  const matching = new Matching(key, m, roster, nSelected, new Set(), true);
  expect(result.pool_size, matching.pool.size, "人员库人数（pool_size）");
  expect(result.load_cap, matching.cap, "工作量上限（load_cap）");
  expect(result.leader_load_cap, matching.leaderCap, "组长工作量上限（leader_load_cap）");
  for (const name of ["unstaffed", "unstaffed_reasons", "recusal_disclosures"]) {
    expect(result[name], [], `直接委派的抽取的 result.${name}`);
  }
  if (body.assignment === null) throw new Difference("assignment：声明直接委派的抽取尚未委派检查组");
  if (body.replacements.length) throw new Difference("第 1 次替换：直接委派的检查组没有备选人员（§15.4）");
  let ematching = null;
  if (has(m, "experts")) {
    ematching = new ExpertMatching(key, m, ctx.experts, nSelected, new Set());
    expect(result.experts.pool_size, ematching.pool.size, "专家库人数");
    expect(result.experts.load_cap, ematching.cap, "专家工作量上限");
    expect(result.experts.recusal_disclosures, [], "专家回避披露");
  }
  const size = pyInt(m.team.size);
  for (const t of result.targets) {
    if (t.team.length !== size) throw new Difference(`${t.uscc} 的检查组：委派的不是 ${size} 名检查人员`);
  }
  Object.assign(rec, {
    load_cap: matching.cap,
    pool_size: matching.pool.size,
    unstaffed: [],
    leader_load_cap: matching.leaderCap,
    unstaffed_reasons: [],
    ...(ematching && { expert_load_cap: ematching.cap, expert_pool_size: ematching.pool.size }),
  });
  Object.assign(ctx, { matching, ematching });
  const approval = m.matching.approval;
  return `${result.targets.length} 个检查组为直接委派（非随机匹配，第六条）：${m.matching.reason}；` +
    `经 ${approval.approved_by} 批准（${approval.approval_id}，${approval.approved_at}），` +
    `由 ${body.assignment.by} 于 ${body.assignment.at} 委派并签名；检查对象仍为随机抽取`;
}

/** /3 (§14.9): the disclosures are exactly the recusals met, in the order met. */
function checkMet(disclosures, met, who, what) {
  const got = disclosures.map((d) => [d.uscc, d[who]]);
  if (!pyEq(got, met)) {
    const extra = got.filter((x) => !met.some((y) => pyEq(x, y)));
    throw new Difference(
      `${what}披露与匹配中实际遇到的回避（按遇到顺序）不一致` +
        (extra.length ? `：${extra[0][1]} 对 ${extra[0][0]} 的回避从未遇到` : ""),
    );
  }
}

/** One target's team (experts, agencies' inspectors) as matched in ticket order; false if
 * unstaffed. */
function staff(t, matching, ematching, amatching) {
  let team = matching.staff(t.uscc);
  let chosen = [];
  if (ematching) {
    chosen = team.length ? ematching.staff(t.uscc) : [];
    if (team.length && chosen === null) {
      matching.unstaff(team);
      matching.short.set(t.uscc, "experts");
      team = [];
      chosen = [];
    }
  }
  if (amatching) { // §16: after the team and its experts
    let members = team.length ? amatching.staff(t.uscc, team.map(([i]) => i)) : [];
    if (team.length && members === null) {
      matching.unstaff(team);
      if (ematching && chosen.length) ematching.unstaff(chosen);
      matching.short.set(t.uscc, "agency");
      team = [];
      chosen = [];
      members = [];
    }
    expect(t.agency_members, members, `${t.uscc} 的联合检查单位人员`);
  }
  if (ematching) expect(t.experts, chosen, `${t.uscc} 的专家`);
  expect(t.team, team, `${t.uscc} 的检查组`);
  return team.length > 0;
}

/** The hard rules on the published teams themselves (independent of the replay). */
export function checkConstraints(ctx) {
  const { m, byId, matching, ematching } = ctx;
  const targets = ctx.body.result.targets;
  const loads = new Map();
  const size = pyInt(m.team.size);
  const whyNot = new Map();
  for (const t of targets) {
    const team = t.team;
    if (!truthy(team)) continue;
    const ids = team.map(([i]) => i);
    if (team.length < size || new Set(ids).size !== ids.length) {
      throw new Difference(`${t.uscc} 的检查组：不足 ${size} 名不同的检查人员`);
    }
    const roles = team.map(([, r]) => r);
    if (roles.filter((r) => r === "leader").length !== 1 || roles[0] !== "leader") {
      throw new Difference(`${t.uscc} 的检查组：须恰有一名组长且列在首位`);
    }
    for (const [i, role] of team) {
      const r = byId.get(i);
      if (r === undefined) throw new Difference(`${t.uscc} 的检查组：${i} 不在名录中`);
      if (!whyNot.has(i)) whyNot.set(i, excluded(r, m));
      const why = whyNot.get(i);
      if (why) throw new Difference(`${t.uscc} 的检查组：${i} ${EXCLUDED_ZH[why]}`);
      if (role === "leader" && !truthy(r.leader_qualified)) {
        throw new Difference(`${t.uscc} 的检查组：组长 ${i} 不具备组长资格`);
      }
      if (matching.recused.has(pair(t.uscc, i))) throw new Difference(`${t.uscc} 的检查组：${i} 须回避该对象`);
      loads.set(i, (loads.get(i) || 0) + 1);
    }
    for (const a of ids) {
      const mine = matching.conflict.get(a);
      if (mine && ids.some((b) => mine.has(b))) {
        throw new Difference(`${t.uscc} 的检查组：${a} 与组内成员有申报的冲突关系`);
      }
    }
  }
  const caps = !ctx.direct; // assigned teams are not capped (§15.4)
  for (const [i, load] of caps ? loads : []) {
    const cap = matching.capOf.get(i);
    if (load > cap) throw new Difference(`检查人员 ${i}：${load} 个对象，超过工作量上限 ${cap}`);
  }
  if (ematching) checkExpertConstraints(m, targets, ematching, caps);
  if (ctx.amatching) checkAgencyConstraints(targets, ctx.amatching, matching.conflict);
  return "每组人数足够且互不相同、组长唯一且具备资格、成员均在人员库中且未被回避、组内无冲突关系" +
    (caps ? "、无人超过工作量上限" : "（直接委派不受工作量上限约束）") +
    (ematching ? `；每组专家人数正确、均在专家库中、未被回避${caps ? "、未超上限" : ""}` : "") +
    (ctx.amatching ? "；每组有各联合检查单位规定人数的人员，均在该单位人员库中、未被回避、无冲突关系、未超上限" : "");
}

/** §16 on the published result: each staffed target has each agency's quota of its pool, in
 * manifest order, none recused, no pair conflict within the team, no load above the cap. */
function checkAgencyConstraints(targets, amatching, conflict) {
  const loads = new Map();
  const want = amatching.pools.flatMap(([a, per]) => Array(per).fill(a));
  for (const t of targets) {
    const ids = t.agency_members;
    if (!truthy(t.team)) {
      if (truthy(ids)) throw new Difference(`${t.uscc} 的联合检查单位人员：未能组队的对象不应有`);
      continue;
    }
    const got = ids.map((i) => amatching.agencyOf.get(i) ?? null);
    if (!pyEq(got, want) || new Set(ids).size !== ids.length) {
      throw new Difference(`${t.uscc} 的联合检查单位人员：不是各单位人员库中规定人数的人员`);
    }
    const everyone = [...t.team.map(([i]) => i), ...ids];
    for (const i of ids) {
      if (amatching.recused.has(pair(t.uscc, i))) throw new Difference(`${t.uscc} 的联合检查单位人员：${i} 须回避该对象`);
      const mine = conflict.get(i);
      if (mine && everyone.some((x) => mine.has(x))) {
        throw new Difference(`${t.uscc} 的检查组：${i} 与组内成员有申报的冲突关系`);
      }
      loads.set(i, (loads.get(i) || 0) + 1);
    }
  }
  for (const [i, load] of loads) {
    const cap = amatching.cap.get(amatching.agencyOf.get(i));
    if (load > cap) throw new Difference(`联合检查单位人员 ${i}：${load} 个对象，超过工作量上限 ${cap}`);
  }
}

function checkExpertConstraints(m, targets, ematching, caps) {
  const loads = new Map();
  const per = pyInt(m.experts.per_target);
  for (const t of targets) {
    const ids = t.experts;
    if (!truthy(t.team)) {
      if (truthy(ids)) throw new Difference(`${t.uscc} 的专家：未能组队的对象不应有专家`);
      continue;
    }
    if (ids.length !== per || new Set(ids).size !== ids.length) {
      throw new Difference(`${t.uscc} 的专家：不是 ${per} 名不同的专家`);
    }
    for (const e of ids) {
      if (!ematching.pool.has(e)) throw new Difference(`${t.uscc} 的专家：${e} 不在专家库中`);
      if (ematching.recused.has(pair(t.uscc, e))) throw new Difference(`${t.uscc} 的专家：${e} 须回避该对象`);
      loads.set(e, (loads.get(e) || 0) + 1);
    }
  }
  for (const [e, load] of caps ? loads : []) {
    if (load > ematching.cap) throw new Difference(`专家 ${e}：${load} 个对象，超过工作量上限 ${ematching.cap}`);
  }
}

/** §14.11: the position's first alternate (fixed by the draw) that may still serve. */
function alternate(matching, teams, gone, r, j, agencyOf) {
  const team = teams.get(r.uscc);
  const position = team.findIndex(([i]) => i === r.replaced);
  const [alternates, met] = matching.alternates.get(r.uscc)[position];
  const disclosed = r.recusal_disclosures.map((d) => [d.uscc, d.inspector_id]);
  expect(disclosed, met.map((i) => [r.uscc, i]), `第 ${j + 1} 次替换：回避披露`);
  const rest = team.map(([i]) => i).filter((i) => i !== r.replaced);
  const near = [...rest, ...(agencyOf.get(r.uscc) || [])]; // §16: the agencies' too
  const loads = new Map();
  for (const members of teams.values()) for (const [i] of members) loads.set(i, (loads.get(i) || 0) + 1);
  const out = gone.get(r.uscc) || new Set();
  for (const a of alternates) {
    if (rest.includes(a) || a === r.replaced || out.has(a)) continue;
    if (matching.blocked(a, near) || (loads.get(a) || 0) >= matching.capOf.get(a)) continue;
    return a;
  }
  return null;
}

export function checkReplacements(ctx) {
  const { body, matching, byId, rec } = ctx;
  const targets = body.result.targets;
  const teams = new Map(targets.map((t) => [t.uscc, t.team.map((x) => [...x])]));
  const gone = new Map();
  const agencyOf = new Map(targets.map((t) => [t.uscc, has(t, "agency_members") ? t.agency_members : []]));
  const signed = body.manifest.algorithm === ALGORITHM_SIGNED;
  body.replacements.forEach((r, j) => {
    expect(r.seq, j + 1, "替换序号");
    for (const field of ["reason", "approved_by", "approval_ref"]) {
      if (blank(r[field])) throw new Difference(`第 ${j + 1} 次替换：缺少 ${field}（须经分管局长批准）`);
    }
    const team = (teams.has(r.uscc) && truthy(teams.get(r.uscc)) && teams.get(r.uscc)) || [];
    const roles = new Map(team.map(([i, x]) => [i, x]));
    if (!roles.has(r.replaced)) {
      throw new Difference(`第 ${j + 1} 次替换：${r.replaced} 不在 ${r.uscc} 的检查组中`);
    }
    let got;
    if (signed) got = alternate(matching, teams, gone, r, j, agencyOf);
    else {
      for (const k of openings(r.recusal_disclosures, byId, false)) matching.recused.add(k);
      got = matching.replace(r.uscc, team, r.replaced, gone.get(r.uscc) || new Set());
    }
    expect(r.replacement, got, `第 ${j + 1} 次替换（${r.uscc} 的 ${r.replaced}）`);
    expect(r.role, roles.get(r.replaced), `第 ${j + 1} 次替换：角色`);
    if (!gone.has(r.uscc)) gone.set(r.uscc, new Set());
    gone.get(r.uscc).add(r.replaced);
    teams.set(r.uscc, team.map(([i, x]) => [i === r.replaced ? got : i, x]));
  });
  rec.targets = targets.map((t) => [t.uscc, t.stratum, teams.get(t.uscc).map(([i]) => i)]);
  if (has(body.manifest, "experts")) rec.experts = targets.map((t) => [t.uscc, t.experts]);
  const n = body.replacements.length;
  return n ? `${n} 次替换均经批准，且替换人员可按规则重算` : "无人员替换";
}

export function checkCountersign(body) {
  const sign = body.countersign;
  if (sign === null) return "尚未会签";
  expect(sign.result_sha256, body.result_sha256, "countersign.result_sha256（会签针对的结果摘要）");
  if (blank(sign.by)) throw new Difference("会签没有签署人");
  return `由 ${sign.by} 会签，会签针对的结果摘要与本结果一致`;
}
