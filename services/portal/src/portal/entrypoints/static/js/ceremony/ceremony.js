// /console/draws/{draw_id}: the person's acts of the signed ceremony (docs/draw-spec.md §14),
// signed in this browser with a key made in it. Each act fetches the draw, checks what it
// signs (the manifest's digest, the result's digest) as spotcheck-ceremony does, fills the
// form's hidden fields and sends the form: the portal forwards it to the draws service. The
// share is made here and kept here until its reveal; the server sees it only then.

import * as p from "./protocol.js";
import * as store from "./keystore.js";
import { beforeSubmit, unsupported } from "./ui.js";

const root = document.querySelector("[data-ceremony]");
const { drawId, district, holder, stateUrl, versionUrl } = root.dataset;
const POLL_MS = 4000;

async function fetchState(withResult = false) {
  const response = await fetch(stateUrl + (withResult ? "?result=1" : ""), {
    headers: { Accept: "application/json" },
    credentials: "same-origin",
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.detail || `无法读取抽取（HTTP ${response.status}）`);
  return body;
}

// A key of the signed-in person for ``party``: registered, not revoked, and held here.
async function keyFor(state, party) {
  const registered = new Set(state.keys.filter((k) => k.party === party).map((k) => k.key_id));
  const held = (await store.keysOf(district, holder)).filter((k) => registered.has(k.key_id));
  if (!held.length) {
    throw new Error(
      `本浏览器没有「${party}」的有效登记密钥：请先到「参与方密钥」页面在本浏览器生成并登记`,
    );
  }
  return held.sort((a, b) => (a.valid_until < b.valid_until ? 1 : -1))[0];
}

async function heldKey(keyId) {
  const key = (await store.keysOf(district, holder)).find((k) => k.key_id === keyId);
  if (!key) throw new Error(`本浏览器没有密钥 ${keyId}：须用提交承诺时的同一浏览器和密钥`);
  return key;
}

async function signWith(key, message) {
  try {
    return await p.sign(key.privateKey, message);
  } catch (error) {
    throw unsupported(error);
  }
}

function fill(form, values) {
  for (const [name, value] of Object.entries(values)) form.elements[name].value = value;
}

async function commit(form) {
  const party = form.dataset.party;
  const { draw, ...state } = await fetchState();
  if (draw.status !== "frozen") throw new Error("抽取已不在承诺阶段");
  const digest = await p.checkedManifest(draw, district);
  if (!draw.manifest.parties.includes(party)) throw new Error(`「${party}」不是本次抽取的参与方`);
  const key = await keyFor(state, party);
  let kept = await store.getShare(drawId, key.key_id);
  if (kept && kept.manifest_sha256 !== draw.manifest_sha256) {
    throw new Error("本浏览器为此密钥保存的份额针对另一份清单，不再提交");
  }
  if (!kept) {
    // The share exists only here, stored before its commitment leaves this browser.
    const share = crypto.getRandomValues(new Uint8Array(p.SHARE_BYTES));
    const commitment = await p.shareCommitment(digest, drawId, party, share);
    kept = {
      draw_id: drawId,
      key_id: key.key_id,
      party,
      manifest_sha256: draw.manifest_sha256,
      commitment: p.toHex(commitment),
      share,
    };
    await store.putShare(kept);
  }
  const commitment = p.fromHex(kept.commitment, 32, "承诺值");
  fill(form, {
    commitment: kept.commitment,
    key_id: key.key_id,
    signature: await signWith(key, p.commitMessage(digest, party, commitment)),
  });
}

async function reveal(form) {
  const party = form.dataset.party;
  const { draw } = await fetchState();
  const digest = await p.checkedManifest(draw, district);
  const missing = draw.manifest.parties.filter((x) => !draw.commitments.some((c) => c.party === x));
  if (missing.length) throw new Error(`尚有参与方未提交承诺：${missing.join("、")}；承诺齐后才能揭示`);
  const mine = draw.commitments.find((c) => c.party === party);
  const kept = await store.getShare(drawId, mine.key_id);
  if (!kept) {
    throw new Error("本浏览器没有本方的种子份额：份额只保存在提交承诺的那个浏览器中");
  }
  if (kept.manifest_sha256 !== draw.manifest_sha256) throw new Error("清单已变，不揭示份额");
  const opens = p.toHex(await p.shareCommitment(digest, drawId, party, kept.share));
  if (kept.commitment !== mine.commitment || opens !== mine.commitment) {
    throw new Error(`服务器记录的「${party}」承诺与本浏览器保存的不同，不揭示份额`);
  }
  const key = await heldKey(mine.key_id);
  fill(form, {
    share: p.toHex(kept.share),
    key_id: key.key_id,
    signature: await signWith(key, p.revealMessage(digest, party, kept.share)),
  });
}

async function countersign(form) {
  const { draw, result, ...state } = await fetchState(true);
  if (draw.status !== "drawn") throw new Error("抽取不在待会签状态");
  const digest = await p.checkedManifest(draw, district);
  const resultDigest = await p.checkedResult(result, draw.result_sha256);
  const acknowledged = form.elements.acknowledge_unstaffed;
  if (result.unstaffed.length && !(acknowledged && acknowledged.checked)) {
    throw new Error(`有 ${result.unstaffed.length} 户未配齐检查人员：核实后勾选「已知悉」再会签`);
  }
  const key = await keyFor(state, p.OFFICE_PARTY);
  fill(form, {
    key_id: key.key_id,
    signature: await signWith(key, p.countersignMessage(digest, resultDigest)),
  });
}

async function cancel(form) {
  const reason = form.elements.reason.value.trim();
  if (!reason) throw new Error("请填写作废理由");
  const { draw, ...state } = await fetchState();
  const digest = await p.checkedManifest(draw, district);
  const party = draw.manifest.parties.find((x) => state.keys.some((k) => k.party === x));
  if (!party) throw new Error("您没有本次抽取参与方的登记密钥，不能签名作废");
  const key = await keyFor(state, party);
  fill(form, {
    reason,
    key_id: key.key_id,
    signature: await signWith(key, await p.cancelMessage(digest, reason)),
  });
}

async function countersignReplacement(form) {
  const { draw, ...state } = await fetchState();
  const digest = await p.checkedManifest(draw, district);
  const approval = (draw.replacement_approvals || []).find(
    (a) => a.approval_id === form.dataset.approval && a.pending,
  );
  if (!approval) throw new Error("没有待会签的这项调换");
  const r = approval.pending;
  const key = await keyFor(state, p.OFFICE_PARTY);
  const message = p.replacementMessage(digest, r.uscc, r.replaced, r.replacement, r.approval_ref);
  fill(form, { key_id: key.key_id, signature: await signWith(key, message) });
}

const ACTS = { commit, reveal, countersign, cancel, "countersign-replacement": countersignReplacement };

for (const form of document.querySelectorAll("form[data-sign]")) {
  beforeSubmit(form, ACTS[form.dataset.sign]);
}

// Live: the page follows the ceremony (other people's acts) unless the person is filling a
// form here, in which case it only says that there is something new.
let dirty = false;
document.addEventListener("input", () => {
  dirty = true;
});

// Once the person leaves the page (a link, a form sent, another address) a reload would
// cancel where they are going: the page stops following.
let leaving = false;
for (const type of ["beforeunload", "pagehide"]) {
  window.addEventListener(type, () => {
    leaving = true;
  }, true);
}

async function poll() {
  if (leaving || document.hidden || document.querySelector("form[data-sign] button:disabled")) {
    return;
  }
  const response = await fetch(versionUrl, { credentials: "same-origin" });
  if (!response.ok) return;
  const { version } = await response.json();
  if (version === root.dataset.version || leaving) return;
  if (!dirty) {
    window.location.reload();
    return;
  }
  const news = document.querySelector("[data-news]");
  news.hidden = false;
}

setInterval(() => poll().catch(() => {}), POLL_MS);
