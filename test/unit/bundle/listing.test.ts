import { createHash } from "node:crypto";
import { mkdir, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { describeIrregular, listBundle } from "../../../src/bundle/listing.js";
import { tempDir } from "../../helpers.js";

describe("listBundle", () => {
  it("digests regular files, skips the excepted ones and lists every other entry by kind", async () => {
    const dir = await tempDir("listing");
    await writeFile(path.join(dir, "tfplan"), "plan");
    await writeFile(path.join(dir, "__proto__"), "planted");
    await writeFile(path.join(dir, "manifest.json"), "{}");
    await symlink("tfplan", path.join(dir, "receipt.json"));
    await mkdir(path.join(dir, "sub"));
    const listing = await listBundle(dir, ["manifest.json", "receipt.json"]);
    expect(Object.keys(listing.digests).sort()).toEqual(["__proto__", "tfplan"]);
    expect(Object.hasOwn(listing.digests, "__proto__")).toBe(true);
    expect(listing.digests["tfplan"]).toBe(createHash("sha256").update("plan").digest("hex"));
    expect(listing.irregular).toEqual([
      { name: "receipt.json", kind: "symlink" },
      { name: "sub", kind: "directory" },
    ]);
    expect(describeIrregular(listing.irregular)).toBe("receipt.json is a symbolic link, sub is a directory");
  });

  it("digests files larger than its read buffer, and empty ones, each by its own content", async () => {
    const dir = await tempDir("listing-large");
    // Three sizes around the 1 MiB read buffer, so a digest that kept bytes of a previous read would differ.
    const contents: Record<string, Buffer> = {
      "a-large": Buffer.alloc((1 << 20) * 2 + 17, "a"),
      "b-exact": Buffer.alloc(1 << 20, "b"),
      "c-small": Buffer.from("c"),
      "d-empty": Buffer.alloc(0),
    };
    for (const [name, content] of Object.entries(contents)) await writeFile(path.join(dir, name), content);
    const listing = await listBundle(dir, []);
    for (const [name, content] of Object.entries(contents)) {
      expect(listing.digests[name], name).toBe(createHash("sha256").update(content).digest("hex"));
    }
  });
});
