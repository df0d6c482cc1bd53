// SHA-256, computed here, synchronously: a city draw hashes a million tickets, and an
// asynchronous crypto.subtle call costs tens of microseconds each. Large inputs still go to
// crypto.subtle (native) where the platform has it.

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

/** H(x) by crypto.subtle: native, but asynchronous. */
export async function subtleSha256(bytes) {
  return new Uint8Array(await globalThis.crypto.subtle.digest("SHA-256", bytes));
}

/**
 * H(x) of many byte strings at once. A large one goes to crypto.subtle.digest, when the
 * platform has it, which is native and several times faster than sha256() —
 * but an asynchronous call costs tens of microseconds, too much for a million tickets.
 */
export async function sha256All(list) {
  const subtle = globalThis.crypto?.subtle;
  return Promise.all(list.map((bytes) => (!subtle || bytes.length < 4096 ? sha256(bytes) : subtleSha256(bytes))));
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
export class Tickets {
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
export function cmpWords(x, i, y, j) {
  for (let k = 0; k < 8; k++) {
    const a = x[i + k] >>> 0;
    const b = y[j + k] >>> 0;
    if (a !== b) return a < b ? -1 : 1;
  }
  return 0;
}
