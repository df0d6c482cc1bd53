// Checks 15–16 (/3, §14.2–§14.4): the parties' keys as the log registers them, and every
// signature of the ceremony.

import { concat, hex } from "./bytes.js";
import { sha256 } from "./sha256.js";
import { canonical } from "./canonical.js";
import { Difference, short } from "./errors.js";
import { expect, pyEq } from "./python.js";
import { lp, lps, unhex } from "./fields.js";
import { ASSIGNING_PARTY, OFFICE } from "./constants.js";
import { assignmentOf } from "./log.js";
import { chinaDay, instant, isoDay } from "./times.js";
import { ed25519Verify } from "./ed25519.js";

/** Check 15: keys registered before use, right key_id and self-signature, valid on the
 * day, not revoked (in the extract); the party, holder and same-key rules of §14.4. */
export async function checkKeys(ctx) {
  const { acts } = ctx;
  const records = ctx.extract.map(([r]) => r);
  ctx.cache = new Map();
  const registered = new Map();
  const revoked = new Map();
  for (const r of records) {
    if (r.kind === "key-registered") {
      const kid = r.key.key_id;
      if (registered.has(kid)) throw new Difference(`日志：密钥 ${kid} 登记了两次（seq ${registered.get(kid)[0]}）`);
      registered.set(kid, [r.seq, r.key]);
    } else if (r.kind === "key-revoked" && !revoked.has(r.key_id)) {
      revoked.set(r.key_id, r.seq);
    }
  }
  const used = new Map();
  const holderOf = new Map(); // party -> the person who holds its share
  let assigner = null; // §15.3: who signed the direct assignment
  for (const a of acts) {
    const key = await usableKey(a, registered, revoked, used, ctx);
    const kid = key.key_id;
    if (a.kind === "commit") {
      expect(key.party, a.party, `${a.what}：密钥 ${kid} 的当事方`);
      distinctHolder(a, key, holderOf);
      holderOf.set(a.party, key.holder);
    } else if (a.kind === "reveal") {
      const first = acts.find((x) => x.kind === "commit" && x.party === a.party);
      if (!pyEq(kid, first.entry.key_id)) {
        throw new Difference(`${a.what}：由密钥 ${kid} 签名，其承诺由密钥 ${first.entry.key_id} 签名（揭示须用承诺的密钥）`);
      }
    } else if (a.kind === "replacement") {
      expect(key.party, OFFICE, `${a.what}：密钥 ${kid} 的当事方`);
      if (pyEq(key.holder, a.record.requested_by)) {
        throw new Difference(`${a.what}：由申请替换的人（${key.holder}）签名`);
      }
    } else if (a.kind === "assign") {
      expect(key.party, ASSIGNING_PARTY, `${a.what}：密钥 ${kid} 的当事方`);
      assigner = key.holder;
    } else {
      expect(key.party, OFFICE, `${a.what}：密钥 ${kid} 的当事方`);
      distinctHolder(a, key, holderOf);
      if (assigner !== null && pyEq(key.holder, assigner)) {
        throw new Difference(`${a.what}：由委派检查组的 ${assigner} 签名（监督须由他人进行）`);
      }
    }
  }
  ctx.keys = used;
  const named = [...used.values()].map((k) => `${k.key_id}（${k.party}，${k.holder}）`);
  return `所用密钥 ${named.join("；")} 均在使用前登记、公钥与 key_id 相符、自签名正确、在有效期内且未被吊销；各方持有人互不相同`;
}

/** The parties are distinct people, and the countersigner holds no share (§14.4). */
function distinctHolder(a, key, holderOf) {
  for (const [party, holder] of holderOf) {
    if (pyEq(holder, key.holder)) {
      throw new Difference(`${a.what}：密钥 ${key.key_id} 的持有人 ${short(holder)} 也持有 ${party} 的份额（各方与会签人须为不同的人）`);
    }
  }
}

