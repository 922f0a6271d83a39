import { describe, expect, it } from "vitest";
import { UsageError } from "../../../src/errors.js";
import { refuseEmptyValues, refuseRepeatedFlags } from "../../../src/cli/argv.js";

describe("refuseRepeatedFlags", () => {
  it.each([
    [["plan", "--env", "dev", "--env", "prod"], "--env was given 2 times; give it once"],
    [["plan", "--env=dev", "--env", "prod"], "--env was given 2 times; give it once"],
    [["check", "--quiet", "--no-quiet"], "--quiet was given 2 times; give it once"],
    [["review", "x", "-h", "-h"], "-h was given 2 times; give it once"],
  ])("throws a UsageError for %j", (argv, message) => {
    expect(() => refuseRepeatedFlags(argv)).toThrow(UsageError);
    expect(() => refuseRepeatedFlags(argv)).toThrow(message);
  });

  it("accepts distinct flags, negative numbers and anything after --", () => {
    expect(() => refuseRepeatedFlags(["plan", "--env", "dev", "--out", "-1", "--", "--env", "--env"])).not.toThrow();
  });
});

describe("refuseEmptyValues", () => {
  it("throws a UsageError naming the first empty option", () => {
    const parsed = { _: ["check"], $0: "infra", env: "", root: "terraform" };
    expect(() => refuseEmptyValues(parsed)).toThrow(UsageError);
    expect(() => refuseEmptyValues(parsed)).toThrow("--env is empty; give it a value");
  });

  it("accepts values, false and yargs' own keys", () => {
    expect(() => refuseEmptyValues({ _: [""], $0: "", json: false, env: "dev" })).not.toThrow();
  });
});
