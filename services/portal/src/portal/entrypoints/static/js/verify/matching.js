// The replay of the matching rule (§8, §14.5, §14.11): the pool, the inspectors' and the
// experts' heaps, and the recusal disclosures it opens.

import { concat, hex } from "./bytes.js";
import { sha256 } from "./sha256.js";
import { Difference, short } from "./errors.js";
import { ceilDiv, cmpStr, num, pyEq, pyIn, pyInt, truthy } from "./python.js";
import { lp, lps, strictUtf8, u32, unhex } from "./fields.js";
import { QUALIFY_ALL } from "./constants.js";
import { cmpTuple, Heap } from "./heap.js";

function qualified(quals, items) {
  if (pyIn(QUALIFY_ALL, quals)) return true;
  return items.every((i) => pyIn(i.code, quals) || pyIn(i.name, quals));
}

function tierOf(r, m) {
  for (const pool of m.pools) {
    if (pyEq(r.district, pool.district) && pyIn(r.department, pool.departments)) {
      if (num(pool.tier) > 0 && !pyEq(m.neighbour_rule, "fill-when-short")) return null;
      return pyInt(pool.tier);
    }
  }
  return null;
}

export const EXCLUDED_ZH = {
  pools: "不在清单的人员库中",
  inactive: "不在岗",
  certificate: "执法证在抽取日已过期",
  qualified: "不具备本任务检查事项的资格",
};

/** Why a roster entry is not in the pool (a key of EXCLUDED_ZH), or null. */
export function excluded(r, m) {
  if (tierOf(r, m) === null) return "pools";
  if (!truthy(r.active)) return "inactive";
  if (cmpStr(r.certificate_expires_on, m.draw_date) < 0) return "certificate";
  if (!qualified(r.qualifications, m.check_items)) return "qualified";
  return null;
}

/**
 * Replays the matching rule (§8) with the disclosed recusals as oracle; heaps of candidate
 * keys per leader qualification, as the reference does. `perRole` (/3, §14.5): a
 * leader-qualified inspector's own cap is C_L = max(C, ⌈T / L⌉ + 1).
 */
export class Matching {
  constructor(key, m, roster, targets, recused, perRole) {
    this.key = key;
    this.pool = new Map();
    for (const r of roster) if (excluded(r, m) === null) this.pool.set(r.inspector_id, r);
    this.tier = new Map([...this.pool].map(([i, r]) => [i, tierOf(r, m)]));
    this.size = pyInt(m.team.size);
    this.cap = this.pool.size ? ceilDiv(this.size * targets, this.pool.size) + 1 : 0;
    let leaders = 0;
    for (const r of this.pool.values()) if (truthy(r.leader_qualified)) leaders++;
    this.leaderCap = this.cap;
    if (perRole && leaders) this.leaderCap = Math.max(this.cap, ceilDiv(targets, leaders) + 1);
    this.capOf = new Map();
    for (const [i, r] of this.pool) {
      this.capOf.set(i, truthy(r.leader_qualified) ? this.leaderCap : this.cap);
    }
    this.short = new Map(); // why a target is unstaffed (§14.5)
    this.load = new Map([...this.pool.keys()].map((i) => [i, 0]));
    this.recused = recused;
    // /3 (§14.11): the replaced targets, how many alternates, the recusals their
    // disclosures open, and the alternates found
    this.peek = new Set();
    this.peekCount = 0;
    this.peekRecused = new Set();
    this.alternates = new Map();
    this.used = new Set();
    this.met = []; // [uscc, id] recusals met, in the order met
    this.conflict = new Map();
    for (const [a, b] of m.pair_conflicts) {
      if (!this.conflict.has(a)) this.conflict.set(a, new Set());
      if (!this.conflict.has(b)) this.conflict.set(b, new Set());
      this.conflict.get(a).add(b);
      this.conflict.get(b).add(a);
    }
    this.heaps = { true: new Heap(), false: new Heap() };
    for (const i of [...this.pool.keys()].sort(cmpStr)) this.push(i);
  }

  ticket(i, load) {
    return sha256(concat([2], this.key, lps(i), u32(load)));
  }

  push(i) {
    const load = this.load.get(i);
    if (load < this.capOf.get(i)) {
      const lq = truthy(this.pool.get(i).leader_qualified);
      this.heaps[lq].push([this.tier.get(i), load, this.ticket(i, load), strictUtf8(i), i]);
    }
  }

  blocked(i, team) {
    const mine = this.conflict.get(i);
    return team.includes(i) || (mine !== undefined && team.some((t) => mine.has(t)));
  }

  /** Drops stale and capped heap tops; `skip(id)` tops go aside. Returns the heap's top. */
  clean(lq, skip, aside) {
    const heap = this.heaps[lq];
    while (heap.size) {
      const e = heap.top();
      if (e[1] !== this.load.get(e[4]) || e[1] >= this.capOf.get(e[4])) heap.pop();
      else if (skip(e[4])) aside.push([lq, heap.pop()]);
      else return e;
    }
    return null;
  }

