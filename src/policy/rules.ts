import path from "node:path";
import { labeledBlocksOf, type HclBody } from "../config/hcl.js";
import type { PlanJson } from "../review/plan-json.js";
import { ACCESS_KEY_ID } from "./access-keys.js";
import { protectedDestructions, unacknowledgedDestructions } from "./destruction.js";
import { findBlock, lineAt, resolve, valuesByInstance, type ModuleInstance, type PolicyTree } from "./hcl-tree.js";
import {
  referencedResources,
  resourcesOfType,
  resourcesReferring,
  UNKNOWN,
  valueOf,
  type PolicyResource,
} from "./resources.js";

export type Severity = "error" | "warning";

/** The sentences of the compliance page; every rule keeps one. */
export const PROMISES = {
  region: "Production only in us-east-2; development and testing only in eu-central-1.",
  isolation: "One account and one cluster per environment, fully isolated.",
  private: "Clusters reachable only inside the cloud network.",
  images: "Images immutable, scanned on push, kept in the environment's own region.",
  audit: "Everything auditable.",
} as const;

/** Production runs only in us-east-2; development and testing only in eu-central-1. */
const PRODUCTION_NAMES = new Set(["prod", "production"]);
export const PRODUCTION_REGION = "us-east-2";
export const NON_PRODUCTION_REGION = "eu-central-1";

export function promisedRegion(envName: string): string {
  return PRODUCTION_NAMES.has(envName) ? PRODUCTION_REGION : NON_PRODUCTION_REGION;
}

/** What a rule found; the evaluator adds rule id, severity and promise. */
export interface Violation {
  message: string;
  address?: string;
  file?: string;
  line?: number;
}

export interface RuleEnvironment {
  name: string;
  region: string;
  accountId: string;
}

export interface ResourceContext {
  environment: RuleEnvironment;
  resources: readonly PolicyResource[];
  /** "hcl" before a plan (unknown values are left to the plan), "plan" after. */
  source: "hcl" | "plan";
}

export interface TreeContext extends ResourceContext {
  tree: PolicyTree;
}

export interface PlanContext extends ResourceContext {
  plan: PlanJson;
  /** Addresses whose deletion or replacement was acknowledged (`--allow-destroy ADDRESS`). */
  acknowledgedDestructions: readonly string[];
}

export interface OrgContext {
  /** The organization's stack, read like an environment's roots (see loadOrgPolicyTree). */
  tree: PolicyTree;
  resources: readonly PolicyResource[];
  /** Every environment folder under envs/: each has an account the service control policies must hold. */
  environments: readonly string[];
}

export interface PolicyRule {
  id: string;
  /** One line: why the rule exists. */
  rationale: string;
  /** The compliance-page sentence it keeps. */
  promise: string;
  severity: Severity;
  /** The matching checkov or trivy check, where one exists. */
  reference?: string;
  /** Over resources: runs on the HCL before a plan and on the plan after. */
  resources?(context: ResourceContext): Violation[];
  /** Over the parsed HCL tree only (providers, backends, facts). */
  tree?(context: TreeContext): Violation[];
  /** Over a plan only (deletions, resolved ARNs). */
  plan?(context: PlanContext): Violation[];
  /** Over the organization's stack (`<root>/org`, its service control policies) only: run by `infra check`. */
  org?(context: OrgContext): Violation[];
  /**
   * Its HCL findings stand beside a plan: what it needs is known only after apply (subnet ids, a
   * policy naming the bucket's ARN), so the plan passes what it cannot see.
   */
  hclDecides?: true;
}

// ---------------------------------------------------------------------------------------------
// helpers
// ---------------------------------------------------------------------------------------------

function ofType(resources: readonly PolicyResource[], ...types: string[]): readonly PolicyResource[] {
  if (types.length === 1) return resourcesOfType(resources, types[0] as string);
  return resources.filter((resource) => types.includes(resource.type)); // several types: in the order written
}

function at(resource: PolicyResource, attribute: string, message: string): Violation {
  const line = resource.lineOf(attribute);
  return {
    message,
    address: resource.address,
    ...(resource.file ? { file: resource.file } : {}),
    ...(line !== undefined ? { line } : {}),
  };
}

/**
 * `attribute` must be `expected`; `absent` is what the provider does when it is not set.
 * An unknown value is left to the plan when reading HCL, and is a finding on the plan itself
 * only when `unknownFails` (a value that can only be known after apply cannot be checked).
 */
function requireValue(
  context: ResourceContext,
  types: string[],
  attribute: string,
  expected: unknown,
  absent: unknown,
  describe: (resource: PolicyResource, actual: unknown) => string,
): Violation[] {
  return ofType(context.resources, ...types).flatMap((resource) => {
    const values = resource.values(attribute);
    const actuals = values.length === 0 ? [absent] : values;
    return actuals
      .filter((actual) => actual !== UNKNOWN && actual !== expected)
      .slice(0, 1)
      .map((actual) => {
        const message = describe(resource, actual);
        // unset or null: say so, rather than quote a value nobody wrote
        const unset = values.length === 0 && !message.includes("(the default)") ? message.replace(show(actual), `${show(actual)} (not set: the provider's default)`) : message;
        return at(resource, attribute, unset);
      });
  });
}

function show(value: unknown): string {
  return value === undefined ? "not set" : JSON.stringify(value);
}

interface AwsProvider {
  instance: ModuleInstance;
  file: string;
  body: HclBody;
  line?: number;
}

/** Found once per tree: four rules look at every provider. */
const awsProvidersByTree = new WeakMap<PolicyTree, readonly AwsProvider[]>();

/** Every AWS provider block of every instance, with where it is written. */
function awsProviders(tree: PolicyTree): readonly AwsProvider[] {
  let providers = awsProvidersByTree.get(tree);
  if (!providers) {
    providers = findAwsProviders(tree);
    awsProvidersByTree.set(tree, providers);
  }
  return providers;
}

function findAwsProviders(tree: PolicyTree): AwsProvider[] {
  return tree.instances.flatMap((instance) =>
    labeledBlocksOf(instance.files, "provider")
      .filter(({ label }) => label === "aws")
      .map(({ file, body }) => {
        const text = tree.texts.get(file) ?? "";
        const start = findBlock(text, 'provider\\s+"aws"');
        return { instance, file, body, ...(start === undefined ? {} : { line: lineAt(text, start) }) };
      }),
  );
}

function usesAws(instance: ModuleInstance): boolean {
  return instance.files.some(({ body }) => {
    const resources = body["resource"];
    const provider = body["provider"];
    return (
      (typeof resources === "object" && resources !== null && Object.keys(resources).some((type) => type.startsWith("aws_"))) ||
      (typeof provider === "object" && provider !== null && "aws" in provider)
    );
  });
}

function resolvedString(instance: ModuleInstance, value: unknown): string | undefined {
  const resolved = resolve(instance, value).value;
  return typeof resolved === "string" && !resolved.includes("${") ? resolved : undefined;
}

function attributeLine(tree: PolicyTree, file: string, fromLine: number | undefined, attribute: string): number | undefined {
  const text = tree.texts.get(file) ?? "";
  const lines = text.split("\n");
  for (let index = (fromLine ?? 1) - 1; index < lines.length; index += 1) {
    if (new RegExp(`^\\s*${attribute}\\s*=`).test(lines[index] ?? "")) return index + 1;
  }
  return fromLine;
}

function relative(tree: PolicyTree, file: string): string {
  return path.relative(tree.environment.root, file) || file;
}

const ARN_REGION = /^arn:aws[\w-]*:[\w-]+:([a-z]{2}(?:-gov)?-[a-z]+-\d):/;

/** Every string in a value, in order, down to 64 levels (a value from a plan can nest as deep as memory allows). */
function stringsIn(value: unknown): string[] {
  const found: string[] = [];
  const pending: Array<[unknown, number]> = [[value, 0]];
  for (let item = pending.pop(); item; item = pending.pop()) {
    const [current, depth] = item;
    if (typeof current === "string") found.push(current);
    else if (depth < 64 && typeof current === "object" && current !== null) {
      const children = Array.isArray(current) ? current : Object.values(current);
      for (let index = children.length - 1; index >= 0; index -= 1) pending.push([children[index], depth + 1]);
    }
  }
  return found;
}

const OPEN_CIDRS = new Set(["0.0.0.0/0", "::/0"]);

// ---------------------------------------------------------------------------------------------
// Region
// ---------------------------------------------------------------------------------------------

export const regionPromise: PolicyRule = {
  id: "region-promise",
  rationale: "An environment's region fact is the one the compliance page names for it.",
  promise: PROMISES.region,
  severity: "error",
  tree({ tree }) {
    const { name, region, factsFile } = tree.environment;
    const expected = promisedRegion(name);
    if (region === expected) return [];
    return [
      {
        message: `environment "${name}" is in ${region}, but the compliance page promises ${expected} for it`,
        file: factsFile,
        ...lineOfFact(tree, factsFile, "region"),
      },
    ];
  },
};

function lineOfFact(tree: PolicyTree, file: string, key: string): { line?: number } {
  const line = attributeLine(tree, file, 1, key);
  return line === undefined ? {} : { line };
}

export const regionProvider: PolicyRule = {
  id: "region-provider",
  rationale: "The default AWS provider of every environment root takes its region from the environment's facts.",
  promise: PROMISES.region,
  severity: "error",
  tree({ tree, environment }) {
    return tree.roots.filter(usesAws).flatMap((root) => {
      const defaults = awsProviders(tree).filter(({ instance, body }) => instance === root && body["alias"] === undefined);
      if (defaults.length === 0) {
        return [{ message: `root ${relative(tree, root.dir)} uses AWS but has no provider "aws" block with region = local.region`, file: root.dir }];
      }
      return defaults.flatMap(({ instance, file, body, line }) => {
        const region = resolvedString(instance, body["region"]);
        if (region === environment.region) return [];
        const where = attributeLine(tree, file, line, "region");
        return [
          {
            message: `provider "aws" in ${relative(tree, file)} sets region ${region === undefined ? show(body["region"]) : `"${region}"`}, but ${environment.name} is in ${environment.region}`,
            file,
            ...(where === undefined ? {} : { line: where }),
          },
        ];
      });
    });
  },
};

