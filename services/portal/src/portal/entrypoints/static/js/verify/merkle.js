// Merkle trees (§4): the leaves of the population's chunks and of the rosters' records,
// roots, and roots from audit paths.

import { concat } from "./bytes.js";
import { sha256 } from "./sha256.js";
import { Difference } from "./errors.js";
import { pyInt } from "./python.js";
import { lps, u16, u32, u8, unhex } from "./fields.js";
import { USCC_LEN } from "./constants.js";

export function merkleRoot(leaves) {
  if (!leaves.length) return sha256(new Uint8Array(0));
  let level = leaves;
  const node = new Uint8Array(65);
  node[0] = 1;
  while (level.length > 1) {
    const next = [];
    for (let i = 0; i + 1 < level.length; i += 2) {
      node.set(level[i], 1);
      node.set(level[i + 1], 33);
      next.push(sha256(node));
    }
    if (level.length % 2) next.push(level[level.length - 1]);
    level = next;
  }
  return level[0];
}

export function pathRoot(leaf, index, size, path) {
  let node = leaf;
  let width = size;
  const steps = [...path];
  while (width > 1) {
    if (index % 2 === 1) {
      if (!steps.length) throw new Difference("证明路径过短");
      node = sha256(concat([1], steps.shift(), node));
    } else if (index + 1 < width) {
      if (!steps.length) throw new Difference("证明路径过短");
      node = sha256(concat([1], node, steps.shift()));
    }
    index = Math.floor(index / 2);
    width = Math.floor((width + 1) / 2);
  }
  if (steps.length) throw new Difference("证明路径过长");
  return node;
}

/** 0x00 ‖ a chunk's leaf data (§4.2), in /3 followed by its rows of each attribute block
 * (§14.13): the bytes whose hash is the chunk's leaf. */
export function chunkData(u, s, st, c, a, b, attrs) {
  const m = b - a;
  const n = s.length;
  const data = new Uint8Array(1 + 4 + 21 * m + (attrs.length ? 6 * m : 0));
  let at = 0;
  data[at++] = 0;
  data.set(u32(m), at);
  at += 4;
  data.set(u.subarray(USCC_LEN * a, USCC_LEN * b), at);
  at += USCC_LEN * m;
  for (const col of [s, st, c]) {
    data.set(col.subarray(a, b), at);
    at += m;
  }
  for (let k = 0; attrs.length && k < 3; k++) {
    data.set(attrs.subarray(2 * (k * n + a), 2 * (k * n + b)), at);
    at += 2 * m;
  }
  return data;
}

export function rosterRecord(r) {
  return concat(
    lps(r.inspector_id),
    lps(r.name),
    lps(r.department),
    lps(r.district),
    u8(pyInt(r.leader_qualified)),
    lps(r.certificate_expires_on),
    u8(pyInt(r.active)),
    u8(r.qualifications.length),
    ...r.qualifications.map(lps),
    u16(r.recusals.length),
    ...r.recusals.map((x) => unhex(x, 32, "回避承诺")),
  );
}

export function expertRecord(r) {
  return concat(
    lps(r.expert_id),
    lps(r.name),
    lps(r.field),
    lps(r.organization),
    u8(pyInt(r.active)),
    u16(r.recusals.length),
    ...r.recusals.map((x) => unhex(x, 32, "专家回避承诺")),
  );
}

export const leafOf = (record) => sha256(concat([0], record));
