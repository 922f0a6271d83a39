import type { Change } from "./plan-json.js";
import { stringifyJson } from "./json-text.js";
import { REDACTED, UNKNOWN } from "./placeholders.js";

/**
 * One line of what changes inside a resource: a leaf `path: before -> after`, values already
 * masked and swept; or, on a list, how many of its elements stay unchanged, or an element that
 * stays but moves. A create has `after` only, a destroy `before` only.
 */
export interface AttributeChange {
  /** Flattened: `tags.Name`, `ingress[0].cidr_blocks[1]`, `labels["app.kubernetes.io/name"]`. */
  path: string;
  /** Absent when the attribute is new (or null before). */
  before?: string;
  /** Absent when the attribute goes away (or becomes null). */
  after?: string;
  /** Terraform lists this path (or one containing it) in replace_paths. */
  forcesReplacement?: true;
  /**
   * On a list: how many of its elements are the same before and after and keep their order
   * (terraform's "N unchanged elements hidden"); the entry has no `before`/`after`.
   */
  unchanged?: number;
  /**
   * On a list element (path at its old index) that is unchanged but stands elsewhere: the path at
   * its new index. `before` and `after` both hold its value.
   */
  movedTo?: string;
}

/** How values are made safe to show: the redaction's sweep. */
export interface ValueSweep {
  sweepValue(text: string): string;
  isSecretNumber(value: number): boolean;
}

const ABSENT = Symbol("absent");

/** A pair of values still to compare (a container on at least one side). */
class Node {
  constructor(
    readonly path: string,
    readonly before: unknown,
    readonly after: unknown,
    readonly beforeSensitive: unknown,
    readonly afterSensitive: unknown,
    readonly unknown: unknown,
  ) {}
}

/** A work item of the walk: a pair of containers to compare, or a line already decided. */
type Frame = Node | AttributeChange;

/** What the walk of one change needs besides the values. */
interface WalkContext {
  sweep: ValueSweep;
  replacePaths: readonly string[];
  paths: PathTable;
}

/**
 * One copy of each attribute path across a plan's resources: a plan of thousands of resources of
 * a few types repeats the same few hundred paths, and every create now lists all of its own.
 */
export class PathTable {
  private readonly table = new Map<string, string>();
  constructor(private readonly limit = 100_000) {}

  of(path: string): string {
    const known = this.table.get(path);
    if (known !== undefined) return known;
    if (this.table.size < this.limit) this.table.set(path, path);
    return path;
  }
}

/**
 * Every leaf that differs between `before` and `after`, in document order; for a create or a
 * destroy (one side null) every leaf of the other side, nulls left out as terraform leaves them
 * out of a resource. Lists are compared element by element as terraform's renderer does
 * (see listFrames). Walks with an explicit stack: values from `jsondecode` nest as deep as memory
 * allows. Only containers become work items: a leaf is decided where it is met, and one that does
 * not change allocates nothing.
 */
export function attributeChanges(change: Change, sweep: ValueSweep, paths: PathTable = new PathTable()): AttributeChange[] {
  const changes: AttributeChange[] = [];
  const context: WalkContext = { sweep, replacePaths: (change.replace_paths ?? []).map(formatAttributePath), paths };
  const root = frameFor("", change.before ?? ABSENT, change.after ?? ABSENT, change.before_sensitive, change.after_sensitive, change.after_unknown, context);
  const stack: Frame[] = root ? [root] : [];
  for (let frame = stack.pop(); frame; frame = stack.pop()) {
    if (!(frame instanceof Node)) {
      changes.push(frame);
      continue;
    }
    const { path, before, after, unknown } = frame;
    if (Array.isArray(before) && Array.isArray(after)) {
      const frames = listFrames(frame, before, after, context);
      for (let i = frames.length - 1; i >= 0; i -= 1) stack.push(frames[i] as Frame);
      continue;
    }
    const keys = unionKeys(before, after, unknown);
    for (let i = keys.length - 1; i >= 0; i -= 1) {
      const key = keys[i] as string | number;
      const child = childFrame(frame, key, key, path + formatSegment(key, path === ""), context);
      if (child) stack.push(child);
    }
  }
  // Grown by push, the list has room for up to half as many again; a summary keeps one per
  // resource for as long as it is rendered, so it keeps an exact copy (this one dies young).
  return changes.slice();
}

