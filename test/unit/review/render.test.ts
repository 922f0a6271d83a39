import { describe, expect, it } from "vitest";
import { MARKDOWN_LIMIT, describeSource, renderMarkdown, renderText, resourceNotes, type PlanHeader } from "../../../src/review/render.js";
import { emptyCounts, type ResourceSummary, type Summary } from "../../../src/review/summary.js";
import { renderReview, REVIEW_FORMATS, reviewPieces } from "../../../src/workflow/review.js";

const HEADER: PlanHeader = {
  env: "dev",
  region: "eu-central-1",
  accountId: "123456789012",
  commit: "0123456789abcdef0123456789abcdef01234567",
  dirty: false,
  createdAt: "2025-01-02T03:04:05.000Z",
};

function entry(address: string, action: ResourceSummary["action"], extra: Partial<ResourceSummary> = {}): ResourceSummary {
  const actions: ResourceSummary["actions"] = { add: ["create"], change: ["update"], destroy: ["delete"], replace: ["delete", "create"], read: ["read"], forget: ["forget"], "no-op": ["no-op"] }[action] as ResourceSummary["actions"];
  return { address, module: "", type: "terraform_data", mode: "managed", action, actions, attributes: [], ...extra };
}

const UNCHANGED: Summary = {
  terraformVersion: "1.11.4",
  formatVersion: "1.2",
  hasChanges: false,
  errored: false,
  complete: true,
  counts: emptyCounts(),
  resources: [],
  drift: [],
  outputs: [],
  deferred: [],
  checks: [],
};

const CHANGED: Summary = {
  ...UNCHANGED,
  hasChanges: true,
  counts: { ...emptyCounts(), add: 1, change: 1, replace: 1 },
  resources: [
    entry("terraform_data.new", "add"),
    entry("terraform_data.edit", "change", { attributes: [{ path: "input.size", before: '"small"', after: '"large"' }] }),
    entry("terraform_data.old", "replace", { reason: "replace_because_tainted" }),
  ],
  outputs: [{ name: "url", action: "add", sensitive: false, attributes: [{ path: "(whole value)", before: "null", after: '"https://x"' }] }],
};

/** The markdown with fenced blocks and code spans (CommonMark: closed by a backtick run of the same length) removed. */
function outsideCode(markdown: string): string {
  const withoutFences = markdown.replace(/^(`{3,})[^\n]*\n[\s\S]*?\n\1\s*$/gm, "");
  return withoutFences.replace(/(?<!`)(`+)(?!`)[\s\S]*?(?<!`)\1(?!`)/g, "");
}

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
  it("returns header, terraform's Plan: line, destructive changes first and one line per resource and output", () => {
    expect(renderText(CHANGED, HEADER)).toBe(
      [
        "Plan for dev (eu-central-1, account 123456789012)",
        "Source: 0123456789ab    made 2025-01-02T03:04:05.000Z with terraform 1.11.4",
        "",
        "Plan: 2 to add, 1 to change, 1 to destroy.",
        "Per resource (terraform's Plan: line counts the replace as one add and one destroy): 1 to add, 1 to change, 0 to destroy, 1 to replace",
        "",
        "DESTRUCTIVE: 1 resource(s) will be destroyed or replaced:",
        "  -/+ terraform_data.old  (destroy before create; is tainted, so must be replaced)",
        "",
        "Root module:",
        "  -/+ terraform_data.old  (destroy before create; is tainted, so must be replaced)",
        "  +   terraform_data.new",
        "  ~   terraform_data.edit",
        "",
        "Outputs:",
        "  +   output.url",
        "",
        "Attribute changes: infra review --detail",
        "",
      ].join("\n"),
    );
  });

  it("lists each changed attribute with --detail", () => {
    expect(renderText(CHANGED, HEADER, { detail: true })).toContain('  ~   terraform_data.edit\n        ~ input.size: "small" -> "large"\n');
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

  it("lets no control or bidi character reach the terminal", () => {
    const hostile: Summary = { ...CHANGED, resources: [entry("terraform_data.x[\"\u001b[2J\u202eevil\nline\"]", "add")] };
    const text = renderText(hostile, HEADER);
    expect(text).not.toMatch(/[\u001b\u202e]/);
    expect(text).toContain('terraform_data.x["\\u001b[2J\\u202eevil\\nline"]');
  });
});

