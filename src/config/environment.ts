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
  /** The environment root terraform runs in: `<root>/envs/<name>`. */
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
  const dir = path.join(envsDir(root), name);
  const files = await parseDirectory(dir, options);
  if (files.length === 0) {
    throw new ConfigError(`environment root ${dir} has no .tf files`, `add the environment's configuration and its ${FACTS_FILE}`);
  }
  const { facts, file: factsFile } = readFacts(files, dir);
  const environment: Environment = {
    name,
    root,
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
  const declaredName = requireString(facts, "environment", factsFile);
  if (declaredName !== name) {
    throw new ConfigError(
      `${factsFile} says environment = "${declaredName}" but lives in envs/${name}`,
      `set environment = "${name}" or move the folder`,
    );
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
