import type { Stats } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import path from "node:path";
import { ConfigError, RefusedError } from "../errors.js";
import { displayPath, errnoReason, isErrno } from "../fs-errors.js";
import { asBodies, blocksOf, parseHclFile, type HclBody, type ParsedFile, type ParseOptions } from "./hcl.js";

/**
 * An environment's facts, read from `<root>/envs/<name>/`. They are written once, as literals
 * in a `locals` block (by convention in environment.tf); the provider and the policies use
 * them from there, and the CLI reads them here.
 */
export interface Environment {
  name: string;
  /** The terraform tree (`--root`), holding `envs/` and `modules/`. */
  root: string;
  /** The root terraform runs in, relative to the tree: `envs/<name>`, or an account stack such as `bootstrap/<name>` or `org`. */
  stack: string;
  /**
   * An account stack (bootstrap/<env>, bootstrap/org, org, log-archive) makes what the pipeline
   * later runs as: it runs as the caller (no deploy role exists yet, and the management account
   * has none), every apply needs a person's approval, and it is never promoted through the ledger.
   */
  accountStack: boolean;
  /**
   * An account stack of the organization's management account (org, bootstrap/org, log-archive):
   * its facts name no environment under envs/, so the compliance page's promises about
   * environments do not describe it; the organization's guard-rail rules do.
   */
  management: boolean;
  /** The root terraform runs in: `<root>/<stack>`. */
  dir: string;
  /** The file holding the `locals` facts, named in every message about them. */
  factsFile: string;
  region: string;
  accountId: string;
  /** The environment whose applied plans must come before this one's, or null. */
  promotedFrom: string | null;
  /** Applies need a person's approval bound to the plan digest (`protected = true`, default false). */
  protected: boolean;
  /** A bundle older than this is refused at apply (`max_plan_age = "24h"`, the default), in ms. */
  maxPlanAgeMs: number;
  backend: Backend | null;
  /** Every .tf file of the root, parsed once, for the static policy rules. */
  files: ParsedFile[];
}

export interface Backend {
  type: string;
  file: string;
  config: HclBody;
}

export type ReadOptions = ParseOptions;

const FACT_KEYS = ["environment", "region", "account_id", "promoted_from", "protected", "max_plan_age"] as const;
export const DEFAULT_MAX_PLAN_AGE = "24h";
const FACTS_FILE = "environment.tf";
const ROOT_HINT = "run from the repository root, or pass --root DIR pointing at the terraform tree (the directory holding envs/)";
const REGION_PATTERN = /^[a-z]{2}(-gov)?-[a-z]+-\d$/;
const ACCOUNT_ID_PATTERN = /^\d{12}$/;

export function envsDir(root: string): string {
  return path.join(root, "envs");
}

/** Names of the environments under `<root>/envs`, sorted. */
export async function listEnvironments(root: string): Promise<string[]> {
  await requireTreeRoot(root);
  const dir = envsDir(root);
  await requireDirectory(
    dir,
    `environment root ${displayPath(dir)}`,
    `create ${dir}/<env>/ with an ${FACTS_FILE}, or pass --root DIR pointing at the terraform tree`,
  );
  const entries = await readdir(dir, { withFileTypes: true });
  return entries
    .filter((entry) => entry.isDirectory() && !entry.name.startsWith("."))
    .map((entry) => entry.name)
    .sort();
}

export async function readEnvironment(root: string, name: string, options: ReadOptions): Promise<Environment> {
  const known = await listEnvironments(root);
  if (!known.includes(name)) throw unknownEnvironment(root, name, known);
  return readStackRoot(root, `${ENVIRONMENT_STACKS}/${name}`, name, known, options);
}

const ENVIRONMENT_STACKS = "envs";
const BOOTSTRAP_STACKS = "bootstrap";
/** Top-level folders of the tree that are not stacks themselves. */
const NOT_STACKS = new Set([ENVIRONMENT_STACKS, BOOTSTRAP_STACKS, "modules"]);

/** Which root to plan or apply: an environment (`--env`) or any stack of the tree (`--stack`). */
export type StackChoice = { env: string; stack?: undefined } | { env?: undefined; stack: string };

