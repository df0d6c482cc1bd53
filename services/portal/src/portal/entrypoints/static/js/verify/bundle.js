// A bundle's bytes (§11): body_sha256 over the body's exact bytes, the population's columns
// cut out of the canonical JSON (a city draw's are tens of megabytes of base64).

import { concat, hex, sameBytes, utf8 } from "./bytes.js";
import { sha256All } from "./sha256.js";
import { canonical } from "./canonical.js";
import { Difference } from "./errors.js";
import { expect, get, isDict, pyEq, strict } from "./python.js";
import { b64Bytes } from "./fields.js";

const STRICT_UTF8 = new TextDecoder("utf-8", { fatal: true });

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

/**
 * Parses a bundle's bytes (§11): checks body_sha256 over the body's exact bytes, cuts the
 * population columns (long base64 strings) out by their canonical position, parses the rest
 * and checks that it is canonical JSON. Returns {body, columns}.
 */
export async function splitBundle(raw) {
  const head = utf8('{"body":');
  const mid = utf8(',"body_sha256":"');
  const end = utf8('"}');
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
  const anchor = utf8('"population":{');
  let at = find(raw, concat(anchor, utf8('"checks":"')), head.length, cut);
  let names = POPULATION_KEYS;
  if (at < 0) {
    at = find(raw, concat(anchor, utf8('"attributes":"')), head.length, cut);
    names = ["attributes", ...POPULATION_KEYS];
  }
  if (at < 0) throw new Difference("数据包正文没有总体（population）");
  const pieces = [raw.subarray(head.length, at + anchor.length)];
  const columns = {};
  let pos = at + anchor.length;
  names.forEach((name, n) => {
    const key = utf8(`${n ? "," : ""}"${name}":"`);
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
export function bundleBytes(bundle) {
  if (bundle instanceof Uint8Array) return bundle;
  if (bundle instanceof ArrayBuffer) return new Uint8Array(bundle);
  if (ArrayBuffer.isView(bundle)) return new Uint8Array(bundle.buffer, bundle.byteOffset, bundle.byteLength);
  if (typeof bundle === "string") return utf8(bundle);
  return canonical(bundle);
}

/** A JSON document given as an object, text or bytes. */
export function jsonOf(value, what) {
  if (typeof value === "string" || value instanceof Uint8Array || value instanceof ArrayBuffer) {
    try {
      return JSON.parse(typeof value === "string" ? value : STRICT_UTF8.decode(value));
    } catch (exc) {
      throw new Difference(`${what} 不是 UTF-8 JSON：${exc.message}`);
    }
  }
  return value;
}
