/** Every environment variable the CLI itself reads. Terraform's own (TF_VAR_*, AWS_*) pass through untouched. */
export const ENV_KEYS = ["INFRA_TERRAFORM", "INFRA_TOOLCHAIN"] as const;
export type EnvKey = (typeof ENV_KEYS)[number];

export function readEnv(source: NodeJS.ProcessEnv): Record<EnvKey, string | undefined> {
  return Object.fromEntries(ENV_KEYS.map((key) => [key, source[key] || undefined])) as Record<EnvKey, string | undefined>;
}
