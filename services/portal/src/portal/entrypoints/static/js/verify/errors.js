// How the verifier fails: what the reference verifier (verify_draw.py) reports as a difference
// and what it reports as a malformed bundle, with values quoted briefly.

import { hex } from "./bytes.js";

/** The first place where the bundle and the recomputation disagree (message in Chinese). */
export class Difference extends Error {}

/** What Python raises as KeyError/TypeError/ValueError: the verifier says "malformed". */
export class Malformed extends Error {}

export function short(value) {
  let text;
  try {
    text = value instanceof Uint8Array ? hex(value) : JSON.stringify(value);
  } catch {
    text = String(value);
  }
  if (text === undefined) text = String(value);
  return text.length <= 160 ? text : text.slice(0, 157) + "...";
}
