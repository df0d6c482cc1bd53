// The draw log (/3, §14.6–§14.9): its hash chain, the bundle's extract and the draw's records
// in it (checks 13–14), the whole log (check 17).

import { concat, hex } from "./bytes.js";
import { sha256 } from "./sha256.js";
import { canonical } from "./canonical.js";
import { Difference, Malformed, short } from "./errors.js";
import { cmpStr, expect, get, isDict, pyEq, pyIn } from "./python.js";
import { lps } from "./fields.js";
import { ASSIGNING_PARTY, LOG_GENESIS, OFFICE } from "./constants.js";
import { instant } from "./times.js";

const KEY_KINDS = ["key-registered", "key-revoked"];
const DRAW_KINDS = ["frozen", "committed", "revealed", "beacon", "assigned", "drawn", "countersigned", "replaced"];
const VOID_KINDS = ["cancelled", "aborted"];
const COMMIT_FIELDS = ["party", "commitment", "at", "key_id", "signature"];
const REVEAL_FIELDS = ["party", "share", "at", "key_id", "signature"];
const COUNTERSIGN_FIELDS = ["result_sha256", "at", "key_id", "signature"];
const ASSIGN_FIELDS = ["at", "key_id", "signature"];

/** A signed act of the bundle (§14.4) and the seq of its log record. */
function act(kind, party, seq, entry, record = null) {
  let what;
  if (kind === "countersign") what = "会签";
  else if (kind === "assign") what = "直接委派";
  else if (kind === "replacement") what = `第 ${record.seq} 次替换的会签`;
  else what = `${party} 的${kind === "commit" ? "承诺" : "揭示"}`;
  return { kind, party, seq, entry, record, what };
}

const logHash = (record) => hex(sha256(concat(lps("spotcheck/log/v3"), canonical(record))));

/** Check 13 (with `whole`, the chain of check 17): hashes, districts, seq order, prev. */
function logEntries(log, district, what, whole) {
  if (!isDict(log) || !Array.isArray(get(log, "records"))) {
    throw new Difference(`${what}：不是 {"district", "records"}`);
  }
  expect(get(log, "district"), district, `${what}：区县`);
  const out = [];
  let last = 0;
  let lastHash = LOG_GENESIS;
  for (const entry of log.records) {
    const record = entry.record;
    const seq = record.seq;
    if (typeof seq !== "number" || !Number.isInteger(seq) || seq <= last) {
      throw new Difference(`${what}：记录 seq ${short(seq)} 在 seq ${last} 之后（seq 须递增）`);
    }
    if (whole && seq !== last + 1) throw new Difference(`${what}：链中缺少 seq ${last + 1}（在 ${seq} 之前）`);
    const digest = logHash(record);
    expect(entry.hash, digest, `${what}：记录 seq ${seq} 的哈希`);
    expect(record.district, district, `${what}：记录 seq ${seq} 的区县`);
    if (seq === last + 1) expect(record.prev, lastHash, `${what}：记录 seq ${seq} 的 prev（哈希链）`);
    out.push([record, digest]);
    last = seq;
    lastHash = digest;
  }
  return out;
}

/** Checks 13 and 14: the bundle's log extract and the draw's records in it. */
export function checkLogExtract(ctx) {
  const { body, m } = ctx;
  ctx.extract = logEntries(body.log, m.district, "日志摘录", false);
  const records = ctx.extract.map(([r]) => r);
  ctx.acts = checkDrawRecords(body, m, records);
  const seqs = records.map((r) => r.seq);
  return `日志摘录 ${records.length} 条（seq ${seqs[0]}..${seqs.at(-1)}），哈希正确；冻结、承诺、揭示` +
    `${m.beacon !== null ? "、信标" : ""}${Object.hasOwn(m, "matching") ? "、直接委派" : ""}、抽取、会签与替换记录均与数据包一致`;
}

