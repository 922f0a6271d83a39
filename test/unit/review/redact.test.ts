import { execFileSync } from "node:child_process";
import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkPlanJson, type PlanJson, type ResourceChange } from "../../../src/review/plan-json.js";
import { stringifyJson } from "../../../src/review/json-text.js";
import { createRedaction, REDACTED, redactPlan } from "../../../src/review/redact.js";

const TERRAFORM = "/usr/local/bin/terraform";
const SECRET = "s3cr3t-Passw0rd-xyz";

const ROOT_MAIN_TF = `
variable "db_password" {
  type      = string
  sensitive = true
}

resource "terraform_data" "db" {
  input = {
    name     = "orders-db"
    password = var.db_password
  }
}

# Echoes the secret into an attribute terraform does not mark: only the sweep pass catches it.
resource "terraform_data" "echo" {
  input = "conn=\${nonsensitive(var.db_password)}@orders-db"
}

module "inner" {
  source = "./modules/inner"
  secret = var.db_password
}

output "db_password" {
  value     = var.db_password
  sensitive = true
}

output "db_name" {
  value = terraform_data.db.input.name
}
`;

const INNER_MAIN_TF = `
variable "secret" {
  type      = string
  sensitive = true
}

resource "terraform_data" "inner" {
  input = {
    label = "inner-label"
    token = var.secret
  }
}
`;

type Record_ = Record<string, unknown>;

function changeOf(plan: PlanJson, address: string): ResourceChange["change"] {
  const resource = plan.resource_changes?.find((candidate) => candidate.address === address);
  if (!resource) throw new Error(`no resource change for ${address}`);
  return resource.change;
}