export function readChosenStack(root: string, choice: StackChoice, options: ReadOptions): Promise<Environment> {
  return choice.stack !== undefined ? readStack(root, choice.stack, options) : readEnvironment(root, choice.env, options);
}

/** The stack an `--env` names: its environment root. */
export function environmentStack(env: string): string {
  return `${ENVIRONMENT_STACKS}/${env}`;
}

/**
 * Every root infra may plan, relative to the tree, sorted: `envs/<env>`, `bootstrap/<name>`, and
 * the top-level folders holding .tf files (org, log-archive). Symlinked folders are not listed: a
 * stack is a folder of the tree itself.
 */
export async function listStacks(root: string): Promise<string[]> {
  return stacksOf(root, await listEnvironments(root));
}

async function stacksOf(root: string, environmentNames: readonly string[]): Promise<string[]> {
  const environments = environmentNames.map(environmentStack);
  const folders = async (dir: string) =>
    (await readdir(dir, { withFileTypes: true }).catch(() => [])).filter((entry) => entry.isDirectory() && !entry.name.startsWith(".")).map((entry) => entry.name);
  const bootstraps = (await folders(path.join(root, BOOTSTRAP_STACKS))).map((name) => `${BOOTSTRAP_STACKS}/${name}`);
  const topLevel: string[] = [];
  for (const name of await folders(root)) {
    if (NOT_STACKS.has(name)) continue;
    if ((await readdir(path.join(root, name))).some((file) => file.endsWith(".tf"))) topLevel.push(name);
  }
  return [...environments, ...bootstraps, ...topLevel].sort();
}

/**
 * Reads the stack `stack` names (as `--stack` gives it, relative to the tree). Only a name
 * listStacks lists is accepted, compared as text: `.`, `..`, an absolute path, `envs/../org` or a
 * symlink out of the tree names no stack.
 */
export async function readStack(root: string, stack: string, options: ReadOptions): Promise<Environment> {
  const name = stack.replace(/\/+$/, "");
  const known = await listEnvironments(root);
  const stacks = await stacksOf(root, known);
  if (!stacks.includes(name)) {
    throw new ConfigError(
      `unknown stack "${stack}": there is no such root in ${displayPath(root)}`,
      `use one of: ${stacks.join(", ")} (folders of the tree, as written there)`,
    );
  }
  const [parent, folder] = name.split("/");
  // An environment's and a bootstrap stack's facts name their folder; org's stacks say theirs.
  const expectedName = parent === ENVIRONMENT_STACKS || parent === BOOTSTRAP_STACKS ? (folder ?? null) : null;
  return readStackRoot(root, name, expectedName, known, options);
}

async function readStackRoot(root: string, stack: string, expectedName: string | null, known: readonly string[], options: ReadOptions): Promise<Environment> {
  const dir = path.join(root, stack);
  const files = await parseDirectory(dir, options);
  if (files.length === 0) {
    throw new ConfigError(`${stack.startsWith(`${ENVIRONMENT_STACKS}/`) ? "environment" : "stack"} root ${dir} has no .tf files`, `add the root's configuration and its ${FACTS_FILE}`);
  }
  const { facts, file: factsFile } = readFacts(files, dir);
  const name = requireString(facts, "environment", factsFile);
  const environment: Environment = {
    name,
    root,
    stack,
    accountStack: !stack.startsWith(`${ENVIRONMENT_STACKS}/`),
    management: !known.includes(name),
    dir,
    factsFile,
    region: requireString(facts, "region", factsFile),
    accountId: requireString(facts, "account_id", factsFile),
    promotedFrom: optionalString(facts, "promoted_from", factsFile),
    protected: optionalBoolean(facts, "protected", factsFile) ?? false,
    maxPlanAgeMs: parsePlanAge(optionalString(facts, "max_plan_age", factsFile) ?? DEFAULT_MAX_PLAN_AGE, factsFile),
    backend: readBackend(files),
    files,
  };
  if (expectedName !== null && name !== expectedName) {
    throw new ConfigError(`${factsFile} says environment = "${name}" but lives in ${stack}`, `set environment = "${expectedName}" or move the folder`);
  }
  validateFacts(environment, known);
  return environment;
}

