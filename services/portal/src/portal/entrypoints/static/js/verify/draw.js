// spotcheck draw verifier in JavaScript: recomputes a draw from its public bundle exactly as
// services/draws/src/draws/verify_draw.py does (docs/draw-spec.md, spotcheck-draw/1, /2, /3)
// and says in Chinese what it checked. An ES module without dependencies: it runs unchanged
// in a browser (module Web Worker, see worker.js) and in Node 20.
//
//   verifyBundle(bundle, {log, prior, onProgress})  -> {ok, version, checks, error_zh?, ...}
//   verifyProof(proof, manifestOrRoot)              -> {ok, included, checks, error_zh?, ...}
//
// A bundle is best given as its exact bytes (Uint8Array/ArrayBuffer) or text, as served by
// GET /public/draws/{id}/bundle: body_sha256 is over those bytes. A parsed object is first
// written back in canonical JSON, as the Python verifier's verify() does.
// Ed25519 goes through crypto.subtle; SHA-256 is computed here, synchronously, because a
// city draw hashes a million tickets.

const ALGORITHM = "spotcheck-draw/1";
const ALGORITHM_EXPERTS = "spotcheck-draw/2";
const ALGORITHM_SIGNED = "spotcheck-draw/3";
const ALGORITHMS = [ALGORITHM, ALGORITHM_EXPERTS, ALGORITHM_SIGNED];
const BUNDLE_FORMAT = "spotcheck-draw-bundle/1";
const PROOF_FORMAT = "spotcheck-draw-proof/1";
const NONPROOF_FORMAT = "spotcheck-draw-nonproof/1";
const STATUSES = ["active", "deregistered", "revoked", "cancelled", "moved_out"];
const STATUS_ZH = ["存续", "注销", "吊销", "撤销", "迁出"];
const YEARLY_CAP = "yearly_cap";
const QUALIFY_ALL = "双随机全部事项";
const USCC_LEN = 18;
const CHUNK = 256;
const ATTRIBUTES = ["entity_types", "industries", "areas"];
const OFFICE = "办公室";
const LOG_GENESIS = "0".repeat(64);

export const CHECK_NAMES = {
  bundle: "数据包完整（body_sha256、规范 JSON、规范 base64）",
  manifest: "算法版本与清单摘要一致",
  population: "总体 Merkle 根与清单一致",
  roster: "检查人员名录 Merkle 根与清单一致",
  expert_roster: "专家名录 Merkle 根与清单一致",
  commitments: "种子承诺与揭示一致",
  seed: "种子与结果摘要可重算",
  selection: "抽取结果可由种子重算",
  targets: "检查对象的顺序、分层与签号一致",
  matching: "检查组（及专家）匹配可重算",
  constraints: "检查组满足硬性约束",
  replacements: "人员替换按规则重算",
  countersign: "办公室会签针对本结果",
  log: "抽取日志记录完整且与数据包一致",
  keys: "当事方密钥已登记、有效且自签名正确",
  signatures: "各项签名有效、揭示未超过截止时间",
  full_log: "完整抽取日志链与数据包一致",
  prior: "年度检查次数可由往期抽取重算",
  proof: "证明可通向总体 Merkle 根",
  proof_manifest: "证明与清单一致",
};

/** The first place where the bundle and the recomputation disagree (message in Chinese). */
class Difference extends Error {}

/** What Python raises as KeyError/TypeError/ValueError: the verifier says "malformed". */
class Malformed extends Error {}

// ------------------------------------------------------------------------------- SHA-256

const K256 = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
  0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
  0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
  0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
  0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
  0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
  0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
  0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
  0xc67178f2,
]);
const IV256 = Int32Array.of(
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
);
const W = new Int32Array(64);

// One function with every round inline: V8 keeps the state in registers (split into
// helpers, the hashing was twice as slow).