/** The key an act names, if its signature may count for the act (§14.2). */
async function usableKey(a, registered, revoked, used, ctx) {
  const kid = a.entry.key_id;
  if (!registered.has(kid)) throw new Difference(`${a.what}：密钥 ${short(kid)} 在日志中没有登记记录`);
  const [seq, key] = registered.get(kid);
  if (seq >= a.seq) throw new Difference(`${a.what}：密钥 ${kid} 登记于 seq ${seq}，不在其使用（seq ${a.seq}）之前`);
  if (!used.has(kid)) {
    await checkKeyRecord(key, ctx.m.district, ctx.cache);
    used.set(kid, key);
  }
  const day = chinaDay(instant(a.entry.at, `${a.what}：at`));
  const lo = isoDay(key.valid_from, `密钥 ${kid}：valid_from`);
  const hi = isoDay(key.valid_until, `密钥 ${kid}：valid_until`);
  if (day < lo || day > hi) throw new Difference(`${a.what}：密钥 ${kid} 的有效期为 ${lo} 至 ${hi}，不含 ${day}（北京时间）`);
  if (revoked.has(kid) && revoked.get(kid) < a.seq) {
    throw new Difference(`${a.what}：密钥 ${kid} 已于 seq ${revoked.get(kid)} 吊销，在其使用（seq ${a.seq}）之前`);
  }
  return key;
}

/** A key record (§14.2): its key_id is its public key's, its self-signature verifies. */
async function checkKeyRecord(key, district, cache) {
  const kid = key.key_id;
  const pub = unhex(key.public_key, 32, `密钥 ${short(kid)}：public_key`);
  expect(kid, hex(sha256(pub).subarray(0, 16)), "key_id（公钥 SHA-256 的前 16 字节）");
  const message = concat(lps("spotcheck/key/v3"), lps(district), lps(key.party), lps(key.holder),
    lp(pub), lps(key.valid_from), lps(key.valid_until));
  const signature = unhex(key.signature, 64, `密钥 ${kid}：signature`);
  if (!(await ed25519Verify(pub, message, signature, cache))) {
    throw new Difference(`密钥 ${kid}：自签名（持有证明）验证失败`);
  }
}

/** Check 16: every signature of §14.4, and every reveal at or before the deadline. */
export async function checkSignatures(ctx) {
  const { body, m, manifestSha, acts, keys, cache } = ctx;
  const resultDigest = sha256(canonical(body.result));
  for (const a of acts) {
    const e = a.entry;
    let message;
    if (a.kind === "commit") {
      const commitment = unhex(e.commitment, 32, `${a.what}：commitment`);
      message = concat(lps("spotcheck/commit/v3"), lp(manifestSha), lps(a.party), lp(commitment));
    } else if (a.kind === "reveal") {
      const share = unhex(e.share, 32, `${a.what}：share`);
      message = concat(lps("spotcheck/reveal/v3"), lp(manifestSha), lps(a.party), lp(share));
    } else if (a.kind === "assign") {
      message = concat(lps("spotcheck/assign/v3"), lp(manifestSha), lp(sha256(canonical(assignmentOf(body)))));
    } else if (a.kind === "replacement") {
      const r = a.record;
      message = concat(lps("spotcheck/replacement/v3"), lp(manifestSha), lps(r.uscc),
        lps(r.replaced), lps(r.replacement), lps(r.approval_ref));
    } else {
      message = concat(lps("spotcheck/countersign/v3"), lp(manifestSha), lp(resultDigest));
    }
    const pub = unhex(keys.get(e.key_id).public_key, 32, "public_key");
    const signature = unhex(e.signature, 64, `${a.what}：signature`);
    if (!(await ed25519Verify(pub, message, signature, cache))) {
      throw new Difference(`${a.what}：签名不是密钥 ${e.key_id} 对它的签名`);
    }
  }
  const deadline = instant(m.reveal_deadline, "manifest.reveal_deadline");
  for (const r of body.reveals) {
    if (instant(r.at, `${r.party} 的揭示：at`) > deadline) {
      throw new Difference(`${r.party} 的揭示时间 ${r.at} 晚于揭示截止时间 ${m.reveal_deadline}`);
    }
  }
  return `${acts.length} 项签名行为（承诺、揭示、直接委派、会签、替换会签）的 Ed25519 签名均有效；所有揭示均不晚于截止时间 ${m.reveal_deadline}`;
}
