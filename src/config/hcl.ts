import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { $ } from "zx";
import { ConfigError } from "../errors.js";

/** hcl2-parser's JSON shape: blocks become arrays of bodies, labels become nested keys. */
export type HclBody = { readonly [key: string]: unknown };

interface Hcl2Parser {
  parseToObject(text: string): [HclBody | null, unknown];
}

let parser: Hcl2Parser | undefined;
// The parser is a 4 MB GopherJS bundle: load it only when a command reads HCL, never for --help.
function loadParser(): Hcl2Parser {
  parser ??= createRequire(import.meta.url)("hcl2-parser") as Hcl2Parser;
  return parser;
}

const parsedByContent = new Map<string, HclBody>();

export interface ParseOptions {
  /** terraform binary used to locate a syntax error, since hcl2-parser reports none. */
  terraformBinary: string;
}

/** Parses one file; the same content is parsed once per process however often it is asked for. */
export async function parseHclFile(file: string, options: ParseOptions): Promise<HclBody> {
  const text = await readFile(file, "utf8");
  const key = createHash("sha256").update(text).digest("hex");
  const cached = parsedByContent.get(key);
  if (cached) return cached;
  const [body] = loadParser().parseToObject(text);
  if (!body) throw await invalidHclError(file, options.terraformBinary);
  parsedByContent.set(key, body);
  return body;
}

async function invalidHclError(file: string, terraformBinary: string): Promise<ConfigError> {
  const where = await locateSyntaxError(file, terraformBinary);
  return new ConfigError(
    `invalid HCL in ${where ?? file}`,
    "fix the syntax there; `terraform fmt` on the file shows the same diagnostic",
  );
}

/** Asks `terraform fmt` where the error is: "file line N: summary", or undefined if it cannot say. */
export async function locateSyntaxError(file: string, terraformBinary: string): Promise<string | undefined> {
  const out = await $({ quiet: true, nothrow: true, cwd: path.dirname(file) })`${terraformBinary} fmt -check -no-color ${path.basename(file)}`;
  const summary = /^Error: (.+)$/m.exec(out.stderr)?.[1];
  const line = /on .+ line (\d+)/.exec(out.stderr)?.[1];
  if (!line) return undefined;
  return `${file} line ${line}${summary ? `: ${summary}` : ""}`;
}

/** Every body of a top-level block type across the parsed files, with the file it came from. */
export function blocksOf(files: readonly ParsedFile[], type: string): Array<{ file: string; body: HclBody }> {
  return files.flatMap(({ file, body }) => asBodies(body[type]).map((block) => ({ file, body: block })));
}

export interface ParsedFile {
  file: string;
  body: HclBody;
}

export function asBodies(value: unknown): HclBody[] {
  if (!Array.isArray(value)) return [];
  return value.filter((item): item is HclBody => typeof item === "object" && item !== null);
}
