// An entity's proof (§4.3, §4.4): that it is in a draw's population, or that it is not.

import { cmpBytes, hex, sameBytes } from "./bytes.js";
import { sha256 } from "./sha256.js";
import { canonical } from "./canonical.js";
import { Difference, short } from "./errors.js";
import { ceilDiv, expect, get, has, isDict, pyEq, pyIn, pyInt, strict, truthy } from "./python.js";
import { ascii, asciiBytes, b64, unhex } from "./fields.js";
import { NONPROOF_FORMAT, PROOF_FORMAT, STATUS_ZH, STATUSES, USCC_LEN } from "./constants.js";
import { Run } from "./checks.js";
import { chunkData, pathRoot } from "./merkle.js";
import { jsonOf } from "./bundle.js";

/**
 * One entity's proof (GET /public/draws/{draw_id}/proof/{uscc}): that it is in the draw's
 * population (§4.3) or that it is not (§4.4), against the root it names; then, given the
 * manifest (an object or its JSON bytes; a bundle will do) or its population root (a hex
 * string), that this root and chunk count are the draw's.
 */
export async function verifyProof(proof, manifestOrRoot) {
  const run = new Run(null);
  const out = { ok: false, included: null, checks: run.checks };
  try {
    const p = strict(jsonOf(proof, "证明"));
    await run.step("proof", () => {
      if (!isDict(p)) throw new Difference("证明不是 JSON 对象");
      if (pyEq(get(p, "format"), NONPROOF_FORMAT)) {
        out.included = false;
        return verifyAbsence(p);
      }
      out.included = true;
      return verifyInclusion(p);
    });
    out.summary_zh = run.checks[0].detail_zh;
    if (manifestOrRoot !== undefined && manifestOrRoot !== null) {
      const against = typeof manifestOrRoot === "string" ? manifestOrRoot : strict(jsonOf(manifestOrRoot, "清单"));
      await run.step("proof_manifest", () => compareManifest(p, against));
    }
    out.ok = true;
  } catch (error) {
    out.error_zh = run.fail(error);
  }
  return out;
}

function compareManifest(p, against) {
  if (typeof against === "string") {
    expect(p.population_root, against, "population_root（与给出的总体根比对）");
    return `证明所用的总体根与给出的根 ${against} 一致`;
  }
  // a manifest, a bundle body or a whole bundle
  const body = has(against, "body") ? against.body : against;
  const m = has(body, "manifest") ? body.manifest : body;
  const digest = hex(sha256(canonical(m)));
  expect(p.manifest_sha256, digest, "manifest_sha256（证明所指清单）");
  expect(p.draw_id, m.draw_id, "draw_id");
  expect(p.population_root, m.population.merkle_root, "population_root（与清单的 population.merkle_root 比对）");
  const chunks = ceilDiv(pyInt(m.population.size), pyInt(m.population.chunk_size));
  expect(p.chunk_count, chunks, "chunk_count（与 ⌈population.size / chunk_size⌉ 比对）");
  return `证明所用的总体根、分块数（${chunks}）与清单 ${digest} 一致`;
}

function count(value, what) {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0) {
    throw new Difference(`${what}：不是非负整数：${short(value)}`);
  }
  return value;
}

function proofChunk(ch, what) {
  const u = b64(ch.uscc, `${what}uscc`);
  const s = b64(ch.stratum, `${what}stratum`);
  const st = b64(ch.status, `${what}status`);
  const c = b64(ch.checks, `${what}checks`);
  const attrs = b64(truthy(get(ch, "attributes")) ? ch.attributes : "", `${what}attributes`); // /3
  return [u, s, st, c, attrs];
}

function verifyInclusion(p) {
  expect(p.format, PROOF_FORMAT, "format");
  if (get(p, "included", true) !== true) {
    throw new Difference(`included：${PROOF_FORMAT} 证明应为 true，而非 ${short(p.included)}`);
  }
  const [u, s, st, c, attrs] = proofChunk(p.chunk, "chunk.");
  const k = s.length;
  if (u.length !== USCC_LEN * k || st.length !== k || c.length !== k || (attrs.length !== 0 && attrs.length !== 6 * k)) {
    throw new Difference("分块各列长度不一致");
  }
  const codes = Array.from({ length: k }, (_, i) => ascii(u.subarray(USCC_LEN * i, USCC_LEN * (i + 1))));
  if (!pyIn(p.uscc, codes)) throw new Difference(`${p.uscc} 不在该分块中`);
  const index = count(p.chunk_index, "chunk_index");
  const total = count(p.chunk_count, "chunk_count");
  if (index >= total) throw new Difference(`chunk_index ${index}：共只有 ${total} 个分块（chunk_count）`);
  const leaf = sha256(chunkData(u, s, st, c, 0, k, attrs));
  const path = p.path.map((x) => unhex(x, 32, "path"));
  const root = hex(pathRoot(leaf, index, total, path));
  expect(root, p.population_root, "总体 Merkle 根");
  const i = codes.indexOf(p.uscc);
  const status = st[i] < STATUSES.length ? STATUS_ZH[st[i]] : `状态码 ${st[i]}`;
  return `${p.uscc} 在抽取 ${p.draw_id} 的总体之中（分层索引 ${s[i]}，${status}，本年度已被抽查 ${c[i]} 次）；` +
    compareNote(root, total);
}

