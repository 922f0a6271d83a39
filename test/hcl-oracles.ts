/**
 * The judges the HCL parser is tested against: terraform 1.11.4 itself on acceptance (`terraform
 * fmt` over a directory, one process for any number of files), hcl2-parser (HCL 2.10) on the JSON
 * shape, and @cdktn/hcl2json (HCL 2.23 in WebAssembly) on the shape of syntax hcl2-parser is too
 * old to read.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";

const require = createRequire(import.meta.url);
const hcl2 = require("hcl2-parser") as { parseToObject(text: string): [unknown, unknown] };

export const TERRAFORM = process.env["INFRA_TERRAFORM"] ?? "terraform";
export const TERRAFORM_VERSION = "1.11.4";

let missing: { reason: string | undefined } | undefined;

/** Why terraform cannot judge here, or undefined where it can (asked once per test file). */
export function terraformMissing(): string | undefined {
  missing ??= { reason: askTerraformVersion() };
  return missing.reason;
}

function askTerraformVersion(): string | undefined {
  try {
    const output = execFileSync(TERRAFORM, ["version", "-json"], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    const version = JSON.parse(output) as { terraform_version?: string };
    return version.terraform_version === TERRAFORM_VERSION ? undefined : `terraform ${version.terraform_version ?? "?"} is on PATH, the judge is ${TERRAFORM_VERSION}`;
  } catch {
    return `no terraform binary (${TERRAFORM}) to judge acceptance`;
  }
}

/** One file for terraform to judge: its text, or the path of a file to read in place (linked, never copied). */
export type Judged = { name: string; text: string } | { name: string; file: string };

/**
 * The names terraform's parser refuses, from one `terraform fmt -write=false` over a temporary
 * directory holding every file as `<index>.tf` (fmt reads .tf, .tfvars and .tftest.hcl alike;
 * the suffix makes it read the others too). Also returns the wall time of that one process.
 */
export function terraformRefusals(files: readonly Judged[]): { refused: Set<string>; wallMs: number } {
  const dir = mkdtempSync(path.join(tmpdir(), "infra-fmt-judge-"));
  try {
    files.forEach((entry, index) => {
      const target = path.join(dir, `${index}.tf`);
      if ("file" in entry) symlinkSync(entry.file, target);
      else writeFileSync(target, entry.text);
    });
    const started = performance.now();
    const result = spawnSync(TERRAFORM, ["fmt", "-no-color", "-list=false", "-write=false", dir], {
      encoding: "utf8",
      env: { ...process.env, CHECKPOINT_DISABLE: "1" },
      maxBuffer: 64 * 1024 * 1024,
    });
    const wallMs = performance.now() - started;
    if (result.error) throw result.error;
    const refused = new Set<string>();
    for (const match of result.stderr.matchAll(/ on (\S+?)\.tf line \d+/g)) {
      const index = Number(path.basename(match[1] as string));
      const entry = files[index];
      if (entry) refused.add(entry.name);
    }
    // A failure that names no file would leave every file looking accepted.
    if (result.status !== 0 && refused.size === 0) throw new Error(`terraform fmt failed without naming a file:\n${result.stderr}`);
    return { refused, wallMs };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export type Outcome = { ok: true; json: string; value: unknown } | { ok: false; reason: string };

export function hcl2Parser(text: string): Outcome {
  try {
    const [body] = hcl2.parseToObject(text);
    return body ? { ok: true, json: JSON.stringify(body), value: body } : { ok: false, reason: "syntax error" };
  } catch (error) {
    return { ok: false, reason: `threw ${(error as Error).message}` };
  }
}

interface Hcl2Json {
  parse(filename: string, contents: string): Promise<Record<string, unknown>>;
}

let current: Hcl2Json | undefined;

/**
 * @cdktn/hcl2json's answer in hcl2-parser's terms: it writes a literal `${` back as `$${` (and
 * `%{` as `%%{`), where hcl2-parser keeps the string's value.
 */
export async function currentHcl(text: string): Promise<Outcome> {
  current ??= require("@cdktn/hcl2json") as Hcl2Json;
  try {
    const body = unescapeTemplates(await current.parse("main.tf", text));
    return { ok: true, json: JSON.stringify(sortKeys(body)), value: body };
  } catch (error) {
    return { ok: false, reason: (error as Error).message };
  }
}

function unescapeTemplates(value: unknown): unknown {
  if (typeof value === "string") return value.replaceAll("$${", "${").replaceAll("%%{", "%{");
  if (Array.isArray(value)) return value.map(unescapeTemplates);
  if (typeof value === "object" && value !== null) return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, unescapeTemplates(inner)]));
  return value;
}

/** Go's encoding/json order (code points), as hcl2-parser and the parser write objects. */
function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (typeof value !== "object" || value === null) return value;
  const keys = Object.keys(value).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return Object.fromEntries(keys.map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]));
}
