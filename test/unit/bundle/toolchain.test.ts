import { describe, expect, it } from "vitest";
import { parseDeclaredToolchain, toolchainOf } from "../../../src/bundle/toolchain.js";
import { UsageError } from "../../../src/errors.js";

describe("parseDeclaredToolchain", () => {
  it("returns nothing when INFRA_TOOLCHAIN is unset", () => {
    expect(parseDeclaredToolchain(undefined)).toEqual({});
  });

  it("returns the declared facts of a flat JSON object of strings", () => {
    const declared = { image: "node@sha256:abc", terraform: "1.11.4", terraformSha256: "1ce9" };
    expect(parseDeclaredToolchain(JSON.stringify(declared))).toEqual(declared);
  });

  it.each([
    ["empty", "", "INFRA_TOOLCHAIN is not valid JSON"],
    ["malformed", "{not json", "INFRA_TOOLCHAIN is not valid JSON"],
    ["an array", "[]", "INFRA_TOOLCHAIN is not a JSON object"],
    ["null", "null", "INFRA_TOOLCHAIN is not a JSON object"],
    ["a string", '"text"', "INFRA_TOOLCHAIN is not a JSON object"],
    ["nested", '{"terraform":"1.11.4","tflint":{"version":"0.64.0"},"n":1}', "INFRA_TOOLCHAIN has values that are not strings: tflint, n"],
    ["huge", JSON.stringify({ image: "x".repeat(5000) }), "INFRA_TOOLCHAIN is 5012 characters long; at most 4096 are recorded"],
  ])("refuses %s with a usage error that says what is wrong", (_label, text, message) => {
    let caught: unknown;
    try {
      parseDeclaredToolchain(text);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(UsageError);
    expect((caught as UsageError).message).toBe(message);
    expect((caught as UsageError).hint).toMatch(/JSON object of strings/);
  });
});

describe("toolchainOf", () => {
  it("adds the CLI's own versions, which a declaration cannot override", () => {
    expect(toolchainOf({ image: "node@sha256:abc", infra: "9.9.9", node: "0.0.0" }, "0.1.0", "20.19.0")).toEqual({
      image: "node@sha256:abc",
      infra: "0.1.0",
      node: "20.19.0",
    });
  });
});
