import { describe, expect, it } from "vitest";
import { REDACTED } from "../../../src/review/placeholders.js";
import { SecretMatcher, SUBSTRING_MIN, TOKEN_MIN } from "../../../src/review/secret-matcher.js";

describe("SecretMatcher", () => {
  it("replaces a whole value of any length, and nothing inside longer strings for secrets under TOKEN_MIN", () => {
    const matcher = new SecretMatcher(["ab"]);
    expect(matcher.sweepValue("ab")).toBe(REDACTED);
    expect(matcher.sweepValue("x ab y")).toBe("x ab y");
  });

  it("finds long secrets anywhere, the longest at a position, and every occurrence", () => {
    const matcher = new SecretMatcher(["abcdefgh", "abcdefghijkl"]);
    expect(matcher.sweepText("xxabcdefghijklyy abcdefgh")).toBe(`xx${REDACTED}yy ${REDACTED}`);
  });

  it("finds medium secrets only as whole words", () => {
    const secret = "x".repeat(TOKEN_MIN);
    const matcher = new SecretMatcher([secret]);
    expect(matcher.sweepText(`a=${secret};`)).toBe(`a=${REDACTED};`);
    expect(matcher.sweepText(`a=${secret}x`)).toBe(`a=${secret}x`);
    expect(matcher.sweepText(`${secret}-logs`)).toBe(`${secret}-logs`);
  });

  it("finds every one of 20,000 secrets in one pass over the text", () => {
    const secrets = Array.from({ length: 20_000 }, (_, index) => `secret-${String(index).padStart(6, "0")}-value`);
    const matcher = new SecretMatcher(secrets);
    const text = secrets.filter((_, index) => index % 997 === 0).join(" and ");
    const swept = matcher.sweepText(text);
    expect(swept).not.toMatch(/secret-\d{6}-value/);
    expect(swept.split(REDACTED)).toHaveLength(secrets.filter((_, index) => index % 997 === 0).length + 1);
  });

  it("matches a secret exactly SUBSTRING_MIN long at the very end of a string", () => {
    const secret = "s".repeat(SUBSTRING_MIN - 1) + "t";
    expect(new SecretMatcher([secret]).sweepText(`key=${secret}`)).toBe(`key=${REDACTED}`);
  });

  it("treats numbers as secrets by value and by their digits", () => {
    const matcher = new SecretMatcher([], [123456789]);
    expect(matcher.isSecretNumber(123456789)).toBe(true);
    expect(matcher.isSecretNumber(1)).toBe(false);
    expect(matcher.sweepText("id 123456789")).toBe(`id ${REDACTED}`);
  });
});
