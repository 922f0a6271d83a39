/**
 * Runs the module the way the engine's TypeScript runtime does: every .ts file of the module's
 * source handed to the SDK's own `entrypoint`, which asks the engine (DAGGER_SESSION_PORT) what
 * to do - register the module or call one function - and answers through the same API.
 *
 * The SDK's introspection finds core types (Directory, Secret...) by name in a file called
 * client.gen.ts; the runtime's generated SDK has it as source, the npm package only as
 * client.gen.d.ts, so the test passes a copy of that declaration file under the runtime's name.
 * Usage: node --import tsx run-module.ts MODULE_SOURCE_DIR CLIENT_GEN_TS
 */
import { readdirSync } from "node:fs";
import path from "node:path";
import { entrypoint } from "@dagger.io/dagger";

function moduleFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) return moduleFiles(file);
    return [".ts", ".mts"].includes(path.extname(entry.name)) ? [file] : [];
  });
}

const [sourceDir, clientFile] = process.argv.slice(2);
if (!sourceDir || !clientFile) throw new Error("usage: run-module.ts MODULE_SOURCE_DIR CLIENT_GEN_TS");
await entrypoint([...moduleFiles(path.resolve(sourceDir)), path.resolve(clientFile)]);
