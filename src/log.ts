/**
 * Progress output. Long steps print a line when they start and one when they end, with the
 * duration, on stderr so that `--json` output on stdout stays machine-readable.
 */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  /** Runs `work` between a start line and an end line carrying its duration. */
  step<T>(label: string, work: () => Promise<T>): Promise<T>;
}

export interface ConsoleLoggerOptions {
  quiet: boolean;
  write: (line: string) => void;
  now?: () => number;
}

export function createLogger({ quiet, write, now = Date.now }: ConsoleLoggerOptions): Logger {
  const emit = quiet ? () => undefined : write;
  return {
    info: (message) => emit(message),
    // Warnings say something the user must know even when progress is silenced.
    warn: (message) => write(`warning: ${message}`),
    async step(label, work) {
      const started = now();
      emit(`▶ ${label}`);
      try {
        const result = await work();
        emit(`✔ ${label} (${formatDuration(now() - started)})`);
        return result;
      } catch (error) {
        emit(`✘ ${label} (${formatDuration(now() - started)})`);
        throw error;
      }
    },
  };
}

export function formatDuration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)}ms` : `${(ms / 1000).toFixed(1)}s`;
}
