import { describe, expect, it } from "vitest";
import { protectedDestructions, unacknowledgedDestructions } from "../../../src/policy/destruction.js";
import type { PlanJson, ResourceChange } from "../../../src/review/plan-json.js";

function change(address: string, type: string, actions: ResourceChange["change"]["actions"], mode: ResourceChange["mode"] = "managed"): ResourceChange {
  return { address, mode, type, name: address.split(".").pop() ?? "", change: { actions, before: {}, after: {} } };
}

function planOf(...resource_changes: ResourceChange[]): PlanJson {
  return { format_version: "1.2", terraform_version: "1.11.4", resource_changes };
}

describe("protectedDestructions", () => {
  it("returns deletes and both replace orders of protected types, and nothing else", () => {
    const plan = planOf(
      change("module.platform.aws_eks_cluster.this", "aws_eks_cluster", ["delete"]),
      change("aws_kms_key.state", "aws_kms_key", ["create", "delete"]),
      change("aws_ecr_repository.app", "aws_ecr_repository", ["delete", "create"]),
      change("aws_ecr_repository.kept", "aws_ecr_repository", ["update"]),
      change("aws_vpc.this", "aws_vpc", ["delete"]),
      change("data.aws_kms_key.read", "aws_kms_key", ["read"], "data"),
    );
    expect(protectedDestructions(plan)).toEqual([
      { address: "module.platform.aws_eks_cluster.this", type: "aws_eks_cluster", kind: "EKS cluster", action: "delete" },
      { address: "aws_kms_key.state", type: "aws_kms_key", kind: "KMS key", action: "replace" },
      { address: "aws_ecr_repository.app", type: "aws_ecr_repository", kind: "ECR repository", action: "replace" },
    ]);
  });

  it("returns nothing for a plan without resource changes or with malformed entries", () => {
    expect(protectedDestructions({ format_version: "1.2", terraform_version: "1.11.4" })).toEqual([]);
    expect(protectedDestructions({ format_version: "1.2", terraform_version: "1.11.4", resource_changes: [null] as never })).toEqual([]);
  });
});

describe("unacknowledgedDestructions", () => {
  it("drops exactly the acknowledged addresses", () => {
    const found = protectedDestructions(
      planOf(change("aws_kms_key.a", "aws_kms_key", ["delete"]), change("aws_kms_key.b", "aws_kms_key", ["delete"])),
    );
    expect(unacknowledgedDestructions(found, ["aws_kms_key.a", "aws_kms_key.c"]).map((item) => item.address)).toEqual(["aws_kms_key.b"]);
  });
});
