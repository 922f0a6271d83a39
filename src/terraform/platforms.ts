/** Where terraform runs: CI runners and Linux engines, Apple Silicon engines, and laptops. */
export const LOCK_PLATFORMS = ["linux_amd64", "linux_arm64", "darwin_arm64", "darwin_amd64"] as const;
