// The manifest: its algorithm, its digest, the fields each version has, and in /3 the exact
// shape of every object (§14.10).

import { hex } from "./bytes.js";
import { sha256 } from "./sha256.js";
import { canonical } from "./canonical.js";
import { Difference, short } from "./errors.js";
import {
  blank,
  cmpStr,
  expect,
  has,
  isDict,
  pyEq,
  pyInt,
  sortedDistinct,
  sortedStr,
} from "./python.js";
import { unhex } from "./fields.js";
import {
  ALGORITHM,
  ALGORITHM_EXPERTS,
  ALGORITHM_SIGNED,
  ALGORITHMS,
  ATTRIBUTES,
  BUNDLE_FORMAT,
  AGENCY_PARTY,
  CHUNK,
  DIRECT,
  OBJECT_KINDS,
} from "./constants.js";
import { instant, isoDay } from "./times.js";

export function checkManifest(ctx) {
  const { body, log } = ctx;
  expect(body.format, BUNDLE_FORMAT, "format（数据包格式）");
  const m = body.manifest;
  if (!ALGORITHMS.some((a) => pyEq(m.algorithm, a))) {
    throw new Difference(
      `manifest.algorithm：${short(m.algorithm)} 不是本验证器实现的算法（实现 ${ALGORITHMS.join("、")}）`,
    );
  }
  const signed = m.algorithm === ALGORITHM_SIGNED;
  const withExperts = m.algorithm === ALGORITHM_EXPERTS || (signed && has(m, "experts"));
  const result = body.result;
  if (!withExperts) {
    const where = signed ? `${ALGORITHM_SIGNED}（无 manifest.experts）` : ALGORITHM;
    for (const [what, present] of [
      ["manifest.experts", has(m, "experts")],
      ["expert_roster", has(body, "expert_roster")],
      ["result.experts", has(result, "experts")],
      ["result.targets[].experts", result.targets.some((t) => has(t, "experts"))],
    ]) {
      if (present) throw new Difference(`${where} 数据包中出现了 ${what}`);
    }
  }
  for (const [what, present] of signedFields(body)) {
    if (present !== signed) {
      throw new Difference(`${m.algorithm} 数据包中${signed ? "缺少" : "出现了"} ${what}`);
    }
  }
  const direct = has(m, "matching");
  if (direct && !signed) throw new Difference(`${m.algorithm} 数据包中出现了 manifest.matching`);
  const co = has(m, "co_organisers");
  const coKeys = has(result, "co_organisers") || result.targets.some((t) => has(t, "agency_members"));
  if ((co || coKeys) && !signed) throw new Difference(`${m.algorithm} 数据包中出现了联合检查单位（§16）`);
  if (co && direct) throw new Difference("manifest.co_organisers 与直接委派不能并存（§16：随机匹配）");
  if (signed) {
    checkShape(body, withExperts, direct, co);
    if (direct) checkDirect(m);
    const deadline = instant(m.reveal_deadline, "manifest.reveal_deadline");
    if (deadline <= instant(m.frozen_at, "manifest.frozen_at")) {
      throw new Difference("manifest.reveal_deadline 不晚于 frozen_at");
    }
    checkFutureBeacon(m, deadline);
  }
  const manifestSha = sha256(canonical(m));
  expect(body.manifest_sha256, hex(manifestSha), "manifest_sha256（清单摘要）");
  if (log !== null && !signed) {
    throw new Difference(`给出了 --log，但 ${m.algorithm} 数据包没有抽取日志`);
  }
  Object.assign(ctx, { m, manifestSha, withExperts, signed, direct, co });
  ctx.rec.manifest_sha256 = hex(manifestSha);
  return `算法 ${m.algorithm}，抽取 ${m.draw_id}（任务 ${m.task.task_no}）；清单摘要 ${hex(manifestSha)} 与数据包一致——请与冻结时公示的摘要比对`;
}

function signedFields(body) {
  const fields = [
    ["manifest.reveal_deadline", has(body.manifest, "reveal_deadline")],
    ["log", has(body, "log")],
    ["result.leader_load_cap", has(body.result, "leader_load_cap")],
    ["result.unstaffed_reasons", has(body.result, "unstaffed_reasons")],
  ];
  for (const name of ["commitments", "reveals"]) {
    body[name].forEach((entry, n) => {
      for (const k of ["key_id", "signature"]) fields.push([`${name}[${n}].${k}`, has(entry, k)]);
    });
  }
  if (body.countersign !== null) {
    for (const k of ["key_id", "signature"]) fields.push([`countersign.${k}`, has(body.countersign, k)]);
  }
  return fields;
}