  /** The best candidate of the step by its key; undefined when there is none. */
  best(leader, skip, aside) {
    let best = null;
    for (const lq of leader ? [true] : [true, false]) {
      const e = this.clean(lq, skip, aside);
      if (e) {
        const rank = [e[0], e[1], leader ? 0 : +lq, e[2], e[3]];
        if (best === null || cmpTuple(rank, best[0]) < 0) best = [rank, lq];
      }
    }
    if (best === null) return undefined;
    const e = this.heaps[best[1]].pop();
    aside.push([best[1], e]);
    return e[4];
  }

  choose(uscc, team, leader, aside) {
    for (;;) {
      const i = this.best(leader, (x) => this.blocked(x, team), aside);
      if (i === undefined) return null;
      if (!this.recused.has(pair(uscc, i))) return i;
      this.meet(uscc, i);
    }
  }

  /** A recusal met on the way (§14.9: the disclosures are exactly these, in this order). */
  meet(uscc, i) {
    const k = pair(uscc, i);
    if (!this.used.has(k)) {
      this.used.add(k);
      this.met.push([uscc, i]);
    }
  }

  staff(uscc) {
    const team = [];
    const aside = [];
    for (let step = 0; step < this.size; step++) {
      const i = this.choose(uscc, team, step === 0, aside);
      if (i === null) {
        this.short.set(uscc, step === 0 ? "leader" : "member");
        break;
      }
      team.push(i);
    }
    const full = team.length === this.size;
    for (const [lq, e] of aside) if (!full || !team.includes(e[4])) this.heaps[lq].push(e);
    if (!full) return [];
    if (this.peek.has(uscc)) {
      this.alternates.set(uscc, team.map((_, k) => this.nextOnes(uscc, team, k)));
    }
    for (const i of team) {
      this.load.set(i, this.load.get(i) + 1);
      this.push(i);
    }
    return team.map((i, n) => [i, n === 0 ? "leader" : "member"]);
  }

  /**
   * §14.11: position k's next candidates by its key — not on the team, no pair conflict
   * with the rest, recused ones met — and the heaps put back as they were.
   */
  nextOnes(uscc, team, k) {
    const rest = team.filter((i) => i !== team[k]);
    const taken = [];
    const met = [];
    const aside = [];
    while (taken.length < this.peekCount) {
      const i = this.best(k === 0, (x) => team.includes(x) || this.blocked(x, rest), aside);
      if (i === undefined) break;
      (this.peekRecused.has(pair(uscc, i)) ? met : taken).push(i);
    }
    for (const [lq, e] of aside) this.heaps[lq].push(e);
    return [taken, met];
  }

  /** The team's experts could not be found (§8.4): its loads go back. */
  unstaff(team) {
    for (const [i] of team) {
      this.load.set(i, this.load.get(i) - 1);
      this.push(i);
    }
  }

  /** /1 and /2 replacements (§9): the best candidate now, loads as they are. */
  replace(uscc, team, out, gone) {
    const role = new Map(team.map(([i, r]) => [i, r])).get(out);
    const rest = team.map(([i]) => i).filter((i) => i !== out);
    this.load.set(out, this.load.get(out) - 1);
    const ranked = [];
    for (const [i, r] of this.pool) {
      const load = this.load.get(i);
      if (i === out || gone.has(i) || load >= this.capOf.get(i) || this.blocked(i, rest)) continue;
      if (pyEq(role, "leader") && !truthy(r.leader_qualified)) continue;
      const lq = pyEq(role, "leader") ? 0 : +truthy(r.leader_qualified);
      ranked.push([this.tier.get(i), load, lq, this.ticket(i, load), strictUtf8(i), i]);
    }
    ranked.sort(cmpTuple);
    for (const x of ranked) {
      const i = x[5];
      if (this.recused.has(pair(uscc, i))) {
        this.meet(uscc, i);
        continue;
      }
      this.load.set(i, this.load.get(i) + 1);
      return i;
    }
    this.load.set(out, this.load.get(out) + 1);
    return null;
  }
}

/** Replays the expert rule (§8.4) with the disclosed expert recusals. */
export class ExpertMatching {
  constructor(key, m, roster, targets, recused) {
    this.key = key;
    const fields = m.experts.fields;
    this.pool = new Map();
    for (const r of roster) {
      if (r.active === true && (!truthy(fields) || pyIn(r.field, fields))) {
        this.pool.set(r.expert_id, r);
      }
    }
    this.per = pyInt(m.experts.per_target);
    this.cap = this.pool.size ? ceilDiv(this.per * targets, this.pool.size) + 1 : 0;
    this.load = new Map([...this.pool.keys()].map((e) => [e, 0]));
    this.recused = recused;
    this.met = [];
    this.metKeys = new Set();
    this.heap = new Heap();
    for (const e of [...this.pool.keys()].sort(cmpStr)) this.push(e);
  }

