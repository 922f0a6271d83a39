/** Every environment variable the CLI itself reads. Terraform's own (TF_VAR_*, AWS_*) pass through untouched. */
export const ENV_KEYS = [
  "INFRA_TERRAFORM",
  // What the place infra runs in declares about itself (the Dagger toolchain), for the manifest.
  "INFRA_TOOLCHAIN",
  // A CI run in a deployment environment may approve a protected apply (README "Gates").
  "GITHUB_ACTIONS",
  "GITHUB_RUN_ID",
  "GITHUB_REPOSITORY",
  "GITHUB_ACTOR",
  "GITHUB_TRIGGERING_ACTOR",
  "INFRA_DEPLOYMENT_ENVIRONMENT",
  // Optional: an ed25519 private key (PEM) that signs each plan's manifest.
  "INFRA_SIGNING_KEY",
  // Optional: a 256-bit key that encrypts tfplan at rest in the bundle (plan) and decrypts it (gate, apply).
  "INFRA_PLAN_KEY",
] as const;
export type EnvKey = (typeof ENV_KEYS)[number];

export function readEnv(source: NodeJS.ProcessEnv): Record<EnvKey, string | undefined> {
  return Object.fromEntries(ENV_KEYS.map((key) => [key, source[key] || undefined])) as Record<EnvKey, string | undefined>;
}