export const regionResources: PolicyRule = {
  id: "region-resources",
  rationale: "No provider alias, module argument or resource may place anything in another region.",
  promise: PROMISES.region,
  severity: "error",
  resources({ resources, environment, source }) {
    const found: Violation[] = [];
    for (const resource of resources) {
      const region = valueOf(resource, "region");
      if (typeof region === "string" && region !== environment.region) {
        found.push(at(resource, "region", `${resource.address} is placed in ${region}, outside ${environment.name}'s ${environment.region}`));
        continue;
      }
      if (source !== "plan") continue;
      for (const text of stringsIn(resource.values("arn").concat(resource.values("id")))) {
        const arnRegion = ARN_REGION.exec(text)?.[1];
        if (arnRegion && arnRegion !== environment.region) {
          found.push(at(resource, "arn", `${resource.address} has ARN ${text} in ${arnRegion}, outside ${environment.name}'s ${environment.region}`));
          break;
        }
      }
    }
    return found;
  },
  tree({ tree, environment }) {
    const found: Violation[] = [];
    for (const provider of awsProviders(tree)) {
      if (provider.body["alias"] === undefined && provider.instance.parent === null) continue; // region-provider's
      const region = resolvedString(provider.instance, provider.body["region"]);
      if (region !== undefined && region !== environment.region) {
        const line = attributeLine(tree, provider.file, provider.line, "region");
        found.push({
          message: `a provider "aws" in ${relative(tree, provider.file)} points at ${region}, outside ${environment.name}'s ${environment.region}`,
          file: provider.file,
          ...(line === undefined ? {} : { line }),
        });
      }
    }
    for (const instance of tree.instances) {
      if (!instance.call || !instance.parent) continue;
      const region = resolvedString(instance.parent, instance.call["region"]);
      if (region !== undefined && region !== environment.region) {
        found.push({ message: `${instance.address} is called with region "${region}", outside ${environment.name}'s ${environment.region}`, address: instance.address });
      }
    }
    return found;
  },
  plan({ plan, environment }) {
    const providers = (plan.configuration as { provider_config?: unknown } | undefined)?.provider_config;
    if (typeof providers !== "object" || providers === null) return [];
    return Object.entries(providers as Record<string, { name?: string; expressions?: { region?: { constant_value?: unknown } } }>).flatMap(([key, config]) => {
      const region = config?.expressions?.region?.constant_value;
      if (config?.name !== "aws" || typeof region !== "string" || region === environment.region) return [];
      return [{ message: `provider ${key} in the plan points at ${region}, outside ${environment.name}'s ${environment.region}` }];
    });
  },
};

export const regionBackend: PolicyRule = {
  id: "region-backend",
  rationale: "State lives in the environment's own region, never beside another region's.",
  promise: PROMISES.region,
  severity: "error",
  tree({ tree, environment }) {
    const backend = tree.environment.backend;
    if (!backend || backend.type !== "s3") return [];
    const region = backend.config["region"];
    if (region === environment.region) return [];
    return [{ message: `the s3 backend keeps ${environment.name}'s state in ${show(region)}, not in ${environment.region}`, file: backend.file }];
  },
};

export const noReplication: PolicyRule = {
  id: "no-replication",
  rationale: "Replication copies images or state to another region or account.",
  promise: PROMISES.images,
  severity: "error",
  resources({ resources }) {
    const replicating = ofType(resources, "aws_ecr_replication_configuration", "aws_s3_bucket_replication_configuration").map((resource) =>
      at(resource, "rule", `${resource.address} replicates out of the environment's region; images and state stay where they are made`),
    );
    const inline = ofType(resources, "aws_s3_bucket")
      .filter((resource) => resource.values("replication_configuration").some((value) => value !== UNKNOWN && !(Array.isArray(value) && value.length === 0)))
      .map((resource) => at(resource, "replication_configuration", `${resource.address} has a replication_configuration block`));
    return [...replicating, ...inline];
  },
};

export const kmsSingleRegion: PolicyRule = {
  id: "kms-single-region",
  rationale: "A multi-region key, or a replica of one, makes the key material usable outside the environment's region.",
  promise: PROMISES.region,
  severity: "error",
  resources({ resources }) {
    return [
      ...ofType(resources, "aws_kms_key")
        .filter((resource) => valueOf(resource, "multi_region") === true)
        .map((resource) => at(resource, "multi_region", `${resource.address} is a multi-region key`)),
      ...ofType(resources, "aws_kms_replica_key", "aws_kms_replica_external_key").map((resource) =>
        at(resource, "primary_key_arn", `${resource.address} replicates a key into this region from another`),
      ),
    ];
  },
};

// ---------------------------------------------------------------------------------------------
// Account
// ---------------------------------------------------------------------------------------------

export const accountAllowedIds: PolicyRule = {
  id: "account-allowed-ids",
  rationale: "A provider bound to the environment's account cannot touch another, whatever credentials it gets.",
  promise: PROMISES.isolation,
  severity: "error",
  tree({ tree, environment }) {
    return awsProviders(tree)
      .filter(({ instance }) => instance.parent === null && tree.roots.includes(instance))
      .flatMap(({ instance, file, body, line }) => {
        const resolved = resolve(instance, body["allowed_account_ids"]);
        const ids = Array.isArray(resolved.value) ? resolved.value.map((item) => resolvedString(resolved.instance, item)) : undefined;
        if (ids && ids.length === 1 && ids[0] === environment.accountId) return [];
        const where = attributeLine(tree, file, line, "allowed_account_ids");
        return [
          {
            message: `provider "aws" in ${relative(tree, file)} must set allowed_account_ids = [local.account_id] (${environment.accountId}), it has ${ids ? JSON.stringify(ids) : "none"}`,
            file,
            ...(where === undefined ? {} : { line: where }),
          },
        ];
      });
  },
};

export const accountBackend: PolicyRule = {
  id: "account-backend",
  rationale: "Each environment's state lives in its own account: the account id the backend names is the environment's.",
  promise: PROMISES.isolation,
  severity: "error",
  tree({ tree, environment }) {
    const backend = tree.environment.backend;
    if (!backend || backend.type !== "s3") return [];
    const ids = new Set<string>();
    for (const text of stringsIn(backend.config)) for (const match of text.matchAll(/(?<!\d)\d{12}(?!\d)/g)) ids.add(match[0]);
    const others = [...ids].filter((id) => id !== environment.accountId);
    if (ids.size > 0 && others.length === 0) return [];
    return [
      {
        message:
          others.length > 0
            ? `the s3 backend names account ${others.join(", ")}, not ${environment.name}'s ${environment.accountId}`
            : `the s3 backend names no account; put ${environment.accountId} in the bucket name (or allowed_account_ids)`,
        file: backend.file,
      },
    ];
  },
};

export const accountStaticKeys: PolicyRule = {
  id: "account-static-keys",
  rationale: "Static access keys leak and never expire; roles are assumed instead.",
  promise: PROMISES.isolation,
  severity: "error",
  reference: "checkov CKV_AWS_41",
  resources({ resources }) {
    return ofType(resources, "aws_iam_access_key").map((resource) => at(resource, "user", `${resource.address} creates a static access key`));
  },
  tree({ tree }) {
    const found: Violation[] = [];
    for (const { file, body, line } of awsProviders(tree)) {
      for (const key of ["access_key", "secret_key"]) {
        if (key in body) {
          const where = attributeLine(tree, file, line, key);
          found.push({ message: `provider "aws" in ${relative(tree, file)} sets ${key}; assume a role instead`, file, ...(where === undefined ? {} : { line: where }) });
        }
      }
    }
    const backend = tree.environment.backend;
    for (const key of ["access_key", "secret_key"]) {
      if (backend && key in backend.config) found.push({ message: `the ${backend.type} backend sets ${key}; assume a role instead`, file: backend.file });
    }
    const seen = new Set<string>();
    for (const instance of tree.instances) {
      for (const { file } of instance.files) {
        if (seen.has(file)) continue;
        seen.add(file);
        if (!tree.texts.holdsSearchedWord(file)) continue;
        const text = tree.texts.get(file) ?? "";
        const match = ACCESS_KEY_ID.exec(text);
        // The key itself is never repeated in the finding.
        if (match) found.push({ message: `${relative(tree, file)} contains an AWS access key id`, file, line: lineAt(text, match.index) });
      }
    }
    return found;
  },
};

export const accountDistinct: PolicyRule = {
  id: "account-distinct",
  rationale: "Two environments in one account are not isolated.",
  promise: PROMISES.isolation,
  severity: "error",
  tree({ tree, environment }) {
    const sharing = tree.accounts.filter((other) => other.env !== environment.name && other.accountId === environment.accountId);
    if (sharing.length === 0) return [];
    return [
      {
        message: `${environment.name} shares account ${environment.accountId} with ${sharing.map((other) => other.env).join(", ")}`,
        file: tree.environment.factsFile,
        ...lineOfFact(tree, tree.environment.factsFile, "account_id"),
      },
    ];
  },
};

// ---------------------------------------------------------------------------------------------
// EKS
// ---------------------------------------------------------------------------------------------

const EKS = "aws_eks_cluster";

export const eksPublicEndpoint: PolicyRule = {
  id: "eks-public-endpoint",
  rationale: "A public API endpoint makes the cluster reachable from the internet.",
  promise: PROMISES.private,
  severity: "error",
  reference: "checkov CKV_AWS_39",
  resources: (context) =>
    requireValue(context, [EKS], "vpc_config.endpoint_public_access", false, true, (resource, actual) =>
      `${resource.address} has endpoint_public_access = ${show(actual)}${actual === true && resource.values("vpc_config.endpoint_public_access").length === 0 ? " (the default)" : ""}; set it to false`,
    ),
};

export const eksPrivateEndpoint: PolicyRule = {
  id: "eks-private-endpoint",
  rationale: "Without the private endpoint, nodes and operators inside the network cannot reach the API.",
  promise: PROMISES.private,
  severity: "error",
  resources: (context) =>
    requireValue(context, [EKS], "vpc_config.endpoint_private_access", true, false, (resource, actual) =>
      `${resource.address} has endpoint_private_access = ${show(actual)}; set it to true`,
    ),
};

export const eksSecretsEncryption: PolicyRule = {
  id: "eks-secrets-encryption",
  rationale: "Kubernetes secrets are encrypted with a customer-managed KMS key we administer.",
  promise: PROMISES.isolation,
  severity: "error",
  reference: "checkov CKV_AWS_58",
  resources({ resources }) {
    return ofType(resources, EKS).flatMap((resource) => {
      const kinds = resource.values("encryption_config.resources");
      const keys = resource.values("encryption_config.provider.key_arn");
      const coversSecrets = kinds.some((value) => value === UNKNOWN || (Array.isArray(value) && value.includes("secrets")));
      if (coversSecrets && keys.length > 0) return [];
      return [at(resource, "encryption_config", `${resource.address} does not encrypt secrets with a KMS key (encryption_config { resources = ["secrets"], provider { key_arn } })`)];
    });
  },
};

