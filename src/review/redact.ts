import type { Change, ModuleConfiguration, ModuleValues, PlanJson } from "./plan-json.js";
import { REDACTED } from "./placeholders.js";
import { SecretMatcher } from "./secret-matcher.js";
import { stringifyJson } from "./json-text.js";

export { REDACTED } from "./placeholders.js";

/**
 * Returns a copy of the plan with every sensitive leaf replaced by REDACTED: terraform's own
 * sensitivity marks, then every other copy of a value those marks covered (see SecretMatcher).
 */
export function redactPlan(plan: PlanJson): PlanJson {
  return createRedaction(plan).plan;
}

/** A plan with every sensitive leaf masked, and the sweep that takes the same secrets out of any text. */
export interface Redaction {
  /** The masked copy, made on first use (a review that only needs the summary never pays for it). */
  readonly plan: PlanJson;
  /** Replaces every copy of a value the plan marks sensitive (plan.txt, relayed terraform output). */
  sweepText(text: string): string;
  /** The same for one value shown on its own (an attribute in a diff): replaced whole when it is a secret. */
  sweepValue(text: string): string;
  isSecretNumber(value: number): boolean;
  /** The masked copy as compact JSON, safe at any nesting depth. */
  json(): string;
}

export function createRedaction(plan: PlanJson): Redaction {
  const marks = locateMarks(plan);
  const matcher = new SecretMatcher(marks.secrets, marks.numbers);
  let masked: { plan: PlanJson; depth: number } | undefined;
  const redacted = () => (masked ??= maskDocument(plan, marks.sensitivity, matcher));
  return {
    get plan() {
      return redacted().plan;
    },
    sweepText: (text) => matcher.sweepText(text),
    sweepValue: (text) => matcher.sweepValue(text),
    isSecretNumber: (value) => matcher.isSecretNumber(value),
    json: () => {
      if (masked) return stringifyJson(masked.plan, masked.depth);
      try {
        return redactedJson(plan, marks.sensitivity, matcher);
      } catch (error) {
        // V8's JSON.stringify recurses; a value nested thousands deep takes the iterative path.
        if (!(error instanceof RangeError)) throw error;
        return stringifyJson(redacted().plan, redacted().depth);
      }
    },
  };
}

/** For each object holding a sensitivity-marked field: field name -> terraform's mask for it. */
type Sensitivity = Map<object, Map<string, unknown>>;

interface Marks {
  sensitivity: Sensitivity;
  secrets: Set<string>;
  numbers: Set<number>;
}

/** Finds every place terraform marks sensitive and collects the values found there. */
function locateMarks(plan: PlanJson): Marks {
  const marks: Marks = { sensitivity: new Map(), secrets: new Set(), numbers: new Set() };
  const mark = (holder: object | undefined | null, field: string, mask: unknown) => {
    if (!holder || mask === undefined || mask === false || mask === null) return;
    let fields = marks.sensitivity.get(holder);
    if (!fields) marks.sensitivity.set(holder, (fields = new Map()));
    fields.set(field, mask);
    collectMarked((holder as Record<string, unknown>)[field], mask, marks);
  };
  const markChange = (change: Change | undefined) => {
    mark(change, "before", change?.before_sensitive);
    mark(change, "after", change?.after_sensitive);
  };

  const rootVariables = sensitiveVariableNames(asModuleConfiguration(plan.configuration?.root_module));
  for (const [name, variable] of Object.entries(plan.variables ?? {})) {
    if (rootVariables.has(name)) mark(variable, "value", true);
  }
  const modules: ModuleConfiguration[] = [];
  const root = asModuleConfiguration(plan.configuration?.root_module);
  if (root) modules.push(root);
  for (let module = modules.pop(); module; module = modules.pop()) {
    const sensitive = sensitiveVariableNames(module);
    for (const [name, variable] of Object.entries(module.variables ?? {})) {
      if (sensitive.has(name) && "default" in variable) mark(variable, "default", true);
    }
    for (const call of Object.values(module.module_calls ?? {})) {
      const childSensitive = sensitiveVariableNames(call.module);
      for (const [name, expression] of Object.entries(call.expressions ?? {})) {
        if (childSensitive.has(name) && "constant_value" in expression) mark(expression, "constant_value", true);
      }
      if (call.module) modules.push(call.module);
    }
  }

  for (const resource of [...(plan.resource_changes ?? []), ...(plan.resource_drift ?? [])]) markChange(resource.change);
  for (const deferred of plan.deferred_changes ?? []) markChange(deferred.resource_change.change);
  for (const change of Object.values(plan.output_changes ?? {})) markChange(change);
  for (const invocation of plan.action_invocations ?? []) mark(invocation, "config_values", invocation.config_sensitive);

  for (const values of [plan.planned_values, plan.prior_state?.values]) {
    for (const output of Object.values(values?.outputs ?? {})) {
      if (output.sensitive) mark(output, "value", true);
    }
    const pending: ModuleValues[] = values?.root_module ? [values.root_module] : [];
    for (let module = pending.pop(); module; module = pending.pop()) {
      for (const resource of module.resources ?? []) mark(resource, "values", resource.sensitive_values);
      pending.push(...(module.child_modules ?? []));
    }
  }
  return marks;
}

