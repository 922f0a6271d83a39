import * as z from "../zod.js";
import { PlanFormatError } from "../errors.js";
import { visible } from "./escape.js";

/**
 * The parts of `terraform show -json <plan>` this project reads. The format is documented as
 * "JSON Output Format" in Terraform's internals docs; fields not listed here are kept as-is.
 */
export type ChangeAction = "no-op" | "create" | "read" | "update" | "delete" | "forget";

export interface Change {
  actions: ChangeAction[];
  before: unknown;
  after: unknown;
  after_unknown?: unknown;
  /** Mirrors `before`/`after`: `true` where the value is sensitive. */
  before_sensitive?: unknown;
  after_sensitive?: unknown;
  /** Attribute paths (lists of keys and indexes) whose change forces the replacement. */
  replace_paths?: Array<Array<string | number>>;
  /** Present when the plan imports the resource (an import-only plan has actions ["no-op"]). */
  importing?: { id?: string; identity?: unknown; [key: string]: unknown } | null;
  generated_config?: string;
  [key: string]: unknown;
}

interface ResourceChangeFields {
  /** The address before a `moved` block (or a refactoring) renamed it. */
  previous_address?: string;
  module_address?: string;
  mode: string;
  type: string;
  name: string;
  index?: unknown;
  deposed?: string;
  action_reason?: string;
  change: Change;
  [key: string]: unknown;
}

export interface ResourceChange extends ResourceChangeFields {
  address: string;
}

/** terraform 1.0.0 wrote drift entries without an address; the rest is as in resource_changes. */
export interface DriftChange extends ResourceChangeFields {
  address?: string;
}

export interface ModuleValues {
  resources?: Array<{ address: string; values?: unknown; sensitive_values?: unknown; [key: string]: unknown }>;
  child_modules?: ModuleValues[];
  [key: string]: unknown;
}

export interface ModuleConfiguration {
  variables?: Record<string, { default?: unknown; sensitive?: boolean; [key: string]: unknown }>;
  module_calls?: Record<string, ModuleCall>;
  [key: string]: unknown;
}

export interface ModuleCall {
  source?: string;
  /** Arguments of the call; a literal argument shows up as `constant_value`. */
  expressions?: Record<string, { constant_value?: unknown; references?: string[]; [key: string]: unknown }>;
  module?: ModuleConfiguration;
  [key: string]: unknown;
}

export interface OutputValue {
  sensitive: boolean;
  value?: unknown;
  [key: string]: unknown;
}

export interface DeferredChange {
  reason: string;
  resource_change: ResourceChange;
  [key: string]: unknown;
}

export interface CheckResult {
  address: { to_display: string; kind?: string; [key: string]: unknown };
  status: string;
  instances?: Array<{ address: { to_display: string; [key: string]: unknown }; status: string; problems?: Array<{ message: string }> }>;
  [key: string]: unknown;
}

export interface ActionInvocation {
  address?: string;
  config_values?: unknown;
  config_sensitive?: unknown;
  [key: string]: unknown;
}

export interface PlanJson {
  format_version: string;
  terraform_version?: string;
  variables?: Record<string, { value?: unknown; [key: string]: unknown }>;
  planned_values?: { outputs?: Record<string, OutputValue>; root_module?: ModuleValues; [key: string]: unknown };
  resource_changes?: ResourceChange[];
  resource_drift?: DriftChange[];
  relevant_attributes?: Array<{ resource: string; attribute: Array<string | number> }>;
  output_changes?: Record<string, Change>;
  deferred_changes?: DeferredChange[];
  action_invocations?: ActionInvocation[];
  checks?: CheckResult[];
  prior_state?: { values?: { outputs?: Record<string, OutputValue>; root_module?: ModuleValues }; [key: string]: unknown };
  configuration?: { root_module?: ModuleConfiguration; [key: string]: unknown };
  errored?: boolean;
  complete?: boolean;
  applyable?: boolean;
  [key: string]: unknown;
}

const ACTIONS = ["no-op", "create", "read", "update", "delete", "forget"] as const;

