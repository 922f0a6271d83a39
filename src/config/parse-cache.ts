import { appendFileSync, mkdirSync, readFileSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import type { HclBody } from "./hcl-parser.js";

/**
 * Parsed HCL kept across runs in ONE file per cache directory, keyed by the content hash of
 * the source: a warm run over a thousand files reads one file instead of a thousand (the
 * per-file reads cost more than parsing did). One line per entry, `<key> <json>`, only ever
 * appended, so concurrent infra processes do not overwrite each other's entries; a line that
 * is not a whole JSON object (a write interrupted or interleaved) is skipped and its file
 * parsed again. The key is the truth; a stale entry is never used, only left behind.
 */
export const PACK_FILE = "parsed.jsonl";

/** Past this the pack is mostly entries of files long since edited: it is dropped and rebuilt. */
export const MAX_PACK_BYTES = 64 * 1024 * 1024;

const packs = new Map<string, ParsePack>();

/** The pack of `cacheDir`, read once per process. */
export function parsePack(cacheDir: string): ParsePack {
  let pack = packs.get(cacheDir);
  if (!pack) {
    pack = new ParsePack(cacheDir);
    packs.set(cacheDir, pack);
  }
  return pack;
}

export class ParsePack {
  private readonly file: string;
  private readonly entries = new Map<string, string>();
  private dirReady = false;

  constructor(private readonly dir: string) {
    this.file = path.join(dir, PACK_FILE);
    this.load();
  }

  /** The body stored under `key`, or undefined (absent or unreadable: parse again). */
  get(key: string): HclBody | undefined {
    const json = this.entries.get(key);
    if (json === undefined) return undefined;
    try {
      const body: unknown = JSON.parse(json);
      if (typeof body === "object" && body !== null && !Array.isArray(body)) return body as HclBody;
    } catch {
      // fall through: the entry is not JSON, so it is not used
    }
    this.entries.delete(key);
    return undefined;
  }

  /** Keeps `json` (the body of the content under `key`) for later runs. */
  put(key: string, json: string): void {
    if (this.entries.get(key) === json) return;
    this.entries.set(key, json);
    const line = `${key} ${json}\n`;
    if (!this.dirReady) {
      mkdirSync(this.dir, { recursive: true });
      this.dirReady = true;
    }
    // One write of a whole line with O_APPEND: entries of concurrent runs land one after another.
    try {
      appendFileSync(this.file, line);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      mkdirSync(this.dir, { recursive: true }); // the cache was removed while this run was using it
      appendFileSync(this.file, line);
    }
  }

  private load(): void {
    const size = statSync(this.file, { throwIfNoEntry: false })?.size;
    if (size === undefined) return;
    if (size > MAX_PACK_BYTES) {
      rmSync(this.file, { force: true });
      return;
    }
    const text = readFileSync(this.file, "utf8");
    for (let start = 0; start < text.length; ) {
      const end = text.indexOf("\n", start);
      const line = text.slice(start, end === -1 ? text.length : end);
      start = end === -1 ? text.length : end + 1;
      const keyEnd = line.indexOf(" ");
      if (keyEnd > 0) this.entries.set(line.slice(0, keyEnd), line.slice(keyEnd + 1));
    }
  }
}
