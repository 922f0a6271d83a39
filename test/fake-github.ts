import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** GitHub refuses an issue or comment body over this many characters. */
const GITHUB_BODY_LIMIT = 65_536;

/**
 * A stand-in for the GitHub REST API on 127.0.0.1: the issues, pull requests and their comments of
 * one repository, kept in memory, with the endpoints the scripts use, answering as GitHub does
 * (lists paged with a Link header, a body over the limit refused). The real @octokit/rest talks to it.
 */
export interface Issue {
  number: number;
  title: string;
  body: string;
  state: "open" | "closed";
  state_reason: string | null;
  labels: Array<{ name: string }>;
  /** Set on a pull request: GitHub lists pull requests among issues and numbers both alike. */
  pull_request?: { url: string };
}

export interface Comment {
  id: number;
  issue: number;
  body: string;
  user: { login: string; type: "Bot" | "User" };
}

export class FakeGitHub {
  issues: Issue[] = [];
  comments: Comment[] = [];
  /** A token without write access (a job that lacks `pull-requests: write`): every write is 403. */
  readOnly = false;
  requests: Array<{ method: string; url: string; authorization: string | undefined }> = [];
  private server = createServer((request, response) => void this.handle(request, response));
  url = "";

  constructor(private readonly token: string) {}

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** A pull request to comment on; its number is the next issue number, as on GitHub. */
  openPullRequest(title = "Change the network"): number {
    const number = this.issues.length + 1;
    this.issues.push({ number, title, body: "", state: "open", state_reason: null, labels: [], pull_request: { url: `https://github.invalid/example/infra/pull/${number}` } });
    return number;
  }

  /** A comment someone else wrote (a reviewer, another bot), to see that the scripts leave it alone. */
  addComment(issue: number, body: string, user: Comment["user"] = { login: "octocat", type: "User" }): Comment {
    const comment = { id: this.comments.length + 1, issue, body, user };
    this.comments.push(comment);
    return comment;
  }

  commentsOn(issue: number): string[] {
    return this.comments.filter((comment) => comment.issue === issue).map((comment) => comment.body);
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
    const view = (issue: Issue) => ({ ...issue, comments: this.commentsOn(issue.number).length, html_url: `https://github.invalid/example/infra/issues/${issue.number}` });
    const commentView = (comment: Comment) => ({ id: comment.id, body: comment.body, user: comment.user, html_url: `https://github.invalid/example/infra/issues/${comment.issue}#issuecomment-${comment.id}` });
    if (request.headers.authorization !== `token ${this.token}`) return send(401, { message: "Bad credentials" });
    if (!url.pathname.startsWith("/repos/example/infra/issues")) return send(404, { message: "Not Found" });
    const rest = url.pathname.slice("/repos/example/infra/issues".length);
    if (request.method !== "GET" && this.readOnly) return send(403, { message: "Resource not accessible by integration" });
    if (typeof body["body"] === "string" && body["body"].length > GITHUB_BODY_LIMIT) return send(422, { message: "Validation Failed", errors: [{ field: "body", code: "custom", message: "body is too long (maximum is 65536 characters)" }] });
    const edited = /^\/comments\/(\d+)$/.exec(rest);
    if (edited) {
      const comment = this.comments.find((each) => each.id === Number(edited[1]));
      if (!comment) return send(404, { message: "Not Found" });
      if (request.method !== "PATCH") return send(404, { message: "Not Found" });
      comment.body = String(body["body"]);
      return send(200, commentView(comment));
    }
    if (request.method === "GET" && rest === "") {
      const labels = url.searchParams.get("labels");
      const state = url.searchParams.get("state") ?? "open";
      return send(200, this.issues.filter((issue) => (state === "all" || issue.state === state) && (!labels || issue.labels.some((label) => label.name === labels))).map(view));
    }
    if (request.method === "POST" && rest === "") {
      const issue: Issue = { number: this.issues.length + 1, title: String(body["title"]), body: String(body["body"] ?? ""), state: "open", state_reason: null, labels: ((body["labels"] as string[]) ?? []).map((name) => ({ name })) };
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
    if (request.method === "GET" && match![2]) {
      // Paged as GitHub pages: `per_page` (default 30), `page`, and a Link header to the next page.
      const perPage = Number(url.searchParams.get("per_page") ?? 30);
      const page = Number(url.searchParams.get("page") ?? 1);
      const all = this.comments.filter((comment) => comment.issue === issue.number);
      if (page * perPage < all.length) {
        const next = new URL(url);
        next.searchParams.set("page", String(page + 1));
        response.setHeader("link", `<${next.href}>; rel="next"`);
      }
      return send(200, all.slice((page - 1) * perPage, page * perPage).map(commentView));
    }
    if (request.method === "POST" && match![2]) {
      return send(201, commentView(this.addComment(issue.number, String(body["body"]), { login: "github-actions[bot]", type: "Bot" })));
    }
    return send(404, { message: "Not Found" });
  }
}

