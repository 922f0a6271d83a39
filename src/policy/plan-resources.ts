import type { ModuleConfiguration, PlanJson, ResourceChange } from "../review/plan-json.js";
import { segmentsOf, UNKNOWN, type PolicyResource, type ResourceRef } from "./resources.js";

type Json = { readonly [key: string]: unknown };

interface ConfigResource {
  address?: string;
  mode?: string;
  expressions?: Json;
}

/**
 * The managed resources a plan leaves in place or creates (their `after` values), as views the
 * rules share with the HCL. Deleted resources are not here: the destruction rule reads those.
 */
export function planResources(plan: PlanJson): PolicyResource[] {
  const configs = configurationIndex(plan.configuration?.root_module);
  const changes = Array.isArray(plan.resource_changes) ? plan.resource_changes : [];
  return changes
    .filter((change) => change?.mode === "managed" && isObject(change.change?.after))
    .map((change) => new PlanResource(change, configs.get(configKey(change))));
}

/**
 * One resource of the plan. A class rather than an object of closures: a plan has tens of
 * thousands of resources, and the rules ask each of them for a few paths.
 */
class PlanResource implements PolicyResource {
  readonly type: string;
  readonly name: string;
  readonly module: string;
  readonly address: string;
  private readonly after: Json;
  private readonly afterUnknown: unknown;
  private readonly expressions: Json | undefined;

  constructor(change: ResourceChange, config: ConfigResource | undefined) {
    this.type = change.type;
    this.name = change.name;
    this.module = change.module_address ?? "";
    this.address = change.address;
    this.after = change.change.after as Json;
    this.afterUnknown = change.change.after_unknown;
    this.expressions = config?.expressions;
  }

  values(pathText: string): unknown[] {
    return walkValues(this.after, this.afterUnknown, this.expressions, segmentsOf(pathText), 0);
  }

  references(pathText: string): ResourceRef[] {
    return referencesAt(this.expressions, segmentsOf(pathText)).map((local): ResourceRef => ({ module: this.module, local }));
  }

  sources(): string[] {
    return [];
  }

  lineOf(): undefined {
    return undefined;
  }
}

/** Values along a path from segment `at` on; unknown leaves whose attribute the configuration never set count as absent. */
function walkValues(value: unknown, unknown: unknown, expressions: unknown, segments: readonly string[], at: number): unknown[] {
  if (at === segments.length) {
    if (unknown === true) return [UNKNOWN];
    return value === null || value === undefined ? [] : [value];
  }
  if (Array.isArray(value)) {
    return value.flatMap((item, index) =>
      walkValues(item, Array.isArray(unknown) ? unknown[index] : unknown, Array.isArray(expressions) ? expressions[index] ?? expressions[0] : expressions, segments, at),
    );
  }
  if (unknown === true) return [UNKNOWN];
  if (!isObject(value)) return [];
  const segment = segments[at] as string;
  const childUnknown = isObject(unknown) ? unknown[segment] : undefined;
  const childExpressions = isObject(expressions) ? expressions[segment] : undefined;
  if (childUnknown === true && expressions !== undefined && childExpressions === undefined) return []; // left to the provider's default
  return walkValues(value[segment], childUnknown, childExpressions, segments, at + 1);
}

function referencesAt(expressions: unknown, segments: readonly string[]): string[] {
  let current: unknown = expressions;
  for (const segment of segments) {
    if (Array.isArray(current)) current = current[0];
    current = isObject(current) ? current[segment] : undefined;
  }
  const refs = isObject(current) && Array.isArray(current["references"]) ? (current["references"] as unknown[]) : [];
  const found = new Set<string>();
  for (const ref of refs) {
    const match = typeof ref === "string" ? /^(aws_[a-z0-9_]+)\.([A-Za-z_][\w-]*)/.exec(ref) : null;
    if (match) found.add(`${match[1]}.${match[2]}`);
  }
  return [...found];
}

/** Configuration resources by "module path without instance keys" + local address. */
function configurationIndex(root: ModuleConfiguration | undefined): Map<string, ConfigResource> {
  const index = new Map<string, ConfigResource>();
  const visit = (module: ModuleConfiguration | undefined, prefix: string) => {
    if (!module) return;
    const resources = Array.isArray(module["resources"]) ? (module["resources"] as ConfigResource[]) : [];
    for (const resource of resources) {
      if (typeof resource.address === "string") index.set(`${prefix}|${resource.address}`, resource);
    }
    for (const [name, call] of Object.entries(module.module_calls ?? {})) visit(call.module, `${prefix}${prefix ? "." : ""}module.${name}`);
  };
  visit(root, "");
  return index;
}

function configKey(change: ResourceChange): string {
  const module = (change.module_address ?? "").replace(/\[[^\]]*\]/g, "");
  return `${module}|${change.type}.${change.name}`;
}

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
