/**
 * Escaping for every place plan content is shown. Plan content (addresses, for_each keys, output
 * names, action reasons, values, even terraform_version) is attacker-shaped text: a pull request
 * controls it. Each context gets one function, and every interpolation goes through one.
 */

/**
 * C0/C1 controls, DEL, and the invisible or direction-changing characters (bidi overrides and
 * isolates, zero-width, line/paragraph separators, BOM) that make text read differently from
 * what it is. Shown as `\n`, `\t` or `\u202e`, so nothing moves a cursor, recolours a terminal,
 * reverses a line or starts a new table row.
 */
// eslint-disable-next-line no-control-regex
const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]/g;

const NAMED: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

/** The same characters, tested without replacing: most text holds none, and a test allocates nothing. */
// eslint-disable-next-line no-control-regex
const HAS_INVISIBLE = new RegExp(INVISIBLE.source);

export function visible(text: string): string {
  if (!HAS_INVISIBLE.test(text)) return text;
  return text.replace(INVISIBLE, (char) => NAMED[char] ?? `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** The invisible characters JSON.stringify leaves raw (it escapes only C0 controls). */
const JSON_RAW_INVISIBLE = /[\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]/g;

/**
 * JSON text with every invisible character JSON.stringify leaves raw written as a `\uXXXX`
 * escape: the same document to a parser, and nothing a terminal or an editor acts on. (Outside
 * strings JSON holds only ASCII, so each such character is inside a string.)
 */
export function jsonVisible(json: string): string {
  return json.replace(JSON_RAW_INVISIBLE, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/**
 * Text of several lines for the terminal (an error message, terraform's stderr): like visible(),
 * but a line feed stays a line feed.
 */
export function visibleLines(text: string): string {
  if (!HAS_INVISIBLE.test(text)) return text;
  return text.split("\n").map(visible).join("\n");
}

const HTML_ENTITIES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Text for HTML element content or a quoted attribute value. */
export function html(text: string): string {
  const shown = visible(text);
  if (!/[&<>"']/.test(shown)) return shown;
  return shown.replace(/[&<>"']/g, (char) => HTML_ENTITIES[char] as string);
}

/** Text for HTML element content only (never an attribute value): quotes need no escape there. */
export function htmlText(text: string): string {
  const shown = visible(text);
  if (!/[&<>]/.test(shown)) return shown;
  return shown.replace(/[&<>]/g, (char) => HTML_ENTITIES[char] as string);
}

/** HTML inside markdown (a `<summary>` line): backticks become entities too, so nothing pairs them into a code span. */
export function markdownHtml(text: string): string {
  return html(text).replaceAll("`", "&#96;");
}

/**
 * Markdown prose (GitHub-flavoured): HTML is entity-escaped, every inline markup character is
 * backslash-escaped (`|` included, so a table cell cannot be split).
 */
export function markdownText(text: string): string {
  return html(text).replace(/[\\`*_{}[\]()#+\-.!|~]/g, (char) => `\\${char}`);
}

/**
 * A markdown code span that holds any text, backticks included: the fence is one backtick longer
 * than the longest run inside, padded when the text starts or ends with one. In a table, `|`
 * still ends the cell even inside a code span, so GitHub's `\|` is used there.
 */
export function markdownCode(text: string, options: { inTable?: boolean } = {}): string {
  let inner = visible(text);
  if (options.inTable) inner = inner.replaceAll("|", "\\|");
  if (inner === "") return "` `";
  let longest = 0;
  for (const run of inner.match(/`+/g) ?? []) longest = Math.max(longest, run.length);
  const fence = "`".repeat(longest + 1);
  const pad = inner.startsWith("`") || inner.endsWith("`") || (inner.startsWith(" ") && inner.endsWith(" ")) ? " " : "";
  return `${fence}${pad}${inner}${pad}${fence}`;
}

/** A fenced block: the fence is longer than any backtick run inside, so no line can close it. */
export function markdownFence(lines: readonly string[], info = ""): string {
  const body = lines.map(visible).join("\n");
  let longest = 2;
  for (const run of body.match(/`+/g) ?? []) longest = Math.max(longest, run.length);
  const fence = "`".repeat(longest + 1);
  return `${fence}${info}\n${body}\n${fence}`;
}
