/**
 * Terraform's expression language, evaluated as far as the HCL alone allows: literals, `var.` and
 * `local.` (through the caller), operators, conditionals, a few pure functions and `for`
 * expressions over a known empty collection. Anything else (a resource's attribute, `each`,
 * `count.index`, a function not listed) is UNKNOWN, and UNKNOWN spreads the way terraform's
 * unknown values do (`false && x` is still false). The rules use it to tell whether a resource
 * or a module with `count`/`for_each` exists at all.
 */
import { UNKNOWN } from "./resources.js";

/**
 * Finds what `var.name` / `local.name` holds, already evaluated, or what a `dynamic` block's
 * iterator named `name` is bound to (`{ key, value }`); UNKNOWN when it cannot. Terraform's file
 * functions read the committed tree, so they are asked of the lookup too: `path` (`module`,
 * `root`, `cwd`: a directory), `file` (a path: its text) and `fileset` (a JSON `[dir, pattern]`:
 * the matching files, relative to dir) - UNKNOWN where the lookup does not read files.
 */
export type Lookup = (kind: "var" | "local" | "iterator" | "module" | "path" | "file" | "fileset", name: string) => unknown;

type Node =
  | { kind: "value"; value: unknown }
  | { kind: "reference"; root: string; steps: Node[] }
  | { kind: "unary"; op: "!" | "-"; operand: Node }
  | { kind: "binary"; op: string; left: Node; right: Node }
  | { kind: "conditional"; condition: Node; whenTrue: Node; whenFalse: Node }
  | { kind: "call"; name: string; args: Node[]; expand: boolean }
  | { kind: "tuple"; items: Node[] }
  | { kind: "template"; parts: Node[] }
  | { kind: "object"; items: Array<{ key: Node; value: Node }> }
  | { kind: "for"; keyVar: string; valueVar: string; collection: Node; key: Node | undefined; value: Node; group: boolean; condition: Node | undefined }
  | { kind: "traverse"; target: Node; steps: Node[] };

class Unsupported extends Error {}

