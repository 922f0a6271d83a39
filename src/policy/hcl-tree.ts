import { statSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { listEnvironments, parseDirectory, type Environment, type ReadOptions } from "../config/environment.js";
import { asBodies, blocksOf, labeledBlocksOf, parseHclFileWithText, type HclBody, type ParsedFile } from "../config/hcl.js";
import { resourceReferencesIn, UNKNOWN, type PolicyResource, type ResourceRef } from "./resources.js";

/**
 * An environment as the static rules see it: every root that belongs to it (`envs/<env>` and,
 * where it exists, `bootstrap/<env>`, which makes the state bucket), each with the local
 * modules it calls, as instances (a module called twice is two instances with their own inputs).
 */
export interface PolicyTree {
  environment: Pick<Environment, "name" | "root" | "dir" | "factsFile" | "region" | "accountId" | "backend">;
  roots: ModuleInstance[];
  /** Every instance, roots first then depth-first. */
  instances: ModuleInstance[];
  /** Account id of every environment under envs/, by name, with the file that says it. */
  accounts: Array<{ env: string; accountId: string; file: string }>;
  /** File text by path, for line numbers. */
  texts: ReadonlyMap<string, string>;
}

export interface ModuleInstance {
  /** Module address: "" for a root, `module.platform.module.eks` below it. */
  address: string;
  dir: string;
  /** The root this instance belongs to. */
  rootDir: string;
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
  const texts = new Map<string, string>();
  const parsedDirs = new Map<string, Promise<ParsedFile[]>>();
  const readDir = (dir: string): Promise<ParsedFile[]> => {
    let parsed = parsedDirs.get(dir);
    if (!parsed) {
      parsed = readdir(dir).then((names) =>
        Promise.all(
          names
            .filter((name) => name.endsWith(".tf"))
            .sort()
            .map(async (name) => {
              const file = path.join(dir, name);
              const { body, text } = await parseHclFileWithText(file, options);
              texts.set(file, text);
              return { file, body };
            }),
        ),
      );
      parsedDirs.set(dir, parsed);
    }
    return parsed;
  };

  const instances: ModuleInstance[] = [];
  const load = async (dir: string, rootDir: string, address: string, call: HclBody | null, parent: ModuleInstance | null, depth: number) => {
    const files = dir === environment.dir ? environment.files : await readDir(dir);
    if (dir === environment.dir) await Promise.all(files.map(async ({ file }) => texts.set(file, await readFile(file, "utf8"))));
    const instance: ModuleInstance = {
      address,
      dir,
      rootDir,
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

  const rootDirs = [environment.dir];
  const bootstrap = path.join(environment.root, "bootstrap", environment.name);
  if (await isDirectory(bootstrap)) rootDirs.push(bootstrap);
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
 * Follows `var.x` to the calling module's argument (or the default), `local.x` to its local and
 * `module.m.o` to the child's output, and fills `${var.x}` in templates where the value is a
 * literal. Anything else stays an expression string.
 */
export function resolve(instance: ModuleInstance, value: unknown, depth = 0): Resolved {
  if (typeof value !== "string" || !value.includes("${") || depth > MAX_RESOLVE_DEPTH) return { value, instance };
  const whole = WHOLE_REFERENCE.exec(value);
  if (whole) {
    const [, kind, name = "", attribute] = whole;
    if (kind === "var" && attribute === undefined) {
      if (instance.call && name in instance.call && instance.parent) return resolve(instance.parent, instance.call[name], depth + 1);
      const variable = instance.variables.get(name);
      if (variable && "default" in variable) return resolve(instance, variable["default"], depth + 1);
      return { value, instance };
    }
    if (kind === "local" && attribute === undefined && name in instance.locals) return resolve(instance, instance.locals[name], depth + 1);
    if (kind === "module" && attribute !== undefined) {
      const child = instance.children.get(name);
      const output = child?.outputs.get(attribute);
      if (child && output && "value" in output) return resolve(child, output["value"], depth + 1);
    }
    return { value, instance };
  }
  const filled = value.replace(INNER_REFERENCE, (text, kind: string, name: string) => {
    const inner = resolve(instance, `\${${kind}.${name}}`, depth + 1).value;
    return typeof inner === "string" && !inner.includes("${") ? inner : typeof inner === "number" || typeof inner === "boolean" ? String(inner) : text;
  });
  return { value: filled, instance };
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
  return tree.instances.flatMap((instance) =>
    instance.files.flatMap(({ file, body }) => {
      const group = body["resource"];
      if (typeof group !== "object" || group === null) return [];
      return Object.entries(group as HclBody).flatMap(([type, byName]) =>
        typeof byName !== "object" || byName === null
          ? []
          : Object.entries(byName as HclBody).flatMap(([name, bodies]) =>
              asBodies(bodies).map((resourceBody) => new HclResource(tree.texts.get(file) ?? "", instance, file, type, name, resourceBody)),
            ),
      );
    }),
  );
}

/**
 * A resource block as the rules see it. A class, not an object of closures: a thousand-file tree
 * has thousands of resources, and most of them are asked for a few paths only.
 */
class HclResource implements PolicyResource {
  readonly module: string;
  readonly address: string;
  /** Found only when a finding needs a line (most resources never do): undefined = not found, null = not looked up. */
  private blockStart: number | undefined | null = null;
  // Several rules ask every resource for the same paths (region, tags, ...): each is resolved once.
  private valuesByPath: Map<string, unknown[]> | undefined;
  private sourcesByPath: Map<string, string[]> | undefined;
  private referencesByPath: Map<string, ResourceRef[]> | undefined;

  constructor(
    private readonly text: string,
    private readonly instance: ModuleInstance,
    readonly file: string,
    readonly type: string,
    readonly name: string,
    private readonly body: HclBody,
  ) {
    this.module = instance.address;
    this.address = `${instance.address ? `${instance.address}.` : ""}${type}.${name}`;
  }

  values(pathText: string): unknown[] {
    this.valuesByPath ??= new Map();
    return memo(this.valuesByPath, pathText, () =>
      this.walk(pathText).flatMap(({ value, instance: at }) => {
        if (value === UNKNOWN) return [UNKNOWN];
        const resolved = resolve(at, value);
        if (Array.isArray(resolved.value)) return [resolved.value.map((item) => known(resolve(resolved.instance, item).value))];
        return [known(resolved.value)];
      }),
    );
  }

  sources(pathText: string): string[] {
    this.sourcesByPath ??= new Map();
    return memo(this.sourcesByPath, pathText, () =>
      this.walk(pathText).flatMap(({ value, instance: at }) => {
        const resolved = resolve(at, value).value;
        return typeof resolved === "string" ? [resolved] : [];
      }),
    );
  }

  references(pathText: string): ResourceRef[] {
    this.referencesByPath ??= new Map();
    return memo(this.referencesByPath, pathText, () => this.walk(pathText).flatMap(({ value, instance: at }) => referencesOf(at, value)));
  }

  lineOf(pathText: string): number | undefined {
    const { text } = this;
    if (this.blockStart === null) this.blockStart = findBlock(text, `resource\\s+"${escapeRegExp(this.type)}"\\s+"${escapeRegExp(this.name)}"`);
    const blockStart = this.blockStart;
    if (blockStart === undefined) return undefined;
    const last = pathText.split(".").at(-1) ?? pathText;
    const blockEnd = text.indexOf("\n}", blockStart);
    const block = text.slice(blockStart, blockEnd === -1 ? undefined : blockEnd);
    const match = new RegExp(`^\\s*${escapeRegExp(last)}\\s*(=|\\{)`, "m").exec(block);
    return match ? lineAt(text, blockStart + match.index + (match[0].length - match[0].trimStart().length)) : lineAt(text, blockStart);
  }

  private walk(pathText: string): Resolved[] {
    let current: Resolved[] = [{ value: this.body, instance: this.instance }];
    for (const segment of pathText.split(".")) {
      const next: Resolved[] = [];
      for (const item of current) {
        const resolved = resolve(item.instance, item.value);
        const holders = Array.isArray(resolved.value) ? resolved.value : [resolved.value];
        for (const holder of holders) {
          const held = resolve(resolved.instance, holder);
          if (typeof held.value === "object" && held.value !== null && !Array.isArray(held.value) && segment in held.value) {
            next.push({ value: (held.value as HclBody)[segment], instance: held.instance });
          } else if (typeof held.value === "string" && held.value.includes("${")) {
            next.push({ value: UNKNOWN, instance: held.instance }); // a whole object as one expression
          }
        }
      }
      current = next;
    }
    return current;
  }
}

/** `compute` once per path; the arrays are frozen, since every later caller shares them. */
function memo<T>(byPath: Map<string, T[]>, pathText: string, compute: () => T[]): T[] {
  let result = byPath.get(pathText);
  if (!result) {
    result = Object.freeze(compute()) as T[];
    byPath.set(pathText, result);
  }
  return result;
}

/** The resources an expression ends up naming, following variables and module outputs. */
function referencesOf(instance: ModuleInstance, value: unknown, depth = 0): ResourceRef[] {
  if (depth > MAX_RESOLVE_DEPTH) return [];
  if (Array.isArray(value)) return value.flatMap((item) => referencesOf(instance, item, depth + 1));
  if (typeof value !== "string" || !value.includes("${")) return [];
  const resolved = resolve(instance, value);
  if (resolved.value !== value || resolved.instance !== instance) return referencesOf(resolved.instance, resolved.value, depth + 1);
  const refs: ResourceRef[] = resourceReferencesIn(value).map((local) => ({ module: instance.address, local }));
  // `var.a` inside a larger expression (`concat(var.a, var.b)`, `[for s in var.ids : s]`)
  for (const match of value.matchAll(/(?<![\w.])(var|local)\.([\w-]+)/g)) {
    const inner = resolve(instance, `\${${match[1]}.${match[2]}}`);
    if (inner.value !== `\${${match[1]}.${match[2]}}`) refs.push(...referencesOf(inner.instance, inner.value, depth + 1));
  }
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
