import { createHash } from "node:crypto";
import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { compareDigests, describeIntegrity, digestDirectory, sha256File } from "../../../src/gates/integrity.js";

function sha256(bytes: Buffer | string): string {
  return createHash("sha256").update(bytes).digest("hex");
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "infra-integrity-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("sha256File", () => {
  it("returns the same digest as node crypto over the same bytes", async () => {
    const bytes = Buffer.from(Array.from({ length: 200_000 }, (_, index) => index % 251));
    const file = path.join(dir, "tfplan");
    await writeFile(file, bytes);
    expect(await sha256File(file)).toBe(sha256(bytes));
  });

  it("returns the well-known digest of an empty file", async () => {
    const file = path.join(dir, "empty");
    await writeFile(file, "");
    expect(await sha256File(file)).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  });
});

describe("digestDirectory", () => {
  it("returns a digest per regular file, skipping the excepted names and subfolders", async () => {
    await writeFile(path.join(dir, "tfplan"), "plan bytes");
    await writeFile(path.join(dir, "summary.md"), "# summary");
    await writeFile(path.join(dir, "manifest.json"), "{}");
    await mkdir(path.join(dir, "nested"));
    await writeFile(path.join(dir, "nested", "inner.txt"), "not digested");

    const digests = await digestDirectory(dir, ["manifest.json"]);

    expect(digests).toEqual({ "summary.md": sha256("# summary"), tfplan: sha256("plan bytes") });
    expect(Object.keys(digests)).toEqual(["summary.md", "tfplan"]);
  });

  it("returns an empty record for an empty directory", async () => {
    expect(await digestDirectory(dir, [])).toEqual({});
  });
});

describe("compareDigests", () => {
  const recorded = { tfplan: "aaa", "plan.txt": "bbb", "summary.md": "ccc" };

  it("returns ok when every digest matches", () => {
    expect(compareDigests(recorded, { ...recorded })).toEqual({ ok: true, changed: [], missing: [], unexpected: [] });
  });

  it("returns the changed files", () => {
    expect(compareDigests(recorded, { ...recorded, tfplan: "zzz" })).toEqual({ ok: false, changed: ["tfplan"], missing: [], unexpected: [] });
  });

  it("returns the missing files", () => {
    expect(compareDigests(recorded, { tfplan: "aaa", "plan.txt": "bbb" })).toEqual({
      ok: false,
      changed: [],
      missing: ["summary.md"],
      unexpected: [],
    });
  });

  it("returns the unexpected files", () => {
    expect(compareDigests(recorded, { ...recorded, "extra.tf": "ddd" })).toEqual({
      ok: false,
      changed: [],
      missing: [],
      unexpected: ["extra.tf"],
    });
  });

  it("reports all three kinds at once", () => {
    const report = compareDigests(recorded, { tfplan: "zzz", "plan.txt": "bbb", "extra.tf": "ddd" });
    expect(report).toEqual({ ok: false, changed: ["tfplan"], missing: ["summary.md"], unexpected: ["extra.tf"] });
    expect(describeIntegrity(report)).toBe(
      "changed since the plan was made: tfplan; missing: summary.md; not part of the plan: extra.tf",
    );
  });
});
