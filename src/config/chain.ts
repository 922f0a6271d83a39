import { ConfigError } from "../errors.js";
import { listEnvironments, readEnvironment, type Environment, type ReadOptions } from "./environment.js";

/**
 * The promotion chain: every environment, each after the one it is `promoted_from` (README "How it
 * works"). The CI workflow is generated from it (scripts/workflows.ts), so a new folder under
 * `envs/` is a new set of jobs and a changed `promoted_from` reorders them.
 */
export type ChainEnvironment = Pick<Environment, "name" | "region" | "accountId" | "promotedFrom" | "protected" | "maxPlanAgeMs" | "factsFile">;

export async function readPromotionChain(root: string, options: ReadOptions = {}): Promise<ChainEnvironment[]> {
  const names = await listEnvironments(root);
  const environments = await Promise.all(names.map((name) => readEnvironment(root, name, options)));
  return promotionOrder(
    environments.map(({ name, region, accountId, promotedFrom, protected: isProtected, maxPlanAgeMs, factsFile }) => ({
      name,
      region,
      accountId,
      promotedFrom,
      protected: isProtected,
      maxPlanAgeMs,
      factsFile,
    })),
  );
}

/**
 * Orders environments so each comes after the one it is promoted from (ties by name, so the order
 * is stable). A cycle (dev from prod, prod from dev) would let no environment be applied first.
 */
export function promotionOrder<T extends Pick<ChainEnvironment, "name" | "promotedFrom" | "factsFile">>(environments: readonly T[]): T[] {
  const ordered: T[] = [];
  const placed = new Set<string>();
  const waiting = [...environments].sort((a, b) => a.name.localeCompare(b.name));
  while (waiting.length > 0) {
    const ready = waiting.findIndex((each) => each.promotedFrom === null || placed.has(each.promotedFrom));
    if (ready === -1) {
      const files = waiting.map((each) => each.factsFile).join(", ");
      throw new ConfigError(
        `the environments ${waiting.map((each) => each.name).join(", ")} are promoted from each other in a circle (${files}), so none of them can be applied first`,
        "set promoted_from = null in the environment that comes first",
      );
    }
    const [next] = waiting.splice(ready, 1) as [T];
    ordered.push(next);
    placed.add(next.name);
  }
  return ordered;
}