function asModuleConfiguration(value: unknown): ModuleConfiguration | undefined {
  return isRecord(value) ? (value as ModuleConfiguration) : undefined;
}

function sensitiveVariableNames(module: ModuleConfiguration | undefined): Set<string> {
  return new Set(
    Object.entries(module?.variables ?? {})
      .filter(([, variable]) => variable.sensitive === true)
      .map(([name]) => name),
  );
}

/** Every leaf of `value` that `mask` marks, walked with an explicit stack (values nest without limit). */
function collectMarked(value: unknown, mask: unknown, marks: Marks): void {
  const stack: Array<[unknown, unknown, boolean]> = [[value, mask, false]];
  for (let item = stack.pop(); item; item = stack.pop()) {
    const [current, currentMask, inherited] = item;
    const sensitive = inherited || currentMask === true;
    // Only a mask reaches a marked leaf: a subtree without one holds nothing to collect.
    if (!sensitive && (typeof currentMask !== "object" || currentMask === null)) continue;
    if (Array.isArray(current)) {
      current.forEach((child, index) => stack.push([child, Array.isArray(currentMask) ? currentMask[index] : undefined, sensitive]));
    } else if (isRecord(current)) {
      for (const [key, child] of Object.entries(current)) stack.push([child, isRecord(currentMask) ? currentMask[key] : undefined, sensitive]);
    } else if (sensitive) {
      if (typeof current === "string" && current !== "") marks.secrets.add(current);
      else if (typeof current === "number" && Number.isFinite(current)) marks.numbers.add(current);
    }
  }
}

/**
 * Fields that name things rather than hold values: addresses, types, names, keys, versions,
 * reasons. The sweep never rewrites them (a secret that is also an ordinary word must not turn
 * `terraform_data.names` into `terraform_data.(sensitive value)`), and their subtrees are left as they are.
 */
const NAME_FIELDS: ReadonlySet<string> = new Set([
  "address",
  "previous_address",
  "module_address",
  "mode",
  "type",
  "name",
  "index",
  "deposed",
  "provider_name",
  "provider_config_key",
  "action_reason",
  "actions",
  "format_version",
  "terraform_version",
  "reason",
  "status",
  "kind",
  "source",
  "version_constraint",
  "references",
  "resource",
  "attribute",
  "replace_paths",
  "to_display",
  "timestamp",
]);

/** Fields that hold values from the configuration or the providers: inside them every key is data. */
const VALUE_FIELDS: ReadonlySet<string> = new Set(["before", "after", "values", "value", "default", "constant_value", "config_values", "importing", "before_identity", "after_identity", "identity"]);

/** Where a walk stands: the mask that applies here, and whether fields are names or data. */
interface Place {
  mask: unknown;
  /** Inside a value (before, after, values, ...): no field is a name any more. */
  inValue: boolean;
  /** Under a name field (an address object, a path): left exactly as it is. */
  asIs: boolean;
}

