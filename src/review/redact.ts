import type { Change, ModuleConfiguration, ModuleValues, PlanJson } from "./plan-json.js";

export const REDACTED = "(sensitive value)";

/** Secrets shorter than this are not swept out of longer strings: too many false hits. */
const MIN_SWEPT_SECRET_LENGTH = 6;

/**
 * Returns a copy of the plan with every sensitive leaf replaced by REDACTED. Two passes:
 * terraform's own sensitivity masks, then a sweep for any remaining copy of a value those
 * masks marked, so a secret echoed into a non-sensitive attribute does not slip through.
 */
export function redactPlan(plan: PlanJson): PlanJson {
  return createRedaction(plan).plan;
}

/** A plan with every sensitive leaf masked, and the sweep that takes the same secrets out of any text. */
export interface Redaction {
  plan: PlanJson;
  /** Replaces every copy of a value the plan marks sensitive (plan.txt, relayed terraform output). */
  sweepText(text: string): string;
}

export function createRedaction(plan: PlanJson): Redaction {
  const secrets = new Set<string>();
  const copy = structuredClone(plan);
  const rootVariables = sensitiveVariableNames(copy.configuration?.root_module);
  for (const [name, variable] of Object.entries(copy.variables ?? {})) {
    if (rootVariables.has(name)) variable.value = mask(variable.value, true, secrets);
  }
  maskConfiguration(copy.configuration?.root_module, secrets);
  for (const resource of [...(copy.resource_changes ?? []), ...(copy.resource_drift ?? [])]) {
    maskChange(resource.change, secrets);
  }
  for (const change of Object.values(copy.output_changes ?? {})) maskChange(change, secrets);
  for (const values of [copy.planned_values, copy.prior_state?.values]) {
    for (const output of Object.values(values?.outputs ?? {})) {
      if (output.sensitive && "value" in output) output.value = mask(output.value, true, secrets);
    }
    maskModule(values?.root_module, secrets);
  }
  return { plan: sweep(copy, secrets) as PlanJson, sweepText: (text) => sweepString(text, secrets) };
}

function sensitiveVariableNames(module: ModuleConfiguration | undefined): Set<string> {
  return new Set(
    Object.entries(module?.variables ?? {})
      .filter(([, variable]) => variable.sensitive === true)
      .map(([name]) => name),
  );
}

/** Defaults of sensitive variables, and literal arguments passed to them, at every depth. */
function maskConfiguration(module: ModuleConfiguration | undefined, secrets: Set<string>): void {
  if (!module) return;
  const sensitive = sensitiveVariableNames(module);
  for (const [name, variable] of Object.entries(module.variables ?? {})) {
    if (sensitive.has(name) && "default" in variable) variable.default = mask(variable.default, true, secrets);
  }
  for (const call of Object.values(module.module_calls ?? {})) {
    const childSensitive = sensitiveVariableNames(call.module);
    for (const [name, expression] of Object.entries(call.expressions ?? {})) {
      if (childSensitive.has(name) && "constant_value" in expression) {
        expression.constant_value = mask(expression.constant_value, true, secrets);
      }
    }
    maskConfiguration(call.module, secrets);
  }
}

function maskChange(change: Change, secrets: Set<string>): void {
  change.before = mask(change.before, change.before_sensitive, secrets);
  change.after = mask(change.after, change.after_sensitive, secrets);
}

function maskModule(module: ModuleValues | undefined, secrets: Set<string>): void {
  if (!module) return;
  for (const resource of module.resources ?? []) {
    resource.values = mask(resource.values, resource.sensitive_values, secrets);
  }
  for (const child of module.child_modules ?? []) maskModule(child, secrets);
}

/** Walks `value` along terraform's sensitivity mask, collecting and replacing marked leaves. */
function mask(value: unknown, sensitivity: unknown, secrets: Set<string>): unknown {
  if (sensitivity === true) {
    collectSecrets(value, secrets);
    return value === null || value === undefined ? value : REDACTED;
  }
  if (Array.isArray(value) && Array.isArray(sensitivity)) {
    return value.map((item, index) => mask(item, sensitivity[index], secrets));
  }
  if (isRecord(value) && isRecord(sensitivity)) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, mask(item, sensitivity[key], secrets)]));
  }
  return value;
}

function collectSecrets(value: unknown, secrets: Set<string>): void {
  if (typeof value === "string" && value !== "") secrets.add(value);
  else if (typeof value === "number") secrets.add(String(value));
  else if (Array.isArray(value)) value.forEach((item) => collectSecrets(item, secrets));
  else if (isRecord(value)) Object.values(value).forEach((item) => collectSecrets(item, secrets));
}

function sweep(value: unknown, secrets: ReadonlySet<string>): unknown {
  if (typeof value === "string") return sweepString(value, secrets);
  if (Array.isArray(value)) return value.map((item) => sweep(item, secrets));
  if (isRecord(value)) return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, sweep(item, secrets)]));
  return value;
}

function sweepString(text: string, secrets: ReadonlySet<string>): string {
  if (secrets.has(text)) return REDACTED;
  let result = text;
  for (const secret of secrets) {
    if (secret.length >= MIN_SWEPT_SECRET_LENGTH && result.includes(secret)) result = result.split(secret).join(REDACTED);
  }
  return result;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
