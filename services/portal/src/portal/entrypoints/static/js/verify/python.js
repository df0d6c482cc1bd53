// The Python semantics the reference verifier applies to parsed JSON: ==, truthiness, `in`,
// int(), d.get() and d[k], str order and strip(). The verifier must agree with it on every
// bundle, also on a malformed one.

import { codePointOrder } from "./canonical.js";
import { Difference, Malformed, short } from "./errors.js";

const isNumber = (v) => typeof v === "number" || typeof v === "boolean" || typeof v === "bigint";
export const isDict = (v) => typeof v === "object" && v !== null && !Array.isArray(v);

/** Python's ==: True == 1, lists element-wise, dicts by keys and values. */
export function pyEq(a, b) {
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
export function truthy(v) {
  if (Array.isArray(v)) return v.length > 0;
  if (isDict(v)) return Object.keys(v).length > 0;
  return Boolean(v);
}

/** Python's `x in container` for the JSON containers (a string: substring). */
export function pyIn(x, container) {
  if (Array.isArray(container)) return container.some((y) => pyEq(x, y));
  if (typeof container === "string") {
    if (typeof x !== "string") throw new Malformed(`'in <string>' 需要字符串，得到 ${short(x)}`);
    return container.includes(x);
  }
  if (isDict(container)) return typeof x === "string" && has(container, x);
  throw new Malformed(`${short(container)} 不是容器`);
}

/** Python's int() of a JSON value (bool, integer, or a decimal string). */
export function pyInt(v) {
  if (typeof v === "boolean") return +v;
  if (typeof v === "number" && Number.isInteger(v)) return v;
  if (typeof v === "string" && /^[ \t\n\r\f\v]*[+-]?\d+(_\d+)*[ \t\n\r\f\v]*$/.test(v)) {
    return Number(v.trim().replaceAll("_", ""));
  }
  throw new Malformed(`int() 不能转换 ${short(v)}`);
}

/** A number for Python's <, >, +: bools count as 0/1, anything else is a TypeError. */
export function num(v) {
  if (typeof v === "boolean") return +v;
  if (typeof v === "number") return v;
  throw new Malformed(`需要整数，得到 ${short(v)}`);
}

// Python's str.strip() removes these (str.isspace), not JavaScript's trim() set.
const PY_SPACE = "[\\t\\n\\v\\f\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]";
const PY_BLANK = new RegExp(`^${PY_SPACE}*$`);

/** Python's `not str(v).strip()`: only a string of whitespace is blank. */
export const blank = (v) => typeof v === "string" && PY_BLANK.test(v);

export const has = (o, k) => isDict(o) && Object.hasOwn(o, k);

/** Python's d.get(k, default) (a non-object has no .get: malformed). */
export function get(o, k, dflt = undefined) {
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
export function strict(v) {
  if (Array.isArray(v)) return v.map(strict);
  if (isDict(v)) {
    const out = {};
    for (const k of Object.keys(v)) out[k] = strict(v[k]);
    return new Proxy(out, STRICT);
  }
  return v;
}

/** Python's str order (code points); numbers compare as numbers, anything else is a TypeError. */
export function cmpStr(a, b) {
  if (typeof a !== "string" || typeof b !== "string") {
    if (isNumber(a) && isNumber(b)) return Number(a) - Number(b);
    throw new Malformed(`无法比较 ${short(a)} 与 ${short(b)}`);
  }
  return codePointOrder(a, b);
}

export const sortedStr = (values) => [...values].sort(cmpStr);

/** Python's sorted(set(values)) == values: sorted by code point, each once. */
export function sortedDistinct(values) {
  if (!Array.isArray(values)) return false;
  const want = sortedStr(new Set(values));
  return pyEq(values, want);
}

export function expect(got, want, what) {
  if (!pyEq(got, want)) {
    throw new Difference(`${what}：所给为 ${short(got)}，重算得 ${short(want)}`);
  }
}

/** ⌈a / b⌉, as Python's -(-a // b). */
export const ceilDiv = (a, b) => -Math.floor(-a / b);