/** Check 14: the draw's records, in order, equal to the bundle. Returns the signed acts. */
function checkDrawRecords(body, m, records) {
  const mine = recordsOfDraw(m, records);
  const n = m.parties.length;
  const sign = body.countersign;
  if (body.replacements.length && sign === null) {
    throw new Difference("第 1 次替换没有会签：/3 中替换须在会签之后");
  }
  const beacon = m.beacon !== null ? 1 : 0;
  const direct = Object.hasOwn(m, "matching") ? 1 : 0; // §15.3: the assignment precedes the result
  const want = ["frozen", ...Array(n).fill("committed"), ...Array(n).fill("revealed"),
    ...Array(beacon).fill("beacon"), ...Array(direct).fill("assigned"), "drawn", ...(sign !== null ? ["countersigned"] : []),
    ...Array(body.replacements.length).fill("replaced")];
  want.forEach((kind, j) => {
    if (j === mine.length) {
      throw new Difference(`日志：缺少本次抽取的 '${kind}' 记录${mine.length ? `（在 seq ${mine.at(-1).seq} 之后）` : ""}`);
    }
    if (!pyEq(mine[j].kind, kind)) {
      throw new Difference(`日志：本次抽取的记录 seq ${mine[j].seq} 是 ${short(mine[j].kind)}，应为 '${kind}'`);
    }
  });
  if (mine.length > want.length) throw new Difference(`日志：本次抽取多出一条记录，seq ${mine[want.length].seq}`);
  if (beacon) checkBeaconRecord(body, m, mine[2 * n + 1]);
  const frozen = mine[0];
  const drawn = mine[2 * n + 1 + beacon + direct];
  const rest = mine.slice(2 * n + 2 + beacon + direct);
  for (const [field, value] of [
    ["manifest_sha256", body.manifest_sha256],
    ["reveal_deadline", m.reveal_deadline],
    ["task_id", m.task.task_id],
  ]) {
    expect(frozen[field], value, `日志：'frozen' 记录 seq ${frozen.seq}：${field}`);
  }
  const acts = matchActs(mine.slice(1, n + 1), body.commitments, "commit", COMMIT_FIELDS);
  acts.push(...matchActs(mine.slice(n + 1, 2 * n + 1), body.reveals, "reveal", REVEAL_FIELDS));
  if (direct) acts.push(assignedRecord(body, mine[2 * n + 1 + beacon]));
  for (const field of ["seed", "result_sha256"]) {
    expect(drawn[field], body[field], `日志：'drawn' 记录 seq ${drawn.seq}：${field}`);
  }
  if (sign !== null) {
    const c = rest.shift();
    for (const field of COUNTERSIGN_FIELDS) {
      expect(c[field], sign[field], `日志：'countersigned' 记录 seq ${c.seq}：${field}`);
    }
    checkAudit(body, c);
    acts.push(act("countersign", OFFICE, c.seq, sign));
  }
  if (rest.length !== body.replacements.length) throw new Malformed("zip() 长度不一致");
  rest.forEach((r, k) => {
    const rep = body.replacements[k];
    const what = `日志：'replaced' 记录 seq ${r.seq}`;
    expect(r.replacement_seq, rep.seq, `${what}：replacement_seq`);
    expect(r.replacement_sha256, hex(sha256(canonical(rep))), `${what}：replacement_sha256`);
    expect(rep.countersign.at, r.at, `${what}：会签时间`);
    acts.push(act("replacement", OFFICE, r.seq, rep.countersign, rep));
  });
  return acts;
}

/** §15.3: the assignment as signed — per target in target order, its team (and experts). */
export function assignmentOf(body) {
  const experts = Object.hasOwn(body.manifest, "experts");
  return body.result.targets.map((t) => (experts
    ? { uscc: t.uscc, team: t.team, experts: t.experts }
    : { uscc: t.uscc, team: t.team }));
}

/** §15.3: the 'assigned' record equals the bundle's assignment and holds its digest. */
function assignedRecord(body, a) {
  const what = `日志：'assigned' 记录 seq ${a.seq}`;
  for (const field of ASSIGN_FIELDS) expect(a[field], body.assignment[field], `${what}：${field}`);
  expect(a.assignment_sha256, hex(sha256(canonical(assignmentOf(body)))), `${what}：assignment_sha256`);
  return act("assign", ASSIGNING_PARTY, a.seq, body.assignment);
}

/** §14.9: the audit recorded with the countersignature counts the bundle's disclosures. */
function checkAudit(body, c) {
  const result = body.result;
  let disclosed = result.recusal_disclosures.length;
  disclosed += get(get(result, "experts", {}), "recusal_disclosures", []).length;
  disclosed += get(get(result, "co_organisers", {}), "recusal_disclosures", []).length;
  const audit = get(c, "audit");
  if (!isDict(audit) || get(audit, "recomputed") !== true) {
    throw new Difference(`日志：'countersigned' 记录 seq ${c.seq}：没有审核记录（§14.9）`);
  }
  expect(get(audit, "disclosed"), disclosed, `日志：记录 seq ${c.seq}：audit.disclosed`);
}

/** The extract's records of the draw (keys aside); none of another draw, none voiding it. */
function recordsOfDraw(m, records) {
  const mine = [];
  for (const r of records) {
    if (pyIn(r.kind, KEY_KINDS)) continue;
    if (!pyIn(r.kind, [...DRAW_KINDS, ...VOID_KINDS]) || !pyEq(get(r, "draw_id"), m.draw_id)) {
      throw new Difference(`日志摘录：记录 seq ${r.seq} 不是本次抽取的记录`);
    }
    if (pyIn(r.kind, VOID_KINDS)) throw new Difference(`日志：本次抽取已被 ${r.kind}（记录 seq ${r.seq}）`);
    mine.push(r);
  }
  return mine;
}

