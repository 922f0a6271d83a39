/**
 * The pinned toolchain: every image digest, version and checksum the module runs with.
 *
 * Checksums are the values of each project's own release checksum file, cross-checked in two
 * independent public sources before they were written here (see the README, "Run it with
 * Dagger"). `dag.http(url, { checksum })` makes the engine refuse a download that differs.
 * Changing a version means changing its checksums in the same commit.
 */

/**
 * Official Node.js 20 image (Debian bookworm, slim), pinned by digest: the same digest of this tag
 * is pinned in three unrelated public repositories (a Dockerfile, a Go image table, a Ruby test).
 * It must be the multi-platform index, not one platform's manifest, for arm64 engines to get an
 * arm64 image; re-check with `docker buildx imagetools inspect` when changing it.
 */
export const NODE_IMAGE =
  "docker.io/library/node:20-bookworm-slim@sha256:2cf067cfed83d5ea958367df9f966191a942351a2df77d6f0193e162b5febfc0";

/** The platforms the toolchain exists for: CI runners and Intel engines, and Apple Silicon laptops. */
export const SUPPORTED_PLATFORMS = ["linux/amd64", "linux/arm64"] as const;
export type SupportedPlatform = (typeof SUPPORTED_PLATFORMS)[number];

export interface PinnedTool {
  name: "terraform" | "tflint";
  version: string;
  /** The executable inside the release archive. */
  binary: string;
  url: (platform: SupportedPlatform) => string;
  sha256: Record<SupportedPlatform, string>;
}

const archSuffix = (platform: SupportedPlatform): string => platform.replace("/", "_");

/** The version the CLI pins (src/terraform/runner.ts refuses any other). */
export const TERRAFORM: PinnedTool = {
  name: "terraform",
  version: "1.11.4",
  binary: "terraform",
  url: (platform) => `https://releases.hashicorp.com/terraform/1.11.4/terraform_1.11.4_${archSuffix(platform)}.zip`,
  // terraform_1.11.4_SHA256SUMS; cross-checked in HashiCorp's own Homebrew tap formula for 1.11.4
  // and in unrelated pins of the same release (a Nix flake, a Python package's TF_ZIP_HASH).
  sha256: {
    "linux/amd64": "1ce994251c00281d6845f0f268637ba50c0005657eb3cf096b92f753b42ef4dc",
    "linux/arm64": "a43d1d0da9b9bab214a8305a39db0e40869572594ccf50c416a7756499143633",
  },
};

export const TFLINT: PinnedTool = {
  name: "tflint",
  version: "0.64.0",
  binary: "tflint",
  url: (platform) => `https://github.com/terraform-linters/tflint/releases/download/v0.64.0/tflint_${archSuffix(platform)}.zip`,
  // checksums.txt of the v0.64.0 release; cross-checked in several unrelated pins of it
  // (Dockerfiles, a Bazel toolchain table, install scripts), all quoting the same two values.
  sha256: {
    "linux/amd64": "cca9d13e2e1d7a2c627af60ff899a3c9b74212899416aeb96ec764d2ef954537",
    "linux/arm64": "560da89aacf59389d4eb029730dd5b109b7288096c32f2726a0d9e783a5ea8eb",
  },
};

export const PINNED_TOOLS: readonly PinnedTool[] = [TERRAFORM, TFLINT];

/**
 * git from Debian bookworm, the node image's release: `infra plan` records the checkout's commit
 * with it and apply's freshness gate compares that with HEAD. apt installs exactly this version or
 * fails; Debian's archive keeps only a release's newest version, so when a (security) update
 * replaces it, the toolchain build fails with "Version ... was not found" and this pin is raised to
 * the new version (`apt-cache policy git` on bookworm) in a commit of its own.
 */
export const GIT_PACKAGE = { name: "git", version: "1:2.39.5-0+deb12u3" } as const;

/**
 * The engine's platform as one the toolchain exists for. Engines report e.g. `linux/arm64/v8`;
 * the variant does not change which release archive runs.
 */
export function supportedPlatform(reported: string): SupportedPlatform {
  const [os, arch] = reported.split("/");
  const platform = `${os}/${arch}`;
  const found = SUPPORTED_PLATFORMS.find((candidate) => candidate === platform);
  if (!found) {
    throw new Error(
      `the Dagger engine runs on ${reported}, but the infra toolchain is pinned only for ${SUPPORTED_PLATFORMS.join(" and ")}: run the engine on one of those, or add that platform's checksums to dagger/src/toolchain.ts`,
    );
  }
  return found;
}

/** What the bundle's manifest records as `toolchain` (the CLI reads it from INFRA_TOOLCHAIN). */
export function toolchainFacts(platform: SupportedPlatform): Record<string, string> {
  const facts: Record<string, string> = { image: NODE_IMAGE, platform, git: GIT_PACKAGE.version };
  for (const tool of PINNED_TOOLS) {
    facts[tool.name] = tool.version;
    facts[`${tool.name}Sha256`] = tool.sha256[platform];
  }
  return facts;
}

/**
 * Extracts one entry of a zip archive with nothing but Node (the slim image has no unzip).
 * Reads the central directory, because the local headers of streamed archives carry no sizes.
 * The archive's sha256 was verified by the engine before this runs.
 * Usage: node unzip.mjs ARCHIVE ENTRY TARGET
 */
export const UNZIP_SCRIPT = `import { readFileSync, writeFileSync } from "node:fs";
import { inflateRawSync } from "node:zlib";

const [archive, entry, target] = process.argv.slice(2);
const fail = (message) => {
  process.stderr.write(message + "\\n");
  process.exit(1);
};
if (!archive || !entry || !target) fail("usage: node unzip.mjs ARCHIVE ENTRY TARGET");
const zip = readFileSync(archive);
let end = zip.length - 22;
while (end >= 0 && zip.readUInt32LE(end) !== 0x06054b50) end -= 1;
if (end < 0) fail(archive + " is not a zip archive");
const entries = zip.readUInt16LE(end + 10);
let offset = zip.readUInt32LE(end + 16);
for (let index = 0; index < entries; index += 1) {
  if (zip.readUInt32LE(offset) !== 0x02014b50) fail(archive + " has a damaged central directory");
  const method = zip.readUInt16LE(offset + 10);
  const compressedSize = zip.readUInt32LE(offset + 20);
  const nameLength = zip.readUInt16LE(offset + 28);
  const extraLength = zip.readUInt16LE(offset + 30);
  const commentLength = zip.readUInt16LE(offset + 32);
  const localHeader = zip.readUInt32LE(offset + 42);
  const name = zip.toString("utf8", offset + 46, offset + 46 + nameLength);
  if (name === entry) {
    if (method !== 0 && method !== 8) fail(archive + ": " + entry + " uses compression method " + method + ", not stored or deflate");
    const start = localHeader + 30 + zip.readUInt16LE(localHeader + 26) + zip.readUInt16LE(localHeader + 28);
    const data = zip.subarray(start, start + compressedSize);
    writeFileSync(target, method === 8 ? inflateRawSync(data) : data, { mode: 0o755 });
    process.exit(0);
  }
  offset += 46 + nameLength + extraLength + commentLength;
}
fail(archive + " has no entry " + entry);
`;