export function unknownEnvironment(root: string, name: string, known: readonly string[]): ConfigError {
  return new ConfigError(
    `unknown environment "${name}": there is no ${path.join(envsDir(root), name)}`,
    known.length > 0 ? `use one of: ${known.join(", ")}` : `no environments exist under ${envsDir(root)} yet`,
  );
}

/** Parses every .tf file directly in `dir` (not modules, not subfolders). */
export async function parseDirectory(dir: string, options: ReadOptions): Promise<ParsedFile[]> {
  const names = (await readdir(dir)).filter((name) => name.endsWith(".tf")).sort();
  return Promise.all(
    names.map(async (name) => {
      const file = path.join(dir, name);
      return { file, body: await parseHclFile(file, options) };
    }),
  );
}

function readFacts(files: readonly ParsedFile[], dir: string): { facts: HclBody; file: string } {
  const holders = blocksOf(files, "locals").filter(({ body }) => FACT_KEYS.some((key) => key in body));
  const first = holders[0];
  if (!first) {
    throw new ConfigError(
      `no environment facts in ${dir}`,
      `add ${path.join(dir, FACTS_FILE)} with locals { ${FACT_KEYS.join(", ")} }`,
    );
  }
  const holderFiles = new Set(holders.map(({ file }) => file));
  if (holders.length > 1) {
    throw new ConfigError(
      `environment facts are split over ${holders.length} locals blocks (${[...holderFiles].join(", ")})`,
      `keep ${FACT_KEYS.join(", ")} together in one locals block in ${FACTS_FILE}`,
    );
  }
  return { facts: first.body, file: first.file };
}

function readBackend(files: readonly ParsedFile[]): Backend | null {
  for (const { file, body } of blocksOf(files, "terraform")) {
    // HCP Terraform's `cloud {}` is a backend too: state that is not local.
    const cloud = asBodies(body["cloud"])[0];
    if (cloud) return { type: "cloud", file, config: cloud };
    const backends = body["backend"];
    if (typeof backends !== "object" || backends === null) continue;
    for (const [type, bodies] of Object.entries(backends)) {
      const config = asBodies(bodies)[0];
      if (config) return { type, file, config };
    }
  }
  return null;
}

function validateFacts(environment: Environment, known: readonly string[]): void {
  const { factsFile, region, accountId, promotedFrom, backend, name } = environment;
  if (!REGION_PATTERN.test(region)) {
    throw new ConfigError(`region "${region}" in ${factsFile} is not an AWS region name`, 'use a name such as "eu-central-1"');
  }
  if (!ACCOUNT_ID_PATTERN.test(accountId)) {
    throw new ConfigError(`account_id "${accountId}" in ${factsFile} is not a 12-digit AWS account id`, "write the id as a quoted 12-digit string");
  }
  if (promotedFrom !== null && (promotedFrom === name || !known.includes(promotedFrom))) {
    throw new ConfigError(
      `promoted_from = "${promotedFrom}" in ${factsFile} does not name another environment`,
      `use one of: ${known.filter((other) => other !== name).join(", ") || "(none)"}, or null`,
    );
  }
  const backendRegion = backend?.config["region"];
  if (backend && typeof backendRegion === "string" && backendRegion !== region) {
    throw new ConfigError(
      `the ${backend.type} backend in ${backend.file} keeps state in ${backendRegion}, but the environment is in ${region}`,
      `each environment's state lives in its own region: set the backend region to "${region}"`,
    );
  }
}

/** Twelve equal digits is what the templates ship with; nothing may be planned against it. */
export function isPlaceholderAccountId(accountId: string): boolean {
  return /^(\d)\1{11}$/.test(accountId);
}

/** Refuses to plan or apply an environment that still carries a placeholder account id. */
export function requireRealAccount(environment: Environment): void {
  if (isPlaceholderAccountId(environment.accountId)) {
    const bucket = environment.backend?.config["bucket"];
    const alsoBackend =
      typeof bucket === "string" && bucket.includes(environment.accountId) && environment.backend
        ? `, and the state bucket name in ${environment.backend.file}`
        : "";
    throw new RefusedError(
      `environment "${environment.name}" still has the placeholder account id ${environment.accountId}`,
      `edit ${environment.factsFile}: set account_id to the ${environment.name} AWS account's id${alsoBackend}`,
    );
  }
}

