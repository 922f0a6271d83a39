/**
 * The HCL parser against hcl2-parser, the oracle it replaces: the same JSON (deep-equal and in the
 * same key order) for every .tf file in the repository, for a table of the syntax's corners and for
 * generated configurations; and the same verdict (parses or not) on mutated files. Where the oracle
 * throws a raw exception instead of answering, the parser names the file, line and column.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../../src/errors.js";
import { MAX_NESTING, parseHcl } from "../../../src/config/hcl-parser.js";

const require = createRequire(import.meta.url);
const hcl2 = require("hcl2-parser") as { parseToObject(text: string): [unknown, unknown] };
const REPO = fileURLToPath(new URL("../../..", import.meta.url));

/** The JSON text shows key order; the value keeps what JSON text hides (-0). */
type Outcome = { ok: true; json: string; value: unknown } | { ok: false; reason: string };

function oracle(text: string): Outcome {
  try {
    const [body] = hcl2.parseToObject(text);
    return body ? { ok: true, json: JSON.stringify(body), value: body } : { ok: false, reason: "syntax error" };
  } catch (error) {
    return { ok: false, reason: `threw ${(error as Error).message}` };
  }
}

function ours(text: string): Outcome {
  try {
    const body = parseHcl(text, "main.tf");
    return { ok: true, json: JSON.stringify(body), value: body };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return { ok: false, reason: error.message };
  }
}

/** Same JSON text (so the same values and key order), or both refuse. */
function expectSameAsOracle(text: string): void {
  const expected = oracle(text);
  const actual = ours(text);
  if (expected.ok) expect(actual, `input: ${JSON.stringify(text)}`).toEqual(expected);
  else expect(actual.ok, `hcl2-parser refuses (${expected.reason}) but the parser accepts ${JSON.stringify(text)}`).toBe(false);
}

function repositoryHclFiles(): string[] {
  const listed = execFileSync("git", ["ls-files", "-z", "--", "*.tf", "*.tftest.hcl", "*.tfvars"], { cwd: REPO, encoding: "utf8" });
  return listed.split("\0").filter(Boolean).map((file) => path.join(REPO, file));
}