/** Compresses the 64-byte blocks of `M[off..end]` into the state `H` (8 words). */
function blocks(H, M, off, end) {
  let h0 = H[0], h1 = H[1], h2 = H[2], h3 = H[3], h4 = H[4], h5 = H[5], h6 = H[6], h7 = H[7];
  for (; off < end; off += 64) {
    for (let t = 0, i = off; t < 16; t++, i += 4) {
      W[t] = (M[i] << 24) | (M[i + 1] << 16) | (M[i + 2] << 8) | M[i + 3];
    }
    for (let t = 16; t < 64; t++) {
      const x = W[t - 15];
      const y = W[t - 2];
      W[t] = ((((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3)) +
        (((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10)) + W[t - 16] + W[t - 7]) | 0;
    }
    let a = h0, b = h1, c = h2, d = h3, e = h4, f = h5, g = h6, h = h7;
    for (let t = 0; t < 64; t++) {
      const t1 = (h + (((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7))) +
        ((e & f) ^ (~e & g)) + K256[t] + W[t]) | 0;
      const t2 = ((((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10))) +
        ((a & b) ^ (a & c) ^ (b & c))) | 0;
      h = g; g = f; f = e; e = (d + t1) | 0; d = c; c = b; b = a; a = (t1 + t2) | 0;
    }
    h0 = (h0 + a) | 0; h1 = (h1 + b) | 0; h2 = (h2 + c) | 0; h3 = (h3 + d) | 0;
    h4 = (h4 + e) | 0; h5 = (h5 + f) | 0; h6 = (h6 + g) | 0; h7 = (h7 + h) | 0;
  }
  H[0] = h0; H[1] = h1; H[2] = h2; H[3] = h3; H[4] = h4; H[5] = h5; H[6] = h6; H[7] = h7;
}

/** H(x): SHA-256 (FIPS 180-4) of a byte string. */
export function sha256(bytes) {
  const state = Int32Array.from(IV256);
  const full = bytes.length - (bytes.length % 64);
  // In slices: V8 optimises a function between calls sooner than inside one long loop.
  for (let at = 0; at < full; at += 1 << 16) blocks(state, bytes, at, Math.min(full, at + (1 << 16)));
  const tail = new Uint8Array(bytes.length % 64 < 56 ? 64 : 128);
  tail.set(bytes.subarray(full));
  tail[bytes.length - full] = 0x80;
  const bits = bytes.length * 8;
  const end = tail.length;
  tail[end - 5] = Math.floor(bits / 2 ** 32) & 0xff; // lengths below 2^40 bytes
  tail[end - 4] = bits >>> 24;
  tail[end - 3] = bits >>> 16;
  tail[end - 2] = bits >>> 8;
  tail[end - 1] = bits;
  blocks(state, tail, 0, end);
  return wordsToBytes(state);
}

/**
 * H(x) of many byte strings at once. A large one goes to crypto.subtle.digest, when the
 * platform has it, which is native and several times faster than this file's SHA-256 —
 * but an asynchronous call costs tens of microseconds, too much for a million tickets.
 */
async function sha256All(list) {
  const subtle = globalThis.crypto?.subtle;
  return Promise.all(list.map(async (bytes) => {
    if (!subtle || bytes.length < 4096) return sha256(bytes);
    return new Uint8Array(await subtle.digest("SHA-256", bytes));
  }));
}

function wordsToBytes(words) {
  const out = new Uint8Array(32);
  for (let i = 0; i < 8; i++) {
    out[4 * i] = words[i] >>> 24;
    out[4 * i + 1] = words[i] >>> 16;
    out[4 * i + 2] = words[i] >>> 8;
    out[4 * i + 3] = words[i];
  }
  return out;
}

/**
 * Entity tickets H(0x01 ‖ K ‖ u8(18) ‖ uscc) (§7.1): 52 bytes, one padded block whose first
 * 32 bytes are the same for every row, so the first 8 rounds are computed once (midstate).
 */
class Tickets {
  constructor(prefix) {
    const block = new Uint8Array(64);
    block.set(prefix);
    for (let t = 0; t < 8; t++) {
      W[t] = (block[4 * t] << 24) | (block[4 * t + 1] << 16) | (block[4 * t + 2] << 8) | block[4 * t + 3];
    }
    this.head = W.slice(0, 8);
    this.w8 = (prefix[32] << 24) | (prefix[33] << 16);
    let a = IV256[0], b = IV256[1], c = IV256[2], d = IV256[3];
    let e = IV256[4], f = IV256[5], g = IV256[6], h = IV256[7];
    for (let t = 0; t < 8; t++) {
      const t1 = (h + (((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7))) +
        ((e & f) ^ (~e & g)) + K256[t] + this.head[t]) | 0;
      const t2 = ((((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10))) +
        ((a & b) ^ (a & c) ^ (b & c))) | 0;
      h = g; g = f; f = e; e = (d + t1) | 0; d = c; c = b; b = a; a = (t1 + t2) | 0;
    }
    this.mid = Int32Array.of(a, b, c, d, e, f, g, h);
  }

  /** The ticket of the code at `u[at..at+18]`, as 8 words into `out[o..o+8]`. */
  into(u, at, out, o) {
    W.set(this.head);
    W[8] = this.w8 | (u[at] << 8) | u[at + 1];
    W[9] = (u[at + 2] << 24) | (u[at + 3] << 16) | (u[at + 4] << 8) | u[at + 5];
    W[10] = (u[at + 6] << 24) | (u[at + 7] << 16) | (u[at + 8] << 8) | u[at + 9];
    W[11] = (u[at + 10] << 24) | (u[at + 11] << 16) | (u[at + 12] << 8) | u[at + 13];
    W[12] = (u[at + 14] << 24) | (u[at + 15] << 16) | (u[at + 16] << 8) | u[at + 17];
    W[13] = 0x80000000 | 0;
    W[14] = 0;
    W[15] = 52 * 8;
    for (let t = 16; t < 64; t++) {
      const x = W[t - 15];
      const y = W[t - 2];
      W[t] = ((((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3)) +
        (((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10)) + W[t - 16] + W[t - 7]) | 0;
    }
    const s = this.mid;
    let a = s[0], b = s[1], c = s[2], d = s[3], e = s[4], f = s[5], g = s[6], h = s[7];
    for (let t = 8; t < 64; t++) {
      const t1 = (h + (((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7))) +
        ((e & f) ^ (~e & g)) + K256[t] + W[t]) | 0;
      const t2 = ((((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10))) +
        ((a & b) ^ (a & c) ^ (b & c))) | 0;
      h = g; g = f; f = e; e = (d + t1) | 0; d = c; c = b; b = a; a = (t1 + t2) | 0;
    }
    out[o] = (IV256[0] + a) | 0;
    out[o + 1] = (IV256[1] + b) | 0;
    out[o + 2] = (IV256[2] + c) | 0;
    out[o + 3] = (IV256[3] + d) | 0;
    out[o + 4] = (IV256[4] + e) | 0;
    out[o + 5] = (IV256[5] + f) | 0;
    out[o + 6] = (IV256[6] + g) | 0;
    out[o + 7] = (IV256[7] + h) | 0;
  }
}

/** Compares two tickets held as 8 signed words (big-endian order, unsigned compare). */
function cmpWords(x, i, y, j) {
  for (let k = 0; k < 8; k++) {
    const a = x[i + k] >>> 0;
    const b = y[j + k] >>> 0;
    if (a !== b) return a < b ? -1 : 1;
  }
  return 0;
}

// -------------------------------------------------------------------------- encodings

const UTF8 = new TextEncoder();
const STRICT_UTF8 = new TextDecoder("utf-8", { fatal: true });

function concat(...parts) {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** UTF-8 of a string; a lone surrogate is an encoding error, as in Python. */
function utf8(text) {
  if (typeof text !== "string") throw new Malformed(`需要字符串，得到 ${short(text)}`);
  if (!text.isWellFormed()) throw new Malformed(`字符串含孤立代理项：${short(text)}`);
  return UTF8.encode(text);
}

function lp(data) {
  if (data.length > 255) throw new Difference(`字段超过 255 字节：${short(ascii(data.subarray(0, 24)))}`);
  return concat([data.length], data);
}

const lps = (text) => lp(utf8(text));
const u8 = (n) => {
  if (!Number.isInteger(n) || n < 0 || n > 255) throw new Malformed(`字节值超出 0..255：${n}`);
  return new Uint8Array([n]);
};
const u16 = (n) => {
  if (n > 0xffff) throw new Malformed(`超出 u16：${n}`);
  return new Uint8Array([n >>> 8, n & 0xff]);
};
const u32 = (n) => new Uint8Array([n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

export function hex(bytes) {
  let out = "";
  for (let i = 0; i < bytes.length; i++) out += HEX[bytes[i]];
  return out;
}

/** Lower-case hex of exactly `size` bytes (any size when null), else a Difference. */
function unhex(value, size, what) {
  if (typeof value !== "string" || value !== value.toLowerCase()) {
    throw new Difference(`${what}：不是小写十六进制`);
  }
  if (value.length % 2 || !/^[0-9a-f]*$/.test(value)) throw new Difference(`${what}：不是十六进制`);
  if (size !== null && value.length !== 2 * size) {
    throw new Difference(`${what}：应为 ${size} 字节的十六进制`);
  }
  const out = new Uint8Array(value.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(value.substr(2 * i, 2), 16);
  return out;
}

/** Bytes to text, one character a byte, refusing non-ASCII as Python's decode("ascii"). */
function ascii(bytes) {
  let out = "";
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] > 0x7f) throw new Malformed(`非 ASCII 字节 0x${HEX[bytes[i]]}`);
    out += String.fromCharCode(bytes[i]);
  }
  return out;
}

function asciiBytes(text) {
  if (typeof text !== "string") throw new Malformed(`需要字符串，得到 ${short(text)}`);
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 0x7f) throw new Malformed(`非 ASCII 字符：${short(text)}`);
    out[i] = c;
  }
  return out;
}

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const B64_VALUE = new Int8Array(256).fill(-1);
for (let i = 0; i < 64; i++) B64_VALUE[B64.charCodeAt(i)] = i;

/**
 * Strict, canonical base64 of a byte string (`chars`: the encoded ASCII bytes): RFC 4648 §4,
 * padded, no line breaks, zero trailing bits.
 */
function b64Bytes(chars, what) {
  const n = chars.length;
  const pad = n && chars[n - 1] === 61 ? (chars[n - 2] === 61 ? 2 : 1) : 0;
  if (n % 4) throw new Difference(`${what}：base64 无效`);
  const out = new Uint8Array((n / 4) * 3 - pad);
  let o = 0;
  for (let i = 0; i < n - pad; i += 4) {
    const a = B64_VALUE[chars[i]];
    const b = B64_VALUE[chars[i + 1]];
    const c = i + 2 < n - pad ? B64_VALUE[chars[i + 2]] : 0;
    const d = i + 3 < n - pad ? B64_VALUE[chars[i + 3]] : 0;
    if ((a | b | c | d) < 0) throw new Difference(`${what}：base64 无效`);
    const v = (a << 18) | (b << 12) | (c << 6) | d;
    out[o++] = v >>> 16;
    if (o < out.length) out[o++] = (v >>> 8) & 0xff;
    if (o < out.length) out[o++] = v & 0xff;
  }
  if (pad) {
    const last = B64_VALUE[chars[n - pad - 1]];
    if (last & (pad === 2 ? 0x0f : 0x03)) throw new Difference(`${what}：base64 不是规范形式`);
  }
  return out;
}

function b64(value, what) {
  if (typeof value !== "string") throw new Difference(`${what}：不是 base64 字符串`);
  const chars = new Uint8Array(value.length);
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    chars[i] = c < 0x80 ? c : 0x3f; // as Python's encode("ascii", "replace")
  }
  return b64Bytes(chars, what);
}

function cmpBytes(x, y) {
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) if (x[i] !== y[i]) return x[i] < y[i] ? -1 : 1;
  return x.length - y.length;
}

const sameBytes = (x, y) => cmpBytes(x, y) === 0;

/** Code point order of strings (= UTF-8 byte order), not JavaScript's UTF-16 order. */
function cmpStr(a, b) {
  if (typeof a !== "string" || typeof b !== "string") {
    if (isNumber(a) && isNumber(b)) return Number(a) - Number(b);
    throw new Malformed(`无法比较 ${short(a)} 与 ${short(b)}`);
  }
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800) x += x < 0xe000 ? 0x2000 : -0x800;
    if (y >= 0xd800) y += y < 0xe000 ? 0x2000 : -0x800;
    return x < y ? -1 : 1;
  }
  return a.length - b.length;
}

const sortedStr = (values) => [...values].sort(cmpStr);

/** Python's sorted(set(values)) == values: sorted by code point, each once. */
function sortedDistinct(values) {
  if (!Array.isArray(values)) return false;
  const want = sortedStr(new Set(values));
  return pyEq(values, want);
}

// ---------------------------------------------------- canonical JSON and Python semantics

/** CJ(v): Python's json.dumps(v, ensure_ascii=False, sort_keys=True, separators=(",", ":")). */
function canonicalText(v) {
  if (v === null) return "null";
  if (v === true) return "true";
  if (v === false) return "false";
  if (typeof v === "bigint") return v.toString();
  if (typeof v === "number") {
    if (!Number.isInteger(v)) throw new Malformed(`不是整数：${v}（协议只用整数）`);
    return BigInt(v).toString();
  }
  if (typeof v === "string") {
    if (!v.isWellFormed()) throw new Malformed(`字符串含孤立代理项：${short(v)}`);
    return JSON.stringify(v); // the same escapes as Python's encoder with ensure_ascii=False
  }
  if (Array.isArray(v)) return "[" + v.map(canonicalText).join(",") + "]";
  if (typeof v === "object") {
    const keys = Object.keys(v).sort(cmpStr);
    return "{" + keys.map((k) => JSON.stringify(k) + ":" + canonicalText(v[k])).join(",") + "}";
  }
  throw new Malformed(`无法编码为 JSON：${typeof v}`);
}

export const canonical = (v) => UTF8.encode(canonicalText(v));

const isNumber = (v) => typeof v === "number" || typeof v === "boolean" || typeof v === "bigint";
const isDict = (v) => typeof v === "object" && v !== null && !Array.isArray(v);

/** Python's ==: True == 1, lists element-wise, dicts by keys and values. */
function pyEq(a, b) {
  if (a === b) return true;
  if (isNumber(a) && isNumber(b)) {
    return BigInt(typeof a === "boolean" ? +a : a) === BigInt(typeof b === "boolean" ? +b : b);
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((x, i) => pyEq(x, b[i]));
  }
  if (isDict(a) && isDict(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => has(b, k) && pyEq(a[k], b[k]));
  }
  return false;
}

/** Python's truthiness: empty lists, objects and strings, 0, null and false are false. */
function truthy(v) {
  if (Array.isArray(v)) return v.length > 0;
  if (isDict(v)) return Object.keys(v).length > 0;
  return Boolean(v);
}

