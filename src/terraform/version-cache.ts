import { mkdir, readFile, realpath, stat, writeFile } from "node:fs/promises";
import path from "node:path";

/**
 * Remembers which version a terraform binary reported, keyed by the binary's real path, size
 * and modification time: a replaced or upgraded binary misses the cache and is asked again.
 * Saves a process start on every command.
 */
export async function cachedVersion(binaryPath: string, cacheFile: string, ask: () => Promise<string>): Promise<string> {
  const stamp = await stampOf(binaryPath);
  const cached = await readFile(cacheFile, "utf8")
    .then((text) => JSON.parse(text) as { stamp?: unknown; version?: unknown })
    .catch(() => undefined);
  if (cached?.stamp === stamp && typeof cached.version === "string") return cached.version;
  const version = await ask();
  await mkdir(path.dirname(cacheFile), { recursive: true });
  await writeFile(cacheFile, JSON.stringify({ stamp, version }));
  return version;
}

async function stampOf(binaryPath: string): Promise<string> {
  const real = await realpath(binaryPath);
  const info = await stat(real);
  return `${real}:${info.size}:${info.mtimeMs}:${info.ino}`;
}