const PRECEDENCE: Record<string, number> = { "||": 1, "&&": 2, "==": 3, "!=": 3, "<": 4, ">": 4, "<=": 4, ">=": 4, "+": 5, "-": 5, "*": 6, "/": 6, "%": 6 };
const OPERATORS = ["||", "&&", "==", "!=", "<=", ">=", "<", ">", "+", "-", "*", "/", "%"];
const IDENTIFIER = /[A-Za-z_][\w-]*/y;
const NUMBER = /[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;

/** Parses one expression's source (the text inside `${...}`); throws Unsupported on anything it does not read. */
class ExpressionParser {
  private pos = 0;
  constructor(private readonly text: string) {}

  parse(): Node {
    const node = this.expression();
    this.blank();
    if (this.pos !== this.text.length) throw new Unsupported();
    return node;
  }

  private blank(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos] as string)) this.pos += 1;
  }

  private peek(literal: string): boolean {
    this.blank();
    return this.text.startsWith(literal, this.pos);
  }

  private take(literal: string): void {
    if (!this.peek(literal)) throw new Unsupported();
    this.pos += literal.length;
  }

  private name(): string {
    this.blank();
    IDENTIFIER.lastIndex = this.pos;
    const match = IDENTIFIER.exec(this.text);
    if (!match) throw new Unsupported();
    this.pos += match[0].length;
    return match[0];
  }

  private atWord(word: string): boolean {
    if (!this.peek(word)) return false;
    IDENTIFIER.lastIndex = this.pos;
    return IDENTIFIER.exec(this.text)?.[0] === word;
  }

  expression(): Node {
    const condition = this.binary(0);
    if (!this.peek("?")) return condition;
    this.pos += 1;
    const whenTrue = this.expression();
    this.take(":");
    const whenFalse = this.expression();
    return { kind: "conditional", condition, whenTrue, whenFalse };
  }

  private binary(minimum: number): Node {
    let left = this.unary();
    for (;;) {
      this.blank();
      const op = OPERATORS.find((candidate) => this.text.startsWith(candidate, this.pos));
      if (!op) return left;
      const precedence = PRECEDENCE[op] as number;
      if (precedence <= minimum) return left;
      this.pos += op.length;
      left = { kind: "binary", op, left, right: this.binary(precedence) };
    }
  }

  private unary(): Node {
    if (this.peek("!") && !this.peek("!=")) {
      this.pos += 1;
      return { kind: "unary", op: "!", operand: this.unary() };
    }
    if (this.peek("-")) {
      this.pos += 1;
      return { kind: "unary", op: "-", operand: this.unary() };
    }
    return this.postfix(this.term());
  }

  private postfix(term: Node): Node {
    const steps: Node[] = [];
    for (;;) {
      if (this.peek(".") && !this.peek("...")) {
        this.pos += 1;
        if (this.peek("*")) throw new Unsupported();
        this.blank();
        NUMBER.lastIndex = this.pos;
        const index = /[0-9]/.test(this.text[this.pos] ?? "") ? NUMBER.exec(this.text)?.[0] : undefined;
        if (index !== undefined) {
          this.pos += index.length;
          steps.push({ kind: "value", value: Number(index) });
        } else steps.push({ kind: "value", value: this.name() });
      } else if (this.peek("[")) {
        this.pos += 1;
        if (this.peek("*")) throw new Unsupported();
        steps.push(this.expression());
        this.take("]");
      } else break;
    }
    if (steps.length === 0) return term;
    if (term.kind === "reference") return { ...term, steps: [...term.steps, ...steps] };
    return { kind: "traverse", target: term, steps };
  }

  private term(): Node {
    this.blank();
    const code = this.text[this.pos] ?? "";
    if (/[0-9]/.test(code)) {
      NUMBER.lastIndex = this.pos;
      const text = (NUMBER.exec(this.text) as RegExpExecArray)[0];
      this.pos += text.length;
      return { kind: "value", value: Number(text) };
    }
    if (code === '"') return this.quoted();
    if (code === "(") {
      this.pos += 1;
      const inner = this.expression();
      this.take(")");
      return inner;
    }
    if (code === "[") return this.tuple();
    if (code === "{") return this.object();
    const name = this.name();
    if (name === "true" || name === "false") return { kind: "value", value: name === "true" };
    if (name === "null") return { kind: "value", value: null };
    if (this.peek("::")) throw new Unsupported();
    if (this.peek("(")) return this.call(name);
    return { kind: "reference", root: name, steps: [] };
  }

  /** A quoted string; with interpolations a template of its parts (directives are unsupported). */
  private quoted(): Node {
    let value = "";
    const parts: Node[] = [];
    this.pos += 1;
    for (;;) {
      const char = this.text[this.pos];
      if (char === undefined) throw new Unsupported();
      if (char === '"') break;
      if (char === "%" && this.text[this.pos + 1] === "{") throw new Unsupported();
      if (char === "$" && this.text[this.pos + 1] === "{") {
        const close = closingBrace(this.text, this.pos + 2);
        if (close === -1) throw new Unsupported();
        parts.push({ kind: "value", value }, new ExpressionParser(this.text.slice(this.pos + 2, close)).parse());
        value = "";
        this.pos = close + 1;
        continue;
      }
      if (char === "\\") {
        const next = this.text[this.pos + 1];
        const escapes: Record<string, string> = { n: "\n", t: "\t", r: "\r", '"': '"', "\\": "\\" };
        if (next === undefined || !(next in escapes)) throw new Unsupported();
        value += escapes[next] as string;
        this.pos += 2;
        continue;
      }
      value += char;
      this.pos += 1;
    }
    this.pos += 1;
    if (parts.length === 0) return { kind: "value", value };
    parts.push({ kind: "value", value });
    return { kind: "template", parts };
  }

  private call(name: string): Node {
    this.take("(");
    const args: Node[] = [];
    let expand = false;
    while (!this.peek(")")) {
      args.push(this.expression());
      if (this.peek("...")) {
        this.pos += 3;
        expand = true;
      }
      if (this.peek(",")) this.pos += 1;
      else if (!this.peek(")")) throw new Unsupported();
    }
    this.pos += 1;
    return { kind: "call", name, args, expand };
  }

  private tuple(): Node {
    this.pos += 1;
    if (this.atWord("for")) return this.forExpression("]");
    const items: Node[] = [];
    while (!this.peek("]")) {
      items.push(this.expression());
      if (this.peek(",")) this.pos += 1;
      else if (!this.peek("]")) throw new Unsupported();
    }
    this.pos += 1;
    return { kind: "tuple", items };
  }

  private object(): Node {
    this.pos += 1;
    if (this.atWord("for")) return this.forExpression("}");
    const items: Array<{ key: Node; value: Node }> = [];
    while (!this.peek("}")) {
      const key = this.expression();
      if (this.peek("=") || this.peek(":")) this.pos += 1;
      else throw new Unsupported();
      items.push({ key: key.kind === "reference" && key.steps.length === 0 ? { kind: "value", value: key.root } : key, value: this.expression() });
      if (this.peek(",")) this.pos += 1;
    }
    this.pos += 1;
    return { kind: "object", items };
  }

  /** `[for k, v in coll : value if cond]`, `{for k, v in coll : key => value... if cond}`; the cursor is at `for`. */
  private forExpression(close: "]" | "}"): Node {
    this.pos += 3;
    let keyVar = "";
    let valueVar = this.name();
    if (this.peek(",")) {
      this.pos += 1;
      keyVar = valueVar;
      valueVar = this.name();
    }
    if (!this.atWord("in")) throw new Unsupported();
    this.pos += 2;
    const collection = this.expression();
    this.take(":");
    let key: Node | undefined;
    let value = this.expression();
    let group = false;
    if (close === "}") {
      key = value;
      this.take("=>");
      value = this.expression();
      if (this.peek("...")) {
        this.pos += 3;
        group = true;
      }
    }
    let condition: Node | undefined;
    if (this.atWord("if")) {
      this.pos += 2;
      condition = this.expression();
    }
    this.take(close);
    return { kind: "for", keyVar, valueVar, collection, key, value, group, condition };
  }
}

