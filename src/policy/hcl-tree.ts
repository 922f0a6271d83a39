import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { listEnvironments, parseDirectory, type Environment, type ReadOptions } from "../config/environment.js";
import { blocksOf, labeledBlocksOf, parseHclFileSync, type HclBody, type ParsedFile } from "../config/hcl.js";
import { ACCESS_KEY_PREFIXES } from "./access-keys.js";
import { FileTexts } from "./file-texts.js";
import { applyTypeDefaults, evaluateDeep, evaluatePartly, evaluateValue, type Lookup } from "./evaluate.js";
import { resourceReferencesIn, segmentsOf, UNKNOWN, type PolicyResource, type ResourceRef, type Unknown } from "./resources.js";

/**
 * An environment as the static rules see it: every root that belongs to it (`envs/<env>` and,
 * where it exists, `bootstrap/<env>`, which makes the state bucket), each with the local
 * modules it calls, as instances (a module called twice is two instances with their own inputs).
 */
export interface PolicyTree {
  /** The environment's facts; for the organization's stack (loadOrgPolicyTree), its management account's. */
  environment: Pick<Environment, "name" | "root" | "dir" | "factsFile" | "region" | "accountId" | "backend">;
  roots: ModuleInstance[];
  /** Every instance, roots first then depth-first. */
  instances: ModuleInstance[];
  /** Account id of every environment under envs/, by name, with the file that says it. */
  accounts: Array<{ env: string; accountId: string; file: string }>;
  /** Every file's text by path, for line numbers (most read again when asked for, see FileTexts). */
  texts: FileTexts;
}

export interface ModuleInstance {
  /** Module address: "" for a root, `module.platform.module.eks` below it. */
  address: string;
  dir: string;
  /** The root this instance belongs to. */
  rootDir: string;
  /** The terraform tree it was read from: file functions read only below it. */
  treeRoot: string;
  files: ParsedFile[];
  /** The `module` block that called it (its arguments are the variables' values), null for a root. */
  call: HclBody | null;
  parent: ModuleInstance | null;
  children: Map<string, ModuleInstance>;
  locals: HclBody;
  variables: Map<string, HclBody>;
  outputs: Map<string, HclBody>;
}

const MAX_MODULE_DEPTH = 16;

/** Reads the roots of one environment and the local modules they call, through the parse cache. */
export async function loadPolicyTree(environment: Environment, options: ReadOptions): Promise<PolicyTree> {
  const rootDirs = [environment.dir];
  const bootstrap = path.join(environment.root, "bootstrap", environment.name);
  if (await isDirectory(bootstrap)) rootDirs.push(bootstrap);
  return readPolicyTree(environment, rootDirs, options);
}

/** The organization's stack: where its service control policies live, and the file stating its facts. */
export const ORG_DIR = "org";
const ORG_FACTS = "management.tf";

/**
 * The organization's stack (`<root>/org`, its SCPs) as a tree of its own, or null where the tree
 * has none. It is no environment: its facts (region, account) come from its management.tf, and
 * only the rules over the organization read it.
 */
export async function loadOrgPolicyTree(root: string, options: ReadOptions): Promise<PolicyTree | null> {
  const dir = path.join(root, ORG_DIR);
  if (!(await isDirectory(dir))) return null;
  const factsFile = path.join(dir, ORG_FACTS);
  const files = await parseDirectory(dir, options);
  const facts = Object.assign({}, ...blocksOf(files, "locals").filter(({ file }) => file === factsFile).map(({ body }) => body)) as HclBody;
  const fact = (key: string) => (typeof facts[key] === "string" ? (facts[key] as string) : "");
  const organization = { name: ORG_DIR, root, dir, factsFile, region: fact("region"), accountId: fact("account_id"), backend: null, files };
  return readPolicyTree(organization, [dir], options);
}

type TreeFacts = PolicyTree["environment"] & { files: ParsedFile[] };

