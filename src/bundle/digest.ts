import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { listBundle } from "./listing.js";

/** sha256 (hex) by file name. */
export type FileDigests = Record<string, string>;

export async function sha256File(file: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/** sha256 of every regular file directly in `dir`, except the names given (see listBundle). */
export async function digestDirectory(dir: string, except: readonly string[]): Promise<FileDigests> {
  return (await listBundle(dir, except)).digests;
}
