// Byte strings as the draw specification builds them (docs/draw-spec.md §1): UTF-8,
// concatenation, lower-case hex, byte order. Shared by the verifier and the ceremony
// (../ceremony/protocol.js); nothing here refuses a value in either one's words, so each
// keeps its own checks around these.

const ENCODER = new TextEncoder();

/** UTF-8 of a string, as TextEncoder writes it. */
export function utf8(text) {
  return ENCODER.encode(text);
}

/** x ‖ y ‖ …: byte strings or plain arrays of bytes. */
export function concat(...parts) {
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

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

export function hex(bytes) {
  let out = "";
  for (let i = 0; i < bytes.length; i++) out += HEX[bytes[i]];
  return out;
}

/** The bytes of a hex string its caller has checked (an even number of hex digits). */
export function hexBytes(text) {
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.substr(2 * i, 2), 16);
  return out;
}

export function cmpBytes(x, y) {
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) if (x[i] !== y[i]) return x[i] < y[i] ? -1 : 1;
  return x.length - y.length;
}

export const sameBytes = (x, y) => cmpBytes(x, y) === 0;
