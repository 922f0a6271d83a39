#!/usr/bin/env -S npx tsx
/**
 * Regenerates the terraform-docs block of every module README under terraform/modules/<name>/,
 * the part between <!-- BEGIN_TF_DOCS --> and <!-- END_TF_DOCS -->, from the module's own HCL:
 * Requirements (terraform and required_providers), Inputs (variables) and Outputs. Everything
 * outside the markers is left as written.
 *
 *   npm run docs                              rewrite the blocks, print the READMEs that changed
 *   npx tsx scripts/module-docs.ts --check    change nothing; exit 1 naming the stale READMEs
 *
 * The format is the one terraform-docs' markdown table renders, with two deliberate choices:
 * a multi-line type is folded onto one line (`object({ a = string, b = number })`), and a
 * default is written as the HCL literal it was declared as.
 */
import { readdir, readFile, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
// zx for the script shell (argv parsing, colour); node:fs/promises because zx's fs-extra types are loose.
import { chalk, parseArgv, path } from "zx";
import { isEntryPoint } from "./entry-point.js";
import { type HclBody, asBodies, labeledBlocksOf, parseHclFile, type ParsedFile } from "../src/config/hcl.js";
import { ConfigError, describeError, ExitCode, InfraError, UsageError } from "../src/errors.js";

export const BEGIN_MARKER = "<!-- BEGIN_TF_DOCS -->";
export const END_MARKER = "<!-- END_TF_DOCS -->";
const HINT = "run `npm run docs`";

// ---------------------------------------------------------------------------------------------
// What a module declares
// ---------------------------------------------------------------------------------------------

export interface Requirement {
  name: string;
  /** The version constraint, undefined when none is declared. */
  version: string | undefined;
}

export interface Input {
  name: string;
  description: string | undefined;
  /** The type expression as written, without hcl2-parser's "${...}" wrapper; undefined = any. */
  type: string | undefined;
  /** Present when the variable declares a default (which may be null). */
  default: { value: unknown } | undefined;
  /** `nullable = false` makes a null default required. */
  nullable: boolean;
}

export interface Output {
  name: string;
  description: string | undefined;
}

export interface ModuleDocs {
  requirements: Requirement[];
  inputs: Input[];
  outputs: Output[];
}

/** Reads every top-level *.tf file of a module, as terraform and terraform-docs do. */
export async function loadModule(dir: string): Promise<ModuleDocs> {
  const names = (await readdir(dir)).filter((name) => name.endsWith(".tf")).sort();
  const files: ParsedFile[] = [];
  for (const name of names) {
    const file = path.join(dir, name);
    files.push({ file, body: await parseHclFile(file, {}) });
  }
  return moduleFromHcl(files);
}

/** The documented parts of a module, from hcl2-parser's JSON of its files. */
export function moduleFromHcl(files: readonly ParsedFile[]): ModuleDocs {
  const requirements: Requirement[] = [];
  for (const { body } of files) {
    for (const terraform of asBodies(body.terraform)) {
      const requiredVersion = stringOf(terraform.required_version);
      if (requiredVersion !== undefined) requirements.push({ name: "terraform", version: requiredVersion });
      for (const providers of asBodies(terraform.required_providers)) {
        for (const [name, spec] of Object.entries(providers)) {
          // `aws = { source, version }`, or the legacy `aws = ">= 1.0"`.
          const version = typeof spec === "string" ? spec : isBody(spec) ? stringOf(spec.version) : undefined;
          requirements.push({ name, version });
        }
      }
    }
  }
  const inputs = unique(
    labeledBlocksOf(files, "variable").map(({ file, label, body }) => ({
      file,
      item: {
        name: label,
        description: stringOf(body.description),
        type: body.type === undefined ? undefined : unwrapExpression(String(body.type)),
        default: "default" in body ? { value: body.default } : undefined,
        nullable: body.nullable !== false,
      },
    })),
    "variable",
  );
  const outputs = unique(
    labeledBlocksOf(files, "output").map(({ file, label, body }) => ({
      file,
      item: { name: label, description: stringOf(body.description) },
    })),
    "output",
  );
  return { requirements, inputs, outputs };
}

function unique<T extends { name: string }>(found: Array<{ file: string; item: T }>, kind: string): T[] {
  const seen = new Map<string, string>();
  for (const { file, item } of found) {
    const first = seen.get(item.name);
    if (first !== undefined) {
      throw new ConfigError(`${kind} "${item.name}" is declared twice, in ${first} and ${file}`, "keep one of them");
    }
    seen.set(item.name, file);
  }
  return found.map(({ item }) => item);
}

function isBody(value: unknown): value is HclBody {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function stringOf(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

/** hcl2-parser returns expressions as "${...}"; a legacy quoted type ("string") has no wrapper. */
export function unwrapExpression(text: string): string {
  return text.startsWith("${") && text.endsWith("}") ? text.slice(2, -1) : text;
}

// ---------------------------------------------------------------------------------------------
// Rendering
// ---------------------------------------------------------------------------------------------

/** The block between the markers (without them), ending in a newline. Pure. */
export function renderDocs(module: ModuleDocs): string {
  const byName = <T extends { name: string }>(items: readonly T[]): T[] =>
    [...items].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  // terraform first, then the providers by name, as terraform-docs orders them.
  const requirements = [
    ...module.requirements.filter((r) => r.name === "terraform"),
    ...byName(module.requirements.filter((r) => r.name !== "terraform")),
  ];
  const lines: string[] = ["## Requirements", ""];
  if (requirements.length === 0) lines.push("No requirements.");
  else {
    lines.push("| Name | Version |", "|------|---------|");
    for (const r of requirements) lines.push(row([r.name, r.version === undefined ? "n/a" : cell(r.version)]));
  }

  lines.push("", "## Inputs", "");
  if (module.inputs.length === 0) lines.push("No inputs.");
  else {
    lines.push("| Name | Description | Type | Default | Required |", "|------|-------------|------|---------|:--------:|");
    for (const input of byName(module.inputs)) {
      const required = input.default === undefined || (input.default.value === null && !input.nullable);
      lines.push(
        row([
          code(input.name),
          description(input.description),
          code(formatType(input.type ?? "any")),
          input.default === undefined ? "n/a" : code(formatValue(input.default.value)),
          required ? "yes" : "no",
        ]),
      );
    }
  }

  lines.push("", "## Outputs", "");
  if (module.outputs.length === 0) lines.push("No outputs.");
  else {
    lines.push("| Name | Description |", "|------|-------------|");
    for (const output of byName(module.outputs)) lines.push(row([code(output.name), description(output.description)]));
  }
  return `${lines.join("\n")}\n`;
}

function row(cells: readonly string[]): string {
  return `| ${cells.join(" | ")} |`;
}

/** A table cell: pipes escaped (GFM splits cells before it parses code spans), newlines as <br>. */
function cell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\r?\n/g, "<br>");
}

function description(text: string | undefined): string {
  const trimmed = text?.trim();
  return trimmed ? cell(trimmed) : "n/a";
}

function code(text: string): string {
  return text.includes("`") ? `\`\` ${cell(text)} \`\`` : `\`${cell(text)}\``;
}

/**
 * A type expression on one line: comments dropped, runs of spaces collapsed, and the attributes
 * of a multi-line object joined with ", " (a trailing comma before a closing bracket dropped).
 */
export function formatType(expression: string): string {
  let out = "";
  let i = 0;
  const text = expression;
  while (i < text.length) {
    const ch = text[i] ?? "";
    if (ch === '"') {
      const end = endOfString(text, i);
      out += text.slice(i, end);
      i = end;
    } else if (ch === "#" || (ch === "/" && text[i + 1] === "/")) {
      while (i < text.length && text[i] !== "\n") i++;
    } else if (ch === "/" && text[i + 1] === "*") {
      const end = text.indexOf("*/", i + 2);
      i = end < 0 ? text.length : end + 2;
    } else if (/\s/.test(ch)) {
      let newline = false;
      for (; i < text.length && /\s/.test(text[i] ?? ""); i++) if (text[i] === "\n") newline = true;
      // Whitespace before a comment is dropped; the whitespace after it decides the separator.
      if (text[i] === "#" || (text[i] === "/" && (text[i + 1] === "/" || text[i + 1] === "*"))) continue;
      out = joinAcross(out, text[i] ?? "", newline);
    } else {
      out += ch;
      i++;
    }
  }
  return out.trim();
}

/** `out` followed by the separator that whitespace before `next` stands for. */
function joinAcross(out: string, next: string, newline: boolean): string {
  const trimmed = out.trimEnd();
  const prev = trimmed.at(-1) ?? "";
  if (prev === "" || next === "") return trimmed;
  if (!newline) return `${trimmed} `;
  const closing = next === "}" || next === "]" || next === ")";
  const base = prev === "," && closing ? trimmed.slice(0, -1) : trimmed;
  const last = base.at(-1) ?? "";
  if (last === "{" && next === "}") return base;
  if (last === "{" || next === "}") return `${base} `;
  if (last === "(" || last === "[" || next === ")" || next === "]") return base;
  if (last === ",") return `${base} `;
  return `${base}, `;
}

function endOfString(text: string, start: number): number {
  let i = start + 1;
  while (i < text.length && text[i] !== '"') i += text[i] === "\\" ? 2 : 1;
  return Math.min(i + 1, text.length);
}

/** A default as the HCL literal that declares it: "text", 1, true, null, ["a", "b"], { k = 1 }. */
export function formatValue(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (Array.isArray(value)) return `[${value.map(formatValue).join(", ")}]`;
  if (isBody(value)) {
    const entries = Object.entries(value);
    if (entries.length === 0) return "{}";
    const attrs = entries.map(([key, v]) => `${/^[A-Za-z_][A-Za-z0-9_-]*$/.test(key) ? key : JSON.stringify(key)} = ${formatValue(v)}`);
    return `{ ${attrs.join(", ")} }`;
  }
  return JSON.stringify(value) ?? "null";
}

/**
 * The README with the text between the markers replaced by `block`; everything else is kept
 * byte for byte. Throws a ConfigError naming `file` unless the markers appear once each, in order.
 */
export function replaceBlock(readme: string, block: string, file = "README.md"): string {
  const begin = readme.indexOf(BEGIN_MARKER);
  const end = readme.indexOf(END_MARKER);
  const once = (marker: string, at: number): boolean => at >= 0 && readme.indexOf(marker, at + marker.length) < 0;
  if (!once(BEGIN_MARKER, begin) || !once(END_MARKER, end) || end < begin) {
    throw new ConfigError(
      `${file} has no ${BEGIN_MARKER} ... ${END_MARKER} block (each marker once, BEGIN first)`,
      `add the two marker lines where the inputs and outputs belong, then ${HINT}`,
    );
  }
  const body = block.endsWith("\n") ? block : `${block}\n`;
  return `${readme.slice(0, begin + BEGIN_MARKER.length)}\n${body}${readme.slice(end)}`;
}

// ---------------------------------------------------------------------------------------------
// Every module under a directory
// ---------------------------------------------------------------------------------------------

export interface ReadmeUpdate {
  readme: string;
  changed: boolean;
  /** The README's text with the regenerated block. */
  text: string;
}

/** Each subdirectory holding a *.tf file is a module; its README.md must have the markers. */
export async function regenerate(modulesDir: string): Promise<ReadmeUpdate[]> {
  const entries = await readdir(modulesDir, { withFileTypes: true }).catch((error: unknown) => {
    throw new ConfigError(`cannot read the modules directory ${modulesDir}: ${(error as Error).message}`, "pass --modules DIR");
  });
  const updates: ReadmeUpdate[] = [];
  for (const entry of entries.filter((e) => e.isDirectory()).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const dir = path.join(modulesDir, entry.name);
    if (!(await readdir(dir)).some((name) => name.endsWith(".tf"))) continue;
    const readme = path.join(dir, "README.md");
    const current = await readFile(readme, "utf8").catch(() => {
      throw new ConfigError(`${readme} is missing`, `write the module's README with ${BEGIN_MARKER} and ${END_MARKER} lines, then ${HINT}`);
    });
    const text = replaceBlock(current, renderDocs(await loadModule(dir)), readme);
    updates.push({ readme, changed: text !== current, text });
  }
  return updates;
}

// ---------------------------------------------------------------------------------------------
// CLI
// ---------------------------------------------------------------------------------------------

const USAGE = `Usage: npm run docs [-- --check] [--modules DIR]
       npx tsx scripts/module-docs.ts [--check] [--modules DIR]

Regenerates the block between ${BEGIN_MARKER} and ${END_MARKER} in each
module's README.md from its variables, outputs and versions.

Options:
  --check          change nothing; exit 1 listing the READMEs that are out of date
  --modules DIR    the directory holding the modules (default: terraform/modules of this
                   repository; a relative DIR is relative to the current directory)
  -h, --help       show this help

Exit codes: 0 up to date or rewritten, 1 out of date or a README without the markers,
2 usage error.`;

const KNOWN_FLAGS = new Set(["_", "check", "modules", "help", "h"]);

async function main(args: string[]): Promise<void> {
  const argv = parseArgv(args, { boolean: ["check", "help"], string: ["modules"], alias: { h: "help" } });
  const unknown = Object.keys(argv).filter((key) => !KNOWN_FLAGS.has(key));
  if (unknown.length > 0 || argv._.length > 0) {
    const what = unknown.length > 0 ? unknown.map((k) => `--${k}`).join(", ") : argv._.join(" ");
    throw new UsageError(`unknown argument: ${what}`, "run `npx tsx scripts/module-docs.ts --help`");
  }
  if (argv.help === true) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const modulesFlag: unknown = argv.modules;
  if (modulesFlag !== undefined && (typeof modulesFlag !== "string" || modulesFlag === "")) {
    throw new UsageError("--modules needs a directory", "e.g. --modules terraform/modules");
  }
  const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
  const absolute = modulesFlag === undefined ? path.join(repoRoot, "terraform", "modules") : path.resolve(modulesFlag);
  // Paths in messages are relative to the current directory when under it, else absolute.
  const relative = path.relative(process.cwd(), absolute);
  const modulesDir = relative === "" || relative.startsWith("..") || path.isAbsolute(relative) ? absolute : relative;

  const updates = await regenerate(modulesDir);
  const stale = updates.filter((u) => u.changed);
  if (argv.check === true) {
    if (stale.length === 0) {
      process.stdout.write(`${chalk.green("ok")} module docs are up to date (${updates.length} READMEs)\n`);
      return;
    }
    for (const u of stale) process.stderr.write(`${chalk.red("out of date:")} ${u.readme}\n`);
    process.stderr.write(`\nhint: ${HINT} and commit the result\n`);
    process.exitCode = ExitCode.failed;
    return;
  }
  for (const u of stale) {
    await writeFile(u.readme, u.text);
    process.stdout.write(`${chalk.yellow("updated")} ${u.readme}\n`);
  }
  if (stale.length === 0) process.stdout.write(`${chalk.green("ok")} module docs are up to date (${updates.length} READMEs)\n`);
}

if (isEntryPoint(import.meta.url)) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    if (error instanceof InfraError) {
      process.stderr.write(`${describeError(error)}\n`);
      process.exitCode = error.exitCode;
      return;
    }
    process.stderr.write(`internal error:\n${error instanceof Error ? error.stack : String(error)}\n`);
    process.exitCode = ExitCode.failed;
  });
}