async function readPolicyTree(environment: TreeFacts, rootDirs: readonly string[], options: ReadOptions): Promise<PolicyTree> {
  // account-static-keys searches every file for access key ids: a file that may hold one keeps its text.
  const texts = new FileTexts(ACCESS_KEY_PREFIXES);
  // Listed synchronously, like the files are read: awaiting a directory listing per module
  // left the process idle, waiting on the thread pool, longer than listing took.
  const parsedDirs = new Map<string, ParsedFile[]>();
  const readDir = (dir: string): ParsedFile[] => {
    let parsed = parsedDirs.get(dir);
    if (!parsed) {
      parsed = readdirSync(dir)
        .filter((name) => name.endsWith(".tf"))
        .sort()
        .map((name) => {
          const file = path.join(dir, name);
          const { body, text } = parseHclFileSync(file, options);
          texts.add(file, text, body);
          return { file, body };
        });
      parsedDirs.set(dir, parsed);
    }
    return parsed;
  };

  const instances: ModuleInstance[] = [];
  const load = async (dir: string, rootDir: string, address: string, call: HclBody | null, parent: ModuleInstance | null, depth: number) => {
    const files = dir === environment.dir ? environment.files : readDir(dir);
    if (dir === environment.dir) for (const { file, body } of files) texts.add(file, readFileSync(file, "utf8"), body);
    const instance: ModuleInstance = {
      address,
      dir,
      rootDir,
      treeRoot: environment.root,
      files,
      call,
      parent,
      children: new Map(),
      locals: Object.assign({}, ...blocksOf(files, "locals").map(({ body }) => body)) as HclBody,
      variables: new Map(labeledBlocksOf(files, "variable").map(({ label, body }) => [label, body])),
      outputs: new Map(labeledBlocksOf(files, "output").map(({ label, body }) => [label, body])),
    };
    instances.push(instance);
    if (depth >= MAX_MODULE_DEPTH) return instance;
    for (const { label, body } of labeledBlocksOf(files, "module")) {
      const source = body["source"];
      // Registry and git modules are not read here; the plan rules see what they create.
      if (typeof source !== "string" || !(source.startsWith("./") || source.startsWith("../"))) continue;
      const childDir = path.resolve(dir, source);
      // A module that calls itself, directly or through others, would never end: terraform refuses it too.
      if (isAncestorDir(instance, childDir) || !(await isDirectory(childDir))) continue;
      const childAddress = `${address ? `${address}.` : ""}module.${label}`;
      instance.children.set(label, await load(childDir, rootDir, childAddress, body, instance, depth + 1));
    }
    return instance;
  };

  const roots: ModuleInstance[] = [];
  for (const dir of rootDirs) roots.push(await load(dir, dir, "", null, null, 0));
  return { environment, roots, instances, accounts: await readAccounts(environment.root, options), texts };
}

function isAncestorDir(instance: ModuleInstance, dir: string): boolean {
  for (let current: ModuleInstance | null = instance; current; current = current.parent) if (current.dir === dir) return true;
  return false;
}

async function isDirectory(dir: string): Promise<boolean> {
  // Synchronous, like the file reads of the parse cache: a promise per module call costs more than the stat.
  try {
    return statSync(dir).isDirectory();
  } catch {
    return false; // absent, or a path through a file: not a module directory either way
  }
}

/** Every environment's account id, read leniently: one broken environment must not hide the others. */
async function readAccounts(root: string, options: ReadOptions): Promise<PolicyTree["accounts"]> {
  const names = await listEnvironments(root);
  const found = await Promise.all(
    names.map(async (env) => {
      const files = await parseDirectory(path.join(root, "envs", env), options).catch(() => []);
      const facts = blocksOf(files, "locals").find(({ body }) => typeof body["account_id"] === "string");
      return facts ? [{ env, accountId: facts.body["account_id"] as string, file: facts.file }] : [];
    }),
  );
  return found.flat();
}

// ---------------------------------------------------------------------------------------------
// Resolving expressions: variables, locals and module outputs, as far as literals reach
// ---------------------------------------------------------------------------------------------

