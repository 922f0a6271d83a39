import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { appendFile, chmod, cp, lstat, mkdir, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import type { Manifest } from "../../src/bundle/manifest.js";
import { createLogger } from "../../src/log.js";
import { apply } from "../../src/workflow/apply.js";
import type { WorkflowContext } from "../../src/workflow/context.js";
import { copyFixture, runInfra, tempDir } from "../helpers.js";

/** Something done to a copy of a real bundle before it is applied. */
type Mutation =
  | { kind: "extra-file"; name: string }
  | { kind: "symlink"; name: string; target: string }
  | { kind: "directory"; name: string }
  | { kind: "delete"; name: string }
  | { kind: "append"; name: string }
  | { kind: "swap-tfplan" }
  | { kind: "manifest-plan-digest"; digest: "other" | "random" }
  | { kind: "manifest-file-digest"; name: string; digest: "other" | "random" }
  | { kind: "consistent-swap" };

const BUNDLE_NAMES = ["tfplan", "manifest.json", "plan.txt", "plan.redacted.json", "summary.md", "summary.json", "receipt.json"];
const TRICKY_NAMES = ["constructor", "toString", "__proto__", "hasOwnProperty", "valueOf", ".hidden", "tfplan.bak"];
const name = fc.oneof(
  fc.constantFrom(...BUNDLE_NAMES, ...TRICKY_NAMES),
  fc.stringMatching(/^[A-Za-z0-9._-]{1,12}$/).filter((text) => text !== "." && text !== ".."),
);
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant("extra-file" as const), name }),
  fc.record({ kind: fc.constant("symlink" as const), name, target: fc.constantFrom("tfplan", "/etc/hostname", "../elsewhere") }),
  fc.record({ kind: fc.constant("directory" as const), name }),
  fc.record({ kind: fc.constant("delete" as const), name: fc.constantFrom(...BUNDLE_NAMES) }),
  fc.record({ kind: fc.constant("append" as const), name: fc.constantFrom(...BUNDLE_NAMES) }),
  fc.constant({ kind: "swap-tfplan" as const }),
  fc.record({ kind: fc.constant("manifest-plan-digest" as const), digest: fc.constantFrom("other" as const, "random" as const) }),
  fc.record({ kind: fc.constant("manifest-file-digest" as const), name, digest: fc.constantFrom("other" as const, "random" as const) }),
  fc.constant({ kind: "consistent-swap" as const }),
);

function sha256(data: Buffer | string): string {
  return createHash("sha256").update(data).digest("hex");
}

/** Edits the manifest in place; one an earlier mutation removed or replaced with garbage stays as it is. */
async function editManifest(bundle: string, edit: (manifest: Manifest) => void): Promise<void> {
  const file = path.join(bundle, "manifest.json");
  const text = await readFile(file, "utf8").catch(() => "null");
  let manifest: Manifest | null;
  try {
    manifest = JSON.parse(text) as Manifest | null;
  } catch {
    return;
  }
  if (manifest === null || typeof manifest !== "object") return;
  edit(manifest);
  await writeFile(file, JSON.stringify(manifest));
}

async function mutate(bundle: string, change: Mutation, otherPlan: string): Promise<void> {
  const file = (entry: string) => path.join(bundle, entry);
  const replace = async (entry: string) => rm(file(entry), { recursive: true, force: true });
  const otherDigest = sha256(await readFile(otherPlan));
  const digest = (which: "other" | "random") => (which === "other" ? otherDigest : sha256(String(Math.random())));
  switch (change.kind) {
    case "extra-file":
      await replace(change.name);
      return writeFile(file(change.name), "planted\n");
    case "symlink":
      await replace(change.name);
      return symlink(change.target, file(change.name));
    case "directory":
      await replace(change.name);
      return mkdir(file(change.name));
    case "delete":
      return replace(change.name);
    case "append":
      return appendFile(file(change.name), "tampered").catch(() => undefined);
    case "swap-tfplan":
      await replace("tfplan");
      return cp(otherPlan, file("tfplan"));
    case "manifest-plan-digest":
      return editManifest(bundle, (manifest) => void (manifest.planDigest = digest(change.digest)));
    case "manifest-file-digest":
      return editManifest(bundle, (manifest) => void Object.defineProperty(manifest.files, change.name, { value: digest(change.digest), enumerable: true }));
    case "consistent-swap":
      await replace("tfplan");
      await cp(otherPlan, file("tfplan"));
      return editManifest(bundle, (manifest) => {
        manifest.planDigest = otherDigest;
        manifest.files["tfplan"] = otherDigest;
      });
  }
}

