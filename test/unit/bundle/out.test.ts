import { mkdir, readdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { checkOut, removeLeftovers } from "../../../src/bundle/out.js";
import { tempDir } from "../../helpers.js";

async function tree(): Promise<{ cwd: string; root: string }> {
  const cwd = await tempDir("out");
  const root = path.join(cwd, "terraform");
  await mkdir(path.join(root, "envs", "dev"), { recursive: true });
  return { cwd, root };
}

describe("checkOut", () => {
  it("returns the absolute path of a new directory, including one whose name starts with two dots", async () => {
    const guard = await tree();
    expect(await checkOut("artifacts/dev", guard)).toBe(path.join(guard.cwd, "artifacts", "dev"));
    expect(await checkOut("..dev", guard)).toBe(path.join(guard.cwd, "..dev"));
  });

  it("accepts an empty directory", async () => {
    const guard = await tree();
    await mkdir(path.join(guard.cwd, "empty"));
    expect(await checkOut("empty", guard)).toBe(path.join(guard.cwd, "empty"));
  });

  it.each([
    ["/", "it is a parent of the current directory"],
    ["terraform/..", "it is the current directory"],
    ["terraform/envs", "it is inside the terraform tree"],
  ])("refuses %j", async (out, reason) => {
    await expect(checkOut(out, await tree())).rejects.toThrow(reason);
  });

  it("refuses a parent of the terraform tree given by --root elsewhere", async () => {
    const guard = await tree();
    const elsewhere = await tempDir("elsewhere");
    await expect(checkOut(guard.cwd, { cwd: elsewhere, root: guard.root })).rejects.toThrow("it is a parent of the terraform tree");
  });

  it("refuses a directory holding anything but bundle files", async () => {
    const guard = await tree();
    await mkdir(path.join(guard.cwd, "mixed"));
    await writeFile(path.join(guard.cwd, "mixed", "tfplan"), "x");
    await writeFile(path.join(guard.cwd, "mixed", "thesis.tex"), "x");
    await expect(checkOut("mixed", guard)).rejects.toThrow("it is not a plan bundle: it holds thesis.tex");
  });
});

describe("removeLeftovers", () => {
  it("removes staging and replaced directories of dead plans, and keeps a live one's and unrelated ones", async () => {
    const dir = await tempDir("leftovers");
    const names = [".dev.partial-999999999-abcdef", ".dev.partial-abcdef", ".dev.replaced-999999999-abcdef", `.dev.partial-${process.pid}-abcdef`, ".prod.partial-1-abcdef", "dev"];
    for (const name of names) await mkdir(path.join(dir, name));
    const removed = await removeLeftovers(path.join(dir, "dev"));
    expect(removed.sort()).toEqual([".dev.partial-999999999-abcdef", ".dev.partial-abcdef", ".dev.replaced-999999999-abcdef"]);
    expect((await readdir(dir)).sort()).toEqual([`.dev.partial-${process.pid}-abcdef`, ".prod.partial-1-abcdef", "dev"]);
  });
});
