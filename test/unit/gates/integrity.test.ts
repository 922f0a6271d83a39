import { describe, expect, it } from "vitest";
import { compareDigests, describeIntegrity } from "../../../src/gates/integrity.js";

describe("compareDigests", () => {
  const recorded = { tfplan: "aaa", "plan.txt": "bbb", "summary.md": "ccc" };

  it("returns ok when every digest matches", () => {
    expect(compareDigests(recorded, { ...recorded })).toEqual({ ok: true, changed: [], missing: [], unexpected: [], irregular: [] });
  });

  it("returns the changed files", () => {
    expect(compareDigests(recorded, { ...recorded, tfplan: "zzz" })).toEqual({ ok: false, changed: ["tfplan"], missing: [], unexpected: [], irregular: [] });
  });

  it("returns the missing files", () => {
    expect(compareDigests(recorded, { tfplan: "aaa", "plan.txt": "bbb" })).toEqual({
      ok: false,
      changed: [],
      missing: ["summary.md"],
      unexpected: [],
      irregular: [],
    });
  });

  it("returns the unexpected files", () => {
    expect(compareDigests(recorded, { ...recorded, "extra.tf": "ddd" })).toEqual({
      ok: false,
      changed: [],
      missing: [],
      unexpected: ["extra.tf"],
      irregular: [],
    });
  });

  it("reports all three kinds at once", () => {
    const report = compareDigests(recorded, { tfplan: "zzz", "plan.txt": "bbb", "extra.tf": "ddd" });
    expect(report).toEqual({ ok: false, changed: ["tfplan"], missing: ["summary.md"], unexpected: ["extra.tf"], irregular: [] });
    expect(describeIntegrity(report)).toBe(
      "changed since the plan was made: tfplan; missing: summary.md; not part of the plan: extra.tf",
    );
  });

  it.each(["constructor", "toString", "__proto__", "hasOwnProperty"])("reports an extra file named %s as unexpected", (name) => {
    const actual: Record<string, string> = { ...recorded };
    Object.defineProperty(actual, name, { value: "eee", enumerable: true });
    expect(compareDigests(recorded, actual)).toMatchObject({ ok: false, unexpected: [name] });
  });

  it("reports a recorded name that exists only on Object.prototype as missing", () => {
    const withProto = JSON.parse('{"tfplan":"aaa","plan.txt":"bbb","summary.md":"ccc","toString":"fff"}') as Record<string, string>;
    expect(compareDigests(withProto, { ...recorded })).toMatchObject({ ok: false, missing: ["toString"] });
  });

  it("is not ok when an entry is a symlink or a directory, and names it", () => {
    const report = compareDigests(recorded, { ...recorded }, [
      { name: "receipt.json", kind: "symlink" },
      { name: "extra", kind: "directory" },
    ]);
    expect(report.ok).toBe(false);
    expect(describeIntegrity(report)).toBe("not a regular file: receipt.json is a symbolic link, extra is a directory");
  });
});