describe("parseHcl against hcl2-parser", () => {
  const files = repositoryHclFiles();

  it("reads every HCL file of the repository (terraform/, test fixtures, examples) exactly as hcl2-parser does", () => {
    expect(files.length).toBeGreaterThan(100);
    for (const file of files) {
      const text = readFileSync(file, "utf8");
      const expected = oracle(text);
      expect(expected.ok, `${file} should parse`).toBe(true);
      expect(ours(text), file).toEqual(expected);
    }
  });

  it.each([
    ["literals", 'a = 1\nb = 1.50\nc = 1e3\nd = 01\ne = true\nf = null\ng = -0\nh = -1.5\ni = !false\nj = 12345678901234567890\nk = 1e400\nl = -1e-400\nm = "${1e-7}${-0}"\nn = {1e-7 = 1, 007 = 2}\n'],
    ["strings and escapes", 'a = ""\nb = "x\\n\\t\\"\\\\ \\u00e9 \\U0001F600"\nc = "$${x} %%{y} $ % $x"\nd = "e\u0301"\n'],
    ["templates", 'a = "${x}"\nb = "x${y}z"\nc = "${1}"\nd = "${"s"}"\ne = "${[1, "a"]}"\nf = "n${1.50}${1e3}${true}"\n'],
    ["template conditionals", 'a = "x${a ? b : 1}y"\nb = "%{if x}a%{else}b%{endif}"\nc = "%{if x}%{else}b%{endif}"\nd = "%{if x}a%{else}%{endif}"\ne = "%{if x}a%{endif}"\n'],
    ["template for", 'a = "%{for x in y}${x}%{endfor}"\nb = "%{for k, v in y ~}${x} %{~ endfor}"\nc = "<%{ for s in f(a) }${s},%{ endfor }>"\n'],
    ["strip markers", 'a = "${~ a ~}"\nb = " ${~ a ~} "\nc = "a %{ if b ~} c %{~ endif ~} d"\n'],
    ["heredocs", 'a = <<EOF\n  a ${b}\n  $${c} %%{d}\nEOF\nb = <<EOF\nx\n  EOF\nc = <<-EOT\n    one\n      two\n  EOT\nd = <<-EOF\n\n    a\n\n  b\nEOF\ne = <<-EOF\n    ${a} b\n  c\nEOF\nf = <<EOF\nEOF\n'],
    ["heredoc operands", 'a = f(<<EOF\nx\nEOF\n)\nb = x == <<EOF\nx\nEOF\n'],
    ["comments", '# a\na = 1 # c\nb = 2 // d\nc = 3 /* e */\n/* multi\nline */\nd = [1, # one\n2]\n'],
    ["collections", 'a = [1,\n2,]\nb = {a = 1, b = 2,}\nc = {\na = 1,\nb = 2\n}\nd = {a: 1}\ne = []\nf = {}\ng = [[[]], {x = {}}]\n'],
    ["object keys", 'a = {1.50 = 1, true = 2, a.b = 3, "x" = 4, (y) = 5, -1 = 6, a[0] = 7, "${q}" = 8, a[b] = 9, "a${b}" = 10}\n'],
    ["expressions", 'a = 1 + 2 * 3\nb = a ? b : c ? d : e\nc = (x)\nd = ((x))\ne = (a) + b\nf = -x\ng = -"x"\nh = !x\ni = a.b[0].c\nj = a[var.x].y\nk = a.*.b\nl = a[*].b\nm = x.y[*]\nn = a.0\no = true.x\np = f(1, 2,)\nq = f(x...)\nr = upper(x)\ns = a != b && c >= d || e <= f\nt = a % b / c - d\n'],
    ["for expressions", 'a = [for x in y : x if x]\nb = {for k, v in y : k => v...}\nc = [\nfor x in y : x]\nd = {\nfor x in y : x => 1}\ne = { for x in y : x => 1 }\n'],
    ["function calls across lines", 'a = merge(\n  var.tags,\n  { Name = "x" },\n)\nb = jsonencode({\n  a = [1, 2]\n})\n'],
    ["blocks", 'b { a = 1 }\nc {}\nd "x" {}\ne "x" "y" z {\n  f {\n    g = 1\n  }\n}\nb "a" "b" {}\n'],
    ["labels in order and nested", 'b "a" "b" {}\nb "a" "c" {}\nb "z" {}\nb "a" "a" {}\nr "t" "n" {\n  x = 1\n}\nr "s" "n" {}\n'],
    ["label escapes and unicode", 'b "a\\nb" c {}\nb "e\u0301" {}\n'],
    ["attribute replaces a block of its name", 'b {}\nb = 1\n'],
    ["identifiers", '_a = 1\na-b = 2\nc = a-b\nd = a - b\n'],
    ["whitespace and line endings", '  a  =  "x"  \r\nb = 1\r\nc {\r\n  d = 2\r\n}\r\n'],
    ["no trailing newline", "a = x"],
    ["empty", ""],
    ["only comments", "# nothing\n// here\n"],
  ])("agrees on %s", (_name, text) => {
    expectSameAsOracle(text);
  });

  it.each([
    ["an unterminated string", 'a = "x\n'],
    ["a newline inside a string", 'a = "a\nb"\n'],
    ["an unknown escape", 'a = "\\q"\n'],
    ["two arguments on a line", "a = 1 b = 2\n"],
    ["a comment spanning the line break between arguments", "a = 1 /*\n*/ b = 2\n"],
    ["an argument set twice", "a = 1\na = 2\n"],
    ["a hexadecimal number", "a = 0x10\n"],
    ["a fractional legacy index", "a = a.0.1\n"],
    ["a dangling dot", "a = 1.\n"],
    ["an exponent without digits", "a = 1e\n"],
    ["a negated bool", "a = -true\n"],
    ["a negated null", "a = -null\n"],
    ["an inverted number", "a = !1\n"],
    ["a nested block on a single line", "b { c {} }\n"],
    ["a single-line block closed on the next line", "b { a = 1\n}\n"],
    ["a block body item before the closing brace", "b {\na = 1 }\n"],
    ["an interpolated label", 'b "x${y}" {}\n'],
    ["a heredoc marker at the end of the file", "a = <<EOF\nx\nEOF"],
    ["an unclosed block", "b {\n"],
    ["an unclosed list", "a = [1,\n"],
    ["a stray closing brace", "}\n"],
    ["a block where an argument is expected", "a = 1\n= 2\n"],
    ["unbalanced template directives", 'a = "%{endif}"\nb = "%{if x}"\n'],
    ["a block with fewer labels beside one with more", 'resource "a" {}\nresource "a" "b" {}\n'],
  ])("refuses %s, as hcl2-parser does", (_name, text) => {
    expect(oracle(text).ok).toBe(false);
    const result = ours(text);
    expect(result.ok).toBe(false);
    expect(result.ok ? "" : result.reason).toMatch(/^invalid HCL in main\.tf line \d+, column \d+: \S/);
  });

  // Where hcl2-parser throws a raw exception rather than answering, the parser refuses with a position
  // (hcl2-parser also throws on `{null = 1}`, which HCL 2.23 reads: see hcl-terraform.test.ts).
  it.each([
    ["null interpolated into a string (hcl2-parser: 'value is null')", 'a = "${null}x"\n', 1, 8],
    ["a block with more labels before one with fewer (hcl2-parser: interface conversion)", 'resource "a" "b" {}\nresource "a" {}\n', 2, 1],
  ])("refuses %s with the line and column", (_name, text, line, column) => {
    expect(oracle(text)).toMatchObject({ ok: false, reason: expect.stringMatching(/^threw /) });
    expect(ours(text)).toMatchObject({ ok: false, reason: expect.stringContaining(`main.tf line ${line}, column ${column}: `) });
  });

  it("names the line and column of a syntax error deep in a file", () => {
    const text = 'locals {\n  environment = "dev"\n  region = = "eu-central-1"\n}\n';
    expect(() => parseHcl(text, "/x/environment.tf")).toThrow("invalid HCL in /x/environment.tf line 3, column 12: Invalid expression");
  });

  it("agrees on generated configurations", () => {
    fc.assert(
      fc.property(configuration(), (text) => {
        expectSameAsOracle(text);
      }),
      { numRuns: Number(process.env["HCL_FUZZ_RUNS"] ?? 400) },
    );
  });

  it("agrees on whether mutated repository files parse, and on their JSON when they do", () => {
    const texts = files.map((file) => readFileSync(file, "utf8"));
    const pieces = ["{", "}", "[", "]", "(", ")", '"', "=", ",", "\n", "${", "%{", "~", "#", "/*", "<<EOF\n", ".", "*", "?", ":", "-", "!", "\\", " "];
    fc.assert(
      fc.property(fc.nat(texts.length - 1), fc.nat(), fc.nat(20), fc.constantFrom(...pieces), fc.boolean(), (index, at, removed, piece, insert) => {
        const text = texts[index] as string;
        const offset = at % (text.length + 1);
        const mutated = text.slice(0, offset) + (insert ? piece : "") + text.slice(offset + removed);
        expectSameAsOracle(mutated);
      }),
      { numRuns: Number(process.env["HCL_FUZZ_RUNS"] ?? 400) },
    );
  });
});