  push(e) {
    const load = this.load.get(e);
    if (load < this.cap) {
      const ticket = sha256(concat([3], this.key, lps(e), u32(load)));
      this.heap.push([load, ticket, strictUtf8(e), e]);
    }
  }

  /** The target's agencies' inspectors could not be found (§16): its loads go back. */
  unstaff(chosen) {
    for (const e of chosen) {
      this.load.set(e, this.load.get(e) - 1);
      this.push(e);
    }
  }

  staff(uscc) {
    const chosen = [];
    const aside = [];
    while (chosen.length < this.per) {
      let found = null;
      while (this.heap.size) {
        const x = this.heap.top();
        if (x[0] !== this.load.get(x[3]) || x[0] >= this.cap) {
          this.heap.pop();
          continue;
        }
        aside.push(this.heap.pop());
        if (chosen.includes(x[3])) continue;
        const k = pair(uscc, x[3]);
        if (this.recused.has(k)) {
          if (!this.metKeys.has(k)) {
            this.metKeys.add(k);
            this.met.push([uscc, x[3]]);
          }
          continue;
        }
        found = x[3];
        break;
      }
      if (found === null) {
        for (const x of aside) this.heap.push(x);
        return null;
      }
      chosen.push(found);
    }
    for (const x of aside) if (!chosen.includes(x[3])) this.heap.push(x);
    for (const e of chosen) {
      this.load.set(e, this.load.get(e) + 1);
      this.push(e);
    }
    return chosen;
  }
}

/** Replays the co-organisers' rule (§16) with their disclosed recusals. */
export class AgencyMatching {
  constructor(key, m, roster, targets, recused, conflict) {
    this.key = key;
    this.pools = m.co_organisers.map((co) => [
      co.agency,
      pyInt(co.per_team),
      roster
        .filter((r) => pyEq(r.district, co.agency) && r.active === true &&
          cmpStr(r.certificate_expires_on, m.draw_date) >= 0 && qualified(r.qualifications, co.check_items))
        .map((r) => r.inspector_id),
    ]);
    this.cap = new Map(this.pools.map(([a, per, pool]) => [a, pool.length ? ceilDiv(per * targets, pool.length) + 1 : 0]));
    this.agencyOf = new Map(this.pools.flatMap(([a, , pool]) => pool.map((i) => [i, a])));
    this.load = new Map([...this.agencyOf.keys()].map((i) => [i, 0]));
    this.recused = recused;
    this.conflict = conflict;
    this.met = []; // [uscc, inspector_id] recusals met, in order
    this.metKeys = new Set();
  }

  ticket(i, load) {
    return sha256(concat([4], this.key, lps(i), u32(load)));
  }

  /** The target's agency members (agencies in order, steps in order), or null if short. */
  staff(uscc, team) {
    const on = [...team];
    for (const [agency, per, pool] of this.pools) {
      for (let step = 0; step < per; step++) {
        const ranked = pool
          .filter((i) => !on.includes(i) && this.load.get(i) < this.cap.get(agency) &&
            !on.some((x) => (this.conflict.get(i) || new Set()).has(x)))
          .map((i) => [this.load.get(i), this.ticket(i, this.load.get(i)), strictUtf8(i), i])
          .sort(cmpTuple);
        let found = null;
        for (const x of ranked) {
          const k = pair(uscc, x[3]);
          if (this.recused.has(k)) {
            if (!this.metKeys.has(k)) {
              this.metKeys.add(k);
              this.met.push([uscc, x[3]]);
            }
            continue;
          }
          found = x[3];
          break;
        }
        if (found === null) return null;
        on.push(found);
      }
    }
    const chosen = on.slice(team.length);
    for (const i of chosen) this.load.set(i, this.load.get(i) + 1);
    return chosen;
  }
}

/** Opens recusal disclosures against the roster's salted commitments (§5, §5.1). */
export function openings(disclosures, byId, expert) {
  const tag = expert ? "spotcheck/expert-recusal/v1" : "spotcheck/recusal/v1";
  const who = expert ? "expert_id" : "inspector_id";
  const what = expert ? "专家回避披露" : "回避披露";
  if (!Array.isArray(disclosures)) throw new Difference(`${what}：不是列表`);
  const out = new Set();
  for (const d of disclosures) {
    const i = d[who];
    const u = d.uscc;
    const salt = unhex(d.salt, 16, `${what}：盐值`);
    if (typeof i !== "string" || !byId.has(i)) {
      throw new Difference(`${what}：${short(i)} 不在名录中`);
    }
    const c = hex(sha256(concat(lps(tag), lp(salt), lps(i), lps(u))));
    if (!pyIn(c, byId.get(i).recusals)) {
      throw new Difference(`${what}：${i} 对 ${u} 的回避不能打开名录中的任何承诺`);
    }
    out.add(pair(u, i));
  }
  return out;
}

/** A key for (uscc, id) pairs in a Set. */
export const pair = (u, i) => JSON.stringify([u, i]);
