// Direct assignment (第六条, docs/draw-spec.md §15.3): the teams the credit department picks
// for the drawn targets, as the service takes and signs them, and what the page can check
// before signing (the service checks the sealed recusals, and every rule again). Pure: the
// browser and Node's test runner load the same file. The rules mirror portal.domain.draws
// (assignment_problem), which checks the same assignment again when the form arrives.

// ``rows``: per drawn target in target order, ``{uscc, leader, members: [...], experts: [...]}``
// as picked; ``withExperts``: the manifest has ``experts`` (then every entry carries the key).
export function assignmentOf(rows, withExperts) {
  return rows.map((r) => ({
    uscc: r.uscc,
    team: [[r.leader, "leader"], ...r.members.map((m) => [m, "member"])],
    ...(withExperts ? { experts: [...r.experts] } : {}),
  }));
}

// The first rule ``assignment`` breaks (in Chinese), or null. ``rules``: ``targets`` (in
// target order), ``size``, ``leaders`` and ``members`` (sets of who may lead, who may be on
// a team), ``pairs`` (the manifest's pair conflicts), ``perTarget`` (experts; 0: none).
export function problemOf(assignment, rules) {
  const order = assignment.map((a) => a.uscc);
  if (order.length !== rules.targets.length || order.some((u, i) => u !== rules.targets[i])) {
    return "须按抽中顺序为每个抽中的检查对象各委派一次检查组";
  }
  for (const a of assignment) {
    const found = teamProblem(a.team, rules) || expertsProblem(a.experts, rules);
    if (found) return `${a.uscc}：${found}`;
  }
  return null;
}

function teamProblem(team, rules) {
  const ids = team.map((m) => m[0]);
  if (ids.some((i) => !i)) return "检查组的每个岗位都须选定人员";
  if (ids.length !== rules.size || new Set(ids).size !== rules.size) {
    return `检查组须恰有 ${rules.size} 名不同的执法检查人员`;
  }
  const roles = team.map((m) => m[1]);
  if (roles[0] !== "leader" || roles.slice(1).some((r) => r !== "member")) {
    return "检查组须恰有一名组长，列在首位，其余为组员";
  }
  const outside = ids.find((i) => !rules.members.has(i));
  if (outside) return `${outside} 不在本次抽取可委派的人员中`;
  if (!rules.leaders.has(ids[0])) return `组长 ${ids[0]} 不具备组长资格`;
  const paired = (rules.pairs || []).some(([x, y]) => ids.includes(x) && ids.includes(y));
  return paired ? "检查组内有申报冲突关系（不得同组）的人员" : null;
}

function expertsProblem(chosen, rules) {
  if (!rules.perTarget) return chosen && chosen.length ? "本任务不要求专家，不得委派专家" : null;
  const picked = chosen || [];
  if (picked.some((e) => !e)) return "每个专家岗位都须选定专家";
  if (picked.length !== rules.perTarget || new Set(picked).size !== rules.perTarget) {
    return `须委派 ${rules.perTarget} 名不同的专家`;
  }
  const outside = rules.experts && picked.find((e) => !rules.experts.has(e));
  return outside ? `专家 ${outside} 不在本任务的专家库中` : null;
}