/** §14.8: the beacon's value was entered after every reveal, once it was public. */
function checkBeaconRecord(body, m, b) {
  expect(b.value, body.beacon_value, `日志：'beacon' 记录 seq ${b.seq}：value`);
  const available = instant(m.beacon.available_at, "manifest.beacon.available_at");
  if (instant(b.at, `日志：'beacon' 记录 seq ${b.seq}：at`) < available) {
    throw new Difference(`日志：信标值在 ${m.beacon.available_at} 之前录入`);
  }
}

/** One record per party (in any order), each equal to the bundle's entry of its party. */
function matchActs(records, entries, kind, fields) {
  const byParty = new Map();
  const parties = entries.map((e) => e.party);
  for (const r of records) {
    if (!pyIn(r.party, parties) || byParty.has(r.party)) {
      throw new Difference(`日志：'${r.kind}' 记录 seq ${r.seq}：${short(r.party)} 不是本次抽取的当事方，或另有同类记录`);
    }
    byParty.set(r.party, r);
  }
  return entries.map((e) => {
    const r = byParty.get(e.party);
    if (r === undefined) throw new Malformed(`缺少 ${e.party} 的记录`);
    for (const field of fields) expect(r[field], e[field], `日志：'${r.kind}' 记录 seq ${r.seq}：${field}`);
    return act(kind, e.party, r.seq, e);
  });
}

/** Check 17: the full log chains from seq 1, holds the extract unchanged and every record
 * of the draw, and revokes no used key before its use. */
export function checkFullLog(ctx) {
  const { log, m, extract, acts, rec } = ctx;
  const full = logEntries(log, m.district, "--log", true);
  if (!full.length) throw new Difference("--log：日志没有记录");
  const bySeq = new Map(full.map(([r, d]) => [r.seq, [r, d]]));
  for (const [record, digest] of extract) {
    const theirs = bySeq.get(record.seq);
    if (theirs === undefined) throw new Difference(`数据包的日志记录 seq ${record.seq} 不在 --log 中`);
    if (!pyEq(theirs[0], record) || theirs[1] !== digest) {
      throw new Difference(`日志记录 seq ${record.seq}：数据包的摘录与 --log 不同（哈希 ${digest}，--log 中为 ${theirs[1]}）`);
    }
  }
  const held = new Set(extract.map(([r]) => r.seq));
  for (const [record] of full) {
    if (pyEq(get(record, "draw_id"), m.draw_id) && !held.has(record.seq)) {
      throw new Difference(`日志记录 seq ${record.seq}（本次抽取的 '${record.kind}'）不在数据包的摘录中`);
    }
    if (record.kind === "key-revoked") {
      for (const a of acts) {
        if (pyEq(record.key_id, a.entry.key_id) && record.seq < a.seq) {
          throw new Difference(`${a.what}：密钥 ${a.entry.key_id} 已于 seq ${record.seq} 吊销，在其使用（seq ${a.seq}）之前（--log）`);
        }
      }
    }
  }
  const [last, digest] = full.at(-1);
  const head = get(log, "head");
  let note = "";
  if (isDict(head) && !pyEq(get(head, "seq"), last.seq)) note = `；日志止于 seq ${last.seq}，其自带的头为 seq ${get(head, "seq")}`;
  else if (isDict(head)) expect(get(head, "hash"), digest, `--log：头哈希（seq ${last.seq}）`);
  rec.log_head = { seq: last.seq, hash: digest };
  const others = otherDraws(full, m);
  return `完整日志自 seq 1 起哈希链连续，数据包摘录与之一致，所用密钥未在使用前吊销；日志头 seq ${last.seq} ${digest}——请与公示的日志头比对` +
    note + (others ? `；同一任务的其他抽取：${others}` : "");
}

/** Other draws of the task in the log, with the kind of their last record. */
function otherDraws(full, m) {
  const fate = new Map();
  for (const [r] of full) if (!pyIn(r.kind, KEY_KINDS)) fate.set(String(get(r, "draw_id")), r.kind);
  const task = m.task.task_id;
  return full
    .filter(([r]) => r.kind === "frozen" && pyEq(get(r, "task_id"), task) && r.draw_id !== m.draw_id)
    .map(([r]) => r.draw_id)
    .sort(cmpStr)
    .map((d) => `${d}（${fate.get(d)}）`)
    .join("、");
}
