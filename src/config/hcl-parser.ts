/**
 * HCL native syntax -> the JSON shape hcl2-parser (tmccombs/hcl2json over hashicorp/hcl v2)
 * produces, without its 4 MB GopherJS bundle (about 9 s of CPU per MB of HCL here; this is
 * about 100 times faster) and with the line and column of a syntax error.
 *
 * The shape, which the policy rules and the environment reader depend on:
 *  - a body is an object: blocks first, then attributes (an attribute replaces a block of its name);
 *  - a block becomes an array of bodies under its type, its labels nested keys in between;
 *  - number, bool and null literals (and `-1`, `!true`) are JSON values, a string template
 *    without interpolation is its string, tuples are arrays and objects are objects;
 *  - every other expression is its source text wrapped in "${...}"; a template with
 *    interpolations keeps its literal parts and renders each part (`%{if}`/`%{for}` directives
 *    and `?:` conditionals inside templates as `%{if ...}` sequences);
 *  - object keys in Go's sorted order, strings NFC-normalized like cty's.
 * test/unit/config/hcl-parser.test.ts compares it with hcl2-parser on every .tf file in the
 * repository and on generated input.
 */
import { ConfigError } from "../errors.js";

export type HclBody = { readonly [key: string]: unknown };

/** Deeper nesting than this is refused: no configuration needs it, and it keeps the stack bounded. */
export const MAX_NESTING = 256;

export function parseHcl(text: string, file: string): HclBody {
  return JSON.parse(parseHclToJson(text, file)) as HclBody;
}

/** The same as JSON text (what the parse cache stores). */
export function parseHclToJson(text: string, file: string): string {
  // terraform reads a file that starts with a UTF-8 byte order mark as if it had none
  const parser = new Parser(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text, file);
  return new Converter(parser).body(parser.parseBody(true));
}

// ---------------------------------------------------------------------------------------------
// Syntax tree: only as much as the JSON shape needs; everything else is a source range
// ---------------------------------------------------------------------------------------------

interface Range {
  start: number;
  end: number;
}

type Expr =
  | (Range & { kind: "literal"; value: number | boolean | null; text: string })
  | (Range & { kind: "template"; parts: Expr[] })
  /** A template that is one interpolation and nothing else: its value is the expression's. */
  | (Range & { kind: "wrap"; inner: Expr })
  | (Range & { kind: "string"; value: string })
  | (Range & { kind: "tuple"; items: Expr[] })
  | (Range & { kind: "object"; items: Array<{ key: Expr; value: Expr }> })
  | (Range & { kind: "unary"; op: "-" | "!"; operand: Expr })
  | (Range & { kind: "conditional"; condition: Expr; whenTrue: Expr; whenFalse: Expr })
  | (Range & { kind: "templateFor"; keyVar: string; valueVar: string; collection: Expr; body: Expr })
  /** A variable with static steps only (`var.x`, `a.b[0]`): object keys keep its source. */
  | (Range & { kind: "traversal" })
  | (Range & { kind: "other" });

interface Attribute {
  name: string;
  value: Expr;
}

interface Block {
  type: string;
  labels: string[];
  body: BodyNode;
  start: number;
}

interface BodyNode {
  attributes: Map<string, Attribute>;
  blocks: Block[];
}

// ---------------------------------------------------------------------------------------------
// Parser
// ---------------------------------------------------------------------------------------------