/**
 * Values the template ships with that no organisation can apply: account ids of twelve equal
 * digits, e-mail addresses of documentation domains (an account whose root address nobody reads
 * cannot be recovered), Identity Center role suffixes of zeros and the example GitHub owner.
 * One sentence per value, naming the file, for the .tf and .tfvars files directly in `dir`;
 * variable blocks are skipped (their descriptions and error messages quote examples).
 */
export async function findPlaceholders(dir: string, options: ReadOptions): Promise<string[]> {
  const names = (await readdir(dir)).filter((name) => name.endsWith(".tf") || name.endsWith(".tfvars")).sort();
  const found = new Set<string>();
  for (const name of names) {
    const file = path.join(dir, name);
    const { variable: _descriptions, ...body } = await parseHclFile(file, options);
    for (const text of stringsIn(body)) {
      for (const [, id] of text.matchAll(/(?<!\d)((\d)\2{11})(?!\d)/g)) found.add(`${file}: placeholder account id ${id}; set the real account id`);
      for (const [address] of text.matchAll(PLACEHOLDER_EMAIL)) found.add(`${file}: placeholder e-mail ${address}; set an address someone reads`);
      for (const [role] of text.matchAll(/AWSReservedSSO_[A-Za-z0-9+=,.@-]+_0{16}/g)) found.add(`${file}: placeholder Identity Center role ${role}; name the role IAM Identity Center created`);
      if (text.startsWith("example-org/")) found.add(`${file}: placeholder GitHub repository ${text}; set this repository's owner/name`);
    }
  }
  return [...found];
}

/** Documentation domains (RFC 2606): mail to them reaches nobody. */
const PLACEHOLDER_EMAIL = /[^\s@"]+@(?:[a-z0-9-]+\.)*(?:example\.(?:com|net|org)|example|invalid|test|localhost)(?![a-z0-9.-])/gi;

function* stringsIn(value: unknown): Generator<string> {
  if (typeof value === "string") yield value;
  else if (Array.isArray(value)) for (const item of value) yield* stringsIn(item);
  else if (typeof value === "object" && value !== null) for (const item of Object.values(value)) yield* stringsIn(item);
}

function requireString(facts: HclBody, key: string, file: string): string {
  const value = facts[key];
  if (typeof value !== "string" || value === "") {
    throw new ConfigError(`${key} in ${file} must be a literal string`, `write ${key} = "..." in the locals block`);
  }
  return value;
}

function optionalString(facts: HclBody, key: string, file: string): string | null {
  const value = facts[key];
  if (value === undefined || value === null) return null;
  return requireString(facts, key, file);
}

function optionalBoolean(facts: HclBody, key: string, file: string): boolean | null {
  const value = facts[key];
  if (value === undefined || value === null) return null;
  if (typeof value !== "boolean") throw new ConfigError(`${key} in ${file} must be true or false`, `write ${key} = true (without quotes)`);
  return value;
}

const AGE_UNITS_MS: Readonly<Record<string, number>> = { m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "90m", "24h", "7d" -> milliseconds. */
export function parsePlanAge(text: string, file: string): number {
  const match = /^([1-9]\d{0,4})([mhd])$/.exec(text);
  if (!match) {
    throw new ConfigError(`max_plan_age "${text}" in ${file} is not a duration`, 'write a whole number of minutes, hours or days, such as "90m", "24h" or "7d"');
  }
  return Number(match[1]) * (AGE_UNITS_MS[match[2] as string] as number);
}

/** `what` ("terraform root /x") must be a directory; says precisely what it is instead. */
async function requireDirectory(dir: string, what: string, hint: string): Promise<void> {
  const info = await stat(dir).catch((error: unknown) => error);
  if (info instanceof Error) {
    const reason = errnoReason(info);
    if (reason === null) throw info;
    throw new ConfigError(isErrno(info) && info.code === "ENOENT" ? `${what} not found` : `${what} cannot be used: ${reason}`, hint);
  }
  if (!(info as Stats).isDirectory()) throw new ConfigError(`${what} is a file, not a directory`, hint);
}

/** The terraform tree (`--root`) must be a directory; checked before anything is written under it. */
export async function requireTreeRoot(root: string): Promise<void> {
  await requireDirectory(root, `terraform root ${displayPath(root)}`, ROOT_HINT);
}
