import { readdir, readFile, stat, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { probeReceiptWritable, readReceipt, writeReceipt, type Receipt } from "../../../src/bundle/receipt.js";
import { BundleError } from "../../../src/errors.js";
import { tempDir } from "../../helpers.js";

const RECEIPT: Receipt = {
  env: "dev",
  region: "eu-central-1",
  accountId: "123456789012",
  commit: null,
  planDigest: "a".repeat(64),
  startedAt: "2025-01-02T04:00:00.000Z",
  finishedAt: "2025-01-02T04:01:00.000Z",
  outcome: "applied",
  gates: [],
  terraformVersion: "1.11.4",
};

describe("writeReceipt", () => {
  it("writes a 0600 receipt that reads back, leaving no temp file", async () => {
    const dir = await tempDir("receipt");
    const file = await writeReceipt(dir, RECEIPT);
    expect(await readReceipt(dir)).toEqual(RECEIPT);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await readdir(dir)).toEqual(["receipt.json"]);
  });

  it("replaces a symlink planted in its place instead of writing through it", async () => {
    const dir = await tempDir("receipt-link");
    const outside = path.join(await tempDir("outside"), "target.json");
    await writeFile(outside, "precious");
    await symlink(outside, path.join(dir, "receipt.json"));
    await writeReceipt(dir, RECEIPT);
    expect(await readFile(outside, "utf8")).toBe("precious");
    expect((await readReceipt(dir))?.outcome).toBe("applied");
  });
});

describe("readReceipt", () => {
  it("returns null when there is none", async () => {
    expect(await readReceipt(await tempDir("no-receipt"))).toBeNull();
  });

  it.each([
    ["{ half", "is corrupt: not valid JSON"],
    ["[]", "is corrupt: not a JSON object"],
    ['{"env":"dev"}', "is corrupt: missing or wrong: planDigest, startedAt, finishedAt, outcome, gates"],
  ])("throws a BundleError for %j", async (text, message) => {
    const dir = await tempDir("corrupt-receipt");
    await writeFile(path.join(dir, "receipt.json"), text);
    const read = readReceipt(dir);
    await expect(read).rejects.toBeInstanceOf(BundleError);
    await expect(read).rejects.toThrow(message);
  });

  it("refuses a symlink where the receipt goes", async () => {
    const dir = await tempDir("receipt-symlink");
    await symlink("/etc/hostname", path.join(dir, "receipt.json"));
    await expect(readReceipt(dir)).rejects.toThrow("receipt.json is not a regular file");
  });
});

describe("probeReceiptWritable", () => {
  it("passes on a writable bundle and leaves nothing behind", async () => {
    const dir = await tempDir("probe");
    await probeReceiptWritable(dir);
    expect(await readdir(dir)).toEqual([]);
  });

  it("refuses a symlink where the receipt goes", async () => {
    const dir = await tempDir("probe-link");
    await symlink("/tmp/elsewhere", path.join(dir, "receipt.json"));
    await expect(probeReceiptWritable(dir)).rejects.toThrow("receipt.json is not a regular file");
  });

  it("names a bundle that cannot be written", async () => {
    const dir = path.join(await tempDir("probe-missing"), "gone");
    await expect(probeReceiptWritable(dir)).rejects.toThrow(`cannot write the receipt into the plan bundle ${dir}, so nothing was applied: it does not exist (ENOENT)`);
  });
});