export const EKS_LOG_TYPES = ["api", "audit", "authenticator", "controllerManager", "scheduler"] as const;

export const eksControlPlaneLogs: PolicyRule = {
  id: "eks-control-plane-logs",
  rationale: "All five control-plane log types make the cluster auditable.",
  promise: PROMISES.audit,
  severity: "error",
  reference: "checkov CKV_AWS_37",
  resources({ resources }) {
    return ofType(resources, EKS).flatMap((resource) => {
      const value = valueOf(resource, "enabled_cluster_log_types");
      if (value === UNKNOWN) return [];
      const enabled = Array.isArray(value) ? value : [];
      if (enabled.includes(UNKNOWN)) return [];
      const missing = EKS_LOG_TYPES.filter((type) => !enabled.includes(type));
      if (missing.length === 0) return [];
      return [at(resource, "enabled_cluster_log_types", `${resource.address} does not log ${missing.join(", ")}`)];
    });
  },
};

const MIN_RETENTION_DAYS = 365;
const EKS_LOG_GROUP = /^\/aws\/eks\/.+\/cluster$/;

export const eksLogRetention: PolicyRule = {
  id: "eks-log-retention",
  rationale: "Control-plane logs are kept at least a year, in a log group we create before the cluster does.",
  promise: PROMISES.audit,
  severity: "error",
  reference: "checkov CKV_AWS_338",
  resources({ resources, source }) {
    const named = ofType(resources, "aws_cloudwatch_log_group").map((group) => ({ group, name: logGroupName(group, source) }));
    const groups = named.filter(({ name }) => typeof name === "string" && EKS_LOG_GROUP.test(name)).map(({ group }) => group);
    // A group whose name HCL cannot tell may be the cluster's or not: the plan, which knows, judges both.
    const unnamed = named.some(({ name }) => name === UNKNOWN);
    const found: Violation[] = [];
    for (const group of groups) {
      const days = valueOf(group, "retention_in_days");
      if (days === UNKNOWN || days === undefined || days === 0) continue; // 0 or unset: never expires
      if (typeof days === "number" && days >= MIN_RETENTION_DAYS) continue;
      found.push(at(group, "retention_in_days", `${group.address} keeps control-plane logs ${show(days)} days; at least ${MIN_RETENTION_DAYS} are promised`));
    }
    for (const cluster of ofType(resources, EKS)) {
      if (groups.length === 0 && !unnamed) found.push(at(cluster, "enabled_cluster_log_types", `${cluster.address} has no /aws/eks/<name>/cluster log group of ours; EKS would create one with no retention or key`));
    }
    return found;
  },
};

/**
 * A log group's name; in HCL, a template whose literal parts already say `/aws/eks/.../cluster`
 * counts as such a name (`/aws/eks/${var.name}/cluster`), any other expression is UNKNOWN.
 */