describe("renderMarkdown", () => {
  it("returns a heading, the Plan: line, a warning with the destructive changes, a table and attribute blocks", () => {
    const markdown = renderMarkdown(CHANGED, { ...HEADER, dirty: true });
    expect(markdown).toContain("### Plan for `dev` (eu\\-central\\-1, account 123456789012)");
    expect(markdown).toContain("**Plan: 2 to add, 1 to change, 1 to destroy\\.**");
    expect(markdown).toContain("> [!WARNING]\n> **1 resource(s) will be destroyed or replaced:**\n> - replace `terraform_data.old`");
    expect(markdown).toContain("| update | `terraform_data.edit` | (root) |  |");
    expect(markdown).toContain('<details><summary><code>update terraform_data.edit</code> (1 attribute)</summary>\n\n```diff\n~ input.size: "small" -> "large"\n```\n\n</details>');
    expect(markdown).not.toContain("report.html");
    expect(renderMarkdown(CHANGED, HEADER, { fullReport: "report.html in the plan bundle" })).toContain("report\\.html in the plan bundle");
  });

  it("returns no table when nothing changes", () => {
    const markdown = renderMarkdown(UNCHANGED, HEADER);
    expect(markdown).toContain("**No changes\\. The infrastructure matches the configuration\\.**");
    expect(markdown).not.toContain("| action |");
  });

  it("keeps backticks, HTML, newlines, bidi and ESC in plan content from escaping their context", () => {
    const key = 'terraform_data.x["`</details><script>alert(1)</script><img src=x onerror=alert(1)>|\n| injected | row\u202e\u001b"]';
    const hostile: Summary = {
      ...CHANGED,
      terraformVersion: "1.11.4\n# Approved by security",
      resources: [entry(key, "replace", { reason: "<b>trusted</b>", attributes: [{ path: "a`b", before: '"```"', after: '"</details>"' }] })],
      outputs: [{ name: "o`ut</details>", action: "add", sensitive: false, attributes: [] }],
    };
    const markdown = renderMarkdown(hostile, HEADER);
    // Raw HTML survives only inside code spans and fences, where GitHub shows it as text.
    expect(outsideCode(markdown)).not.toMatch(/<script|<img|<b>/);
    expect(outsideCode(markdown).match(/<\/details>/g)?.length).toBe(markdown.match(/<details>/g)?.length);
    expect(markdown).not.toMatch(/[\u001b\u202e]/);
    expect(markdown).not.toMatch(/^# Approved/m);
    expect(markdown).not.toMatch(/^\| injected/m);
    // The key is one code span whose fence is longer than the backtick run inside it.
    expect(markdown).toContain("``terraform_data.x[\"`</details><script>");
  });

  it("stays under MARKDOWN_LIMIT with 5,000 resources, destructive ones always listed, and says how many rows it left out", () => {
    const resources: ResourceSummary[] = Array.from({ length: 5000 }, (_, index) =>
      entry(`module.app.terraform_data.item["instance-${String(index).padStart(4, "0")}"]`, index === 4999 ? "destroy" : "change", {
        module: "module.app",
        attributes: [{ path: "input", before: '"a"', after: '"b"' }],
      }),
    );
    const summary: Summary = { ...UNCHANGED, hasChanges: true, counts: { ...emptyCounts(), change: 4999, destroy: 1 }, resources };
    const markdown = renderMarkdown(summary, HEADER, { fullReport: "report.html" });

    expect(markdown.length).toBeLessThanOrEqual(MARKDOWN_LIMIT);
    const shown = markdown.split("\n").filter((line) => line.startsWith("| update |")).length;
    expect(shown).toBeGreaterThan(100);
    expect(shown).toBeLessThan(4999);
    expect(markdown).toMatch(/…and \d+ more; see report\\.html/);
    expect(markdown).toContain('> - destroy `module.app.terraform_data.item["instance-4999"]`');
    expect(markdown).toContain("**Plan: 0 to add, 4999 to change, 1 to destroy\\.**");
  });
});

describe("protected destructions come before everything else", () => {
  const cluster = entry("module.platform.aws_eks_cluster.this", "replace", { module: "module.platform", type: "aws_eks_cluster" });
  const key = entry("aws_kms_key.state", "destroy", { type: "aws_kms_key" });
  const ordinary = Array.from({ length: 3_000 }, (_, index) => entry(`terraform_data.filler_${index}_${"x".repeat(40)}`, "destroy"));
  const PROTECTED: Summary = {
    ...UNCHANGED,
    hasChanges: true,
    counts: { ...emptyCounts(), destroy: ordinary.length + 1, replace: 1 },
    resources: [...ordinary, cluster, key, entry("data.aws_eks_cluster.read", "read", { type: "aws_eks_cluster", mode: "data" })],
  };

  it("in summary.md, in full even when the plan is cut to the size budget", () => {
    const markdown = renderMarkdown(PROTECTED, HEADER);
    expect(markdown.length).toBeLessThan(MARKDOWN_LIMIT);
    const caution = markdown.indexOf("> [!CAUTION]");
    expect(caution).toBeGreaterThan(0);
    expect(caution).toBeLessThan(markdown.indexOf("> [!WARNING]"));
    expect(markdown).toContain("> **2 protected resource(s) will be deleted or replaced; apply refuses each until `--allow-destroy ADDRESS` names it:**");
    expect(markdown).toContain("> - replace `module.platform.aws_eks_cluster.this` (EKS cluster)\n> - delete `aws_kms_key.state` (KMS key)\n");
    expect(markdown).not.toContain("data.aws_eks_cluster.read` (EKS");
  });

  it("in the terminal, as the first lines", () => {
    const text = renderText(PROTECTED, HEADER);
    expect(text.split("\n").slice(0, 3)).toEqual([
      "!! replace module.platform.aws_eks_cluster.this (EKS cluster): apply needs --allow-destroy 'module.platform.aws_eks_cluster.this'",
      "!! delete aws_kms_key.state (KMS key): apply needs --allow-destroy 'aws_kms_key.state'",
      "",
    ]);
  });

  it("quotes the suggested flag for a shell, even when a for_each key holds a quote", () => {
    const quoted = entry(`aws_s3_bucket.logs["it's"]`, "destroy", { type: "aws_s3_bucket" });
    const text = renderText({ ...UNCHANGED, hasChanges: true, counts: { ...emptyCounts(), destroy: 1 }, resources: [quoted] }, HEADER);
    expect(text.split("\n")[0]).toBe(`!! delete aws_s3_bucket.logs["it's"] (S3 bucket (the state bucket among them)): apply needs --allow-destroy 'aws_s3_bucket.logs["it'\\''s"]'`);
  });

  it("not at all when the plan destroys nothing protected", () => {
    expect(renderMarkdown(CHANGED, HEADER)).not.toContain("[!CAUTION]");
    expect(renderText(CHANGED, HEADER).startsWith("!!")).toBe(false);
  });
});

describe("terraform's words", () => {
  it("puts each warning of the markdown callout in its own paragraph, the destructive list last", () => {
    const summary: Summary = {
      ...CHANGED,
      drift: [{ address: "terraform_data.edit", action: "change", attributes: [] }],
      checks: [{ address: "check.health", kind: "check", status: "fail", problems: [] }],
    };
    const markdown = renderMarkdown(summary, HEADER);
    expect(markdown).toContain(
      ["> [!WARNING]", "> 1 check\\(s\\) not passing", ">", "> 1 resource\\(s\\) changed outside terraform", ">", "> **1 resource(s) will be destroyed or replaced:**", "> - replace"].join("\n"),
    );
  });

  it.for<[string, string, string]>([
    ["delete_because_no_resource_config", "module.app.aws_s3_bucket.logs", "because aws_s3_bucket.logs is not in configuration"],
    ["delete_because_count_index", "aws_instance.web[3]", "because index [3] is out of range for count"],
    ["delete_because_each_key", 'aws_instance.web["b"]', 'because key ["b"] is not in for_each map'],
    ["delete_because_wrong_repetition", "aws_instance.web[0]", "because resource does not use count"],
    ["delete_because_no_module", "module.app.aws_s3_bucket.logs", "because module.app is not in configuration"],
    ["replace_by_triggers", "aws_instance.web", "will be replaced due to changes in replace_triggered_by"],
    ["read_because_dependency_pending", "data.aws_ami.ubuntu", "depends on a resource or a module with changes pending"],
    ["a_reason_from_the_future", "aws_instance.web", "a_reason_from_the_future"],
  ])("says %s as terraform does", ([reason, address, sentence]) => {
    const module = address.startsWith("module.app.") ? "module.app" : "";
    expect(resourceNotes(entry(address, "destroy", { reason, module }))).toEqual([sentence]);
  });

  it("counts unchanged and moved list elements in every format", () => {
    const summary: Summary = {
      ...CHANGED,
      resources: [
        entry("terraform_data.edit", "change", {
          attributes: [
            { path: "input", unchanged: 3 },
            { path: "input[2]", before: '"c"' },
            { path: "input[4]", before: '"e"', after: '"e"', movedTo: "input[0]" },
          ],
        }),
      ],
    };
    const text = renderText(summary, HEADER, { detail: true });
    expect(text).toContain("          input: # (3 unchanged elements hidden)\n");
    expect(text).toContain('        - input[2] = "c"\n');
    expect(text).toContain('        ~ input[4] = "e"  # same element, moved to input[0]\n');
    expect(renderMarkdown(summary, HEADER)).toContain("(2 attributes, 3 unchanged elements hidden)");
  });
});

describe("reviewPieces", () => {
  it("gives, piece by piece, exactly the text renderReview gives, in every format, report.html and summary.json in many pieces each ending a line", () => {
    for (const summary of [UNCHANGED, CHANGED]) {
      for (const header of [null, HEADER]) {
        for (const format of REVIEW_FORMATS) {
          const pieces = [...reviewPieces(summary, header, format, { detail: true })];
          expect(pieces.join(""), format).toBe(renderReview(summary, header, format, { detail: true }));
          if (format === "html" || format === "json") {
            expect(pieces.length).toBeGreaterThan(summary.resources.length);
            for (const piece of pieces) expect(piece.endsWith("\n")).toBe(true);
          }
        }
      }
    }
  });
});
