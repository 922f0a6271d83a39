import type { Argv, CommandModule } from "yargs";
import { LOCK_PLATFORMS } from "../../terraform/platforms.js";
import { createContext, printResult, withCommonOptions, type CommonOptions } from "../shell.js";

interface LockArgs extends CommonOptions {
  platform: string[];
  fsMirror?: string;
}

export const lockCommand: CommandModule<object, LockArgs> = {
  command: "lock",
  describe: "Write .terraform.lock.hcl in every root with provider hashes for every platform that runs terraform",
  builder: (yargs: Argv) =>
    withCommonOptions(yargs)
      .option("platform", {
        type: "string",
        array: true,
        default: [...LOCK_PLATFORMS],
        describe: "Platforms to record hashes for (repeat the flag)",
      })
      .option("fs-mirror", { type: "string", describe: "Take providers from this mirror directory instead of the registry" })
      .example("$0 lock", "lock envs/*, bootstrap/* and org for Linux and macOS, amd64 and arm64"),
  handler: async (args) => {
    const { lock } = await import("../../workflow/lock.js");
    const result = await lock(createContext(args), { platforms: args.platform, ...(args.fsMirror !== undefined ? { fsMirror: args.fsMirror } : {}) });
    printResult(args.json, result, () => `locked ${result.lockFiles.length} roots for ${result.platforms.join(", ")}:\n${result.lockFiles.map((file) => `  ${file}\n`).join("")}`);
  },
};
