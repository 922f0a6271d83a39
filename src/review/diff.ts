import type { Change } from "./plan-json.js";
import { REDACTED, UNKNOWN } from "./placeholders.js";

/** One changed leaf of a resource: `path: before -> after`, values already masked and swept. */
export interface AttributeChange {
  /** Flattened: `tags.Name`, `ingress[0].cidr_blocks[1]`, `labels["app.kubernetes.io/name"]`. */
  path: string;
  /** Absent when the attribute is new. */
  before?: string;
  /** Absent when the attribute goes away. */
  after?: string;
  /** Terraform lists this path (or one containing it) in replace_paths. */
  forcesReplacement?: true;
}

/** How values are made safe to show: the redaction's sweep. */
export interface ValueSweep {
  sweepValue(text: string): string;
  isSecretNumber(value: number): boolean;
}

const ABSENT = Symbol("absent");

interface Node {
  path: string;
  before: unknown;
  after: unknown;
  beforeSensitive: unknown;
  afterSensitive: unknown;
  unknown: unknown;
}

/**
 * Every leaf that differs between `before` and `after`, in document order. Walks with an explicit
 * stack: values from `jsondecode` nest as deep as memory allows.
 */
export function attributeChanges(change: Change, sweep: ValueSweep): AttributeChange[] {
  const changes: AttributeChange[] = [];
  const replacePaths = (change.replace_paths ?? []).map(formatAttributePath);
  const stack: Node[] = [
    {
      path: "",
      before: change.before ?? ABSENT,
      after: change.after ?? ABSENT,
      beforeSensitive: change.before_sensitive,
      afterSensitive: change.after_sensitive,
      unknown: change.after_unknown,
    },
  ];
  for (let node = stack.pop(); node; node = stack.pop()) {
    const { path, before, after, beforeSensitive, afterSensitive, unknown } = node;
    const emit = (beforeText: string | undefined, afterText: string | undefined) => {
      const entry: AttributeChange = { path: path || "(whole value)" };
      if (beforeText !== undefined) entry.before = beforeText;
      if (afterText !== undefined) entry.after = afterText;
      if (replacePaths.some((replacePath) => covers(replacePath, path))) entry.forcesReplacement = true;
      changes.push(entry);
    };
    if (unknown === true) {
      emit(before === ABSENT ? undefined : display(before, beforeSensitive === true, sweep), UNKNOWN);
      continue;
    }
    if (beforeSensitive === true || afterSensitive === true) {
      if (beforeSensitive !== afterSensitive || !deepEqual(before, after)) {
        emit(before === ABSENT ? undefined : display(before, beforeSensitive === true, sweep), after === ABSENT ? undefined : display(after, afterSensitive === true, sweep));
      }
      continue;
    }
    const sameKind = isContainer(before) && isContainer(after) && Array.isArray(before) === Array.isArray(after);
    const oneSided = (children(before) && (after === ABSENT || after === null)) || (children(after) && (before === ABSENT || before === null));
    if (sameKind || oneSided || children(unknown)) {
      const keys = unionKeys([before, after, unknown]);
      for (let i = keys.length - 1; i >= 0; i -= 1) {
        const key = keys[i] as string | number;
        stack.push({
          path: path + formatSegment(key, path === ""),
          before: childOf(before, key),
          after: childOf(after, key),
          beforeSensitive: childOf(beforeSensitive, key, undefined),
          afterSensitive: childOf(afterSensitive, key, undefined),
          unknown: childOf(unknown, key, undefined),
        });
      }
      continue;
    }
    if (!deepEqual(before, after)) {
      emit(before === ABSENT ? undefined : display(before, false, sweep), after === ABSENT ? undefined : display(after, false, sweep));
    }
  }
  return changes;
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

function unionKeys(values: unknown[]): Array<string | number> {
  if (values.some(Array.isArray)) {
    const length = Math.max(...values.map((value) => (Array.isArray(value) ? value.length : 0)));
    return Array.from({ length }, (_, index) => index);
  }
  const keys = new Set<string>();
  for (const value of values) if (isContainer(value)) for (const key of Object.keys(value)) keys.add(key);
  return [...keys];
}

function childOf(value: unknown, key: string | number, missing: unknown = ABSENT): unknown {
  if (!isContainer(value)) return missing;
  if (Array.isArray(value)) return typeof key === "number" && key < value.length ? value[key] : missing;
  return Object.hasOwn(value, key) ? (value as Record<string, unknown>)[key] : missing;
}

/** A value as terraform would print it, on one line: strings quoted, secrets masked, copies swept. */
function display(value: unknown, sensitive: boolean, sweep: ValueSweep): string {
  if (sensitive) return value === null ? "null" : REDACTED;
  if (typeof value === "string") {
    const swept = sweep.sweepValue(value);
    return swept === REDACTED ? REDACTED : JSON.stringify(swept);
  }
  if (typeof value === "number") return sweep.isSecretNumber(value) ? REDACTED : String(value);
  if (Array.isArray(value)) return value.length === 0 ? "[]" : "[…]";
  if (isContainer(value)) return Object.keys(value).length === 0 ? "{}" : "{…}";
  return String(value);
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