function logGroupName(resource: PolicyResource, source: "hcl" | "plan"): unknown {
  const value = valueOf(resource, "name");
  if (value !== UNKNOWN || source === "plan") return value;
  const template = resource.sources("name")[0];
  return template !== undefined && /^\/aws\/eks\/.*\$\{.*\/cluster$/.test(template) ? "/aws/eks/(expression)/cluster" : UNKNOWN;
}

export const eksAuthenticationMode: PolicyRule = {
  id: "eks-authentication-mode",
  rationale: "Access entries (API) are explicit and auditable; the aws-auth ConfigMap is not.",
  promise: PROMISES.audit,
  severity: "error",
  resources: (context) =>
    requireValue(context, [EKS], "access_config.authentication_mode", "API", "CONFIG_MAP", (resource, actual) =>
      `${resource.address} has authentication_mode = ${show(actual)}; set it to "API"`,
    ),
};

export const eksCreatorAdmin: PolicyRule = {
  id: "eks-creator-admin",
  rationale: "Whoever created the cluster must not hold an invisible, permanent admin grant.",
  promise: PROMISES.audit,
  severity: "error",
  resources: (context) =>
    requireValue(context, [EKS], "access_config.bootstrap_cluster_creator_admin_permissions", false, true, (resource, actual) =>
      `${resource.address} has bootstrap_cluster_creator_admin_permissions = ${show(actual)}; set it to false`,
    ),
};

export const eksNodeImdsv2: PolicyRule = {
  id: "eks-node-imdsv2",
  rationale: "IMDSv1 lets any request forgery on a node read its instance credentials.",
  promise: PROMISES.private,
  severity: "error",
  reference: "checkov CKV_AWS_79",
  resources(context) {
    const templates = requireValue(context, ["aws_launch_template"], "metadata_options.http_tokens", "required", "optional", (resource, actual) =>
      `${resource.address} has metadata_options.http_tokens = ${show(actual)}; set it to "required"`,
    );
    const groups = ofType(context.resources, "aws_eks_node_group")
      .filter((group) => group.values("launch_template").length === 0)
      .map((group) => at(group, "node_group_name", `${group.address} has no launch_template, so its nodes allow IMDSv1; give it one with http_tokens = "required"`));
    return [...templates, ...groups];
  },
};

export const eksNodeSubnets: PolicyRule = {
  id: "eks-node-subnets",
  rationale: "Nodes in a subnet with a route to an internet gateway or public IPs are reachable from outside.",
  promise: PROMISES.private,
  severity: "error",
  hclDecides: true,
  resources({ resources, source }) {
    if (source === "plan") return []; // subnet ids are unknown until apply; the HCL tells
    return ofType(resources, "aws_eks_node_group").flatMap((group) => {
      const subnets = referencedResources(resources, group, "subnet_ids").filter((subnet) => subnet.type === "aws_subnet");
      const publicOnes = subnets.filter((subnet) => isPublicSubnet(resources, subnet));
      return publicOnes.map((subnet) => at(group, "subnet_ids", `${group.address} places nodes in ${subnet.address}, which is public (internet gateway route or public IPs)`));
    });
  },
};

function isPublicSubnet(resources: readonly PolicyResource[], subnet: PolicyResource): boolean {
  if (valueOf(subnet, "map_public_ip_on_launch") === true) return true;
  const associations = resourcesReferring(resources, "aws_route_table_association", ["subnet_id", "for_each"], subnet);
  const tables = associations.flatMap((association) => referencedResources(resources, association, "route_table_id"));
  return tables.some((table) => {
    const inline = table.references("route.gateway_id").some((ref) => ref.local.startsWith("aws_internet_gateway."));
    const routes = resourcesReferring(resources, "aws_route", ["route_table_id"], table);
    return inline || routes.some((route) => route.references("gateway_id").some((ref) => ref.local.startsWith("aws_internet_gateway.")));
  });
}

// ---------------------------------------------------------------------------------------------
// ECR
// ---------------------------------------------------------------------------------------------

const ECR = "aws_ecr_repository";

export const ecrImmutableTags: PolicyRule = {
  id: "ecr-immutable-tags",
  rationale: "A tag that can be overwritten lets a reviewed image be swapped for another.",
  promise: PROMISES.images,
  severity: "error",
  reference: "checkov CKV_AWS_51",
  resources: (context) =>
    requireValue(context, [ECR], "image_tag_mutability", "IMMUTABLE", "MUTABLE", (resource, actual) =>
      `${resource.address} has image_tag_mutability = ${show(actual)}; set it to "IMMUTABLE"`,
    ),
};

export const ecrScanOnPush: PolicyRule = {
  id: "ecr-scan-on-push",
  rationale: "Every image is scanned for vulnerabilities as it is pushed.",
  promise: PROMISES.images,
  severity: "error",
  reference: "checkov CKV_AWS_163",
  resources: (context) =>
    requireValue(context, [ECR], "image_scanning_configuration.scan_on_push", true, false, (resource, actual) =>
      `${resource.address} has image_scanning_configuration.scan_on_push = ${show(actual)}; set it to true`,
    ),
};

export const ecrKmsEncryption: PolicyRule = {
  id: "ecr-kms-encryption",
  rationale: "Images are encrypted with KMS, whose use is logged and whose key policy we control.",
  promise: PROMISES.images,
  severity: "error",
  reference: "checkov CKV_AWS_136",
  resources: (context) =>
    requireValue(context, [ECR], "encryption_configuration.encryption_type", "KMS", "AES256", (resource, actual) =>
      `${resource.address} has encryption_type = ${show(actual)}; set encryption_configuration { encryption_type = "KMS" }`,
    ),
};

export const ecrRegistryScanning: PolicyRule = {
  id: "ecr-registry-scanning",
  rationale: "A registry-wide scanning configuration covers every repository, including ones made outside this tree.",
  promise: PROMISES.images,
  severity: "error",
  resources({ resources }) {
    const repositories = ofType(resources, ECR);
    if (repositories.length === 0) return [];
    const configurations = ofType(resources, "aws_ecr_registry_scanning_configuration");
    const scanning = configurations.some((configuration) =>
      configuration.values("rule.scan_frequency").some((frequency) => frequency === UNKNOWN || frequency === "SCAN_ON_PUSH" || frequency === "CONTINUOUS_SCAN"),
    );
    if (scanning) return [];
    const first = configurations[0] ?? repositories[0];
    if (!first) return [];
    return [at(first, "rule", configurations.length === 0 ? "ECR repositories exist but no aws_ecr_registry_scanning_configuration does" : `${first.address} has no rule scanning on push`)];
  },
};

const SCANNING = new Set(["SCAN_ON_PUSH", "CONTINUOUS_SCAN"]);

export const ecrScanFilter: PolicyRule = {
  id: "ecr-scan-filter",
  rationale: "A registry scanning rule filtered narrower than `*` leaves the other repositories' images unscanned.",
  promise: PROMISES.images,
  severity: "error",
  resources({ resources }) {
    return ofType(resources, "aws_ecr_registry_scanning_configuration").flatMap((configuration) => {
      // by path, so rules and filters written as dynamic blocks count as well
      const frequencies = configuration.values("rule.scan_frequency");
      if (frequencies.includes(UNKNOWN) || !frequencies.some((frequency) => SCANNING.has(frequency as string))) return []; // none: ecr-registry-scanning's
      const filters = configuration.values("rule.repository_filter.filter");
      if (filters.length === 0 || filters.some((filter) => filter === "*" || filter === UNKNOWN)) return [];
      return [at(configuration, "repository_filter", `${configuration.address} scans only repositories matching ${filters.map(show).join(", ")}; scan every one with filter = "*"`)];
    });
  },
};

export const ecrLifecycleTagged: PolicyRule = {
  id: "ecr-lifecycle-tagged",
  rationale: "A tagged image is one someone reviewed and may deploy or roll back to; a lifecycle rule must expire untagged images only.",
  promise: PROMISES.images,
  severity: "error",
  resources({ resources, source }) {
    return ofType(resources, "aws_ecr_lifecycle_policy").flatMap((policy) => {
      const document = valueOf(policy, "policy");
      let statuses: string[] = [];
      if (typeof document === "string") statuses = expiredTagStatuses(document);
      else if (document === UNKNOWN && source === "hcl") statuses = policy.sources("policy").flatMap((text) => [...text.matchAll(/tagStatus\s*=\s*"(tagged|any)"/g)].map((match) => match[1] as string));
      if (statuses.length === 0) return [];
      return [at(policy, "policy", `${policy.address} expires images with tagStatus = ${show(statuses[0])}, which includes tagged ones; select tagStatus = "untagged"`)];
    });
  },
};

/** The tagStatus of every expiring rule of an ECR lifecycle policy that can select tagged images. */
function expiredTagStatuses(document: string): string[] {
  try {
    const parsed = JSON.parse(document) as { rules?: unknown };
    return (Array.isArray(parsed.rules) ? parsed.rules : [])
      .filter((rule): rule is Record<string, Record<string, unknown>> => typeof rule === "object" && rule !== null)
      .filter((rule) => (rule["action"]?.["type"] ?? "expire") === "expire")
      .map((rule) => rule["selection"]?.["tagStatus"])
      .filter((status): status is string => status === "tagged" || status === "any");
  } catch {
    return [];
  }
}

export const ecrForceDelete: PolicyRule = {
  id: "ecr-force-delete",
  rationale: "force_delete lets a destroy take every image with the repository.",
  promise: PROMISES.images,
  severity: "error",
  resources({ resources }) {
    return ofType(resources, ECR)
      .filter((resource) => valueOf(resource, "force_delete") === true)
      .map((resource) => at(resource, "force_delete", `${resource.address} has force_delete = true`));
  },
};

// ---------------------------------------------------------------------------------------------
// State bucket
// ---------------------------------------------------------------------------------------------

/**
 * State buckets: those whose name says they hold (terraform) state, as every backend.tf here names
 * them - but not the bucket that receives their access logs (`<state bucket>-access-logs`), which
 * S3 requires to be SSE-S3 encrypted and which holds no state.
 */
function stateBuckets(context: ResourceContext): PolicyResource[] {
  return ofType(context.resources, "aws_s3_bucket").filter((bucket) => {
    const name = valueOf(bucket, "bucket");
    return typeof name === "string" && /(^|[-_.])(tf)?state([-_.]|$)/.test(name) && !/[-_.](access[-_.])?logs?$/.test(name);
  });
}

function stateRule(
  id: string,
  rationale: string,
  reference: string | undefined,
  judge: (context: ResourceContext, bucket: PolicyResource) => Violation[],
): PolicyRule {
  return {
    id,
    rationale,
    promise: PROMISES.audit,
    severity: "error",
    ...(reference ? { reference } : {}),
    resources: (context) => stateBuckets(context).flatMap((bucket) => judge(context, bucket)),
  };
}

function attached(context: ResourceContext, type: string, bucket: PolicyResource): PolicyResource[] {
  return resourcesReferring(context.resources, type, ["bucket"], bucket, { targetPath: "bucket", path: "bucket" });
}

export const stateVersioning = stateRule("state-versioning", "Every state version can be restored and audited.", "checkov CKV_AWS_21", (context, bucket) => {
  const versioning = attached(context, "aws_s3_bucket_versioning", bucket);
  const statuses = versioning.flatMap((resource) => resource.values("versioning_configuration.status"));
  if (statuses.some((status) => status === "Enabled" || status === UNKNOWN)) return [];
  return [at(versioning[0] ?? bucket, "status", `state bucket ${bucket.address} is not versioned (aws_s3_bucket_versioning with status = "Enabled")`)];
});

export const stateEncryption = stateRule("state-encryption", "State holds secrets: it is encrypted with a KMS key we administer.", "checkov CKV_AWS_145", (context, bucket) => {
  const encryption = attached(context, "aws_s3_bucket_server_side_encryption_configuration", bucket);
  const algorithms = encryption.flatMap((resource) => resource.values("rule.apply_server_side_encryption_by_default.sse_algorithm"));
  if (algorithms.some((algorithm) => algorithm === "aws:kms" || algorithm === "aws:kms:dsse" || algorithm === UNKNOWN)) return [];
  return [at(encryption[0] ?? bucket, "sse_algorithm", `state bucket ${bucket.address} is not encrypted with SSE-KMS (sse_algorithm = "aws:kms")`)];
});

const PUBLIC_ACCESS_FLAGS = ["block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"] as const;

export const statePublicAccess = stateRule("state-public-access", "State must never be readable from outside the account.", "checkov CKV2_AWS_6", (context, bucket) => {
  const blocks = attached(context, "aws_s3_bucket_public_access_block", bucket);
  const complete = blocks.some((block) => PUBLIC_ACCESS_FLAGS.every((flag) => valueOf(block, flag) === true || valueOf(block, flag) === UNKNOWN));
  if (complete) return [];
  return [at(blocks[0] ?? bucket, "block_public_acls", `state bucket ${bucket.address} does not block all public access (${PUBLIC_ACCESS_FLAGS.join(", ")} all true)`)];
});

export const stateTlsOnly: PolicyRule = {
  ...stateRule("state-tls-only", "State is never read or written over plain HTTP.", undefined, (context, bucket) => tlsOnly(context, bucket, "state bucket")),
  hclDecides: true,
};

/** A bucket policy that denies every request without TLS, or the finding that there is none. */
function tlsOnly(context: ResourceContext, bucket: PolicyResource, label: string): Violation[] {
  const policies = attached(context, "aws_s3_bucket_policy", bucket);
  const denies = policies.some((policy) => {
    const document = valueOf(policy, "policy");
    if (typeof document === "string") return deniesInsecureTransport(document);
    if (document !== UNKNOWN) return false;
    // From HCL, a jsonencode({...}) is judged by its source; in a plan an unknown document
    // (it names the bucket's ARN, known after apply) was judged on the HCL already.
    const sources = policy.sources("policy");
    return context.source === "plan" || sources.some(deniesInsecureTransportInSource);
  });
  if (denies) return [];
  return [at(policies[0] ?? bucket, "policy", `${label} ${bucket.address} has no policy denying requests without TLS (aws:SecureTransport = false)`)];
}

export const s3TlsOnly: PolicyRule = {
  id: "s3-tls-only",
  rationale: "No bucket (audit logs, access logs, anything) is read or written over plain HTTP; state buckets are state-tls-only's.",
  promise: PROMISES.audit,
  severity: "error",
  reference: "checkov CKV_AWS_379",
  hclDecides: true,
  resources(context) {
    const state = new Set(stateBuckets(context));
    return ofType(context.resources, "aws_s3_bucket")
      .filter((bucket) => !state.has(bucket))
      .flatMap((bucket) => tlsOnly(context, bucket, "bucket"));
  },
};

function deniesInsecureTransport(document: string): boolean {
  try {
    const parsed = JSON.parse(document) as { Statement?: unknown };
    const statements = Array.isArray(parsed.Statement) ? parsed.Statement : [parsed.Statement];
    return statements.some((statement) => {
      const text = JSON.stringify(statement);
      return typeof statement === "object" && statement !== null && (statement as { Effect?: unknown }).Effect === "Deny" && /"aws:SecureTransport":\s*"?false"?/.test(text);
    });
  } catch {
    return false;
  }
}

/** `Effect = "Deny"` and `"aws:SecureTransport" = "false"` in the source of one statement of a jsonencode. */
function deniesInsecureTransportInSource(source: string): boolean {
  return source
    .split(/\}\s*,\s*\{/)
    .some((statement) => /Effect\s*=\s*"Deny"/.test(statement) && /"aws:SecureTransport"\s*=\s*"?false"?/.test(statement));
}

// ---------------------------------------------------------------------------------------------
// Network
// ---------------------------------------------------------------------------------------------

export const networkFlowLogs: PolicyRule = {
  id: "network-flow-logs",
  rationale: "Flow logs of ALL traffic make every VPC's connections auditable.",
  promise: PROMISES.audit,
  severity: "error",
  reference: "checkov CKV2_AWS_11",
  resources(context) {
    return ofType(context.resources, "aws_vpc").flatMap((vpc) => {
      const logs = resourcesReferring(context.resources, "aws_flow_log", ["vpc_id"], vpc, { targetPath: "id", path: "vpc_id" });
      if (logs.some((log) => [UNKNOWN, "ALL"].includes(valueOf(log, "traffic_type") as string | symbol))) return [];
      const partial = logs[0];
      return [
        partial
          ? at(partial, "traffic_type", `${partial.address} logs ${show(valueOf(partial, "traffic_type"))} traffic of ${vpc.address}; set traffic_type = "ALL"`)
          : at(vpc, "cidr_block", `${vpc.address} has no aws_flow_log of ALL traffic`),
      ];
    });
  },
};

export const networkDefaultSecurityGroup: PolicyRule = {
  id: "network-default-sg",
  rationale: "The default security group allows all traffic between its members; we adopt it and empty it.",
  promise: PROMISES.private,
  severity: "error",
  reference: "checkov CKV2_AWS_12",
  resources(context) {
    const found: Violation[] = [];
    const defaults = ofType(context.resources, "aws_default_security_group");
    for (const group of defaults) {
      for (const direction of ["ingress", "egress"]) {
        const rules = group.values(direction).filter((value) => !(Array.isArray(value) && value.length === 0));
        if (rules.length > 0) found.push(at(group, direction, `${group.address} has ${direction} rules; the default security group must have none`));
      }
    }
    for (const type of ["aws_vpc_security_group_ingress_rule", "aws_vpc_security_group_egress_rule", "aws_security_group_rule"]) {
      for (const rule of ofType(context.resources, type)) {
        if (rule.references("security_group_id").some((ref) => ref.local.startsWith("aws_default_security_group."))) {
          found.push(at(rule, "security_group_id", `${rule.address} adds a rule to the default security group`));
        }
      }
    }
    for (const vpc of ofType(context.resources, "aws_vpc")) {
      const adopted = resourcesReferring(context.resources, "aws_default_security_group", ["vpc_id"], vpc, { targetPath: "id", path: "vpc_id" });
      if (adopted.length === 0) found.push(at(vpc, "cidr_block", `${vpc.address} leaves its default security group with its rules; adopt it with an empty aws_default_security_group`));
    }
    return found;
  },
};

export const networkPublicIp: PolicyRule = {
  id: "network-public-ip",
  rationale: "Nothing gets a public IP address just by being launched.",
  promise: PROMISES.private,
  severity: "error",
  reference: "checkov CKV_AWS_130",
  resources({ resources }) {
    return [
      ...ofType(resources, "aws_subnet")
        .filter((subnet) => valueOf(subnet, "map_public_ip_on_launch") === true)
        .map((subnet) => at(subnet, "map_public_ip_on_launch", `${subnet.address} has map_public_ip_on_launch = true`)),
      ...ofType(resources, "aws_instance")
        .filter((instance) => valueOf(instance, "associate_public_ip_address") === true)
        .map((instance) => at(instance, "associate_public_ip_address", `${instance.address} has associate_public_ip_address = true`)),
      ...ofType(resources, "aws_launch_template")
        .filter((template) => template.values("network_interfaces.associate_public_ip_address").some((value) => value === true || value === "true"))
        .map((template) => at(template, "associate_public_ip_address", `${template.address} gives its instances public IP addresses`)),
    ];
  },
};

export const networkOpenIngress: PolicyRule = {
  id: "network-open-ingress",
  rationale: "Only a load balancer's HTTPS listener may be reached from anywhere.",
  promise: PROMISES.private,
  severity: "error",
  reference: "trivy AVD-AWS-0107",
  resources({ resources }) {
    const loadBalancerGroups = new Set(
      ofType(resources, "aws_lb", "aws_alb", "aws_elb").flatMap((lb) => lb.references("security_groups").map((ref) => `${ref.module}|${ref.local}`)),
    );
    const onLoadBalancer = (rule: PolicyResource, attribute: string) =>
      rule.references(attribute).some((ref) => loadBalancerGroups.has(`${ref.module}|${ref.local}`)) ||
      (rule.type === "aws_security_group" && loadBalancerGroups.has(`${rule.module}|${rule.type}.${rule.name}`));
    const only443 = (from: unknown, to: unknown) => Number(from) === 443 && Number(to) === 443;
    return ingressRules(resources).flatMap(({ rule, cidrs, from, to, attribute, groupAttribute }) => {
      const open = cidrs.filter((cidr): cidr is string => typeof cidr === "string" && OPEN_CIDRS.has(cidr));
      if (open.length === 0) return [];
      if (only443(from, to) && onLoadBalancer(rule, groupAttribute)) return [];
      return [at(rule, attribute, `${rule.address} allows ingress from ${open.join(", ")} on ports ${show(from)}-${show(to)}; only a load balancer listener on 443 may be open to the internet`)];
    });
  },
};

/** One ingress permission, however written: a rule resource of either kind or a group's inline block. */
interface Ingress {
  rule: PolicyResource;
  /** IPv4 and IPv6 sources, flattened. */
  cidrs: unknown[];
  from: unknown;
  to: unknown;
  protocol: unknown;
  /** Where a finding points, and the attribute naming the security group ("" for an inline block). */
  attribute: string;
  groupAttribute: string;
}

function ingressRules(resources: readonly PolicyResource[]): Ingress[] {
  const found: Ingress[] = [];
  for (const rule of ofType(resources, "aws_vpc_security_group_ingress_rule")) {
    const [from, to, protocol] = [valueOf(rule, "from_port"), valueOf(rule, "to_port"), valueOf(rule, "ip_protocol")];
    found.push({ rule, cidrs: [valueOf(rule, "cidr_ipv4"), valueOf(rule, "cidr_ipv6")], from, to, protocol, attribute: "cidr_ipv4", groupAttribute: "security_group_id" });
  }
  for (const rule of ofType(resources, "aws_security_group_rule")) {
    if (valueOf(rule, "type") !== "ingress") continue;
    const cidrs = [...rule.values("cidr_blocks"), ...rule.values("ipv6_cidr_blocks")].flat();
    found.push({ rule, cidrs, from: valueOf(rule, "from_port"), to: valueOf(rule, "to_port"), protocol: valueOf(rule, "protocol"), attribute: "cidr_blocks", groupAttribute: "security_group_id" });
  }
  for (const group of ofType(resources, "aws_security_group")) {
    for (const block of group.values("ingress").flatMap((value) => (Array.isArray(value) ? value : [value]))) {
      if (typeof block !== "object" || block === null) continue;
      const record = block as Record<string, unknown>;
      const cidrs = [record["cidr_blocks"], record["ipv6_cidr_blocks"]].flat();
      found.push({ rule: group, cidrs, from: record["from_port"], to: record["to_port"], protocol: record["protocol"], attribute: "ingress", groupAttribute: "" });
    }
  }
  return found;
}

export const moduleRemote: PolicyRule = {
  id: "module-remote",
  rationale: "A registry or git module is not read before the plan; only the plan rules judge what it creates.",
  promise: PROMISES.audit,
  severity: "warning",
  tree({ tree }) {
    return tree.instances.flatMap((instance) =>
      labeledBlocksOf(instance.files, "module").flatMap(({ file, label, body }) => {
        const source = body["source"];
        if (typeof source === "string" && (source.startsWith("./") || source.startsWith("../"))) return [];
        const text = tree.texts.get(file) ?? "";
        const start = findBlock(text, `module\\s+"${label.replace(/[^\w-]/g, "")}"`);
        return [
          {
            message: `module "${label}" comes from ${show(source)}, which the HCL rules cannot read; its resources are judged on the plan only`,
            address: `${instance.address ? `${instance.address}.` : ""}module.${label}`,
            file,
            ...(start === undefined ? {} : { line: lineAt(text, start) }),
          },
        ];
      }),
    );
  },
};

// ---------------------------------------------------------------------------------------------
// Destruction
// ---------------------------------------------------------------------------------------------

const GITHUB_OIDC = "token.actions.githubusercontent.com";

export const iamTrust: PolicyRule = {
  id: "iam-trust",
  rationale: "A role's trust admits named principals only: never anyone (`*`), never any GitHub repository or workflow.",
  promise: PROMISES.isolation,
  severity: "error",
  resources({ resources }) {
    return ofType(resources, "aws_iam_role").flatMap((role) => {
      const document = valueOf(role, "assume_role_policy");
      if (typeof document !== "string") return []; // unknown until its references are: judged where known
      const problem = trustProblem(document);
      return problem ? [at(role, "assume_role_policy", `${role.address} trusts ${problem}`)] : [];
    });
  },
};

/** What is wrong with a trust policy, or undefined: a wildcard principal, or GitHub's OIDC provider without a repository-bound subject. */
function trustProblem(document: string): string | undefined {
  let statements: unknown[];
  try {
    const parsed = JSON.parse(document) as { Statement?: unknown };
    statements = Array.isArray(parsed.Statement) ? parsed.Statement : [parsed.Statement];
  } catch {
    return undefined;
  }
  for (const statement of statements) {
    if (typeof statement !== "object" || statement === null) continue;
    const { Effect: effect, Principal: principal, Condition: condition } = statement as Record<string, unknown>;
    if (effect !== "Allow") continue;
    const principals = typeof principal === "object" && principal !== null ? Object.values(principal).flat() : [principal];
    if (principals.includes("*")) return 'any principal ("*"); name the roles or accounts that may assume it';
    if (!principals.some((value) => typeof value === "string" && value.includes(GITHUB_OIDC))) continue;
    const subjects = Object.values(typeof condition === "object" && condition !== null ? condition : {})
      .flatMap((test) => (typeof test === "object" && test !== null ? Object.entries(test) : []))
      .filter(([key]) => key.endsWith(":sub"))
      .flatMap(([, value]) => (Array.isArray(value) ? value : [value]));
    if (subjects.length === 0) return "every GitHub Actions workflow anywhere (no token.actions.githubusercontent.com:sub condition); bind it to repo:OWNER/NAME:environment:ENV";
    const loose = subjects.find((subject) => typeof subject !== "string" || !/^repo:[^*/:]+\/[^*:]+:/.test(subject));
    if (loose !== undefined) return `GitHub subjects as wide as ${show(loose)}; bind it to one repository (repo:OWNER/NAME:environment:ENV)`;
  }
  return undefined;
}

/** Ports whose services give a shell or a database: never open beyond the VPC, whatever the CIDR. */
const SENSITIVE_PORTS = [22, 23, 3389, 5985, 5986];

export const networkSensitiveIngress: PolicyRule = {
  id: "network-sensitive-ingress",
  rationale: "SSH, telnet, RDP and WinRM are reachable only from inside the VPC, not from a wider private range or another network.",
  promise: PROMISES.private,
  severity: "error",
  resources({ resources }) {
    const vpcCidrs = ofType(resources, "aws_vpc")
      .map((vpc) => parseCidr(valueOf(vpc, "cidr_block")))
      .filter((cidr): cidr is Cidr => cidr !== undefined);
    if (vpcCidrs.length === 0) return []; // no VPC whose range HCL knows: judged where it is
    return ingressRules(resources).flatMap(({ rule, cidrs, from, to, protocol, attribute }) => {
      const ports = sensitivePorts(from, to, protocol);
      if (ports.length === 0) return [];
      // open to all: network-open-ingress's; IPv6 and unknown sources: not judged here
      const beyond = cidrs.map(parseCidr).find((cidr) => cidr !== undefined && !OPEN_CIDRS.has(cidr.text) && !vpcCidrs.some((vpc) => contains(vpc, cidr)));
      if (!beyond) return [];
      return [at(rule, attribute, `${rule.address} admits ${beyond.text} on port ${ports.join(", ")}, beyond the VPC (${vpcCidrs.map((vpc) => vpc.text).join(", ")}); admit only addresses inside it, or use Session Manager`)];
    });
  },
};

/** The sensitive ports a rule's range covers; all traffic (`-1`) covers every one. */
function sensitivePorts(from: unknown, to: unknown, protocol: unknown): number[] {
  if (protocol === "-1" || protocol === -1 || protocol === "all") return SENSITIVE_PORTS;
  if (protocol !== undefined && protocol !== "tcp" && protocol !== "6" && protocol !== 6) return [];
  const low = Number(from);
  const high = Number(to);
  if (!Number.isFinite(low) || !Number.isFinite(high)) return [];
  return SENSITIVE_PORTS.filter((port) => low <= port && port <= high);
}

interface Cidr {
  text: string;
  address: number;
  bits: number;
}

/** An IPv4 CIDR; undefined for anything else (IPv6, unknown, not a CIDR). */
function parseCidr(value: unknown): Cidr | undefined {
  if (typeof value !== "string") return undefined;
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(value);
  if (!match) return undefined;
  const octets = match.slice(1, 5).map(Number);
  const bits = Number(match[5]);
  if (octets.some((octet) => octet > 255) || bits > 32) return undefined;
  return { text: value, address: octets.reduce((sum, octet) => sum * 256 + octet, 0), bits };
}

function contains(outer: Cidr, inner: Cidr): boolean {
  if (inner.bits < outer.bits) return false;
  const size = 2 ** (32 - outer.bits);
  return Math.floor(inner.address / size) === Math.floor(outer.address / size);
}

const DEFAULT_ROUTES = new Set(["0.0.0.0/0", "::/0"]);

export const networkIsolatedRoutes: PolicyRule = {
  id: "network-isolated-routes",
  rationale: "Isolated (intra) subnets hold the control-plane interfaces and endpoints: no route out of the VPC at all.",
  promise: PROMISES.private,
  severity: "error",
  hclDecides: true,
  resources({ resources, source }) {
    if (source === "plan") return []; // route table ids are unknown until apply; the HCL tells
    const found: Violation[] = [];
    for (const subnet of ofType(resources, "aws_subnet").filter(isIsolatedSubnet)) {
      const associations = resourcesReferring(resources, "aws_route_table_association", ["subnet_id", "for_each"], subnet);
      for (const table of associations.flatMap((association) => referencedResources(resources, association, "route_table_id"))) {
        const inline = table.values("route.cidr_block").concat(table.values("route.ipv6_cidr_block")).some((cidr) => DEFAULT_ROUTES.has(cidr as string));
        const routes = resourcesReferring(resources, "aws_route", ["route_table_id"], table).filter((route) =>
          [valueOf(route, "destination_cidr_block"), valueOf(route, "destination_ipv6_cidr_block")].some((cidr) => DEFAULT_ROUTES.has(cidr as string)),
        );
        if (!inline && routes.length === 0) continue;
        const route = routes[0];
        found.push(route ? at(route, "destination_cidr_block", `${route.address} gives isolated subnet ${subnet.address} a default route; its route table must keep traffic inside the VPC`) : at(table, "route", `${table.address} gives isolated subnet ${subnet.address} a default route; its route table must keep traffic inside the VPC`));
      }
    }
    return found;
  },
};

/** Subnets named or tagged isolated or intra, as our networking module and terraform-aws-modules/vpc name them. */
function isIsolatedSubnet(subnet: PolicyResource): boolean {
  if (/(^|_)(intra|isolated)(_|$)/.test(subnet.name)) return true;
  return subnet.values("tags").some((tags) => {
    if (typeof tags !== "object" || tags === null) return false;
    const tier = (tags as Record<string, unknown>)["Tier"];
    return tier === "intra" || tier === "isolated";
  });
}

/** What cannot be made again as it was: a cluster, a KMS key, a state bucket, an audit trail's bucket. */
export const preventDestroy: PolicyRule = {
  id: "prevent-destroy",
  rationale: "terraform itself refuses a plan that would destroy a cluster, a key, or the state or audit bucket (lifecycle { prevent_destroy = true }).",
  promise: PROMISES.isolation,
  severity: "error",
  hclDecides: true,
  resources(context) {
    if (context.source === "plan") return []; // lifecycle is not in a plan's JSON
    const { resources } = context;
    const auditBuckets = ofType(resources, "aws_cloudtrail").flatMap((trail) => referencedResources(resources, trail, "s3_bucket_name"));
    const guarded: Array<[PolicyResource, string]> = [
      ...ofType(resources, EKS).map((cluster): [PolicyResource, string] => [cluster, "cluster"]),
      ...ofType(resources, "aws_kms_key").map((key): [PolicyResource, string] => [key, "KMS key"]),
      ...stateBuckets(context).map((bucket): [PolicyResource, string] => [bucket, "state bucket"]),
      ...auditBuckets.filter((bucket) => bucket.type === "aws_s3_bucket").map((bucket): [PolicyResource, string] => [bucket, "audit bucket"]),
    ];
    const seen = new Set<PolicyResource>();
    return guarded.flatMap(([resource, kind]) => {
      if (seen.has(resource)) return [];
      seen.add(resource);
      const flags = resource.values("lifecycle.prevent_destroy");
      if (flags.some((flag) => flag === true || flag === UNKNOWN)) return [];
      return [at(resource, "lifecycle", `${kind} ${resource.address} has no lifecycle { prevent_destroy = true }`)];
    });
  },
};

export const destructionProtected: PolicyRule = {
  id: "destruction-protected",
  rationale: "A cluster, registry, account, key or state bucket lost cannot be recreated as it was.",
  promise: PROMISES.isolation,
  severity: "error",
  plan({ plan, acknowledgedDestructions }) {
    return unacknowledgedDestructions(protectedDestructions(plan), acknowledgedDestructions).map((destruction) => ({
      message: `the plan would ${destruction.action} ${destruction.kind} ${destruction.address}; acknowledge it with --allow-destroy '${destruction.address}' if intended`,
      address: destruction.address,
    }));
  },
};

// ---------------------------------------------------------------------------------------------
// Organization: the service control policies of the org stack
// ---------------------------------------------------------------------------------------------

/**
 * The baseline of the guard rails and the region lock, kept here and not read back from the org
 * stack: whoever edits terraform/org (and its terraform test beside it) cannot move it in the same
 * change. Each denial is the org stack's statement as reviewed: its actions, the resources it
 * must cover, the principals an `aws:PrincipalArn` exemption may name, and the further conditions
 * that narrow it by design. A statement denying more, on more, with fewer exemptions, keeps it.
 */
const ORGANIZATION_ROLE = "arn:aws:iam::*:role/OrganizationAccountAccessRole";
const DEPLOY_ROLE = "arn:aws:iam::*:role/infra-deploy";
const FLOW_LOG_RESOURCES = ["arn:aws:ec2:*:*:vpc-flow-log/*", "arn:aws:logs:*:*:log-group:/aws/vpc/*"];
const FLOW_LOG_DELETION = ["ec2:DeleteFlowLogs", "logs:DeleteLogGroup", "logs:DeleteLogStream"];

export interface RequiredDenial {
  /** The statement's Sid in the org stack: where a finding points. */
  sid: string;
  actions: readonly string[];
  /** Default `*`. */
  resources?: readonly string[];
  exempt?: readonly string[];
  conditions?: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>>;
}

export const GUARD_RAILS: readonly RequiredDenial[] = [
  { sid: "DenyReplicationOutOfTheRegion", actions: ["ecr:PutReplicationConfiguration", "s3:PutReplicationConfiguration"] },
  {
    sid: "DenySharingOutOfTheAccount",
    actions: ["ram:CreateResourceShare", "ram:AssociateResourceShare", "ram:AcceptResourceShareInvitation", "ec2:CreateVpcPeeringConnection", "ec2:AcceptVpcPeeringConnection"],
  },
  // Also the default key: reset, it falls back to aws/ebs, a key nobody here controls.
  { sid: "DenyDisablingEbsEncryptionByDefault", actions: ["ec2:DisableEbsEncryptionByDefault", "ec2:ModifyEbsDefaultKmsKeyId", "ec2:ResetEbsDefaultKmsKeyId"], exempt: [ORGANIZATION_ROLE] },
  // infra-deploy deletes flow logs in reviewed plans (replacements, teardowns), but only terraform's: the next one
  { sid: "DenyDeletingFlowLogs", actions: FLOW_LOG_DELETION, resources: FLOW_LOG_RESOURCES, exempt: [ORGANIZATION_ROLE, DEPLOY_ROLE] },
  {
    sid: "DenyDeletingFlowLogsTerraformDidNotMake",
    actions: FLOW_LOG_DELETION,
    resources: FLOW_LOG_RESOURCES,
    conditions: { ArnLike: { "aws:PrincipalArn": [DEPLOY_ROLE] }, StringNotEquals: { "aws:ResourceTag/ManagedBy": ["terraform"] } },
  },
  {
    sid: "DenyRetaggingFlowLogs",
    actions: ["ec2:CreateTags", "ec2:DeleteTags"],
    resources: ["arn:aws:ec2:*:*:vpc-flow-log/*"],
    exempt: [ORGANIZATION_ROLE],
    conditions: { StringNotEquals: { "ec2:CreateAction": ["CreateFlowLogs"] }, "ForAnyValue:StringEquals": { "aws:TagKeys": ["ManagedBy"] } },
  },
  {
    sid: "DenyBlindingTheAuditTrail",
    actions: [
      "cloudtrail:DeleteTrail", "cloudtrail:StopLogging", "cloudtrail:UpdateTrail", "cloudtrail:PutEventSelectors", "cloudtrail:PutInsightSelectors",
      "guardduty:DeleteDetector", "guardduty:UpdateDetector", "guardduty:DisassociateFromMasterAccount", "guardduty:DisassociateFromAdministratorAccount", "guardduty:CreateFilter", "guardduty:UpdateFilter",
      "config:DeleteConfigurationRecorder", "config:DeleteDeliveryChannel", "config:StopConfigurationRecorder", "config:PutConfigurationRecorder", "config:PutDeliveryChannel",
      "access-analyzer:DeleteAnalyzer", "access-analyzer:CreateArchiveRule", "access-analyzer:UpdateArchiveRule",
      "securityhub:DisableSecurityHub", "securityhub:BatchDisableStandards",
    ],
    exempt: [ORGANIZATION_ROLE],
  },
  {
    sid: "DenyShorteningAuditLogRetention",
    actions: ["logs:PutRetentionPolicy", "logs:DeleteRetentionPolicy", "logs:DisassociateKmsKey"],
    // Session Manager's transcripts (/aws/ssm/<name>/sessions) are audit evidence like the control plane's and the flow logs.
    resources: ["arn:aws:logs:*:*:log-group:/aws/eks/*", "arn:aws:logs:*:*:log-group:/aws/vpc/*", "arn:aws:logs:*:*:log-group:/aws/ssm/*"],
    exempt: [ORGANIZATION_ROLE, DEPLOY_ROLE],
  },
  {
    sid: "DenyChangingThePlatformRoles",
    actions: [
      "iam:UpdateAssumeRolePolicy", "iam:UpdateRole", "iam:UpdateRoleDescription", "iam:DeleteRole",
      "iam:PutRolePolicy", "iam:DeleteRolePolicy", "iam:AttachRolePolicy", "iam:DetachRolePolicy",
      "iam:PutRolePermissionsBoundary", "iam:DeleteRolePermissionsBoundary", "iam:TagRole", "iam:UntagRole",
      "iam:CreatePolicyVersion", "iam:DeletePolicyVersion", "iam:SetDefaultPolicyVersion", "iam:DeletePolicy",
    ],
    resources: [
      ORGANIZATION_ROLE, DEPLOY_ROLE, "arn:aws:iam::*:role/infra-break-glass", "arn:aws:iam::*:role/infra-platform-admin",
      "arn:aws:iam::*:role/infra-image-push", "arn:aws:iam::*:policy/infra-deploy-boundary",
    ],
    exempt: [ORGANIZATION_ROLE],
  },
  { sid: "DenyLongLivedAccessKeys", actions: ["iam:CreateAccessKey", "iam:CreateUser", "iam:CreateLoginProfile"], exempt: [ORGANIZATION_ROLE] },
  { sid: "DenyLeavingTheOrganization", actions: ["organizations:LeaveOrganization"] },
];

/** What the region lock may leave usable in every region: global services, or ones answering only in us-east-1. */
export const REGION_LOCK_GLOBAL_ACTIONS: readonly string[] = [
  "account:*", "budgets:*", "ce:*", "cur:*", "health:*", "iam:*", "organizations:*",
  "pricing:*", "route53:*", "route53domains:*", "sts:*", "support:*", "trustedadvisor:*",
  "ec2:DescribeRegions", "s3:GetAccountPublicAccessBlock", "s3:PutAccountPublicAccessBlock",
  "s3:ListAllMyBuckets",
];

const REGION_KEY = "aws:requestedregion";
const PRINCIPAL_KEY = "aws:principalarn";
/** Condition operators with which `aws:PrincipalArn` exempts the principals it names from a denial. */
const EXEMPTING = new Set(["ArnNotLike", "ArnNotEquals", "StringNotLike", "StringNotEquals"]);

interface Statement {
  sid: string | undefined;
  deny: boolean;
  actions: string[] | undefined;
  notActions: string[] | undefined;
  resources: string[] | undefined;
  conditions: Array<{ op: string; key: string; values: string[] }>;
}

/** One instance of a service control policy: its statements, where it is written, the accounts it is attached to. */
interface ScpInstance {
  policy: PolicyResource;
  key: string;
  statements: Statement[];
  /** Environments whose account it is attached to, as far as HCL tells. */
  attachedTo: Set<string>;
}

function stringList(value: unknown): string[] | undefined {
  if (typeof value === "string") return [value];
  return Array.isArray(value) && value.every((item) => typeof item === "string") ? (value as string[]) : undefined;
}

/** A policy document's statements; undefined when it is not one this can read. */
function statementsOf(document: string): Statement[] | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(document);
  } catch {
    return undefined;
  }
  const raw = typeof parsed === "object" && parsed !== null ? (parsed as Record<string, unknown>)["Statement"] : undefined;
  const list = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  return list.flatMap((item) => {
    if (typeof item !== "object" || item === null) return [];
    const statement = item as Record<string, unknown>;
    const condition = statement["Condition"];
    const conditions = Object.entries(typeof condition === "object" && condition !== null ? condition : {}).flatMap(([op, tests]) =>
      Object.entries(typeof tests === "object" && tests !== null ? tests : {}).map(([key, values]) => ({ op, key, values: stringList(values) ?? [JSON.stringify(values)] })),
    );
    return [
      {
        sid: typeof statement["Sid"] === "string" ? statement["Sid"] : undefined,
        deny: statement["Effect"] === "Deny",
        actions: stringList(statement["Action"]),
        notActions: stringList(statement["NotAction"]),
        resources: statement["NotResource"] === undefined ? stringList(statement["Resource"]) : undefined,
        conditions,
      },
    ];
  });
}

