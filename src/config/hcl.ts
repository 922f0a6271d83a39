import { createHash, randomUUID } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { parseHcl, type HclBody } from "./hcl-parser.js";

/** hcl2-parser's JSON shape: blocks become arrays of bodies, labels become nested keys. */
export type { HclBody } from "./hcl-parser.js";

/** In-flight and finished parses by content key: two roots sharing a file parse it once. */
const parsedByContent = new Map<string, Promise<HclBody>>();

/** Part of every cache key: a parser that reads differently must not reuse the old parser's entries. */
const PARSER_ID = "infra-hcl-parser@1";

export interface ParseOptions {
  /** Where parsed files are kept by content hash across runs, so a file is parsed once, not once per command. */
  cacheDir?: string;
}

/** Parses one file; the same content is parsed once however often and by however many runs. */
export async function parseHclFile(file: string, options: ParseOptions): Promise<HclBody> {
  return (await parseHclFileWithText(file, options)).body;
}

/** The same, with the text that was parsed (for line numbers), read once. */
export async function parseHclFileWithText(file: string, options: ParseOptions): Promise<{ body: HclBody; text: string }> {
  const text = await readFile(file, "utf8");
  const key = createHash("sha256").update(PARSER_ID).update("\0").update(text).digest("hex");
  let parsed = parsedByContent.get(key);
  if (!parsed) {
    parsed = parseOrReadCache(file, text, key, options);
    parsedByContent.set(key, parsed);
    // A failed parse is not remembered: the next caller gets its own error for its own file.
    parsed.catch(() => parsedByContent.delete(key));
  }
  return { body: await parsed, text };
}

async function parseOrReadCache(file: string, text: string, key: string, options: ParseOptions): Promise<HclBody> {
  const cacheFile = options.cacheDir ? path.join(options.cacheDir, `${key}.json`) : undefined;
  const cached = cacheFile ? await readCached(cacheFile) : undefined;
  if (cached) return cached;
  const body = parseHcl(text, file);
  if (cacheFile) await writeCached(cacheFile, body);
  return body;
}

async function readCached(cacheFile: string): Promise<HclBody | undefined> {
  const text = await readFile(cacheFile, "utf8").catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as HclBody;
  } catch {
    return undefined; // a torn write: parse the file again
  }
}

/** Written then renamed, so a concurrent reader (another infra process) sees a whole entry or none. */
const createdCacheDirs = new Map<string, Promise<unknown>>();

async function writeCached(cacheFile: string, body: HclBody): Promise<void> {
  const dir = path.dirname(cacheFile);
  // Once per run, not once per file: a cold tree of a thousand files would otherwise pay a thousand mkdirs.
  let created = createdCacheDirs.get(dir);
  if (!created) {
    created = mkdir(dir, { recursive: true });
    createdCacheDirs.set(dir, created);
    created.catch(() => createdCacheDirs.delete(dir));
  }
  await created;
  const partial = `${cacheFile}.${process.pid}.${randomUUID()}.partial`;
  const text = JSON.stringify(body);
  await writeFile(partial, text).catch(async (error: NodeJS.ErrnoException) => {
    if (error.code !== "ENOENT") throw error;
    await mkdir(dir, { recursive: true }); // the cache was removed while this run was using it
    await writeFile(partial, text);
  });
  await rename(partial, cacheFile);
}

/** Every body of a top-level block type across the parsed files, with the file it came from. */
export function blocksOf(files: readonly ParsedFile[], type: string): Array<{ file: string; body: HclBody }> {
  return files.flatMap(({ file, body }) => asBodies(body[type]).map((block) => ({ file, body: block })));
}

/** Blocks with one label (`module "name"`, `variable "name"`), which hcl2-parser keys by label. */
export function labeledBlocksOf(files: readonly ParsedFile[], type: string): Array<{ file: string; label: string; body: HclBody }> {
  return files.flatMap(({ file, body }) => {
    const group = body[type];
    if (typeof group !== "object" || group === null || Array.isArray(group)) return [];
    return Object.entries(group).flatMap(([label, bodies]) => asBodies(bodies).map((block) => ({ file, label, body: block })));
  });
}

export interface ParsedFile {
  file: string;
  body: HclBody;
}

export function asBodies(value: unknown): HclBody[] {
  if (!Array.isArray(value)) return [];
  return value.filter((item): item is HclBody => typeof item === "object" && item !== null);
}
