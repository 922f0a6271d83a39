import type { Environment } from "../../../src/config/environment.js";
import type { ApplyGateInput } from "../../../src/gates/apply-gates.js";
import { MANIFEST_SCHEMA_VERSION, type Manifest } from "../../../src/bundle/manifest.js";
import type { Receipt } from "../../../src/bundle/receipt.js";

/** One consistent set of gate facts in which every gate allows; tests override what they exercise. */
export const FILES = { tfplan: "1111", "plan.txt": "2222" };

export const ENVIRONMENT: Environment = {
  name: "dev",
  root: "/repo/terraform",
  stack: "envs/dev",
  accountStack: false,
  management: false,
  dir: "/repo/terraform/envs/dev",
  factsFile: "/repo/terraform/envs/dev/environment.tf",
  region: "eu-central-1",
  accountId: "123456789012",
  promotedFrom: null,
  protected: false,
  maxPlanAgeMs: 86_400_000,
  backend: null,
  files: [],
};

export const MANIFEST: Manifest = {
  schemaVersion: MANIFEST_SCHEMA_VERSION,
  env: "dev",
  region: "eu-central-1",
  accountId: "123456789012",
  commit: "0123456789abcdef0123456789abcdef01234567",
  dirty: false,
  createdAt: "2025-01-02T03:04:05.000Z",
  terraformVersion: "1.11.4",
  toolchain: { infra: "0.1.0", node: "20.19.0" },
  planDigest: "1111",
  hasChanges: true,
  counts: { add: 1, change: 0, destroy: 0, replace: 0 },
  findings: [],
  policy: { status: "passed", errors: 0, warnings: 0, waivers: [] },
  files: FILES,
};

export const RECEIPT: Receipt = {
  env: "dev",
  region: "eu-central-1",
  accountId: "123456789012",
  commit: MANIFEST.commit,
  planDigest: "1111",
  startedAt: "2025-01-02T04:00:00.000Z",
  finishedAt: "2025-01-02T04:01:00.000Z",
  outcome: "applied",
  gates: [],
  terraformVersion: "1.11.4",
};

export function input(overrides: { manifest?: Partial<Manifest>; environment?: Partial<Environment> } & Partial<Omit<ApplyGateInput, "manifest" | "environment">> = {}): ApplyGateInput {
  const { manifest, environment, ...rest } = overrides;
  return {
    environment: { ...ENVIRONMENT, ...environment },
    manifest: { ...MANIFEST, ...manifest },
    digestsOnDisk: { ...FILES },
    irregularEntries: [],
    privatePlanDigest: "1111",
    encryption: { encrypted: false, keyGiven: false },
    previousReceipt: null,
    terraformVersion: "1.11.4",
    executed: {
      source: { commit: MANIFEST.commit, configDigest: "c".repeat(64), differences: [], remoteModules: [], repository: null, firstRunBackend: false },
      backendType: "local",
      createdAt: MANIFEST.createdAt,
      terraformVersion: "1.11.4",
    },
    now: new Date("2025-01-02T04:00:00.000Z"),
    identity: { status: "offline" },
    promotionEntry: null,
    approval: { typed: null, ci: null },
    policy: { status: "passed", errors: 0, warnings: 0, waivers: [], findings: [] },
    destructions: [],
    allowDestroy: [],
    signature: { trustedKeys: [], manifestText: "{}", signature: null },
    ...rest,
  };
}

