/** What terraform's log of an apply says happened, read when infra itself did not see the end. */
export interface ApplyLogReading {
  outcome: "applied" | "failed" | "interrupted";
  /** One line for a person: terraform's own result line, or why there is none. */
  summary: string;
  /** Resources terraform reported complete (addresses only: values never leave the log). */
  completed: string[];
}

const COMPLETE = /^(\S+): (?:Creation|Modifications|Destruction) complete/;
const RESULT = /^Apply complete! .*$/m;
const INTERRUPTED = /^(?:Interrupt received|Stopping operation)/m;
const ERROR = /^(?:│ )?Error: (.+)$/m;

export function readApplyLog(text: string): ApplyLogReading {
  const completed = text
    .split("\n")
    .map((line) => COMPLETE.exec(line)?.[1])
    .filter((address): address is string => address !== undefined);
  const result = RESULT.exec(text)?.[0];
  if (result) return { outcome: "applied", summary: result.trim(), completed };
  const error = ERROR.exec(text)?.[1];
  if (INTERRUPTED.test(text)) {
    return { outcome: "interrupted", summary: `terraform was interrupted and stopped${error ? ` (Error: ${error.trim()})` : ""}`, completed };
  }
  if (error) return { outcome: "failed", summary: `Error: ${error.trim()}`, completed };
  return { outcome: "failed", summary: "the log ends without a result: terraform was stopped before it finished", completed };
}
