/**
 * yargs' help layout bundles three copies of string-width, and each creates an `Intl.Segmenter`
 * when its module loads. The first one loads ICU's break-iterator data: about 20 ms of every
 * run of every command, though only a help text or a usage error ever measures a string.
 * While the CLI's modules load, `Intl.Segmenter` is a stand-in that creates the real segmenter
 * when it is first given text beyond plain ASCII (infra's help text is plain ASCII, so showing it
 * loads no ICU data at all);
 * main restores the real constructor before running anything.
 */
const RealSegmenter = Intl.Segmenter;

type SegmenterArgs = ConstructorParameters<typeof Intl.Segmenter>;

/** Behaves as the real segmenter it stands for; only creating that one is put off until it is needed. */
export class DeferredSegmenter implements Pick<Intl.Segmenter, "segment" | "resolvedOptions"> {
  private readonly args: SegmenterArgs;
  private real: Intl.Segmenter | undefined;

  constructor(...args: SegmenterArgs) {
    this.args = args;
  }

  /** Whether the real segmenter exists yet. */
  get created(): boolean {
    return this.real !== undefined;
  }

  segment(input: string): Intl.Segments {
    // Help text is ASCII, where every character is a grapheme of its own: no ICU needed for it.
    if (this.real === undefined && this.isGraphemes() && ONE_UNIT_GRAPHEMES.test(input)) return new UnitSegments(input);
    return this.segmenter().segment(input);
  }

  private isGraphemes(): boolean {
    const granularity = this.args[1]?.granularity;
    return granularity === undefined || granularity === "grapheme";
  }

  resolvedOptions(): Intl.ResolvedSegmenterOptions {
    return this.segmenter().resolvedOptions();
  }

  private segmenter(): Intl.Segmenter {
    this.real ??= new RealSegmenter(...this.args);
    return this.real;
  }
}

/**
 * ASCII but CR: by Unicode's grapheme rules (UAX #29) only CR LF joins two ASCII characters into
 * one grapheme; no ASCII character extends or prepends to another.
 */
const ONE_UNIT_GRAPHEMES = /^[\x00-\x0c\x0e-\x7f]*$/;

/** The segments of a text whose every code unit is a grapheme, as Intl.Segmenter gives them. */
class UnitSegments implements Intl.Segments {
  constructor(private readonly input: string) {}

  containing(codeUnitIndex?: number): Intl.SegmentData | undefined {
    const index = Math.trunc(Number(codeUnitIndex ?? 0)) || 0;
    return index >= 0 && index < this.input.length ? this.at(index) : undefined;
  }

  *[Symbol.iterator](): IterableIterator<Intl.SegmentData> {
    for (let index = 0; index < this.input.length; index += 1) yield this.at(index);
  }

  private at(index: number): Intl.SegmentData {
    return { segment: this.input.charAt(index), index, input: this.input };
  }
}

/** The lib types call the property read-only; it is an ordinary writable one. */
const intl = Intl as { Segmenter: typeof Intl.Segmenter };

// Modules imported after this one (yargs and its string-width copies) get deferred segmenters.
intl.Segmenter = DeferredSegmenter as unknown as typeof Intl.Segmenter;

/** Puts the real constructor back: from now on `new Intl.Segmenter()` is the real thing again. */
export function restoreIntlSegmenter(): void {
  intl.Segmenter = RealSegmenter;
}