/** Parsed expressions by source: every instance of a module asks for the same ones. */
const parsed = new Map<string, Node | null>();

function parseSource(source: string): Node | null {
  let node = parsed.get(source);
  if (node === undefined) {
    try {
      node = new ExpressionParser(source).parse();
    } catch (error) {
      if (!(error instanceof Unsupported)) throw error;
      node = null;
    }
    parsed.set(source, node);
  }
  return node;
}

/** The text inside `${...}` when the whole string is one interpolation, else undefined. */
export function interpolationSource(value: string): string | undefined {
  if (!value.startsWith("${") || !value.endsWith("}")) return undefined;
  // "${a}-${b}" also starts and ends so: a template, not one expression
  return closingBrace(value, 2) === value.length - 1 ? value.slice(2, -1) : undefined;
}

/**
 * The value of an HCL JSON value: literals as they are, a whole `${...}` expression evaluated,
 * a template with interpolations UNKNOWN. Collections keep their items as written (evaluated
 * only when an operation needs them).
 */
export function evaluateValue(value: unknown, lookup: Lookup): unknown {
  if (typeof value !== "string" || !value.includes("${")) return value;
  const source = interpolationSource(value);
  if (source === undefined) return evaluateTemplate(value, lookup);
  const node = parseSource(source);
  return node ? evaluate(node, lookup) : UNKNOWN;
}

/** `"/aws/eks/${var.name}/cluster"`: known when every interpolation is a known string, number or bool. */
function evaluateTemplate(template: string, lookup: Lookup): unknown {
  if (template.includes("%{")) return UNKNOWN;
  let result = "";
  let index = 0;
  for (let open = template.indexOf("${"); open !== -1; open = template.indexOf("${", index)) {
    const close = closingBrace(template, open + 2);
    if (close === -1) return UNKNOWN;
    const node = parseSource(template.slice(open + 2, close));
    const part = node ? evaluate(node, lookup) : UNKNOWN;
    if (typeof part !== "string" && typeof part !== "number" && typeof part !== "boolean") return UNKNOWN;
    result += template.slice(index, open) + String(part);
    index = close + 1;
  }
  return result + template.slice(index);
}

