import { readTextParsedAs, type HclBody } from "../config/hcl.js";

/**
 * The text of every file of a policy tree, for line numbers. Rules need a file's text only
 * where a finding needs a line, and most files never have one: kept, a thousand files' text
 * would be copied by every collection while the rules run. So a text is kept only if it holds
 * one of the words a rule searches every file for; any other is read again when first asked
 * for, and used only if it is still the content that was parsed (else there is no line).
 */
export class FileTexts {
  private readonly bodies = new Map<string, HclBody>();
  private readonly texts = new Map<string, string | undefined>();
  private readonly holding = new Set<string>();

  /** `searchedWords`: what a rule looks for in every file's text. */
  constructor(private readonly searchedWords: readonly string[]) {}

  /** A file as read: `text` is what `body` was parsed from. */
  add(file: string, text: string, body: HclBody): void {
    this.bodies.set(file, body);
    if (this.searchedWords.some((word) => text.includes(word))) {
      this.holding.add(file);
      this.texts.set(file, text);
    } else {
      this.holding.delete(file);
      this.texts.delete(file);
    }
  }

  /** Whether the file's text, as parsed, holds one of the searched words. */
  holdsSearchedWord(file: string): boolean {
    return this.holding.has(file);
  }

  /** The file's text as parsed, or undefined (not part of the tree, or changed since it was parsed). */
  get(file: string): string | undefined {
    if (this.texts.has(file)) return this.texts.get(file);
    const body = this.bodies.get(file);
    if (body === undefined) return undefined;
    const text = readTextParsedAs(file, body);
    this.texts.set(file, text);
    return text;
  }
}
