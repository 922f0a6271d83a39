import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** GitHub refuses an issue or comment body over this many characters. */
const GITHUB_BODY_LIMIT = 65_536;

/**
 * A stand-in for the GitHub REST API on 127.0.0.1: the issues of one repository, kept in memory,
 * with the endpoints the script uses, answering as GitHub does (and refusing a body over its limit).
 * The real @octokit/rest talks to it.
 */
export interface Issue {
  number: number;
  title: string;
  body: string;
  state: "open" | "closed";
  state_reason: string | null;
  labels: Array<{ name: string }>;
  comments: string[];
}

export class FakeGitHub {
  issues: Issue[] = [];
  requests: Array<{ method: string; url: string; authorization: string | undefined }> = [];
  private server = createServer((request, response) => void this.handle(request, response));
  url = "";

  constructor(private readonly token: string) {}

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    let text = "";
    for await (const chunk of request) text += String(chunk);
    const body = text === "" ? {} : (JSON.parse(text) as Record<string, unknown>);
    const url = new URL(request.url!, this.url);
    this.requests.push({ method: request.method!, url: `${url.pathname}${url.search}`, authorization: request.headers.authorization });
    const send = (status: number, value: unknown) => {
      response.writeHead(status, { "content-type": "application/json; charset=utf-8" }).end(JSON.stringify(value));
    };
    const view = (issue: Issue) => ({ ...issue, comments: issue.comments.length, html_url: `https://github.invalid/example/infra/issues/${issue.number}` });
    if (request.headers.authorization !== `token ${this.token}`) return send(401, { message: "Bad credentials" });
    if (!url.pathname.startsWith("/repos/example/infra/issues")) return send(404, { message: "Not Found" });
    const rest = url.pathname.slice("/repos/example/infra/issues".length);
    if (typeof body["body"] === "string" && body["body"].length > GITHUB_BODY_LIMIT) return send(422, { message: "Validation Failed", errors: [{ field: "body", code: "custom", message: "body is too long (maximum is 65536 characters)" }] });
    if (request.method === "GET" && rest === "") {
      const labels = url.searchParams.get("labels");
      const state = url.searchParams.get("state") ?? "open";
      return send(200, this.issues.filter((issue) => (state === "all" || issue.state === state) && (!labels || issue.labels.some((label) => label.name === labels))).map(view));
    }
    if (request.method === "POST" && rest === "") {
      const issue: Issue = { number: this.issues.length + 1, title: String(body["title"]), body: String(body["body"] ?? ""), state: "open", state_reason: null, labels: ((body["labels"] as string[]) ?? []).map((name) => ({ name })), comments: [] };
      this.issues.push(issue);
      return send(201, view(issue));
    }
    const match = /^\/(\d+)(\/comments)?$/.exec(rest);
    const issue = match ? this.issues.find((each) => each.number === Number(match[1])) : undefined;
    if (!issue) return send(404, { message: "Not Found" });
    if (request.method === "PATCH" && !match![2]) {
      Object.assign(issue, Object.fromEntries(Object.entries(body).filter(([key]) => ["title", "body", "state", "state_reason"].includes(key))));
      return send(200, view(issue));
    }
    if (request.method === "POST" && match![2]) {
      issue.comments.push(String(body["body"]));
      return send(201, { id: issue.comments.length, body: body["body"] });
    }
    return send(404, { message: "Not Found" });
  }
}