/** The action lists terraform writes (plans.Action in terraform's jsonplan); any other list is refused. */
const ACTION_LISTS: ReadonlySet<string> = new Set(
  [["no-op"], ["create"], ["read"], ["update"], ["delete", "create"], ["create", "delete"], ["delete"], ["forget"], ["create", "forget"]].map(
    (list) => list.join(","),
  ),
);

const path_ = z.array(z.union([z.string(), z.number()]));

const actionList = z
  .array(z.enum(ACTIONS))
  .check(z.refine((list) => ACTION_LISTS.has(list.join(",")), { message: "is not an action list terraform writes (e.g. [\"update\"] or [\"delete\",\"create\"])" }));

const changeSchema = z.looseObject({
  actions: actionList,
  before: z.optional(z.unknown()),
  after: z.optional(z.unknown()),
  after_unknown: z.optional(z.unknown()),
  before_sensitive: z.optional(z.unknown()),
  after_sensitive: z.optional(z.unknown()),
  replace_paths: z.optional(z.array(path_)),
  importing: z.nullish(z.looseObject({ id: z.optional(z.string()) })),
  generated_config: z.optional(z.string()),
});

const resourceFields = {
  previous_address: z.optional(z.string()),
  module_address: z.optional(z.string()),
  mode: z.string(),
  type: z.string(),
  name: z.string(),
  index: z.optional(z.unknown()),
  deposed: z.optional(z.string()),
  action_reason: z.optional(z.string()),
  change: changeSchema,
};
const resourceChangeSchema = z.looseObject({ address: z.string(), ...resourceFields });
const driftSchema = z.looseObject({ address: z.optional(z.string()), ...resourceFields });

const outputValueSchema = z.looseObject({ sensitive: z.boolean(), value: z.optional(z.unknown()) });

/** Module trees nest; only one level is checked by the schema, the walk below checks the rest iteratively. */
const moduleValuesSchema = z.looseObject({
  resources: z.optional(z.array(z.looseObject({ address: z.string(), values: z.optional(z.unknown()), sensitive_values: z.optional(z.unknown()) }))),
  child_modules: z.optional(z.array(z.optional(z.unknown()))),
});
const valuesSchema = z.looseObject({ outputs: z.optional(z.record(z.string(), outputValueSchema)), root_module: z.optional(z.unknown()) });

const moduleConfigurationSchema = z.looseObject({
  variables: z.optional(z.record(z.string(), z.looseObject({ default: z.optional(z.unknown()), sensitive: z.optional(z.boolean()) }))),
  module_calls: z.optional(
    z.record(
      z.string(),
      z.looseObject({
        source: z.optional(z.string()),
        expressions: z.optional(z.record(z.string(), z.looseObject({ constant_value: z.optional(z.unknown()) }))),
        module: z.optional(z.unknown()),
      }),
    ),
  ),
});

const planSchema = z.looseObject({
  format_version: z.string(),
  terraform_version: z.optional(z.string()),
  variables: z.optional(z.record(z.string(), z.looseObject({ value: z.optional(z.unknown()) }))),
  planned_values: z.optional(valuesSchema),
  resource_changes: z.optional(z.array(resourceChangeSchema)),
  resource_drift: z.optional(z.array(driftSchema)),
  relevant_attributes: z.optional(z.array(z.looseObject({ resource: z.string(), attribute: path_ }))),
  output_changes: z.optional(z.record(z.string(), changeSchema)),
  deferred_changes: z.optional(z.array(z.looseObject({ reason: z.string(), resource_change: resourceChangeSchema }))),
  action_invocations: z.optional(z.array(z.looseObject({ address: z.optional(z.string()), config_values: z.optional(z.unknown()), config_sensitive: z.optional(z.unknown()) }))),
  checks: z.optional(
    z.array(
      z.looseObject({
        address: z.looseObject({ to_display: z.string(), kind: z.optional(z.string()) }),
        status: z.string(),
        instances: z.optional(
          z.array(
            z.looseObject({
              address: z.looseObject({ to_display: z.string() }),
              status: z.string(),
              problems: z.optional(z.array(z.looseObject({ message: z.string() }))),
            }),
          ),
        ),
      }),
    ),
  ),
  prior_state: z.optional(z.looseObject({ values: z.optional(valuesSchema) })),
  configuration: z.optional(z.looseObject({ root_module: z.optional(z.unknown()) })),
  errored: z.optional(z.boolean()),
  complete: z.optional(z.boolean()),
  applyable: z.optional(z.boolean()),
});

