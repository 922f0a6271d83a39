import * as nodeAssert from "node:assert";
import { describe, expect, it } from "vitest";
import * as yargsAssert from "../../../src/cli/yargs-assert.js";

const PAIRS: Array<[unknown, unknown]> = [
  [1, 1],
  [1, "1"],
  ["a", "a"],
  [undefined, undefined],
  [undefined, null],
  [Number.NaN, Number.NaN],
  [0, -0],
  [{}, {}],
  [true, true],
];

function throws(check: () => void): boolean {
  try {
    check();
    return false;
  } catch {
    return true;
  }
}

describe("the assert yargs gets in the build", () => {
  it.each(PAIRS)("judges %s and %s as node:assert does", (actual, expected) => {
    expect(throws(() => yargsAssert.strictEqual(actual, expected))).toBe(throws(() => nodeAssert.strictEqual(actual, expected)));
    expect(throws(() => yargsAssert.notStrictEqual(actual, expected))).toBe(throws(() => nodeAssert.notStrictEqual(actual, expected)));
  });

  it("throws an AssertionError with the message given, or the Error given", () => {
    expect(() => yargsAssert.strictEqual(1, 2, "one is not two")).toThrow(expect.objectContaining({ name: "AssertionError", code: "ERR_ASSERTION", message: "one is not two" }));
    const own = new TypeError("own error");
    expect(() => yargsAssert.notStrictEqual(true, true, own)).toThrow(own);
  });
});