// /3 (§14.10): every object has exactly its keys (an unknown key is refused, never ignored).
const SHAPES = {
  body: ["format", "manifest", "manifest_sha256", "population", "roster", "commitments",
    "reveals", "beacon_value", "seed", "result", "result_sha256", "replacements",
    "countersign", "log"],
  manifest: ["algorithm", "draw_id", "district", "task", "check_items", "target_filter",
    "draw_date", "strata", "selection", "population", "roster", "pools", "neighbour_rule",
    "team", "pair_conflicts", "parties", "beacon", "frozen_at", "reveal_deadline", "checks"],
  checks: ["year", "draws"],
  "checked draw": ["draw_id", "result_sha256", "targets"],
  task: ["task_id", "task_no", "title", "lead_department"],
  check_item: ["code", "name"],
  target_filter: ["entity_types", "industries", "areas", "risk_classes"],
  "kinded target_filter": ["entity_types", "industries", "areas", "risk_classes", "object_kind"],
  stratum: ["key", "ratio_bp", "cap"],
  selection: ["reserve_bp", "reserve_min", "excluded_statuses"],
  "manifest.population": ["size", "chunk_size", "merkle_root", "snapshot_rev", "vocabulary"],
  vocabulary: ATTRIBUTES,
  "manifest.roster": ["size", "merkle_root"],
  pool: ["district", "departments", "tier"],
  team: ["size", "alternates"],
  "roster entry": ["inspector_id", "name", "department", "district", "leader_qualified",
    "certificate_expires_on", "active", "qualifications", "recusals"],
  commitment: ["party", "commitment", "at", "key_id", "signature"],
  reveal: ["party", "share", "at", "key_id", "signature"],
  countersign: ["by", "opinion", "at", "result_sha256", "key_id", "signature"],
  result: ["seed", "strata", "targets", "unstaffed", "load_cap", "pool_size",
    "recusal_disclosures", "leader_load_cap", "unstaffed_reasons"],
  "result stratum": ["key", "eligible", "quota", "reserve_size", "walk"],
  target: ["uscc", "stratum", "ticket", "team"],
  disclosure: ["uscc", "inspector_id", "salt"],
  replacement: ["seq", "uscc", "replaced", "replacement", "role", "reason", "approved_by",
    "approval_ref", "requested_by", "at", "recusal_disclosures", "countersign"],
  "replacement countersign": ["by", "at", "key_id", "signature"],
};
SHAPES.matching = ["rule", "reason", "approval"];
SHAPES["matching approval"] = ["approval_id", "approved_by", "approved_at"];
SHAPES.assignment = ["by", "at", "key_id", "signature"];
const EXPERT_SHAPES = { body: ["expert_roster"], manifest: ["experts"], result: ["experts"], target: ["experts"] };
// the keys direct assignment adds (§15), present exactly with it
const DIRECT_SHAPES = { body: ["assignment"], manifest: ["matching"] };
// the keys co-organising agencies add (§16), present exactly with them
const CO_SHAPES = { manifest: ["co_organisers"], result: ["co_organisers"], target: ["agency_members"] };
SHAPES.co_organiser = ["agency", "name", "check_items", "per_team"];
SHAPES["result co_organisers"] = ["pools", "recusal_disclosures"];
SHAPES["agency pool"] = ["agency", "pool_size", "load_cap"];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function keysOf(obj, shape, where, experts = false, direct = false, co = false) {
  const want = new Set([...SHAPES[shape], ...(experts ? EXPERT_SHAPES[shape] || [] : []),
    ...(direct ? DIRECT_SHAPES[shape] || [] : []), ...(co ? CO_SHAPES[shape] || [] : [])]);
  if (!isDict(obj)) throw new Difference(`${where}：不是对象`);
  const keys = Object.keys(obj);
  const extra = keys.filter((k) => !want.has(k)).sort(cmpStr);
  const missing = [...want].filter((k) => !Object.hasOwn(obj, k)).sort(cmpStr);
  if (extra.length) throw new Difference(`${where}：未知字段 '${extra[0]}'`);
  if (missing.length) throw new Difference(`${where}：缺少字段 '${missing[0]}'`);
}

function inRange(value, low, high, where) {
  if (typeof value !== "number" || !Number.isInteger(value) || value < low || value > high) {
    throw new Difference(`${where}：${short(value)} 不是 ${low}..${high} 的整数`);
  }
}

