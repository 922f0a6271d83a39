import { UsageError } from "../errors.js";

const USAGE_HINT = "run `infra <command> --help` for the options";

/** Flags that name one thing each time and are meant to be repeated (`--allow-destroy A --allow-destroy B`, `infra lock --platform`). */
const REPEATABLE_FLAGS: ReadonlySet<string> = new Set(["allow-destroy", "platform"]);

/**
 * Refuses a flag given more than once (`--env dev --env prod`): yargs would quietly make it an
 * array or keep the last one, and which environment was meant is exactly what must not be guessed.
 */
export function refuseRepeatedFlags(argv: readonly string[]): void {
  const end = argv.indexOf("--");
  const seen = new Map<string, string[]>();
  for (const token of end === -1 ? argv : argv.slice(0, end)) {
    const match = /^--?([^=]+)(?:=(.*))?$/.exec(token);
    if (!match || /^-\d/.test(token)) continue;
    const name = (match[1] ?? "").replace(/^no-/, "");
    seen.set(name, [...(seen.get(name) ?? []), token]);
  }
  for (const [name, tokens] of seen) {
    if (tokens.length > 1 && !REPEATABLE_FLAGS.has(name)) {
      throw new UsageError(`${name.length === 1 ? "-" : "--"}${name} was given ${tokens.length} times; give it once`, USAGE_HINT);
    }
  }
}

/**
 * Refuses an option or argument given as an empty string (`--env ''`, `--out` with no value):
 * an empty value would otherwise mean "everything" or "the current directory".
 */
export function refuseEmptyValues(parsed: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(parsed)) {
    if (key === "_" || key === "$0" || /[A-Z]/.test(key)) continue;
    if (value === "") throw new UsageError(`--${key} is empty; give it a value`, USAGE_HINT);
  }
}