/** The plan without its per-resource arrays, whose elements the predicates below accept. */
const skeletonSchema = z.extend(planSchema, { resource_changes: z.optional(z.array(z.unknown())), resource_drift: z.optional(z.array(z.unknown())) });

const ACTION_NAMES: ReadonlySet<unknown> = new Set(ACTIONS);

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isOptionalString(value: unknown): boolean {
  return value === undefined || typeof value === "string";
}

function isAttributePath(value: unknown): boolean {
  if (!Array.isArray(value)) return false;
  for (let i = 0; i < value.length; i += 1) {
    const step: unknown = value[i];
    if (typeof step !== "string" && !(typeof step === "number" && Number.isFinite(step))) return false;
  }
  return true;
}

/** What changeSchema admits; false for anything else (and for anything unusual: the schema then decides). */
export function isWellFormedChange(change: unknown): boolean {
  if (!isPlainObject(change)) return false;
  const { actions, replace_paths: replacePaths, importing } = change;
  if (!Array.isArray(actions)) return false;
  for (let i = 0; i < actions.length; i += 1) if (!ACTION_NAMES.has(actions[i])) return false;
  if (!ACTION_LISTS.has(actions.join(","))) return false;
  if (replacePaths !== undefined && !(Array.isArray(replacePaths) && replacePaths.every(isAttributePath))) return false;
  if (importing !== undefined && importing !== null && !(isPlainObject(importing) && isOptionalString(importing["id"]))) return false;
  return isOptionalString(change["generated_config"]);
}

function hasResourceFields(resource: Record<string, unknown>): boolean {
  return (
    typeof resource["mode"] === "string" &&
    typeof resource["type"] === "string" &&
    typeof resource["name"] === "string" &&
    isOptionalString(resource["previous_address"]) &&
    isOptionalString(resource["module_address"]) &&
    isOptionalString(resource["deposed"]) &&
    isOptionalString(resource["action_reason"]) &&
    isWellFormedChange(resource["change"])
  );
}

/** What resourceChangeSchema admits (see isWellFormedChange). */
export function isWellFormedResourceChange(resource: unknown): boolean {
  return isPlainObject(resource) && typeof resource["address"] === "string" && hasResourceFields(resource);
}

/** What driftSchema admits. */
export function isWellFormedDrift(resource: unknown): boolean {
  return isPlainObject(resource) && isOptionalString(resource["address"]) && hasResourceFields(resource);
}

/** What moduleValuesSchema admits. */
export function isWellFormedModuleValues(module: unknown): boolean {
  if (!isPlainObject(module)) return false;
  const { resources, child_modules: children } = module;
  if (children !== undefined && !Array.isArray(children)) return false;
  if (resources === undefined) return true;
  if (!Array.isArray(resources)) return false;
  for (let i = 0; i < resources.length; i += 1) {
    const resource: unknown = resources[i];
    if (!isPlainObject(resource) || typeof resource["address"] !== "string") return false;
  }
  return true;
}

function everyElement(document: object, field: string, accepts: (value: unknown) => boolean): boolean {
  const list = (document as Record<string, unknown>)[field];
  if (list === undefined) return true;
  if (!Array.isArray(list)) return false;
  for (let i = 0; i < list.length; i += 1) if (!accepts(list[i])) return false;
  return true;
}

/** The schemas the predicates mirror, for the test that holds them to each other. */
export const schemasForTest = { change: changeSchema, resourceChange: resourceChangeSchema, drift: driftSchema, moduleValues: moduleValuesSchema };

const PLAN_HINT = "pass the unmodified output of `terraform show -json PLANFILE`";

const SHOW_JSON_HINT = "make the document with `terraform show -json PLAN > plan.json` (UTF-8, uncompressed) and review that file, or review the plan bundle directory";

