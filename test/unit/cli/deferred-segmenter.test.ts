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
});