/** The brace that closes an interpolation opened before `from`, over nested braces and strings. */
function closingBrace(text: string, from: number): number {
  let depth = 0;
  for (let index = from; index < text.length; index += 1) {
    const char = text[index];
    if (char === '"') {
      for (index += 1; index < text.length && text[index] !== '"'; index += text[index] === "\\" ? 2 : 1);
    } else if (char === "{") depth += 1;
    else if (char === "}") {
      if (depth === 0) return index;
      depth -= 1;
    }
  }
  return -1;
}

/** evaluateValue through collections too: what a variable or local holds, as the place that wrote it sees it. */
export function evaluateDeep(value: unknown, lookup: Lookup): unknown {
  return evaluateCollections(value, lookup, false);
}

/** Like evaluateDeep, but an expression it cannot know keeps its text (where references are still read from). */
export function evaluatePartly(value: unknown, lookup: Lookup): unknown {
  return evaluateCollections(value, lookup, true);
}

function evaluateCollections(value: unknown, lookup: Lookup, keepUnknownText: boolean): unknown {
  if (Array.isArray(value)) return value.map((item) => evaluateCollections(item, lookup, keepUnknownText));
  if (typeof value === "object" && value !== null) {
    const object: Record<string, unknown> = {};
    for (const key in value) object[key] = evaluateCollections((value as Record<string, unknown>)[key], lookup, keepUnknownText);
    return object;
  }
  const evaluated = evaluateValue(value, lookup);
  if (evaluated === value || (keepUnknownText && evaluated === UNKNOWN)) return value;
  return evaluateCollections(evaluated, lookup, false);
}

function evaluate(node: Node, lookup: Lookup): unknown {
  switch (node.kind) {
    case "value":
      return node.value;
    case "reference": {
      if (node.root === "module") {
        // module.NAME.OUTPUT: the child's output, as the child evaluates it
        const [child, output] = node.steps.slice(0, 2).map((step) => evaluate(step, lookup));
        if (typeof child !== "string" || typeof output !== "string") return UNKNOWN;
        return traverse(lookup("module", `${child}.${output}`), node.steps.slice(2), lookup);
      }
      if (node.root === "path" && node.steps.length > 0) {
        // path.module, unless a for expression's iterator is named path
        const bound = lookup("iterator", "path");
        if (bound !== UNKNOWN) return traverse(bound, node.steps, lookup);
        const which = evaluate(node.steps[0] as Node, lookup);
        return typeof which === "string" ? traverse(lookup("path", which), node.steps.slice(1), lookup) : UNKNOWN;
      }
      if (node.root !== "var" && node.root !== "local") return traverse(lookup("iterator", node.root), node.steps, lookup);
      if (node.steps.length === 0) return UNKNOWN;
      const [first, ...rest] = node.steps;
      const name = evaluate(first as Node, lookup);
      if (typeof name !== "string") return UNKNOWN;
      return traverse(lookup(node.root, name), rest, lookup);
    }
    case "traverse":
      return traverse(evaluate(node.target, lookup), node.steps, lookup);
    case "unary": {
      const operand = evaluate(node.operand, lookup);
      if (node.op === "!") return typeof operand === "boolean" ? !operand : UNKNOWN;
      return typeof operand === "number" ? -operand : UNKNOWN;
    }
    case "binary":
      return binary(node.op, node.left, node.right, lookup);
    case "conditional": {
      const condition = evaluate(node.condition, lookup);
      if (condition === true) return evaluate(node.whenTrue, lookup);
      if (condition === false) return evaluate(node.whenFalse, lookup);
      const whenTrue = evaluate(node.whenTrue, lookup);
      // unknown condition: known only where both results are the same number, bool or string
      return whenTrue !== UNKNOWN && typeof whenTrue !== "object" && whenTrue === evaluate(node.whenFalse, lookup) ? whenTrue : UNKNOWN;
    }
    case "call":
      return node.expand ? UNKNOWN : call(node.name, node.args, lookup);
    case "tuple":
      return node.items.map((item) => evaluate(item, lookup));
    case "template": {
      let text = "";
      for (const part of node.parts) {
        const value = evaluate(part, lookup);
        if (typeof value !== "string" && typeof value !== "number" && typeof value !== "boolean") return UNKNOWN;
        text += String(value);
      }
      return text;
    }
    case "object": {
      const object: Record<string, unknown> = {};
      for (const { key, value } of node.items) {
        const name = evaluate(key, lookup);
        if (typeof name !== "string") return UNKNOWN;
        object[name] = evaluate(value, lookup);
      }
      return object;
    }
    case "for":
      return evaluateFor(node, lookup);
  }
}