describe("redactPlan", () => {
  describe("on a plan made by terraform", () => {
    let dir: string;
    let plan: PlanJson;

    beforeAll(async () => {
      dir = await mkdtemp(path.join(os.tmpdir(), "infra-redact-"));
      await mkdir(path.join(dir, "modules", "inner"), { recursive: true });
      await writeFile(path.join(dir, "main.tf"), ROOT_MAIN_TF);
      await writeFile(path.join(dir, "modules", "inner", "main.tf"), INNER_MAIN_TF);
      const env = { ...process.env, TF_IN_AUTOMATION: "1", TF_VAR_db_password: SECRET };
      const run = (args: string[]) =>
        execFileSync(TERRAFORM, args, { cwd: dir, env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 64 * 1024 * 1024 });
      run(["init", "-input=false", "-no-color"]);
      run(["plan", "-input=false", "-no-color", "-out=tfplan"]);
      plan = JSON.parse(run(["show", "-json", "tfplan"])) as PlanJson;
    });

    afterAll(async () => {
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    it("starts from a plan that does hold the secret", () => {
      expect(plan.terraform_version).toBe("1.11.4");
      expect(JSON.stringify(plan)).toContain(SECRET);
    });

    it("returns a plan in which the secret appears nowhere", () => {
      expect(JSON.stringify(redactPlan(plan))).not.toContain(SECRET);
    });

    it("replaces the sensitive root variable's value", () => {
      expect(redactPlan(plan).variables?.["db_password"]?.value).toBe(REDACTED);
    });

    it("masks the sensitive key of an input map and keeps the non-sensitive one", () => {
      const after = changeOf(redactPlan(plan), "terraform_data.db").after as Record_;
      expect(after["input"]).toEqual({ name: "orders-db", password: REDACTED });
    });

    it("masks the sensitive value inside a nested module", () => {
      const after = changeOf(redactPlan(plan), "module.inner.terraform_data.inner").after as Record_;
      expect(after["input"]).toEqual({ label: "inner-label", token: REDACTED });
    });

    it("sweeps a secret echoed through nonsensitive() out of an unmarked attribute", () => {
      const after = changeOf(redactPlan(plan), "terraform_data.echo").after as Record_;
      expect(after["input"]).toBe(`conn=${REDACTED}@orders-db`);
    });

    it("masks the sensitive output and keeps the non-sensitive one", () => {
      const redacted = redactPlan(plan);
      expect(redacted.output_changes?.["db_password"]?.after).toBe(REDACTED);
      expect(redacted.output_changes?.["db_name"]?.after).toBe("orders-db");
      expect(redacted.planned_values?.outputs?.["db_password"]?.value).toBe(REDACTED);
      expect(redacted.planned_values?.outputs?.["db_name"]?.value).toBe("orders-db");
      expect(redacted.prior_state?.values?.outputs?.["db_password"]?.value).toBe(REDACTED);
    });

    it("masks planned values in the root module and in child modules", () => {
      const root = redactPlan(plan).planned_values?.root_module;
      const db = root?.resources?.find((resource) => resource.address === "terraform_data.db");
      expect((db?.values as Record_)["input"]).toEqual({ name: "orders-db", password: REDACTED });
      const inner = root?.child_modules?.[0]?.resources?.find((resource) => resource.address === "module.inner.terraform_data.inner");
      expect((inner?.values as Record_)["input"]).toEqual({ label: "inner-label", token: REDACTED });
    });

    it("leaves the input plan unchanged", () => {
      const before = structuredClone(plan);
      redactPlan(plan);
      expect(plan).toEqual(before);
      expect(plan.variables?.["db_password"]?.value).toBe(SECRET);
    });
  });

  describe("on hand-written masks", () => {
    function planWith(change: Partial<ResourceChange["change"]>): PlanJson {
      return {
        format_version: "1.2",
        terraform_version: "1.11.4",
        resource_changes: [
          {
            address: "terraform_data.this",
            mode: "managed",
            type: "terraform_data",
            name: "this",
            change: { actions: ["update"], before: null, after: null, ...change },
          },
        ],
      };
    }

    function afterOf(plan: PlanJson): unknown {
      return redactPlan(plan).resource_changes?.[0]?.change.after;
    }

    it("masks only the marked items of a list", () => {
      const plan = planWith({ after: { tags: ["alpha", "hidden-item", "gamma"] }, after_sensitive: { tags: [false, true, false] } });
      expect(afterOf(plan)).toEqual({ tags: ["alpha", REDACTED, "gamma"] });
    });

    it("masks a marked key of a map inside a list", () => {
      const plan = planWith({
        after: { rules: [{ port: 443, key: "rule-key-1" }, { port: 80, key: "rule-key-2" }] },
        after_sensitive: { rules: [{}, { key: true }] },
      });
      expect(afterOf(plan)).toEqual({ rules: [{ port: 443, key: "rule-key-1" }, { port: 80, key: REDACTED }] });
    });

    it("replaces a whole map marked true with one REDACTED", () => {
      const plan = planWith({ after: { creds: { user: "admin-user", pass: "admin-pass" } }, after_sensitive: { creds: true } });
      expect(afterOf(plan)).toEqual({ creds: REDACTED });
    });

    it("keeps null under a true mask as null", () => {
      const plan = planWith({ before: { secret: null }, before_sensitive: { secret: true }, after: null, after_sensitive: true });
      const change = redactPlan(plan).resource_changes?.[0]?.change;
      expect(change?.before).toEqual({ secret: null });
      expect(change?.after).toBeNull();
    });

    it("masks non-string sensitive leaves", () => {
      const plan = planWith({ after: { port: 5432, enabled: true }, after_sensitive: { port: true, enabled: true } });
      expect(afterOf(plan)).toEqual({ port: REDACTED, enabled: REDACTED });
    });

    it("sweeps every copy of a marked value, in other resources and drift too", () => {
      const plan = planWith({ after: { a: "long-secret-value", b: "prefix long-secret-value suffix" }, after_sensitive: { a: true } });
      plan.resource_drift = [
        {
          address: "terraform_data.other",
          mode: "managed",
          type: "terraform_data",
          name: "other",
          change: { actions: ["update"], before: "long-secret-value", after: null },
        },
      ];
      const redacted = redactPlan(plan);
      expect(redacted.resource_changes?.[0]?.change.after).toEqual({ a: REDACTED, b: `prefix ${REDACTED} suffix` });
      expect(redacted.resource_drift?.[0]?.change.before).toBe(REDACTED);
    });

    it("replaces exact copies of a short secret but does not sweep it out of longer strings", () => {
      const plan = planWith({ after: { pin: "1234", copy: "1234", note: "order 12345" }, after_sensitive: { pin: true } });
      expect(afterOf(plan)).toEqual({ pin: REDACTED, copy: REDACTED, note: "order 12345" });
    });

    it("masks the default of a sensitive root variable", () => {
      const plan: PlanJson = {
        format_version: "1.2",
        terraform_version: "1.11.4",
        variables: { api_key: { value: "root-default-key" }, region: { value: "eu-central-1" } },
        configuration: {
          root_module: { variables: { api_key: { default: "root-default-key", sensitive: true }, region: { default: "eu-central-1" } } },
        },
      };
      const redacted = redactPlan(plan);
      expect(redacted.configuration?.root_module?.variables?.["api_key"]?.default).toBe(REDACTED);
      expect(redacted.variables?.["api_key"]?.value).toBe(REDACTED);
      expect(redacted.variables?.["region"]?.value).toBe("eu-central-1");
    });

    // Shape copied from `terraform show -json` 1.11.4: a child module's sensitive default that no
    // resource uses is in the configuration only, so neither the masks nor the sweep would find it.
    it("masks the default of a sensitive variable in a child module", () => {
      const plan: PlanJson = {
        format_version: "1.2",
        terraform_version: "1.11.4",
        configuration: {
          root_module: {
            module_calls: {
              m: {
                source: "./m",
                module: { variables: { api_key: { default: "default-api-key-123", sensitive: true } } },
              },
            },
          } as NonNullable<PlanJson["configuration"]>["root_module"],
        },
      };
      expect(JSON.stringify(redactPlan(plan))).not.toContain("default-api-key-123");
    });

    it("masks a literal passed to a sensitive variable of a child module", () => {
      const plan: PlanJson = {
        format_version: "1.2",
        terraform_version: "1.11.4",
        configuration: {
          root_module: {
            module_calls: {
              m: {
                source: "./m",
                expressions: { api_key: { constant_value: "passed-literal-456" }, name: { constant_value: "kept" } },
                module: { variables: { api_key: { sensitive: true }, name: {} } },
              },
            },
          },
        },
      };
      const text = JSON.stringify(redactPlan(plan));
      expect(text).not.toContain("passed-literal-456");
      expect(text).toContain('"constant_value":"kept"');
    });
    it("never rewrites an address, a name or a key, even when a secret is an ordinary word", () => {
      const plan = planWith({
        after: { word: "names", bucket: "app-logs-eu-west-1", names: "names", long: "orders_primary_db" },
        after_sensitive: { word: true, long: true },
      });
      const resource = plan.resource_changes?.[0] as ResourceChange;
      resource.address = "module.orders_primary_db.terraform_data.names_names";
      resource.module_address = "module.orders_primary_db";
      resource.name = "names_names";
      // A path below a name field (an attribute path of its own) is left as it is, however deep.
      resource.change.replace_paths = [["names", 0, "names"]];
      const redacted = redactPlan(plan);
      expect(redacted.resource_changes?.[0]?.change.replace_paths).toEqual([["names", 0, "names"]]);
      expect(redacted.resource_changes?.[0]?.address).toBe("module.orders_primary_db.terraform_data.names_names");
      expect(redacted.resource_changes?.[0]?.module_address).toBe("module.orders_primary_db");
      expect(redacted.resource_changes?.[0]?.name).toBe("names_names");
      // The whole-value copy goes; the key and the longer string that only contains the word stay.
      expect(redacted.resource_changes?.[0]?.change.after).toEqual({ word: REDACTED, bucket: "app-logs-eu-west-1", names: REDACTED, long: REDACTED });
    });

    it("does not turn a word inside a longer value into a mask (app in app-logs-eu-west-1)", () => {
      const plan = planWith({ after: { env: "app", bucket: "app-logs-eu-west-1" }, after_sensitive: { env: true } });
      expect(afterOf(plan)).toEqual({ env: REDACTED, bucket: "app-logs-eu-west-1" });
    });

    it("sweeps a short secret standing as its own word inside a longer string", () => {
      const plan = planWith({ after: { pin: "pa55", url: "postgres://user:pa55@db:5432/x", other: "pa55word" }, after_sensitive: { pin: true } });
      expect(afterOf(plan)).toEqual({ pin: REDACTED, url: `postgres://user:${REDACTED}@db:5432/x`, other: "pa55word" });
    });

    it("sweeps copies of a sensitive number", () => {
      const plan = planWith({ after: { port: 31337, copy: 31337, text: "port 31337", other: 80 }, after_sensitive: { port: true } });
      expect(afterOf(plan)).toEqual({ port: REDACTED, copy: REDACTED, text: `port ${REDACTED}`, other: 80 });
    });

    it("masks deferred changes and action invocations under config_sensitive", () => {
      const plan = planWith({});
      plan.deferred_changes = [
        {
          reason: "provider_config_unknown",
          resource_change: { address: "aws_x.d", mode: "managed", type: "aws_x", name: "d", change: { actions: ["create"], before: null, after: { token: "deferred-token-1" }, after_sensitive: { token: true } } },
        },
      ];
      plan.action_invocations = [{ address: "action.a", config_values: { key: "invocation-key-2", label: "kept" }, config_sensitive: { key: true } }];
      const text = JSON.stringify(redactPlan(plan));
      expect(text).not.toContain("deferred-token-1");
      expect(text).not.toContain("invocation-key-2");
      expect(text).toContain('"label":"kept"');
    });

    it("masks and serialises a value nested 100,000 deep", () => {
      let deep: unknown = "deep-secret-value";
      let mask: unknown = true;
      for (let i = 0; i < 100_000; i += 1) {
        deep = [deep];
        mask = [mask];
      }
      const redaction = createRedaction(planWith({ after: { deep, copy: "deep-secret-value" }, after_sensitive: { deep: mask } }));
      const json = redaction.json();
      expect(json).not.toContain("deep-secret-value");
      expect(json).toContain('"copy":"(sensitive value)"');
      expect(json.length).toBeGreaterThan(200_000);
    });

    it("sweeps text such as plan.txt with the same secrets", () => {
      const redaction = createRedaction(planWith({ after: { a: "long-secret-value" }, after_sensitive: { a: true } }));
      expect(redaction.sweepText('  + input = "long-secret-value"\n')).toBe(`  + input = "${REDACTED}"\n`);
    });
});
});

describe("createRedaction().json", () => {
  const SECRET = "in-place-secret-0001";
  const document = () => {
    const after: Record<string, unknown> = JSON.parse(`{"password":"${SECRET}","copies":["${SECRET}","kept",7],"__proto__":"${SECRET}","n":7}`);
    return checkPlanJson(
      {
        format_version: "1.2",
        resource_changes: [
          { address: "a.b", mode: "managed", type: "a", name: "b", change: { actions: ["update"], before: { pin: 7 }, after, before_sensitive: { pin: true }, after_sensitive: { password: true } } },
          { address: `x.${SECRET}`, mode: "managed", type: "x", name: SECRET, change: { actions: ["create"], before: null, after: { empty: {} }, after_sensitive: {} } },
        ],
      },
      "plan.json",
    );
  };

  it("masks and sweeps without changing the plan it was given, own __proto__ keys included", () => {
    const plan = document();
    const before = JSON.stringify(plan);
    const json = createRedaction(plan).json();
    expect(JSON.stringify(plan)).toBe(before);
    expect(Object.hasOwn(plan.resource_changes?.[0]?.change.after as object, "__proto__")).toBe(true);
    expect(json).toContain(`"__proto__":"${REDACTED}"`);
    const masked = JSON.parse(json) as PlanJson;
    expect(masked.resource_changes?.[0]?.change.after).toEqual(JSON.parse(`{"password":"${REDACTED}","copies":["${REDACTED}","kept","${REDACTED}"],"__proto__":"${REDACTED}","n":"${REDACTED}"}`));
    expect(masked.resource_changes?.[0]?.change.before).toEqual({ pin: REDACTED });
    // Names are never swept, even when they spell a secret.
    expect(masked.resource_changes?.[1]?.address).toBe(`x.${SECRET}`);
    expect(masked.resource_changes?.[1]?.change.after).toEqual({ empty: {} });
  });

  it("gives the same text as the masked copy, and restores the plan after a deep one", () => {
    const plan = document();
    let deep: unknown = SECRET;
    for (let i = 0; i < 5_000; i += 1) deep = [deep];
    (plan.resource_changes?.[1]?.change.after as Record<string, unknown>)["deep"] = deep;
    const before = JSON.stringify(plan, (_key, value: unknown) => (Array.isArray(value) && value.length === 1 && Array.isArray(value[0]) ? "nest" : value));
    const redaction = createRedaction(plan);
    const json = redaction.json();
    // Only the two name fields (address and name) still spell it.
    expect(json.split(SECRET).length - 1).toBe(2);
    expect(json).toContain(`[["${REDACTED}"]]`);
    let inner: unknown = (plan.resource_changes?.[1]?.change.after as Record<string, unknown>)["deep"];
    while (Array.isArray(inner)) inner = inner[0];
    expect(inner).toBe(SECRET);
    expect(JSON.stringify(plan, (_key, value: unknown) => (Array.isArray(value) && value.length === 1 && Array.isArray(value[0]) ? "nest" : value))).toBe(before);
    expect(json).toBe(stringifyJson(redaction.plan));
  });
});
