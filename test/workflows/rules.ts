/**
 * The issue's "Done when" rules over a parsed workflow, each returning the violations it found
 * (empty: the rule holds). test/workflows/workflows.test.ts runs them on the committed files and on
 * broken variants of them, so each rule is seen to fail.
 */
export interface Step {
  id?: string;
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  env?: Record<string, string>;
  with?: Record<string, string | boolean | number>;
}
export interface Job {
  if?: string;
  needs?: string | string[];
  environment?: string | { name: string };
  permissions?: Record<string, string>;
  concurrency?: string | { group: string; "cancel-in-progress"?: boolean | string };
  "timeout-minutes"?: number;
  steps: Step[];
}
export interface Workflow {
  on: Record<string, unknown>;
  permissions?: Record<string, string>;
  jobs: Record<string, Job>;
}

export const needsOf = (job: Job): string[] => (job.needs === undefined ? [] : Array.isArray(job.needs) ? job.needs : [job.needs]);
export const environmentOf = (job: Job): string | undefined => (typeof job.environment === "object" ? job.environment.name : job.environment);
const groupOf = (job: Job): string | undefined => (typeof job.concurrency === "object" ? job.concurrency.group : job.concurrency);
const cancelsOf = (job: Job): boolean | string | undefined => (typeof job.concurrency === "object" ? job.concurrency["cancel-in-progress"] : false);
const awsStep = (job: Job): Step | undefined => job.steps.find((step) => step.uses?.startsWith("aws-actions/configure-aws-credentials@"));
export const roleOf = (job: Job): string | undefined => {
  const role = awsStep(job)?.with?.["role-to-assume"];
  return typeof role === "string" ? role.split("/").at(-1) : undefined;
};
const isLedgerPush = (step: Step) => /^scripts\/ledger\.sh push /.test(step.run ?? "");
const runs = (job: Job) => job.steps.map((step) => step.run ?? "").join("\n");

/** Every job a job waits for, however indirectly. */
export function upstreamOf(workflow: Workflow, name: string, seen = new Set<string>()): Set<string> {
  for (const parent of needsOf(workflow.jobs[name] ?? { steps: [] })) {
    if (seen.has(parent)) continue;
    seen.add(parent);
    upstreamOf(workflow, parent, seen);
  }
  return seen;
}

/** Whether a job can run for a pull_request event: an `if` that does not exclude it, in a workflow that pull_request triggers. */
export function runsOnPullRequest(workflow: Workflow, job: Job): boolean {
  if (!("pull_request" in workflow.on) && !("pull_request_target" in workflow.on)) return false;
  const condition = job.if ?? "";
  return !/github\.event_name == 'push'/.test(condition);
}

/** Apply jobs follow the chain: in its order, each in its own environment, each waiting (through the ledger) for the one it is promoted from. */
export function chainViolations(workflow: Workflow, chain: ReadonlyArray<{ name: string; promotedFrom: string | null }>): string[] {
  const problems: string[] = [];
  const applies = Object.keys(workflow.jobs).filter((name) => name.startsWith("apply-"));
  if (applies.join(",") !== chain.map((env) => `apply-${env.name}`).join(",")) problems.push(`apply jobs are ${applies.join(", ")}, not the chain's ${chain.map((env) => `apply-${env.name}`).join(", ")}`);
  for (const env of chain) {
    const apply = workflow.jobs[`apply-${env.name}`];
    if (!apply) continue;
    if (environmentOf(apply) !== env.name) problems.push(`apply-${env.name} runs in environment ${String(environmentOf(apply))}`);
    const plan = workflow.jobs[`plan-${env.name}`];
    if (!needsOf(apply).includes(`plan-${env.name}`) || !plan || environmentOf(plan) !== env.name) problems.push(`apply-${env.name} does not apply the bundle of plan-${env.name} in ${env.name}`);
    if (env.promotedFrom !== null) {
      const ledger = `ledger-${env.promotedFrom}`;
      if (!needsOf(apply).includes(ledger)) problems.push(`apply-${env.name} does not need ${ledger}, the ledger entry of ${env.promotedFrom}`);
      if (!upstreamOf(workflow, `apply-${env.name}`).has(`apply-${env.promotedFrom}`)) problems.push(`apply-${env.name} does not wait for apply-${env.promotedFrom}`);
    }
    const ledgerJob = workflow.jobs[`ledger-${env.name}`];
    if (!ledgerJob || !needsOf(ledgerJob).includes(`apply-${env.name}`) || !ledgerJob.steps.some((step) => step.run === `scripts/ledger.sh push ${env.name} artifacts/${env.name}`)) {
      problems.push(`no ledger-${env.name} job pushes the entry of apply-${env.name}`);
    }
  }
  return problems;
}

