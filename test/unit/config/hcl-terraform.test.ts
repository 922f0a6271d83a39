/**
 * The parser against terraform 1.11.4 (HCL 2.23), not only against hcl2-parser (HCL 2.10):
 * terraform judges acceptance (`terraform fmt`, one process over every file), hcl2-parser the
 * JSON shape where it answers and @cdktn/hcl2json where only newer HCL does. On the 2,272 files
 * of ../shared/hcl-corpus (real public modules, read in place, never copied) and on the corners
 * where the two HCL versions differ.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it, type TestContext } from "vitest";
import { ConfigError } from "../../../src/errors.js";
import { parseHcl } from "../../../src/config/hcl-parser.js";
import { REPO_ROOT, skipBecause } from "../../helpers.js";
import { currentHcl, hcl2Parser, terraformMissing, terraformRefusals, type Outcome } from "../../hcl-oracles.js";

const CORPUS = process.env["INFRA_HCL_CORPUS"] ?? path.resolve(REPO_ROOT, "../shared/hcl-corpus");

function ours(text: string): Outcome & { hint?: string } {
  try {
    const body = parseHcl(text, "main.tf");
    return { ok: true, json: JSON.stringify(body), value: body };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return { ok: false, reason: error.message, hint: error.hint };
  }
}

function corpusFiles(): string[] {
  try {
    return readdirSync(CORPUS, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile() && /\.(tf|tfvars|hcl)$/.test(entry.name))
      .map((entry) => path.join(entry.parentPath, entry.name))
      .sort();
  } catch {
    return [];
  }
}

describe("parseHcl on real modules nobody here wrote (../shared/hcl-corpus)", () => {
  const files = corpusFiles();

  it("refuses no file terraform accepts, and reads every file as hcl2-parser does where it answers", (context) => {
    if (files.length === 0) skipBecause(context, `no HCL corpus at ${CORPUS} (set INFRA_HCL_CORPUS to one)`);
    const missing = terraformMissing();
    if (missing) skipBecause(context, missing);
    expect(files.length).toBeGreaterThan(2000);
    const { refused, wallMs } = terraformRefusals(files.map((file) => ({ name: file, file })));
    process.stderr.write(`terraform fmt judged ${files.length} corpus files in one process: ${Math.round(wallMs)} ms wall, ${refused.size} refused\n`);
    const disagreements: string[] = [];
    let compared = 0;
    for (const file of files) {
      const text = readFileSync(file, "utf8");
      const actual = ours(text);
      if (actual.ok === refused.has(file)) {
        disagreements.push(`${path.relative(CORPUS, file)}: terraform ${refused.has(file) ? "refuses" : "accepts"}, the parser ${actual.ok ? "accepts" : `refuses (${actual.reason})`}`);
        continue;
      }
      if (!actual.ok) continue;
      const expected = hcl2Parser(text);
      if (!expected.ok) continue;
      compared += 1;
      if (expected.json !== actual.json) disagreements.push(`${path.relative(CORPUS, file)}: JSON differs from hcl2-parser's`);
    }
    expect(disagreements).toEqual([]);
    expect(compared).toBeGreaterThan(2000);
  }, 600_000);
});

/**
 * Where HCL 2.23 and 2.10 part: terraform's verdict decides, and the accepted ones have the
 * shape hcl2-parser gives where it answers, else @cdktn/hcl2json's.
 */
const ACCEPTED: Array<[string, string]> = [
  ["a heredoc marker followed by spaces", 'a = <<EOF\nx\nEOF  \nb = 1\n'],
  ["a heredoc marker between tabs, before CRLF", 'a = <<-EOF\n  x\n\tEOF\t\r\nb = 1\r\n'],
  ["a heredoc marker followed by a no-break space", "a = <<EOF\nx\n EOF \u00a0\nb = 1\n"],
  ["a heredoc in a call whose marker has trailing blanks", 'a = f(<<EOT\n${x}\nEOT \n)\nb = 2\n'],
  ["a UTF-8 byte order mark", '\ufeffa = 1\nb "x" {\n  c = "d"\n}\n'],
  ["a provider-defined function", 'a = provider::aws::arn_parse(var.arn)\nb = "${provider::aws::arn_parse(x).region}"\n'],
  ["namespaces with blanks and in other expressions", 'a = provider :: a :: b(1)\nb = [x::y(1), c ? d::e::f() : g]\nc = a::b::c::d(1, 2)\n'],
  ["keywords as object keys", 'a = { null = null.x, true = 1, false = "${x}" }\nb = {\n  null = 2\n}\n'],
];

