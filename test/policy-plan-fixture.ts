import type { PlanJson, ResourceChange } from "../src/review/plan-json.js";

/**
 * A plan JSON of the platform as `terraform show -json` writes it for a first apply in dev:
 * values after, unknowns in after_unknown, references in configuration. The AWS provider cannot
 * plan here without credentials, so plan-rule fixtures are this document with one property broken.
 */
export const PLAN_ENV = { name: "dev", region: "eu-central-1", accountId: "111111111111" };

const EKS = "module.platform.module.eks";
const ECR = "module.platform.module.ecr";
const NET = "module.platform.module.networking";
const BASE = "module.baseline";

function change(module: string, type: string, name: string, after: Record<string, unknown>, afterUnknown: Record<string, unknown> = {}, index?: string): ResourceChange {
  const key = index === undefined ? "" : `[${JSON.stringify(index)}]`;
  return {
    address: `${module}.${type}.${name}${key}`,
    module_address: module,
    mode: "managed",
    type,
    name,
    ...(index === undefined ? {} : { index }),
    change: { actions: ["create"], before: null, after: { region: PLAN_ENV.region, ...after }, after_unknown: { id: true, arn: true, ...afterUnknown } },
  };
}

function ref(...refs: string[]) {
  return { references: refs };
}

export function compliantPlan(): PlanJson {
  const resource_changes: ResourceChange[] = [
    change(EKS, "aws_eks_cluster", "this", {
      name: "infra-dev",
      enabled_cluster_log_types: ["api", "audit", "authenticator", "controllerManager", "scheduler"],
      vpc_config: [{ endpoint_private_access: true, endpoint_public_access: false }],
      access_config: [{ authentication_mode: "API", bootstrap_cluster_creator_admin_permissions: false }],
      encryption_config: [{ resources: ["secrets"], provider: [{}] }],
    }, { encryption_config: [{ provider: [{ key_arn: true }] }], vpc_config: [{ subnet_ids: true }] }),
    change(EKS, "aws_cloudwatch_log_group", "this", { name: "/aws/eks/infra-dev/cluster", retention_in_days: 365 }, { kms_key_id: true }),
    change(EKS, "aws_launch_template", "node", { metadata_options: [{ http_endpoint: "enabled", http_tokens: "required", http_put_response_hop_limit: 1 }] }, {}, "general"),
    change(EKS, "aws_eks_node_group", "this", { node_group_name: "general", launch_template: [{}] }, { launch_template: [{ id: true, version: true }], subnet_ids: true }, "general"),
    change(`${EKS}.module.kms_key`, "aws_kms_key", "this", { enable_key_rotation: true, multi_region: false }, { policy: true }),
    change(ECR, "aws_ecr_registry_scanning_configuration", "this", { scan_type: "BASIC", rule: [{ scan_frequency: "SCAN_ON_PUSH" }] }),
    change(ECR, "aws_ecr_repository", "this", {
      name: "platform/api",
      image_tag_mutability: "IMMUTABLE",
      force_delete: false,
      image_scanning_configuration: [{ scan_on_push: true }],
      encryption_configuration: [{ encryption_type: "KMS" }],
    }, { encryption_configuration: [{ kms_key: true }] }, "platform/api"),
    change(NET, "aws_vpc", "this", { cidr_block: "10.10.0.0/16" }),
    change(NET, "aws_default_security_group", "this", {}, { vpc_id: true, ingress: true, egress: true }),
    change(NET, "aws_flow_log", "this", { traffic_type: "ALL", log_destination_type: "cloud-watch-logs" }, { vpc_id: true }),
    change(NET, "aws_subnet", "public", { cidr_block: "10.10.252.0/22", map_public_ip_on_launch: false }, { vpc_id: true }, "eu-central-1a"),
    change(NET, "aws_security_group", "endpoints", { name: "infra-dev-vpc-endpoints" }, { vpc_id: true, ingress: true, egress: true }),
    change(NET, "aws_vpc_security_group_ingress_rule", "endpoints_https", { cidr_ipv4: "10.10.0.0/16", ip_protocol: "tcp", from_port: 443, to_port: 443 }, { security_group_id: true }),
    change(BASE, "aws_s3_bucket", "state", { bucket: "infra-state-111111111111-eu-central-1", force_destroy: false }),
    change(BASE, "aws_s3_bucket_versioning", "state", { versioning_configuration: [{ status: "Enabled" }] }, { bucket: true }),
    change(BASE, "aws_s3_bucket_server_side_encryption_configuration", "state", {
      rule: [{ bucket_key_enabled: true, apply_server_side_encryption_by_default: [{ sse_algorithm: "aws:kms" }] }],
    }, { bucket: true, rule: [{ apply_server_side_encryption_by_default: [{ kms_master_key_id: true }] }] }),
    change(BASE, "aws_s3_bucket_public_access_block", "state", { block_public_acls: true, block_public_policy: true, ignore_public_acls: true, restrict_public_buckets: true }, { bucket: true }),
    change(BASE, "aws_s3_bucket_policy", "state", {}, { bucket: true, policy: true }),
  ];
  // An existing key, updated in place: its ARN is known and names the region.
  resource_changes.push({
    address: `${BASE}.module.state_key.aws_kms_key.this`,
    module_address: `${BASE}.module.state_key`,
    mode: "managed",
    type: "aws_kms_key",
    name: "this",
    change: {
      actions: ["update"],
      before: { description: "old", arn: "arn:aws:kms:eu-central-1:111111111111:key/0000" },
      after: { description: "new", arn: "arn:aws:kms:eu-central-1:111111111111:key/0000", multi_region: false, region: PLAN_ENV.region },
      after_unknown: {},
    },
  });
  const module = (resources: Array<{ address: string; expressions: Record<string, unknown> }>, calls: Record<string, unknown> = {}) => ({
    resources: resources.map((resource) => ({ mode: "managed", ...resource })),
    module_calls: calls,
  });
  return {
    format_version: "1.2",
    terraform_version: "1.11.4",
    resource_changes,
    configuration: {
      provider_config: { aws: { name: "aws", full_name: "registry.terraform.io/hashicorp/aws", expressions: { region: { references: ["local.region"] } } } },
      root_module: module([], {
        platform: {
          module: module([], {
            eks: { module: module([{ address: "aws_eks_node_group.this", expressions: { launch_template: [{ id: ref("aws_launch_template.node") }] } }]) },
            networking: {
              module: module([
                { address: "aws_flow_log.this", expressions: { vpc_id: ref("aws_vpc.this.id", "aws_vpc.this"), traffic_type: { constant_value: "ALL" } } },
                { address: "aws_default_security_group.this", expressions: { vpc_id: ref("aws_vpc.this.id", "aws_vpc.this") } },
                { address: "aws_vpc_security_group_ingress_rule.endpoints_https", expressions: { security_group_id: ref("aws_security_group.endpoints.id") } },
              ]),
            },
          }),
        },
        baseline: {
          module: module(
            ["aws_s3_bucket_versioning", "aws_s3_bucket_server_side_encryption_configuration", "aws_s3_bucket_public_access_block", "aws_s3_bucket_policy"].map((type) => ({
              address: `${type}.state`,
              expressions: {
                bucket: ref("aws_s3_bucket.state.id", "aws_s3_bucket.state"),
                ...(type === "aws_s3_bucket_policy" ? { policy: ref("aws_s3_bucket.state.arn", "aws_s3_bucket.state") } : {}),
              },
            })),
          ),
        },
      }),
    } as PlanJson["configuration"],
  };
}

/** The resource change at `address` in `plan` (throws if the fixture lacks it). */
export function changeAt(plan: PlanJson, address: string): ResourceChange {
  const found = plan.resource_changes?.find((resource) => resource.address === address);
  if (!found) throw new Error(`no resource change ${address} in the plan fixture`);
  return found;
}

export function afterOf(plan: PlanJson, address: string): Record<string, unknown> {
  return changeAt(plan, address).change.after as Record<string, unknown>;
}
