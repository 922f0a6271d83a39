import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

/**
 * How a command's process sizes V8's young generation, for the one large document it handles.
 * V8 reads the growth factor at each growth, so setting it once the process runs works.
 */

/**
 * For a process that is about to review a large plan: nearly everything a review allocates is
 * the parsed plan, which survives, and V8 answers that by growing its young generation to the
 * maximum - tens of MB of peak memory that buy nothing. `infra review` has a memory budget.
 */
export function keepYoungGenerationSmall(): void {
  setFlagsFromString("--semi-space-growth-factor=1");
}

/**
 * What `infra review` sets before it reads a plan: the young generation kept small, and TurboFan
 * compiling without inlining. Inlining compiles a hot function together with what it calls: larger
 * compile jobs, whose memory stays with the compiler's thread once they are done. A
 * 10,000-resource review peaked ~5 MB higher with it, for no less CPU (nor on a 50,000-resource
 * plan, median of three, interleaved). It changes only how code is compiled, never what it does,
 * so no plan, however large, can fail for it.
 */
export function keepReviewMemorySmall(): void {
  keepYoungGenerationSmall();
  setFlagsFromString("--no-turbo-inlining");
}

/**
 * For the process that runs `infra plan`, which has a CPU budget instead: V8 starts with a small
 * young generation and doubles it after each scavenge that finds most objects alive. Parsing
 * terraform's JSON, where everything survives, then takes many small scavenges (8 for the 8 MB
 * bench plan in a fresh process, 3 with this), each with its fixed cost. Growing straight to the
 * maximum took about a tenth off the CPU of a whole 10,000-resource `infra plan` (median of
 * eight runs: 1.57 s, then 1.41 s), for at most the young generation's maximum in peak memory.
 */
export function growYoungGenerationQuickly(): void {
  setFlagsFromString("--semi-space-growth-factor=16");
}

type Collector = (options?: { type: "major" | "minor" }) => void;
let collector: Collector | null | undefined;

/**
 * Runs V8's collector now, for a process that has just dropped a large document: V8 would keep
 * it until its heap fills, and what the process allocates next comes on top of it. `minor`
 * collects the young generation only (a few ms): it frees what was allocated since the last
 * collection, e.g. a file's bytes once they are decoded, before a large parse. Skipped should a
 * Node not give the collector.
 */
export function collectGarbage(type: "major" | "minor" = "major"): void {
  if (collector === undefined) {
    setFlagsFromString("--expose-gc");
    // A context made after the flag has `gc`.
    const exposed: unknown = runInNewContext("typeof gc === 'function' ? gc : undefined");
    collector = typeof exposed === "function" ? (exposed as Collector) : null;
  }
  // Node 20's gc() takes `{ type: "minor" }` but ignores `{ type: "major" }`: a full collection is gc().
  if (type === "minor") collector?.({ type });
  else collector?.();
}
