import type { ValueSweep } from "./diff.js";
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
  let masked: PlanJson | undefined;
  const json = () => redactedJson(plan, marks.sensitivity, matcher);
  return {
    get plan() {
      // JSON.parse nests without recursion, so the copy is as safe at any depth as json() is.
      return (masked ??= JSON.parse(json()) as PlanJson);
    },
    sweepText: (text) => matcher.sweepText(text),
    sweepValue: (text) => matcher.sweepValue(text),
    isSecretNumber: (value) => matcher.isSecretNumber(value),
    json,
  };
}

/**
 * The sweep alone, for a review that shows values but never writes the masked document: unlike a
 * Redaction it keeps nothing of the plan (the marks point into the document), so the document can
 * be collected while its summary is made.
 */
export function createSweep(plan: PlanJson): ValueSweep {
  const marks = locateMarks(plan);
  return new SecretMatcher(marks.secrets, marks.numbers);
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
    // An empty mask (`{}`, terraform's "nothing in here is sensitive") marks nothing: no entry.
    if (!holder || mask === undefined || mask === false || mask === null || isEmptyMask(mask)) return;
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

/**
 * Every leaf of `value` that `mask` marks, walked with an explicit stack (values nest without
 * limit). Outside a marked subtree only the mask's own keys can lead to a mark, so only they are
 * followed: masks are sparse, values are not.
 */
function collectMarked(value: unknown, mask: unknown, marks: Marks): void {
  const stack: Array<[unknown, unknown]> = [[value, mask]];
  for (let item = stack.pop(); item; item = stack.pop()) {
    const [current, currentMask] = item;
    if (currentMask === true) collectLeaves(current, marks);
    else if (Array.isArray(current)) {
      if (!Array.isArray(currentMask)) continue;
      const length = Math.min(current.length, currentMask.length);
      for (let index = 0; index < length; index += 1) stack.push([current[index], currentMask[index]]);
    } else if (isRecord(current) && isRecord(currentMask)) {
      for (const key of Object.keys(currentMask)) if (Object.hasOwn(current, key)) stack.push([current[key], currentMask[key]]);
    }
  }
}

/** Every string and number in a marked subtree. */
function collectLeaves(value: unknown, marks: Marks): void {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const current = stack.pop();
    if (typeof current === "string") {
      if (current !== "") marks.secrets.add(current);
    } else if (typeof current === "number") {
      if (Number.isFinite(current)) marks.numbers.add(current);
    } else if (Array.isArray(current)) {
      for (let index = 0; index < current.length; index += 1) stack.push(current[index]);
    } else if (isRecord(current)) {
      for (const key of Object.keys(current)) stack.push(current[key]);
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

/** What the walk carries down into a container: inside a value (no field is a name any more), or under a name field (left as it is). */
const IN_VALUE = 1;
const AS_IS = 2;

/** A field of a container, and what it held before the redaction replaced it. */
type Replaced = [container: Record<string, unknown> | unknown[], field: string | number, original: unknown];

/**
 * The redacted document as compact JSON. One walk replaces, in the document itself, every leaf
 * terraform marks and every string or number holding a copy of a secret; the document is then
 * serialised (natively unless it nests too deep for that) and every replaced field restored. So
 * no masked copy of a large plan is ever built, and the serialiser needs no per-value callback.
 */
function redactedJson(plan: PlanJson, sensitivity: Sensitivity, matcher: SecretMatcher): string {
  const replaced: Replaced[] = [];
  try {
    const depth = maskInPlace(plan, sensitivity, matcher, replaced);
    return stringifyJson(plan, depth);
  } finally {
    for (let index = replaced.length - 1; index >= 0; index -= 1) {
      const [container, field, original] = replaced[index] as Replaced;
      setOwn(container, field, original);
    }
  }
}

/**
 * Masks and sweeps `plan` in place, noting each replacement in `replaced`; returns the nesting depth.
 * The containers still to walk are kept in parallel arrays, not as an object each: a large plan
 * has hundreds of thousands of containers, and the walk should leave no garbage behind them.
 */
function maskInPlace(plan: PlanJson, sensitivity: Sensitivity, matcher: SecretMatcher, replaced: Replaced[]): number {
  const replace = (container: Record<string, unknown> | unknown[], field: string | number, original: unknown, value: unknown) => {
    replaced.push([container, field, original]);
    setOwn(container, field, value);
  };
  const containers: object[] = [plan];
  const masks: unknown[] = [undefined];
  const states: number[] = [0];
  const depths: number[] = [1];
  const push = (container: object, mask: unknown, state: number, depth: number) => {
    containers.push(container);
    masks.push(mask);
    states.push(state);
    depths.push(depth);
  };
  let deepest = 0;
  while (containers.length > 0) {
    const container = containers.pop() as object;
    const mask = masks.pop();
    const state = states.pop() as number;
    const depth = depths.pop() as number;
    if (depth > deepest) deepest = depth;
    const asIs = (state & AS_IS) !== 0;
    if (Array.isArray(container)) {
      const itemMasks = Array.isArray(mask) ? mask : undefined;
      for (let index = 0; index < container.length; index += 1) {
        const child: unknown = container[index];
        if (asIs) {
          if (typeof child === "object" && child !== null) push(child, undefined, state, depth + 1);
          continue;
        }
        const settled = settle(child, itemMasks?.[index], matcher);
        if (settled === CONTAINER) push(child as object, itemMasks?.[index], state, depth + 1);
        else if (settled !== child) replace(container, index, child, settled);
      }
      continue;
    }
    const record = container as Record<string, unknown>;
    const marked = asIs ? undefined : sensitivity.get(container);
    const fieldMasks = isRecord(mask) ? mask : undefined;
    const inValue = (state & IN_VALUE) !== 0;
    for (const field in record) {
      if (!Object.hasOwn(record, field)) continue;
      const child = record[field];
      if (asIs || (!inValue && NAME_FIELDS.has(field))) {
        if (typeof child === "object" && child !== null) push(child, undefined, state | AS_IS, depth + 1);
        continue;
      }
      const childMask = marked?.has(field) ? marked.get(field) : fieldMasks?.[field];
      const settled = settle(child, childMask, matcher);
      if (settled === CONTAINER) push(child as object, childMask, inValue || VALUE_FIELDS.has(field) ? state | IN_VALUE : state, depth + 1);
      else if (settled !== child) replace(record, field, child, settled);
    }
  }
  return deepest;
}

/** Marks a container still to be walked; everything else is settled where it is met. */
const CONTAINER = Symbol("container");

/** A leaf's replacement (itself when nothing is hidden in it), or CONTAINER. */
function settle(value: unknown, mask: unknown, matcher: SecretMatcher): unknown {
  if (mask === true) return value === null || value === undefined ? value : REDACTED;
  if (typeof value === "string") return matcher.sweepValue(value);
  if (typeof value === "number") return matcher.isSecretNumber(value) ? REDACTED : value;
  if (typeof value === "object" && value !== null) return CONTAINER;
  return value;
}

/** Assigns an own property even for `__proto__`, which JSON.parse makes an ordinary key. */
function setOwn(target: Record<string, unknown> | unknown[], key: string | number, value: unknown): void {
  if (key === "__proto__") Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else (target as Record<string | number, unknown>)[key] = value;
}

function isEmptyMask(mask: unknown): boolean {
  if (Array.isArray(mask)) return mask.length === 0;
  if (!isRecord(mask)) return false;
  for (const key in mask) if (Object.hasOwn(mask, key)) return false;
  return true;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
