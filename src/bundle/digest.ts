import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { readdir } from "node:fs/promises";
import path from "node:path";

/** sha256 (hex) by file name. */
export type FileDigests = Record<string, string>;

export async function sha256File(file: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/** sha256 of every regular file directly in `dir`, except the names given. */
export async function digestDirectory(dir: string, except: readonly string[]): Promise<FileDigests> {
  const names = (await readdir(dir, { withFileTypes: true }))
    .filter((entry) => entry.isFile() && !except.includes(entry.name))
    .map((entry) => entry.name)
    .sort();
  const digests = await Promise.all(names.map((name) => sha256File(path.join(dir, name))));
  return Object.fromEntries(names.map((name, index) => [name, digests[index] as string]));
}
