// Ed25519 signatures (RFC 8032), verified by crypto.subtle; first the encodings the Python
// verifier refuses are refused here too (§5.1.3/§5.1.7: y ≥ p, x = 0 with the sign bit set,
// S ≥ L), so that a platform's more lenient decoding cannot accept what the reference rejects.

import { hex } from "./bytes.js";

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

export async function ed25519Verify(publicKey, message, signature, cache) {
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
