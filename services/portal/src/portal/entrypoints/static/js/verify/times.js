// Dates and instants as Python's date.fromisoformat and datetime.fromisoformat read them.

import { Difference, short } from "./errors.js";

const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const leap = (y) => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;

function validDate(y, mo, d) {
  return y >= 1 && mo >= 1 && mo <= 12 && d >= 1 && d <= (mo === 2 && leap(y) ? 29 : DAYS[mo - 1]);
}

/** A date written exactly YYYY-MM-DD (Python: date.fromisoformat, isoformat round trip). */
export function isoDay(value, what) {
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
export function instant(value, what) {
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
export function chinaDay(micros) {
  return new Date(Math.floor(micros / 1000) + 8 * 3600000).toISOString().slice(0, 10);
}