/** IAM's wildcards (`*`, `?`); actions compare without case, resources with. */
function wildcardMatches(pattern: string, value: string, ignoreCase: boolean): boolean {
  const expression = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replaceAll("*", ".*").replaceAll("?", ".");
  return new RegExp(`^${expression}$`, ignoreCase ? "i" : "").test(value);
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((item) => b.includes(item));
}

/** Why a statement denying an action on the required resources does not keep the denial: extra exemptions or narrowing conditions. */
function conditionProblems(statement: Statement, denial: RequiredDenial): { exempted: string[]; narrowed: Statement["conditions"] } {
  const exempted: string[] = [];
  const narrowed: Statement["conditions"] = [];
  for (const { op, key, values } of statement.conditions) {
    if (key.toLowerCase() === PRINCIPAL_KEY && EXEMPTING.has(op)) {
      exempted.push(...values.filter((value) => !(denial.exempt ?? []).includes(value)));
      continue;
    }
    const designed = denial.conditions?.[op]?.[key];
    if (!designed || !sameSet(designed, values)) narrowed.push({ op, key, values });
  }
  return { exempted, narrowed };
}

interface DenialVerdict {
  missing: string[];
  /** The statement that denies the actions with a weakening condition, and what weakens it. */
  weakened?: { statement: Statement; exempted: string[]; narrowed: Statement["conditions"]; actions: string[] };
}

