import { REDACTED } from "./placeholders.js";

/**
 * Finds copies of secrets in text in one pass over the text, however many secrets there are:
 *  - a value equal to a secret, whatever its length, is replaced whole (one Set lookup);
 *  - a secret of at least SUBSTRING_MIN characters is found anywhere inside a longer string: a
 *    rolling hash of the SUBSTRING_MIN-character window at each position is looked up among the
 *    secrets' prefixes (Rabin-Karp with one window length; a bitmap answers most misses); a hit
 *    looks the text up once per distinct secret length under that prefix, never once per secret,
 *    so secrets sharing a prefix (`arn:aws:`, `postgres://`) cost no more than one;
 *  - a shorter secret of at least TOKEN_MIN characters is found only as a whole word (a maximal
 *    run of letters, digits, `_` and `-`), so `pa55` goes from `user:pa55@db` but `names` stays
 *    in `terraform_data.x_names` and `app` in `app-logs-eu-west-1`;
 *  - anything shorter only as the whole value: as part of a string, it would be noise.
 */
export const SUBSTRING_MIN = 8;
export const TOKEN_MIN = 4;

const BASE = 0x01000193;

export class SecretMatcher {
  private readonly whole = new Set<string>();
  private readonly numbers = new Set<number>();
  private readonly tokens = new Set<string>();
  /** Prefix hash -> the secrets with that prefix hash, and their distinct lengths, longest first (the longest match wins). */
  private readonly byPrefixHash = new Map<number, { lengths: number[]; secrets: Set<string> }>();
  /** One bit per (prefix hash mod 2^20): most windows are rejected without a Map lookup. */
  private readonly prefixBits = new Uint8Array(1 << 17);
  /** BASE^(SUBSTRING_MIN-1), to take the leaving character out of the rolling hash. */
  private readonly leavingFactor: number;

  constructor(strings: Iterable<string>, numbers: Iterable<number> = []) {
    const all = [...strings];
    for (const number of numbers) {
      this.numbers.add(number);
      all.push(String(number));
    }
    for (const secret of all) {
      if (secret === "") continue;
      this.whole.add(secret);
      if (secret.length >= SUBSTRING_MIN) {
        const hash = windowHash(secret, 0);
        let group = this.byPrefixHash.get(hash);
        if (!group) this.byPrefixHash.set(hash, (group = { lengths: [], secrets: new Set() }));
        group.secrets.add(secret);
        if (!group.lengths.includes(secret.length)) group.lengths.push(secret.length);
        const bit = hash & 0xfffff;
        this.prefixBits[bit >>> 3] = (this.prefixBits[bit >>> 3] as number) | (1 << (bit & 7));
      } else if (secret.length >= TOKEN_MIN && isWord(secret)) {
        this.tokens.add(secret);
      }
    }
    for (const group of this.byPrefixHash.values()) group.lengths.sort((a, b) => b - a);
    let factor = 1;
    for (let i = 1; i < SUBSTRING_MIN; i += 1) factor = Math.imul(factor, BASE);
    this.leavingFactor = factor;
  }

  get size(): number {
    return this.whole.size;
  }

  isSecretNumber(value: number): boolean {
    return this.numbers.has(value);
  }

  /** A string value: replaced whole when it is a secret, else every copy inside it is. */
  sweepValue(text: string): string {
    if (this.whole.has(text)) return REDACTED;
    return this.sweepText(text);
  }

  /** Free text (plan.txt, relayed terraform output): every copy of a secret inside it is replaced. */
  sweepText(text: string): string {
    if (text.length < TOKEN_MIN || (this.tokens.size === 0 && this.byPrefixHash.size === 0)) return text;
    const ranges = this.findLong(text);
    const words = this.tokens.size > 0 ? this.findWords(text) : [];
    if (ranges.length === 0 && words.length === 0) return text;
    return replaceRanges(text, mergeRanges(ranges, words));
  }

  /** Flat [start, end, start, end, ...] ranges of long secrets, leftmost-longest, not overlapping. */
  private findLong(text: string): number[] {
    const found: number[] = [];
    if (this.byPrefixHash.size === 0 || text.length < SUBSTRING_MIN) return found;
    let hash = windowHash(text, 0);
    let start = 0;
    while (start + SUBSTRING_MIN <= text.length) {
      const bit = hash & 0xfffff;
      const length = (this.prefixBits[bit >>> 3] as number) & (1 << (bit & 7)) ? this.matchAt(text, start, hash) : 0;
      if (length > 0) {
        found.push(start, start + length);
        start += length;
        if (start + SUBSTRING_MIN > text.length) break;
        hash = windowHash(text, start);
        continue;
      }
      if (start + SUBSTRING_MIN >= text.length) break;
      hash = (Math.imul(hash - Math.imul(text.charCodeAt(start), this.leavingFactor), BASE) + text.charCodeAt(start + SUBSTRING_MIN)) | 0;
      start += 1;
    }
    return found;
  }

  /** Length of the longest secret starting at `start` among those with this prefix hash, or 0. */
  private matchAt(text: string, start: number, hash: number): number {
    const group = this.byPrefixHash.get(hash);
    if (!group) return 0;
    for (const length of group.lengths) {
      if (start + length <= text.length && group.secrets.has(text.slice(start, start + length))) return length;
    }
    return 0;
  }

  private findWords(text: string): number[] {
    const found: number[] = [];
    let start = -1;
    for (let i = 0; i <= text.length; i += 1) {
      const inWord = i < text.length && isWordCode(text.charCodeAt(i));
      if (inWord && start < 0) start = i;
      else if (!inWord && start >= 0) {
        const length = i - start;
        if (length >= TOKEN_MIN && length < SUBSTRING_MIN && this.tokens.has(text.slice(start, i))) found.push(start, i);
        start = -1;
      }
    }
    return found;
  }
}

function windowHash(text: string, from: number): number {
  let hash = 0;
  for (let i = from; i < from + SUBSTRING_MIN; i += 1) hash = (Math.imul(hash, BASE) + text.charCodeAt(i)) | 0;
  return hash;
}

function isWordCode(code: number): boolean {
  return (
    (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95 || code === 45 || code >= 0x80
  );
}

function isWord(text: string): boolean {
  for (let i = 0; i < text.length; i += 1) if (!isWordCode(text.charCodeAt(i))) return false;
  return true;
}

function mergeRanges(a: number[], b: number[]): number[] {
  if (b.length === 0) return a;
  if (a.length === 0) return b;
  const pairs: Array<[number, number]> = [];
  for (const list of [a, b]) for (let i = 0; i < list.length; i += 2) pairs.push([list[i] as number, list[i + 1] as number]);
  pairs.sort((x, y) => x[0] - y[0]);
  const merged: number[] = [];
  for (const [start, end] of pairs) {
    const last = merged.length - 1;
    if (last > 0 && start < (merged[last] as number)) merged[last] = Math.max(merged[last] as number, end);
    else merged.push(start, end);
  }
  return merged;
}

function replaceRanges(text: string, ranges: number[]): string {
  let result = "";
  let from = 0;
  for (let i = 0; i < ranges.length; i += 2) {
    result += text.slice(from, ranges[i]) + REDACTED;
    from = ranges[i + 1] as number;
  }
  return result + text.slice(from);
}
