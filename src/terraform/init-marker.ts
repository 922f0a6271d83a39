import { createHash } from "node:crypto";
import { readdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { parseDirectory, type ReadOptions } from "../config/environment.js";
import { labeledBlocksOf } from "../config/hcl.js";
import { sha256File } from "../bundle/digest.js";
import type { Terraform } from "./runner.js";

/** Files whose content decides what `terraform init` installs and configures. */
const INIT_INPUT = /\.tf$|\.tf\.json$|^\.terraform\.lock\.hcl$/;
/** Environment variables that change what `terraform init` does. */
const INIT_ENV = ["TF_CLI_ARGS", "TF_CLI_ARGS_init", "TF_CLI_CONFIG_FILE", "TF_PLUGIN_CACHE_DIR"] as const;
const MARKER = "infra-init.sha256";

export interface InitInputs {
  terraformVersion: string;
  readOptions: ReadOptions;
  processEnv: NodeJS.ProcessEnv;
}

/**
 * Runs `terraform init` unless the data dir was initialised from exactly these inputs: the
 * root's and every local module's configuration, the lock file, terraform's version and the
 * variables that steer init. Apply after plan on one machine then skips a second init.
 * Returns whether init ran.
 */
export async function initIfChanged(terraform: Terraform, inputs: InitInputs, runInit: () => Promise<unknown>): Promise<boolean> {
  const marker = path.join(terraform.dataDir, MARKER);
  const before = await initFingerprint(terraform.cwd, inputs);
  if ((await readFile(marker, "utf8").catch(() => null)) === before) return false;
  // Removed first: an init that fails or is interrupted must not leave a marker behind.
  await rm(marker, { force: true });
  await runInit();
  // Taken again after init, which may have written the lock file.
  await writeFile(marker, await initFingerprint(terraform.cwd, inputs));
  return true;
}

export async function initFingerprint(root: string, inputs: InitInputs): Promise<string> {
  const hash = createHash("sha256");
  hash.update(`terraform ${inputs.terraformVersion}\n`);
  for (const key of INIT_ENV) hash.update(`${key}=${inputs.processEnv[key] ?? ""}\n`);
  for (const dir of await localModuleDirs(root, inputs.readOptions)) {
    const names = (await readdir(dir)).filter((name) => INIT_INPUT.test(name)).sort();
    for (const name of names) {
      const file = path.join(dir, name);
      hash.update(`${path.relative(root, file)}\0${await sha256File(file)}\n`);
    }
  }
  return hash.digest("hex");
}

/** `root` and every directory a `module` block reaches through a local path, sorted. */
async function localModuleDirs(root: string, readOptions: ReadOptions): Promise<string[]> {
  const seen = new Set<string>();
  const visit = async (dir: string): Promise<void> => {
    if (seen.has(dir)) return;
    seen.add(dir);
    for (const { body } of labeledBlocksOf(await parseDirectory(dir, readOptions), "module")) {
      const source = body["source"];
      if (typeof source === "string" && (source.startsWith("./") || source.startsWith("../"))) {
        await visit(path.resolve(dir, source));
      }
    }
  };
  await visit(path.resolve(root));
  return [...seen].sort();
}
