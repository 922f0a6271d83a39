import fc from "fast-check";
import { statSync } from "node:fs";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeUtf8, writeTextFile } from "../../src/text-bytes.js";

const SAMPLES: Array<[string, string]> = [
  ["empty", ""],
  ["ASCII", '{"address":"a.b","value":"x"}\n'],
  ["Latin-1 letters, which are two bytes in UTF-8", "café ÿ"],
  ["box drawing and emoji", "│ Error ✔ 🚀"],
  ["a lone high surrogate", "a\ud800b"],
  ["a lone low surrogate", "a\udc00b"],
  ["a lone high surrogate at the end", "ab\ud800"],
  ["pairs back to back", "🚀🚀🚀x🚀"],
];

describe("decodeUtf8", () => {
  it.each(SAMPLES)("matches Node's UTF-8 codec on %s", (_name, text) => {
    const bytes = Buffer.from(text, "utf8");
    expect(decodeUtf8(bytes)).toBe(bytes.toString("utf8"));
  });

  it("matches Node's UTF-8 codec on any bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (raw) => {
        const bytes = Buffer.from(raw);
        expect(decodeUtf8(bytes)).toBe(bytes.toString("utf8"));
      }),
      { numRuns: 2_000 },
    );
  });
});

describe("writeTextFile", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "infra-text-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it.each(SAMPLES)("writes %s as Node's UTF-8, whatever the chunk size", async (_name, text) => {
    for (const chunkUnits of [2, 3, 4, 5, 1024]) {
      const file = path.join(dir, `sample-${chunkUnits}`);
      await writeTextFile(file, text, {}, chunkUnits);
      expect((await readFile(file)).equals(Buffer.from(text, "utf8"))).toBe(true);
    }
  });

  it("writes any text as Node's UTF-8, a surrogate pair on a chunk boundary included", async () => {
    const file = path.join(dir, "property");
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: "binary", maxLength: 40 }), fc.integer({ min: 2, max: 9 }), async (text, chunkUnits) => {
        await writeTextFile(file, text, {}, chunkUnits);
        expect((await readFile(file)).equals(Buffer.from(text, "utf8"))).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it("writes text given in pieces as Node's UTF-8 of the pieces joined, a surrogate pair split between two pieces included", async () => {
    const file = path.join(dir, "pieces");
    await fc.assert(
      fc.asyncProperty(fc.array(fc.string({ unit: "binary", maxLength: 12 }), { maxLength: 12 }), fc.integer({ min: 2, max: 9 }), async (pieces, chunkUnits) => {
        const joined = pieces.join("");
        // Pieces cut anywhere in the joined text, between the two halves of a pair too.
        const cut = [joined.slice(0, joined.length >> 1), joined.slice(joined.length >> 1)];
        for (const given of [pieces, cut]) {
          await writeTextFile(file, given, {}, chunkUnits);
          expect((await readFile(file)).equals(Buffer.from(joined, "utf8"))).toBe(true);
        }
      }),
      { numRuns: 500 },
    );
  });

  it("writes pieces out as they come, not once it has them all", async () => {
    const file = path.join(dir, "generated");
    const line = (index: number) => `line ${index} 🚀\n`;
    // What the file holds on disk when the generator is asked for its last piece.
    let writtenBeforeLast = -1;
    function* lines(): Generator<string, void, undefined> {
      for (let index = 0; index < 5_000; index += 1) {
        if (index === 4_999) writtenBeforeLast = statSync(file).size;
        yield line(index);
      }
    }
    await writeTextFile(file, lines(), {}, 1024);
    const text = Array.from({ length: 5_000 }, (_, index) => line(index)).join("");
    expect((await readFile(file)).equals(Buffer.from(text, "utf8"))).toBe(true);
    // All but the last chunk of 1,024 units is out by then.
    expect(writtenBeforeLast).toBeGreaterThan(Buffer.byteLength(text) - 4 * 1024);
  });

  it("writes a text larger than one chunk whole", async () => {
    const text = "🚀é-".repeat(200_000);
    const file = path.join(dir, "large");
    await writeTextFile(file, text);
    expect((await readFile(file)).equals(Buffer.from(text, "utf8"))).toBe(true);
  });

  it("creates the file with the mode asked for, and refuses an existing file under wx", async () => {
    const file = path.join(dir, "private");
    await writeTextFile(file, "secret-free", { mode: 0o600, flag: "wx" });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    await expect(writeTextFile(file, "again", { flag: "wx" })).rejects.toMatchObject({ code: "EEXIST" });
    expect(await readFile(file, "utf8")).toBe("secret-free");
  });

  it("replaces a longer file's content entirely under w", async () => {
    const file = path.join(dir, "shorter");
    await writeFile(file, "a much longer previous content");
    await writeTextFile(file, "short");
    expect(await readFile(file, "utf8")).toBe("short");
  });

  it("refuses a chunk size that could split a surrogate pair", async () => {
    await expect(writeTextFile(path.join(dir, "never"), "x", {}, 1)).rejects.toThrow(RangeError);
  });
});