const WHOLE_REFERENCE = /^\$\{\s*(var|local|module)\.([\w-]+)(?:\.([\w-]+))?\s*\}$/;
const INNER_REFERENCE = /\$\{\s*(var|local)\.([\w-]+)\s*\}/g;
const MAX_RESOLVE_DEPTH = 32;

export interface Resolved {
  value: unknown;
  /** The instance the value's expression was written in (references in it are relative to it). */
  instance: ModuleInstance;
}

/**
 * What one expression resolved to. Every resource of a module asks for the same `var.` and
 * `local.` chains, so each instance remembers its expressions' resolutions. The depth limit
 * (a cycle guard) makes a resolution depend on the depth it starts at: a remembered one serves
 * only where it would not have been cut, and one that was cut is never remembered.
 */
interface Resolution extends Resolved {
  /** How many references deep it went below the expression itself. */
  reach: number;
  /** Stopped by the depth limit (a cycle, or a chain longer than the limit). */
  cut: boolean;
}

const resolutionsByInstance = new WeakMap<ModuleInstance, Map<string, Resolution>>();

function isExpression(value: unknown): value is string {
  return typeof value === "string" && value.includes("${");
}

/**
 * Follows `var.x` to the calling module's argument (or the default), `local.x` to its local and
 * `module.m.o` to the child's output, and fills `${var.x}` in templates where the value is a
 * literal. Anything else stays an expression string.
 */
export function resolve(instance: ModuleInstance, value: unknown): Resolved {
  return isExpression(value) ? resolveExpression(instance, value, 0) : { value, instance };
}

function resolveExpression(instance: ModuleInstance, expression: string, depth: number): Resolution {
  if (depth > MAX_RESOLVE_DEPTH) return { value: expression, instance, reach: 0, cut: true };
  if (!mayResolve(expression)) return { value: expression, instance, reach: 0, cut: false };
  let resolutions = resolutionsByInstance.get(instance);
  if (!resolutions) {
    resolutions = new Map();
    resolutionsByInstance.set(instance, resolutions);
  }
  const known = resolutions.get(expression);
  if (known && depth + known.reach <= MAX_RESOLVE_DEPTH) return known;
  const resolution = resolveUncached(instance, expression, depth);
  if (!resolution.cut) resolutions.set(expression, resolution);
  return resolution;
}

/**
 * Whether resolving can change an expression: only `var.`, `local.` and `module.` references are
 * followed, and most expressions (`${aws_x.y.id}`, function calls) have none.
 */
function mayResolve(expression: string): boolean {
  return expression.includes("var.") || expression.includes("local.") || expression.includes("module.");
}

/** One hop further: what `value`, written in `instance`, resolves to, as seen one level up. */
function hop(instance: ModuleInstance, value: unknown, depth: number): Resolution {
  if (!isExpression(value)) return { value, instance, reach: 0, cut: false };
  const next = resolveExpression(instance, value, depth + 1);
  return { value: next.value, instance: next.instance, reach: next.reach + 1, cut: next.cut };
}

function resolveUncached(instance: ModuleInstance, expression: string, depth: number): Resolution {
  const whole = expression.startsWith("${") && expression.endsWith("}") ? WHOLE_REFERENCE.exec(expression) : null; // no pattern run on a template
  if (whole) {
    const [, kind, name = "", attribute] = whole;
    if (kind === "var" && attribute === undefined) {
      if (instance.call && name in instance.call && instance.parent) return hop(instance.parent, instance.call[name], depth);
      const variable = instance.variables.get(name);
      if (variable && "default" in variable) return hop(instance, variable["default"], depth);
    } else if (kind === "local" && attribute === undefined && name in instance.locals) {
      return hop(instance, instance.locals[name], depth);
    } else if (kind === "module" && attribute !== undefined) {
      const child = instance.children.get(name);
      const output = child?.outputs.get(attribute);
      if (child && output && "value" in output) return hop(child, output["value"], depth);
    }
    return { value: expression, instance, reach: 0, cut: false };
  }
  let reach = 0;
  let cut = false;
  const filled = expression.replace(INNER_REFERENCE, (text, kind: string, name: string) => {
    const inner = hop(instance, `\${${kind}.${name}}`, depth);
    reach = Math.max(reach, inner.reach);
    cut ||= inner.cut;
    const value = inner.value;
    return typeof value === "string" && !value.includes("${") ? value : typeof value === "number" || typeof value === "boolean" ? String(value) : text;
  });
  return { value: filled, instance, reach, cut };
}