/** Python's `x in container` for the JSON containers (a string: substring). */
function pyIn(x, container) {
  if (Array.isArray(container)) return container.some((y) => pyEq(x, y));
  if (typeof container === "string") {
    if (typeof x !== "string") throw new Malformed(`'in <string>' 需要字符串，得到 ${short(x)}`);
    return container.includes(x);
  }
  if (isDict(container)) return typeof x === "string" && has(container, x);
  throw new Malformed(`${short(container)} 不是容器`);
}

/** Python's int() of a JSON value (bool, integer, or a decimal string). */
function pyInt(v) {
  if (typeof v === "boolean") return +v;
  if (typeof v === "number" && Number.isInteger(v)) return v;
  if (typeof v === "string" && /^[ \t\n\r\f\v]*[+-]?\d+(_\d+)*[ \t\n\r\f\v]*$/.test(v)) {
    return Number(v.trim().replaceAll("_", ""));
  }
  throw new Malformed(`int() 不能转换 ${short(v)}`);
}

/** A number for Python's <, >, +: bools count as 0/1, anything else is a TypeError. */
function num(v) {
  if (typeof v === "boolean") return +v;
  if (typeof v === "number") return v;
  throw new Malformed(`需要整数，得到 ${short(v)}`);
}

// Python's str.strip() removes these (str.isspace), not JavaScript's trim() set.
const PY_SPACE = "[\\t\\n\\v\\f\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]";
const PY_BLANK = new RegExp(`^${PY_SPACE}*$`);

/** Python's `not str(v).strip()`: only a string of whitespace is blank. */
const blank = (v) => typeof v === "string" && PY_BLANK.test(v);

const has = (o, k) => isDict(o) && Object.hasOwn(o, k);

/** Python's d.get(k, default) (a non-object has no .get: malformed). */
function get(o, k, dflt = undefined) {
  if (!isDict(o)) throw new Malformed(`${short(o)} 不是对象`);
  return Object.hasOwn(o, k) ? o[k] : dflt;
}

const STRICT = {
  get(target, key) {
    if (typeof key === "symbol" || Object.hasOwn(target, key)) return target[key];
    if (key === "toJSON" || key === "then") return undefined;
    throw new Malformed(`缺少字段 ${JSON.stringify(key)}`);
  },
};

/** Parsed JSON whose objects throw on a missing key, as Python's d[k] does. */
function strict(v) {
  if (Array.isArray(v)) return v.map(strict);
  if (isDict(v)) {
    const out = {};
    for (const k of Object.keys(v)) out[k] = strict(v[k]);
    return new Proxy(out, STRICT);
  }
  return v;
}

function short(value) {
  let text;
  try {
    text = value instanceof Uint8Array ? hex(value) : JSON.stringify(value);
  } catch {
    text = String(value);
  }
  if (text === undefined) text = String(value);
  return text.length <= 160 ? text : text.slice(0, 157) + "...";
}

function expect(got, want, what) {
  if (!pyEq(got, want)) {
    throw new Difference(`${what}：所给为 ${short(got)}，重算得 ${short(want)}`);
  }
}

/** A key for (uscc, id) pairs in a Set. */
const pair = (u, i) => JSON.stringify([u, i]);

// --------------------------------------------------------------------------- Merkle

export function merkleRoot(leaves) {
  if (!leaves.length) return sha256(new Uint8Array(0));
  let level = leaves;
  const node = new Uint8Array(65);
  node[0] = 1;
  while (level.length > 1) {
    const next = [];
    for (let i = 0; i + 1 < level.length; i += 2) {
      node.set(level[i], 1);
      node.set(level[i + 1], 33);
      next.push(sha256(node));
    }
    if (level.length % 2) next.push(level[level.length - 1]);
    level = next;
  }
  return level[0];
}

function pathRoot(leaf, index, size, path) {
  let node = leaf;
  let width = size;
  const steps = [...path];
  while (width > 1) {
    if (index % 2 === 1) {
      if (!steps.length) throw new Difference("证明路径过短");
      node = sha256(concat([1], steps.shift(), node));
    } else if (index + 1 < width) {
      if (!steps.length) throw new Difference("证明路径过短");
      node = sha256(concat([1], node, steps.shift()));
    }
    index = Math.floor(index / 2);
    width = Math.floor((width + 1) / 2);
  }
  if (steps.length) throw new Difference("证明路径过长");
  return node;
}

/** 0x00 ‖ a chunk's leaf data (§4.2), in /3 followed by its rows of each attribute block
 * (§14.13): the bytes whose hash is the chunk's leaf. */
function chunkData(u, s, st, c, a, b, attrs) {
  const m = b - a;
  const n = s.length;
  const data = new Uint8Array(1 + 4 + 21 * m + (attrs.length ? 6 * m : 0));
  let at = 0;
  data[at++] = 0;
  data.set(u32(m), at);
  at += 4;
  data.set(u.subarray(USCC_LEN * a, USCC_LEN * b), at);
  at += USCC_LEN * m;
  for (const col of [s, st, c]) {
    data.set(col.subarray(a, b), at);
    at += m;
  }
  for (let k = 0; attrs.length && k < 3; k++) {
    data.set(attrs.subarray(2 * (k * n + a), 2 * (k * n + b)), at);
    at += 2 * m;
  }
  return data;
}

function rosterRecord(r) {
  return concat(
    lps(r.inspector_id),
    lps(r.name),
    lps(r.department),
    lps(r.district),
    u8(pyInt(r.leader_qualified)),
    lps(r.certificate_expires_on),
    u8(pyInt(r.active)),
    u8(r.qualifications.length),
    ...r.qualifications.map(lps),
    u16(r.recusals.length),
    ...r.recusals.map((x) => unhex(x, 32, "回避承诺")),
  );
}

function expertRecord(r) {
  return concat(
    lps(r.expert_id),
    lps(r.name),
    lps(r.field),
    lps(r.organization),
    u8(pyInt(r.active)),
    u16(r.recusals.length),
    ...r.recusals.map((x) => unhex(x, 32, "专家回避承诺")),
  );
}

const leafOf = (record) => sha256(concat([0], record));

// ------------------------------------------------------------------- Ed25519 (verify)
//
// crypto.subtle verifies; first the encodings the Python verifier refuses are refused here
// too (RFC 8032 §5.1.3/§5.1.7: y ≥ p, x = 0 with the sign bit set, S ≥ L), so that a
// platform's more lenient decoding cannot accept what the reference rejects.

const ED_P = 2n ** 255n - 19n;
const ED_L = 2n ** 252n + 27742317777372353535851937790883648493n;

function littleEndian(bytes) {
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]);
  return v;
}

function canonicalPoint(raw) {
  const word = littleEndian(raw);
  const y = word & ((1n << 255n) - 1n);
  const xOdd = word >> 255n;
  if (y >= ED_P) return false;
  return !(xOdd && (y === 1n || y === ED_P - 1n)); // x = 0 exactly when y² = 1
}

async function ed25519Verify(publicKey, message, signature, cache) {
  if (publicKey.length !== 32 || signature.length !== 64) return false;
  if (!canonicalPoint(publicKey) || !canonicalPoint(signature.subarray(0, 32))) return false;
  if (littleEndian(signature.subarray(32)) >= ED_L) return false;
  const id = hex(publicKey);
  try {
    if (!cache.has(id)) {
      cache.set(
        id,
        await globalThis.crypto.subtle.importKey("raw", publicKey, { name: "Ed25519" }, false, [
          "verify",
        ]),
      );
    }
    return await globalThis.crypto.subtle.verify({ name: "Ed25519" }, cache.get(id), signature, message);
  } catch {
    return false; // not a point of the curve
  }
}

// --------------------------------------------------------------------- dates and times

const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const leap = (y) => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;

function validDate(y, mo, d) {
  return y >= 1 && mo >= 1 && mo <= 12 && d >= 1 && d <= (mo === 2 && leap(y) ? 29 : DAYS[mo - 1]);
}

/** A date written exactly YYYY-MM-DD (Python: date.fromisoformat, isoformat round trip). */
function isoDay(value, what) {
  const m = typeof value === "string" && /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!m || !validDate(+m[1], +m[2], +m[3])) {
    throw new Difference(`${what}：${short(value)} 不是 YYYY-MM-DD 日期`);
  }
  return value;
}

const ISO_INSTANT = new RegExp(
  "^(\\d{4})-?(\\d{2})-?(\\d{2})." + // the date, any one separator (Python 3.11)
    "(\\d{2})(?::?(\\d{2})(?::?(\\d{2})(?:[.,](\\d+))?)?)?" + // the time
    "(Z|[+-]\\d{2}(?::?\\d{2}(?::?\\d{2}(?:[.,]\\d+)?)?)?)$", // the offset (required)
);

/**
 * An ISO timestamp with its offset (Python's datetime.fromisoformat with a utcoffset), as
 * microseconds since the epoch in UTC. Week dates, which Python also reads, are refused.
 */
function instant(value, what) {
  const m = typeof value === "string" && ISO_INSTANT.exec(value);
  const bad = () => new Difference(`${what}：${short(value)} 不是带时区偏移的 ISO 时间`);
  if (!m) throw bad();
  const [y, mo, d, hh, mi = "0", ss = "0"] = m.slice(1, 7);
  const micro = Number((m[7] || "").slice(0, 6).padEnd(6, "0"));
  if (!validDate(+y, +mo, +d) || +hh > 23 || +mi > 59 || +ss > 59) throw bad();
  const offset = m[8] === "Z" ? 0 : offsetMicros(m[8]);
  if (offset === null) throw bad();
  const days = Date.UTC(+y, +mo - 1, +d) / 86400000;
  const local = ((days * 24 + +hh) * 60 + +mi) * 60 + +ss;
  return local * 1e6 + micro - offset;
}

