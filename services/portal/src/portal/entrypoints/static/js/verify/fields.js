// The fields of the spec's byte strings as the verifier reads and writes them: UTF-8 and
// length prefixes (§1), fixed-size integers, strict hex and canonical base64, ASCII codes.
// Each refuses what the Python reference refuses, in its words (Difference or Malformed).

import { concat, hex, hexBytes, utf8 } from "./bytes.js";
import { Difference, Malformed, short } from "./errors.js";

/** UTF-8 of a string; a lone surrogate is an encoding error, as in Python. */
export function strictUtf8(text) {
  if (typeof text !== "string") throw new Malformed(`需要字符串，得到 ${short(text)}`);
  if (!text.isWellFormed()) throw new Malformed(`字符串含孤立代理项：${short(text)}`);
  return utf8(text);
}

export function lp(data) {
  if (data.length > 255) throw new Difference(`字段超过 255 字节：${short(ascii(data.subarray(0, 24)))}`);
  return concat([data.length], data);
}

export const lps = (text) => lp(strictUtf8(text));
export const u8 = (n) => {
  if (!Number.isInteger(n) || n < 0 || n > 255) throw new Malformed(`字节值超出 0..255：${n}`);
  return new Uint8Array([n]);
};
export const u16 = (n) => {
  if (n > 0xffff) throw new Malformed(`超出 u16：${n}`);
  return new Uint8Array([n >>> 8, n & 0xff]);
};
export const u32 = (n) => new Uint8Array([n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);

/** Lower-case hex of exactly `size` bytes (any size when null), else a Difference. */
export function unhex(value, size, what) {
  if (typeof value !== "string" || value !== value.toLowerCase()) {
    throw new Difference(`${what}：不是小写十六进制`);
  }
  if (value.length % 2 || !/^[0-9a-f]*$/.test(value)) throw new Difference(`${what}：不是十六进制`);
  if (size !== null && value.length !== 2 * size) {
    throw new Difference(`${what}：应为 ${size} 字节的十六进制`);
  }
  return hexBytes(value);
}

/** Bytes to text, one character a byte, refusing non-ASCII as Python's decode("ascii"). */
export function ascii(bytes) {
  let out = "";
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] > 0x7f) throw new Malformed(`非 ASCII 字节 0x${hex([bytes[i]])}`);
    out += String.fromCharCode(bytes[i]);
  }
  return out;
}

export function asciiBytes(text) {
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
export function b64Bytes(chars, what) {
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

export function b64(value, what) {
  if (typeof value !== "string") throw new Difference(`${what}：不是 base64 字符串`);
  const chars = new Uint8Array(value.length);
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    chars[i] = c < 0x80 ? c : 0x3f; // as Python's encode("ascii", "replace")
  }
  return b64Bytes(chars, what);
}