/** §14.10: a /3 bundle's objects have exactly their keys, numbers their ranges, ids and
 * dates their exact formats. */
function checkShape(body, experts, direct, co) {
  keysOf(body, "body", "数据包正文", experts, direct);
  const m = body.manifest;
  keysOf(m, "manifest", "manifest", experts, direct, co);
  if (co) checkCoOrganisers(m);
  if (direct) {
    keysOf(m.matching, "matching", "manifest.matching");
    keysOf(m.matching.approval, "matching approval", "manifest.matching.approval");
    if (body.assignment !== null) keysOf(body.assignment, "assignment", "assignment");
  }
  if (typeof m.draw_id !== "string" || !UUID.test(m.draw_id)) {
    throw new Difference(`manifest.draw_id：${short(m.draw_id)} 不是小写 UUID`);
  }
  isoDay(m.draw_date, "manifest.draw_date");
  keysOf(m.task, "task", "manifest.task");
  const kinded = isDict(m.target_filter) && Object.hasOwn(m.target_filter, "object_kind");
  keysOf(m.target_filter, kinded ? "kinded target_filter" : "target_filter", "manifest.target_filter");
  if (kinded && !OBJECT_KINDS.includes(m.target_filter.object_kind)) {
    throw new Difference(
      `manifest.target_filter.object_kind：${short(m.target_filter.object_kind)} 不是检查对象类型（市场主体不写 object_kind）`);
  }
  keysOf(m.selection, "selection", "manifest.selection");
  keysOf(m.population, "manifest.population", "manifest.population");
  keysOf(m.population.vocabulary, "vocabulary", "manifest.population.vocabulary");
  keysOf(m.roster, "manifest.roster", "manifest.roster");
  keysOf(m.team, "team", "manifest.team");
  expect(m.population.chunk_size, CHUNK, "manifest.population.chunk_size");
  inRange(m.team.size, 2, 255, "manifest.team.size");
  inRange(m.team.alternates, 1, 8, "manifest.team.alternates");
  inRange(m.selection.reserve_bp, 0, 10000, "manifest.selection.reserve_bp");
  inRange(m.selection.reserve_min, 0, 10000, "manifest.selection.reserve_min");
  checkCheckedDraws(m);
  m.check_items.forEach((item, n) => keysOf(item, "check_item", `manifest.check_items[${n}]`));
  m.strata.forEach((stratum, n) => {
    keysOf(stratum, "stratum", `manifest.strata[${n}]`);
    inRange(stratum.ratio_bp, 0, 10000, `manifest.strata[${n}].ratio_bp`);
    inRange(stratum.cap, 1, 255, `manifest.strata[${n}].cap`);
  });
  m.pools.forEach((pool, n) => {
    keysOf(pool, "pool", `manifest.pools[${n}]`);
    inRange(pool.tier, n === 0 ? 0 : 1, 1, `manifest.pools[${n}].tier`);
  });
  body.roster.forEach((entry, n) => {
    keysOf(entry, "roster entry", `roster[${n}]`);
    isoDay(entry.certificate_expires_on, `roster[${n}].certificate_expires_on`);
  });
  for (const [name, shape] of [["commitments", "commitment"], ["reveals", "reveal"]]) {
    body[name].forEach((entry, n) => keysOf(entry, shape, `${name}[${n}]`));
  }
  if (body.countersign !== null) keysOf(body.countersign, "countersign", "countersign");
  const result = body.result;
  keysOf(result, "result", "result", experts, false, co);
  result.strata.forEach((s, n) => keysOf(s, "result stratum", `result.strata[${n}]`));
  result.targets.forEach((t, n) => keysOf(t, "target", `result.targets[${n}]`, experts, false, co));
  for (const d of result.recusal_disclosures) keysOf(d, "disclosure", "result.recusal_disclosures[]");
  if (co) {
    keysOf(result.co_organisers, "result co_organisers", "result.co_organisers");
    result.co_organisers.pools.forEach((x, n) => keysOf(x, "agency pool", `result.co_organisers.pools[${n}]`));
    for (const d of result.co_organisers.recusal_disclosures) {
      keysOf(d, "disclosure", "result.co_organisers.recusal_disclosures[]");
    }
  }
  body.replacements.forEach((r, n) => {
    keysOf(r, "replacement", `replacements[${n}]`);
    keysOf(r.countersign, "replacement countersign", `replacements[${n}].countersign`);
    for (const d of r.recusal_disclosures) keysOf(d, "disclosure", `replacements[${n}].recusal_disclosures[]`);
  });
}

