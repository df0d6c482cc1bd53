// Canonical JSON, CJ(v) of docs/draw-spec.md §1: Python's json.dumps(v, ensure_ascii=False,
// sort_keys=True, separators=(",", ":")). Shared by the verifier and the ceremony
// (../ceremony/protocol.js): they write every value alike but refuse different ones — the
// verifier writes integers of any size, as Python reads them, and says "malformed"; the
// ceremony signs only what JSON.parse read exactly — so each passes its own `refuse`.

import { utf8 } from "./bytes.js";
import { Malformed, short } from "./errors.js";

/** Code point order of strings (= UTF-8 byte order), not JavaScript's UTF-16 order. */
export function codePointOrder(a, b) {
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

/**
 * CJ(v) as text, keys sorted by `order`. `refuse(value, isKey)` is called for what CJ cannot
 * write as it stands — a string with a lone surrogate, a number that is not a safe integer,
 * any other scalar — and throws in the caller's words, or returns to have it written anyway
 * (an integer, a lone surrogate escaped). Only then: the common values cost no call.
 */
export function canonicalText(v, refuse, order = codePointOrder) {
  if (v === null) return "null";
  if (v === true) return "true";
  if (v === false) return "false";
  if (typeof v === "string" && v.isWellFormed()) return JSON.stringify(v); // Python's escapes
  if (typeof v === "number" && Number.isSafeInteger(v)) return String(v);
  if (Array.isArray(v)) return "[" + v.map((x) => canonicalText(x, refuse, order)).join(",") + "]";
  if (typeof v === "object") {
    const keys = Object.keys(v).sort(order);
    return "{" + keys.map((k) => {
      if (!k.isWellFormed()) refuse(k, true);
      return JSON.stringify(k) + ":" + canonicalText(v[k], refuse, order);
    }).join(",") + "}";
  }
  refuse(v, false);
  return typeof v === "string" ? JSON.stringify(v) : BigInt(v).toString();
}

/** The verifier's refusals: a non-integer, a lone surrogate (not in a key: written escaped),
 * what JSON cannot hold. */
function malformed(v, isKey) {
  if (typeof v === "number") {
    if (!Number.isInteger(v)) throw new Malformed(`不是整数：${v}（协议只用整数）`);
  } else if (typeof v === "string") {
    if (!isKey) throw new Malformed(`字符串含孤立代理项：${short(v)}`);
  } else if (typeof v !== "bigint") {
    throw new Malformed(`无法编码为 JSON：${typeof v}`);
  }
}

/** CJ(v) as the verifier writes it, in UTF-8. */
export const canonical = (v) => utf8(canonicalText(v, malformed));
