// /console/joint-draws/{draw_id}: this bureau's share of a neighbour's joint draw (ADR 0010),
// committed and revealed in this browser as in the ceremony of the district's own draws
// (docs/draw-spec.md §14). The key is made here for the drawing district's log: its
// self-signature names that district, its holder is "<this district>:<user>"; it is registered
// with the commitment. The share is made here and leaves this browser only at its reveal.

import * as p from "./protocol.js";
import * as store from "./keystore.js";
import { fetchJson, fill, follow, heldKey, keptShare, openedShare, signWith } from "./acts.js";
import { generateKey } from "./keys.js";
import { beforeSubmit } from "./ui.js";

const CREDIT_PARTY = "信用监管科";

const root = document.querySelector("[data-joint]");
const { district, stateUrl } = root.dataset;
const holder = `${district}:${root.dataset.holder}`; // as the drawing district's log names them

// The joint draw, its manifest checked as the drawing district's before anything is signed
// over it, and this bureau's party in it.
async function checked() {
  const state = await fetchJson(stateUrl);
  const jd = state.joint;
  const party = `${district}:${CREDIT_PARTY}`;
  if (jd.party !== party) throw new Error(`本局在此抽取中的参与方应为「${party}」`);
  const digest = await p.checkedManifest(jd, jd.drawing_district);
  if (!jd.manifest.parties.includes(party)) throw new Error(`清单未列「${party}」为参与方`);
  return { ...state, jd, digest };
}

// A key for the party in the drawing district's log, held here: the one valid today the
// longest, or a new one (valid from today, ``validFrom``). Ed25519 signs deterministically, so
// a reused key's registration is signed again with the very bytes the log already holds.
async function partyKey(jd, validFrom, validUntil) {
  const usable = (await store.keysOf(jd.drawing_district, holder))
    .filter((k) => k.party === jd.party && k.valid_from <= validFrom && k.valid_until >= validFrom)
    .sort((a, b) => (a.valid_until < b.valid_until ? 1 : -1));
  if (!usable.length) return generateKey(jd.drawing_district, jd.party, holder, validFrom, validUntil);
  const key = usable[0];
  const message = p.keyMessage(
    jd.drawing_district,
    jd.party,
    holder,
    p.fromHex(key.public_key, 32, "公钥"),
    key.valid_from,
    key.valid_until,
  );
  return { record: key, signature: await signWith(key, message) };
}

async function commit(form) {
  const { jd, digest, valid_from: validFrom, valid_until: validUntil } = await checked();
  if (jd.status !== "awaiting-commit") throw new Error("本局已提交承诺，或抽取已结束");
  const { record, signature } = await partyKey(jd, validFrom, validUntil);
  const kept = await keptShare(jd, digest, record.key_id, jd.party);
  const commitment = p.fromHex(kept.commitment, 32, "承诺值");
  fill(form, {
    commitment: kept.commitment,
    public_key: record.public_key,
    valid_from: record.valid_from,
    valid_until: record.valid_until,
    key_signature: signature,
    signature: await signWith(record, p.commitMessage(digest, jd.party, commitment)),
  });
}

async function reveal(form) {
  const { jd, digest } = await checked();
  const missing = jd.parties.filter((x) => !jd.committed.includes(x));
  if (missing.length) throw new Error(`尚有参与方未提交承诺：${missing.join("、")}；承诺齐后才能揭示`);
  if (!jd.key_id || !jd.commitment) throw new Error("本局尚未提交承诺");
  const share = await openedShare(jd, digest, jd.key_id, jd.party, jd.commitment);
  const key = await heldKey(jd.drawing_district, holder, jd.key_id);
  fill(form, {
    share: p.toHex(share),
    signature: await signWith(key, p.revealMessage(digest, jd.party, share)),
  });
}

const ACTS = { "joint-commit": commit, "joint-reveal": reveal };

for (const form of document.querySelectorAll("form[data-sign]")) {
  beforeSubmit(form, ACTS[form.dataset.sign]);
}

follow(root);
