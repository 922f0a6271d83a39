import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeUtf8, encodeUtf8 } from "../../src/text-bytes.js";

describe("decodeUtf8 and encodeUtf8", () => {
  it.each([
    ["empty", ""],
    ["ASCII", '{"address":"a.b","value":"x"}\n'],
    ["Latin-1 letters, which are two bytes in UTF-8", "café ÿ"],
    ["box drawing and emoji", "│ Error ✔ 🚀"],
    ["a lone surrogate", "a\ud800b"],
  ])("match Node's UTF-8 codec on %s", (_name, text) => {
    expect(encodeUtf8(text).equals(Buffer.from(text, "utf8"))).toBe(true);
    const bytes = Buffer.from(text, "utf8");
    expect(decodeUtf8(bytes)).toBe(bytes.toString("utf8"));
  });

  it("match Node's UTF-8 codec on any text and any bytes", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), fc.uint8Array({ maxLength: 64 }), (text, raw) => {
        expect(encodeUtf8(text).equals(Buffer.from(text, "utf8"))).toBe(true);
        const bytes = Buffer.from(raw);
        expect(decodeUtf8(bytes)).toBe(bytes.toString("utf8"));
      }),
      { numRuns: 2_000 },
    );
  });
});