/** A value read from HCL may itself be an expression (a local's or a default's text). */
function settle(value: unknown, lookup: Lookup): unknown {
  return evaluateValue(value, lookup);
}

function traverse(start: unknown, steps: readonly Node[], lookup: Lookup): unknown {
  let value = settle(start, lookup);
  for (const step of steps) {
    if (value === UNKNOWN) return UNKNOWN;
    const key = evaluate(step, lookup);
    if (Array.isArray(value) && typeof key === "number") value = settle(value[key], lookup);
    else if (typeof value === "object" && value !== null && !Array.isArray(value) && typeof key === "string") {
      if (!(key in value)) return UNKNOWN;
      value = settle((value as Record<string, unknown>)[key], lookup);
    } else return UNKNOWN;
    if (value === undefined) return UNKNOWN;
  }
  return value;
}

function binary(op: string, leftNode: Node, rightNode: Node, lookup: Lookup): unknown {
  const left = evaluate(leftNode, lookup);
  if (op === "&&" && left === false) return false;
  if (op === "||" && left === true) return true;
  const right = evaluate(rightNode, lookup);
  if (op === "&&" || op === "||") {
    if (right === (op === "||")) return right; // x || true, x && false
    return typeof left === "boolean" && typeof right === "boolean" ? (op === "&&" ? left && right : left || right) : UNKNOWN;
  }
  if (left === UNKNOWN || right === UNKNOWN) return UNKNOWN;
  if (op === "==" || op === "!=") {
    if (typeof left === "object" || typeof right === "object") return left === null && right === null ? op === "==" : left === null || right === null ? op === "!=" : UNKNOWN;
    return (left === right) === (op === "==");
  }
  if (typeof left !== "number" || typeof right !== "number") return UNKNOWN;
  switch (op) {
    case "<":
      return left < right;
    case ">":
      return left > right;
    case "<=":
      return left <= right;
    case ">=":
      return left >= right;
    case "+":
      return left + right;
    case "-":
      return left - right;
    case "*":
      return left * right;
    case "/":
      return right === 0 ? UNKNOWN : left / right;
    default:
      return right === 0 ? UNKNOWN : left % right;
  }
}

/** A for expression over a known collection: every element's result, or UNKNOWN where a key or a condition is. */
function evaluateFor(node: Extract<Node, { kind: "for" }>, lookup: Lookup): unknown {
  const collection = settle(evaluate(node.collection, lookup), lookup);
  let elements: Array<[unknown, unknown]>;
  if (Array.isArray(collection)) elements = collection.map((item, index) => [index, item]);
  else if (typeof collection === "object" && collection !== null) elements = Object.keys(collection).sort().map((key) => [key, (collection as Record<string, unknown>)[key]]);
  else return UNKNOWN;
  const tuple: unknown[] = [];
  const object: Record<string, unknown> = {};
  for (const [key, value] of elements) {
    const scope: Lookup = (kind, name) => (kind === "iterator" && name === node.valueVar ? value : kind === "iterator" && name === node.keyVar ? key : lookup(kind, name));
    if (node.condition) {
      const keep = evaluate(node.condition, scope);
      if (keep === false) continue;
      if (keep !== true) return UNKNOWN;
    }
    const result = evaluate(node.value, scope);
    if (!node.key) {
      tuple.push(result);
      continue;
    }
    const name = evaluate(node.key, scope);
    if (typeof name !== "string" && typeof name !== "number") return UNKNOWN;
    if (node.group) ((object[String(name)] ??= []) as unknown[]).push(result);
    else object[String(name)] = result;
  }
  return node.key ? object : tuple;
}