// ---------------------------------------------------------------------------------------------
// Evaluating expressions: what terraform would compute, as far as the HCL alone tells
// ---------------------------------------------------------------------------------------------

const MAX_EVALUATION_DEPTH = 32;
let evaluationDepth = 0;
const lookups = new WeakMap<ModuleInstance, Lookup>();

/**
 * How an instance's expressions see `var.`, `local.` and `module.`: a variable is the caller's
 * argument (evaluated where the call is written) or its default, with the `optional()` defaults
 * of its type applied; `nullable = false` turns a null argument into the default. Each answer is
 * remembered; a reference cycle (or a chain deeper than the limit) is unknown.
 */
export function lookupIn(instance: ModuleInstance): Lookup {
  let lookup = lookups.get(instance);
  if (lookup) return lookup;
  const known = new Map<string, unknown>();
  lookup = (kind, name) => {
    if (kind === "iterator") return UNKNOWN;
    if (kind === "path" || kind === "file" || kind === "fileset") return readTree(instance, kind, name);
    const key = `${kind}.${name}`;
    if (known.has(key)) return known.get(key);
    if (evaluationDepth >= MAX_EVALUATION_DEPTH) return UNKNOWN;
    evaluationDepth += 1;
    let value: unknown = UNKNOWN;
    try {
      value = lookUp(instance, kind, name);
    } finally {
      evaluationDepth -= 1;
    }
    known.set(key, value);
    return value;
  };
  lookups.set(instance, lookup);
  return lookup;
}

function lookUp(instance: ModuleInstance, kind: "var" | "local" | "module", name: string): unknown {
  if (kind === "local") return name in instance.locals ? evaluateDeep(instance.locals[name], lookupIn(instance)) : UNKNOWN;
  if (kind === "module") {
    const [childName = "", output = ""] = name.split(".");
    const child = instance.children.get(childName);
    const body = child?.outputs.get(output);
    return child && body && "value" in body ? evaluateDeep(body["value"], lookupIn(child)) : UNKNOWN;
  }
  const variable = instance.variables.get(name);
  const hasDefault = variable !== undefined && "default" in variable;
  let value: unknown = UNKNOWN;
  if (instance.call && name in instance.call && instance.parent) value = evaluateDeep(instance.call[name], lookupIn(instance.parent));
  else if (hasDefault) value = evaluateDeep(variable["default"], lookupIn(instance));
  if (value === null && hasDefault && variable["nullable"] === false) value = evaluateDeep(variable["default"], lookupIn(instance));
  return variable ? applyTypeDefaults(value, variable["type"], lookupIn(instance)) : value;
}

/**
 * What terraform's path and file functions see, read from the committed tree: `path.module` is
 * the instance's directory, `path.root` and `path.cwd` its root's. A path outside the tree, a
 * file that cannot be read, or a glob beyond `*` and `?` within a segment, is UNKNOWN.
 */