const REFUSED_BY_TERRAFORM: Array<[string, string]> = [
  ["a heredoc marker followed by a comment", "a = <<EOF\nx\nEOF # c\nb = 1\n"],
  ["a heredoc marker at the end of the file", "a = <<EOF\nx\nEOF"],
  ["a namespaced name without a call", "a = a::b\n"],
  ["a namespace without a function name", "a = a::(1)\n"],
  ["a namespaced function as an attribute", "a = x.provider::a::b(1)\n"],
  ["an argument set twice", "a = 1\na = 2\n"],
];

/** terraform fmt reads them; terraform validate (and infra) refuse them. */
const REFUSED_AT_EVALUATION: Array<[string, string]> = [
  ["a negated bool", "a = -true\n"],
  ["null interpolated into a string", 'a = "${null}x"\n'],
  ["a block with more labels before one with fewer", 'resource "a" "b" {}\nresource "a" {}\n'],
];

describe("parseHcl where terraform 1.11.4 and hcl2-parser part", () => {
  const cases = [...ACCEPTED, ...REFUSED_BY_TERRAFORM, ...REFUSED_AT_EVALUATION].map(([name, text]) => ({ name, text }));
  let verdicts: Set<string> | undefined;
  const refusedByTerraform = (context: TestContext): Set<string> => {
    const missing = terraformMissing();
    if (missing) skipBecause(context, missing);
    verdicts ??= terraformRefusals(cases).refused;
    return verdicts;
  };

  it.for(ACCEPTED)("accepts %s, as terraform does, in the shape of the current HCL", async ([name, text], context) => {
    expect(refusedByTerraform(context).has(name), "terraform accepts it").toBe(false);
    const actual = ours(text);
    const old = hcl2Parser(text);
    const expected = old.ok ? old : await currentHcl(text);
    expect(expected.ok, "an oracle answers").toBe(true);
    expect(actual.ok ? actual.value : actual).toEqual(expected.ok ? expected.value : undefined);
  });

  it.for(REFUSED_BY_TERRAFORM)("refuses %s, as terraform fmt does, with the position and the fmt hint", ([name, text], context) => {
    expect(refusedByTerraform(context).has(name), "terraform refuses it").toBe(true);
    const actual = ours(text);
    expect(actual).toMatchObject({ ok: false, reason: expect.stringMatching(/^invalid HCL in main\.tf line \d+, column \d+: \S/) });
    expect(actual.hint).toContain("`terraform fmt` on the file shows the same diagnostic");
  });

  it.for(REFUSED_AT_EVALUATION)("refuses %s, which terraform fmt reads, without claiming fmt shows it", ([name, text], context) => {
    expect(refusedByTerraform(context).has(name), "terraform fmt accepts it").toBe(false);
    const actual = ours(text);
    expect(actual).toMatchObject({ ok: false, reason: expect.stringMatching(/^invalid HCL in main\.tf line \d+, column \d+: \S/) });
    expect(actual.hint).not.toContain("shows the same diagnostic");
    expect(actual.hint).toContain("terraform validate");
  });

  it("keeps the blocks after a heredoc whose marker has trailing spaces, even where a bare marker comes later", () => {
    const text = 'resource "aws_eks_cluster" "this" {\n  policy = <<EOF\n{}\nEOF \n  vpc_config {\n    endpoint_public_access = true\n  }\n}\n\nlocals {\n  doc = <<EOF\nx\nEOF\n}\n';
    const body = parseHcl(text, "main.tf") as { resource: { aws_eks_cluster: { this: Array<Record<string, unknown>> } }; locals: unknown[] };
    const cluster = body.resource.aws_eks_cluster.this[0] as Record<string, unknown>;
    expect(cluster["policy"]).toBe("{}\n");
    expect(cluster["vpc_config"]).toEqual([{ endpoint_public_access: true }]);
    expect(body.locals).toEqual([{ doc: "x\n" }]);
  });
});
