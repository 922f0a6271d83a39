import { describe, expect, it } from "vitest";
import { readApplyLog } from "../../../src/terraform/apply-log.js";

describe("readApplyLog", () => {
  it("returns applied with terraform's result line and the completed addresses", () => {
    const log = "terraform_data.slow: Creating...\nterraform_data.slow: Creation complete after 8s [id=abc]\n\nApply complete! Resources: 1 added, 0 changed, 0 destroyed.\n";
    expect(readApplyLog(log)).toEqual({
      outcome: "applied",
      summary: "Apply complete! Resources: 1 added, 0 changed, 0 destroyed.",
      completed: ["terraform_data.slow"],
    });
  });

  it("returns interrupted when terraform was told to stop", () => {
    const log = "Interrupt received.\nPlease wait for Terraform to exit or data loss may occur.\n╷\n│ Error: execution halted\n";
    expect(readApplyLog(log)).toMatchObject({ outcome: "interrupted", summary: "terraform was interrupted and stopped (Error: execution halted)" });
  });

  it("returns failed with terraform's error summary, never its detail lines", () => {
    const log = "│ Error: local-exec provisioner error\n│ \n│ Error running command 'echo hunter2-secret': exit status 1.\n";
    const reading = readApplyLog(log);
    expect(reading).toMatchObject({ outcome: "failed", summary: "Error: local-exec provisioner error" });
    expect(JSON.stringify(reading)).not.toContain("hunter2");
  });

  it("returns failed and says so when the log ends without a result", () => {
    expect(readApplyLog("terraform_data.slow: Creating...\n")).toMatchObject({
      outcome: "failed",
      summary: "the log ends without a result: terraform was stopped before it finished",
    });
  });
});