function judgeDenial(denial: RequiredDenial, statements: readonly Statement[]): DenialVerdict {
  const missing: string[] = [];
  let weakened: DenialVerdict["weakened"];
  for (const action of denial.actions) {
    const denying = statements.filter(
      (statement) =>
        statement.deny &&
        statement.actions?.some((pattern) => wildcardMatches(pattern, action, true)) &&
        (denial.resources ?? ["*"]).every((resource) => statement.resources?.some((pattern) => pattern === "*" || wildcardMatches(pattern, resource, false))),
    );
    const problems = denying.map((statement) => ({ statement, ...conditionProblems(statement, denial) }));
    if (problems.some(({ exempted, narrowed }) => exempted.length === 0 && narrowed.length === 0)) continue;
    // the statement written for this denial, where one still denies the action: that is the one weakened
    const first = problems.find(({ statement }) => statement.sid === denial.sid) ?? problems[0];
    if (!first) missing.push(action);
    else if (!weakened) weakened = { ...first, actions: [action] };
    else weakened.actions.push(action);
  }
  return weakened ? { missing, weakened } : { missing };
}

/** The line of a statement (its Sid) in the org stack's files, or of a text within its first lines. */
function statementLine(tree: PolicyTree, sid: string | undefined, within?: string): { file: string; line: number } | undefined {
  if (sid === undefined) return undefined;
  for (const instance of tree.instances) {
    for (const { file } of instance.files) {
      const text = tree.texts.get(file) ?? "";
      const match = new RegExp(`Sid\\s*=\\s*"${sid.replace(/[^\w-]/g, "")}"`).exec(text);
      if (!match) continue;
      const line = lineAt(text, match.index);
      if (within !== undefined) {
        const lines = text.split("\n");
        for (let index = line - 1; index < Math.min(lines.length, line + 15); index += 1) {
          if ((lines[index] ?? "").includes(within)) return { file, line: index + 1 };
        }
      }
      return { file, line };
    }
  }
  return undefined;
}

