/**
 * yargs imports `node:assert` for two internal checks; loading node:assert costs about 5 ms of
 * every run of every command. The build aliases `assert` to this module (package.json, build),
 * which makes the same two checks the same way.
 */
export function strictEqual(actual: unknown, expected: unknown, message?: string | Error): void {
  if (!Object.is(actual, expected)) fail(message, `Expected values to be strictly equal: ${String(actual)} !== ${String(expected)}`);
}

export function notStrictEqual(actual: unknown, expected: unknown, message?: string | Error): void {
  if (Object.is(actual, expected)) fail(message, `Expected "actual" to be strictly unequal to: ${String(expected)}`);
}

function fail(message: string | Error | undefined, otherwise: string): never {
  if (message instanceof Error) throw message;
  const error = new Error(message ?? otherwise) as Error & { code: string };
  error.name = "AssertionError";
  error.code = "ERR_ASSERTION";
  throw error;
}