/** Pull-request jobs never run in an environment an apply uses, never with a role that can write, never with contents: write. */
export function pullRequestViolations(workflow: Workflow): string[] {
  const applyEnvironments = new Set(Object.values(workflow.jobs).filter((job) => job.steps.some((step) => (step.run ?? "").startsWith("dagger call apply "))).map(environmentOf));
  const problems: string[] = [];
  for (const [name, job] of Object.entries(workflow.jobs)) {
    if (!runsOnPullRequest(workflow, job)) continue;
    const env = environmentOf(job);
    if (env !== undefined) problems.push(`${name} runs on pull_request in environment ${env}${applyEnvironments.has(env) ? ", which an apply uses" : ""}`);
    const role = roleOf(job);
    if (role !== undefined && role !== "infra-plan") problems.push(`${name} runs on pull_request as ${role}, not the read-only infra-plan`);
    if (job.permissions?.["contents"] === "write" || Object.values(job.permissions ?? {}).some((access) => access === "write-all")) problems.push(`${name} runs on pull_request with contents: write`);
    if (role !== undefined && !/head\.repo\.full_name == github\.repository/.test(job.if ?? "")) problems.push(`${name} needs AWS but does not skip pull requests from forks`);
    if (job.permissions?.["pull-requests"] === "write" && !/head\.repo\.full_name == github\.repository/.test(job.if ?? "")) problems.push(`${name} writes to pull requests but does not skip pull requests from forks`);
    if (/dagger call plan /.test(runs(job)) && !/--read-only/.test(runs(job))) problems.push(`${name} plans on pull_request without --read-only`);
  }
  return problems;
}

/** id-token: write only where AWS is reached; contents: write only in ledger pushers, which have no AWS, no Dagger and install nothing. */
export function permissionViolations(workflow: Workflow): string[] {
  const problems: string[] = [];
  if (Object.values(workflow.permissions ?? {}).some((access) => access !== "read") || workflow.permissions === undefined) problems.push("the workflow's default permissions are not read-only");
  for (const [name, job] of Object.entries(workflow.jobs)) {
    const permissions = job.permissions ?? {};
    if ((permissions["id-token"] === "write") !== (awsStep(job) !== undefined)) problems.push(`${name}: id-token: write ${permissions["id-token"] === "write" ? "without" : "missing for"} an AWS step`);
    const pushes = job.steps.some(isLedgerPush);
    if ((permissions["contents"] === "write") !== pushes) problems.push(`${name}: contents: write ${pushes ? "missing for" : "without"} a ledger push`);
    if (pushes) {
      const foreign = job.steps.filter((step) => step.uses !== undefined && !/^actions\/(checkout|download-artifact)@/.test(step.uses));
      if (foreign.length > 0 || awsStep(job)) problems.push(`${name} pushes the ledger beside ${foreign.map((step) => step.uses).join(", ") || "AWS credentials"}`);
      if (/\b(npm|npx|pip|curl|wget|dagger|apt-get)\b/.test(runs(job))) problems.push(`${name} pushes the ledger and installs or runs a third-party tool`);
    }
    const writes = Object.entries(permissions).filter(([scope, access]) => access === "write" && !["id-token", "contents", "issues", "pull-requests"].includes(scope));
    if (writes.length > 0) problems.push(`${name} writes ${writes.map(([scope]) => scope).join(", ")}`);
    if (permissions["issues"] === "write" && (awsStep(job) || !/scripts\/drift-issue\.ts/.test(runs(job)))) problems.push(`${name}: issues: write outside the drift issue job, or beside AWS credentials`);
    if (permissions["pull-requests"] === "write" && (awsStep(job) || !/scripts\/pr-comment\.ts/.test(runs(job)))) problems.push(`${name}: pull-requests: write outside a plan comment job, or beside AWS credentials`);
  }
  return problems;
}

