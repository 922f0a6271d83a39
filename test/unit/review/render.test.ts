import { describe, expect, it } from "vitest";
import { MARKDOWN_LIMIT, describeSource, renderMarkdown, renderText, type PlanHeader } from "../../../src/review/render.js";
import type { ResourceSummary, Summary } from "../../../src/review/summary.js";

const HEADER: PlanHeader = {
  env: "dev",
  region: "eu-central-1",
  accountId: "123456789012",
  commit: "0123456789abcdef0123456789abcdef01234567",
  dirty: false,
  createdAt: "2025-01-02T03:04:05.000Z",
};

const CHANGED: Summary = {
  terraformVersion: "1.11.4",
  hasChanges: true,
  counts: { add: 1, change: 1, destroy: 0, replace: 1 },
  resources: [
    { address: "terraform_data.new", type: "terraform_data", action: "add" },
    { address: "terraform_data.edit", type: "terraform_data", action: "change" },
    { address: "terraform_data.old", type: "terraform_data", action: "replace", reason: "replace_because_tainted" },
  ],
  outputs: [{ name: "url", action: "add" }],
};

const UNCHANGED: Summary = {
  terraformVersion: "1.11.4",
  hasChanges: false,
  counts: { add: 0, change: 0, destroy: 0, replace: 0 },
  resources: [],
  outputs: [],
};

describe("describeSource", () => {
  it("returns the first 12 characters of the commit", () => {
    expect(describeSource({ commit: HEADER.commit, dirty: false })).toBe("0123456789ab");
  });

  it("says when the checkout had uncommitted changes", () => {
    expect(describeSource({ commit: HEADER.commit, dirty: true })).toBe("0123456789ab (with uncommitted changes)");
  });

  it("says when there is no git checkout", () => {
    expect(describeSource({ commit: null, dirty: null })).toBe("not a git checkout");
  });
});

describe("renderText", () => {
  it("returns header, counts and one line per resource and output", () => {
    expect(renderText(CHANGED, HEADER)).toBe(
      [
        "Plan for dev (eu-central-1, account 123456789012)",
        "Source: 0123456789ab    made 2025-01-02T03:04:05.000Z with terraform 1.11.4",
        "",
        "Changes: 1 to add, 1 to change, 0 to destroy, 1 to replace",
        "",
        "  +   terraform_data.new",
        "  ~   terraform_data.edit",
        "  -/+ terraform_data.old  (replace_because_tainted)",
        "  +   output.url",
        "",
      ].join("\n"),
    );
  });

  it("returns the no-changes sentence when nothing changes", () => {
    expect(renderText(UNCHANGED, { ...HEADER, commit: null, dirty: null })).toBe(
      [
        "Plan for dev (eu-central-1, account 123456789012)",
        "Source: not a git checkout    made 2025-01-02T03:04:05.000Z with terraform 1.11.4",
        "",
        "No changes. The infrastructure matches the configuration.",
        "",
      ].join("\n"),
    );
  });
});

describe("renderMarkdown", () => {
  it("returns a heading, the counts and a table row per resource and output", () => {
    expect(renderMarkdown(CHANGED, { ...HEADER, dirty: true })).toBe(
      [
        "### Plan for `dev` (eu-central-1, account 123456789012)",
        "",
        "Source: 0123456789ab (with uncommitted changes) · terraform 1.11.4 · 2025-01-02T03:04:05.000Z",
        "",
        "**1 to add, 1 to change, 0 to destroy, 1 to replace**",
        "",
        "| action | address | reason |",
        "| --- | --- | --- |",
        "| add | `terraform_data.new` |  |",
        "| change | `terraform_data.edit` |  |",
        "| replace | `terraform_data.old` | replace_because_tainted |",
        "| add | output `url` | |",
        "",
      ].join("\n"),
    );
  });

  it("returns no table when nothing changes", () => {
    const markdown = renderMarkdown(UNCHANGED, HEADER);
    expect(markdown).toContain("**No changes.**");
    expect(markdown).not.toContain("| action |");
  });

  it("stays under MARKDOWN_LIMIT with 5,000 resources and says how many rows it left out", () => {
    const resources: ResourceSummary[] = Array.from({ length: 5000 }, (_, index) => ({
      address: `module.app.terraform_data.item["instance-${String(index).padStart(4, "0")}"]`,
      type: "terraform_data",
      action: "add",
    }));
    const summary: Summary = { ...UNCHANGED, hasChanges: true, counts: { add: 5000, change: 0, destroy: 0, replace: 0 }, resources };
    const markdown = renderMarkdown(summary, HEADER);

    expect(markdown.length).toBeLessThanOrEqual(MARKDOWN_LIMIT);
    expect(markdown.length).toBeGreaterThan(MARKDOWN_LIMIT - 200);
    const shown = markdown.split("\n").filter((line) => line.startsWith("| add |")).length;
    expect(shown).toBeGreaterThan(100);
    expect(shown).toBeLessThan(5000);
    expect(markdown).toContain(`…and ${5000 - shown} more; see summary.json or report.html in the plan bundle.`);
    expect(markdown).toContain('instance-0000"]');
    expect(markdown).not.toContain('instance-4999"]');
  });
});