/** The pure functions whose results decide whether things exist in real modules; any other is UNKNOWN. */
function call(name: string, argNodes: readonly Node[], lookup: Lookup): unknown {
  if (name === "try") {
    // try(a, b): the first that evaluates; a reference HCL cannot follow might succeed in terraform
    const first = argNodes[0] ? evaluate(argNodes[0], lookup) : UNKNOWN;
    return first;
  }
  const args = argNodes.map((node) => settle(evaluate(node, lookup), lookup));
  if (args.some((arg) => arg === UNKNOWN)) {
    if (name === "coalesce") return coalesceKnown(args);
    return UNKNOWN;
  }
  const [a, b, c] = args;
  switch (name) {
    case "length":
      if (typeof a === "string") return [...a].length;
      if (Array.isArray(a)) return a.length;
      return typeof a === "object" && a !== null ? Object.keys(a).length : UNKNOWN;
    case "max":
    case "min":
      return args.length > 0 && args.every((arg) => typeof arg === "number") ? Math[name](...(args as number[])) : UNKNOWN;
    case "keys":
      return typeof a === "object" && a !== null && !Array.isArray(a) ? Object.keys(a).sort() : UNKNOWN;
    case "values":
      return typeof a === "object" && a !== null && !Array.isArray(a) ? Object.keys(a).sort().map((key) => (a as Record<string, unknown>)[key]) : UNKNOWN;
    case "concat":
      return args.every(Array.isArray) ? (args as unknown[][]).flat() : UNKNOWN;
    case "merge":
      return args.every((arg) => arg === null || (typeof arg === "object" && !Array.isArray(arg))) ? Object.assign({}, ...args) : UNKNOWN;
    case "coalesce":
      return coalesceKnown(args);
    case "contains":
      return Array.isArray(a) && typeof b !== "object" ? a.includes(b) : UNKNOWN;
    case "lookup":
      if (typeof a !== "object" || a === null || Array.isArray(a) || typeof b !== "string") return UNKNOWN;
      return b in a ? settle((a as Record<string, unknown>)[b], lookup) : args.length > 2 ? c : UNKNOWN;
    case "compact":
      return Array.isArray(a) ? a.filter((item) => item !== null && item !== "") : UNKNOWN;
    case "tobool":
      return typeof a === "boolean" || a === null ? a : a === "true" ? true : a === "false" ? false : UNKNOWN;
    case "tonumber":
      return typeof a === "number" || a === null ? a : typeof a === "string" && a.trim() !== "" && Number.isFinite(Number(a)) ? Number(a) : UNKNOWN;
    case "tostring":
      return typeof a === "string" || a === null ? a : typeof a === "number" || typeof a === "boolean" ? String(a) : UNKNOWN;
    case "tolist":
    case "toset":
      return Array.isArray(a) ? a : UNKNOWN;
    case "tomap":
      return typeof a === "object" && a !== null && !Array.isArray(a) ? a : UNKNOWN;
    case "jsonencode":
      return args.length === 1 && isWhollyKnown(a) ? JSON.stringify(a, sortedKeys) : UNKNOWN;
    case "dirname":
      return typeof a === "string" ? (a.includes("/") ? a.slice(0, a.lastIndexOf("/")) || "/" : ".") : UNKNOWN;
    case "trimspace":
      return typeof a === "string" ? a.trim() : UNKNOWN;
    case "basename":
      return typeof a === "string" ? a.slice(a.lastIndexOf("/") + 1) : UNKNOWN;
    case "regex":
      return typeof a === "string" && typeof b === "string" ? regexMatch(a, b) : UNKNOWN;
    case "file":
      return typeof a === "string" ? lookup("file", a) : UNKNOWN;
    case "fileset":
      return typeof a === "string" && typeof b === "string" ? lookup("fileset", JSON.stringify([a, b])) : UNKNOWN;
    default:
      return UNKNOWN;
  }
}