/**
 * The oracle, written independently of infra: the bundle is exactly what its manifest says -
 * only regular files, exactly the names it lists (plus itself), each with its sha256, and the
 * plan digest is the digest of tfplan. Returns that digest, or null when the bundle does not match.
 */
async function matchingPlanDigest(bundle: string): Promise<string | null> {
  let manifest: Manifest;
  try {
    manifest = JSON.parse(await readFile(path.join(bundle, "manifest.json"), "utf8")) as Manifest;
  } catch {
    return null;
  }
  if (typeof manifest !== "object" || manifest === null || typeof manifest.files !== "object" || manifest.files === null) return null;
  const listed = Object.keys(manifest.files);
  const present = (await readdir(bundle)).filter((entry) => entry !== "manifest.json");
  if ([...present].sort().join("\n") !== [...listed].sort().join("\n")) return null;
  for (const entry of present) {
    if (!(await lstat(path.join(bundle, entry))).isFile()) return null;
    if (sha256(await readFile(path.join(bundle, entry))) !== manifest.files[entry]) return null;
  }
  if (!(await lstat(path.join(bundle, "manifest.json"))).isFile()) return null;
  return manifest.planDigest === manifest.files["tfplan"] ? manifest.planDigest : null;
}

describe("apply over generated bundle directories", () => {
  let root: string;
  let original: string;
  let otherPlan: string;
  let record: string;
  let context: WorkflowContext;

  beforeAll(async () => {
    root = await copyFixture("slow");
    original = path.join(root, "..", "original");
    const other = path.join(root, "..", "other");
    for (const [out, delay] of [[original, "0"], [other, "1"]] as const) {
      const run = await runInfra(["plan", "--offline", "--env", "dev", "--root", root, "--out", out, "--quiet"], { env: { ...process.env, TF_VAR_delay_seconds: delay } });
      expect(run.code, run.stderr).toBe(0);
    }
    otherPlan = path.join(other, "tfplan");
    // Real terraform for everything but `apply`, which records the sha256 of the plan file it
    // was given instead: that is what terraform would have executed.
    const real = execFileSync("sh", ["-c", "command -v terraform"], { encoding: "utf8" }).trim();
    const bin = await tempDir("recording-terraform");
    record = path.join(bin, "applied.txt");
    const wrapper = path.join(bin, "terraform");
    await writeFile(
      wrapper,
      `#!/bin/sh\nif [ "$1" = apply ]; then for last; do :; done; sha256sum "$last" | cut -d' ' -f1 >> '${record}'; echo 'Apply complete! Resources: 0 added, 0 changed, 0 destroyed.'; exit 0; fi\nexec '${real}' "$@"\n`,
    );
    await chmod(wrapper, 0o755);
    context = {
      root,
      terraformBinary: wrapper,
      processEnv: process.env,
      logger: createLogger({ quiet: true, write: () => undefined }),
      now: () => new Date(),
      cwd: path.dirname(root),
    };
  });

  it("never runs terraform on anything but a bundle whose every file matches the manifest", async () => {
    let run = 0;
    let applied = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(mutation, { maxLength: 3 }), async (mutations) => {
        run += 1;
        const bundle = path.join(root, "..", `case-${run}`);
        await cp(original, bundle, { recursive: true });
        for (const change of mutations) await mutate(bundle, change, otherPlan);
        const expected = await matchingPlanDigest(bundle);
        await rm(record, { force: true });
        const outcome = await apply(context, { env: "dev", bundle, offline: true }).then(
          () => "applied",
          (error: unknown) => (error instanceof Error ? error.message : String(error)),
        );
        const executed = (await readFile(record, "utf8").catch(() => "")).split("\n").filter(Boolean);
        if (expected === null) {
          expect(executed, `terraform ran on a bundle that does not match its manifest (${outcome})`).toEqual([]);
        } else {
          // Nothing was wrong with it, so it must have been applied, and exactly its plan.
          expect(outcome).toBe("applied");
          expect(executed).toEqual([expected]);
          applied += 1;
        }
        await rm(bundle, { recursive: true, force: true });
      }),
      { numRuns: 40 },
    );
    // The generator reaches both sides: bundles that must be refused, and ones that must apply.
    expect(applied).toBeGreaterThan(0);
    expect(applied).toBeLessThan(run);
  });
});