/** §16.1: the co-organisers sorted by agency code, each once, none named like a pool's
 * district, each with its items, per_team in 1..255 and its own party in the draw. */
function checkCoOrganisers(m) {
  const cos = m.co_organisers;
  if (!Array.isArray(cos) || !cos.length) throw new Difference("manifest.co_organisers：不是非空列表");
  const agencies = cos.map((co, n) => {
    const where = `manifest.co_organisers[${n}]`;
    keysOf(co, "co_organiser", where);
    for (const field of ["agency", "name"]) {
      if (typeof co[field] !== "string" || blank(co[field])) throw new Difference(`${where}.${field} 须为非空字符串`);
    }
    if (co.agency.includes(":")) throw new Difference(`${where}.agency：${short(co.agency)} 含有 ':'`);
    inRange(co.per_team, 1, 255, `${where}.per_team`);
    if (!Array.isArray(co.check_items) || !co.check_items.length) {
      throw new Difference(`${where}.check_items：该单位没有检查事项`);
    }
    co.check_items.forEach((item, k) => keysOf(item, "check_item", `${where}.check_items[${k}]`));
    return co.agency;
  });
  if (!sortedDistinct(agencies)) throw new Difference("manifest.co_organisers：未按单位代码排序，或有重复");
  const districts = new Set(m.pools.map((pool) => pool.district));
  for (const agency of agencies) {
    if (districts.has(agency)) throw new Difference(`manifest.co_organisers：${agency} 也是人员库的区划`);
    const party = agency + AGENCY_PARTY;
    if (m.parties.filter((x) => x === party).length !== 1) {
      throw new Difference(`manifest.parties：联合检查单位的参与方 ${party} 没有恰好出现一次`);
    }
  }
}

/** §15.1: the manifest says, before any randomness, that the teams will be assigned
 * directly, why, and under whose approval — given before the freeze. */
function checkDirect(m) {
  const matching = m.matching;
  expect(matching.rule, DIRECT, "manifest.matching.rule");
  const approval = matching.approval;
  for (const [where, value] of [
    ["manifest.matching.reason", matching.reason],
    ["manifest.matching.approval.approval_id", approval.approval_id],
    ["manifest.matching.approval.approved_by", approval.approved_by],
  ]) {
    if (typeof value !== "string" || blank(value)) throw new Difference(`${where} 须为非空字符串（直接委派须经批准）`);
  }
  const approved = instant(approval.approved_at, "manifest.matching.approval.approved_at");
  if (approved > instant(m.frozen_at, "manifest.frozen_at")) {
    throw new Difference("manifest.matching.approval.approved_at 晚于清单冻结时间");
  }
}

/** §14.12: the draws this year's checks count: the draw date's year, by id, each once. */
function checkCheckedDraws(m) {
  const checks = m.checks;
  keysOf(checks, "checks", "manifest.checks");
  expect(checks.year, pyInt(m.draw_date.slice(0, 4)), "manifest.checks.year");
  const ids = [];
  checks.draws.forEach((d, n) => {
    const where = `manifest.checks.draws[${n}]`;
    keysOf(d, "checked draw", where);
    if (typeof d.draw_id !== "string" || !UUID.test(d.draw_id)) {
      throw new Difference(`${where}.draw_id：${short(d.draw_id)} 不是小写 UUID`);
    }
    unhex(d.result_sha256, 32, `${where}.result_sha256`);
    inRange(d.targets, 1, 2 ** 31, `${where}.targets`);
    ids.push(d.draw_id);
  });
  if (!sortedDistinct(ids)) throw new Difference("manifest.checks.draws：未按 draw_id 排序，或有重复");
}

const BEACON_KEYS = ["available_at", "encoding", "source"];

/** §14.8: a /3 beacon is named with its encoding and is public only after the deadline. */
function checkFutureBeacon(m, deadline) {
  const beacon = m.beacon;
  if (beacon === null) return;
  if (!isDict(beacon) || !pyEq(sortedStr(Object.keys(beacon)), BEACON_KEYS)) {
    throw new Difference(`manifest.beacon：/3 的信标恰有字段 ${BEACON_KEYS.join("、")}`);
  }
  for (const key of ["source", "encoding"]) {
    if (typeof beacon[key] !== "string" || blank(beacon[key])) {
      throw new Difference(`manifest.beacon.${key} 须为非空字符串`);
    }
  }
  if (instant(beacon.available_at, "manifest.beacon.available_at") < deadline) {
    throw new Difference("manifest.beacon.available_at 早于揭示截止时间");
  }
}