function offsetMicros(text) {
  const sign = text[0] === "-" ? -1 : 1;
  const m = /^(\d{2}):?(\d{2})?(?::?(\d{2})(?:[.,](\d+))?)?$/.exec(text.slice(1));
  if (!m || +(m[2] || 0) > 59 || +(m[3] || 0) > 59) return null;
  const micros =
    ((+m[1] * 60 + +(m[2] || 0)) * 60 + +(m[3] || 0)) * 1e6 +
    Number((m[4] || "").slice(0, 6).padEnd(6, "0"));
  return micros >= 86400e6 ? null : sign * micros;
}

/** The date (YYYY-MM-DD) of an instant in China Standard Time (UTC+8). */
function chinaDay(micros) {
  return new Date(Math.floor(micros / 1000) + 8 * 3600000).toISOString().slice(0, 10);
}

// ------------------------------------------------------------------------ binary heap

/** A min-heap of arrays compared as Python compares tuples (heapq's order, same pops). */
class Heap {
  constructor() {
    this.items = [];
  }
  get size() {
    return this.items.length;
  }
  top() {
    return this.items[0];
  }
  push(x) {
    const a = this.items;
    a.push(x);
    let i = a.length - 1;
    while (i > 0) {
      const up = (i - 1) >> 1;
      if (cmpTuple(a[i], a[up]) >= 0) break;
      [a[i], a[up]] = [a[up], a[i]];
      i = up;
    }
  }
  pop() {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && cmpTuple(a[l], a[m]) < 0) m = l;
        if (r < a.length && cmpTuple(a[r], a[m]) < 0) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m], a[i]];
        i = m;
      }
    }
    return top;
  }
}

/** Tuples of numbers, byte strings and strings, compared element by element. */
function cmpTuple(x, y) {
  const n = Math.min(x.length, y.length);
  for (let k = 0; k < n; k++) {
    const a = x[k];
    const b = y[k];
    let c;
    if (a instanceof Uint8Array) c = cmpBytes(a, b);
    else if (typeof a === "string") c = cmpStr(a, b);
    else c = a < b ? -1 : a > b ? 1 : 0;
    if (c) return c;
  }
  return x.length - y.length;
}

// ---------------------------------------------------------------------- the pool (§8.1)

function qualified(quals, items) {
  if (pyIn(QUALIFY_ALL, quals)) return true;
  return items.every((i) => pyIn(i.code, quals) || pyIn(i.name, quals));
}

function tierOf(r, m) {
  for (const pool of m.pools) {
    if (pyEq(r.district, pool.district) && pyIn(r.department, pool.departments)) {
      if (num(pool.tier) > 0 && !pyEq(m.neighbour_rule, "fill-when-short")) return null;
      return pyInt(pool.tier);
    }
  }
  return null;
}

const EXCLUDED_ZH = {
  pools: "不在清单的人员库中",
  inactive: "不在岗",
  certificate: "执法证在抽取日已过期",
  qualified: "不具备本任务检查事项的资格",
};

/** Why a roster entry is not in the pool (a key of EXCLUDED_ZH), or null. */
function excluded(r, m) {
  if (tierOf(r, m) === null) return "pools";
  if (!truthy(r.active)) return "inactive";
  if (cmpStr(r.certificate_expires_on, m.draw_date) < 0) return "certificate";
  if (!qualified(r.qualifications, m.check_items)) return "qualified";
  return null;
}

const ceilDiv = (a, b) => -Math.floor(-a / b);

// ---------------------------------------------------------------- the matching (§8, §14)

/**
 * Replays the matching rule (§8) with the disclosed recusals as oracle; heaps of candidate
 * keys per leader qualification, as the reference does. `perRole` (/3, §14.5): a
 * leader-qualified inspector's own cap is C_L = max(C, ⌈T / L⌉ + 1).
 */
class Matching {
  constructor(key, m, roster, targets, recused, perRole) {
    this.key = key;
    this.pool = new Map();
    for (const r of roster) if (excluded(r, m) === null) this.pool.set(r.inspector_id, r);
    this.tier = new Map([...this.pool].map(([i, r]) => [i, tierOf(r, m)]));
    this.size = pyInt(m.team.size);
    this.cap = this.pool.size ? ceilDiv(this.size * targets, this.pool.size) + 1 : 0;
    let leaders = 0;
    for (const r of this.pool.values()) if (truthy(r.leader_qualified)) leaders++;
    this.leaderCap = this.cap;
    if (perRole && leaders) this.leaderCap = Math.max(this.cap, ceilDiv(targets, leaders) + 1);
    this.capOf = new Map();
    for (const [i, r] of this.pool) {
      this.capOf.set(i, truthy(r.leader_qualified) ? this.leaderCap : this.cap);
    }
    this.short = new Map(); // why a target is unstaffed (§14.5)
    this.load = new Map([...this.pool.keys()].map((i) => [i, 0]));
    this.recused = recused;
    // /3 (§14.11): the replaced targets, how many alternates, the recusals their
    // disclosures open, and the alternates found
    this.peek = new Set();
    this.peekCount = 0;
    this.peekRecused = new Set();
    this.alternates = new Map();
    this.used = new Set();
    this.met = []; // [uscc, id] recusals met, in the order met
    this.conflict = new Map();
    for (const [a, b] of m.pair_conflicts) {
      if (!this.conflict.has(a)) this.conflict.set(a, new Set());
      if (!this.conflict.has(b)) this.conflict.set(b, new Set());
      this.conflict.get(a).add(b);
      this.conflict.get(b).add(a);
    }
    this.heaps = { true: new Heap(), false: new Heap() };
    for (const i of [...this.pool.keys()].sort(cmpStr)) this.push(i);
  }

  ticket(i, load) {
    return sha256(concat([2], this.key, lps(i), u32(load)));
  }

  push(i) {
    const load = this.load.get(i);
    if (load < this.capOf.get(i)) {
      const lq = truthy(this.pool.get(i).leader_qualified);
      this.heaps[lq].push([this.tier.get(i), load, this.ticket(i, load), utf8(i), i]);
    }
  }

  blocked(i, team) {
    const mine = this.conflict.get(i);
    return team.includes(i) || (mine !== undefined && team.some((t) => mine.has(t)));
  }

  /** Drops stale and capped heap tops; `skip(id)` tops go aside. Returns the heap's top. */
  clean(lq, skip, aside) {
    const heap = this.heaps[lq];
    while (heap.size) {
      const e = heap.top();
      if (e[1] !== this.load.get(e[4]) || e[1] >= this.capOf.get(e[4])) heap.pop();
      else if (skip(e[4])) aside.push([lq, heap.pop()]);
      else return e;
    }
    return null;
  }

  /** The best candidate of the step by its key; undefined when there is none. */
  best(leader, skip, aside) {
    let best = null;
    for (const lq of leader ? [true] : [true, false]) {
      const e = this.clean(lq, skip, aside);
      if (e) {
        const rank = [e[0], e[1], leader ? 0 : +lq, e[2], e[3]];
        if (best === null || cmpTuple(rank, best[0]) < 0) best = [rank, lq];
      }
    }
    if (best === null) return undefined;
    const e = this.heaps[best[1]].pop();
    aside.push([best[1], e]);
    return e[4];
  }

  choose(uscc, team, leader, aside) {
    for (;;) {
      const i = this.best(leader, (x) => this.blocked(x, team), aside);
      if (i === undefined) return null;
      if (!this.recused.has(pair(uscc, i))) return i;
      this.meet(uscc, i);
    }
  }

  /** A recusal met on the way (§14.9: the disclosures are exactly these, in this order). */
  meet(uscc, i) {
    const k = pair(uscc, i);
    if (!this.used.has(k)) {
      this.used.add(k);
      this.met.push([uscc, i]);
    }
  }

  staff(uscc) {
    const team = [];
    const aside = [];
    for (let step = 0; step < this.size; step++) {
      const i = this.choose(uscc, team, step === 0, aside);
      if (i === null) {
        this.short.set(uscc, step === 0 ? "leader" : "member");
        break;
      }
      team.push(i);
    }
    const full = team.length === this.size;
    for (const [lq, e] of aside) if (!full || !team.includes(e[4])) this.heaps[lq].push(e);
    if (!full) return [];
    if (this.peek.has(uscc)) {
      this.alternates.set(uscc, team.map((_, k) => this.nextOnes(uscc, team, k)));
    }
    for (const i of team) {
      this.load.set(i, this.load.get(i) + 1);
      this.push(i);
    }
    return team.map((i, n) => [i, n === 0 ? "leader" : "member"]);
  }

  /**
   * §14.11: position k's next candidates by its key — not on the team, no pair conflict
   * with the rest, recused ones met — and the heaps put back as they were.
   */
  nextOnes(uscc, team, k) {
    const rest = team.filter((i) => i !== team[k]);
    const taken = [];
    const met = [];
    const aside = [];
    while (taken.length < this.peekCount) {
      const i = this.best(k === 0, (x) => team.includes(x) || this.blocked(x, rest), aside);
      if (i === undefined) break;
      (this.peekRecused.has(pair(uscc, i)) ? met : taken).push(i);
    }
    for (const [lq, e] of aside) this.heaps[lq].push(e);
    return [taken, met];
  }

