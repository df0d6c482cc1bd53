// The names and sizes the draw specification fixes (docs/draw-spec.md).

export const ALGORITHM = "spotcheck-draw/1";
export const ALGORITHM_EXPERTS = "spotcheck-draw/2";
export const ALGORITHM_SIGNED = "spotcheck-draw/3";
export const ALGORITHMS = [ALGORITHM, ALGORITHM_EXPERTS, ALGORITHM_SIGNED];
export const BUNDLE_FORMAT = "spotcheck-draw-bundle/1";
export const PROOF_FORMAT = "spotcheck-draw-proof/1";
export const NONPROOF_FORMAT = "spotcheck-draw-nonproof/1";
export const STATUSES = ["active", "deregistered", "revoked", "cancelled", "moved_out"];
export const STATUS_ZH = ["存续", "注销", "吊销", "撤销", "迁出"];
export const YEARLY_CAP = "yearly_cap";
export const QUALIFY_ALL = "双随机全部事项";
export const USCC_LEN = 18;
export const CHUNK = 256;
export const ATTRIBUTES = ["entity_types", "industries", "areas"];
// §4.1: the kinds a task may target besides market entities (which have no object_kind).
export const OBJECT_KINDS = ["organ", "institution", "social_organisation", "other_organisation",
  "product", "project", "conduct"];
export const ASSIGNED_KINDS = { P: "product", J: "project", X: "conduct" };
export const OFFICE = "办公室";
export const DIRECT = "direct-assignment"; // /3 manifest.matching.rule: teams assigned (§15)
export const ASSIGNING_PARTY = "信用监管科"; // whose key signs a direct assignment (§15.3)
export const AGENCY_PARTY = ":联合检查单位"; // §16: a co-organising agency's party, <agency> + this
export const LOG_GENESIS = "0".repeat(64);