/**
 * What one pair of values becomes: a Node when there is more to walk (containers of one kind, or
 * one container against nothing), the line it shows when it is a leaf that changes, or undefined.
 */
function frameFor(path: string, before: unknown, after: unknown, beforeSensitive: unknown, afterSensitive: unknown, unknown: unknown, context: WalkContext): Frame | undefined {
  const { sweep } = context;
  if (unknown === true) return entryFor(path, shown(before, beforeSensitive === true, sweep, { keys: true }), UNKNOWN, context);
  if (beforeSensitive === true || afterSensitive === true) {
    if (beforeSensitive === afterSensitive && deepEqual(before, after)) return undefined;
    return entryFor(path, shown(before, beforeSensitive === true, sweep), shown(after, afterSensitive === true, sweep), context);
  }
  const beforeContainer = isContainer(before);
  const afterContainer = isContainer(after);
  if (beforeContainer || afterContainer || isContainer(unknown)) {
    const sameKind = beforeContainer && afterContainer && Array.isArray(before) === Array.isArray(after);
    const oneSided = (children(before) && (after === ABSENT || after === null)) || (children(after) && (before === ABSENT || before === null));
    if (sameKind ? !isEmptyContainer(before) || !isEmptyContainer(after) : oneSided || children(unknown)) {
      return new Node(path, before, after, beforeSensitive, afterSensitive, unknown);
    }
  }
  if (deepEqual(before, after)) return undefined;
  return entryFor(path, shown(before, false, sweep), shown(after, false, sweep), context);
}

function entryFor(path: string, beforeText: string | undefined, afterText: string | undefined, context: WalkContext): AttributeChange | undefined {
  if (beforeText === undefined && afterText === undefined) return undefined;
  const shownPath = path ? context.paths.of(path) : "(whole value)";
  // Each shape made whole in one literal: an object given a property later takes more memory.
  const entry: AttributeChange =
    beforeText === undefined ? { path: shownPath, after: afterText as string } : afterText === undefined ? { path: shownPath, before: beforeText } : { path: shownPath, before: beforeText, after: afterText };
  if (context.replacePaths.length > 0 && context.replacePaths.some((replacePath) => covers(replacePath, path))) entry.forcesReplacement = true;
  return entry;
}

/** The child of `parent` at `beforeKey` / `afterKey` (null: that side has none), as frameFor makes it. */
function childFrame(parent: Node, beforeKey: string | number | null, afterKey: string | number | null, path: string, context: WalkContext): Frame | undefined {
  return frameFor(
    path,
    beforeKey === null ? ABSENT : childOf(parent.before, beforeKey),
    afterKey === null ? ABSENT : childOf(parent.after, afterKey),
    beforeKey === null ? undefined : childOf(parent.beforeSensitive, beforeKey, undefined),
    afterKey === null ? undefined : childOf(parent.afterSensitive, afterKey, undefined),
    afterKey === null ? undefined : childOf(parent.unknown, afterKey, undefined),
    context,
  );
}

/** Lists whose middle (past the common start and end) has more pairs than this are matched greedily, not by LCS. */
const LCS_CELL_LIMIT = 4_000_000;

/**
 * A list's elements as terraform's renderer pairs them (collections.ProcessSlice): the longest
 * common subsequence of whole elements is unchanged (counted, not listed); between two of its
 * elements, an object removed and an object added at the same step are one element that changes
 * (compared key by key), every other element is removed or added. An element removed at one index
 * and added unchanged at another is reported once, as moved: a set (whose order terraform
 * chooses) or a reordered list then shows no removal of an element that stays.
 */
