import { hash } from "node:crypto";
import { readFileSync } from "node:fs";
import { parseHclToJson, type HclBody } from "./hcl-parser.js";
import { parsePack } from "./parse-cache.js";

/** hcl2-parser's JSON shape: blocks become arrays of bodies, labels become nested keys. */
export type { HclBody } from "./hcl-parser.js";

/** Finished parses by content key: two roots sharing a file parse it once. */
const parsedByContent = new Map<string, HclBody>();

/** Part of every cache key: a parser that reads differently must not reuse the old parser's entries. */
const PARSER_ID = "infra-hcl-parser@2";

export interface ParseOptions {
  /** Where parsed files are kept by content hash across runs (src/config/parse-cache.ts), so a file is parsed once, not once per command. */
  cacheDir?: string;
}

/** Parses one file; the same content is parsed once however often and by however many runs. */
export async function parseHclFile(file: string, options: ParseOptions): Promise<HclBody> {
  return parseHclFileSync(file, options).body;
}

export interface ParsedText {
  body: HclBody;
  /** The text that was parsed, for line numbers. */
  text: string;
}

/**
 * `parseHclFile`, with the text that was parsed (for line numbers), read once. The file is read
 * synchronously, and as text: a thousand promise-based reads, or reads into buffers, cost more
 * CPU than parsing the files did, and nothing else waits on the event loop meanwhile.
 */
export function parseHclFileSync(file: string, options: ParseOptions): ParsedText {
  const text = readFileSync(file, "utf8");
  const key = contentKey(text);
  let body = parsedByContent.get(key);
  if (!body) {
    const pack = options.cacheDir === undefined ? undefined : parsePack(options.cacheDir);
    body = pack?.get(key);
    if (!body) {
      // A failed parse throws here and is not remembered: the next caller gets its own error for its own file.
      const json = parseHclToJson(text, file);
      body = JSON.parse(json) as HclBody;
      pack?.put(key, json);
    }
    parsedByContent.set(key, body);
  }
  return { body, text };
}

/**
 * The file's text, if it is still the content `body` was parsed from in this process (for a
 * line number: a file changed since would give the wrong one); undefined if not, or unreadable.
 */
export function readTextParsedAs(file: string, body: HclBody): string | undefined {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
  return parsedByContent.get(contentKey(text)) === body ? text : undefined;
}

function contentKey(text: string): string {
  // One call, no Hash object per file: the same digest as hashing the parts one after another.
  return hash("sha256", `${PARSER_ID}\0${text}`, "hex");
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
