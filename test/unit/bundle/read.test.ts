import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readBundleText } from "../../../src/bundle/read.js";

describe("readBundleText", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "infra-read-"));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it("reads a regular file and returns null for a missing one", async () => {
    await writeFile(path.join(dir, "plan.redacted.json"), "{}");
    expect(await readBundleText(dir, "plan.redacted.json")).toBe("{}");
    expect(await readBundleText(dir, "manifest.sig")).toBeNull();
  });

  it("never follows a link, waits on a FIFO or reads a directory", async () => {
    await writeFile(path.join(dir, "real.json"), "{}");
    await symlink(path.join(dir, "real.json"), path.join(dir, "link.json"));
    await symlink("/dev/zero", path.join(dir, "zero.json"));
    execFileSync("mkfifo", [path.join(dir, "fifo.json")]);
    await mkdir(path.join(dir, "dir.json"));
    for (const name of ["link.json", "zero.json", "fifo.json", "dir.json"]) expect(await readBundleText(dir, name), name).toBeNull();
  });
});