function readTree(instance: ModuleInstance, kind: "path" | "file" | "fileset", name: string): unknown {
  if (kind === "path") return name === "module" ? instance.dir : name === "root" || name === "cwd" ? instance.rootDir : UNKNOWN;
  const inTree = (target: string) => {
    const relative = path.relative(instance.treeRoot, target);
    return relative === "" || (!relative.startsWith("..") && !path.isAbsolute(relative));
  };
  try {
    if (kind === "file") {
      const file = path.resolve(instance.rootDir, name);
      return inTree(file) ? readFileSync(file, "utf8") : UNKNOWN;
    }
    const [dir, pattern] = JSON.parse(name) as [string, string];
    const base = path.resolve(instance.rootDir, dir);
    if (!inTree(base) || /\*\*|[[{\\]/.test(pattern)) return UNKNOWN;
    let matches = [""];
    for (const segment of pattern.split("/").filter((part) => part !== "" && part !== ".")) {
      const wanted = new RegExp(`^${segment.replace(/[.+^${}()|\]\\]/g, "\\$&").replaceAll("*", "[^/]*").replaceAll("?", "[^/]")}$`);
      matches = matches.flatMap((prefix) => {
        const at = path.join(base, prefix);
        return statSync(at).isDirectory() ? readdirSync(at).filter((entry) => wanted.test(entry)).map((entry) => (prefix ? `${prefix}/${entry}` : entry)) : [];
      });
    }
    return matches.filter((match) => match !== "" && statSync(path.join(base, match)).isFile()).sort();
  } catch {
    return UNKNOWN;
  }
}

/** Whether a resource or module block makes anything: `count` of 0 or an empty `for_each` makes nothing. */
type Existence = "present" | "absent" | "unknown";

function existenceOf(body: HclBody, lookup: Lookup): Existence {
  if ("count" in body) {
    const count = evaluateValue(body["count"], lookup);
    return typeof count === "number" ? (count > 0 ? "present" : "absent") : "unknown";
  }
  if ("for_each" in body) {
    const each = evaluateDeep(body["for_each"], lookup);
    if (Array.isArray(each)) return each.length > 0 ? "present" : "absent";
    if (typeof each === "object" && each !== null) return Object.keys(each).length > 0 ? "present" : "absent";
    return "unknown";
  }
  return "present";
}

const instanceExistence = new WeakMap<ModuleInstance, Existence>();

/** A module instance exists where its call and every call above it do. */
function instanceExists(instance: ModuleInstance): Existence {
  let existence = instanceExistence.get(instance);
  if (existence) return existence;
  if (!instance.call || !instance.parent) existence = "present";
  else {
    const above = instanceExists(instance.parent);
    const own = existenceOf(instance.call, lookupIn(instance.parent));
    existence = above === "absent" || own === "absent" ? "absent" : above === "unknown" || own === "unknown" ? "unknown" : "present";
  }
  instanceExistence.set(instance, existence);
  return existence;
}

/** A resolved value as rules see it: expressions left over are unknown before a plan. */
function known(value: unknown): unknown {
  return typeof value === "string" && value.includes("${") ? UNKNOWN : value;
}

// ---------------------------------------------------------------------------------------------
// Resources as PolicyResource views
// ---------------------------------------------------------------------------------------------

/** Every `resource` block of every instance (data sources are not resources to keep promises about). */
export function hclResources(tree: PolicyTree): PolicyResource[] {
  const resources: PolicyResource[] = [];
  for (const instance of tree.instances) {
    const moduleExists = instanceExists(instance);
    if (moduleExists === "absent") continue;
    for (const { file, body } of instance.files) {
      const group = body["resource"];
      if (typeof group !== "object" || group === null) continue;
      for (const type in group) {
        const byName = (group as HclBody)[type];
        if (typeof byName !== "object" || byName === null) continue;
        for (const name in byName) {
          const bodies = (byName as HclBody)[name]; // asBodies, without a filtered copy per resource
          if (!Array.isArray(bodies)) continue;
          for (const resourceBody of bodies) {
            if (typeof resourceBody !== "object" || resourceBody === null) continue;
            const exists = moduleExists === "present" ? existenceOf(resourceBody as HclBody, lookupIn(instance)) : existsUnlessAbsent(resourceBody as HclBody, instance);
            if (exists === "absent") continue;
            resources.push(new HclResource(tree.texts, instance, file, type, name, resourceBody as HclBody, exists === "unknown"));
          }
        }
      }
    }
  }
  return resources;
}

/** In a module whose own existence is unknown: absent if its count says so, else unknown. */
function existsUnlessAbsent(body: HclBody, instance: ModuleInstance): Existence {
  return existenceOf(body, lookupIn(instance)) === "absent" ? "absent" : "unknown";
}

/** An HCL resource's attribute in each of its for_each instances (see HclResource.byInstance); UNKNOWN for a plan's resource. */
export function valuesByInstance(resource: PolicyResource, attribute: string): Map<string, unknown> | Unknown {
  return resource instanceof HclResource ? resource.byInstance(attribute) : UNKNOWN;
}

/** What a path holds where nothing is there: shared, as most resources lack most attributes. */
const NOTHING: readonly never[] = Object.freeze([]);
const NO_PAIRS: unknown[] = NOTHING as never[];

/**
 * A resource block as the rules see it. A class, not an object of closures: a thousand-file tree
 * has thousands of resources, and most of them are asked for a few paths only.
 */
class HclResource implements PolicyResource {
  /** Found only when a finding needs a line (most resources never do): undefined = not found, null = not looked up. */
  private blockStart: number | undefined | null = null;
  /**
   * Rules that pair resources (a route table and its associations) ask each one what it refers
   * to again and again: references, the costliest view, are kept. Values are not: with the
   * instances' resolutions remembered, walking a path again costs less than keeping every view.
   */
  private referencesByPath: Map<string, readonly ResourceRef[]> | undefined;

  constructor(
    private readonly texts: PolicyTree["texts"],
    private readonly instance: ModuleInstance,
    readonly file: string,
    readonly type: string,
    readonly name: string,
    private readonly body: HclBody,
    /** count/for_each the HCL cannot resolve: it may not exist, so its findings are left to the plan. */
    readonly uncertain = false,
  ) {}

  // Getters, not fields: made for every resource, asked for of few (a finding's address).
  get module(): string {
    return this.instance.address;
  }

  get address(): string {
    return `${this.instance.address ? `${this.instance.address}.` : ""}${this.type}.${this.name}`;
  }

  values(pathText: string): unknown[] {
    const found = this.walk(pathText);
    if (found.length === 0) return NOTHING as never[];
    const values: unknown[] = [];
    for (let index = 0; index < found.length; index += 2) {
      const value = found[index];
      const at = found[index + 1] as ModuleInstance;
      if (value === UNKNOWN) {
        values.push(UNKNOWN);
        continue;
      }
      const evaluated = evaluateDeep(value, lookupIn(at));
      // null is what terraform reads as "not set": the provider's default applies, as when absent
      if (evaluated === null) continue;
      if (evaluated !== UNKNOWN) {
        values.push(evaluated);
        continue;
      }
      const resolved = resolve(at, value);
      values.push(Array.isArray(resolved.value) ? resolved.value.map((item) => known(resolve(resolved.instance, item).value)) : known(resolved.value));
    }
    return values;
  }

  sources(pathText: string): string[] {
    const found = this.walk(pathText);
    const sources: string[] = [];
    for (let index = 0; index < found.length; index += 2) {
      const resolved = resolve(found[index + 1] as ModuleInstance, found[index]).value;
      if (typeof resolved === "string") sources.push(resolved);
    }
    return sources;
  }

  references(pathText: string): ResourceRef[] {
    const remembered = this.referencesByPath?.get(pathText);
    if (remembered) return remembered as ResourceRef[];
    const found = this.walk(pathText);
    if (found.length === 0) return NOTHING as never[];
    const references: ResourceRef[] = [];
    for (let index = 0; index < found.length; index += 2) {
      for (const reference of referencesOf(found[index + 1] as ModuleInstance, found[index])) references.push(reference);
    }
    // Frozen: every later caller shares it.
    const view = references.length === 0 ? NOTHING : Object.freeze(references);
    (this.referencesByPath ??= new Map()).set(pathText, view);
    return view as ResourceRef[];
  }

  lineOf(pathText: string): number | undefined {
    const text = this.texts.get(this.file) ?? "";
    if (this.blockStart === null) this.blockStart = findBlock(text, `resource\\s+"${escapeRegExp(this.type)}"\\s+"${escapeRegExp(this.name)}"`);
    const blockStart = this.blockStart;
    if (blockStart === undefined) return undefined;
    const last = pathText.split(".").at(-1) ?? pathText;
    const blockEnd = text.indexOf("\n}", blockStart);
    const block = text.slice(blockStart, blockEnd === -1 ? undefined : blockEnd);
    const match = new RegExp(`^\\s*${escapeRegExp(last)}\\s*(=|\\{)`, "m").exec(block);
    return match ? lineAt(text, blockStart + match.index + (match[0].length - match[0].trimStart().length)) : lineAt(text, blockStart);
  }

  /**
   * A top-level attribute's value in each instance `for_each` makes, by key, with `each.key` and
   * `each.value` bound (`{ "": value }` without for_each); UNKNOWN where for_each is.
   */
  byInstance(attribute: string): Map<string, unknown> | Unknown {
    const outer = lookupIn(this.instance);
    if (!("for_each" in this.body)) return new Map([["", evaluateDeep(this.body[attribute], outer)]]);
    const each = evaluateDeep(this.body["for_each"], outer);
    let bindings: Array<[string, unknown]>;
    if (Array.isArray(each) && each.every((item) => typeof item === "string")) bindings = (each as string[]).map((item) => [item, item]);
    else if (typeof each === "object" && each !== null && !Array.isArray(each)) bindings = Object.entries(each);
    else return UNKNOWN;
    return new Map(
      bindings.map(([key, value]) => {
        const lookup: Lookup = (kind, name) => (kind === "iterator" && name === "each" ? { key, value } : outer(kind, name));
        return [key, evaluateDeep(this.body[attribute], lookup)];
      }),
    );
  }

  /** The values at a path and the instance each was written in, as pairs: `[value, instance, value, instance, ...]`. */
  private walk(pathText: string): unknown[] {
    if (!pathText.includes(".") && !("dynamic" in this.body)) {
      // An attribute of the block itself, as most rules ask for: no path to walk.
      return pathText in this.body ? [this.body[pathText], this.instance] : NO_PAIRS;
    }
    const found: unknown[] = [];
    walkPath(this.body, this.instance, segmentsOf(pathText), 0, found);
    return found;
  }
}

/**
 * Adds the values at `segments[index..]` below `value` (written in `instance`) to `found`, each
 * with its instance: a list of blocks on the way contributes each block, an expression holding
 * a whole object is unknown, an absent attribute contributes nothing. In the order written.
 */
function walkPath(value: unknown, instance: ModuleInstance, segments: readonly string[], index: number, found: unknown[]): void {
  if (index === segments.length) {
    found.push(value, instance);
    return;
  }
  const { value: holders, instance: at } = resolve(instance, value);
  if (!Array.isArray(holders)) {
    stepInto(holders, at, segments, index, found);
    return;
  }
  for (let item = 0; item < holders.length; item += 1) stepInto(holders[item], at, segments, index, found);
}

function stepInto(holder: unknown, instance: ModuleInstance, segments: readonly string[], index: number, found: unknown[]): void {
  const { value, instance: at } = resolve(instance, holder);
  const segment = segments[index] as string;
  if (typeof value === "object" && value !== null && !Array.isArray(value)) {
    if (segment in value) walkPath((value as HclBody)[segment], at, segments, index + 1, found);
    const dynamic = (value as HclBody)["dynamic"];
    if (typeof dynamic === "object" && dynamic !== null && segment in dynamic) {
      for (const generated of generatedBlocks((dynamic as HclBody)[segment], segment, at)) walkPath(generated, at, segments, index + 1, found);
    }
  } else if (isExpression(value)) {
    walkPath(UNKNOWN, at, segments, index + 1, found); // a whole object as one expression
  }
}

/**
 * The blocks `dynamic "NAME" { for_each = ...; content { ... } }` generates, as blocks written
 * out: one per element of a for_each HCL can evaluate (none for an empty one), with the iterator
 * (`NAME.key`, `NAME.value`, or the `iterator` given) filled in where it can be; one block whose
 * iterator is unknown where for_each cannot be evaluated.
 */
function generatedBlocks(dynamics: unknown, name: string, instance: ModuleInstance): HclBody[] {
  const blocks: HclBody[] = [];
  for (const dynamic of Array.isArray(dynamics) ? dynamics : []) {
    if (typeof dynamic !== "object" || dynamic === null) continue;
    const spec = dynamic as HclBody;
    const iterator = typeof spec["iterator"] === "string" ? spec["iterator"].replace(/^\$\{\s*|\s*\}$/g, "") : name;
    const contents = (Array.isArray(spec["content"]) ? spec["content"] : []).filter((content): content is HclBody => typeof content === "object" && content !== null);
    const each = evaluateDeep(spec["for_each"], lookupIn(instance));
    const bindings: unknown[] = Array.isArray(each)
      ? each.map((value, key) => ({ key, value }))
      : typeof each === "object" && each !== null
        ? Object.entries(each).map(([key, value]) => ({ key, value }))
        : [UNKNOWN];
    for (const binding of bindings) {
      const outer = lookupIn(instance);
      const lookup: Lookup = (kind, lookedUp) => (kind === "iterator" ? (lookedUp === iterator ? binding : UNKNOWN) : outer(kind, lookedUp));
      for (const content of contents) blocks.push(evaluatePartly(content, lookup) as HclBody);
    }
  }
  return blocks;
}

/** The resources an expression ends up naming, following variables and module outputs. */
function referencesOf(instance: ModuleInstance, value: unknown, depth = 0): ResourceRef[] {
  if (depth > MAX_RESOLVE_DEPTH) return [];
  if (Array.isArray(value)) return value.flatMap((item) => referencesOf(instance, item, depth + 1));
  if (typeof value !== "string" || !value.includes("${")) return [];
  const resolved = resolve(instance, value);
  if (resolved.value !== value || resolved.instance !== instance) return referencesOf(resolved.instance, resolved.value, depth + 1);
  const refs: ResourceRef[] = resourceReferencesIn(value).map((local) => ({ module: instance.address, local }));
  // `var.a` inside a larger expression (`concat(var.a, var.b)`, `[for s in var.ids : s]`); the
  // patterns are looked for only where their words occur (most expressions have neither).
  if (value.includes("var.") || value.includes("local.")) {
    for (const match of value.matchAll(/(?<![\w.])(var|local)\.([\w-]+)/g)) {
      const inner = resolve(instance, `\${${match[1]}.${match[2]}}`);
      if (inner.value !== `\${${match[1]}.${match[2]}}`) refs.push(...referencesOf(inner.instance, inner.value, depth + 1));
    }
  }
  if (!value.includes("module.")) return refs;
  for (const match of value.matchAll(/(?<![\w.])module\.([\w-]+)\.([\w-]+)/g)) {
    const child = instance.children.get(match[1] ?? "");
    const output = child?.outputs.get(match[2] ?? "");
    if (child && output) refs.push(...referencesOf(child, output["value"], depth + 1));
  }
  return refs;
}

/** Start offset of a block header matching `header` at the start of a line. */
export function findBlock(text: string, header: string): number | undefined {
  const match = new RegExp(`^[ \\t]*${header}\\s*\\{`, "m").exec(text);
  return match ? match.index + (match[0].length - match[0].trimStart().length) : undefined;
}

export function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let index = text.indexOf("\n"); index !== -1 && index < offset; index = text.indexOf("\n", index + 1)) line += 1;
  return line;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
