import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { evaluatePlan } from "../../../src/policy/index.js";
import type { PlanJson } from "../../../src/review/plan-json.js";
import { afterOf, changeAt, compliantPlan, PLAN_ENV } from "../../policy-plan-fixture.js";

const EKS = "module.platform.module.eks.aws_eks_cluster.this";
const REPO = 'module.platform.module.ecr.aws_ecr_repository.this["platform/api"]';
const NET = "module.platform.module.networking";
const BASE = "module.baseline";

function rulesOf(plan: PlanJson, acknowledged: string[] = []): string[] {
  return [...new Set(evaluatePlan({ plan, environment: PLAN_ENV, acknowledgedDestructions: acknowledged }).map((finding) => finding.rule))];
}

function block(plan: PlanJson, address: string, name: string): Record<string, unknown> {
  return (afterOf(plan, address)[name] as Array<Record<string, unknown>>)[0] as Record<string, unknown>;
}

const MUTATIONS: Array<[rule: string, what: string, mutate: (plan: PlanJson) => void]> = [
  ["region-resources", "a repository in another region", (plan) => void (afterOf(plan, REPO)["region"] = "us-west-2")],
  ["region-resources", "a known ARN in another region", (plan) => void (afterOf(plan, `${BASE}.module.state_key.aws_kms_key.this`)["arn"] = "arn:aws:kms:us-east-1:111111111111:key/0000")],
  [
    "region-resources",
    "the provider configured for another region",
    (plan) => void ((plan.configuration as { provider_config: Record<string, unknown> }).provider_config["aws"] = { name: "aws", expressions: { region: { constant_value: "us-west-2" } } }),
  ],
  [
    "no-replication",
    "an ECR replication configuration",
    (plan) =>
      plan.resource_changes?.push({
        address: "module.platform.module.ecr.aws_ecr_replication_configuration.this",
        module_address: "module.platform.module.ecr",
        mode: "managed",
        type: "aws_ecr_replication_configuration",
        name: "this",
        change: { actions: ["create"], before: null, after: { region: "eu-central-1", replication_configuration: [{ rule: [{ destination: [{ region: "us-east-2" }] }] }] }, after_unknown: {} },
      }),
  ],
  ["kms-single-region", "a multi-region key", (plan) => void (afterOf(plan, "module.platform.module.eks.module.kms_key.aws_kms_key.this")["multi_region"] = true)],
  [
    "account-static-keys",
    "an IAM access key",
    (plan) =>
      plan.resource_changes?.push({
        address: "aws_iam_access_key.ci",
        mode: "managed",
        type: "aws_iam_access_key",
        name: "ci",
        change: { actions: ["create"], before: null, after: { user: "ci", region: "eu-central-1" }, after_unknown: { secret: true } },
      }),
  ],
  ["eks-public-endpoint", "the public endpoint on", (plan) => void (block(plan, EKS, "vpc_config")["endpoint_public_access"] = true)],
  ["eks-private-endpoint", "the private endpoint off", (plan) => void (block(plan, EKS, "vpc_config")["endpoint_private_access"] = false)],
  ["eks-secrets-encryption", "no encryption_config", (plan) => void (afterOf(plan, EKS)["encryption_config"] = [])],
  ["eks-control-plane-logs", "audit logs off", (plan) => void (afterOf(plan, EKS)["enabled_cluster_log_types"] = ["api"])],
  ["eks-log-retention", "logs kept 90 days", (plan) => void (afterOf(plan, "module.platform.module.eks.aws_cloudwatch_log_group.this")["retention_in_days"] = 90)],
  ["eks-authentication-mode", "CONFIG_MAP authentication", (plan) => void (block(plan, EKS, "access_config")["authentication_mode"] = "CONFIG_MAP")],
  ["eks-creator-admin", "creator admin on", (plan) => void (block(plan, EKS, "access_config")["bootstrap_cluster_creator_admin_permissions"] = true)],
  ["eks-node-imdsv2", "IMDSv1 allowed", (plan) => void (block(plan, 'module.platform.module.eks.aws_launch_template.node["general"]', "metadata_options")["http_tokens"] = "optional")],
  ["ecr-immutable-tags", "mutable tags", (plan) => void (afterOf(plan, REPO)["image_tag_mutability"] = "MUTABLE")],
  ["ecr-scan-on-push", "no scan on push", (plan) => void (block(plan, REPO, "image_scanning_configuration")["scan_on_push"] = false)],
  ["ecr-kms-encryption", "AES256", (plan) => void (block(plan, REPO, "encryption_configuration")["encryption_type"] = "AES256")],
  ["ecr-registry-scanning", "manual registry scanning", (plan) => void (block(plan, "module.platform.module.ecr.aws_ecr_registry_scanning_configuration.this", "rule")["scan_frequency"] = "MANUAL")],
  ["ecr-force-delete", "force_delete on", (plan) => void (afterOf(plan, REPO)["force_delete"] = true)],
  ["state-versioning", "versioning suspended", (plan) => void (block(plan, `${BASE}.aws_s3_bucket_versioning.state`, "versioning_configuration")["status"] = "Suspended")],
  [
    "state-encryption",
    "SSE-S3",
    (plan) =>
      void (((block(plan, `${BASE}.aws_s3_bucket_server_side_encryption_configuration.state`, "rule")["apply_server_side_encryption_by_default"] as Array<Record<string, unknown>>)[0] as Record<string, unknown>)["sse_algorithm"] = "AES256"),
  ],
  ["state-public-access", "public policies allowed", (plan) => void (afterOf(plan, `${BASE}.aws_s3_bucket_public_access_block.state`)["block_public_policy"] = false)],
  [
    "state-tls-only",
    "a known policy without the TLS statement",
    (plan) => {
      const policy = changeAt(plan, `${BASE}.aws_s3_bucket_policy.state`).change;
      (policy.after as Record<string, unknown>)["policy"] = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: "*" }] });
      policy.after_unknown = { bucket: true };
    },
  ],
  ["network-flow-logs", "rejected traffic only", (plan) => void (afterOf(plan, `${NET}.aws_flow_log.this`)["traffic_type"] = "REJECT")],
  ["network-flow-logs", "no flow log", (plan) => void (plan.resource_changes = plan.resource_changes?.filter((resource) => resource.type !== "aws_flow_log"))],
  [
    "network-default-sg",
    "an ingress rule on the default group",
    (plan) => {
      const group = changeAt(plan, `${NET}.aws_default_security_group.this`).change;
      (group.after as Record<string, unknown>)["ingress"] = [{ protocol: "-1", self: true, from_port: 0, to_port: 0 }];
      group.after_unknown = { id: true, arn: true, vpc_id: true, egress: true };
    },
  ],
  ["network-public-ip", "public IPs on launch", (plan) => void (afterOf(plan, `${NET}.aws_subnet.public["eu-central-1a"]`)["map_public_ip_on_launch"] = true)],
  ["network-open-ingress", "endpoints open to the internet", (plan) => void (afterOf(plan, `${NET}.aws_vpc_security_group_ingress_rule.endpoints_https`)["cidr_ipv4"] = "0.0.0.0/0")],
  ["destruction-protected", "the cluster replaced", (plan) => void (changeAt(plan, EKS).change.actions = ["delete", "create"])],
  ["destruction-protected", "the state bucket deleted", (plan) => void Object.assign(changeAt(plan, `${BASE}.aws_s3_bucket.state`).change, { actions: ["delete"], after: null, before: { bucket: "x" } })],
];

