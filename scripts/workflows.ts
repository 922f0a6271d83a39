#!/usr/bin/env -S npx tsx
/**
 * Writes .github/workflows/infra.yml and drift.yml from the promotion chain of the terraform tree
 * (`promoted_from` in terraform/envs/<env>/environment.tf, src/config/chain.ts): a new environment
 * folder is a new set of jobs, a changed `promoted_from` reorders them. Never edit the files by
 * hand; test/workflows/workflows.test.ts fails when they differ from what this prints.
 *
 *   npm run workflows                          rewrite both files, print the ones that changed
 *   npx tsx scripts/workflows.ts --check       change nothing; exit 1 naming the stale files
 */
import { readFile, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
// zx for the script shell (argv parsing, colour); node:fs/promises because zx's fs-extra types are loose.
import { chalk, parseArgv, path } from "zx";
import { runAsScript } from "./entry-point.js";
import { readPromotionChain, type ChainEnvironment } from "../src/config/chain.js";
import { PLAN_ROLE_NAME } from "../src/aws/credential-chain.js";
import { ExitCode, UsageError } from "../src/errors.js";

/** Actions pinned by commit SHA; the tag each SHA was published as follows it. */
const ACTIONS = {
  checkout: "actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2",
  dagger: "dagger/dagger-for-github@27b130bf0f79a7f6fbbbe0fbca6760dc9bb40a77 # v8.4.1",
  awsCredentials: "aws-actions/configure-aws-credentials@e3dd6a429d7300a6a4c196c26e071d42e0343502 # v4.0.2",
  upload: "actions/upload-artifact@ea165f8d65b6e75b540449e92b4886f43607fa02 # v4.6.2",
  download: "actions/download-artifact@d3f86a106a0bac45b974a628896c90dbdf5c8093 # v4.3.0",
} as const;

const DAGGER_VERSION = "0.21.9";
const DEPLOY_ROLE = "infra-deploy";
/** An applied bundle (receipt, review files; never tfplan) is kept as evidence beside the ledger. */
const APPLIED_RETENTION_DAYS = 90;
/** A pull request's read-only plan is read while the PR is reviewed; it can never be applied. */
const PR_PLAN_RETENTION_DAYS = 3;
const DRIFT_RETENTION_DAYS = 7;
const DAY_MS = 86_400_000;

const ON_MAIN = "github.event_name == 'push' && github.ref == 'refs/heads/main'";
const SAME_REPO_PR = "github.event_name == 'pull_request' && github.event.pull_request.head.repo.full_name == github.repository";
const FORK_PR = "github.event_name == 'pull_request' && github.event.pull_request.head.repo.full_name != github.repository";

const AWS_SECRETS = [
  "--aws-access-key-id env://AWS_ACCESS_KEY_ID",
  "--aws-secret-access-key env://AWS_SECRET_ACCESS_KEY",
  "--aws-session-token env://AWS_SESSION_TOKEN",
];

/** A tfplan may stay in the artifact store only as long as the freshness gate would still apply it. */
export function planRetentionDays(environment: Pick<ChainEnvironment, "maxPlanAgeMs">): number {
  return Math.max(1, Math.ceil(environment.maxPlanAgeMs / DAY_MS));
}

const indent = (lines: readonly string[], by: number) => lines.map((line) => (line === "" ? line : `${" ".repeat(by)}${line}`));

function checkoutStep(): string[] {
  return [
    `- uses: ${ACTIONS.checkout}`,
    "  with:",
    "    # .git goes into the engine with the source (plans record the commit): keep the job's",
    "    # token out of .git/config.",
    "    persist-credentials: false",
  ];
}

function awsSteps(env: ChainEnvironment, role: string): string[] {
  return [
    "- id: session",
    `  run: echo "name=infra-${env.name}-\${GITHUB_SHA:0:12}" >> "$GITHUB_OUTPUT"`,
    `- uses: ${ACTIONS.awsCredentials}`,
    "  with:",
    `    role-to-assume: arn:aws:iam::${env.accountId}:role/${role}`,
    "    role-session-name: ${{ steps.session.outputs.name }}",
    `    aws-region: ${env.region}`,
    `- uses: ${ACTIONS.dagger}`,
    "  with:",
    "    version: ${{ env.DAGGER_VERSION }}",
  ];
}

/** The plan key reaches the step only as an environment secret; an unset one stops the job before anything is planned or applied. */
function requirePlanKeyStep(env: ChainEnvironment): string[] {
  return [
    "- name: Require the plan key",
    "  env:",
    "    INFRA_PLAN_KEY: ${{ secrets.INFRA_PLAN_KEY }}",
    "  run: |",
    '    if [ -z "$INFRA_PLAN_KEY" ]; then',
    `      echo "::error::the GitHub environment ${env.name} has no secret INFRA_PLAN_KEY: add 32 random bytes (openssl rand -base64 32) under Settings -> Environments -> ${env.name}, so tfplan never leaves the engine in clear"`,
    "      exit 1",
    "    fi",
  ];
}

function uploadStep(name: string, dir: string, retentionDays: number, options: { always?: boolean; withoutPlan?: boolean; id?: string } = {}): string[] {
  return [
    ...(options.id ? [`- id: ${options.id}`, `  uses: ${ACTIONS.upload}`] : [`- uses: ${ACTIONS.upload}`]),
    ...(options.always ? ["  if: always()"] : []),
    "  with:",
    `    name: ${name}`,
    ...(options.withoutPlan ? ["    path: |", `      ${dir}/`, `      !${dir}/tfplan`] : [`    path: ${dir}/`]),
    "    if-no-files-found: error",
    `    retention-days: ${retentionDays}`,
  ];
}

function downloadStep(name: string, dir: string, condition?: string): string[] {
  return [`- uses: ${ACTIONS.download}`, ...(condition ? [`  if: ${condition}`] : []), "  with:", `    name: ${name}`, `    path: ${dir}/`];
}

/** A job's permissions: each job says exactly what it needs, on top of the workflow's read-only default. */
function permissions(scopes: Readonly<Record<string, "read" | "write">>): string[] {
  return ["permissions:", ...Object.entries(scopes).map(([scope, access]) => `  ${scope}: ${access}`)];
}

function concurrency(group: string, cancel: string): string[] {
  return ["concurrency:", `  group: ${group}`, `  cancel-in-progress: ${cancel}`];
}

function job(name: string, lines: readonly string[]): string[] {
  return ["", `${name}:`, ...indent(lines, 2)];
}

/** A pull request's plan: the read-only role, no GitHub environment, nothing of it that could be applied leaves the runner. */
function pullRequestPlanJob(env: ChainEnvironment): string[] {
  const dir = `artifacts/${env.name}`;
  return job(`pr-plan-${env.name}`, [
    `if: ${SAME_REPO_PR}`,
    "needs: check",
    "runs-on: ubuntu-latest",
    "timeout-minutes: 30",
    "# A newer push to the pull request makes this plan moot; it never shares a group with an apply.",
    ...concurrency(`infra-pr-\${{ github.event.pull_request.number }}-plan-${env.name}`, "true"),
    ...permissions({ contents: "read", "id-token": "write" }),
    "# Where the artifact (report.html among it) is downloaded: the PR comment links it when the summary does not fit.",
    "outputs:",
    "  report-url: ${{ steps.upload.outputs.artifact-url }}",
    "steps:",
    ...indent(
      [
        ...checkoutStep(),
        ...awsSteps(env, PLAN_ROLE_NAME),
        `- name: dagger call plan --env ${env.name} --read-only`,
        "  run: >-",
        `    dagger call plan --env ${env.name} --read-only`,
        ...AWS_SECRETS.map((flag) => `    ${flag}`),
        `    -o ${dir}`,
        "- name: Plan summary",
        `  run: cat ${dir}/summary.md >> "$GITHUB_STEP_SUMMARY"`,
        "# The read-only tfplan holds the plan's secrets and can never be applied: it stays on the runner.",
        ...uploadStep(`pr-plan-${env.name}`, dir, PR_PLAN_RETENTION_DAYS, { withoutPlan: true, id: "upload" }),
      ],
      2,
    ),
  ]);
}

/** The PR plan's comment: a job of its own, so the token that writes to the pull request never sits beside AWS credentials. */
function pullRequestCommentJob(env: ChainEnvironment): string[] {
  const dir = `artifacts/${env.name}`;
  const plan = `needs.pr-plan-${env.name}.result`;
  return job(`pr-comment-${env.name}`, [
    "# Also after a failed or skipped plan, whose comment says so: the last plan's comment would pass for this push's.",
    "# A cancelled plan has a newer push behind it, and that run comments.",
    `if: \${{ !cancelled() && ${SAME_REPO_PR} && ${plan} != 'cancelled' }}`,
    `needs: pr-plan-${env.name}`,
    "runs-on: ubuntu-latest",
    "timeout-minutes: 10",
    "# One writer per pull request and environment: two runs never both create the comment.",
    ...concurrency(`infra-pr-\${{ github.event.pull_request.number }}-comment-${env.name}`, "false"),
    ...permissions({ contents: "read", "pull-requests": "write" }),
    "steps:",
    ...indent(
      [
        ...checkoutStep(),
        ...downloadStep(`pr-plan-${env.name}`, dir, `${plan} == 'success'`),
        "- run: npm ci --no-audit --no-fund",
        `- name: The plan comment of ${env.name}`,
        "  env:",
        "    GITHUB_TOKEN: ${{ github.token }}",
        "    PR_NUMBER: ${{ github.event.pull_request.number }}",
        `    PLAN_RESULT: \${{ ${plan} }}`,
        `    REPORT_URL: \${{ needs.pr-plan-${env.name}.outputs.report-url }}`,
        `  run: npx tsx scripts/pr-comment.ts --env ${env.name} --bundle ${dir} --pr "$PR_NUMBER" --plan-result "$PLAN_RESULT" \${REPORT_URL:+--report-url "$REPORT_URL"}`,
      ],
      2,
    ),
  ]);
}

function planJob(env: ChainEnvironment, needs: string): string[] {
  const dir = `artifacts/${env.name}`;
  return job(`plan-${env.name}`, [
    `if: ${ON_MAIN}`,
    `needs: ${needs}`,
    "runs-on: ubuntu-latest",
    `environment: ${env.name}`,
    "timeout-minutes: 30",
    "# Two plans of one environment would race for its state lock; a plan never waits behind an apply's approval.",
    ...concurrency(`infra-plan-${env.name}`, "false"),
    ...permissions({ contents: "read", "id-token": "write" }),
    "steps:",
    ...indent(
      [
        ...checkoutStep(),
        ...requirePlanKeyStep(env),
        ...awsSteps(env, DEPLOY_ROLE),
        `- name: dagger call plan --env ${env.name}`,
        "  env:",
        "    INFRA_PLAN_KEY: ${{ secrets.INFRA_PLAN_KEY }}",
        "  run: >-",
        `    dagger call plan --env ${env.name}`,
        ...AWS_SECRETS.map((flag) => `    ${flag}`),
        "    --plan-key env://INFRA_PLAN_KEY",
        `    -o ${dir}`,
        "- name: Plan summary",
        `  run: cat ${dir}/summary.md >> "$GITHUB_STEP_SUMMARY"`,
        `# tfplan is encrypted (--plan-key) and kept no longer than ${env.name}'s max_plan_age lets apply take it.`,
        ...uploadStep(`plan-${env.name}`, dir, planRetentionDays(env)),
      ],
      2,
    ),
  ]);
}

function applyJob(env: ChainEnvironment, needs: readonly string[]): string[] {
  const dir = `artifacts/${env.name}`;
  return job(`apply-${env.name}`, [
    `if: ${ON_MAIN}`,
    `needs: [${needs.join(", ")}]`,
    "runs-on: ubuntu-latest",
    `environment: ${env.name}`,
    "timeout-minutes: 60",
    `# Applies of ${env.name} queue, one at a time; one never cancels another.`,
    ...concurrency(`infra-apply-${env.name}`, "false"),
    ...permissions({ contents: "read", "id-token": "write" }),
    "steps:",
    ...indent(
      [
        ...checkoutStep(),
        ...downloadStep(`plan-${env.name}`, dir),
        "- name: Fetch the promotion ledger",
        "  env:",
        "    INFRA_LEDGER_TOKEN: ${{ github.token }}",
        "  run: scripts/ledger.sh fetch",
        ...requirePlanKeyStep(env),
        ...awsSteps(env, DEPLOY_ROLE),
        `- name: dagger call apply --env ${env.name}`,
        "  # The run's facts for the approval gate (README \"Gates\"): a run in the GitHub environment",
        `  # ${env.name}, which its reviewers let start, approves the plan it applies. GitHub exports no`,
        "  # variable naming the job's environment, hence INFRA_DEPLOYMENT_ENVIRONMENT.",
        "  env:",
        `    INFRA_DEPLOYMENT_ENVIRONMENT: ${env.name}`,
        "    INFRA_PLAN_KEY: ${{ secrets.INFRA_PLAN_KEY }}",
        "  run: >-",
        `    dagger call apply --env ${env.name} --plan ${dir}`,
        ...AWS_SECRETS.map((flag) => `    ${flag}`),
        "    --plan-key env://INFRA_PLAN_KEY",
        '    --github-actions "$GITHUB_ACTIONS"',
        '    --github-run-id "$GITHUB_RUN_ID"',
        '    --github-repository "$GITHUB_REPOSITORY"',
        '    --github-actor "$GITHUB_ACTOR"',
        '    --github-triggering-actor "$GITHUB_TRIGGERING_ACTOR"',
        '    --deployment-environment "$INFRA_DEPLOYMENT_ENVIRONMENT"',
        `    -o ${dir}`,
        "# The receipt and review files for the ledger job and the audit; the spent tfplan stays here.",
        ...uploadStep(`applied-${env.name}`, dir, APPLIED_RETENTION_DAYS, { always: true, withoutPlan: true }),
      ],
      2,
    ),
  ]);
}

/** The only job that writes to the repository: no AWS credentials, no Dagger, nothing installed; git and the script alone. */
function ledgerJob(env: ChainEnvironment): string[] {
  const dir = `artifacts/${env.name}`;
  return job(`ledger-${env.name}`, [
    `if: ${ON_MAIN}`,
    `needs: apply-${env.name}`,
    "runs-on: ubuntu-latest",
    "timeout-minutes: 10",
    ...concurrency(`infra-ledger-${env.name}`, "false"),
    ...permissions({ contents: "write" }),
    "steps:",
    ...indent(
      [
        ...checkoutStep(),
        ...downloadStep(`applied-${env.name}`, dir),
        `- name: Push the ledger entry of ${env.name}`,
        "  env:",
        "    INFRA_LEDGER_TOKEN: ${{ github.token }}",
        `  run: scripts/ledger.sh push ${env.name} ${dir}`,
      ],
      2,
    ),
  ]);
}

/** Name, triggers, read-only default permissions, the pinned Dagger and no telemetry: the same in every workflow. */
function preamble(name: string, triggers: readonly string[]): string[] {
  return [`name: ${name}`, "", "on:", ...indent(triggers, 2), "", "permissions:", "  contents: read", "", "env:", `  DAGGER_VERSION: "${DAGGER_VERSION}"`, '  DO_NOT_TRACK: "1"', "", "jobs:"];
}

const HEADER_COMMENT = (lines: readonly string[]) => lines.map((line) => (line === "" ? "#" : `# ${line}`));

export function renderInfraWorkflow(chain: readonly ChainEnvironment[]): string {
  const order = chain.map((env) => env.name).join(" -> ");
  const lines = [
    ...HEADER_COMMENT([
      "Generated by `npm run workflows` (scripts/workflows.ts) from the promotion chain of terraform/envs/*/environment.tf;",
      "do not edit by hand. README \"GitHub Actions\" has the job diagram and the settings it needs.",
      "",
      `- pull_request: \`dagger check\`; a read-only plan of every environment (${chain.map((env) => env.name).join(", ")}) as the`,
      "  account's infra-plan role, which trusts only the pull_request OIDC subject; no GitHub environment, no",
      "  tfplan uploaded; then one comment per environment on the pull request, rewritten on every push, by a job",
      "  with no AWS credentials (pull-requests: write). A pull request from a fork gets the check and a notice, no",
      "  AWS job and no comment.",
      `- push to main: for each environment in promotion order (${order}): plan in its GitHub environment as`,
      "  infra-deploy, apply that bundle (same commit, same environment), then push the ledger entry in a job of",
      "  its own, which the next environment's apply needs (its promotion gate reads the ledger).",
      "",
      "tfplan leaves the engine only encrypted (--plan-key, the environment secret INFRA_PLAN_KEY). AWS credentials",
      "reach the module only as Dagger secrets (env://...). Telemetry: DO_NOT_TRACK=1, no Dagger Cloud token.",
    ]),
    ...preamble("infra", ["pull_request:", "push:", "  branches: [main]"]),
    ...indent(
      [
        "check:",
        "  runs-on: ubuntu-latest",
        "  timeout-minutes: 30",
        "  # A newer push to a pull request cancels its older check; checks of main never cancel each other.",
        ...indent(concurrency("infra-check-${{ github.event.pull_request.number || github.sha }}", "${{ github.event_name == 'pull_request' }}"), 2),
        "  steps:",
        ...indent([...checkoutStep(), "- name: dagger check", "  run: dagger check"], 4).map((line) => line),
        ...job("fork-notice", [
          `if: ${FORK_PR}`,
          "runs-on: ubuntu-latest",
          "timeout-minutes: 5",
          "steps:",
          "  - name: No AWS jobs for a fork",
          "    run: |",
          '      echo "::notice::This pull request comes from a fork. GitHub gives the workflow of a fork no OIDC token for the roles of this repository, so the read-only plans are skipped. A maintainer can push the branch to this repository to plan it."',
          "      {",
          '        echo "### No plans for a pull request from a fork"',
          '        echo ""',
          '        echo "The AWS jobs (the read-only plan of every environment) are skipped: GitHub gives the workflow of a fork no OIDC token for the roles of this repository. The check ran. A maintainer can push the branch to this repository to plan it."',
          '      } >> "$GITHUB_STEP_SUMMARY"',
        ]),
        ...chain.flatMap((env) => [...pullRequestPlanJob(env), ...pullRequestCommentJob(env)]),
        ...chain.flatMap((env) => [
          ...planJob(env, env.promotedFrom === null ? "check" : `ledger-${env.promotedFrom}`),
          ...applyJob(env, [`plan-${env.name}`, ...(env.promotedFrom === null ? [] : [`ledger-${env.promotedFrom}`])]),
          ...ledgerJob(env),
        ]),
      ],
      2,
    ),
  ];
  return `${lines.join("\n")}\n`;
}

export function renderDriftWorkflow(chain: readonly ChainEnvironment[]): string {
  const lines = [
    ...HEADER_COMMENT([
      "Generated by `npm run workflows` (scripts/workflows.ts) from terraform/envs/*/environment.tf; do not edit by hand.",
      "",
      "Every day, per environment: `infra drift` (a refresh-only plan) as the account's read-only infra-plan role,",
      "then scripts/drift-issue.ts opens, updates or closes the one issue of that environment. The job with AWS",
      "credentials writes nothing to GitHub; the job that writes the issue has no AWS credentials.",
    ]),
    ...preamble("drift", ["schedule:", '  - cron: "17 5 * * *"', "workflow_dispatch:"]),
    ...indent(
      chain.flatMap((env) => {
        const dir = `drift/${env.name}`;
        return [
          ...job(`drift-${env.name}`, [
            "runs-on: ubuntu-latest",
            "timeout-minutes: 30",
            ...concurrency(`infra-drift-${env.name}`, "false"),
            ...permissions({ contents: "read", "id-token": "write" }),
            "steps:",
            ...indent(
              [
                ...checkoutStep(),
                ...awsSteps(env, PLAN_ROLE_NAME),
                `- name: dagger call drift --env ${env.name}`,
                "  run: >-",
                `    dagger call drift --env ${env.name}`,
                ...AWS_SECRETS.map((flag) => `    ${flag}`),
                `    -o ${dir}`,
                ...uploadStep(`drift-${env.name}`, dir, DRIFT_RETENTION_DAYS),
              ],
              2,
            ),
          ]),
          ...job(`drift-issue-${env.name}`, [
            `needs: drift-${env.name}`,
            "runs-on: ubuntu-latest",
            "timeout-minutes: 10",
            ...concurrency(`infra-drift-issue-${env.name}`, "false"),
            ...permissions({ contents: "read", issues: "write" }),
            "steps:",
            ...indent(
              [
                ...checkoutStep(),
                ...downloadStep(`drift-${env.name}`, dir),
                "- run: npm ci --no-audit --no-fund",
                `- name: The drift issue of ${env.name}`,
                "  env:",
                "    GITHUB_TOKEN: ${{ github.token }}",
                `  run: npx tsx scripts/drift-issue.ts --env ${env.name} --report ${dir}/drift.json`,
              ],
              2,
            ),
          ]),
        ];
      }),
      2,
    ),
  ];
  return `${lines.join("\n")}\n`;
}

export interface WorkflowFile {
  file: string;
  text: string;
}

/** The workflow files the chain of `root` (the terraform tree) makes, relative to the repository. */
export async function workflowFiles(root: string): Promise<WorkflowFile[]> {
  const chain = await readPromotionChain(root);
  return [
    { file: path.join(".github", "workflows", "infra.yml"), text: renderInfraWorkflow(chain) },
    { file: path.join(".github", "workflows", "drift.yml"), text: renderDriftWorkflow(chain) },
  ];
}

async function main(args: string[]): Promise<void> {
  const argv = parseArgv(args, { boolean: ["check"] });
  const unknown = Object.keys(argv).filter((key) => key !== "_" && key !== "check");
  if (unknown.length > 0 || argv._.length > 0) throw new UsageError(`unknown argument ${unknown[0] ? `--${unknown[0]}` : String(argv._[0])}`, "usage: npx tsx scripts/workflows.ts [--check]");
  const repo = fileURLToPath(new URL("..", import.meta.url));
  const stale: string[] = [];
  for (const { file, text } of await workflowFiles(path.join(repo, "terraform"))) {
    const target = path.join(repo, file);
    const current = await readFile(target, "utf8").catch(() => null);
    if (current === text) continue;
    stale.push(file);
    if (!argv["check"]) await writeFile(target, text);
  }
  if (argv["check"] && stale.length > 0) {
    process.stderr.write(`${chalk.red("error:")} ${stale.join(", ")} ${stale.length === 1 ? "differs" : "differ"} from the promotion chain; run \`npm run workflows\` and commit the result\n`);
    process.exitCode = ExitCode.failed;
    return;
  }
  for (const file of stale) process.stdout.write(`wrote ${file}\n`);
}

runAsScript(import.meta.url, () => main(process.argv.slice(2)));
