import { cp, readFile, writeFile } from "node:fs/promises";
import { gzipSync } from "node:zlib";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { terraformPlanLine, type PlanCounts } from "../../src/review/summary.js";
import { copyFixture, runInfra, tempDir, type RunResult } from "../helpers.js";

const SECOND_STATE = `
resource "terraform_data" "keep" {
  input = "b"
}

moved {
  from = terraform_data.old
  to   = terraform_data.renamed
}

resource "terraform_data" "renamed" {
  input = "x"
}

resource "terraform_data" "swap" {
  triggers_replace = "v2"
}

resource "terraform_data" "rotate" {
  triggers_replace = "v2"
  lifecycle {
    create_before_destroy = true
  }
}

resource "terraform_data" "new" {
  input = "n"
}

import {
  to = terraform_data.imported
  id = "some-id"
}

resource "terraform_data" "imported" {}
`;

describe("infra review on a plan real terraform made", () => {
  let root: string;
  let bundle: string;
  let planRun: RunResult;

  beforeAll(async () => {
    root = await copyFixture("review");
    bundle = path.join(root, "..", "bundle");
    const first = await runInfra(["plan", "--offline", "--env", "dev", "--root", root, "--out", bundle, "--quiet"]);
    expect(first.code, first.stderr).toBe(0);
    const apply = await runInfra(["apply", "--offline", "--env", "dev", "--root", root, "--plan", bundle, "--quiet"]);
    expect(apply.code, apply.stderr).toBe(0);
    await writeFile(path.join(root, "envs", "dev", "main.tf"), SECOND_STATE);
    planRun = await runInfra(["plan", "--offline", "--env", "dev", "--root", root, "--out", bundle, "--quiet"]);
  });

  it("counts exactly what terraform's own Plan: line says", async () => {
    expect(planRun.code, planRun.stderr).toBe(0);
    const planText = await readFile(path.join(bundle, "plan.txt"), "utf8");
    const terraformLine = planText.match(/^Plan: .*$/m)?.[0];
    expect(terraformLine).toBe("Plan: 1 to import, 3 to add, 1 to change, 3 to destroy.");
    const summary = JSON.parse(await readFile(path.join(bundle, "summary.json"), "utf8")) as { counts: PlanCounts; resources: Array<{ address: string; previousAddress?: string; actions: string[] }> };
    expect(terraformPlanLine(summary.counts)).toBe(terraformLine);
    expect(summary.counts.move).toBe(1);
    expect(summary.resources.find((resource) => resource.address === "terraform_data.renamed")?.previousAddress).toBe("terraform_data.old");
    expect(summary.resources.find((resource) => resource.address === "terraform_data.rotate")?.actions).toEqual(["create", "delete"]);
    expect(planRun.stdout).toContain(terraformLine);
  });

  it("writes summary.md and a report.html it points to", async () => {
    const markdown = await readFile(path.join(bundle, "summary.md"), "utf8");
    expect(markdown).toContain("**Plan: 1 to import, 3 to add, 1 to change, 3 to destroy\\.**");
    expect(markdown).toContain("> [!WARNING]");
    expect(markdown).toContain("report\\.html in the plan bundle");
    expect(markdown).toContain('~ input: "a" -> "b"');
    const report = await readFile(path.join(bundle, "report.html"), "utf8");
    expect(report).toContain('<meta http-equiv="Content-Security-Policy"');
    expect(report).toContain("terraform_data.renamed");
  });

  it("reviews the bundle in every format, with --detail, --out and --detailed-exitcode", async () => {
    const text = await runInfra(["review", bundle, "--detail", "--detailed-exitcode"]);
    expect(text.code, text.stderr).toBe(2);
    expect(text.stdout).toContain("->  terraform_data.renamed  (moved from terraform_data.old)");
    expect(text.stdout).toContain('<-  terraform_data.imported  (import id "some-id")');
    expect(text.stdout).toContain('~ input: "a" -> "b"');
    expect(text.stdout).toContain("bundle: intact");
    const out = path.join(await tempDir("review-out"), "report.html");
    const html = await runInfra(["review", bundle, "--format", "html", "--out", out]);
    expect(html.code, html.stderr).toBe(0);
    expect(await readFile(out, "utf8")).toContain("<!doctype html>");
    const json = await runInfra(["review", bundle, "--format", "json"]);
    expect(JSON.parse(json.stdout)).toMatchObject({ schemaVersion: 3, env: "dev", counts: { import: 1 } });
  });

  it("reviews a bare terraform show -json document the same way", async () => {
    const result = await runInfra(["review", path.join(bundle, "plan.redacted.json"), "--format", "json"]);
    expect(result.code, result.stderr).toBe(0);
    const fromBundle = JSON.parse(await readFile(path.join(bundle, "summary.json"), "utf8")) as { counts: PlanCounts };
    expect((JSON.parse(result.stdout) as { counts: PlanCounts }).counts).toEqual(fromBundle.counts);
  });

  it("refuses a bundle whose summary.json holds an unknown action, in one sentence", async () => {
    const altered = path.join(await tempDir("altered"), "bundle");
    await cp(bundle, altered, { recursive: true });
    const file = path.join(altered, "summary.json");
    await writeFile(file, (await readFile(file, "utf8")).replace('"action":"add"', '"action":"obliterate"'));
    const result = await runInfra(["review", altered, "--json"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: .*summary\.json is not a summary this infra writes: resources\[\d+\]\.action /m);
    expect(result.stderr).not.toContain("internal error");
    expect(JSON.parse(result.stdout)).toMatchObject({ error: { type: "PlanFormatError" } });
  });
});

describe("infra review on a malformed document", () => {
  const cases: Array<[string, string]> = [
    ["null", "null"],
    ["an array", "[]"],
    ["a string", '"x"'],
    ["empty", ""],
    ["truncated", '{"format_version":"1.2","resource_changes":[{"address"'],
    ["actions: null", '{"format_version":"1.2","resource_changes":[{"address":"a.b","mode":"managed","type":"a","name":"b","change":{"actions":null}}]}'],
    ["no change", '{"format_version":"1.2","resource_changes":[{"address":"a.b","mode":"managed","type":"a","name":"b"}]}'],
  ];
  for (const [name, content] of cases) {
    it(`answers ${name} with one sentence and {"error"} under --json`, async () => {
      const file = path.join(await tempDir("malformed"), "plan.json");
      await writeFile(file, content);
      const result = await runInfra(["review", file, "--json"]);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/^error: .*plan\.json (is empty|is not valid JSON|is not a terraform plan)/);
      expect(result.stderr).not.toContain("internal error");
      expect(JSON.parse(result.stdout)).toMatchObject({ error: { type: "PlanFormatError" } });
    });
  }

  /** Raw C0/C1 controls (the line feed aside), DEL: none may reach a terminal or a file. */
  const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

  it.for<[string, Buffer, RegExp]>([
    ["terminal escapes (ESC, OSC, BEL) in a malformed document", Buffer.from("\u001b]0;owned\u0007\u001b[2J{"), /is not valid JSON \(.*\\u001b/],
    ["a NUL byte in a malformed document", Buffer.from('{"format_version":"1.2"\u0000}'), /holds binary data \(a NUL byte at offset 23\)/],
    ["UTF-16 with a byte-order mark", Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('{"format_version":"1.2"}', "utf16le")]), /is UTF-16 text \(little-endian, with a byte-order mark\)/],
    ["UTF-16 without one", Buffer.from('{"format_version":"1.2"}', "utf16le"), /is UTF-16 text \(little-endian, no byte-order mark\)/],
    ["big-endian UTF-16", Buffer.from('{"format_version":"1.2"}', "utf16le").swap16(), /is UTF-16 text \(big-endian, no byte-order mark\)/],
    ["a gzip-compressed document", gzipSync('{"format_version":"1.2"}'), /is gzip-compressed/],
    ["a binary plan file", Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0x00, 0x08, 0x00, 0x00, 0x00]), /is a binary terraform plan file/],
  ])("names %s in one sentence and sends no raw control byte", async ([, bytes, message]) => {
    const file = path.join(await tempDir("hostile"), "plan.json");
    await writeFile(file, bytes);
    for (const json of [false, true]) {
      const result = await runInfra(["review", file, ...(json ? ["--json"] : [])]);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(message);
      expect(result.stderr).toMatch(/^error: [^\n]+\n\nhint: [^\n]+\n$/);
      expect(result.stderr).not.toMatch(RAW_CONTROL);
      expect(result.stdout).not.toMatch(RAW_CONTROL);
      if (json) expect(JSON.parse(result.stdout)).toMatchObject({ error: { type: "PlanFormatError" } });
    }
  });

  it("accepts a document behind a UTF-8 byte-order mark", async () => {
    const file = path.join(await tempDir("bom"), "plan.json");
    await writeFile(file, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"format_version":"1.2"}')]));
    const result = await runInfra(["review", file]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain("No changes.");
  });

  it("shows control bytes in plan strings as escapes in every format and file", async () => {
    const hostile = "\u001b]0;owned\u0007\u001b[2J\u0000\u009b\u202e";
    const dir = await tempDir("hostile-values");
    const file = path.join(dir, "plan.json");
    await writeFile(
      file,
      JSON.stringify({
        format_version: "1.2",
        resource_changes: [
          { address: `a.b["${hostile}"]`, mode: "managed", type: "a", name: "b", change: { actions: ["create"], before: null, after: { [hostile]: hostile, list: [hostile] } } },
          { address: "a.c", mode: "managed", type: "a", name: "c", change: { actions: ["update"], before: { list: ["x", hostile] }, after: { list: [hostile] } } },
        ],
      }),
    );
    for (const format of ["text", "md", "html", "json"]) {
      const out = path.join(dir, `review.${format}`);
      const written = await runInfra(["review", file, "--format", format, "--out", out, "--detail"]);
      expect(written.code, written.stderr).toBe(0);
      const text = await readFile(out, "utf8");
      expect(text, format).not.toMatch(RAW_CONTROL);
      expect(text, format).not.toContain("\u202e");
      const shown = await runInfra(["review", file, "--format", format, "--detail"]);
      expect(shown.stdout, format).not.toMatch(RAW_CONTROL);
    }
    expect(await readFile(path.join(dir, "review.text"), "utf8")).toContain('- list[0] = "x"');
  });

  it("reviews a value nested 5,000 deep", async () => {
    const depth = 5_000;
    const deep = `${"[".repeat(depth)}"v"${"]".repeat(depth)}`;
    const file = path.join(await tempDir("deep"), "plan.json");
    await writeFile(
      file,
      `{"format_version":"1.2","resource_changes":[{"address":"a.b","mode":"managed","type":"a","name":"b","change":{"actions":["update"],"before":{"x":1},"after":{"x":2,"deep":${deep}}}}]}`,
    );
    const result = await runInfra(["review", file, "--detail"]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain("~ x: 1 -> 2");
  });

  it("refuses an --out that is a directory, the reviewed file itself, or in a missing directory", async () => {
    const dir = await tempDir("out");
    const file = path.join(dir, "plan.json");
    await writeFile(file, '{"format_version":"1.2"}');
    for (const [out, message] of [
      [dir, "is a directory"],
      [file, "is the document under review"],
      [path.join(dir, "missing", "r.md"), "cannot write the review to"],
    ] as const) {
      const result = await runInfra(["review", file, "--out", out]);
      expect(result.code, out).toBe(2);
      expect(result.stderr).toContain(message);
    }
    expect(await readFile(file, "utf8")).toBe('{"format_version":"1.2"}');
  });

  it("says when the target does not exist", async () => {
    const result = await runInfra(["review", "/nonexistent/plan.json"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("/nonexistent/plan.json does not exist");
  });
});
