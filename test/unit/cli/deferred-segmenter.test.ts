import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DeferredSegmenter, restoreIntlSegmenter } from "../../../src/cli/deferred-segmenter.js";

const text = "Wide 日本語 text, emoji 👩‍👩‍👧 and e\u0301";

// In order: importing the module puts the stand-in in place, restoring takes it out again.
describe("DeferredSegmenter", () => {
  it("stands in for Intl.Segmenter while the CLI's modules load, without creating the real one", () => {
    const segmenter = new Intl.Segmenter();
    expect(segmenter).toBeInstanceOf(DeferredSegmenter);
    expect((segmenter as unknown as DeferredSegmenter).created).toBe(false);
  });

  it("gives the real constructor back", () => {
    restoreIntlSegmenter();
    const segmenter = new Intl.Segmenter();
    expect(segmenter).not.toBeInstanceOf(DeferredSegmenter);
    expect([...segmenter.segment("ab")].map((part) => part.segment)).toEqual(["a", "b"]);
  });

  it("segments exactly as the real segmenter, creating it on first use", () => {
    restoreIntlSegmenter();
    const deferred = new DeferredSegmenter("en", { granularity: "grapheme" });
    const real = new Intl.Segmenter("en", { granularity: "grapheme" });
    expect([...deferred.segment(text)].map((part) => part.segment)).toEqual([...real.segment(text)].map((part) => part.segment));
    expect(deferred.created).toBe(true);
    expect(deferred.resolvedOptions()).toEqual(real.resolvedOptions());
  });

  const segmentsOf = (segments: Intl.Segments) => [...segments].map(({ segment, index, input }) => ({ segment, index, input }));

  it("segments ASCII as the real segmenter does, without creating it", () => {
    restoreIntlSegmenter();
    const real = new Intl.Segmenter();
    fc.assert(
      fc.property(fc.string({ unit: fc.integer({ min: 0, max: 0x7f }).filter((code) => code !== 0x0d).map((code) => String.fromCharCode(code)), maxLength: 30 }), (input) => {
        const deferred = new DeferredSegmenter();
        const segments = deferred.segment(input);
        const expected = real.segment(input);
        expect(segmentsOf(segments)).toEqual(segmentsOf(expected));
        for (const index of [-2, -1, -0.5, 0, 0.7, 1, input.length - 1, input.length, input.length + 1, Number.NaN]) {
          expect(segments.containing(index)).toEqual(expected.containing(index));
        }
        expect(segments.containing()).toEqual(expected.containing());
        expect(deferred.created).toBe(false);
      }),
      { numRuns: 500 },
    );
  });

  it("leaves CR LF, non-ASCII text and word segmentation to the real segmenter", () => {
    restoreIntlSegmenter();
    for (const [input, options] of [["a\r\nb", undefined], ["e\u0301!", undefined], ["two words", { granularity: "word" }]] as const) {
      const deferred = new DeferredSegmenter("en", options);
      const real = new Intl.Segmenter("en", options);
      expect([...deferred.segment(input)]).toEqual([...real.segment(input)]);
      expect(deferred.created).toBe(true);
    }
  });
});
