import { createHash } from "node:crypto";
import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { digestDirectory, sha256File } from "../../../src/bundle/digest.js";

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
