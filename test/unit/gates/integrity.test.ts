import { describe, expect, it } from "vitest";
import { compareDigests, describeIntegrity } from "../../../src/gates/integrity.js";

describe("compareDigests", () => {
  const recorded = { tfplan: "aaa", "plan.txt": "bbb", "summary.md": "ccc" };

  it("returns ok when every digest matches", () => {
    expect(compareDigests(recorded, { ...recorded })).toEqual({ ok: true, changed: [], missing: [], unexpected: [] });
  });

  it("returns the changed files", () => {
    expect(compareDigests(recorded, { ...recorded, tfplan: "zzz" })).toEqual({ ok: false, changed: ["tfplan"], missing: [], unexpected: [] });
  });

  it("returns the missing files", () => {
    expect(compareDigests(recorded, { tfplan: "aaa", "plan.txt": "bbb" })).toEqual({
      ok: false,
      changed: [],
      missing: ["summary.md"],
      unexpected: [],
    });
  });

  it("returns the unexpected files", () => {
    expect(compareDigests(recorded, { ...recorded, "extra.tf": "ddd" })).toEqual({
      ok: false,
      changed: [],
      missing: [],
      unexpected: ["extra.tf"],
    });
  });

  it("reports all three kinds at once", () => {
    const report = compareDigests(recorded, { tfplan: "zzz", "plan.txt": "bbb", "extra.tf": "ddd" });
    expect(report).toEqual({ ok: false, changed: ["tfplan"], missing: ["summary.md"], unexpected: ["extra.tf"] });
    expect(describeIntegrity(report)).toBe(
      "changed since the plan was made: tfplan; missing: summary.md; not part of the plan: extra.tf",
    );
  });
});
