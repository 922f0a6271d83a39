import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigError } from "../../../src/errors.js";
import { blockingFindings, type Finding } from "../../../src/policy/index.js";
import { applyWaivers, readWaivers, WAIVERS_FILE, type Waiver, type WaiversFile } from "../../../src/policy/waivers.js";

const ROOT = "/repo/terraform";
const NOW = new Date("2026-06-01T12:00:00Z");
const CLUSTER = "module.platform.module.eks.aws_eks_cluster.this";

const FINDINGS: Finding[] = [
  { rule: "eks-public-endpoint", severity: "error", message: "public", address: CLUSTER },
  { rule: "ecr-force-delete", severity: "error", message: "force", address: 'module.platform.module.ecr.aws_ecr_repository.this["api"]' },
  { rule: "region-provider", severity: "error", message: "provider", file: `${ROOT}/envs/dev/providers.tf`, line: 3 },
];

function waivers(...list: Waiver[]): WaiversFile {
  return { file: `${ROOT}/${WAIVERS_FILE}`, waivers: list };
}

function apply(file: WaiversFile, env = "dev") {
  return applyWaivers(FINDINGS, file, { env, root: ROOT, now: NOW });
}

describe("applyWaivers", () => {
  it("waives a finding by rule and address, lists the waiver in force, and stops it blocking", () => {
    const result = apply(waivers({ rule: "eks-public-endpoint", address: CLUSTER, reason: "migration to the VPN", expires: "2026-06-01" }));
    expect(result.findings[0]?.waived).toEqual({ reason: "migration to the VPN", expires: "2026-06-01" });
    expect(blockingFindings(result.findings).map((finding) => finding.rule)).toEqual(["ecr-force-delete", "region-provider"]);
    expect(result.inForce).toEqual([{ rule: "eks-public-endpoint", address: CLUSTER, reason: "migration to the VPN", expires: "2026-06-01", covered: 1 }]);
  });

  it("covers every instance of an address without its key, and files by path relative to the tree", () => {
    const result = apply(
      waivers(
        { rule: "ecr-force-delete", address: "module.platform.module.ecr.aws_ecr_repository.this", reason: "cleanup", expires: "2026-12-31" },
        { rule: "region-provider", path: "envs/dev/providers.tf", reason: "moving", expires: "2026-12-31" },
      ),
    );
    expect(blockingFindings(result.findings).map((finding) => finding.rule)).toEqual(["eks-public-endpoint"]);
  });

  it("does not waive another rule on the same address, nor a prefix that is not a path segment", () => {
    const result = apply(
      waivers(
        { rule: "eks-private-endpoint", address: CLUSTER, reason: "x", expires: "2026-12-31" },
        { rule: "eks-public-endpoint", address: "module.platform.module.eks.aws_eks_clu", reason: "x", expires: "2026-12-31" },
      ),
    );
    expect(result.findings.filter((finding) => finding.waived)).toEqual([]);
  });

  it("makes an expired waiver an error and waives nothing with it", () => {
    const result = apply(waivers({ rule: "eks-public-endpoint", address: CLUSTER, reason: "old", expires: "2026-05-31" }));
    expect(result.findings[0]?.waived).toBeUndefined();
    expect(result.findings.at(-1)).toMatchObject({ rule: "waiver-valid", severity: "error", file: WAIVERS_FILE });
    expect(result.findings.at(-1)?.message).toContain("expired on 2026-05-31");
    expect(result.inForce).toEqual([]);
  });

  it.each([
    ["no reason", { reason: "  " }, "has no reason"],
    ["a malformed date", { expires: "next year" }, 'not a YYYY-MM-DD date'],
    ["neither address nor path", { address: undefined }, "names neither an address nor a path"],
  ])("makes a waiver with %s an error", (_what, change, message) => {
    const waiver = { rule: "eks-public-endpoint", address: CLUSTER, reason: "ok", expires: "2026-12-31", ...change } as Waiver;
    if (waiver.address === undefined) delete waiver.address;
    const result = apply(waivers(waiver));
    expect(result.findings.filter((finding) => finding.rule === "waiver-valid").map((finding) => finding.message)).toEqual([expect.stringContaining(message)]);
  });

  it("applies an environment's waiver only to that environment", () => {
    const file = waivers({ rule: "eks-public-endpoint", address: CLUSTER, env: "prod", reason: "x", expires: "2020-01-01" });
    expect(apply(file, "dev").findings).toEqual(FINDINGS); // not even judged for dev
    expect(apply(file, "prod").findings.at(-1)?.rule).toBe("waiver-valid");
  });
});

describe("readWaivers", () => {
  const dirs: string[] = [];
  afterAll(async () => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))));
  async function tree(text?: string): Promise<string> {
    const dir = await mkdtemp(path.join(tmpdir(), "infra-waivers-"));
    dirs.push(dir);
    if (text !== undefined) await writeFile(path.join(dir, WAIVERS_FILE), text);
    return dir;
  }

  it("returns no waivers when the tree has no file", async () => {
    expect(await readWaivers(await tree())).toEqual({ file: null, waivers: [] });
  });

  it("reads a valid file", async () => {
    const dir = await tree(JSON.stringify({ waivers: [{ rule: "a", address: "b", reason: "c", expires: "2026-01-01" }] }));
    expect((await readWaivers(dir)).waivers).toEqual([{ rule: "a", address: "b", reason: "c", expires: "2026-01-01" }]);
  });

  it.each([
    ["not JSON", "{ waivers: ", /is not valid JSON/],
    ["an unknown key", JSON.stringify({ waivers: [{ rule: "a", address: "b", reason: "c", expires: "2026-01-01", until: "x" }] }), /waivers\.0: Unrecognized key: "until"/],
    ["no expiry", JSON.stringify({ waivers: [{ rule: "a", address: "b", reason: "c" }] }), /waivers\.0\.expires: Invalid input: expected string, received undefined/],
    ["an empty rule", JSON.stringify({ waivers: [{ rule: "", address: "b", reason: "c", expires: "2026-01-01" }] }), /waivers\.0\.rule: Too small: expected string to have >=1 characters/],
    ["HTML instead of JSON", "<html><body>`rm -rf`</body></html>", /is not valid JSON/],
  ])("refuses %s, naming the file", async (_what, text, message) => {
    const dir = await tree(text);
    const error = await readWaivers(dir).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).toContain(path.join(dir, WAIVERS_FILE));
  });
});
