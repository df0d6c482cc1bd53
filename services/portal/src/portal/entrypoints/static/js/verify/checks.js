// The checks of a verification, named in Chinese as the public site shows them.

import { Difference, Malformed } from "./errors.js";

export const CHECK_NAMES = {
  bundle: "数据包完整（body_sha256、规范 JSON、规范 base64）",
  manifest: "算法版本与清单摘要一致",
  population: "总体 Merkle 根与清单一致",
  roster: "检查人员名录 Merkle 根与清单一致",
  expert_roster: "专家名录 Merkle 根与清单一致",
  commitments: "种子承诺与揭示一致",
  seed: "种子与结果摘要可重算",
  selection: "抽取结果可由种子重算",
  targets: "检查对象的顺序、分层与签号一致",
  matching: "检查组（及专家）匹配可重算",
  constraints: "检查组满足硬性约束",
  replacements: "人员替换按规则重算",
  countersign: "办公室会签针对本结果",
  log: "抽取日志记录完整且与数据包一致",
  keys: "当事方密钥已登记、有效且自签名正确",
  signatures: "各项签名有效、揭示未超过截止时间",
  full_log: "完整抽取日志链与数据包一致",
  prior: "年度检查次数可由往期抽取重算",
  proof: "证明可通向总体 Merkle 根",
  proof_manifest: "证明与清单一致",
};

/** The checks of one run, each named; the first difference stops the run. */
export class Run {
  constructor(onProgress) {
    this.checks = [];
    this.onProgress = onProgress;
  }

  /** Starts check `id`; `detail` (Chinese) is what it found when it passes. */
  begin(id) {
    const check = { id, name: CHECK_NAMES[id], ok: false, detail_zh: "" };
    this.checks.push(check);
    this.progress(id, 0);
    return check;
  }

  async step(id, fn) {
    const check = this.begin(id);
    await new Promise((resolve) => setTimeout(resolve, 0)); // lets a worker post progress
    const detail = await fn();
    check.ok = true;
    check.detail_zh = detail;
    return detail;
  }

  progress(id, fraction) {
    if (this.onProgress) this.onProgress({ check: id, name: CHECK_NAMES[id], fraction });
  }

  /** The failure: the running check names it. */
  fail(error) {
    const message =
      error instanceof Difference
        ? error.message
        : `数据包结构不完整或类型不符（${error instanceof Malformed ? error.message : `${error.name}: ${error.message}`}）`;
    let check = this.checks[this.checks.length - 1];
    if (!check || check.ok) check = this.begin("bundle");
    check.detail_zh = message;
    return message;
  }
}
