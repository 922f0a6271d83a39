import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { collectReviewedPlan } from "../../src/workflow/review.js";

const HEAP = fileURLToPath(new URL("../../src/heap.ts", import.meta.url));

/**
 * The young generation's sizes, in MB, as 2 million surviving objects are allocated in a fresh
 * process (this one's heap has been shaped by the test runner), after calling `tuning` from
 * src/heap.ts, or nothing.
 */
function youngGenerationSizes(tuning: "keepYoungGenerationSmall" | "growYoungGenerationQuickly" | null): number[] {
  const script = `
    import { getHeapSpaceStatistics } from "node:v8";
    ${tuning ? `import { ${tuning} } from ${JSON.stringify(HEAP)}; ${tuning}();` : ""}
    const size = () => getHeapSpaceStatistics().find((space) => space.space_name === "new_space").space_size / 1048576;
    const sizes = [size()];
    const survivors = [];
    for (let index = 0; index < 2_000_000; index += 1) {
      survivors.push({ index });
      if (index % 1024 === 0 && size() !== sizes.at(-1)) sizes.push(size());
    }
    console.log(JSON.stringify(sizes));
  `;
  const result = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { encoding: "utf8" });
  if (result.status !== 0) throw new Error(result.stderr);
  return JSON.parse(result.stdout) as number[];
}

describe("heap tuning", () => {
  it("V8 on its own doubles the young generation step by step under surviving allocations", () => {
    const sizes = youngGenerationSizes(null);
    expect(sizes.length).toBeGreaterThan(2);
    for (let index = 1; index < sizes.length; index += 1) expect((sizes[index] as number) / (sizes[index - 1] as number)).toBe(2);
  });

  it("growYoungGenerationQuickly reaches the largest young generation in one step", () => {
    const sizes = youngGenerationSizes("growYoungGenerationQuickly");
    const largest = Math.max(...youngGenerationSizes(null));
    expect(sizes.at(-1)).toBe(largest);
    expect(sizes.length).toBeLessThanOrEqual(2);
  });

  it("keepYoungGenerationSmall stops the young generation from growing", () => {
    const sizes = youngGenerationSizes("keepYoungGenerationSmall");
    // V8 may shrink an idle young generation and grow it back; it never grows past where it began.
    expect(Math.max(...sizes)).toBe(sizes[0]);
    expect(Math.max(...youngGenerationSizes(null))).toBeGreaterThan(sizes[0] as number);
  });

  it("collectReviewedPlan frees what nothing references any more", async () => {
    let plan: object | undefined = { resources: Array.from({ length: 10_000 }, (_, index) => ({ address: `terraform_data.x[${index}]` })) };
    const reference = new WeakRef(plan);
    plan = undefined;
    // A WeakRef keeps its target until the current job ends.
    await new Promise((resolve) => setTimeout(resolve, 0));
    collectReviewedPlan();
    expect(reference.deref()).toBeUndefined();
  });
});