  /** The team's experts could not be found (§8.4): its loads go back. */
  unstaff(team) {
    for (const [i] of team) {
      this.load.set(i, this.load.get(i) - 1);
      this.push(i);
    }
  }

  /** /1 and /2 replacements (§9): the best candidate now, loads as they are. */
  replace(uscc, team, out, gone) {
    const role = new Map(team.map(([i, r]) => [i, r])).get(out);
    const rest = team.map(([i]) => i).filter((i) => i !== out);
    this.load.set(out, this.load.get(out) - 1);
    const ranked = [];
    for (const [i, r] of this.pool) {
      const load = this.load.get(i);
      if (i === out || gone.has(i) || load >= this.capOf.get(i) || this.blocked(i, rest)) continue;
      if (pyEq(role, "leader") && !truthy(r.leader_qualified)) continue;
      const lq = pyEq(role, "leader") ? 0 : +truthy(r.leader_qualified);
      ranked.push([this.tier.get(i), load, lq, this.ticket(i, load), utf8(i), i]);
    }
    ranked.sort(cmpTuple);
    for (const x of ranked) {
      const i = x[5];
      if (this.recused.has(pair(uscc, i))) {
        this.meet(uscc, i);
        continue;
      }
      this.load.set(i, this.load.get(i) + 1);
      return i;
    }
    this.load.set(out, this.load.get(out) + 1);
    return null;
  }
}

/** Replays the expert rule (§8.4) with the disclosed expert recusals. */
class ExpertMatching {
  constructor(key, m, roster, targets, recused) {
    this.key = key;
    const fields = m.experts.fields;
    this.pool = new Map();
    for (const r of roster) {
      if (r.active === true && (!truthy(fields) || pyIn(r.field, fields))) {
        this.pool.set(r.expert_id, r);
      }
    }
    this.per = pyInt(m.experts.per_target);
    this.cap = this.pool.size ? ceilDiv(this.per * targets, this.pool.size) + 1 : 0;
    this.load = new Map([...this.pool.keys()].map((e) => [e, 0]));
    this.recused = recused;
    this.met = [];
    this.metKeys = new Set();
    this.heap = new Heap();
    for (const e of [...this.pool.keys()].sort(cmpStr)) this.push(e);
  }

  push(e) {
    const load = this.load.get(e);
    if (load < this.cap) {
      const ticket = sha256(concat([3], this.key, lps(e), u32(load)));
      this.heap.push([load, ticket, utf8(e), e]);
    }
  }

  staff(uscc) {
    const chosen = [];
    const aside = [];
    while (chosen.length < this.per) {
      let found = null;
      while (this.heap.size) {
        const x = this.heap.top();
        if (x[0] !== this.load.get(x[3]) || x[0] >= this.cap) {
          this.heap.pop();
          continue;
        }
        aside.push(this.heap.pop());
        if (chosen.includes(x[3])) continue;
        const k = pair(uscc, x[3]);
        if (this.recused.has(k)) {
          if (!this.metKeys.has(k)) {
            this.metKeys.add(k);
            this.met.push([uscc, x[3]]);
          }
          continue;
        }
        found = x[3];
        break;
      }
      if (found === null) {
        for (const x of aside) this.heap.push(x);
        return null;
      }
      chosen.push(found);
    }
    for (const x of aside) if (!chosen.includes(x[3])) this.heap.push(x);
    for (const e of chosen) {
      this.load.set(e, this.load.get(e) + 1);
      this.push(e);
    }
    return chosen;
  }
}

/** Opens recusal disclosures against the roster's salted commitments (§5, §5.1). */
function openings(disclosures, byId, expert) {
  const tag = expert ? "spotcheck/expert-recusal/v1" : "spotcheck/recusal/v1";
  const who = expert ? "expert_id" : "inspector_id";
  const what = expert ? "专家回避披露" : "回避披露";
  if (!Array.isArray(disclosures)) throw new Difference(`${what}：不是列表`);
  const out = new Set();
  for (const d of disclosures) {
    const i = d[who];
    const u = d.uscc;
    const salt = unhex(d.salt, 16, `${what}：盐值`);
    if (typeof i !== "string" || !byId.has(i)) {
      throw new Difference(`${what}：${short(i)} 不在名录中`);
    }
    const c = hex(sha256(concat(lps(tag), lp(salt), lps(i), lps(u))));
    if (!pyIn(c, byId.get(i).recusals)) {
      throw new Difference(`${what}：${i} 对 ${u} 的回避不能打开名录中的任何承诺`);
    }
    out.add(pair(u, i));
  }
  return out;
}

// ----------------------------------------------------------------------- bundle layout

const POPULATION_KEYS = ["checks", "status", "stratum", "uscc"];

function find(raw, needle, from, to) {
  const first = needle[0];
  const last = to - needle.length;
  outer: for (let i = raw.indexOf(first, from); i !== -1 && i <= last; i = raw.indexOf(first, i + 1)) {
    for (let k = 1; k < needle.length; k++) if (raw[i + k] !== needle[k]) continue outer;
    return i;
  }
  return -1;
}

function findLast(raw, needle) {
  for (let i = raw.length - needle.length; i >= 0; i--) {
    let k = 0;
    while (k < needle.length && raw[i + k] === needle[k]) k++;
    if (k === needle.length) return i;
  }
  return -1;
}

const bytesOf = (text) => UTF8.encode(text);

/**
 * Parses a bundle's bytes (§11): checks body_sha256 over the body's exact bytes, cuts the
 * population columns (long base64 strings) out by their canonical position, parses the rest
 * and checks that it is canonical JSON. Returns {body, columns}.
 */
async function splitBundle(raw) {
  const head = bytesOf('{"body":');
  const mid = bytesOf(',"body_sha256":"');
  const end = bytesOf('"}');
  const cut = findLast(raw, mid);
  const startsOk = sameBytes(raw.subarray(0, head.length), head);
  const endsOk = raw.length >= end.length && sameBytes(raw.subarray(raw.length - 2), end);
  if (!startsOk || cut < 0 || !endsOk) {
    throw new Difference('数据包须为规范 JSON 的 {"body":...,"body_sha256":"..."}');
  }
  const digestBytes = raw.subarray(cut + mid.length, raw.length - end.length);
  const digest = Array.from(digestBytes, (b) => (b < 0x80 ? String.fromCharCode(b) : "\ufffd")).join("");
  const [bodyDigest] = await sha256All([raw.subarray(head.length, cut)]);
  const bodySha = hex(bodyDigest);
  expect(digest, bodySha, "body_sha256（数据包正文的 SHA-256）");
  const anchor = bytesOf('"population":{');
  let at = find(raw, concat(anchor, bytesOf('"checks":"')), head.length, cut);
  let names = POPULATION_KEYS;
  if (at < 0) {
    at = find(raw, concat(anchor, bytesOf('"attributes":"')), head.length, cut);
    names = ["attributes", ...POPULATION_KEYS];
  }
  if (at < 0) throw new Difference("数据包正文没有总体（population）");
  const pieces = [raw.subarray(head.length, at + anchor.length)];
  const columns = {};
  let pos = at + anchor.length;
  names.forEach((name, n) => {
    const key = bytesOf(`${n ? "," : ""}"${name}":"`);
    if (!sameBytes(raw.subarray(pos, pos + key.length), key)) {
      throw new Difference(`population.${name} 不在规范 JSON 所定的位置`);
    }
    pieces.push(concat(key, [0x22]));
    const stop = raw.indexOf(0x22, pos + key.length);
    if (stop < 0 || stop >= cut) throw new Difference(`population.${name}：字符串未结束`);
    columns[name] = b64Bytes(raw.subarray(pos + key.length, stop), `population.${name}`);
    pos = stop + 1;
  });
  pieces.push(raw.subarray(pos, cut));
  const rest = concat(...pieces);
  let body;
  try {
    body = JSON.parse(STRICT_UTF8.decode(rest));
  } catch (exc) {
    throw new Difference(`数据包不是 UTF-8 JSON：${exc.message}`);
  }
  const placeholder = Object.fromEntries(names.map((k) => [k, ""]));
  if (!isDict(body) || !pyEq(get(body, "population"), placeholder)) {
    throw new Difference("总体各列不在规范 JSON 所定的位置");
  }
  const again = canonical(body);
  if (!sameBytes(again, rest)) {
    let i = 0;
    while (i < rest.length && rest[i] === again[i]) i++;
    const near = new TextDecoder().decode(rest.subarray(Math.max(0, i - 20), i + 20));
    throw new Difference(`数据包正文不是规范 JSON 形式（在「${near}」附近）`);
  }
  return { body: strict(body), columns, body_sha256: bodySha };
}

/** The bundle's bytes, from bytes, text or a parsed object (written back canonically). */
function bundleBytes(bundle) {
  if (bundle instanceof Uint8Array) return bundle;
  if (bundle instanceof ArrayBuffer) return new Uint8Array(bundle);
  if (ArrayBuffer.isView(bundle)) return new Uint8Array(bundle.buffer, bundle.byteOffset, bundle.byteLength);
  if (typeof bundle === "string") return UTF8.encode(bundle);
  return canonical(bundle);
}

/** A JSON document given as an object, text or bytes. */
function jsonOf(value, what) {
  if (typeof value === "string" || value instanceof Uint8Array || value instanceof ArrayBuffer) {
    try {
      return JSON.parse(typeof value === "string" ? value : STRICT_UTF8.decode(value));
    } catch (exc) {
      throw new Difference(`${what} 不是 UTF-8 JSON：${exc.message}`);
    }
  }
  return value;
}

