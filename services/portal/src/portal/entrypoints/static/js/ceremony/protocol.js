// The bytes of the signed ceremony (docs/draw-spec.md §1, §14), exactly as the reference
// client spotcheck-ceremony builds them (draws.domain.protocol): length-prefixed fields,
// SHA-256, canonical JSON, Ed25519 over the messages of §14.2–§14.11. Pure: it needs only
// WebCrypto, so the browser and Node's test runner load the same file.

export const ALGORITHM = "spotcheck-draw/3";
export const OFFICE_PARTY = "办公室";
export const SHARE_BYTES = 32;

const encoder = new TextEncoder();

export function utf8(text) {
  return encoder.encode(text);
}

export function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

// lp(x) = u8(len(x)) ‖ x, for at most 255 bytes (longer is an error, as in the spec).
export function lp(bytes) {
  if (bytes.length > 255) throw new Error(`字段超过 255 字节（${bytes.length} 字节）`);
  return concat(Uint8Array.of(bytes.length), bytes);
}

export function lps(text) {
  return lp(utf8(text));
}

export function toHex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

// Strict hex of an exact length: a value the server sent that is not what it should be is
// refused before anything is signed over it.
export function fromHex(text, length, what = "十六进制值") {
  if (typeof text !== "string" || !/^([0-9a-fA-F]{2})*$/.test(text)) {
    throw new Error(`${what} 不是十六进制字符串`);
  }
  const bytes = new Uint8Array(text.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
  if (length !== undefined && bytes.length !== length) {
    throw new Error(`${what} 应为 ${length} 字节，实为 ${bytes.length} 字节`);
  }
  return bytes;
}

export async function sha256(bytes) {
  return new Uint8Array(await globalThis.crypto.subtle.digest("SHA-256", bytes));
}

function byCodePoint(a, b) {
  const x = Array.from(a, (c) => c.codePointAt(0));
  const y = Array.from(b, (c) => c.codePointAt(0));
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    if (x[i] !== y[i]) return x[i] - y[i];
  }
  return x.length - y.length;
}

function quote(text) {
  // A lone surrogate has no UTF-8 form: Python's encoder would fail on it too.
  if (/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(text)) {
    throw new Error("字符串含有孤立的代理项，无法按规范 JSON 编码");
  }
  // JSON.stringify escapes exactly what Python's json.dumps(ensure_ascii=False) escapes:
  // ", \, \b \f \n \r \t and the other control characters as \u00xx (lower-case hex).
  return JSON.stringify(text);
}

// CJ(v): keys sorted by code point, no whitespace, non-ASCII literal, integers only (§1).
export function canonicalJson(value) {
  if (value === null) return "null";
  switch (typeof value) {
    case "boolean":
      return value ? "true" : "false";
    case "number":
      if (!Number.isSafeInteger(value)) throw new Error(`规范 JSON 只含整数：${value}`);
      return String(value);
    case "string":
      return quote(value);
    case "object":
      if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
      return `{${Object.keys(value)
        .sort(byCodePoint)
        .map((k) => `${quote(k)}:${canonicalJson(value[k])}`)
        .join(",")}}`;
    default:
      throw new Error(`规范 JSON 不能表示 ${typeof value}`);
  }
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
