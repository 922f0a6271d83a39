/**
 * Runs the module the way the engine's TypeScript runtime does: every .ts file of the module's
 * source handed to the SDK's own `entrypoint`, which asks the engine (DAGGER_SESSION_PORT) what
 * to do - register the module or call one function - and answers through the same API.
 *
 * The runtime starts one process per call; this runs several calls one after the other in one
 * process (one session each), which the SDK supports since every call opens and closes its own
 * connection. A call that fails ends the process, as in the runtime, so it goes last.
 *
 * The SDK's introspection finds core types (Directory, Secret...) by name in a file called
 * client.gen.ts; the runtime's generated SDK has it as source, the npm package only as
 * client.gen.d.ts, so the test passes a copy of that declaration file under the runtime's name.
 * Usage: node --import tsx run-module.ts MODULE_SOURCE_DIR CLIENT_GEN_TS PORT:TOKEN...
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

const [sourceDir, clientFile, ...sessions] = process.argv.slice(2);
if (!sourceDir || !clientFile || sessions.length === 0) throw new Error("usage: run-module.ts MODULE_SOURCE_DIR CLIENT_GEN_TS PORT:TOKEN...");
const files = [...moduleFiles(path.resolve(sourceDir)), path.resolve(clientFile)];
for (const session of sessions) {
  const [port, token] = session.split(":");
  process.env["DAGGER_SESSION_PORT"] = port;
  process.env["DAGGER_SESSION_TOKEN"] = token;
  await entrypoint(files);
}