// -------------------------------------------------------------------- the run of checks

/** The checks of one run, each named; the first difference stops the run. */
class Run {
  constructor(onProgress) {
    this.checks = [];
    this.onProgress = onProgress;
  }

  /** Starts check `id`; `detail` (Chinese) is what it found when it passes. */
  begin(id) {
    const check = { id, name: CHECK_NAMES[id], ok: false, detail_zh: "" };
    this.checks.push(check);
    this.progress(id, 0);
    return check;
  }

  async step(id, fn) {
    const check = this.begin(id);
    await new Promise((resolve) => setTimeout(resolve, 0)); // lets a worker post progress
    const detail = await fn();
    check.ok = true;
    check.detail_zh = detail;
    return detail;
  }

  progress(id, fraction) {
    if (this.onProgress) this.onProgress({ check: id, name: CHECK_NAMES[id], fraction });
  }

  /** The failure: the running check names it. */
  fail(error) {
    const message =
      error instanceof Difference
        ? error.message
        : `数据包结构不完整或类型不符（${error instanceof Malformed ? error.message : `${error.name}: ${error.message}`}）`;
    let check = this.checks[this.checks.length - 1];
    if (!check || check.ok) check = this.begin("bundle");
    check.detail_zh = message;
    return message;
  }
}

/**
 * Verifies a bundle. `log`: the district's whole draw log (/3, check 17); `prior`: the
 * bundles of the draws its yearly checks count (/3, §14.12); `onProgress({check, name,
 * fraction})` as the checks go. `recomputed` holds what was recomputed (digests, roots, seed,
 * quotas, teams after replacements…), to compare with values published elsewhere.
 */
export async function verifyBundle(bundle, { log, prior, onProgress } = {}) {
  const run = new Run(onProgress);
  const rec = {};
  const out = { ok: false, version: null, checks: run.checks, recomputed: rec };
  try {
    const raw = bundleBytes(bundle);
    const ctx = { rec, log: log === undefined || log === null ? null : jsonOf(log, "--log") };
    await run.step("bundle", async () => {
      Object.assign(ctx, await splitBundle(raw));
      rec.body_sha256 = ctx.body_sha256;
      return `正文摘要 ${rec.body_sha256} 与数据包一致；正文为规范 JSON，总体各列为规范 base64`;
    });
    const algorithm = get(ctx.body.manifest, "algorithm");
    out.version = typeof algorithm === "string" ? algorithm : null;
    await verifyBody(run, ctx);
    if (prior !== undefined && prior !== null) {
      await run.step("prior", () => {
        if (!pyEq(algorithm, ALGORITHM_SIGNED)) {
          throw new Difference(`--prior 只适用于 ${ALGORITHM_SIGNED} 数据包`);
        }
        return checkPrior(ctx, prior.map(bundleBytes));
      });
    }
    out.ok = true;
  } catch (error) {
    out.error_zh = run.fail(error);
  }
  return out;
}

/** Every check of the spec, in the reference verifier's order; each fills in `ctx`. */
async function verifyBody(run, ctx) {
  await run.step("manifest", () => checkManifest(ctx));
  await run.step("population", () => checkPopulation(ctx));
  await run.step("roster", () => checkRoster(ctx));
  if (ctx.withExperts) await run.step("expert_roster", () => checkExpertRoster(ctx));
  await run.step("commitments", () => checkCommitments(ctx));
  await run.step("seed", () => checkSeed(ctx));
  await run.step("selection", () => checkSelection(ctx, run));
  await run.step("targets", () => checkTargets(ctx));
  await run.step("matching", () => checkMatching(ctx));
  await run.step("constraints", () => checkConstraints(ctx));
  await run.step("replacements", () => checkReplacements(ctx));
  await run.step("countersign", () => checkCountersign(ctx.body));
  if (ctx.signed) {
    await run.step("log", () => checkLogExtract(ctx));
    await run.step("keys", () => checkKeys(ctx));
    await run.step("signatures", () => checkSignatures(ctx));
    if (ctx.log !== null) await run.step("full_log", () => checkFullLog(ctx));
  }
}

// ------------------------------------------------------------------- manifest (1–2)

