// /console/draws/{draw_id}: the person's acts of the signed ceremony (docs/draw-spec.md §14),
// signed in this browser with a key made in it. Each act fetches the draw, checks what it
// signs (the manifest's digest, the result's digest) as spotcheck-ceremony does, fills the
// form's hidden fields and sends the form: the portal forwards it to the draws service. The
// share is made here and kept here until its reveal; the server sees it only then. A direct
// assignment (第六条, §15.3) is read from the page's choices, checked, signed and sent as
// signed (the hidden ``assignment`` field: the portal forwards exactly those bytes' value).

import { assignmentOf, problemOf } from "./assignment.js";
import * as p from "./protocol.js";
import * as store from "./keystore.js";
import {
  fetchJson,
  fill,
  follow,
  heldKey,
  keptShare,
  openedShare,
  signWith,
} from "./acts.js";
import { beforeSubmit } from "./ui.js";

const root = document.querySelector("[data-ceremony]");
const { district, holder, stateUrl } = root.dataset;

function fetchState(withResult = false) {
  return fetchJson(stateUrl + (withResult ? "?result=1" : ""));
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

async function commit(form) {
  const party = form.dataset.party;
  const { draw, ...state } = await fetchState();
  if (draw.status !== "frozen") throw new Error("抽取已不在承诺阶段");
  const digest = await p.checkedManifest(draw, district);
  if (!draw.manifest.parties.includes(party)) throw new Error(`「${party}」不是本次抽取的参与方`);
  const key = await keyFor(state, party);
  const kept = await keptShare(draw, digest, key.key_id, party);
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
  const share = await openedShare(draw, digest, mine.key_id, party, mine.commitment);
  const key = await heldKey(district, holder, mine.key_id);
  fill(form, {
    share: p.toHex(share),
    key_id: key.key_id,
    signature: await signWith(key, p.revealMessage(digest, party, share)),
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

// The picks of each drawn target's row, in the page's order.
function picked(form) {
  const values = (row, slot) =>
    Array.from(row.querySelectorAll(`select[data-slot=${slot}]`), (s) => s.value);
  return Array.from(form.querySelectorAll("tr[data-target]"), (row) => ({
    uscc: row.dataset.target,
    leader: values(row, "leader")[0] || "",
    members: values(row, "member"),
    experts: values(row, "expert"),
  }));
}

// Who the page's lists offer for a slot: the frozen roster's pool, the task's experts.
function offered(form, slot) {
  const options = form.querySelectorAll(`select[data-slot=${slot}] option`);
  return new Set(Array.from(options, (o) => o.value).filter(Boolean));
}

async function assign(form) {
  const { draw, ...state } = await fetchState();
  if (draw.status !== "assigning") throw new Error("抽取不在待委派检查组的状态");
  const digest = await p.checkedManifest(draw, district);
  if (!draw.manifest.matching) throw new Error("清单未声明直接委派，不能委派检查组");
  const experts = Boolean(draw.manifest.experts);
  const assignment = assignmentOf(picked(form), experts);
  const problem = problemOf(assignment, {
    targets: (draw.targets || []).map((t) => t.uscc),
    size: draw.manifest.team.size,
    leaders: offered(form, "leader"),
    members: offered(form, "member"),
    pairs: draw.manifest.pair_conflicts || [],
    perTarget: experts ? draw.manifest.experts.per_target : 0,
    experts: experts ? offered(form, "expert") : null,
  });
  if (problem) throw new Error(problem);
  const key = await keyFor(state, p.CREDIT_PARTY);
  fill(form, {
    assignment: JSON.stringify(assignment),
    key_id: key.key_id,
    signature: await signWith(key, await p.assignMessage(digest, assignment)),
  });
}

const ACTS = {
  commit,
  reveal,
  countersign,
  cancel,
  assign,
  "countersign-replacement": countersignReplacement,
};

for (const form of document.querySelectorAll("form[data-sign]")) {
  beforeSubmit(form, ACTS[form.dataset.sign]);
}

follow(root);
