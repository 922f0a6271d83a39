import type { Argv } from "yargs";

interface UsageInternals {
  cacheHelpMessage?: unknown;
}

interface YargsInternals {
  getInternalMethods?: () => { getUsageInstance?: () => UsageInternals | undefined } | undefined;
}

/**
 * yargs 18 lays out the help text of the command being run right after starting its handler,
 * in case the handler asks for its help later (infra's handlers never do): 20-30 ms of text
 * wrapping on every run, a tenth of a warm `infra policy`. Help for `--help` and usage errors is
 * laid out when it is shown, as before. Should a later yargs move this internal, nothing breaks:
 * the help is cached again and the run is that much slower (test/unit/cli/help-cache.test.ts notices).
 */
export function layOutHelpOnlyWhenShown(cli: Argv): void {
  const usage = (cli as unknown as YargsInternals).getInternalMethods?.()?.getUsageInstance?.();
  if (usage && typeof usage.cacheHelpMessage === "function") usage.cacheHelpMessage = () => undefined;
}