/** Leading bytes of formats a plan is sometimes mistaken for, and what each is. */
const SIGNATURES: ReadonlyArray<[readonly number[], string]> = [
  [[0x50, 0x4b, 0x03, 0x04], "a binary terraform plan file (a zip archive, as `terraform plan -out` writes), not its JSON"],
  [[0x1f, 0x8b], "gzip-compressed, not JSON text"],
  [[0x42, 0x5a, 0x68], "bzip2-compressed, not JSON text"],
  [[0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], "xz-compressed, not JSON text"],
  [[0x28, 0xb5, 0x2f, 0xfd], "zstd-compressed, not JSON text"],
  [[0xff, 0xfe], "UTF-16 text (little-endian, with a byte-order mark), not the UTF-8 terraform writes"],
  [[0xfe, 0xff], "UTF-16 text (big-endian, with a byte-order mark), not the UTF-8 terraform writes"],
];

/**
 * The bytes of a file given as a `terraform show -json` document, checked before they are decoded:
 * a binary plan, a compressed file, UTF-16 (PowerShell 5's `>` writes it) or anything holding NUL
 * bytes is named in one PlanFormatError instead of failing JSON.parse on bytes it would echo. Returns
 * where the text starts: past a UTF-8 byte-order mark, which some editors write.
 */
export function checkPlanBytes(bytes: Uint8Array, source: string): number {
  for (const [signature, what] of SIGNATURES) {
    if (bytes.length >= signature.length && signature.every((byte, index) => bytes[index] === byte)) {
      throw new PlanFormatError(`${source} is ${what}`, SHOW_JSON_HINT);
    }
  }
  const start = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  const zero = bytes.indexOf(0);
  if (zero === -1) return start;
  // UTF-16 without a byte-order mark: ASCII text with a NUL after (LE) or before (BE) every character.
  const head = bytes.subarray(0, 64 - (Math.min(bytes.length, 64) % 2));
  let evenZeros = 0;
  let oddZeros = 0;
  for (let i = 0; i < head.length; i += 1) if (head[i] === 0) (i % 2 === 0 ? (evenZeros += 1) : (oddZeros += 1));
  const pairs = head.length / 2;
  if (pairs > 0 && oddZeros === pairs && evenZeros === 0) throw new PlanFormatError(`${source} is UTF-16 text (little-endian, no byte-order mark), not the UTF-8 terraform writes`, SHOW_JSON_HINT);
  if (pairs > 0 && evenZeros === pairs && oddZeros === 0) throw new PlanFormatError(`${source} is UTF-16 text (big-endian, no byte-order mark), not the UTF-8 terraform writes`, SHOW_JSON_HINT);
  throw new PlanFormatError(`${source} holds binary data (a NUL byte at offset ${zero}), not the JSON text terraform writes`, SHOW_JSON_HINT);
}

/** Parses and checks a `terraform show -json` document; anything malformed is one PlanFormatError naming the field. */
export function parsePlanJson(text: string, source: string): PlanJson {
  if (text.trim() === "") throw new PlanFormatError(`${source} is empty, not a terraform plan`, PLAN_HINT);
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    // V8's message quotes the text around the fault: raw, it could hold terminal escapes.
    throw new PlanFormatError(`${source} is not valid JSON (${visible((error as Error).message)})`, PLAN_HINT);
  }
  return checkPlanJson(document, source);
}

export function checkPlanJson(document: unknown, source: string): PlanJson {
  if (typeof document !== "object" || document === null || Array.isArray(document)) {
    throw new PlanFormatError(`${source} is not a terraform plan: the document is ${describeType(document)}, not an object`, PLAN_HINT);
  }
  // zod copies every object it checks and costs microseconds per resource: on a 10,000-resource
  // plan that is most of a review. The large arrays are accepted by plain predicates that admit
  // only what the schema admits; anything they do not admit goes through the schema, which then
  // names the field exactly as before.
  if (!skeletonSchema.safeParse(document).success || !everyElement(document, "resource_changes", isWellFormedResourceChange) || !everyElement(document, "resource_drift", isWellFormedDrift)) {
    check(planSchema, document, [], source);
  }
  const parsed = document as PlanJson;
  const values = [
    ["planned_values", parsed.planned_values],
    ["prior_state", parsed.prior_state?.values],
  ] as const;
  for (const [name, value] of values) {
    if (value?.root_module !== undefined) checkModuleTree(value.root_module, moduleValuesSchema, [name, ...(name === "prior_state" ? ["values"] : []), "root_module"], "child_modules", source);
  }
  if (parsed.configuration?.root_module !== undefined) {
    checkModuleTree(parsed.configuration.root_module, moduleConfigurationSchema, ["configuration", "root_module"], "module_calls", source);
  }
  return parsed;
}

