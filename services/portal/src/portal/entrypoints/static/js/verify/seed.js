// The commitments opened by the reveals, the seed, the result's digest and the
// draw key the tickets are hashed with.

import { concat, hex } from "./bytes.js";
import { sha256 } from "./sha256.js";
import { canonical } from "./canonical.js";
import { Difference } from "./errors.js";
import { expect } from "./python.js";
import { lp, lps, u8, unhex } from "./fields.js";
import { ALGORITHM_SIGNED, USCC_LEN } from "./constants.js";

export function checkCommitments(ctx) {
  const { body, m, manifestSha } = ctx;
  const parties = m.parties;
  expect(body.commitments.map((x) => x.party), parties, "承诺的各方");
  expect(body.reveals.map((x) => x.party), parties, "揭示的各方");
  const shares = [];
  body.commitments.forEach((com, n) => {
    const rev = body.reveals[n];
    const share = unhex(rev.share, 32, `${rev.party} 的份额`);
    const tag = m.algorithm === ALGORITHM_SIGNED
      ? concat(lps("spotcheck/share/v3"), lp(manifestSha)) // §14.3: binds the manifest
      : lps("spotcheck/share/v1");
    const want = sha256(concat(tag, lps(m.draw_id), lps(rev.party), lp(share)));
    expect(com.commitment, hex(want), `${com.party} 的承诺`);
    shares.push(share);
  });
  ctx.shares = shares;
  return `${parties.length} 方（${parties.join("、")}）揭示的份额均能打开其事先公布的承诺`;
}

export function checkSeed(ctx) {
  const { body, m, manifestSha, shares, rec } = ctx;
  let beacon = null;
  if (m.beacon === null) {
    expect(body.beacon_value, null, "beacon_value（清单未指定信标）");
  } else {
    beacon = unhex(body.beacon_value, null, "beacon_value");
    if (beacon.length < 1 || beacon.length > 64) throw new Difference("beacon_value 须为 1..64 字节");
  }
  const seed = sha256(concat(
    lps("spotcheck/seed/v1"), lp(manifestSha), u8(shares.length), ...shares.map(lp),
    beacon === null ? [0] : concat([1], lp(beacon)),
  ));
  rec.seed = hex(seed);
  expect(body.seed, rec.seed, "种子（seed）");
  expect(body.result.seed, rec.seed, "result.seed");
  rec.result_sha256 = hex(sha256(canonical(body.result)));
  expect(body.result_sha256, rec.result_sha256, "result_sha256（结果摘要）");
  ctx.key = sha256(concat(lps("spotcheck/draw-key/v1"), lp(seed), lps(m.draw_id)));
  ctx.prefix = concat([1], ctx.key, [USCC_LEN]);
  return `种子 ${rec.seed}${beacon ? "（含外部信标值）" : ""} 与结果摘要 ${rec.result_sha256} 均可重算`;
}
