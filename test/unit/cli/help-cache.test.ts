import yargs, { type Argv } from "yargs";
import { describe, expect, it } from "vitest";
import { layOutHelpOnlyWhenShown } from "../../../src/cli/help-cache.js";

interface UsageWithHelp {
  help: () => string;
}

/** A CLI shaped like infra's: a command with options and an async handler; counts how often yargs lays out help. */
function cliCountingHelp(argv: string[], handled: string[]): { cli: Argv; helpLayouts: () => number } {
  const cli = yargs(argv)
    .scriptName("infra")
    .command(
      "policy",
      "run the policies",
      (command) => command.option("env", { type: "string", describe: "the environment" }),
      async (parsed) => {
        handled.push(String(parsed["env"]));
      },
    )
    .strict()
    .help()
    .exitProcess(false)
    .fail((message, error) => {
      throw error ?? new Error(message);
    });
  const usage = (cli as unknown as { getInternalMethods: () => { getUsageInstance: () => UsageWithHelp } }).getInternalMethods().getUsageInstance();
  const layOut = usage.help.bind(usage);
  let layouts = 0;
  usage.help = () => {
    layouts += 1;
    return layOut();
  };
  return { cli, helpLayouts: () => layouts };
}

describe("layOutHelpOnlyWhenShown", () => {
  it("is needed: yargs lays out the command's help on every run of it", async () => {
    const handled: string[] = [];
    const { cli, helpLayouts } = cliCountingHelp(["policy", "--env", "dev"], handled);
    await cli.parseAsync();
    expect(handled).toEqual(["dev"]);
    expect(helpLayouts()).toBe(1);
  });

  it("keeps a run of a command from laying out help it never shows", async () => {
    const handled: string[] = [];
    const { cli, helpLayouts } = cliCountingHelp(["policy", "--env", "dev"], handled);
    layOutHelpOnlyWhenShown(cli);
    await cli.parseAsync();
    expect(handled).toEqual(["dev"]);
    expect(helpLayouts()).toBe(0);
  });

  it("still shows the command's help for --help", async () => {
    const handled: string[] = [];
    const { cli } = cliCountingHelp(["policy", "--help"], handled);
    layOutHelpOnlyWhenShown(cli);
    const shown = await new Promise<string>((resolve, reject) => {
      cli.parseAsync(["policy", "--help"], {}, (error, _argv, output) => (error ? reject(error) : resolve(output))).catch(reject);
    });
    expect(handled).toEqual([]);
    expect(shown).toContain("--env");
    expect(shown).toContain("the environment");
  });
});
