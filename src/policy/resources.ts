/**
 * One view of a resource, whether it comes from the parsed HCL (before a plan) or from a plan's
 * `resource_changes` (after): most rules are written once, against this view, and run on both.
 */

/** A value that exists but is not known here: an expression HCL alone cannot resolve, or "known after apply". */
export const UNKNOWN: unique symbol = Symbol("unknown");
export type Unknown = typeof UNKNOWN;

/** A resource another resource points at: its module address and its module-local `type.name`. */
export interface ResourceRef {
  module: string;
  local: string;
}

export interface PolicyResource {
  type: string;
  name: string;
  /** Module address (`module.platform.module.eks`), "" for the root module. */
  module: string;
  /** Full address; from a plan it carries the instance key. */
  address: string;
  /** Where it is written, for HCL findings. */
  file?: string;
  /** HCL only: its count/for_each cannot be resolved before a plan, so it may not exist; the plan judges it. */
  uncertain?: boolean;
  /**
   * Every value at a dotted path; a list of nested blocks on the way contributes each block.
   * `undefined` entries never appear: an absent attribute yields no values.
   */
  values(path: string): Array<unknown>;
  /** The resources an attribute's expression refers to (resolved through variables and module outputs in HCL). */
  references(path: string): ResourceRef[];
  /** The expression text at a path, resolved as far as HCL goes (empty for a plan). */
  sources(path: string): string[];
  /** The line of an attribute, for HCL findings. */
  lineOf(path: string): number | undefined;
}

/** Attribute paths split once: the rules ask every resource, of the HCL or of a plan, for the same few. */
const segmentsByPath = new Map<string, readonly string[]>();

export function segmentsOf(pathText: string): readonly string[] {
  let segments = segmentsByPath.get(pathText);
  if (!segments) segmentsByPath.set(pathText, (segments = pathText.split(".")));
  return segments;
}

/** The first value at a path: `undefined` when absent (the provider's default applies). */
export function valueOf(resource: PolicyResource, path: string): unknown {
  return resource.values(path)[0];
}

export function refOf(resource: PolicyResource): ResourceRef {
  return { module: resource.module, local: `${resource.type}.${resource.name}` };
}

const resourcesByTypeOf = new WeakMap<readonly PolicyResource[], Map<string, PolicyResource[]>>();
const NO_RESOURCES: readonly PolicyResource[] = Object.freeze([]);

/**
 * The resources of one type, in their order. Every rule asks for its types, many of them for
 * every target they judge: each list of resources (which never changes once made) is indexed once.
 */
export function resourcesOfType(resources: readonly PolicyResource[], type: string): readonly PolicyResource[] {
  let byType = resourcesByTypeOf.get(resources);
  if (!byType) {
    byType = new Map();
    for (const resource of resources) {
      const ofType = byType.get(resource.type);
      if (ofType) ofType.push(resource);
      else byType.set(resource.type, [resource]);
    }
    resourcesByTypeOf.set(resources, byType);
  }
  return byType.get(type) ?? NO_RESOURCES;
}

/** The resources of `type` whose `attribute` refers to `target` (same module), or holds the same known id or name. */
export function resourcesReferring(
  resources: readonly PolicyResource[],
  type: string,
  attributes: readonly string[],
  target: PolicyResource,
  sameValue?: { targetPath: string; path: string },
): PolicyResource[] {
  const wanted = refOf(target);
  const targetValue = sameValue ? valueOf(target, sameValue.targetPath) : undefined;
  return resourcesOfType(resources, type).filter((resource) => {
    const refers = attributes.some((attribute) =>
      resource.references(attribute).some((ref) => ref.module === wanted.module && ref.local === wanted.local),
    );
    if (refers) return true;
    return sameValue !== undefined && typeof targetValue === "string" && valueOf(resource, sameValue.path) === targetValue;
  });
}

/** The resources an attribute refers to, looked up among `resources`. */
export function referencedResources(resources: readonly PolicyResource[], from: PolicyResource, path: string): PolicyResource[] {
  const refs = from.references(path);
  return resources.filter((resource) => refs.some((ref) => ref.module === resource.module && ref.local === `${resource.type}.${resource.name}`));
}

/** `aws_x.y` references inside an expression's text (not `data.aws_x.y`). */
export function resourceReferencesIn(expression: string): string[] {
  if (!expression.includes("aws_")) return []; // most expressions name no resource: no pattern run
  const found = new Set<string>();
  RESOURCE_REFERENCE.lastIndex = 0;
  for (let match = RESOURCE_REFERENCE.exec(expression); match !== null; match = RESOURCE_REFERENCE.exec(expression)) found.add(`${match[1]}.${match[2]}`);
  return [...found];
}

/** One pattern for every call (global: `exec` steps through the matches from `lastIndex`). */
const RESOURCE_REFERENCE = /(?<![\w.])(aws_[a-z0-9_]+)\.([A-Za-z_][\w-]*)/g;

export function isKnown(value: unknown): boolean {
  return value !== UNKNOWN && value !== undefined;
}
