import { mkdtemp, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { cachedVersion } from "../../../src/terraform/version-cache.js";

describe("cachedVersion", () => {
  let dir: string;
  let binary: string;
  let cacheFile: string;
  let asked: number;
  const ask = (version: string) => async () => {
    asked += 1;
    return version;
  };

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "infra-version-cache-"));
    binary = path.join(dir, "terraform");
    cacheFile = path.join(dir, "cache", "terraform-version.json");
    await writeFile(binary, "binary v1");
    asked = 0;
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it("asks the binary once and answers from the cache after", async () => {
    expect(await cachedVersion(binary, cacheFile, ask("1.11.4"))).toBe("1.11.4");
    expect(await cachedVersion(binary, cacheFile, ask("9.9.9"))).toBe("1.11.4");
    expect(asked).toBe(1);
  });

  it("asks again when the binary was replaced", async () => {
    await cachedVersion(binary, cacheFile, ask("1.11.4"));
    await writeFile(binary, "binary v2, a different size");
    await utimes(binary, new Date(), new Date(Date.now() + 10_000));
    expect(await cachedVersion(binary, cacheFile, ask("1.12.0"))).toBe("1.12.0");
    expect(asked).toBe(2);
  });

  it("asks again when the cache file is corrupt", async () => {
    await cachedVersion(binary, cacheFile, ask("1.11.4"));
    await writeFile(cacheFile, "{not json");
    expect(await cachedVersion(binary, cacheFile, ask("1.11.4"))).toBe("1.11.4");
    expect(asked).toBe(2);
  });
});
