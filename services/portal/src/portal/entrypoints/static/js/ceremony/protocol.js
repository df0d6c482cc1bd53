// The bytes of the signed ceremony (docs/draw-spec.md §1, §14), exactly as the reference
// client spotcheck-ceremony builds them (draws.domain.protocol): length-prefixed fields,
// SHA-256, canonical JSON, Ed25519 over the messages of §14.2–§14.11. Pure: it needs only
// WebCrypto, so the browser and Node's test runner load the same file. UTF-8, hex and the
// writing of canonical JSON are the verifier's own (../verify/), so the bytes signed here and
// the bytes checked there cannot drift apart; what this file refuses, it says in its words.

import { concat, hex as toHex, hexBytes, utf8 } from "../verify/bytes.js";
import { canonicalText } from "../verify/canonical.js";
import { subtleSha256 as sha256 } from "../verify/sha256.js";

export { concat, sha256, toHex, utf8 };

export const ALGORITHM = "spotcheck-draw/3";
export const OFFICE_PARTY = "办公室";
export const CREDIT_PARTY = "信用监管科"; // who signs a direct assignment (§15.3)
export const SHARE_BYTES = 32;

// lp(x) = u8(len(x)) ‖ x, for at most 255 bytes (longer is an error, as in the spec).
export function lp(bytes) {
  if (bytes.length > 255) throw new Error(`字段超过 255 字节（${bytes.length} 字节）`);
  return concat(Uint8Array.of(bytes.length), bytes);
}

export function lps(text) {
  return lp(utf8(text));
}

// Strict hex of an exact length: a value the server sent that is not what it should be is
// refused before anything is signed over it.
export function fromHex(text, length, what = "十六进制值") {
  if (typeof text !== "string" || !/^([0-9a-fA-F]{2})*$/.test(text)) {
    throw new Error(`${what} 不是十六进制字符串`);
  }
  const bytes = hexBytes(text);
  if (length !== undefined && bytes.length !== length) {
    throw new Error(`${what} 应为 ${length} 字节，实为 ${bytes.length} 字节`);
  }
  return bytes;
}

// What the ceremony will not sign over: a number JSON.parse may have rounded, a lone
// surrogate (no UTF-8 form: Python's encoder fails on it too), what JSON cannot hold.
function unsignable(value) {
  if (typeof value === "number") throw new Error(`规范 JSON 只含整数：${value}`);
  if (typeof value === "string") throw new Error("字符串含有孤立的代理项，无法按规范 JSON 编码");
  throw new Error(`规范 JSON 不能表示 ${typeof value}`);
}

// Python's str order, also for a lone surrogate (the verifier's order differs there): it
// decides which of two refusals is reported.
function byCodePoint(a, b) {
  const x = Array.from(a, (c) => c.codePointAt(0));
  const y = Array.from(b, (c) => c.codePointAt(0));
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    if (x[i] !== y[i]) return x[i] - y[i];
  }
  return x.length - y.length;
}

// CJ(v): keys sorted by code point, no whitespace, non-ASCII literal, integers only (§1).
export function canonicalJson(value) {
  return canonicalText(value, unsignable, byCodePoint);
}

// H(CJ(v)): the 32 raw bytes a manifest_sha256 or result_sha256 is the hex of.
export async function digestOf(value) {
  return sha256(utf8(canonicalJson(value)));
}

// §14.2: key_id = hex(H(public_key)[0:16]).
export async function keyIdOf(publicKey) {
  return toHex((await sha256(publicKey)).slice(0, 16));
}

// §14.2: what a key signs to register itself (proof of possession).
export function keyMessage(district, party, holder, publicKey, validFrom, validUntil) {
  return concat(
    lps("spotcheck/key/v3"),
    lps(district),
    lps(party),
    lps(holder),
    lp(publicKey),
    lps(validFrom),
    lps(validUntil),
  );
}

// §14.3: the commitment binds the manifest's digest, so a share opens only this manifest.
export async function shareCommitment(manifestDigest, drawId, party, share) {
  if (share.length !== SHARE_BYTES) throw new Error("种子份额应为 32 字节");
  return sha256(
    concat(lps("spotcheck/share/v3"), lp(manifestDigest), lps(drawId), lps(party), lp(share)),
  );
}

export function commitMessage(manifestDigest, party, commitment) {
  return concat(lps("spotcheck/commit/v3"), lp(manifestDigest), lps(party), lp(commitment));
}

export function revealMessage(manifestDigest, party, share) {
  return concat(lps("spotcheck/reveal/v3"), lp(manifestDigest), lps(party), lp(share));
}

export function countersignMessage(manifestDigest, resultDigest) {
  return concat(lps("spotcheck/countersign/v3"), lp(manifestDigest), lp(resultDigest));
}

// §14.11: what the general office signs to countersign one replacement.
export function replacementMessage(manifestDigest, uscc, replaced, replacement, approvalRef) {
  return concat(
    lps("spotcheck/replacement/v3"),
    lp(manifestDigest),
    lps(uscc),
    lps(replaced),
    lps(replacement),
    lps(approvalRef),
  );
}

// §15.3: what the credit department signs to assign the drawn targets' teams directly
// (第六条): the manifest and H(CJ(assignment)), the assignment ``[{uscc, team, experts?}]``.
export async function assignMessage(manifestDigest, assignment) {
  return concat(lps("spotcheck/assign/v3"), lp(manifestDigest), lp(await digestOf(assignment)));
}

export async function cancelMessage(manifestDigest, reason) {
  return concat(lps("spotcheck/cancel/v3"), lp(manifestDigest), lp(await sha256(utf8(reason))));
}

// Pure Ed25519 (RFC 8032, no pre-hash): a 64-byte signature, in hex.
export async function sign(privateKey, message) {
  const signature = await globalThis.crypto.subtle.sign({ name: "Ed25519" }, privateKey, message);
  return toHex(new Uint8Array(signature));
}

// The manifest, checked before anything is signed over it (as spotcheck-ceremony's
// check_draw): its digest is the one the server claims, and it is this draw's, of this
// district, under /3. Returns the raw digest.
export async function checkedManifest(draw, district) {
  const manifest = draw.manifest;
  if (!manifest || typeof manifest !== "object") throw new Error("抽取缺少清单");
  const digest = await digestOf(manifest);
  if (toHex(digest) !== draw.manifest_sha256) {
    throw new Error(
      `清单摘要不符：服务器给出 ${draw.manifest_sha256}，本机计算为 ${toHex(digest)}（清单可能被改动），未签名`,
    );
  }
  if (manifest.algorithm !== ALGORITHM) {
    throw new Error(`清单算法为 ${manifest.algorithm}，浏览器签名只用于 ${ALGORITHM}`);
  }
  if (manifest.draw_id !== draw.draw_id) throw new Error("清单的抽取编号与本抽取不符");
  if (manifest.district !== district) {
    throw new Error(`清单的区域 ${manifest.district} 与您所在区域 ${district} 不符`);
  }
  return digest;
}

// The result's raw digest (what the countersignature signs), checked against the server's.
export async function checkedResult(result, claimed) {
  if (!result || !Array.isArray(result.targets) || !Array.isArray(result.unstaffed)) {
    throw new Error("抽取结果缺失或格式不符");
  }
  const digest = await digestOf(result);
  if (toHex(digest) !== claimed) {
    throw new Error(
      `结果摘要不符：服务器给出 ${claimed}，本机计算为 ${toHex(digest)}（结果可能被改动），未签名`,
    );
  }
  return digest;
}