function pointAt(resource: PolicyResource, attribute: string): { file?: string; line?: number } {
  const line = resource.lineOf(attribute);
  return { ...(resource.file ? { file: resource.file } : {}), ...(line !== undefined ? { line } : {}) };
}

/** `aws_organizations_X.NAME[INDEX].attr`: the referenced resource and its index, written as a source. */
const ORG_REFERENCE = /^\$\{\s*(aws_organizations_(?:policy|account|organization|organizational_unit))\.([\w-]+)(?:\[\s*([^\]]+?)\s*\])?\.[\w.[\]]+\s*\}$/;

/** The instance key an index expression names in an attachment's instance `key`: `each.key`, a quoted key, or none (""). */
function indexKey(index: string | undefined, key: string): string | undefined {
  if (index === undefined) return "";
  if (index === "each.key") return key;
  const quoted = /^"([\w-]+)"$/.exec(index);
  return quoted ? quoted[1] : undefined;
}

interface ScpScan {
  instances: ScpInstance[];
  /** Something HCL cannot resolve: a policy's content or existence, an attachment's target. */
  unknown: boolean;
}

/**
 * Every service control policy of the org stack, each instance with its statements and the
 * environments it is attached to (an account of the org stack is keyed by its environment; an
 * attachment to the organization's root reaches every one).
 */
function scanScps(resources: readonly PolicyResource[], environments: readonly string[]): ScpScan {
  let unknown = false;
  const instances: ScpInstance[] = [];
  for (const policy of ofType(resources, "aws_organizations_policy")) {
    const type = valueOf(policy, "type");
    if (type !== undefined && type !== "SERVICE_CONTROL_POLICY") {
      if (type === UNKNOWN) unknown = true;
      continue;
    }
    const contents = valuesByInstance(policy, "content");
    if (policy.uncertain || contents === UNKNOWN) {
      unknown = true;
      continue;
    }
    for (const [key, content] of contents) {
      const statements = typeof content === "string" ? statementsOf(content) : undefined;
      if (!statements) unknown = true;
      else instances.push({ policy, key, statements, attachedTo: new Set() });
    }
  }
  for (const attachment of ofType(resources, "aws_organizations_policy_attachment")) {
    const policyRef = ORG_REFERENCE.exec(attachment.sources("policy_id")[0] ?? "");
    const targetRef = ORG_REFERENCE.exec(attachment.sources("target_id")[0] ?? "");
    const keys = valuesByInstance(attachment, "target_id");
    if (!policyRef || policyRef[1] !== "aws_organizations_policy") {
      // a literal id is a policy made elsewhere; an expression HCL cannot follow may be one of ours
      if ((attachment.sources("policy_id")[0] ?? "").includes("${")) unknown = true;
      continue;
    }
    if (attachment.uncertain || keys === UNKNOWN || !targetRef) {
      unknown = true;
      continue;
    }
    for (const key of keys.keys()) {
      const policyKey = indexKey(policyRef[3], key);
      const targetKey = indexKey(targetRef[3], key);
      const instance = instances.find((candidate) => candidate.policy.name === policyRef[2] && candidate.policy.module === attachment.module && candidate.key === policyKey);
      if (policyKey === undefined || targetKey === undefined) unknown = true;
      if (!instance || targetKey === undefined) continue;
      if (targetRef[1] === "aws_organizations_organization") for (const env of environments) instance.attachedTo.add(env);
      else if (targetRef[1] === "aws_organizations_account") instance.attachedTo.add(targetKey);
      else unknown = true; // an organizational unit: which accounts it holds is not in the HCL
    }
  }
  return { instances, unknown };
}

