import type { Argv, CommandModule } from "yargs";
import { UsageError } from "../../errors.js";
import { createContext, printResult, withCommonOptions, type CommonOptions } from "../shell.js";

interface PolicyArgs extends CommonOptions {
  list: boolean;
  org: boolean;
  env?: string;
  plan?: string;
  "allow-destroy": string[];
}

export const policyCommand: CommandModule<object, PolicyArgs> = {
  command: "policy",
  describe: "List the policy rules, or run them alone on an environment's HCL (and a plan)",
  builder: (yargs: Argv) =>
    withCommonOptions(yargs)
      .option("list", { type: "boolean", default: false, describe: "Print every rule with its rationale, promise and severity" })
      .option("env", { type: "string", describe: "Environment whose roots and modules the rules read" })
      .option("org", { type: "boolean", default: false, describe: "Run the rules over the organization's stack (org/: guard rails, region lock) instead; `infra check` always does" })
      .option("plan", { type: "string", describe: "Also run the plan rules on a plan bundle directory or a `terraform show -json` file" })
      .option("allow-destroy", {
        type: "string",
        array: true,
        default: [] as string[],
        describe: "Address of a protected resource the plan may delete or replace (repeatable)",
      })
      .example("$0 policy --list", "every rule, with the promise it keeps")
      .example("$0 policy --env prod --plan artifacts/prod", "the HCL rules and the plan rules for prod")
      .example("$0 policy --org", "the organization's service control policies against the promised guard rails and regions"),
  handler: async (args) => {
    if (args.list) {
      const { policyRules } = await import("../../policy/index.js");
      const { ruleKinds } = await import("../../policy/rules.js");
      const { waiverValid } = await import("../../policy/waivers.js");
      const rules = [...policyRules, waiverValid].map((rule) => ({
        id: rule.id,
        severity: rule.severity,
        runsOn: ruleKinds(rule),
        rationale: rule.rationale,
        promise: rule.promise,
        reference: rule.reference ?? null,
      }));
      printResult(args.json, { rules }, () =>
        `${rules
          .map((rule) => `${rule.id} (${rule.severity}; ${rule.runsOn.join(" + ") || "waivers"}${rule.reference ? `; ${rule.reference}` : ""})\n  why:     ${rule.rationale}\n  promise: ${rule.promise}`)
          .join("\n")}\n`,
      );
      return;
    }
    if (args.org) {
      if (args.env !== undefined || args.plan !== undefined) throw new UsageError("infra policy --org takes neither --env nor --plan", "run `infra policy --org` alone, or `infra policy --env E` for an environment");
      const [{ orgPolicy }, { renderPolicyText }] = await Promise.all([import("../../workflow/policy.js"), import("../../policy/report.js")]);
      const result = await orgPolicy(createContext(args));
      printResult(args.json, result, () => renderPolicyText(result));
      if (result.status === "failed") process.exitCode = 1;
      return;
    }
    if (args.env === undefined) throw new UsageError("infra policy needs --env E, --org or --list", "run `infra policy --list`, or `infra policy --env dev`");
    const [{ policy }, { renderPolicyText }] = await Promise.all([import("../../workflow/policy.js"), import("../../policy/report.js")]);
    const result = await policy(createContext(args), {
      env: args.env,
      ...(args.plan !== undefined ? { plan: args.plan } : {}),
      allowDestroy: args["allow-destroy"],
    });
    printResult(args.json, result, () => renderPolicyText(result));
    if (result.status === "failed") process.exitCode = 1;
  },
};