/**
 * terraform's regex(pattern, string): the match, the list of its captures, or an object of its
 * named captures. RE2 and JavaScript agree on the patterns configurations use; a leading flag
 * group (`(?m)`) becomes JavaScript's flags, and a pattern JavaScript cannot read, or no match
 * (an error in terraform), is UNKNOWN.
 */
function regexMatch(pattern: string, text: string): unknown {
  const flagged = /^\(\?([ims]+)\)/.exec(pattern);
  let expression: RegExp;
  try {
    expression = new RegExp((flagged ? pattern.slice(flagged[0].length) : pattern).replaceAll("(?P<", "(?<"), `u${flagged?.[1] ?? ""}`);
  } catch {
    return UNKNOWN;
  }
  const match = expression.exec(text);
  if (!match) return UNKNOWN;
  if (match.groups) return { ...match.groups };
  return match.length > 1 ? match.slice(1).map((group) => group ?? null) : match[0];
}

function isWhollyKnown(value: unknown): boolean {
  if (value === UNKNOWN) return false;
  if (Array.isArray(value)) return value.every(isWhollyKnown);
  if (typeof value === "object" && value !== null) return Object.values(value).every(isWhollyKnown);
  return true;
}

/** terraform's jsonencode writes object keys sorted. */
function sortedKeys(_key: string, value: unknown): unknown {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return value;
  return Object.fromEntries(Object.keys(value).sort().map((key) => [key, (value as Record<string, unknown>)[key]]));
}

/** coalesce: the first argument neither null nor "", as long as nothing before it is unknown. */
function coalesceKnown(args: readonly unknown[]): unknown {
  for (const arg of args) {
    if (arg === UNKNOWN) return UNKNOWN;
    if (arg !== null && arg !== "") return arg;
  }
  return UNKNOWN;
}

/**
 * A variable's value as a module sees it: `optional(type, default)` attributes of its type
 * constraint that the caller left out (or set to null) take their defaults, at any depth
 * (`list(object({...}))`, `map(object({...}))`). Values and types HCL cannot read pass unchanged.
 */
export function applyTypeDefaults(value: unknown, type: unknown, lookup: Lookup): unknown {
  if (typeof type !== "string" || value === UNKNOWN) return value;
  const source = interpolationSource(type);
  const node = source === undefined ? null : parseSource(source);
  return node ? withDefaults(value, node, lookup) : value;
}

function withDefaults(value: unknown, type: Node, lookup: Lookup): unknown {
  if (type.kind !== "call" || value === null || value === UNKNOWN) return value;
  const [inner] = type.args;
  if (type.name === "optional") return inner ? withDefaults(value, inner, lookup) : value;
  if ((type.name === "list" || type.name === "set") && inner && Array.isArray(value)) return value.map((item) => withDefaults(item, inner, lookup));
  if (type.name === "map" && inner && isObject(value)) return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, withDefaults(item, inner, lookup)]));
  if (type.name !== "object" || !inner || inner.kind !== "object" || !isObject(value)) return value;
  const result: Record<string, unknown> = { ...value };
  for (const { key, value: attributeType } of inner.items) {
    const name = key.kind === "value" ? key.value : undefined;
    if (typeof name !== "string") continue;
    const given = result[name];
    if (attributeType.kind === "call" && attributeType.name === "optional") {
      const [optionalType, fallback] = attributeType.args;
      if (given === undefined || given === null) {
        // an optional attribute without a default is null; with one, the default (itself given defaults)
        result[name] = fallback ? withDefaults(evaluate(fallback, lookup), optionalType ?? fallback, lookup) : null;
        continue;
      }
    }
    if (given !== undefined) result[name] = withDefaults(given, attributeType, lookup);
  }
  return result;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
