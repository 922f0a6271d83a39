import { isErrno } from "../fs-errors.js";
import { appendFileSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
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

/** Where a loaded entry's JSON lies in the pack as read: decoded only when the entry is used. */
interface Span {
  start: number;
  end: number;
}

export class ParsePack {
  private readonly file: string;
  /** JSON by key: the text of an entry put in this run, or where it lies in `source`. */
  private readonly entries = new Map<string, string | Span>();
  private source: Buffer = Buffer.alloc(0);
  private dirReady = false;

  constructor(private readonly dir: string) {
    this.file = path.join(dir, PACK_FILE);
    this.load();
  }

  /** The body stored under `key`, or undefined (absent or unreadable: parse again). */
  get(key: string): HclBody | undefined {
    const json = this.json(key);
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
    if (this.json(key) === json) return;
    this.entries.set(key, json);
    const line = `${key} ${json}\n`;
    // A cache that cannot be written (a read-only tree, a file where the directory should be)
    // only makes the next run parse again; it never fails this one.
    try {
      if (!this.dirReady) {
        mkdirSync(this.dir, { recursive: true });
        // Ignores itself, so a repository without `.infra/` in its .gitignore still looks clean.
        writeFileSync(path.join(this.dir, ".gitignore"), "*\n", { flag: "w" });
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
    } catch (error) {
      if (!isErrno(error)) throw error;
    }
  }

  private json(key: string): string | undefined {
    const entry = this.entries.get(key);
    return entry === undefined || typeof entry === "string" ? entry : this.source.toString("utf8", entry.start, entry.end);
  }

  /**
   * Indexes the lines, `<key> <json>`, without decoding them: a run decodes only the entries
   * of the files it reads (reading the pack as one string cost three times as much).
   */
  private load(): void {
    const size = statSync(this.file, { throwIfNoEntry: false })?.size;
    if (size === undefined) return;
    if (size > MAX_PACK_BYTES) {
      rmSync(this.file, { force: true });
      return;
    }
    const source = readFileSync(this.file);
    this.source = source;
    for (let start = 0; start < source.length; ) {
      const newline = source.indexOf(NEWLINE, start);
      const end = newline === -1 ? source.length : newline;
      const keyEnd = source.subarray(start, end).indexOf(SPACE);
      if (keyEnd > 0) this.entries.set(source.toString("latin1", start, start + keyEnd), { start: start + keyEnd + 1, end });
      start = end + 1;
    }
  }
}

const NEWLINE = 0x0a;
const SPACE = 0x20;