describe("the plan rules on a generated platform plan", () => {
  it("finds nothing in the compliant plan", () => {
    expect(evaluatePlan({ plan: compliantPlan(), environment: PLAN_ENV })).toEqual([]);
  });

  it.each(MUTATIONS)("fails exactly %s when %s", (rule, _what, mutate) => {
    const plan = compliantPlan();
    mutate(plan);
    expect(rulesOf(plan)).toEqual([rule]);
  });

  it("accepts a destruction acknowledged for its address, and only that one", () => {
    const plan = compliantPlan();
    changeAt(plan, EKS).change.actions = ["delete", "create"];
    changeAt(plan, REPO).change.actions = ["delete"];
    expect(rulesOf(plan, [EKS, REPO])).toEqual([]);
    const findings = evaluatePlan({ plan, environment: PLAN_ENV, acknowledgedDestructions: [EKS] });
    expect(findings.map((finding) => [finding.rule, finding.address])).toEqual([["destruction-protected", REPO]]);
  });

  it("reports the resource address and the promise", () => {
    const plan = compliantPlan();
    block(plan, EKS, "vpc_config")["endpoint_public_access"] = true;
    expect(evaluatePlan({ plan, environment: PLAN_ENV })).toEqual([
      expect.objectContaining({ rule: "eks-public-endpoint", severity: "error", address: EKS, source: "plan", promise: "Clusters reachable only inside the cloud network." }),
    ]);
  });

  it("treats an unset attribute the provider defaults as the default (public endpoint on)", () => {
    const plan = compliantPlan();
    const cluster = changeAt(plan, EKS).change;
    (cluster.after as { vpc_config: Array<Record<string, unknown>> }).vpc_config = [{ endpoint_private_access: true }];
    (cluster.after_unknown as Record<string, unknown>)["vpc_config"] = [{ endpoint_public_access: true }];
    (plan.configuration as { root_module: { module_calls: Record<string, { module: { module_calls: Record<string, { module?: unknown }> } }> } }).root_module.module_calls["platform"]!.module.module_calls["eks"]!.module = {
      resources: [{ address: "aws_eks_cluster.this", mode: "managed", expressions: { vpc_config: [{ endpoint_private_access: { constant_value: true } }] } }],
    };
    expect(rulesOf(plan)).toEqual(["eks-public-endpoint"]);
  });
});

const REAL_PLANS = "/work/shared/real-plans";

describe("the plan rules on real `terraform show -json` documents", () => {
  it("evaluates every real plan without throwing, each finding naming its rule and promise", async (context) => {
    const names = await readdir(REAL_PLANS).catch(() => null);
    if (!names) {
      console.log(`skipped: ${REAL_PLANS} is absent on this machine`);
      context.skip();
      return;
    }
    let evaluated = 0;
    for (const name of names.filter((entry) => entry.endsWith(".json"))) {
      const plan = JSON.parse(await readFile(path.join(REAL_PLANS, name), "utf8")) as PlanJson;
      for (const finding of evaluatePlan({ plan, environment: PLAN_ENV })) {
        expect(finding.rule).toMatch(/^[a-z0-9-]+$/);
        expect(finding.promise).toBeTruthy();
      }
      evaluated += 1;
    }
    expect(evaluated).toBeGreaterThan(0);
  });
});
