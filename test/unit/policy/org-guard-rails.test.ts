import { describe, expect, it } from "vitest";
import { policyRules } from "../../../src/policy/index.js";
import { orgPolicy } from "../../../src/workflow/policy.js";
import { applyEdits, copyPolicyTree, lineIn, quietContext, type Edit } from "../../policy-helpers.js";

/**
 * The org stack's service control policies, judged by org-guard-rails against the baseline the
 * rule itself holds. Each case is one realistic edit of a copy of the real tree, and must give
 * exactly one finding, pointing at the file and line a reviewer would look at.
 */
const ORG = "org/main.tf";

/** Removes a whole `resource "TYPE" "NAME"` block (terraform fmt closes it with "}" alone on a line). */
function withoutResource(type: string, name: string): Edit {
  return { file: ORG, from: new RegExp(`resource "${type}" "${name}" \\{[\\s\\S]*?\\n\\}\\n`), to: "" };
}

interface Weakening {
  what: string;
  edits: Edit[];
  message: RegExp;
  /** The line the finding must name: the one occurrence of this text in `file` after the edits. */
  lineOf: { file: string; text: string; below?: number };
}

const WEAKENINGS: Weakening[] = [
  {
    what: "an action removed from a deny list (the trail may be redirected)",
    edits: [{ file: ORG, from: '"cloudtrail:UpdateTrail", ', to: "" }],
    message: /^the guard rails no longer deny cloudtrail:UpdateTrail \(statement DenyBlindingTheAuditTrail\)/,
    lineOf: { file: ORG, text: 'Sid    = "DenyBlindingTheAuditTrail"' },
  },
  {
    what: "the default EBS key's reset dropped (volumes fall back to aws/ebs)",
    edits: [{ file: ORG, from: ', "ec2:ResetEbsDefaultKmsKeyId"]', to: "]" }],
    message: /^the guard rails no longer deny ec2:ResetEbsDefaultKmsKeyId \(statement DenyDisablingEbsEncryptionByDefault\)/,
    lineOf: { file: ORG, text: 'Sid       = "DenyDisablingEbsEncryptionByDefault"' },
  },
  {
    what: "Session Manager's transcripts dropped from the retention guard rail",
    edits: [{ file: ORG, from: ', "arn:aws:logs:*:*:log-group:/aws/ssm/*"]', to: "]" }],
    message: /^the guard rails no longer deny logs:PutRetentionPolicy, logs:DeleteRetentionPolicy, logs:DisassociateKmsKey \(statement DenyShorteningAuditLogRetention\)/,
    lineOf: { file: ORG, text: 'Sid       = "DenyShorteningAuditLogRetention"' },
  },
  {
    what: "a whole statement removed (leaving the organization allowed)",
    edits: [{ file: ORG, from: /\s+\{\n\s+Sid\s+= "DenyLeavingTheOrganization"[\s\S]*?\n\s+\},\n/, to: "\n" }],
    message: /^the guard rails no longer deny organizations:LeaveOrganization \(statement DenyLeavingTheOrganization\)/,
    lineOf: { file: ORG, text: "content     = jsonencode(local.guardrails)" },
  },
  {
    what: "the deploy role exempted from the access-key denial",
    edits: [
      {
        file: ORG,
        from: /(Action\s+= \["iam:CreateAccessKey", "iam:CreateUser", "iam:CreateLoginProfile"\]\n\s+Resource\s+= "\*"\n\s+Condition = \{ ArnNotLike = \{ "aws:PrincipalArn" = )local\.organization_admin_role/,
        to: "$1[local.organization_admin_role, local.deploy_role]",
      },
    ],
    message: /^guard-rail statement DenyLongLivedAccessKeys exempts arn:aws:iam::\*:role\/infra-deploy \(aws:PrincipalArn\) from denying iam:CreateAccessKey, iam:CreateUser, iam:CreateLoginProfile; only arn:aws:iam::\*:role\/OrganizationAccountAccessRole may be exempt$/,
    lineOf: { file: ORG, text: '"iam:CreateLoginProfile"]\n        Resource  = "*"\n        Condition', below: 2 },
  },
  {
    what: "a wildcard exemption on the statement protecting the platform roles",
    edits: [{ file: ORG, from: /(Resource\s+= concat\(local\.platform_roles, local\.platform_policies\)\n\s+Condition = \{ ArnNotLike = \{ "aws:PrincipalArn" = )local\.organization_admin_role/, to: '$1"arn:aws:iam::*:role/*"' }],
    message: /^guard-rail statement DenyChangingThePlatformRoles exempts arn:aws:iam::\*:role\/\* \(aws:PrincipalArn\)/,
    lineOf: { file: ORG, text: '"aws:PrincipalArn" = "arn:aws:iam::*:role/*"' },
  },
  {
    what: "the tag condition of the flow-log deletion loosened",
    edits: [{ file: ORG, from: 'StringNotEquals = { "aws:ResourceTag/ManagedBy" = "terraform" }', to: 'StringNotEquals = { "aws:ResourceTag/ManagedBy" = "*" }' }],
    message: /^guard-rail statement DenyDeletingFlowLogsTerraformDidNotMake denies ec2:DeleteFlowLogs, logs:DeleteLogGroup, logs:DeleteLogStream only under StringNotEquals aws:ResourceTag\/ManagedBy \["\*"\]/,
    lineOf: { file: ORG, text: '"aws:ResourceTag/ManagedBy" = "*"' },
  },
  {
    what: "an extra region in the region lock",
    edits: [{ file: ORG, from: '"aws:RequestedRegion" = [each.value.region]', to: '"aws:RequestedRegion" = [each.value.region, "us-east-1"]' }],
    message: /^the region lock of dev, prod, staging allows us-east-1 besides its promised region \(promised: dev eu-central-1, prod us-east-2, staging eu-central-1\)$/,
    lineOf: { file: ORG, text: '"aws:RequestedRegion" = [each.value.region, "us-east-1"]' },
  },
  {
    what: "EC2 left usable in every region",
    edits: [{ file: ORG, from: '"account:*", "budgets:*",', to: '"account:*", "budgets:*", "ec2:*",' }],
    message: /^the region lock of dev, prod, staging leaves ec2:\* usable in every region/,
    lineOf: { file: ORG, text: '"aws:RequestedRegion" = [each.value.region]' },
  },
  {
    what: "prod's facts moved to eu-central-1, which the region lock follows",
    edits: [
      { file: "envs/prod/environment.tf", from: '"us-east-2"', to: '"eu-central-1"' },
    ],
    message: /^the region lock of prod allows eu-central-1 instead of its promised region \(promised: prod us-east-2\)$/,
    lineOf: { file: ORG, text: '"aws:RequestedRegion" = [each.value.region]' },
  },
  {
    what: "the guard rails detached from every account",
    edits: [withoutResource("aws_organizations_policy_attachment", "guardrails")],
    message: /^aws_organizations_policy\.guardrails holds guard rails but is not attached to the account of dev, prod, staging/,
    lineOf: { file: ORG, text: "content     = jsonencode(local.guardrails)" },
  },
  {
    what: "the guard rails detached from prod only",
    edits: [
      {
        file: ORG,
        from: "  for_each = local.environments\n\n  policy_id = aws_organizations_policy.guardrails.id",
        to: '  for_each = { for env, facts in local.environments : env => facts if env != "prod" }\n\n  policy_id = aws_organizations_policy.guardrails.id',
      },
    ],
    message: /^aws_organizations_policy\.guardrails holds guard rails but is not attached to the account of prod;/,
    lineOf: { file: ORG, text: "content     = jsonencode(local.guardrails)" },
  },
  {
    what: "the guard-rail policy removed with its attachment",
    edits: [withoutResource("aws_organizations_policy", "guardrails"), withoutResource("aws_organizations_policy_attachment", "guardrails")],
    message: /^no service control policy of the org stack holds the guard rails \(DenyReplicationOutOfTheRegion, /,
    lineOf: { file: ORG, text: 'enabled_policy_types = ["SERVICE_CONTROL_POLICY"]' },
  },
  {
    what: "the region lock detached",
    edits: [withoutResource("aws_organizations_policy_attachment", "region_lock")],
    message: /^the region lock of dev, prod, staging is not attached: aws_organizations_policy\.region_lock holds it/,
    lineOf: { file: ORG, text: "content = jsonencode({" },
  },
  {
    what: "the region lock removed with its attachment",
    edits: [withoutResource("aws_organizations_policy", "region_lock"), withoutResource("aws_organizations_policy_attachment", "region_lock")],
    message: /^the region lock of dev, prod, staging is gone: /,
    lineOf: { file: ORG, text: 'enabled_policy_types = ["SERVICE_CONTROL_POLICY"]' },
  },
];

describe("org-guard-rails on a copy of the real org stack", () => {
  it("passes the stack as it ships", async () => {
    const root = await copyPolicyTree();
    const result = await orgPolicy(quietContext(root));
    expect(result.findings).toEqual([]);
    expect(result.status).toBe("passed");
    expect(result.env).toBe("org");
  });

  it.each(WEAKENINGS.map((weakening) => [weakening.what, weakening] as const))("finds exactly one weakening: %s", async (_what, weakening) => {
    const root = await copyPolicyTree();
    await applyEdits(root, weakening.edits);
    const result = await orgPolicy(quietContext(root));
    expect(result.findings).toHaveLength(1);
    const [finding] = result.findings;
    expect(finding).toMatchObject({
      rule: "org-guard-rails",
      severity: "error",
      source: "hcl",
      file: weakening.lineOf.file,
      line: (await lineIn(root, weakening.lineOf.file, weakening.lineOf.text)) + (weakening.lineOf.below ?? 0),
      promise: policyRules.find((rule) => rule.id === "org-guard-rails")?.promise,
    });
    expect(finding?.message).toMatch(weakening.message);
    expect(finding?.message).not.toMatch(/null|undefined|\[object/);
    expect(result.status).toBe("failed");
  });

  it("keeps what is strengthened: a denial without its exemption, an action added, a region lock with no global services", async () => {
    const root = await copyPolicyTree();
    await applyEdits(root, [
      { file: ORG, from: /(Action\s+= \["iam:CreateAccessKey", "iam:CreateUser", "iam:CreateLoginProfile"\]\n\s+Resource\s+= "\*"\n)\s+Condition = \{ ArnNotLike = \{ "aws:PrincipalArn" = local\.organization_admin_role \} \}\n/, to: "$1" },
      { file: ORG, from: 'Action   = ["organizations:LeaveOrganization"]', to: 'Action   = ["organizations:LeaveOrganization", "organizations:DeleteOrganization"]' },
      { file: ORG, from: "NotAction = local.global_actions", to: 'NotAction = ["iam:*"]' },
    ]);
    expect((await orgPolicy(quietContext(root))).findings).toEqual([]);
  });

  it("leaves to terraform what HCL cannot resolve: a region lock over a for_each it cannot read says nothing", async () => {
    const root = await copyPolicyTree();
    // A data source's attribute is known only to terraform: the policies' instances are unknown here.
    await applyEdits(root, [
      { file: ORG, from: 'for f in fileset("${path.module}/../envs", "*/environment.tf")', to: 'for f in data.aws_organizations_organization.this.accounts[*].name' },
      { file: ORG, from: '"aws:RequestedRegion" = [each.value.region]', to: '"aws:RequestedRegion" = [each.value.region, "us-east-1"]' },
    ]);
    const result = await orgPolicy(quietContext(root));
    expect(result.findings).toEqual([]);
  });

  it("does not call a policy detached when its attachment names it through an expression HCL cannot follow", async () => {
    const root = await copyPolicyTree();
    await applyEdits(root, [{ file: ORG, from: "for_each = local.environments\n\n  policy_id = aws_organizations_policy.guardrails.id", to: "for_each = local.environments\n\n  policy_id = one([for p in [aws_organizations_policy.guardrails] : p.id])" }]);
    expect((await orgPolicy(quietContext(root))).findings).toEqual([]);
  });

  it("refuses a tree without an org stack in one sentence", async () => {
    const root = await copyPolicyTree();
    const { rm } = await import("node:fs/promises");
    await rm(`${root}/org`, { recursive: true });
    await expect(orgPolicy(quietContext(root))).rejects.toThrow(/has no organization stack \(org\/\)/);
  });
});