function listed(items: readonly string[]): string {
  return items.join(", ");
}

function guardRailFindings(tree: PolicyTree, scan: ScpScan, environments: readonly string[], organization: { file?: string; line?: number }): Violation[] {
  const all = scan.instances.flatMap((instance) => instance.statements);
  const verdicts = GUARD_RAILS.map((denial) => ({ denial, verdict: judgeDenial(denial, all) }));
  // A statement removed whole has no line left: the content of the policy still holding the others does.
  const holding = scan.instances.find((instance) => GUARD_RAILS.some((denial) => judgeDenial(denial, instance.statements).missing.length < denial.actions.length));
  const anchor = holding ? pointAt(holding.policy, "content") : organization;
  const found: Violation[] = [];
  if (!scan.unknown && verdicts.every(({ denial, verdict }) => verdict.missing.length === denial.actions.length)) {
    return [{ message: `no service control policy of the org stack holds the guard rails (${listed(GUARD_RAILS.map((denial) => denial.sid))}); restore aws_organizations_policy.guardrails and its attachment to every environment account`, ...organization }];
  }
  for (const { denial, verdict } of verdicts) {
    if (verdict.missing.length > 0 && !scan.unknown) {
      const where = statementLine(tree, denial.sid) ?? anchor;
      found.push({ message: `the guard rails no longer deny ${listed(verdict.missing)} (statement ${denial.sid}); every environment account must be denied it, as the compliance page promises`, ...where });
    }
    if (verdict.weakened) {
      const { statement, exempted, narrowed, actions } = verdict.weakened;
      const name = statement.sid ?? denial.sid;
      const where = statementLine(tree, statement.sid, exempted.length > 0 ? "aws:PrincipalArn" : narrowed[0]?.key) ?? anchor;
      const how = [
        ...(exempted.length > 0 ? [`exempts ${listed(exempted)} (aws:PrincipalArn) from denying ${listed(actions)}; only ${denial.exempt && denial.exempt.length > 0 ? listed(denial.exempt) : "no principal"} may be exempt`] : []),
        ...(narrowed.length > 0 ? [`denies ${listed(actions)} only under ${listed(narrowed.map(({ op, key, values }) => `${op} ${key} ${JSON.stringify(values)}`))}, a condition the guard rails do not have`] : []),
      ];
      found.push({ message: `guard-rail statement ${name} ${how.join("; and ")}`, ...where });
    }
  }
  if (scan.unknown) return found;
  // Denials the content keeps must reach every account: name each policy holding them but not attached to all.
  const detached = new Map<ScpInstance, Set<string>>();
  for (const { denial, verdict } of verdicts) {
    if (verdict.missing.length > 0 || verdict.weakened) continue;
    for (const env of environments) {
      const applied = scan.instances.filter((instance) => instance.attachedTo.has(env)).flatMap((instance) => instance.statements);
      const verdictThere = judgeDenial(denial, applied);
      if (verdictThere.missing.length === 0 && !verdictThere.weakened) continue;
      const holder = scan.instances.find((instance) => judgeDenial(denial, instance.statements).missing.length < denial.actions.length);
      if (holder) (detached.get(holder) ?? detached.set(holder, new Set()).get(holder))?.add(env);
    }
  }
  for (const [instance, envs] of detached) {
    found.push({ message: `${instance.policy.address}${instance.key ? `["${instance.key}"]` : ""} holds guard rails but is not attached to the account of ${listed([...envs].sort())}; attach it (aws_organizations_policy_attachment) to every environment account`, address: instance.policy.address, ...pointAt(instance.policy, "content") });
  }
  return found;
}

/** What is wrong with a region-lock statement for an environment promised `region`, in words naming no region of its own; undefined when it keeps the promise. */
function regionLockProblem(statement: Statement, region: string): string | undefined {
  const problems: string[] = [];
  const lock = statement.conditions.filter(({ key }) => key.toLowerCase() === REGION_KEY);
  const allowed = [...new Set(lock.flatMap(({ values }) => values))];
  const exactly = lock.every(({ op, values }) => op === "StringNotEquals" || (op === "StringNotLike" && values.every((value) => !/[*?]/.test(value))));
  if (!allowed.includes(region)) problems.push(`allows ${listed(allowed)} instead of its promised region`);
  else if (allowed.length > 1 || !exactly) problems.push(`allows ${listed(allowed.filter((value) => value !== region)) || "wildcard regions"} besides its promised region`);
  const exemptActions = statement.actions !== undefined ? ["every action it does not list"] : (statement.notActions ?? []).filter((action) => !REGION_LOCK_GLOBAL_ACTIONS.includes(action));
  if (exemptActions.length > 0) problems.push(`leaves ${listed(exemptActions)} usable in every region`);
  if (!(statement.resources ?? []).includes("*")) problems.push("covers only some resources");
  const others = statement.conditions.filter(({ key }) => key.toLowerCase() !== REGION_KEY);
  if (others.length > 0) problems.push(`exempts requests matching ${listed(others.map(({ op, key, values }) => `${op} ${key} ${JSON.stringify(values)}`))}`);
  return problems.length > 0 ? problems.join("; ") : undefined;
}

function regionLockFindings(tree: PolicyTree, scan: ScpScan, environments: readonly string[], anchor: { file?: string; line?: number }): Violation[] {
  // One weakening usually touches every account (one statement, for_each over them): one finding naming them all.
  const grouped = new Map<string, { message: string; where: { file?: string; line?: number; address?: string }; envs: string[] }>();
  const add = (key: string, env: string, message: string, where: { file?: string; line?: number; address?: string }) => {
    const group = grouped.get(key) ?? { message, where, envs: [] };
    group.envs.push(env);
    grouped.set(key, group);
  };
  const isLock = (statement: Statement) => statement.deny && statement.conditions.some(({ key }) => key.toLowerCase() === REGION_KEY);
  for (const env of environments) {
    const region = promisedRegion(env);
    const applied = scan.instances.filter((instance) => instance.attachedTo.has(env)).flatMap((instance) => instance.statements.filter(isLock));
    if (applied.some((statement) => regionLockProblem(statement, region) === undefined)) continue;
    const weak = applied[0];
    if (weak) {
      const problem = regionLockProblem(weak, region) as string;
      add(`weak|${weak.sid ?? ""}|${problem}`, env, problem, statementLine(tree, weak.sid, "aws:RequestedRegion") ?? anchor);
      continue;
    }
    if (scan.unknown) continue;
    const unattached = scan.instances.find((instance) => instance.statements.some(isLock) && (instance.key === env || instance.key === ""));
    if (unattached) add(`detached|${unattached.policy.address}`, env, `is not attached: ${unattached.policy.address} holds it, but no aws_organizations_policy_attachment gives it to the account`, { address: unattached.policy.address, ...pointAt(unattached.policy, "content") });
    else add("none", env, "is gone: no service control policy denies the account the other regions; restore aws_organizations_policy.region_lock and its attachments", anchor);
  }
  return [...grouped.values()].map(({ message, where, envs }) => ({
    message: `the region lock of ${listed(envs)} ${message} (promised: ${listed(envs.map((env) => `${env} ${promisedRegion(env)}`))})`,
    ...where,
  }));
}

export const orgGuardRails: PolicyRule = {
  id: "org-guard-rails",
  rationale:
    "The organization's service control policies enforce what no environment's own roles can undo: every guard-rail denial (no replication, sharing, unencrypted EBS, deleted flow logs, blinded audit trail, changed platform roles, access keys, leaving), exempting only the principals it names, and a region lock allowing each account its promised region alone.",
  promise: `${PROMISES.region} ${PROMISES.audit}`,
  severity: "error",
  org({ tree, resources, environments }) {
    const organization = ofType(resources, "aws_organizations_organization")[0];
    // where the organization enables SCPs: the place to start when none holds what it must
    const anchor = organization ? pointAt(organization, "enabled_policy_types") : { file: path.join(tree.environment.dir, "main.tf") };
    const scan = scanScps(resources, environments);
    return [...guardRailFindings(tree, scan, environments, anchor), ...regionLockFindings(tree, scan, environments, anchor)];
  },
};

/** Every rule, in the order they are listed and reported. */
export const policyRules: readonly PolicyRule[] = [
  regionPromise,
  regionProvider,
  regionResources,
  regionBackend,
  noReplication,
  kmsSingleRegion,
  accountAllowedIds,
  accountBackend,
  accountStaticKeys,
  accountDistinct,
  eksPublicEndpoint,
  eksPrivateEndpoint,
  eksSecretsEncryption,
  eksControlPlaneLogs,
  eksLogRetention,
  eksAuthenticationMode,
  eksCreatorAdmin,
  eksNodeImdsv2,
  eksNodeSubnets,
  ecrImmutableTags,
  ecrScanOnPush,
  ecrKmsEncryption,
  ecrRegistryScanning,
  ecrForceDelete,
  ecrScanFilter,
  ecrLifecycleTagged,
  stateVersioning,
  stateEncryption,
  statePublicAccess,
  stateTlsOnly,
  s3TlsOnly,
  networkFlowLogs,
  networkDefaultSecurityGroup,
  networkPublicIp,
  networkOpenIngress,
  networkSensitiveIngress,
  networkIsolatedRoutes,
  iamTrust,
  preventDestroy,
  destructionProtected,
  orgGuardRails,
  moduleRemote,
];

export function ruleKinds(rule: PolicyRule): Array<"hcl" | "plan" | "org"> {
  return [
    ...(rule.resources || rule.tree ? (["hcl"] as const) : []),
    ...(rule.resources || rule.plan ? (["plan"] as const) : []),
    ...(rule.org ? (["org"] as const) : []),
  ];
}