const IDENTIFIER = /[\p{ID_Start}_][\p{ID_Continue}-]*/uy;
const NUMBER = /[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const BINARY_OPERATORS = ["||", "&&", "==", "!=", "<=", ">=", "<", ">", "+", "-", "*", "/", "%"];

/** Go's unicode.IsSpace, which hcl trims template whitespace with. */
function isSpace(code: number): boolean {
  return (
    (code >= 9 && code <= 13) ||
    code === 32 ||
    code === 0x85 ||
    code === 0xa0 ||
    code === 0x1680 ||
    (code >= 0x2000 && code <= 0x200a) ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0x202f ||
    code === 0x205f ||
    code === 0x3000
  );
}

function trimLeftSpace(text: string): string {
  let index = 0;
  while (index < text.length && isSpace(text.charCodeAt(index))) index += 1;
  return text.slice(index);
}

function trimRightSpace(text: string): string {
  let index = text.length;
  while (index > 0 && isSpace(text.charCodeAt(index - 1))) index -= 1;
  return text.slice(0, index);
}

/** One piece of a template before directives are paired up. */
type TemplateToken =
  | { kind: "literal"; value: string; start: number; end: number }
  | { kind: "interp"; expr: Expr }
  | { kind: "if"; condition: Expr }
  | { kind: "else" | "endif" | "endfor"; start: number }
  | { kind: "for"; keyVar: string; valueVar: string; collection: Expr };

/**
 * Who else refuses what the parser refuses, so the hint names a check that agrees: terraform's
 * own syntax check (`terraform fmt`), only its evaluation (`terraform validate`: fmt accepts
 * `-true` and `"${null}"`), or nobody but infra (nesting past MAX_NESTING).
 */
type RefusalJudge = "syntax" | "validate" | "infra";

const REFUSAL_HINTS: Record<RefusalJudge, string> = {
  syntax: "fix the syntax there; `terraform fmt` on the file shows the same diagnostic",
  validate: "fix the expression there; `terraform fmt` accepts it, but `terraform validate` refuses it too",
  infra: "flatten it there; terraform would read it, but infra refuses nesting this deep to keep its stack bounded",
};

class Parser {
  pos = 0;
  private depth = 0;

  constructor(
    readonly text: string,
    readonly file: string,
  ) {}

  // --- errors -------------------------------------------------------------------------------

  fail(summary: string, at = this.pos, judge: RefusalJudge = "syntax"): never {
    let line = 1;
    let lineStart = 0;
    for (let index = this.text.indexOf("\n"); index !== -1 && index < at; index = this.text.indexOf("\n", index + 1)) {
      line += 1;
      lineStart = index + 1;
    }
    const column = at - lineStart + 1;
    throw new ConfigError(`invalid HCL in ${this.file} line ${line}, column ${column}: ${summary}`, REFUSAL_HINTS[judge]);
  }

  private enter(at: number): void {
    this.depth += 1;
    if (this.depth > MAX_NESTING) this.fail(`nested more than ${MAX_NESTING} levels deep`, at, "infra");
  }

  private leave(): void {
    this.depth -= 1;
  }

  // --- characters -----------------------------------------------------------------------------

  /** Skips blanks and comments; with `newlines` significant, stops at a newline (a line comment's included). */
  skip(newlines: boolean): void {
    const text = this.text;
    for (;;) {
      const code = text.charCodeAt(this.pos);
      if (code === 32 || code === 9) {
        this.pos += 1;
      } else if (code === 10) {
        if (newlines) return;
        this.pos += 1;
      } else if (code === 13 && text.charCodeAt(this.pos + 1) === 10) {
        if (newlines) return;
        this.pos += 2;
      } else if (code === 35 || (code === 47 && text.charCodeAt(this.pos + 1) === 47)) {
        const end = text.indexOf("\n", this.pos);
        if (end === -1) {
          this.pos = text.length;
          return;
        }
        this.pos = newlines ? (text.charCodeAt(end - 1) === 13 ? end - 1 : end) : end + 1;
      } else if (code === 47 && text.charCodeAt(this.pos + 1) === 42) {
        const end = text.indexOf("*/", this.pos + 2);
        if (end === -1) this.fail("Unterminated block comment");
        this.pos = end + 2;
      } else {
        return;
      }
    }
  }

  private atNewline(): boolean {
    const code = this.text.charCodeAt(this.pos);
    return code === 10 || (code === 13 && this.text.charCodeAt(this.pos + 1) === 10);
  }

  private consumeNewline(): void {
    this.pos += this.text.charCodeAt(this.pos) === 13 ? 2 : 1;
  }

  private atEnd(): boolean {
    return this.pos >= this.text.length;
  }

  private peek(literal: string): boolean {
    return this.text.startsWith(literal, this.pos);
  }

  private expect(literal: string, summary: string, newlines: boolean): void {
    this.skip(newlines);
    if (!this.peek(literal)) this.fail(summary);
    this.pos += literal.length;
  }

  private identifier(): string | undefined {
    IDENTIFIER.lastIndex = this.pos;
    const match = IDENTIFIER.exec(this.text);
    if (!match) return undefined;
    this.pos += match[0].length;
    return match[0];
  }

  /** The keyword `word` as a whole identifier at the cursor (not consumed). */
  private atKeyword(word: string): boolean {
    if (!this.peek(word)) return false;
    IDENTIFIER.lastIndex = this.pos;
    return IDENTIFIER.exec(this.text)?.[0] === word;
  }

  // --- bodies ---------------------------------------------------------------------------------

  parseBody(root: boolean): BodyNode {
    const body: BodyNode = { attributes: new Map(), blocks: [] };
    for (;;) {
      this.skip(true);
      if (this.atNewline()) {
        this.consumeNewline();
        continue;
      }
      if (this.atEnd()) {
        if (!root) this.fail("Unclosed configuration block: there is no closing brace for a block opened above");
        return body;
      }
      if (this.peek("}")) {
        if (root) this.fail("Argument or block definition required: unexpected closing brace");
        this.pos += 1;
        return body;
      }
      this.parseBodyItem(body, false);
    }
  }

  private parseBodyItem(body: BodyNode, singleLine: boolean): void {
    const start = this.pos;
    const name = this.identifier();
    if (name === undefined) this.fail("Argument or block definition required: an argument or block name is expected here");
    this.skip(true);
    if (this.peek("=") && !this.peek("==")) {
      this.pos += 1;
      const value = this.parseExpression(true);
      if (body.attributes.has(name)) this.fail(`Duplicate argument: "${name}" is already set in this block`, start);
      body.attributes.set(name, { name, value });
      this.skip(true);
      if (singleLine) return;
      if (this.atNewline()) this.consumeNewline();
      else if (!this.atEnd()) this.fail(this.peek(",") ? "Unexpected comma after argument: arguments are separated by newlines" : "Missing newline after argument");
      return;
    }
    if (singleLine) this.fail("Invalid single-argument block definition: a single-line block holds one argument; put nested blocks on lines of their own");
    this.enter(start);
    const labels: string[] = [];
    for (;;) {
      this.skip(true);
      if (this.peek("{")) {
        this.pos += 1;
        break;
      }
      if (this.peek('"')) {
        labels.push(this.parseLabel());
        continue;
      }
      const label = this.identifier();
      if (label !== undefined) {
        labels.push(label);
        continue;
      }
      this.fail(this.peek("=") ? "Invalid block definition: use either `name = value` or `name {`" : 'Invalid block definition: a quoted label or an opening brace ("{") is expected here');
    }
    this.skip(true);
    let blockBody: BodyNode;
    if (this.atNewline() || this.atEnd() || this.peek("}")) {
      blockBody = this.parseBody(false);
    } else {
      blockBody = { attributes: new Map(), blocks: [] };
      this.parseBodyItem(blockBody, true);
      this.expect("}", "Invalid single-argument block definition: a single-line block must end with a closing brace right after its argument", true);
    }
    this.leave();
    body.blocks.push({ type: name, labels, body: blockBody, start });
    this.skip(true);
    if (this.atNewline()) this.consumeNewline();
    else if (!this.atEnd()) this.fail("Missing newline after block definition");
  }

  /** A block label: a quoted string without interpolation. */
  private parseLabel(): string {
    const start = this.pos;
    // hcl keeps labels as written; only template strings become cty strings, which are NFC
    this.normalizeStrings = false;
    const template = this.parseQuoted();
    this.normalizeStrings = true;
    if (template.kind === "template" && template.parts.length === 1 && template.parts[0]?.kind === "string") return template.parts[0].value;
    if (template.kind === "template" && template.parts.length === 0) return "";
    return this.fail("Invalid block label: template sequences are not allowed in a block label", start);
  }

  // --- expressions ----------------------------------------------------------------------------

  parseExpression(newlines: boolean): Expr {
    const condition = this.parseBinary(newlines);
    const save = this.pos;
    this.skip(newlines);
    if (!this.peek("?")) {
      this.pos = save;
      return condition;
    }
    this.pos += 1;
    this.enter(condition.start);
    const whenTrue = this.parseExpression(newlines);
    this.expect(":", "Missing false expression in conditional: a colon (:) is expected after the true result", newlines);
    const whenFalse = this.parseExpression(newlines);
    this.leave();
    return { kind: "conditional", condition, whenTrue, whenFalse, start: condition.start, end: whenFalse.end };
  }

  /** Operands and binary operators; precedence does not change the range or the JSON shape. */
  private parseBinary(newlines: boolean): Expr {
    const first = this.parsePostfix(newlines);
    let last = first;
    for (;;) {
      const save = this.pos;
      this.skip(newlines);
      const operator = BINARY_OPERATORS.find((candidate) => this.peek(candidate));
      // `<<` starts a heredoc operand, `=>` belongs to a for expression
      if (!operator || (operator === "<" && this.peek("<<"))) {
        this.pos = save;
        break;
      }
      this.pos += operator.length;
      last = this.parsePostfix(newlines);
    }
    return last === first ? first : { kind: "other", start: first.start, end: last.end };
  }

  /** A unary operator applies to a term with its traversals (`-a.b` is `-(a.b)`, `-a + b` is `(-a) + b`). */
  private parsePostfix(newlines: boolean): Expr {
    this.skip(newlines);
    const start = this.pos;
    const code = this.text.charCodeAt(start);
    if (code === 45 || (code === 33 && this.text.charCodeAt(start + 1) !== 61)) {
      this.pos += 1;
      this.enter(start);
      const operand = this.parsePostfix(newlines);
      this.leave();
      return { kind: "unary", op: code === 45 ? "-" : "!", operand, start, end: operand.end };
    }
    return this.parseTraversals(this.parseTerm(newlines), newlines);
  }

  private parseTerm(newlines: boolean): Expr {
    const start = this.pos;
    const code = this.text.charCodeAt(start);
    if (code >= 48 && code <= 57) {
      NUMBER.lastIndex = start;
      const text = (NUMBER.exec(this.text) as RegExpExecArray)[0];
      this.pos += text.length;
      return { kind: "literal", value: Number(text), text, start, end: this.pos };
    }
    if (code === 34) return this.parseQuoted();
    if (code === 60 && this.peek("<<")) return this.parseHeredoc();
    if (code === 40) {
      this.pos += 1;
      this.enter(start);
      this.parseExpression(false);
      this.expect(")", "Unbalanced parentheses: a closing parenthesis is expected here", false);
      this.leave();
      return { kind: "other", start, end: this.pos };
    }
    if (code === 91) return this.parseTuple();
    if (code === 123) return this.parseObject();
    const name = this.identifier();
    if (name === undefined) return this.fail(this.atEnd() || this.atNewline() ? "Invalid expression: an expression is expected here" : "Invalid expression");
    const afterName = this.pos;
    this.skip(newlines);
    if (this.peek("::")) return this.parseNamespacedCall(start, newlines);
    if (this.peek("(")) return this.parseCall(start);
    this.pos = afterName;
    if (name === "true" || name === "false") return { kind: "literal", value: name === "true", text: name, start, end: afterName };
    if (name === "null") return { kind: "literal", value: null, text: name, start, end: afterName };
    return { kind: "traversal", start, end: afterName };
  }

  /** `provider::aws::arn_parse(x)`: a function name in namespaces (HCL 2.21+, terraform 1.8+); the cursor is at the first `::`. */
  private parseNamespacedCall(start: number, newlines: boolean): Expr {
    while (this.peek("::")) {
      this.pos += 2;
      this.skip(newlines);
      if (this.identifier() === undefined) this.fail("Missing function name: a function name is expected after ::");
      this.skip(newlines);
    }
    if (!this.peek("(")) this.fail("Missing open parenthesis: a namespaced name must be a function call");
    return this.parseCall(start);
  }

  private parseCall(start: number): Expr {
    this.pos += 1; // (
    this.enter(start);
    for (;;) {
      this.skip(false);
      if (this.peek(")")) break;
      this.parseExpression(false);
      this.skip(false);
      if (this.peek("...")) {
        this.pos += 3;
        this.skip(false);
        if (!this.peek(")")) this.fail("Missing closing parenthesis: the expanded (...) argument must be the last");
        break;
      }
      if (this.peek(",")) {
        this.pos += 1;
        continue;
      }
      if (!this.peek(")")) this.fail("Missing argument separator: a comma is expected between function arguments");
    }
    this.pos += 1;
    this.leave();
    return { kind: "other", start, end: this.pos };
  }

  private parseTraversals(term: Expr, newlines: boolean): Expr {
    let staticSteps = term.kind === "traversal";
    let end = term.end;
    for (;;) {
      const save = this.pos;
      this.skip(newlines);
      if (this.peek(".") && !this.peek("...")) {
        this.pos += 1;
        this.skip(newlines);
        if (this.peek("*")) {
          this.pos += 1;
          staticSteps = false;
        } else if (this.identifier() === undefined) {
          const code = this.text.charCodeAt(this.pos);
          if (!(code >= 48 && code <= 57)) this.fail("Invalid attribute name: an attribute name is expected after a dot");
          NUMBER.lastIndex = this.pos;
          const index = (NUMBER.exec(this.text) as RegExpExecArray)[0];
          if (!/^[0-9]+$/.test(index)) this.fail("Invalid legacy index syntax: write indices in brackets, such as [0]");
          this.pos += index.length;
        }
        end = this.pos;
      } else if (this.peek("[")) {
        const open = this.pos;
        this.pos += 1;
        this.enter(open);
        this.skip(false);
        if (this.peek("*")) {
          this.pos += 1;
          staticSteps = false;
        } else {
          const key = this.parseExpression(false);
          const literalKey = key.kind === "literal" || (key.kind === "template" && key.parts.length <= 1 && (key.parts[0]?.kind ?? "string") === "string");
          if (!literalKey) staticSteps = false;
        }
        this.expect("]", "Missing close bracket on index", false);
        this.leave();
        end = this.pos;
      } else {
        this.pos = save;
        break;
      }
    }
    if (end === term.end) return term;
    return { kind: staticSteps ? "traversal" : "other", start: term.start, end };
  }

  private parseTuple(): Expr {
    const start = this.pos;
    this.pos += 1;
    this.enter(start);
    this.skip(false);
    if (this.atKeyword("for")) return this.finishFor(start, "]");
    const items: Expr[] = [];
    for (;;) {
      this.skip(false);
      if (this.peek("]")) break;
      items.push(this.parseExpression(false));
      this.skip(false);
      if (this.peek(",")) {
        this.pos += 1;
        continue;
      }
      if (!this.peek("]")) this.fail("Missing item separator: a comma is expected between the items of a list");
    }
    this.pos += 1;
    this.leave();
    return { kind: "tuple", items, start, end: this.pos };
  }

  private parseObject(): Expr {
    const start = this.pos;
    this.pos += 1;
    this.enter(start);
    const save = this.pos;
    this.skip(false);
    if (this.atKeyword("for")) return this.finishFor(start, "}");
    this.pos = save;
    const items: Array<{ key: Expr; value: Expr }> = [];
    for (;;) {
      this.skip(true);
      if (this.atNewline()) {
        this.consumeNewline();
        continue;
      }
      if (this.peek("}")) break;
      if (this.atEnd()) this.fail("Missing closing brace of an object");
      const key = this.parseExpression(true);
      this.skip(true);
      if ((this.peek("=") && !this.peek("==") && !this.peek("=>")) || this.peek(":")) this.pos += 1;
      else this.fail("Missing key/value separator: an equals sign (=) is expected after the key");
      const value = this.parseExpression(true);
      items.push({ key, value });
      this.skip(true);
      if (this.atNewline()) {
        this.consumeNewline();
        continue;
      }
      if (this.peek(",")) {
        this.pos += 1;
        continue;
      }
      if (!this.peek("}")) this.fail("Missing attribute separator: a newline or comma is expected after an object attribute");
    }
    this.pos += 1;
    this.leave();
    return { kind: "object", items, start, end: this.pos };
  }

  /** `[for k, v in coll : value if cond]`, `{for k, v in coll : key => value... if cond}`; the cursor is at `for`. */
  private finishFor(start: number, close: "]" | "}"): Expr {
    this.pos += 3;
    this.forVariables();
    this.parseExpression(false);
    this.expect(":", "Invalid 'for' expression: a colon is expected after the collection", false);
    this.parseExpression(false);
    if (close === "}") {
      this.expect("=>", "Invalid 'for' expression: an object for expression needs `key => value`", false);
      this.parseExpression(false);
      this.skip(false);
      if (this.peek("...")) this.pos += 3;
    }
    this.skip(false);
    if (this.atKeyword("if")) {
      this.pos += 2;
      this.parseExpression(false);
    }
    this.expect(close, `Invalid 'for' expression: "${close}" is expected here`, false);
    this.leave();
    return { kind: "other", start, end: this.pos };
  }

  /** `k, v in` or `v in` after `for`; returns the names. */
  private forVariables(): { keyVar: string; valueVar: string } {
    this.skip(false);
    let valueVar = this.identifier();
    if (valueVar === undefined) this.fail("Invalid 'for' expression: a variable name is expected after 'for'");
    let keyVar = "";
    this.skip(false);
    if (this.peek(",")) {
      this.pos += 1;
      this.skip(false);
      keyVar = valueVar;
      valueVar = this.identifier();
      if (valueVar === undefined) this.fail("Invalid 'for' expression: a value variable name is expected after the comma");
      this.skip(false);
    }
    if (!this.atKeyword("in")) this.fail("Invalid 'for' expression: the 'in' keyword is expected after the names");
    this.pos += 2;
    return { keyVar, valueVar };
  }

  // --- templates ------------------------------------------------------------------------------

  private parseQuoted(): Expr {
    const start = this.pos;
    this.pos += 1;
    this.enter(start);
    const tokens: TemplateToken[] = [];
    const text = this.text;
    let literal = "";
    let literalStart = this.pos;
    const flush = () => {
      if (this.pos > literalStart) this.pushLiteral(tokens, literal, literalStart);
      literal = "";
    };
    for (;;) {
      const code = text.charCodeAt(this.pos);
      if (Number.isNaN(code) || code === 10 || (code === 13 && text.charCodeAt(this.pos + 1) === 10)) {
        this.fail("Unterminated template string: no closing quote before the end of the line", start);
      }
      if (code === 34) break;
      if (code === 92) {
        literal += this.escape();
        continue;
      }
      if ((code === 36 || code === 37) && text.charCodeAt(this.pos + 1) === 123) {
        flush();
        this.templateSequence(tokens);
        literalStart = this.pos;
        continue;
      }
      if ((code === 36 || code === 37) && text.charCodeAt(this.pos + 1) === code && text.charCodeAt(this.pos + 2) === 123) {
        literal += code === 36 ? "${" : "%{";
        this.pos += 3;
        continue;
      }
      literal += text[this.pos];
      this.pos += 1;
    }
    flush();
    this.pos += 1; // closing quote
    this.leave();
    return this.buildTemplate(tokens, start, this.pos, start + 1);
  }

  /** A backslash escape in a quoted string (heredocs have none). */
  private escape(): string {
    const at = this.pos;
    const next = this.text[this.pos + 1];
    this.pos += 2;
    switch (next) {
      case "n":
        return "\n";
      case "r":
        return "\r";
      case "t":
        return "\t";
      case '"':
        return '"';
      case "\\":
        return "\\";
      case "u":
      case "U": {
        const length = next === "u" ? 4 : 8;
        const hex = this.text.slice(this.pos, this.pos + length);
        if (!new RegExp(`^[0-9a-fA-F]{${length}}$`).test(hex)) this.fail("Invalid escape sequence: \\" + next + " needs " + length + " hexadecimal digits", at);
        this.pos += length;
        const codePoint = Number.parseInt(hex, 16);
        if (codePoint > 0x10ffff || (codePoint >= 0xd800 && codePoint <= 0xdfff)) this.fail("Invalid escape sequence: not a Unicode character", at);
        return String.fromCodePoint(codePoint);
      }
      default:
        return this.fail("Invalid escape sequence: the escapes are \\n \\r \\t \\\" \\\\ \\uNNNN and \\UNNNNNNNN", at);
    }
  }

  /** `${ expr }` or `%{ directive }` at the cursor, appended to `tokens` with its strip markers applied. */
  private templateSequence(tokens: TemplateToken[]): void {
    const open = this.pos;
    const interpolation = this.text.charCodeAt(open) === 36;
    this.pos += 2;
    if (this.peek("~")) {
      this.pos += 1;
      const previous = tokens.at(-1);
      if (previous?.kind === "literal") previous.value = trimRightSpace(previous.value);
    }
    this.enter(open);
    if (interpolation) {
      tokens.push({ kind: "interp", expr: this.parseExpression(false) });
    } else {
      this.skip(false);
      const keywordAt = this.pos;
      const keyword = this.identifier();
      if (keyword === "if") tokens.push({ kind: "if", condition: this.parseExpression(false) });
      else if (keyword === "else" || keyword === "endif" || keyword === "endfor") tokens.push({ kind: keyword, start: open });
      else if (keyword === "for") {
        const { keyVar, valueVar } = this.forVariables();
        tokens.push({ kind: "for", keyVar, valueVar, collection: this.parseExpression(false) });
      } else this.fail("Invalid template directive: if, else, endif, for or endfor is expected after %{", keywordAt);
    }
    this.skip(false);
    let stripAfter = false;
    if (this.peek("~}")) {
      stripAfter = true;
      this.pos += 1;
    }
    if (!this.peek("}")) this.fail(interpolation ? "Extra characters after interpolation expression: a closing brace is expected" : "Extra characters in template directive: a closing brace is expected");
    this.pos += 1;
    this.leave();
    if (stripAfter) this.stripNext = tokens.length;
  }

  private normalizeStrings = true;

  /** Index of the token after which the next literal loses its leading whitespace (`~}`). */
  private stripNext = -1;

  private parseHeredoc(): Expr {
    const start = this.pos;
    this.pos += 2;
    const flushIndent = this.peek("-");
    if (flushIndent) this.pos += 1;
    const marker = this.identifier();
    if (marker === undefined || !this.atNewline()) this.fail("Invalid heredoc: `<<MARKER` (or `<<-MARKER`) must end its line", start);
    this.consumeNewline();
    this.enter(start);
    const text = this.text;
    const tokens: TemplateToken[] = [];
    const contentStart = this.pos;
    let end = -1;
    let lineStart = true;
    while (end === -1) {
      if (lineStart) {
        // hcl compares the whole line, trimmed of white space at both ends, with the marker
        const lineEnd = text.indexOf("\n", this.pos);
        if (lineEnd !== -1 && trimRightSpace(trimLeftSpace(text.slice(this.pos, lineEnd))) === marker) {
          end = text.charCodeAt(lineEnd - 1) === 13 ? lineEnd - 1 : lineEnd;
          this.pos = end;
          break;
        }
      }
      if (this.atEnd()) this.fail(`Unterminated heredoc: no closing ${marker} line`, start);
      // one literal per line or up to the next sequence, as hcl's scanner splits them
      const literalStart = this.pos;
      let literal = "";
      lineStart = false;
      for (;;) {
        const code = text.charCodeAt(this.pos);
        if (Number.isNaN(code)) break;
        if (code === 10) {
          literal += "\n";
          this.pos += 1;
          lineStart = true;
          break;
        }
        if ((code === 36 || code === 37) && text.charCodeAt(this.pos + 1) === 123) break;
        if ((code === 36 || code === 37) && text.charCodeAt(this.pos + 1) === code && text.charCodeAt(this.pos + 2) === 123) {
          literal += code === 36 ? "${" : "%{";
          this.pos += 3;
          continue;
        }
        literal += text[this.pos];
        this.pos += 1;
      }
      if (this.pos > literalStart) this.pushLiteral(tokens, literal, literalStart);
      if (!lineStart && !this.atEnd()) this.templateSequence(tokens);
    }
    this.leave();
    if (flushIndent) flushHeredoc(tokens);
    return this.buildTemplate(tokens, start, end, contentStart);
  }

  private pushLiteral(tokens: TemplateToken[], value: string, start: number): void {
    const strip = this.stripNext === tokens.length;
    tokens.push({ kind: "literal", value: strip ? trimLeftSpace(value) : value, start, end: this.pos });
    this.stripNext = -1;
  }

  /** Pairs directives, melds literals and decides between a template and a lone interpolation. */
  private buildTemplate(raw: TemplateToken[], start: number, end: number, contentStart: number): Expr {
    const tokens: TemplateToken[] = [];
    for (const token of raw) {
      const previous = tokens.at(-1);
      if (token.kind === "literal" && previous?.kind === "literal") tokens[tokens.length - 1] = { ...previous, value: previous.value + token.value, end: token.end };
      else tokens.push(token);
    }
    if (tokens.length === 1 && tokens[0]?.kind === "interp") return { kind: "wrap", inner: tokens[0].expr, start, end };
    let index = 0;
    const parseParts = (closers: ReadonlyArray<TemplateToken["kind"]>): { parts: Expr[]; closer: TemplateToken | undefined } => {
      const parts: Expr[] = [];
      while (index < tokens.length) {
        const token = tokens[index] as TemplateToken;
        if (closers.includes(token.kind)) {
          index += 1;
          return { parts, closer: token };
        }
        index += 1;
        switch (token.kind) {
          case "literal":
            parts.push({ kind: "string", value: this.normalizeStrings ? normalize(token.value) : token.value, start: token.start, end: token.end });
            break;
          case "interp":
            parts.push(token.expr);
            break;
          case "if": {
            const whenTrue = parseParts(["else", "endif"]);
            let whenFalse: Expr[] = [];
            if (whenTrue.closer?.kind === "else") whenFalse = parseParts(["endif"]).parts;
            parts.push({
              kind: "conditional",
              condition: token.condition,
              whenTrue: directiveBody(whenTrue.parts),
              whenFalse: directiveBody(whenFalse),
              start: token.condition.start,
              end: token.condition.end,
            });
            break;
          }
          case "for": {
            const body = parseParts(["endfor"]);
            parts.push({ kind: "templateFor", keyVar: token.keyVar, valueVar: token.valueVar, collection: token.collection, body: directiveBody(body.parts), start: 0, end: 0 });
            break;
          }
          default:
            this.fail(`Unexpected ${token.kind} directive: the template's directives are unbalanced`, token.start);
        }
      }
      if (closers.length > 0) this.fail(`Unexpected end of template: a %{${closers.at(-1) as string}} directive is missing`, start);
      return { parts, closer: undefined };
    };
    const { parts } = parseParts([]);
    if (parts.length === 0) parts.push({ kind: "string", value: "", start: contentStart, end: contentStart });
    return { kind: "template", parts, start, end };
  }
}

function directiveBody(parts: Expr[]): Expr {
  const content = parts.length > 0 ? parts : [{ kind: "string" as const, value: "", start: 0, end: 0 }];
  return { kind: "template", parts: content, start: 0, end: 0 };
}

/** `<<-` heredocs: the smallest indentation of the non-blank lines comes off every line. */
function flushHeredoc(tokens: TemplateToken[]): void {
  let minimum = Number.POSITIVE_INFINITY;
  let newline = true;
  const adjust: Array<Extract<TemplateToken, { kind: "literal" }>> = [];
  for (const token of tokens) {
    if (newline) {
      newline = false;
      let spaces = 0;
      if (token.kind === "literal") {
        const trimmed = trimLeftSpace(token.value);
        if (trimmed.length === 0 && token.value.endsWith("\n")) spaces = Number.POSITIVE_INFINITY;
        else {
          spaces = graphemeCount(token.value.slice(0, token.value.length - trimmed.length));
          adjust.push(token);
        }
      }
      minimum = Math.min(minimum, spaces);
    }
    if (token.kind === "literal" && token.value.endsWith("\n")) newline = true;
  }
  if (!Number.isFinite(minimum) || minimum === 0) return;
  for (const token of adjust) {
    let cut = 0;
    for (let count = 0; count < minimum && cut < token.value.length; count += 1) {
      cut += token.value.startsWith("\r\n", cut) ? 2 : (token.value.codePointAt(cut) ?? 0) > 0xffff ? 2 : 1;
    }
    token.value = token.value.slice(cut);
  }
}

function graphemeCount(spaces: string): number {
  let count = 0;
  for (let index = 0; index < spaces.length; index += spaces.startsWith("\r\n", index) ? 2 : 1) count += 1;
  return count;
}

/** cty keeps every string in NFC. */
function normalize(value: string): string {
  // eslint-disable-next-line no-control-regex
  return /[^\x00-\x7f]/.test(value) ? value.normalize("NFC") : value;
}

// ---------------------------------------------------------------------------------------------
// Syntax tree -> JSON text, as hcl2json renders it (JSON.parse builds the objects faster than
// assignments would, and the parse cache stores the text as it is)
// ---------------------------------------------------------------------------------------------

/** Blocks by type, then by each label in turn; the bodies' JSON at the last level. */
type LabelTree = Map<string, LabelTree | string[]>;

class Converter {
  constructor(private readonly parser: Parser) {}

  body(node: BodyNode): string {
    const blocks: LabelTree = new Map();
    for (const block of node.blocks) this.block(block, blocks);
    const entries = new Map<string, string>();
    for (const [type, tree] of blocks) entries.set(type, labelTreeJson(tree));
    for (const { name, value } of node.attributes.values()) entries.set(name, this.expression(value));
    return objectJson(entries);
  }

  private block(block: Block, root: LabelTree): void {
    let out = root;
    let key = block.type;
    for (const label of block.labels) {
      const inner = out.get(key);
      if (inner === undefined) {
        const created: LabelTree = new Map();
        out.set(key, created);
        out = created;
      } else if (Array.isArray(inner)) {
        this.conflict(block);
      } else {
        out = inner;
      }
      key = label;
    }
    const value = this.body(block.body);
    const current = out.get(key);
    if (current === undefined) out.set(key, [value]);
    else if (Array.isArray(current)) current.push(value);
    else this.conflict(block);
  }

  /** `resource "a" {}` beside `resource "a" "b" {}`: hcl2-parser fails on it too (no JSON shape holds both). */
  private conflict(block: Block): never {
    return this.parser.fail(`Unable to convert block ${[block.type, ...block.labels].join(".")}: another ${block.type} block uses the same name with a different number of labels`, block.start, "validate");
  }

  private expression(expr: Expr): string {
    switch (expr.kind) {
      case "literal":
        return typeof expr.value === "number" ? jsonNumber(expr.text) : String(expr.value);
      case "unary":
        return this.unary(expr);
      case "template":
        return JSON.stringify(this.template(expr));
      case "wrap":
        return this.expression(expr.inner);
      case "string":
        return JSON.stringify(expr.value);
      case "tuple":
        return `[${expr.items.map((item) => this.expression(item)).join(",")}]`;
      case "object": {
        const entries = new Map<string, string>();
        for (const { key, value } of expr.items) entries.set(this.key(key), this.expression(value));
        return objectJson(entries);
      }
      default:
        return JSON.stringify(this.wrapSource(expr));
    }
  }

  /** `-1` and `!true` are values; cty negates a number exactly (`-0` stays negative zero). */
  private unary(expr: Extract<Expr, { kind: "unary" }>): string {
    const { operand } = expr;
    if (operand.kind !== "literal") return JSON.stringify(this.wrapSource(expr));
    if (expr.op === "-" && typeof operand.value === "number") return `-${jsonNumber(operand.text)}`;
    if (expr.op === "!" && typeof operand.value === "boolean") return String(!operand.value);
    return this.parser.fail(`Invalid operand: ${expr.op === "-" ? "only a number can be negated" : "only true or false can be inverted with !"}`, expr.start, "validate");
  }

  private template(expr: Extract<Expr, { kind: "template" }>): string {
    const [only] = expr.parts;
    if (expr.parts.length === 1 && only?.kind === "string") return only.value;
    return expr.parts.map((part) => this.stringPart(part)).join("");
  }

  private stringPart(expr: Expr): string {
    switch (expr.kind) {
      case "string":
        return expr.value;
      case "literal":
        if (expr.value === null) return this.parser.fail("Invalid template interpolation value: null cannot be part of a string", expr.start, "validate");
        return typeof expr.value === "number" ? decimalText(expr.text) : String(expr.value);
      case "template":
        return this.template(expr);
      case "wrap":
        return this.stringPart(expr.inner);
      case "conditional": {
        const whenFalse = this.stringPart(expr.whenFalse);
        return `%{if ${this.source(expr.condition)}}${this.stringPart(expr.whenTrue)}${whenFalse ? `%{else}${whenFalse}` : ""}%{endif}`;
      }
      case "templateFor":
        return `%{for ${expr.keyVar ? `${expr.keyVar}, ` : ""}${expr.valueVar} in ${this.source(expr.collection)}}${this.stringPart(expr.body)}%{endfor}`;
      default:
        return this.wrapSource(expr);
    }
  }

  private key(expr: Expr): string {
    // HCL 2.23 reads a bare keyword key as its name (`{ null = 1 }` is the key "null")
    if (expr.kind === "literal" && expr.value === null) return "null";
    return expr.kind === "traversal" ? this.source(expr) : this.stringPart(expr);
  }

  /** hcl2json's rangeSource: the expression's text, and a `)` right after it (a quirk kept for identical output). */
  private source(expr: Expr): string {
    const text = this.parser.text;
    return text.slice(expr.start, text.charCodeAt(expr.end) === 41 ? expr.end + 1 : expr.end);
  }

  private wrapSource(expr: Expr): string {
    return `\${${this.source(expr)}}`;
  }
}

/** An HCL number literal as JSON: the same digits without leading zeros, so JSON.parse rounds it as cty's text would be. */
function jsonNumber(literal: string): string {
  return literal.replace(/^0+(?=[0-9])/, "");
}

/** A number literal as cty writes it as a string: plain decimal, no exponent, no needless zeros. */
function decimalText(literal: string): string {
  const match = /^([0-9]+)(?:\.([0-9]+))?(?:[eE]([+-]?[0-9]+))?$/.exec(literal);
  if (!match) return literal;
  const [, whole = "", fraction = "", exponentText = "0"] = match;
  const exponent = Number(exponentText);
  // cty would write every digit of 1e100000; nothing real needs that, and the text must stay small
  if (Math.abs(exponent) > 1000) return literal;
  const digits = whole + fraction;
  const point = whole.length + exponent;
  const integerPart = point <= 0 ? "0" : digits.slice(0, point).padEnd(point, "0").replace(/^0+(?=.)/, "");
  const fractionPart = (point < 0 ? "0".repeat(-point) + digits : digits.slice(Math.max(point, 0))).replace(/0+$/, "");
  return fractionPart ? `${integerPart}.${fractionPart}` : integerPart;
}

/** Go's encoding/json writes map keys sorted by their UTF-8 bytes, which is code point order. */
function compareKeys(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let index = 0; index < length; index += 1) {
    const left = a.codePointAt(index) as number;
    const right = b.codePointAt(index) as number;
    if (left !== right) return left - right;
    if (left > 0xffff) index += 1;
  }
  return a.length - b.length;
}

function objectJson(entries: Map<string, string>): string {
  const keys = [...entries.keys()];
  if (keys.length > 1) keys.sort(compareKeys);
  return `{${keys.map((key) => `${JSON.stringify(key)}:${entries.get(key) as string}`).join(",")}}`;
}

function labelTreeJson(tree: LabelTree | string[]): string {
  if (Array.isArray(tree)) return `[${tree.join(",")}]`;
  const entries = new Map<string, string>();
  for (const [key, value] of tree) entries.set(key, labelTreeJson(value));
  return objectJson(entries);
}
