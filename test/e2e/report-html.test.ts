import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import { renderHtml } from "../../src/review/html.js";
import { summarizePlanText } from "../../src/workflow/review.js";
import { REPO_ROOT, skipBecause, tempDir } from "../helpers.js";

/** Debian's chromium (`apt-get install chromium`; .ci/run installs it where it can). */
const CHROMIUM = process.env["INFRA_CHROMIUM"] ?? "/usr/bin/chromium";
const RESULTS = path.join(REPO_ROOT, "test-results");
const HOSTILE = `<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">`;

const change = (actions: string[], before: unknown, after: unknown, extra: Record<string, unknown> = {}) => ({ actions, before, after, ...extra });
const PLAN = JSON.stringify({
  format_version: "1.2",
  terraform_version: "1.11.4",
  resource_changes: [
    { address: "aws_instance.web", mode: "managed", type: "aws_instance", name: "web", change: change(["update"], { instance_type: "t3.micro" }, { instance_type: "t3.large" }) },
    { address: "aws_s3_bucket.logs", mode: "managed", type: "aws_s3_bucket", name: "logs", action_reason: "delete_because_no_resource_config", change: change(["delete"], { bucket: "logs" }, null) },
    {
      address: `module.net.aws_vpc.this["${HOSTILE}"]`,
      module_address: "module.net",
      mode: "managed",
      type: "aws_vpc",
      name: "this",
      index: HOSTILE,
      action_reason: HOSTILE,
      change: change(["delete", "create"], { cidr_block: "10.0.0.0/16" }, { cidr_block: `10.1.0.0/16${HOSTILE}` }, { replace_paths: [["cidr_block"]] }),
    },
    { address: "module.net.aws_subnet.a", module_address: "module.net", mode: "managed", type: "aws_subnet", name: "a", change: change(["create"], null, { cidr_block: "10.1.1.0/24" }) },
  ],
  output_changes: { [HOSTILE]: change(["create"], null, HOSTILE) },
});

describe("report.html in headless Chromium", () => {
  let browser: Browser | undefined;
  let reportUrl: string;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) return;
    const { chromium } = await import("playwright-core");
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
    const file = path.join(await tempDir("report"), "report.html");
    await writeFile(file, renderHtml(summarizePlanText(PLAN, "plan.json"), null));
    reportUrl = pathToFileURL(file).href;
  });

  afterAll(async () => {
    await browser?.close();
  });

  function requireBrowser(context: Parameters<typeof skipBecause>[0]): Browser {
    if (!browser) skipBecause(context, `no Chromium at ${CHROMIUM} (apt-get install chromium, or set INFRA_CHROMIUM)`);
    return browser;
  }

  it("opens from a file URL with the counts and warnings at the top, runs no plan-supplied script, and is screenshotted", async (context) => {
    const page = await requireBrowser(context).newPage();
    const dialogs: string[] = [];
    const blocked: string[] = [];
    page.on("dialog", (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    page.on("console", (message) => {
      if (message.text().includes("Content Security Policy")) blocked.push(message.text());
    });
    await page.goto(reportUrl);
    expect(await page.textContent("#headline")).toBe("Plan: 2 to add, 1 to change, 2 to destroy.");
    expect(await page.textContent('#counts td[data-count="replace"]')).toBe("1");
    expect(await page.textContent('#counts td[data-count="destroy"]')).toBe("1");
    expect(await page.textContent(".warning.destructive")).toContain("2 resource(s) will be destroyed or replaced");
    expect(await page.textContent(".warning.protected")).toContain("delete aws_s3_bucket.logs (S3 bucket (the state bucket among them))");
    // The hostile key is on the page as text, and nothing in it ran.
    expect(await page.textContent("body")).toContain(HOSTILE);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await page.locator("main img").count()).toBe(0);
    expect(dialogs).toEqual([]);
    // Our own script ran (the filter form is shown), so the CSP hash is right.
    expect(await page.isVisible("#filters")).toBe(true);
    await mkdir(RESULTS, { recursive: true });
    await page.screenshot({ path: path.join(RESULTS, "report-html.png"), fullPage: true });
    process.stderr.write(`report.html screenshot: ${path.join(RESULTS, "report-html.png")}\n`);
    await page.close();
  });

  it("filters by action and by module", async (context) => {
    const page = await requireBrowser(context).newPage();
    await page.goto(reportUrl);
    const visible = () => page.locator("article.resource:visible h3 code").allTextContents();
    expect(await visible()).toHaveLength(4);
    await page.selectOption("#filter-action", "destroy");
    expect(await visible()).toEqual(["aws_s3_bucket.logs"]);
    await page.selectOption("#filter-action", "");
    await page.selectOption("#filter-module", "module.net");
    expect((await visible()).sort()).toEqual([`module.net.aws_vpc.this["${HOSTILE}"]`, "module.net.aws_subnet.a"].sort());
    expect(await page.textContent("#shown")).toBe("2 of 4 shown");
    await page.close();
  });

  it("reads fully with scripts off: every resource and attribute, no filter controls", async (context) => {
    const scriptless = await requireBrowser(context).newContext({ javaScriptEnabled: false });
    const page = await scriptless.newPage();
    await page.goto(reportUrl);
    expect(await page.locator("article.resource:visible").count()).toBe(4);
    expect(await page.isVisible("#filters")).toBe(false);
    expect(await page.textContent("body")).toContain('"t3.micro"');
    expect(await page.textContent("tr.forces")).toContain("cidr_block");
    await scriptless.close();
  });
});