function listFrames(node: Node, before: readonly unknown[], after: readonly unknown[], context: WalkContext): Frame[] {
  const beforeKeys = before.map((value) => elementKey(value, undefined));
  const afterKeys = after.map((value, index) => elementKey(value, childOf(node.unknown, index, undefined)));
  const matches = commonSubsequence(beforeKeys, afterKeys);
  const removed: number[] = [];
  const added: number[] = [];
  const ops: Array<{ kind: "remove" | "add" | "pair" | "move"; before: number; after: number }> = [];
  let beforeAt = 0;
  let afterAt = 0;
  for (let m = 0; m <= matches.length; m += 1) {
    const [beforeEnd, afterEnd] = m < matches.length ? (matches[m] as [number, number]) : [before.length, after.length];
    for (; beforeAt < beforeEnd; beforeAt += 1) {
      if (isObject(before[beforeAt]) && afterAt < afterEnd && isObject(after[afterAt])) {
        ops.push({ kind: "pair", before: beforeAt, after: afterAt });
        afterAt += 1;
      } else {
        removed.push(ops.length);
        ops.push({ kind: "remove", before: beforeAt, after: -1 });
      }
    }
    for (; afterAt < afterEnd; afterAt += 1) {
      added.push(ops.length);
      ops.push({ kind: "add", before: -1, after: afterAt });
    }
    beforeAt += 1;
    afterAt += 1;
  }
  if (ops.length === 0) return [];
  // An element removed here and added there, equal, is a move.
  const addedByKey = new Map<string, number[]>();
  for (const opIndex of added) {
    const key = afterKeys[(ops[opIndex] as { after: number }).after];
    if (key === undefined) continue;
    const list = addedByKey.get(key);
    if (list) list.push(opIndex);
    else addedByKey.set(key, [opIndex]);
  }
  const dropped = new Set<number>();
  for (const opIndex of removed) {
    const op = ops[opIndex] as { kind: string; before: number; after: number };
    const key = beforeKeys[op.before];
    const candidates = key === undefined ? undefined : addedByKey.get(key);
    const addOp = candidates?.shift();
    if (addOp === undefined) continue;
    op.kind = "move";
    op.after = (ops[addOp] as { after: number }).after;
    dropped.add(addOp);
  }
  const frames: Frame[] = [];
  if (matches.length > 0) frames.push({ path: node.path || "(whole value)", unchanged: matches.length });
  const at = (index: number) => node.path + formatSegment(index, node.path === "");
  ops.forEach((op, opIndex) => {
    if (dropped.has(opIndex)) return;
    let frame: Frame | undefined;
    switch (op.kind) {
      case "remove":
        frame = childFrame(node, op.before, null, at(op.before), context);
        break;
      case "add":
        frame = childFrame(node, null, op.after, at(op.after), context);
        break;
      case "pair":
        frame = childFrame(node, op.before, op.after, at(op.before), context);
        break;
      case "move": {
        const value = shown(before[op.before], childOf(node.beforeSensitive, op.before, undefined) === true, context.sweep, { keys: true }) ?? "null";
        frame = { path: at(op.before), before: value, after: value, movedTo: at(op.after) };
        break;
      }
    }
    if (frame) frames.push(frame);
  });
  return frames;
}

/** What makes two elements equal: their JSON; an element holding an unknown value equals nothing. */
function elementKey(value: unknown, unknown: unknown): string | undefined {
  if (holdsTrue(unknown)) return undefined;
  return typeof value === "string" ? `s${value}` : `j${stringifyJson(value)}`;
}

function holdsTrue(mask: unknown): boolean {
  if (mask === true) return true;
  if (!isContainer(mask)) return false;
  const stack: unknown[] = [mask];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    if (item === true) return true;
    if (isContainer(item)) for (const child of Object.values(item)) stack.push(child);
  }
  return false;
}

