import { createHash } from "node:crypto";
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseHclFileSync } from "../../../src/config/hcl.js";
import { MAX_PACK_BYTES, PACK_FILE, ParsePack } from "../../../src/config/parse-cache.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "infra-parse-cache-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const KEY_A = "a".repeat(64);
const KEY_B = "b".repeat(64);

describe("ParsePack", () => {
  it("keeps entries for the next run, one line each", () => {
    new ParsePack(dir).put(KEY_A, '{"x":1}');
    new ParsePack(dir).put(KEY_B, '{"y":[2]}');
    const next = new ParsePack(dir);
    expect(next.get(KEY_A)).toEqual({ x: 1 });
    expect(next.get(KEY_B)).toEqual({ y: [2] });
    expect(readFileSync(path.join(dir, PACK_FILE), "utf8").trim().split("\n")).toHaveLength(2);
  });

  it("skips a torn line (a run killed mid-write) and keeps the lines around it", () => {
    const pack = new ParsePack(dir);
    pack.put(KEY_A, '{"x":1}');
    appendFileSync(path.join(dir, PACK_FILE), `${"c".repeat(64)} {"half":`); // no newline: interrupted
    appendFileSync(path.join(dir, PACK_FILE), "\n");
    pack.put(KEY_B, '{"y":2}');
    const next = new ParsePack(dir);
    expect(next.get("c".repeat(64))).toBeUndefined();
    expect(next.get(KEY_A)).toEqual({ x: 1 });
    expect(next.get(KEY_B)).toEqual({ y: 2 });
  });

  it("skips the lines of two writers interleaved", () => {
    writeFileSync(path.join(dir, PACK_FILE), `${KEY_A} {"x":${KEY_B} {"y":2}\n1}\n`);
    const pack = new ParsePack(dir);
    expect(pack.get(KEY_A)).toBeUndefined();
    expect(pack.get(KEY_B)).toBeUndefined();
  });

  it("does not use an entry that is not a JSON object", () => {
    writeFileSync(path.join(dir, PACK_FILE), `${KEY_A} [1,2]\n${KEY_B} null\n`);
    const pack = new ParsePack(dir);
    expect(pack.get(KEY_A)).toBeUndefined();
    expect(pack.get(KEY_B)).toBeUndefined();
  });

  it("keeps entries with text beyond ASCII intact", () => {
    const body = '{"description":"Zürich – 東京 👩‍💻","tags":{"é":"ü"}}';
    new ParsePack(dir).put(KEY_A, body);
    new ParsePack(dir).put(KEY_B, '{"after":true}');
    const next = new ParsePack(dir);
    expect(next.get(KEY_A)).toEqual(JSON.parse(body));
    expect(next.get(KEY_B)).toEqual({ after: true });
  });

  it("drops a pack grown past its limit instead of reading it", () => {
    writeFileSync(path.join(dir, PACK_FILE), `${KEY_A} {"x":1}\n`);
    truncateSync(path.join(dir, PACK_FILE), MAX_PACK_BYTES + 1);
    expect(new ParsePack(dir).get(KEY_A)).toBeUndefined();
    expect(existsSync(path.join(dir, PACK_FILE))).toBe(false);
  });

  it("writes again when the cache directory is removed while in use", () => {
    const cache = path.join(dir, "cache");
    const pack = new ParsePack(cache);
    pack.put(KEY_A, '{"x":1}');
    rmSync(cache, { recursive: true });
    pack.put(KEY_B, '{"y":2}');
    expect(new ParsePack(cache).get(KEY_B)).toEqual({ y: 2 });
  });
});

describe("parseHclFileSync with a cache directory", () => {
  it("finds the entries of a pack written before (the key is the hash of the parser id, a NUL and the text)", () => {
    const cacheDir = path.join(dir, "cache");
    const file = path.join(dir, "main.tf");
    const text = 'a = "käse"\n';
    writeFileSync(file, text);
    const key = createHash("sha256").update("infra-hcl-parser@2").update("\0").update(text).digest("hex");
    // A body the parser would never return for this text: found, it can only have come from the pack.
    new ParsePack(cacheDir).put(key, '{"from":"pack"}');
    expect(parseHclFileSync(file, { cacheDir }).body).toEqual({ from: "pack" });
  });

  it("reads a file's body from the pack by content, and never a stale body after the file changed", async () => {
    const cacheDir = path.join(dir, "cache");
    const file = path.join(dir, "main.tf");
    writeFileSync(file, 'a = "first"\n');
    expect(parseHclFileSync(file, { cacheDir }).body).toEqual({ a: "first" });
    const size = statSync(path.join(cacheDir, PACK_FILE)).size;
    writeFileSync(file, 'a = "second"\n');
    const changed = parseHclFileSync(file, { cacheDir });
    expect(changed).toEqual({ body: { a: "second" }, text: 'a = "second"\n' });
    expect(statSync(path.join(cacheDir, PACK_FILE)).size).toBeGreaterThan(size);
  });
});