const AS_IS: Place = { mask: undefined, inValue: false, asIs: true };

/** The place of `container[field]`: the one decision both walks below share. */
function childPlace(container: object, place: Place, field: string | number, sensitivity: Sensitivity): Place {
  if (place.asIs) return AS_IS;
  if (Array.isArray(container)) return { mask: Array.isArray(place.mask) ? place.mask[Number(field)] : undefined, inValue: place.inValue, asIs: false };
  const name = String(field);
  if (!place.inValue && NAME_FIELDS.has(name)) return AS_IS;
  const marked = sensitivity.get(container);
  const mask = marked?.has(name) ? marked.get(name) : isRecord(place.mask) ? place.mask[name] : undefined;
  return { mask, inValue: place.inValue || VALUE_FIELDS.has(name), asIs: false };
}

/** Marks a container still to be walked; everything else is settled where it is met. */
const CONTAINER = Symbol("container");

/** A leaf's replacement, or CONTAINER. Leaves are most of a plan, so they never become tasks. */
function settle(value: unknown, place: Place, matcher: SecretMatcher): unknown {
  if (place.asIs) return typeof value === "object" && value !== null ? CONTAINER : value;
  if (place.mask === true) return value === null || value === undefined ? value : REDACTED;
  if (typeof value === "string") return matcher.sweepValue(value);
  if (typeof value === "number") return matcher.isSecretNumber(value) ? REDACTED : value;
  if (typeof value === "object" && value !== null) return CONTAINER;
  return value;
}

/**
 * The redacted document as JSON straight from the original, without building a masked copy: V8's
 * JSON.stringify walks it and a replacer settles each value (half the memory, far less garbage).
 * Throws RangeError on a document nested deeper than V8's stack allows.
 */
function redactedJson(plan: PlanJson, sensitivity: Sensitivity, matcher: SecretMatcher): string {
  const places = new Map<object, Place>();
  let started = false;
  return JSON.stringify(plan, function (this: object, field: string, value: unknown) {
    if (!started) {
      started = true;
      places.set(value as object, { mask: undefined, inValue: false, asIs: false });
      return value;
    }
    const place = childPlace(this, places.get(this) as Place, field, sensitivity);
    const settled = settle(value, place, matcher);
    if (settled !== CONTAINER) return settled;
    places.set(value as object, place);
    return value;
  });
}

interface Task {
  value: object;
  place: Place;
  copy: Record<string, unknown> | unknown[];
  depth: number;
}

function emptyCopy(value: object): Record<string, unknown> | unknown[] {
  return Array.isArray(value) ? new Array<unknown>(value.length) : {};
}

/** One walk over the whole document: masks what terraform marks, sweeps every other string and number. */
function maskDocument(plan: PlanJson, sensitivity: Sensitivity, matcher: SecretMatcher): { plan: PlanJson; depth: number } {
  const root = emptyCopy(plan);
  const stack: Task[] = [{ value: plan, place: { mask: undefined, inValue: false, asIs: false }, copy: root, depth: 1 }];
  let deepest = 0;
  for (let task = stack.pop(); task; task = stack.pop()) {
    const { value, place, copy, depth } = task;
    deepest = Math.max(deepest, depth);
    const isArray = Array.isArray(value);
    const fields: Array<string | number> = isArray ? Array.from(value.keys()) : Object.keys(value);
    for (const field of fields) {
      const child: unknown = (value as Record<string | number, unknown>)[field];
      const childPlace_ = childPlace(value, place, field, sensitivity);
      const settled = settle(child, childPlace_, matcher);
      const result = settled === CONTAINER ? emptyCopy(child as object) : settled;
      if (isArray) (copy as unknown[])[field as number] = result;
      else setOwn(copy as Record<string, unknown>, field as string, result);
      if (settled === CONTAINER) stack.push({ value: child as object, place: childPlace_, copy: result as object as Task["copy"], depth: depth + 1 });
    }
  }
  return { plan: root as PlanJson, depth: deepest };
}

/** Assigns an own property even for `__proto__`, which JSON.parse makes an ordinary key. */
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key.length === 9 && key === "__proto__") Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
