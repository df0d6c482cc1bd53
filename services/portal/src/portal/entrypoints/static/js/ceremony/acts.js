// What the signing pages share: the ceremony of the district's own draws (ceremony.js) and
// this bureau's side of a neighbour's joint draw (joint.js). Reading what is signed, signing
// with a key held in this browser, the share made here (stored before its commitment leaves)
// and opened at its reveal, and the page following the draw as others act.

import * as p from "./protocol.js";
import * as store from "./keystore.js";
import { unsupported } from "./ui.js";

const POLL_MS = 4000;

export async function fetchJson(url) {
  const response = await fetch(url, {
    headers: { Accept: "application/json" },
    credentials: "same-origin",
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.detail || `无法读取抽取（HTTP ${response.status}）`);
  return body;
}

export async function signWith(key, message) {
  try {
    return await p.sign(key.privateKey, message);
  } catch (error) {
    throw unsupported(error);
  }
}

export function fill(form, values) {
  for (const [name, value] of Object.entries(values)) form.elements[name].value = value;
}

// The key ``keyId`` of this person (``holder`` in ``district``'s log), held in this browser.
export async function heldKey(district, holder, keyId) {
  const key = (await store.keysOf(district, holder)).find((k) => k.key_id === keyId);
  if (!key) throw new Error(`本浏览器没有密钥 ${keyId}：须用提交承诺时的同一浏览器和密钥`);
  return key;
}

// The share ``party`` commits to in ``draw`` with key ``keyId``: the one this browser kept
// for it, or a new one, stored before its commitment leaves this browser.
export async function keptShare(draw, digest, keyId, party) {
  const kept = await store.getShare(draw.draw_id, keyId);
  if (kept) {
    if (kept.manifest_sha256 !== draw.manifest_sha256) {
      throw new Error("本浏览器为此密钥保存的份额针对另一份清单，不再提交");
    }
    return kept;
  }
  const share = crypto.getRandomValues(new Uint8Array(p.SHARE_BYTES));
  const commitment = await p.shareCommitment(digest, draw.draw_id, party, share);
  const made = {
    draw_id: draw.draw_id,
    key_id: keyId,
    party,
    manifest_sha256: draw.manifest_sha256,
    commitment: p.toHex(commitment),
    share,
  };
  await store.putShare(made);
  return made;
}

// The share this browser kept for ``party``, checked to open the commitment the server
// recorded for it (``recorded``): a share is shown only for the commitment it was made for.
export async function openedShare(draw, digest, keyId, party, recorded) {
  const kept = await store.getShare(draw.draw_id, keyId);
  if (!kept) {
    throw new Error("本浏览器没有本方的种子份额：份额只保存在提交承诺的那个浏览器中");
  }
  if (kept.manifest_sha256 !== draw.manifest_sha256) throw new Error("清单已变，不揭示份额");
  const opens = p.toHex(await p.shareCommitment(digest, draw.draw_id, party, kept.share));
  if (kept.commitment !== recorded || opens !== recorded) {
    throw new Error(`服务器记录的「${party}」承诺与本浏览器保存的不同，不揭示份额`);
  }
  return kept.share;
}

// Live: the page follows the draw (other people's acts, and the other district's) unless
// the person is filling a form here, in which case it only says that there is something new.
// Once the person leaves the page (a link, a form sent, another address) a reload would cancel
// where they are going: the page stops following.
export function follow(root) {
  let dirty = false;
  let leaving = false;
  document.addEventListener("input", () => {
    dirty = true;
  });
  for (const type of ["beforeunload", "pagehide"]) {
    window.addEventListener(type, () => {
      leaving = true;
    }, true);
  }
  async function poll() {
    if (leaving || document.hidden || document.querySelector("form[data-sign] button:disabled")) {
      return;
    }
    const response = await fetch(root.dataset.versionUrl, { credentials: "same-origin" });
    if (!response.ok) return;
    const { version } = await response.json();
    if (version === root.dataset.version || leaving) return;
    if (!dirty) {
      window.location.reload();
      return;
    }
    document.querySelector("[data-news]").hidden = false;
  }
  setInterval(() => poll().catch(() => {}), POLL_MS);
}