/**
 * Index pairs of a longest common subsequence (by key; undefined keys match nothing), in order.
 * The common start and end are matched first; the middle by the classic table when it is small
 * enough, else greedily (each element to the next equal one), which still finds every element
 * that stays in place.
 */
function commonSubsequence(before: ReadonlyArray<string | undefined>, after: ReadonlyArray<string | undefined>): Array<[number, number]> {
  const same = (i: number, j: number) => before[i] !== undefined && before[i] === after[j];
  let start = 0;
  while (start < before.length && start < after.length && same(start, start)) start += 1;
  let endBefore = before.length;
  let endAfter = after.length;
  while (endBefore > start && endAfter > start && same(endBefore - 1, endAfter - 1)) {
    endBefore -= 1;
    endAfter -= 1;
  }
  const pairs: Array<[number, number]> = [];
  for (let i = 0; i < start; i += 1) pairs.push([i, i]);
  const rows = endBefore - start;
  const columns = endAfter - start;
  if (rows > 0 && columns > 0) {
    if ((rows + 1) * (columns + 1) <= LCS_CELL_LIMIT) {
      // lengths[i][j]: LCS length of before[start+i..] and after[start+j..].
      const width = columns + 1;
      const lengths = new Uint32Array((rows + 1) * width);
      for (let i = rows - 1; i >= 0; i -= 1) {
        for (let j = columns - 1; j >= 0; j -= 1) {
          lengths[i * width + j] = same(start + i, start + j)
            ? (lengths[(i + 1) * width + j + 1] as number) + 1
            : Math.max(lengths[(i + 1) * width + j] as number, lengths[i * width + j + 1] as number);
        }
      }
      for (let i = 0, j = 0; i < rows && j < columns; ) {
        if (same(start + i, start + j)) {
          pairs.push([start + i, start + j]);
          i += 1;
          j += 1;
        } else if ((lengths[(i + 1) * width + j] as number) >= (lengths[i * width + j + 1] as number)) i += 1;
        else j += 1;
      }
    } else {
      const positions = new Map<string, number[]>();
      for (let j = start; j < endAfter; j += 1) {
        const key = after[j];
        if (key === undefined) continue;
        const list = positions.get(key);
        if (list) list.push(j);
        else positions.set(key, [j]);
      }
      let last = start - 1;
      for (let i = start; i < endBefore; i += 1) {
        const list = before[i] === undefined ? undefined : positions.get(before[i] as string);
        while (list && list.length > 0 && (list[0] as number) <= last) list.shift();
        const next = list?.shift();
        if (next === undefined) continue;
        pairs.push([i, next]);
        last = next;
      }
    }
  }
  for (let i = endBefore, j = endAfter; i < before.length; i += 1, j += 1) pairs.push([i, j]);
  return pairs;
}

function isObject(value: unknown): boolean {
  return isContainer(value) && !Array.isArray(value);
}

function isContainer(value: unknown): value is object {
  return typeof value === "object" && value !== null;
}

function isEmptyContainer(value: unknown): boolean {
  return isContainer(value) && (Array.isArray(value) ? value.length === 0 : Object.keys(value).length === 0);
}

function children(value: unknown): boolean {
  return isContainer(value) && !isEmptyContainer(value);
}

function unionKeys(before: unknown, after: unknown, unknown: unknown): Array<string | number> {
  if (Array.isArray(before) || Array.isArray(after) || Array.isArray(unknown)) {
    const length = Math.max(Array.isArray(before) ? before.length : 0, Array.isArray(after) ? after.length : 0, Array.isArray(unknown) ? unknown.length : 0);
    return Array.from({ length }, (_, index) => index);
  }
  let keys: string[] | undefined;
  let merged = false;
  for (const value of [before, after, unknown]) {
    if (!isContainer(value)) continue;
    const own = Object.keys(value);
    if (own.length === 0) continue;
    if (keys === undefined) keys = own;
    else {
      keys = keys.concat(own);
      merged = true;
    }
  }
  if (!keys) return [];
  if (!merged) return keys;
  // Each of terraform's objects lists its keys sorted; merged from two or three, they are sorted again.
  keys.sort();
  return keys.filter((key, index) => index === 0 || key !== keys[index - 1]);
}

