import { spawn } from "node:child_process";
import { copyFile, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startFakeEngine, type FakeEngine, type FakeEngineOptions, type Step } from "./fake-engine.js";

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
const moduleSource = path.join(repoRoot, "dagger", "src");
const sdkClientDeclarations = path.join(repoRoot, "node_modules", "@dagger.io", "dagger", "dist", "src", "api", "client.gen.d.ts");

export interface ModuleRun {
  engine: FakeEngine;
  /** Exit code and stderr of the process that ran this call (shared by every call in it). */
  exitCode: number | null;
  stderr: string;
}

/**
 * Runs calls of the module, in one child process, each against its own fake engine, as the
 * engine's runtime would: the SDK's own entrypoint reads the call from the engine and answers
 * through it, in the order given. A failing call ends the process, so it must be the last one.
 */
export async function runModule<Name extends string>(calls: Record<Name, FakeEngineOptions>): Promise<Record<Name, ModuleRun>> {
  const names = Object.keys(calls) as Name[];
  const engines = await Promise.all(names.map((name) => startFakeEngine(calls[name])));
  const scratch = await mkdtemp(path.join(tmpdir(), "infra-dagger-"));
  try {
    const clientFile = path.join(scratch, "client.gen.ts");
    await copyFile(sdkClientDeclarations, clientFile);
    const sessions = engines.map((engine) => `${engine.port}:${engine.token}`);
    const child = spawn(process.execPath, ["--import", "tsx", path.join(repoRoot, "test", "dagger", "run-module.ts"), moduleSource, clientFile, ...sessions], {
      cwd: repoRoot,
      env: {
        PATH: process.env["PATH"],
        HOME: process.env["HOME"],
        TSX_TSCONFIG_PATH: path.join(repoRoot, "dagger", "tsconfig.json"),
      },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    const exitCode = await new Promise<number | null>((done) => child.on("close", done));
    return Object.fromEntries(names.map((name, index) => [name, { engine: engines[index]!, exitCode, stderr }])) as Record<Name, ModuleRun>;
  } finally {
    await rm(scratch, { recursive: true, force: true });
    await Promise.all(engines.map((engine) => engine.close()));
  }
}

/** Arguments of the one step named `field` in a chain (fails the test if not exactly one). */
export function only(chain: Step[], field: string): Record<string, unknown> {
  const found = chain.filter((step) => step.field === field);
  if (found.length !== 1) throw new Error(`expected one ${field} in the chain, found ${found.length}`);
  return found[0]!.args;
}

export function all(chain: Step[], field: string): Record<string, unknown>[] {
  return chain.filter((step) => step.field === field).map((step) => step.args);
}

export interface ArgumentSurface {
  name: string;
  type: string;
  optional: boolean;
  defaultPath?: string;
  ignore?: string[];
}

export interface FunctionSurface {
  name: string;
  returns: string;
  args: ArgumentSurface[];
  cachePolicy: string | undefined;
  check: boolean;
  /** `@generate`: `dagger generate` applies the Changeset it returns. */
  generator: boolean;
}

export interface ObjectSurface {
  name: string;
  description: string;
  constructorArgs: ArgumentSurface[];
  functions: FunctionSurface[];
}

/**
 * What the module registered, read back from the type definitions the SDK's Register sent:
 * what `dagger functions` and `dagger call --help` show.
 */
export function registeredSurface(engine: FakeEngine, moduleId: string): ObjectSurface[] {
  const typeName = (id: string): { type: string; optional: boolean } => {
    const chain = engine.origin(id);
    const optional = chain.some((step) => step.field === "withOptional" && step.args["optional"] === true);
    const list = chain.find((step) => step.field === "withListOf");
    if (list) return { type: `[${typeName(String(list.args["elementType"])).type}]`, optional };
    const kind = chain.find((step) => step.field === "withKind")?.args["kind"];
    const object = chain.find((step) => step.field === "withObject")?.args["name"];
    return { type: String(object ?? kind), optional };
  };
  const argument = (args: Record<string, unknown>): ArgumentSurface => ({
    name: String(args["name"]),
    ...typeName(String(args["typeDef"])),
    ...(args["defaultPath"] !== undefined ? { defaultPath: String(args["defaultPath"]) } : {}),
    ...(Array.isArray(args["ignore"]) ? { ignore: args["ignore"].map(String) } : {}),
  });
  const fn = (id: string): FunctionSurface => {
    const chain = engine.origin(id);
    const head = only(chain, "function");
    return {
      name: String(head["name"]),
      returns: typeName(String(head["returnType"])).type,
      args: all(chain, "withArg").map(argument),
      cachePolicy: chain.find((step) => step.field === "withCachePolicy")?.args["policy"] as string | undefined,
      check: chain.some((step) => step.field === "withCheck"),
      generator: chain.some((step) => step.field === "withGenerator"),
    };
  };
  return all(engine.origin(moduleId), "withObject").map((objectArgs) => {
    const chain = engine.origin(String(objectArgs["object"]));
    const head = chain.find((step) => step.field === "withObject")!.args;
    const constructor = chain.find((step) => step.field === "withConstructor");
    return {
      name: String(head["name"]),
      description: String(head["description"] ?? ""),
      constructorArgs: constructor ? fn(String(constructor.args["function"])).args : [],
      functions: all(chain, "withFunction").map((args) => fn(String(args["function"]))),
    };
  });
}
