import { spawnSync } from "node:child_process";
import { rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { collectGarbage } from "../../src/heap.js";
import { REDACTED } from "../../src/review/placeholders.js";
import { collectReviewedPlan, readPlanChanges, review } from "../../src/workflow/review.js";
import { tempDir } from "../helpers.js";

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

  it("keepReviewMemorySmall has TurboFan compile hot code without inlining what it calls", () => {
    const inlined = (tuned: boolean) => {
      const script = `
        ${tuned ? `import { keepReviewMemorySmall } from ${JSON.stringify(HEAP)}; keepReviewMemorySmall();` : ""}
        function add(a, b) { return a + b; }
        function hot(n) { let sum = 0; for (let i = 0; i < n; i += 1) sum = add(sum, i); return sum; }
        let total = 0;
        for (let run = 0; run < 2_000; run += 1) total += hot(1_000);
        console.log(total);
      `;
      const result = spawnSync(process.execPath, ["--trace-turbo-inlining", "--import", "tsx", "--input-type=module", "-e", script], { encoding: "utf8" });
      if (result.status !== 0) throw new Error(result.stderr);
      return /^Inlining .*SharedFunctionInfo add>/m.test(result.stdout);
    };
    expect(inlined(false)).toBe(true);
    expect(inlined(true)).toBe(false);
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

  it("collectGarbage('minor') frees the memory of a young buffer nothing references any more", () => {
    // Small enough that V8 does not collect on its own for the memory held outside its heap.
    const size = 4 << 20;
    const before = process.memoryUsage().arrayBuffers;
    let bytes: Buffer | undefined = Buffer.allocUnsafeSlow(size);
    expect(process.memoryUsage().arrayBuffers).toBeGreaterThanOrEqual(before + size);
    bytes = undefined;
    collectGarbage("minor");
    // V8 frees a dead buffer's memory on a thread of its own, just after the collection. The wait
    // blocks this thread, so nothing else runs here meanwhile that could collect the buffer itself.
    const freed = () => process.memoryUsage().arrayBuffers < before + size / 2;
    const pause = new Int32Array(new SharedArrayBuffer(4));
    for (let waited = 0; !freed() && waited < 500; waited += 5) Atomics.wait(pause, 0, 0, 5);
    expect(freed()).toBe(true);
    expect(bytes).toBeUndefined();
  });
});

/**
 * What a plan file's review holds on to. The parsed document is seen through JSON.parse, which
 * parsePlanJson calls; a WeakRef to each of its parts tells whether anything still holds it.
 */
describe("what a plan file's review holds", () => {
  const SECRET = "only-planned-values-mark-this-secret";
  const plan = {
    format_version: "1.2",
    terraform_version: "1.11.4",
    planned_values: { root_module: { resources: [{ address: "terraform_data.a", values: { input: SECRET }, sensitive_values: { input: true } }] } },
    prior_state: { values: { root_module: { resources: [] } } },
    configuration: { root_module: { variables: { password: { sensitive: true } } } },
    resource_changes: Array.from({ length: 50 }, (_, index) => ({
      address: `terraform_data.x[${index}]`,
      mode: "managed",
      type: "terraform_data",
      name: "x",
      index,
      change: { actions: ["create"], before: null, after: { input: `value ${index} holds ${SECRET}` }, after_unknown: { id: true }, before_sensitive: false, after_sensitive: {} },
    })),
  };
  let dir: string;
  let file: string;
  beforeAll(async () => {
    dir = await tempDir("review-holds");
    file = path.join(dir, "plan.json");
    await writeFile(file, JSON.stringify(plan));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** Runs `work` with every object JSON.parse returns meanwhile watched: the parts named, or the whole document. */
  async function watchingParse<T>(work: () => Promise<T>): Promise<{ result: T; parts: Map<string, WeakRef<object>> }> {
    const parts = new Map<string, WeakRef<object>>();
    const parse = JSON.parse;
    JSON.parse = (text: string, reviver?: Parameters<typeof JSON.parse>[1]): unknown => {
      const document: unknown = parse(text, reviver);
      if (typeof document === "object" && document !== null) {
        parts.set("document", new WeakRef(document));
        for (const [key, value] of Object.entries(document)) if (typeof value === "object" && value !== null) parts.set(key, new WeakRef(value));
        const changes = (document as { resource_changes?: Array<{ change: object }> }).resource_changes ?? [];
        changes.forEach((resource, index) => parts.set(`resource_changes[${index}].change`, new WeakRef(resource.change)));
      }
      return document;
    };
    try {
      return { result: await work(), parts };
    } finally {
      JSON.parse = parse;
    }
  }

  /** The watched parts still alive after a full collection. */
  async function alive(parts: Map<string, WeakRef<object>>): Promise<string[]> {
    // A WeakRef keeps its target until the current job ends.
    await new Promise((resolve) => setTimeout(resolve, 0));
    collectGarbage();
    return [...parts].filter(([, reference]) => reference.deref() !== undefined).map(([name]) => name);
  }

  it("once parsed, keeps only what the summary reads: the rest of the document is garbage before the summary is made", async () => {
    const { result, parts } = await watchingParse(() => readPlanChanges(file, "plan.json"));
    const kept = ["resource_changes", ...plan.resource_changes.map((_, index) => `resource_changes[${index}].change`)];
    expect([...parts.keys()].sort()).toEqual(["configuration", "document", "planned_values", "prior_state", ...kept].sort());
    expect((await alive(parts)).sort()).toEqual(kept.sort());
    expect(result.changes.resource_changes).toHaveLength(50);
    // The sweep read the planned values before they went: their secret is still swept.
    expect(result.sweep.sweepValue(SECRET)).toBe(REDACTED);
  });

  it("its summary keeps nothing of the parsed document", async () => {
    const { result, parts } = await watchingParse(() => review(file));
    expect(parts.size).toBeGreaterThan(0);
    expect(await alive(parts)).toEqual([]);
    expect(result.summary.resources).toHaveLength(50);
    expect(result.summary.resources[7]?.attributes).toEqual([
      { path: "id", after: "(known after apply)" },
      { path: "input", after: `"value 7 holds ${REDACTED}"` },
    ]);
  });
});