function compareNote(root, total) {
  return `总体根 ${root}，共 ${total} 个分块：请与清单的 population.merkle_root 及 ⌈population.size / chunk_size⌉ 比对`;
}

/** The codes of one chunk of a non-inclusion proof, its leaf led by its path to `root`. */
function provedChunk(entry, index, total, root) {
  const what = `chunks：第 ${index} 块`;
  if (!pyEq(entry.chunk_index, index) || typeof entry.chunk_index === "boolean") {
    throw new Difference(`chunks：chunk_index 为 ${short(entry.chunk_index)}，应为 ${index}`);
  }
  if (!(index >= 0 && index < total)) throw new Difference(`${what}：共只有 ${total} 个分块（chunk_count）`);
  const [u, s, st, c, attrs] = proofChunk(entry.chunk, `${what}：`);
  const m = s.length;
  if (m === 0 || u.length !== USCC_LEN * m || st.length !== m || c.length !== m) {
    throw new Difference(`${what}：各列为空或长度不一致`);
  }
  if (attrs.length !== 0 && attrs.length !== 6 * m) throw new Difference(`${what}：attributes 长度不符`);
  const codes = Array.from({ length: m }, (_, i) => u.subarray(USCC_LEN * i, USCC_LEN * (i + 1)));
  for (let i = 1; i < m; i++) {
    if (cmpBytes(codes[i - 1], codes[i]) >= 0) throw new Difference(`${what}：第 ${i} 行起统一社会信用代码未严格升序`);
  }
  const path = entry.path.map((x) => unhex(x, 32, `${what}：path`));
  const node = pathRoot(sha256(chunkData(u, s, st, c, 0, m, attrs)), index, total, path);
  if (!sameBytes(node, root)) throw new Difference(`${what}：其各列与审计路径得出 ${hex(node)}，不是总体根`);
  return codes;
}

/** §4.4: adjacent codes (or the first, or the last) that leave no room for the USCC. */
function verifyAbsence(p) {
  if (p.included !== false) throw new Difference(`included：${NONPROOF_FORMAT} 证明应为 false`);
  const uscc = p.uscc;
  if (typeof uscc !== "string" || uscc.length !== USCC_LEN || !/^[\x00-\x7f]*$/.test(uscc)) {
    throw new Difference(`uscc：不是 ${USCC_LEN} 个 ASCII 字符：${short(uscc)}`);
  }
  const code = asciiBytes(uscc);
  const draw = p.draw_id;
  const root = unhex(p.population_root, 32, "population_root");
  const total = count(p.chunk_count, "chunk_count");
  const chunks = p.chunks;
  if (!Array.isArray(chunks) || chunks.length > 2) throw new Difference("chunks：不在总体中的证明最多给出两个分块");
  const said = `${uscc} 不在抽取 ${draw} 的总体之中`;
  let where;
  if (!chunks.length) {
    if (total !== 0) throw new Difference(`未给出分块，但 chunk_count 为 ${total}：证明不完整`);
    if (!sameBytes(root, sha256(new Uint8Array(0)))) throw new Difference("未给出分块，但根不是空总体的根");
    where = "总体为空（0 个分块，根为空串的 SHA-256）";
  } else if (chunks.length === 2) {
    const j = count(chunks[0].chunk_index, "chunks：chunk_index");
    const before = provedChunk(chunks[0], j, total, root).at(-1);
    const after = provedChunk(chunks[1], j + 1, total, root)[0];
    if (!(cmpBytes(before, code) < 0 && cmpBytes(code, after) < 0)) {
      throw new Difference(`${uscc} 不在第 ${j} 块的最后一个代码 ${ascii(before)} 与第 ${j + 1} 块的第一个代码 ${ascii(after)} 之间`);
    }
    where = `它应位于第 ${j} 块的最后一个代码 ${ascii(before)} 与第 ${j + 1} 块的第一个代码 ${ascii(after)} 之间（共 ${total} 块），而两者相邻`;
  } else {
    const j = count(chunks[0].chunk_index, "chunks：chunk_index");
    where = within(code, provedChunk(chunks[0], j, total, root), j, total);
  }
  return `${said}：${where}；${compareNote(hex(root), total)}`;
}

function within(code, codes, j, total) {
  const uscc = ascii(code);
  if (codes.some((c) => sameBytes(c, code))) throw new Difference(`${uscc} 在第 ${j} 块中：证明表明它在总体之中，而非不在`);
  if (cmpBytes(code, codes[0]) < 0) {
    if (j !== 0) throw new Difference(`${uscc} 排在第 ${j} 块之前，但该块不是第一块`);
    return `它排在总体的第一个代码 ${ascii(codes[0])} 之前`;
  }
  if (cmpBytes(code, codes.at(-1)) > 0) {
    if (j !== total - 1) throw new Difference(`${uscc} 排在第 ${j} 块之后，但该块不是最后一块`);
    return `它排在总体的最后一个代码 ${ascii(codes.at(-1))} 之后`;
  }
  const i = codes.findIndex((c, n) => n > 0 && cmpBytes(code, c) < 0);
  return `它应位于第 ${j} 块（共 ${total} 块）中相邻的代码 ${ascii(codes[i - 1])} 与 ${ascii(codes[i])} 之间`;
}