function checkManifest(ctx) {
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
  if (signed) {
    checkShape(body, withExperts);
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
  Object.assign(ctx, { m, manifestSha, withExperts, signed });
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
const EXPERT_SHAPES = { body: ["expert_roster"], manifest: ["experts"], result: ["experts"], target: ["experts"] };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function keysOf(obj, shape, where, experts = false) {
  const want = new Set([...SHAPES[shape], ...(experts ? EXPERT_SHAPES[shape] || [] : [])]);
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
function checkShape(body, experts) {
  keysOf(body, "body", "数据包正文", experts);
  const m = body.manifest;
  keysOf(m, "manifest", "manifest", experts);
  if (typeof m.draw_id !== "string" || !UUID.test(m.draw_id)) {
    throw new Difference(`manifest.draw_id：${short(m.draw_id)} 不是小写 UUID`);
  }
  isoDay(m.draw_date, "manifest.draw_date");
  keysOf(m.task, "task", "manifest.task");
  keysOf(m.target_filter, "target_filter", "manifest.target_filter");
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
  keysOf(result, "result", "result", experts);
  result.strata.forEach((s, n) => keysOf(s, "result stratum", `result.strata[${n}]`));
  result.targets.forEach((t, n) => keysOf(t, "target", `result.targets[${n}]`, experts));
  for (const d of result.recusal_disclosures) keysOf(d, "disclosure", "result.recusal_disclosures[]");
  body.replacements.forEach((r, n) => {
    keysOf(r, "replacement", `replacements[${n}]`);
    keysOf(r.countersign, "replacement countersign", `replacements[${n}].countersign`);
    for (const d of r.recusal_disclosures) keysOf(d, "disclosure", `replacements[${n}].recusal_disclosures[]`);
  });
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

// --------------------------------------------------------------- population and rosters

async function checkPopulation(ctx) {
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
  const bad = st.findIndex((v) => v >= STATUSES.length);
  if (bad >= 0) throw new Difference(`总体第 ${bad} 行：未知状态码 ${st[bad]}`);
  ctx.cols = [u, s, st, c];
  return `${n} 个市场主体，${leaves.length} 个分块，Merkle 根 ${root} 与清单一致`;
}

/** §14.12 without the prior bundles: no entity counts more checks than listed draws, all
 * of them no more than the listed draws' targets. */
function checksBound(m, c) {
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

function sortedUnique(ids) {
  const sorted = [...ids].sort(cmpStr); // utf8 of each id: code point order
  return sorted.every((x, i) => x === ids[i]) && new Set(ids).size === ids.length;
}

function checkRoster(ctx) {
  const { body, m, rec } = ctx;
  const roster = body.roster;
  const ids = roster.map((r) => r.inspector_id);
  ids.forEach(utf8);
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

function checkExpertRoster(ctx) {
  const { body, m, rec } = ctx;
  const spec = m.experts;
  if (typeof spec.per_target !== "number" || !Number.isInteger(spec.per_target) || spec.per_target < 1) {
    throw new Difference("manifest.experts.per_target 须为正整数");
  }
  if (!sortedDistinct(spec.fields)) throw new Difference("manifest.experts.fields 未排序或有重复");
  const experts = body.expert_roster;
  const ids = experts.map((r) => r.expert_id);
  ids.forEach(utf8);
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

// ----------------------------------------------------------------- commitments and seed

function checkCommitments(ctx) {
  const { body, m, manifestSha } = ctx;
  const parties = m.parties;
  expect(body.commitments.map((x) => x.party), parties, "承诺的各方");
  expect(body.reveals.map((x) => x.party), parties, "揭示的各方");
  const shares = [];
  body.commitments.forEach((com, n) => {
    const rev = body.reveals[n];
    const share = unhex(rev.share, 32, `${rev.party} 的份额`);
    const tag = m.algorithm === ALGORITHM_SIGNED
      ? concat(lps("spotcheck/share/v3"), lp(manifestSha)) // §14.3: binds the manifest
      : lps("spotcheck/share/v1");
    const want = sha256(concat(tag, lps(m.draw_id), lps(rev.party), lp(share)));
    expect(com.commitment, hex(want), `${com.party} 的承诺`);
    shares.push(share);
  });
  ctx.shares = shares;
  return `${parties.length} 方（${parties.join("、")}）揭示的份额均能打开其事先公布的承诺`;
}

function checkSeed(ctx) {
  const { body, m, manifestSha, shares, rec } = ctx;
  let beacon = null;
  if (m.beacon === null) {
    expect(body.beacon_value, null, "beacon_value（清单未指定信标）");
  } else {
    beacon = unhex(body.beacon_value, null, "beacon_value");
    if (beacon.length < 1 || beacon.length > 64) throw new Difference("beacon_value 须为 1..64 字节");
  }
  const seed = sha256(concat(
    lps("spotcheck/seed/v1"), lp(manifestSha), u8(shares.length), ...shares.map(lp),
    beacon === null ? [0] : concat([1], lp(beacon)),
  ));
  rec.seed = hex(seed);
  expect(body.seed, rec.seed, "种子（seed）");
  expect(body.result.seed, rec.seed, "result.seed");
  rec.result_sha256 = hex(sha256(canonical(body.result)));
  expect(body.result_sha256, rec.result_sha256, "result_sha256（结果摘要）");
  ctx.key = sha256(concat(lps("spotcheck/draw-key/v1"), lp(seed), lps(m.draw_id)));
  ctx.prefix = concat([1], ctx.key, [USCC_LEN]);
  return `种子 ${rec.seed}${beacon ? "（含外部信标值）" : ""} 与结果摘要 ${rec.result_sha256} 均可重算`;
}

// -------------------------------------------------------------------- selection (§7)

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

function checkSelection(ctx, run) {
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

function checkTargets(ctx) {
  const { selected } = ctx;
  const targets = ctx.body.result.targets;
  expect(targets.length, selected.length, "检查对象数");
  targets.forEach((t, n) => {
    const [ticket, code, key] = selected[n];
    expect([t.uscc, t.stratum, t.ticket], [code, key, hex(ticket)], "检查对象顺序（uscc、分层、签号）");
  });
  return `${targets.length} 个检查对象按签号排序，分层与签号均一致`;
}

// --------------------------------------------------------------------- matching (§8)

function checkMatching(ctx) {
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
  const unstaffed = result.targets.filter((t) => !staff(t, matching, ematching)).map((t) => t.uscc);
  expect(result.unstaffed, unstaffed, "未能组队的检查对象");
  if (signed) {
    expect(result.unstaffed_reasons, unstaffed.map((u) => matching.short.get(u)), "未能组队的原因");
    checkMet(result.recusal_disclosures, matching.met, "inspector_id", "回避");
    if (ematching) checkMet(result.experts.recusal_disclosures, ematching.met, "expert_id", "专家回避");
  }
  Object.assign(rec, {
    load_cap: matching.cap,
    pool_size: matching.pool.size,
    unstaffed,
    ...(signed && { leader_load_cap: matching.leaderCap, unstaffed_reasons: unstaffed.map((u) => matching.short.get(u)) }),
    ...(ematching && { expert_load_cap: ematching.cap, expert_pool_size: ematching.pool.size }),
  });
  Object.assign(ctx, { matching, ematching });
  return (
    `${result.targets.length - unstaffed.length} 个对象组队成功，${unstaffed.length} 个未能组队；` +
    `人员库 ${matching.pool.size} 人，工作量上限 ${matching.cap}` +
    (signed ? `，组长上限 ${matching.leaderCap}` : "") +
    `；${result.recusal_disclosures.length} 项回避披露均能打开名录中的承诺` +
    (ematching ? `；每个对象 ${ematching.per} 名专家，专家库 ${ematching.pool.size} 人，专家上限 ${ematching.cap}` : "")
  );
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

/** One target's team (and experts) as matched in ticket order; false if unstaffed. */
function staff(t, matching, ematching) {
  let team = matching.staff(t.uscc);
  if (ematching) {
    let chosen = team.length ? ematching.staff(t.uscc) : [];
    if (team.length && chosen === null) {
      matching.unstaff(team);
      matching.short.set(t.uscc, "experts");
      team = [];
      chosen = [];
    }
    expect(t.experts, chosen, `${t.uscc} 的专家`);
  }
  expect(t.team, team, `${t.uscc} 的检查组`);
  return team.length > 0;
}

/** The hard rules on the published teams themselves (independent of the replay). */
function checkConstraints(ctx) {
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
  for (const [i, load] of loads) {
    const cap = matching.capOf.get(i);
    if (load > cap) throw new Difference(`检查人员 ${i}：${load} 个对象，超过工作量上限 ${cap}`);
  }
  if (ematching) checkExpertConstraints(m, targets, ematching);
  return "每组人数足够且互不相同、组长唯一且具备资格、成员均在人员库中且未被回避、组内无冲突关系、无人超过工作量上限" +
    (ematching ? "；每组专家人数正确、均在专家库中、未被回避、未超上限" : "");
}

function checkExpertConstraints(m, targets, ematching) {
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
  for (const [e, load] of loads) {
    if (load > ematching.cap) throw new Difference(`专家 ${e}：${load} 个对象，超过工作量上限 ${ematching.cap}`);
  }
}

// ----------------------------------------------------------------- replacements (§9)

/** §14.11: the position's first alternate (fixed by the draw) that may still serve. */
function alternate(matching, teams, gone, r, j) {
  const team = teams.get(r.uscc);
  const position = team.findIndex(([i]) => i === r.replaced);
  const [alternates, met] = matching.alternates.get(r.uscc)[position];
  const disclosed = r.recusal_disclosures.map((d) => [d.uscc, d.inspector_id]);
  expect(disclosed, met.map((i) => [r.uscc, i]), `第 ${j + 1} 次替换：回避披露`);
  const rest = team.map(([i]) => i).filter((i) => i !== r.replaced);
  const loads = new Map();
  for (const members of teams.values()) for (const [i] of members) loads.set(i, (loads.get(i) || 0) + 1);
  const out = gone.get(r.uscc) || new Set();
  for (const a of alternates) {
    if (rest.includes(a) || a === r.replaced || out.has(a)) continue;
    if (matching.blocked(a, rest) || (loads.get(a) || 0) >= matching.capOf.get(a)) continue;
    return a;
  }
  return null;
}

function checkReplacements(ctx) {
  const { body, matching, byId, rec } = ctx;
  const targets = body.result.targets;
  const teams = new Map(targets.map((t) => [t.uscc, t.team.map((x) => [...x])]));
  const gone = new Map();
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
    if (signed) got = alternate(matching, teams, gone, r, j);
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

function checkCountersign(body) {
  const sign = body.countersign;
  if (sign === null) return "尚未会签";
  expect(sign.result_sha256, body.result_sha256, "countersign.result_sha256（会签针对的结果摘要）");
  if (blank(sign.by)) throw new Difference("会签没有签署人");
  return `由 ${sign.by} 会签，会签针对的结果摘要与本结果一致`;
}

// ------------------------------------------------------- the signed ceremony (/3, §14)

const KEY_KINDS = ["key-registered", "key-revoked"];
const DRAW_KINDS = ["frozen", "committed", "revealed", "beacon", "drawn", "countersigned", "replaced"];
const VOID_KINDS = ["cancelled", "aborted"];
const COMMIT_FIELDS = ["party", "commitment", "at", "key_id", "signature"];
const REVEAL_FIELDS = ["party", "share", "at", "key_id", "signature"];
const COUNTERSIGN_FIELDS = ["result_sha256", "at", "key_id", "signature"];

/** A signed act of the bundle (§14.4) and the seq of its log record. */
function act(kind, party, seq, entry, record = null) {
  let what;
  if (kind === "countersign") what = "会签";
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
function checkLogExtract(ctx) {
  const { body, m } = ctx;
  ctx.extract = logEntries(body.log, m.district, "日志摘录", false);
  const records = ctx.extract.map(([r]) => r);
  ctx.acts = checkDrawRecords(body, m, records);
  const seqs = records.map((r) => r.seq);
  return `日志摘录 ${records.length} 条（seq ${seqs[0]}..${seqs.at(-1)}），哈希正确；冻结、承诺、揭示` +
    `${m.beacon !== null ? "、信标" : ""}、抽取、会签与替换记录均与数据包一致`;
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
  const want = ["frozen", ...Array(n).fill("committed"), ...Array(n).fill("revealed"),
    ...Array(beacon).fill("beacon"), "drawn", ...(sign !== null ? ["countersigned"] : []),
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
  const drawn = mine[2 * n + 1 + beacon];
  const rest = mine.slice(2 * n + 2 + beacon);
  for (const [field, value] of [
    ["manifest_sha256", body.manifest_sha256],
    ["reveal_deadline", m.reveal_deadline],
    ["task_id", m.task.task_id],
  ]) {
    expect(frozen[field], value, `日志：'frozen' 记录 seq ${frozen.seq}：${field}`);
  }
  const acts = matchActs(mine.slice(1, n + 1), body.commitments, "commit", COMMIT_FIELDS);
  acts.push(...matchActs(mine.slice(n + 1, 2 * n + 1), body.reveals, "reveal", REVEAL_FIELDS));
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

/** §14.9: the audit recorded with the countersignature counts the bundle's disclosures. */
function checkAudit(body, c) {
  const result = body.result;
  let disclosed = result.recusal_disclosures.length;
  disclosed += get(get(result, "experts", {}), "recusal_disclosures", []).length;
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

/** Check 15: keys registered before use, right key_id and self-signature, valid on the
 * day, not revoked (in the extract); the party, holder and same-key rules of §14.4. */
async function checkKeys(ctx) {
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
    } else {
      expect(key.party, OFFICE, `${a.what}：密钥 ${kid} 的当事方`);
      distinctHolder(a, key, holderOf);
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
async function checkSignatures(ctx) {
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
  return `${acts.length} 项签名行为（承诺、揭示、会签、替换会签）的 Ed25519 签名均有效；所有揭示均不晚于截止时间 ${m.reveal_deadline}`;
}

/** Check 17: the full log chains from seq 1, holds the extract unchanged and every record
 * of the draw, and revokes no used key before its use. */
function checkFullLog(ctx) {
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

/** §14.12 with the prior bundles: the listed draws recompute the `checks` column. */
async function checkPrior(ctx, priors) {
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

// ------------------------------------------------------------------------ proofs (§4.3)

/**
 * One entity's proof (GET /public/draws/{draw_id}/proof/{uscc}): that it is in the draw's
 * population (§4.3) or that it is not (§4.4), against the root it names; then, given the
 * manifest (an object or its JSON bytes; a bundle will do) or its population root (a hex
 * string), that this root and chunk count are the draw's.
 */
export async function verifyProof(proof, manifestOrRoot) {
  const run = new Run(null);
  const out = { ok: false, included: null, checks: run.checks };
  try {
    const p = strict(jsonOf(proof, "证明"));
    await run.step("proof", () => {
      if (!isDict(p)) throw new Difference("证明不是 JSON 对象");
      if (pyEq(get(p, "format"), NONPROOF_FORMAT)) {
        out.included = false;
        return verifyAbsence(p);
      }
      out.included = true;
      return verifyInclusion(p);
    });
    out.summary_zh = run.checks[0].detail_zh;
    if (manifestOrRoot !== undefined && manifestOrRoot !== null) {
      const against = typeof manifestOrRoot === "string" ? manifestOrRoot : strict(jsonOf(manifestOrRoot, "清单"));
      await run.step("proof_manifest", () => compareManifest(p, against));
    }
    out.ok = true;
  } catch (error) {
    out.error_zh = run.fail(error);
  }
  return out;
}

function compareManifest(p, against) {
  if (typeof against === "string") {
    expect(p.population_root, against, "population_root（与给出的总体根比对）");
    return `证明所用的总体根与给出的根 ${against} 一致`;
  }
  // a manifest, a bundle body or a whole bundle
  const body = has(against, "body") ? against.body : against;
  const m = has(body, "manifest") ? body.manifest : body;
  const digest = hex(sha256(canonical(m)));
  expect(p.manifest_sha256, digest, "manifest_sha256（证明所指清单）");
  expect(p.draw_id, m.draw_id, "draw_id");
  expect(p.population_root, m.population.merkle_root, "population_root（与清单的 population.merkle_root 比对）");
  const chunks = ceilDiv(pyInt(m.population.size), pyInt(m.population.chunk_size));
  expect(p.chunk_count, chunks, "chunk_count（与 ⌈population.size / chunk_size⌉ 比对）");
  return `证明所用的总体根、分块数（${chunks}）与清单 ${digest} 一致`;
}

function count(value, what) {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0) {
    throw new Difference(`${what}：不是非负整数：${short(value)}`);
  }
  return value;
}

function proofChunk(ch, what) {
  const u = b64(ch.uscc, `${what}uscc`);
  const s = b64(ch.stratum, `${what}stratum`);
  const st = b64(ch.status, `${what}status`);
  const c = b64(ch.checks, `${what}checks`);
  const attrs = b64(truthy(get(ch, "attributes")) ? ch.attributes : "", `${what}attributes`); // /3
  return [u, s, st, c, attrs];
}

function verifyInclusion(p) {
  expect(p.format, PROOF_FORMAT, "format");
  if (get(p, "included", true) !== true) {
    throw new Difference(`included：${PROOF_FORMAT} 证明应为 true，而非 ${short(p.included)}`);
  }
  const [u, s, st, c, attrs] = proofChunk(p.chunk, "chunk.");
  const k = s.length;
  if (u.length !== USCC_LEN * k || st.length !== k || c.length !== k || (attrs.length !== 0 && attrs.length !== 6 * k)) {
    throw new Difference("分块各列长度不一致");
  }
  const codes = Array.from({ length: k }, (_, i) => ascii(u.subarray(USCC_LEN * i, USCC_LEN * (i + 1))));
  if (!pyIn(p.uscc, codes)) throw new Difference(`${p.uscc} 不在该分块中`);
  const index = count(p.chunk_index, "chunk_index");
  const total = count(p.chunk_count, "chunk_count");
  if (index >= total) throw new Difference(`chunk_index ${index}：共只有 ${total} 个分块（chunk_count）`);
  const leaf = sha256(chunkData(u, s, st, c, 0, k, attrs));
  const path = p.path.map((x) => unhex(x, 32, "path"));
  const root = hex(pathRoot(leaf, index, total, path));
  expect(root, p.population_root, "总体 Merkle 根");
  const i = codes.indexOf(p.uscc);
  const status = st[i] < STATUSES.length ? STATUS_ZH[st[i]] : `状态码 ${st[i]}`;
  return `${p.uscc} 在抽取 ${p.draw_id} 的总体之中（分层索引 ${s[i]}，${status}，本年度已被抽查 ${c[i]} 次）；` +
    compareNote(root, total);
}

function compareNote(root, total) {
  return `总体根 ${root}，共 ${total} 个分块：请与清单的 population.merkle_root 及 ⌈population.size / chunk_size⌉ 比对`;
}

/** The codes of one chunk of a non-inclusion proof, its leaf led by its path to `root`. */
function provedChunk(entry, index, total, root) {
  const what = `chunks：第 ${index} 块`;
  if (!pyEq(entry.chunk_index, index) || typeof entry.chunk_index === "boolean") {
    throw new Difference(`chunks：chunk_index 为 ${short(entry.chunk_index)}，应为 ${index}`);
  }
  if (!(index >= 0 && index < total)) throw new Difference(`${what}：共只有 ${total} 个分块（chunk_count）`);
  const [u, s, st, c, attrs] = proofChunk(entry.chunk, `${what}：`);
  const m = s.length;
  if (m === 0 || u.length !== USCC_LEN * m || st.length !== m || c.length !== m) {
    throw new Difference(`${what}：各列为空或长度不一致`);
  }
  if (attrs.length !== 0 && attrs.length !== 6 * m) throw new Difference(`${what}：attributes 长度不符`);
  const codes = Array.from({ length: m }, (_, i) => u.subarray(USCC_LEN * i, USCC_LEN * (i + 1)));
  for (let i = 1; i < m; i++) {
    if (cmpBytes(codes[i - 1], codes[i]) >= 0) throw new Difference(`${what}：第 ${i} 行起统一社会信用代码未严格升序`);
  }
  const path = entry.path.map((x) => unhex(x, 32, `${what}：path`));
  const node = pathRoot(sha256(chunkData(u, s, st, c, 0, m, attrs)), index, total, path);
  if (!sameBytes(node, root)) throw new Difference(`${what}：其各列与审计路径得出 ${hex(node)}，不是总体根`);
  return codes;
}

/** §4.4: adjacent codes (or the first, or the last) that leave no room for the USCC. */
function verifyAbsence(p) {
  if (p.included !== false) throw new Difference(`included：${NONPROOF_FORMAT} 证明应为 false`);
  const uscc = p.uscc;
  if (typeof uscc !== "string" || uscc.length !== USCC_LEN || !/^[\x00-\x7f]*$/.test(uscc)) {
    throw new Difference(`uscc：不是 ${USCC_LEN} 个 ASCII 字符：${short(uscc)}`);
  }
  const code = asciiBytes(uscc);
  const draw = p.draw_id;
  const root = unhex(p.population_root, 32, "population_root");
  const total = count(p.chunk_count, "chunk_count");
  const chunks = p.chunks;
  if (!Array.isArray(chunks) || chunks.length > 2) throw new Difference("chunks：不在总体中的证明最多给出两个分块");
  const said = `${uscc} 不在抽取 ${draw} 的总体之中`;
  let where;
  if (!chunks.length) {
    if (total !== 0) throw new Difference(`未给出分块，但 chunk_count 为 ${total}：证明不完整`);
    if (!sameBytes(root, sha256(new Uint8Array(0)))) throw new Difference("未给出分块，但根不是空总体的根");
    where = "总体为空（0 个分块，根为空串的 SHA-256）";
  } else if (chunks.length === 2) {
    const j = count(chunks[0].chunk_index, "chunks：chunk_index");
    const before = provedChunk(chunks[0], j, total, root).at(-1);
    const after = provedChunk(chunks[1], j + 1, total, root)[0];
    if (!(cmpBytes(before, code) < 0 && cmpBytes(code, after) < 0)) {
      throw new Difference(`${uscc} 不在第 ${j} 块的最后一个代码 ${ascii(before)} 与第 ${j + 1} 块的第一个代码 ${ascii(after)} 之间`);
    }
    where = `它应位于第 ${j} 块的最后一个代码 ${ascii(before)} 与第 ${j + 1} 块的第一个代码 ${ascii(after)} 之间（共 ${total} 块），而两者相邻`;
  } else {
    const j = count(chunks[0].chunk_index, "chunks：chunk_index");
    where = within(code, provedChunk(chunks[0], j, total, root), j, total);
  }
  return `${said}：${where}；${compareNote(hex(root), total)}`;
}

function within(code, codes, j, total) {
  const uscc = ascii(code);
  if (codes.some((c) => sameBytes(c, code))) throw new Difference(`${uscc} 在第 ${j} 块中：证明表明它在总体之中，而非不在`);
  if (cmpBytes(code, codes[0]) < 0) {
    if (j !== 0) throw new Difference(`${uscc} 排在第 ${j} 块之前，但该块不是第一块`);
    return `它排在总体的第一个代码 ${ascii(codes[0])} 之前`;
  }
  if (cmpBytes(code, codes.at(-1)) > 0) {
    if (j !== total - 1) throw new Difference(`${uscc} 排在第 ${j} 块之后，但该块不是最后一块`);
    return `它排在总体的最后一个代码 ${ascii(codes.at(-1))} 之后`;
  }
  const i = codes.findIndex((c, n) => n > 0 && cmpBytes(code, c) < 0);
  return `它应位于第 ${j} 块（共 ${total} 块）中相邻的代码 ${ascii(codes[i - 1])} 与 ${ascii(codes[i])} 之间`;
}
