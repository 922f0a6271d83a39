import { getHeapSpaceStatistics } from "node:v8";
import { describe, expect, it } from "vitest";
import { collectReviewedPlan, keepYoungGenerationSmall } from "../../../src/workflow/review.js";

describe("a review's memory", () => {
  it("collectReviewedPlan frees what nothing references any more", async () => {
    let plan: object | undefined = { resources: Array.from({ length: 10_000 }, (_, index) => ({ address: `terraform_data.x[${index}]` })) };
    const reference = new WeakRef(plan);
    plan = undefined;
    // A WeakRef keeps its target until the current job ends.
    await new Promise((resolve) => setTimeout(resolve, 0));
    collectReviewedPlan();
    expect(reference.deref()).toBeUndefined();
  });

  it("keepYoungGenerationSmall stops the young generation from growing under surviving allocations", () => {
    const newSpace = () => getHeapSpaceStatistics().find((space) => space.space_name === "new_space")?.space_size ?? 0;
    keepYoungGenerationSmall();
    const before = newSpace();
    const survivors: object[] = [];
    for (let index = 0; index < 400_000; index += 1) survivors.push({ index });
    expect(survivors).toHaveLength(400_000);
    expect(newSpace()).toBeLessThanOrEqual(before);
  });
});