export function pinViolations(text: string): string[] {
  return [...text.matchAll(/uses:\s*(\S+)(.*)$/gm)].filter(([, action, comment]) => !/@[0-9a-f]{40}$/.test(action!) || !/^ # v\d/.test(comment!)).map(([line]) => `not pinned by a 40-hex SHA with its tag: ${line}`);
}

export function timeoutViolations(workflow: Workflow): string[] {
  return Object.entries(workflow.jobs)
    .filter(([, job]) => typeof job["timeout-minutes"] !== "number" || job["timeout-minutes"] > 120)
    .map(([name]) => `${name} has no timeout-minutes (GitHub's default is 6 hours)`);
}

/** Applies of one environment share one group and never cancel; plans never share an apply's group; pull-request plans cancel their older runs. */
export function concurrencyViolations(workflow: Workflow): string[] {
  const problems: string[] = [];
  if ("concurrency" in workflow) problems.push("a workflow-level concurrency group makes pull-request plans wait behind approvals");
  const applyGroups = new Set<string>();
  for (const [name, job] of Object.entries(workflow.jobs)) {
    const env = environmentOf(job);
    const group = groupOf(job);
    if ((env !== undefined || awsStep(job)) && group === undefined) problems.push(`${name} reaches an environment without a concurrency group`);
    if (group === undefined) continue;
    if (name.startsWith("apply-")) {
      applyGroups.add(group);
      if (group.includes("${{")) problems.push(`${name}: the group ${group} differs between runs, so applies of ${env} would not queue`);
      if (env === undefined || !group.endsWith(env)) problems.push(`${name}: the group ${group} is not per environment`);
      if (cancelsOf(job) !== false) problems.push(`${name} may cancel another apply`);
    }
    if (runsOnPullRequest(workflow, job) && roleOf(job) !== undefined) {
      if (!group.includes("github.event.pull_request.number") || cancelsOf(job) !== true) problems.push(`${name}: pull-request plans of one PR do not cancel older ones`);
    }
  }
  for (const [name, job] of Object.entries(workflow.jobs)) {
    const group = groupOf(job);
    if (!name.startsWith("apply-") && group !== undefined && applyGroups.has(group)) problems.push(`${name} shares the group ${group} of an apply, so it would wait behind its approval`);
  }
  return problems;
}

/** Every upload of a directory that holds a tfplan excludes it, or the plan that wrote it was encrypted with the environment's plan key. */
export function planUploadViolations(workflow: Workflow): string[] {
  const problems: string[] = [];
  for (const [name, job] of Object.entries(workflow.jobs)) {
    const planned = job.steps.find((step) => /^dagger call plan /.test(step.run ?? ""));
    const encrypted = planned !== undefined && /--plan-key env:\/\/INFRA_PLAN_KEY\b/.test(planned.run!) && planned.env?.["INFRA_PLAN_KEY"] === "${{ secrets.INFRA_PLAN_KEY }}";
    for (const step of job.steps.filter((candidate) => candidate.uses?.startsWith("actions/upload-artifact@"))) {
      const paths = String(step.with?.["path"] ?? "").split("\n").map((line) => line.trim()).filter(Boolean);
      const bundles = paths.filter((entry) => entry.startsWith("artifacts/") && !entry.startsWith("!"));
      if (bundles.length === 0) continue;
      const excluded = bundles.every((dir) => paths.includes(`!${dir.replace(/\/$/, "")}/tfplan`));
      if (!excluded && !encrypted) problems.push(`${name} uploads ${bundles.join(", ")} with a tfplan that was not encrypted with --plan-key`);
      const days = Number(step.with?.["retention-days"]);
      if (!excluded && !(days >= 1 && days <= 7)) problems.push(`${name} keeps a tfplan for ${String(step.with?.["retention-days"] ?? "90 (the default)")} days`);
    }
  }
  return problems;
}