describe("parseHcl on hostile input", () => {
  it("refuses 100,000 nested brackets with a positioned error, not a stack overflow", () => {
    for (const [open, close] of [["[", "]"], ["(", ")"], ["{", "}"], ['"${', '}"'], ["-", ""], ["!", ""]] as const) {
      const text = `a = ${open.repeat(100_000)}1${close.repeat(100_000)}\n`;
      expect(() => parseHcl(text, "deep.tf")).toThrow(ConfigError);
      expect(() => parseHcl(text, "deep.tf")).toThrow(`nested more than ${MAX_NESTING} levels deep`);
    }
    const blocks = `${"b {\n".repeat(100_000)}${"}\n".repeat(100_000)}`;
    expect(() => parseHcl(blocks, "deep.tf")).toThrow(`nested more than ${MAX_NESTING} levels deep`);
  });

  // The one deliberate difference: hcl2-parser reads any depth its stack allows; no configuration nests this deep.
  it("refuses one level past the limit, which hcl2-parser still reads", () => {
    const text = `a = ${"[".repeat(MAX_NESTING + 1)}1${"]".repeat(MAX_NESTING + 1)}\n`;
    expect(oracle(text).ok).toBe(true);
    expect(ours(text)).toMatchObject({ ok: false, reason: expect.stringContaining(`nested more than ${MAX_NESTING} levels deep`) });
  });

  it("reads nesting up to the limit the way hcl2-parser does", () => {
    const depth = MAX_NESTING - 1;
    expectSameAsOracle(`a = ${"[".repeat(depth)}1${"]".repeat(depth)}\n`);
    expectSameAsOracle(`a = ${"{ b = ".repeat(depth)}1${" }".repeat(depth)}\n`);
  });

  it("throws nothing but a positioned ConfigError on arbitrary text", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 200 }), fc.string({ unit: fc.constantFrom(..."{}[]()\"$%~#/*<-EOF\n =,.:?!\\ab1".split("")), maxLength: 200 })), (text) => {
        try {
          parseHcl(text, "fuzz.tf");
        } catch (error) {
          expect(error).toBeInstanceOf(ConfigError);
          expect((error as Error).message).toMatch(/^invalid HCL in fuzz\.tf line \d+, column \d+: \S/);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// A generator of configurations over the syntax terraform/ uses, and its corners
// ---------------------------------------------------------------------------------------------

const name = fc.constantFrom("a", "b", "name", "tags", "_x", "with-dash", "count", "for_each", "x1", "é");
const reference = fc.constantFrom("var.x", "local.y", "module.m.out", "aws_s3_bucket.b.id", "each.key", "a.b[0]", 'a["k"].c', "a[var.i]", "a.*.id", "a[*].b", "a.0", "count.index");
const number = fc.constantFrom("0", "1", "42", "1.5", "1.50", "1e3", "2E-2", "007", "12345678901234567890");
const stringText = fc.constantFrom("", "x", "a b", "\\n", "\\t", '\\"', "\\\\", "\\u00e9", "$${x}", "%%{y}", "$", "%", "e\u0301", "<>&", "'", "`", "100%", "$x");

const expression: fc.Arbitrary<string> = fc.letrec<{ expr: string }>((tie) => ({
  expr: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    number,
    fc.constantFrom("true", "false", "null"),
    reference,
    stringText.map((text) => `"${text}"`),
    fc.tuple(stringText, tie("expr"), stringText).map(([before, inner, after]) => `"${before}\${${inner}}${after}"`),
    fc.tuple(stringText, tie("expr"), stringText, stringText).map(([a, cond, b, c]) => `"${a}%{ if ${cond} }${b}%{ else }${c}%{ endif }"`),
    fc.tuple(reference, stringText).map(([coll, text]) => `"%{ for k, v in ${coll} ~}${text}\${v} %{~ endfor }"`),
    fc.array(tie("expr"), { maxLength: 3 }).map((items) => `[${items.join(", ")}]`),
    fc.array(fc.tuple(fc.oneof(name, stringText.map((text) => `"${text}"`)), tie("expr")), { maxLength: 3 }).map((items) => `{ ${items.map(([key, value]) => `${key} = ${value}`).join(", ")} }`),
    fc.array(fc.tuple(name, tie("expr")), { maxLength: 3 }).map((items) => `{\n${items.map(([key, value]) => `    ${key} = ${value}`).join("\n")}\n  }`),
    fc.tuple(fc.constantFrom("upper", "merge", "concat", "try", "lookup", "length"), fc.array(tie("expr"), { maxLength: 3 })).map(([fn, args]) => `${fn}(${args.join(", ")})`),
    fc.tuple(tie("expr"), fc.constantFrom("+", "-", "*", "/", "%", "==", "!=", "<", ">", "<=", ">=", "&&", "||"), tie("expr")).map(([l, op, r]) => `${l} ${op} ${r}`),
    fc.tuple(tie("expr"), tie("expr"), tie("expr")).map(([c, t, f]) => `${c} ? ${t} : ${f}`),
    fc.tuple(fc.constantFrom("-", "!"), fc.oneof(number, fc.constantFrom("true", "false"), reference)).map(([op, operand]) => `${op}${operand}`),
    tie("expr").map((inner) => `(${inner})`),
    fc.tuple(reference, tie("expr")).map(([coll, value]) => `[for x in ${coll} : ${value}]`),
    fc.tuple(reference, tie("expr")).map(([coll, value]) => `{ for k, v in ${coll} : k => ${value} if v != null }`),
    fc.tuple(fc.constantFrom("EOF", "EOT"), fc.boolean(), stringText, reference).map(([marker, flush, text, ref]) => `<<${flush ? "-" : ""}${marker}\n    ${text} \${${ref}}\n      more\n  ${marker}\n`),
  ),
})).expr;

const attribute = fc.tuple(name, expression, fc.constantFrom("", " # note", " // note", " /* note */")).map(([key, value, comment]) => `  ${key} = ${value}${comment}`);

function configuration(): fc.Arbitrary<string> {
  const block = fc
    .tuple(
      fc.constantFrom("resource", "module", "locals", "variable", "provider", "terraform", "lifecycle", "dynamic"),
      fc.array(fc.constantFrom('"aws_s3_bucket"', '"this"', '"a"', "b", '"x.y"', '"é"'), { maxLength: 2 }),
      fc.uniqueArray(attribute, { maxLength: 4, selector: (line) => line.split("=")[0] }),
      fc.option(fc.tuple(name, expression), { nil: undefined }),
    )
    .map(([type, labels, lines, nested]) =>
      [`${type} ${labels.join(" ")}${labels.length ? " " : ""}{`, ...lines, ...(nested ? [`  inner { ${nested[0]} = ${nested[1].replaceAll("\n", " ")} }`] : []), "}"].join("\n"),
    );
  return fc.array(fc.oneof(block, attribute.map((line) => line.trim())), { maxLength: 5 }).map((items) => `${items.join("\n\n")}\n`);
}