/** Checks a module and all its descendants without recursion: a module tree may be as deep as memory allows. */
function checkModuleTree(root: unknown, schema: z.ZodMiniType, rootPath: PropertyKey[], childKey: "child_modules" | "module_calls", source: string): void {
  // Each entry points at its parent, so the path is built only for the module that is wrong.
  interface Pending {
    module: unknown;
    parent: Pending | null;
    steps: PropertyKey[];
  }
  const pathOf = (item: Pending): PropertyKey[] => {
    const parts: PropertyKey[][] = [];
    for (let at: Pending | null = item; at; at = at.parent) parts.push(at.steps);
    return parts.reverse().flat();
  };
  const pending: Pending[] = [{ module: root, parent: null, steps: rootPath }];
  for (let item = pending.pop(); item; item = pending.pop()) {
    const accepted = childKey === "child_modules" ? isWellFormedModuleValues(item.module) : schema.safeParse(item.module).success;
    if (!accepted) check(schema, item.module, pathOf(item), source);
    const record = item.module as Record<string, unknown>;
    if (childKey === "child_modules") {
      for (const [index, child] of ((record["child_modules"] as unknown[] | undefined) ?? []).entries()) {
        pending.push({ module: child, parent: item, steps: ["child_modules", index] });
      }
    } else {
      for (const [name, call] of Object.entries((record["module_calls"] as Record<string, { module?: unknown }> | undefined) ?? {})) {
        if (call.module !== undefined) pending.push({ module: call.module, parent: item, steps: ["module_calls", name, "module"] });
      }
    }
  }
}

function check<T extends z.ZodMiniType>(schema: T, value: unknown, at: PropertyKey[], source: string): z.infer<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const [issue] = result.error.issues;
  if (!issue) throw new PlanFormatError(`${source} is not a terraform plan`, PLAN_HINT);
  const fullPath = [...at, ...issue.path];
  const field = formatFieldPath(fullPath);
  const found = valueAt(value, issue.path);
  throw new PlanFormatError(`${source} is not a terraform plan: ${field} ${describeIssue(issue, found)}`, PLAN_HINT);
}

function describeIssue(issue: z.core.$ZodIssue, found: { present: boolean; value: unknown }): string {
  switch (issue.code) {
    case "invalid_type":
      return found.present ? `must be ${article(issue.expected)}, not ${describeType(found.value)}` : `is missing (expected ${article(issue.expected)})`;
    case "invalid_value":
      return `holds ${visible(JSON.stringify(found.value)?.slice(0, 40) ?? "a value")}, which is not one of ${issue.values.map((value) => JSON.stringify(value)).join(", ")}`;
    case "custom":
      return `(${visible(JSON.stringify(found.value)?.slice(0, 80) ?? "")}) ${issue.message}`;
    default:
      return `is malformed (${issue.message})`;
  }
}

function article(expected: string): string {
  return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
}

function describeType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "string") return value.length > 0 ? "a string" : "an empty string";
  return article(typeof value);
}

function valueAt(root: unknown, at: readonly PropertyKey[]): { present: boolean; value: unknown } {
  let value: unknown = root;
  for (const key of at) {
    if (typeof value !== "object" || value === null || !(key in value)) return { present: false, value: undefined };
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return { present: value !== undefined, value };
}

/** `resource_changes[3].change.actions`, `output_changes["a b"]`: the field as a reader would look for it. */
export function formatFieldPath(at: readonly PropertyKey[]): string {
  let text = "";
  for (const key of at) {
    if (typeof key === "number") text += `[${key}]`;
    else if (typeof key === "string" && /^[A-Za-z_][A-Za-z0-9_-]*$/.test(key)) text += text ? `.${key}` : key;
    else text += `[${JSON.stringify(String(key))}]`;
  }
  return visible(text || "the document");
}
