/**
 * yargs' help layout bundles two copies of string-width, and each creates an `Intl.Segmenter`
 * when its module loads. The first one loads ICU's break-iterator data: about 20 ms of every
 * run of every command, though only a help text or a usage error ever measures a string.
 * While the CLI's modules load, `Intl.Segmenter` is a stand-in that creates the real segmenter
 * when it is first used; main restores the real constructor before running anything.
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
    return this.segmenter().segment(input);
  }

  resolvedOptions(): Intl.ResolvedSegmenterOptions {
    return this.segmenter().resolvedOptions();
  }

  private segmenter(): Intl.Segmenter {
    this.real ??= new RealSegmenter(...this.args);
    return this.real;
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
