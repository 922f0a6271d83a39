import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Kind, parse, valueFromASTUntyped, type SelectionSetNode } from "graphql";

/**
 * A stand-in for the Dagger engine's session API: the real SDK (in the module's process) POSTs
 * its GraphQL here, exactly as it would to `dagger`'s session on 127.0.0.1. The engine does not
 * build anything; it hands out IDs and remembers, for every ID, the chain of calls that made it,
 * so a test can read the pipeline a function built.
 */

/** One call in a chain, e.g. `withExec(args: ["infra", "plan"])`. */
export interface Step {
  field: string;
  args: Record<string, unknown>;
}

export interface FunctionCallSpec {
  /** "" registers the module; otherwise the object whose function is called ("Infra"). */
  parentName: string;
  /** "" is the constructor. */
  name: string;
  /** The parent object's state, as the engine hands it back (JSON of its fields). */
  parent: Record<string, unknown>;
  /** Argument values as the engine passes them: JSON values, objects as their IDs. */
  args: Record<string, unknown>;
}

export interface FakeEngine {
  port: number;
  token: string;
  /** Every query the SDK sent, in order. */
  queries: string[];
  /** The chain of calls that produced an ID, with `node(id:)` lookups replaced by their origin. */
  origin(id: string): Step[];
  /** What the function returned through `returnValue` (parsed JSON), or undefined. */
  returned(): unknown;
  /** The message the function failed with through `returnError`, or undefined. */
  failure(): string | undefined;
  /** The values attached to that error (exitCode, stderr... as JSON text), by name. */
  failureValues(): Record<string, string>;
  close(): Promise<void>;
}

export interface FakeEngineOptions {
  call: FunctionCallSpec;
  moduleName?: string;
  platform?: string;
  /** Secret IDs the engine knows and their plaintext (what `plaintext` would reveal). */
  secrets?: Record<string, string>;
  /** Answer a query containing `match` as an engine answers a failed exec. */
  failExec?: { match: string; message: string; exitCode: number; stderr: string };
}

export async function startFakeEngine(options: FakeEngineOptions): Promise<FakeEngine> {
  const token = randomBytes(16).toString("hex");
  const queries: string[] = [];
  const origins = new Map<string, Step[]>();
  const argEntries = Object.entries(options.call.args);
  let counter = 0;
  let returnedValue: unknown;
  let failureMessage: string | undefined;
  let failureValues: Record<string, string> = {};

  const newId = (chain: Step[]): string => {
    counter += 1;
    const id = `fake-id-${counter}`;
    origins.set(id, chain);
    return id;
  };

  const leaf = (name: string, chain: Step[], step: Step): unknown => {
    const head = chain[0];
    const nodeId = head?.field === "node" ? String(head.args["id"]) : undefined;
    if (nodeId?.startsWith("arg:")) {
      const entry = argEntries[Number(nodeId.slice(4))];
      if (entry && name === "name") return entry[0];
      if (entry && name === "value") return JSON.stringify(entry[1]);
    }
    switch (name) {
      case "id":
        return newId(chain);
      case "sync":
        return newId(chain);
      case "plaintext":
        return nodeId !== undefined ? (options.secrets?.[nodeId] ?? null) : null;
      case "defaultPlatform":
        return options.platform ?? "linux/amd64";
      case "parentName":
        return options.call.parentName;
      case "parent":
        return JSON.stringify(options.call.parent);
      case "name":
        return chain.at(-1)?.field === "currentModule" ? (options.moduleName ?? "infra") : options.call.name;
      case "returnValue":
        returnedValue = JSON.parse(String(step.args["value"]));
        return null;
      case "returnError": {
        const made = origins.get(String(step.args["error"])) ?? [];
        failureMessage = String(made.find((call) => call.field === "error")?.args["message"] ?? step.args["error"]);
        failureValues = Object.fromEntries(made.filter((call) => call.field === "withValue").map((call) => [String(call.args["name"]), String(call.args["value"])]));
        return null;
      }
      case "version":
        return "v0.21.9";
      default:
        return null;
    }
  };

  const resolve = (selectionSet: SelectionSetNode, chain: Step[], variables: Record<string, unknown>): Record<string, unknown> => {
    const data: Record<string, unknown> = {};
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.INLINE_FRAGMENT) {
        Object.assign(data, resolve(selection.selectionSet, chain, variables));
        continue;
      }
      if (selection.kind !== Kind.FIELD) continue;
      const args = Object.fromEntries((selection.arguments ?? []).map((arg) => [arg.name.value, valueFromASTUntyped(arg.value, variables)]));
      const step: Step = { field: selection.name.value, args };
      const key = selection.alias?.value ?? selection.name.value;
      if (!selection.selectionSet) {
        data[key] = leaf(step.field, chain, step);
      } else if (step.field === "inputArgs") {
        data[key] = argEntries.map((_, index) => ({ id: `arg:${index}` }));
      } else if (step.field === "node") {
        const id = String(args["id"]);
        data[key] = resolve(selection.selectionSet, origins.get(id) ?? [step], variables);
      } else {
        data[key] = resolve(selection.selectionSet, [...chain, step], variables);
      }
    }
    return data;
  };

  const expected = `Basic ${Buffer.from(`${token}:`).toString("base64")}`;
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const reply = (status: number, body: unknown) => {
        response.writeHead(status, { "content-type": "application/json" });
        response.end(JSON.stringify(body));
      };
      if (request.url !== "/query" || request.method !== "POST") return reply(404, { errors: [{ message: "not found" }] });
      if (request.headers.authorization !== expected) return reply(401, { errors: [{ message: "bad session token" }] });
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { query: string; variables?: Record<string, unknown> };
        queries.push(body.query);
        const failExec = options.failExec;
        if (failExec && body.query.includes(failExec.match)) {
          const { message, exitCode, stderr } = failExec;
          return reply(200, { data: null, errors: [{ message, extensions: { _type: "EXEC_ERROR", exitCode, stdout: "", stderr } }] });
        }
        const document = parse(body.query);
        const operation = document.definitions.find((definition) => definition.kind === Kind.OPERATION_DEFINITION);
        if (!operation || operation.kind !== Kind.OPERATION_DEFINITION) throw new Error("no operation in the query");
        reply(200, { data: resolve(operation.selectionSet, [], body.variables ?? {}) });
      } catch (error) {
        reply(200, { errors: [{ message: (error as Error).message }] });
      }
    });
  });
  // The SDK keeps its connection open while the module introspects itself (seconds of TypeScript
  // compiling); Node's 5 s default would drop it under the client's feet.
  server.keepAliveTimeout = 10 * 60_000;
  await new Promise<void>((ready) => server.listen(0, "127.0.0.1", ready));
  const { port } = server.address() as AddressInfo;

  return {
    port,
    token,
    queries,
    origin: (id) => {
      const chain = origins.get(id);
      if (!chain) throw new Error(`the fake engine never handed out ${id}`);
      return chain;
    },
    returned: () => returnedValue,
    failure: () => failureMessage,
    failureValues: () => failureValues,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}
