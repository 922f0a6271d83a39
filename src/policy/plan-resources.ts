import type { ModuleConfiguration, PlanJson, ResourceChange } from "../review/plan-json.js";
import { UNKNOWN, type PolicyResource, type ResourceRef } from "./resources.js";

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
    .map((change) => planResource(change, configs.get(configKey(change))));
}

function planResource(change: ResourceChange, config: ConfigResource | undefined): PolicyResource {
  const after = change.change.after as Json;
  const afterUnknown = change.change.after_unknown;
  const module = change.module_address ?? "";
  return {
    type: change.type,
    name: change.name,
    module,
    address: change.address,
    values(pathText) {
      return walkValues(after, afterUnknown, config?.expressions, pathText.split("."));
    },
    references(pathText) {
      return referencesAt(config?.expressions, pathText.split(".")).map((local): ResourceRef => ({ module, local }));
    },
    sources: () => [],
    lineOf: () => undefined,
  };
}

/** Values along a path; unknown leaves whose attribute the configuration never set count as absent. */
function walkValues(value: unknown, unknown: unknown, expressions: unknown, segments: readonly string[]): unknown[] {
  if (segments.length === 0) {
    if (unknown === true) return [UNKNOWN];
    return value === null || value === undefined ? [] : [value];
  }
  const [segment = "", ...rest] = segments;
  if (Array.isArray(value)) {
    return value.flatMap((item, index) =>
      walkValues(item, Array.isArray(unknown) ? unknown[index] : unknown, Array.isArray(expressions) ? expressions[index] ?? expressions[0] : expressions, segments),
    );
  }
  if (unknown === true) return [UNKNOWN];
  if (!isObject(value)) return [];
  const childUnknown = isObject(unknown) ? unknown[segment] : undefined;
  const childExpressions = isObject(expressions) ? expressions[segment] : undefined;
  if (childUnknown === true && expressions !== undefined && childExpressions === undefined) return []; // left to the provider's default
  return walkValues(value[segment], childUnknown, childExpressions, rest);
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
