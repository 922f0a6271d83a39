import { UsageError } from "../errors.js";

/**
 * What ran the plan, recorded in the manifest: this CLI's and Node's versions, plus whatever the
 * place it runs in declares about itself. The Dagger module's toolchain container declares its
 * image digest, platform, and terraform and tflint versions with their sha256 in INFRA_TOOLCHAIN.
 */
export interface Toolchain {
  infra: string;
  node: string;
  [component: string]: string;
}

const MAX_DECLARED_LENGTH = 4096;

/**
 * Reads INFRA_TOOLCHAIN: a flat JSON object of strings. Anything else is refused rather than
 * half-recorded, since the manifest is evidence of what ran.
 */
export function parseDeclaredToolchain(text: string | undefined): Record<string, string> {
  if (text === undefined) return {};
  const refuse = (why: string) =>
    new UsageError(
      `INFRA_TOOLCHAIN ${why}`,
      'set it to a JSON object of strings, e.g. {"image":"node@sha256:...","terraform":"1.11.4"}, or unset it',
    );
  if (text.length > MAX_DECLARED_LENGTH) throw refuse(`is ${text.length} characters long; at most ${MAX_DECLARED_LENGTH} are recorded`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw refuse("is not valid JSON");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw refuse("is not a JSON object");
  const entries = Object.entries(parsed);
  const wrong = entries.filter(([, value]) => typeof value !== "string").map(([key]) => key);
  if (wrong.length > 0) throw refuse(`has values that are not strings: ${wrong.join(", ")}`);
  return Object.fromEntries(entries) as Record<string, string>;
}

/** The declared facts plus this process's own; the CLI's own versions cannot be overridden. */
export function toolchainOf(declared: Record<string, string>, infraVersion: string, nodeVersion: string): Toolchain {
  return { ...declared, infra: infraVersion, node: nodeVersion };
}