function childOf(value: unknown, key: string | number, missing: unknown = ABSENT): unknown {
  if (!isContainer(value)) return missing;
  if (Array.isArray(value)) return typeof key === "number" && key < value.length ? value[key] : missing;
  return Object.hasOwn(value, key) ? (value as Record<string, unknown>)[key] : missing;
}

/**
 * A value as terraform would print it, on one line: strings quoted, secrets masked, copies swept;
 * undefined where terraform shows nothing (no value, or null). `keys`: a
 * collection shows the keys it holds (what a map that becomes unknown had), not just `{…}`.
 */
function shown(value: unknown, sensitive: boolean, sweep: ValueSweep, options: { keys?: boolean } = {}): string | undefined {
  if (value === ABSENT || value === null || value === undefined) return undefined;
  if (sensitive) return REDACTED;
  if (typeof value === "string") {
    const swept = sweep.sweepValue(value);
    return swept === REDACTED ? REDACTED : JSON.stringify(swept);
  }
  if (typeof value === "number") return sweep.isSecretNumber(value) ? REDACTED : String(value);
  if (isEmptyContainer(value)) return Array.isArray(value) ? "[]" : "{}";
  if (Array.isArray(value)) return options.keys ? `[${value.length} element${value.length === 1 ? "" : "s"}]` : "[…]";
  if (isContainer(value)) return options.keys ? describeKeys(Object.keys(value), sweep) : "{…}";
  return String(value);
}

const KEYS_SHOWN = 10;

function describeKeys(keys: readonly string[], sweep: ValueSweep): string {
  const named = keys.slice(0, KEYS_SHOWN).map((key) => {
    const swept = sweep.sweepValue(key);
    return /^[A-Za-z_][A-Za-z0-9_-]*$/.test(swept) ? swept : JSON.stringify(swept);
  });
  const more = keys.length > KEYS_SHOWN ? `, … ${keys.length - KEYS_SHOWN} more` : "";
  return `{ ${named.join(", ")}${more} }`;
}

/** Equality of two JSON values without recursion. */
export function deepEqual(a: unknown, b: unknown): boolean {
  const stack: Array<[unknown, unknown]> = [[a, b]];
  for (let pair = stack.pop(); pair; pair = stack.pop()) {
    const [left, right] = pair;
    if (left === right) continue;
    if (!isContainer(left) || !isContainer(right) || Array.isArray(left) !== Array.isArray(right)) return false;
    const leftKeys = Object.keys(left);
    const rightKeys = Object.keys(right);
    if (leftKeys.length !== rightKeys.length) return false;
    for (const key of leftKeys) {
      if (!Object.hasOwn(right, key)) return false;
      stack.push([(left as Record<string, unknown>)[key], (right as Record<string, unknown>)[key]]);
    }
  }
  return true;
}

function formatSegment(key: string | number, first: boolean): string {
  if (typeof key === "number") return `[${key}]`;
  if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(key)) return first ? key : `.${key}`;
  return `[${JSON.stringify(key)}]`;
}

export function formatAttributePath(path: ReadonlyArray<string | number>): string {
  return path.map((key, index) => formatSegment(key, index === 0)).join("");
}

/** Whether a replace path covers the attribute: the same path, one containing it, or one inside it. */
function covers(replacePath: string, path: string): boolean {
  if (replacePath === path || replacePath === "") return true;
  const startsWithin = (outer: string, inner: string) => inner.startsWith(outer) && (inner[outer.length] === "." || inner[outer.length] === "[");
  return startsWithin(replacePath, path) || startsWithin(path, replacePath);
}
