// /console/draws/keys: an Ed25519 key made in this browser (its private half cannot be read
// out of it), registered with its proof of possession (§14.2); which keys this browser holds.

import * as p from "./protocol.js";
import * as store from "./keystore.js";
import { beforeSubmit, unsupported } from "./ui.js";

// A new key of ``holder`` for ``party`` in ``district``'s log, its private half made
// non-extractable in this browser and kept here before its registration leaves (a key the
// server knows is a key this browser has); its public half and its proof of possession.
export async function generateKey(district, party, holder, validFrom, validUntil) {
  let pair;
  try {
    pair = await crypto.subtle.generateKey({ name: "Ed25519" }, false, ["sign", "verify"]);
  } catch (error) {
    throw unsupported(error);
  }
  const publicKey = new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey));
  const message = p.keyMessage(district, party, holder, publicKey, validFrom, validUntil);
  const record = {
    key_id: await p.keyIdOf(publicKey),
    owner: store.ownerOf(district, holder),
    district,
    holder,
    party,
    public_key: p.toHex(publicKey),
    valid_from: validFrom,
    valid_until: validUntil,
    privateKey: pair.privateKey,
  };
  await store.putKey(record);
  return { record, signature: await p.sign(pair.privateKey, message) };
}

async function newKey(form) {
  const { district, holder } = form.dataset;
  const party = form.elements.party.value;
  const validFrom = form.elements.valid_from.value;
  const validUntil = form.elements.valid_until.value;
  if (!party || !validFrom || !validUntil) throw new Error("请选择参与方并填写有效期");
  const { record, signature } = await generateKey(district, party, holder, validFrom, validUntil);
  form.elements.public_key.value = record.public_key;
  form.elements.signature.value = signature;
}

async function markHeld(district, holder) {
  const held = new Set((await store.keysOf(district, holder)).map((k) => k.key_id));
  for (const cell of document.querySelectorAll("[data-local-key]")) {
    cell.textContent = held.has(cell.dataset.localKey) ? "是（本浏览器）" : "否";
  }
}

const form = document.querySelector("form[data-keygen]");
if (form) {
  beforeSubmit(form, newKey);
  markHeld(form.dataset.district, form.dataset.holder).catch(() => {});
}
