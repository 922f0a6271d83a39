import * as z from "../zod.js";

const name = () => z.string().check(z.minLength(1));

const waiverSchema = z.strictObject({
  rule: name(),
  /** A resource or module address; covers its instances (`[key]`) and what lies below it. */
  address: z.optional(name()),
  /** A file, relative to the terraform tree, for findings about a file rather than a resource. */
  path: z.optional(name()),
  /** Only this environment; every environment when absent. */
  env: z.optional(name()),
  reason: z.optional(z.string()),
  /** The last day (UTC) the waiver holds, YYYY-MM-DD. */
  expires: z.string(),
});

export const waiversFileSchema = z.strictObject({ waivers: z.array(waiverSchema) });

export type Waiver = z.infer<typeof waiverSchema>;
