import { createHash } from "node:crypto";
import { constants } from "node:fs";
import { lstat, open, readdir } from "node:fs/promises";
import path from "node:path";
import type { FileDigests } from "./digest.js";

export type EntryKind = "file" | "symlink" | "directory" | "other";

/** An entry of a bundle directory that is not a regular file: never part of a plan. */
export interface IrregularEntry {
  name: string;
  kind: Exclude<EntryKind, "file">;
}

export interface BundleListing {
  /** sha256 of every regular file, by name, except the names excluded. Own keys only. */
  digests: FileDigests;
  /** Symlinks, directories, devices, sockets, FIFOs: a bundle holds none of them. */
  irregular: IrregularEntry[];
}

/**
 * Lists a bundle strictly: every entry is classified without following links, and regular files
 * are read with O_NOFOLLOW, so a file swapped for a link after the listing is caught as a link.
 */
export async function listBundle(dir: string, except: readonly string[]): Promise<BundleListing> {
  const names = (await readdir(dir)).sort();
  const digests: FileDigests = {};
  const irregular: IrregularEntry[] = [];
  const readBuffer = Buffer.allocUnsafe(READ_CHUNK_BYTES);
  for (const name of names) {
    const kind = kindOf(await lstat(path.join(dir, name)));
    if (kind !== "file") {
      irregular.push({ name, kind });
      continue;
    }
    if (except.includes(name)) continue;
    const digest = await sha256NoFollow(path.join(dir, name), readBuffer);
    if (digest === null) irregular.push({ name, kind: "symlink" });
    else Object.defineProperty(digests, name, { value: digest, enumerable: true, writable: true, configurable: true });
  }
  return { digests, irregular };
}

function kindOf(info: { isFile(): boolean; isSymbolicLink(): boolean; isDirectory(): boolean }): EntryKind {
  if (info.isSymbolicLink()) return "symlink";
  if (info.isDirectory()) return "directory";
  return info.isFile() ? "file" : "other";
}

/**
 * Files are hashed through one buffer per listing rather than a stream's fresh chunk per read: a
 * bundle is tens of MB, and memory touched for the first time costs more than hashing it.
 */
const READ_CHUNK_BYTES = 1 << 20;

/** sha256 of a regular file opened without following links; null when it turned into a link. */
async function sha256NoFollow(file: string, readBuffer: Buffer): Promise<string | null> {
  const handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ELOOP") return null;
    throw error;
  });
  if (!handle) return null;
  try {
    if (!(await handle.stat()).isFile()) return null;
    const hash = createHash("sha256");
    for (;;) {
      const { bytesRead } = await handle.read(readBuffer, 0, readBuffer.length);
      if (bytesRead === 0) return hash.digest("hex");
      hash.update(readBuffer.subarray(0, bytesRead));
    }
  } finally {
    await handle.close();
  }
}

export function describeIrregular(entries: readonly IrregularEntry[]): string {
  const words: Record<IrregularEntry["kind"], string> = { symlink: "a symbolic link", directory: "a directory", other: "not a regular file" };
  return entries.map((entry) => `${entry.name} is ${words[entry.kind]}`).join(", ");
}
