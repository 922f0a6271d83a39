import * as z from "../zod.js";
import { PlanFormatError } from "../errors.js";
import { jsonVisible, visible } from "./escape.js";
import { formatFieldPath } from "./plan-json.js";
import type { PlanHeader } from "./render.js";
import { RESOURCE_ACTIONS, type Summary } from "./summary.js";

/** Version of summary.json's shape (README "summary.json"); bumped on any change a reader would notice. */
export const SUMMARY_SCHEMA_VERSION = 3;

/** summary.json: the header of the plan (null fields outside a bundle) and the Summary, flat. */
export type SummaryDocument = { schemaVersion: typeof SUMMARY_SCHEMA_VERSION } & Partial<PlanHeader> & Summary;

export function summaryDocument(summary: Summary, header: PlanHeader | null): SummaryDocument {
  return { schemaVersion: SUMMARY_SCHEMA_VERSION, ...(header ?? {}), ...summary };
}

/**
 * summary.json's text: the document's fields one per line, and each element of its lists
 * (resources, drift, outputs, ...) on one line of its own. Fully indented, a plan of thousands of
 * creates, every attribute listed, would be several times larger for the same content.
 */
export function summaryJsonText(document: SummaryDocument): string {
  return `${Array.from(summaryJsonLines(document)).join("\n")}\n`;
}

/** summary.json line by line, each without its line feed, as summaryJsonText joins them, to be written out as it is made. */
export function* summaryJsonLines(document: SummaryDocument): Generator<string, void, undefined> {
  const fields = Object.entries(document).filter(([, value]) => value !== undefined);
  yield "{";
  for (let index = 0; index < fields.length; index += 1) {
    const [key, value] = fields[index] as [string, unknown];
    const comma = index < fields.length - 1 ? "," : "";
    if (Array.isArray(value) && value.length > 0) {
      yield jsonVisible(`  ${JSON.stringify(key)}: [`);
      for (let itemIndex = 0; itemIndex < value.length; itemIndex += 1) {
        yield jsonVisible(`    ${JSON.stringify(value[itemIndex])}${itemIndex < value.length - 1 ? "," : ""}`);
      }
      yield `  ]${comma}`;
    } else {
      yield jsonVisible(`  ${JSON.stringify(key)}: ${JSON.stringify(value)}${comma}`);
    }
  }
  yield "}";
}

const action = z.enum(RESOURCE_ACTIONS as [string, ...string[]]);
const count = z.int().check(z.nonnegative());
const attribute = z.object({
  path: z.string(),
  before: z.optional(z.string()),
  after: z.optional(z.string()),
  forcesReplacement: z.optional(z.literal(true)),
  unchanged: z.optional(count),
  movedTo: z.optional(z.string()),
});

const summarySchema = z.looseObject({
  schemaVersion: z.literal(SUMMARY_SCHEMA_VERSION),
  terraformVersion: z.nullable(z.string()),
  formatVersion: z.string(),
  hasChanges: z.boolean(),
  errored: z.boolean(),
  complete: z.nullable(z.boolean()),
  counts: z.object({ add: count, change: count, destroy: count, replace: count, import: count, move: count, read: count, forget: count }),
  resources: z.array(
    z.object({
      address: z.string(),
      module: z.string(),
      type: z.string(),
      mode: z.string(),
      action,
      actions: z.array(z.enum(["no-op", "create", "read", "update", "delete", "forget"])),
      reason: z.optional(z.string()),
      previousAddress: z.optional(z.string()),
      importing: z.optional(z.object({ id: z.optional(z.string()) })),
      deposed: z.optional(z.string()),
      attributes: z.array(attribute),
    }),
  ),
  drift: z.array(z.object({ address: z.string(), action, attributes: z.array(attribute) })),
  outputs: z.array(z.object({ name: z.string(), action, sensitive: z.boolean(), attributes: z.array(attribute) })),
  deferred: z.array(z.object({ address: z.string(), action, reason: z.string() })),
  checks: z.array(z.object({ address: z.string(), kind: z.string(), status: z.string(), problems: z.array(z.string()) })),
});

/** Reads a bundle's summary.json; anything off is one sentence naming the field. */
export function parseSummaryJson(text: string, source: string): Summary {
  const hint = "make a new plan with `infra plan`; never edit a bundle by hand";
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new PlanFormatError(`${source} is not valid JSON (${visible((error as Error).message)})`, hint);
  }
  const result = summarySchema.safeParse(document);
  if (!result.success) {
    const [issue] = result.error.issues;
    throw new PlanFormatError(`${source} is not a summary this infra writes: ${formatFieldPath(issue?.path ?? [])} ${issue?.message ?? "is malformed"}`, hint);
  }
  return result.data as unknown as Summary;
}
