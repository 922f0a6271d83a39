import { BundleError } from "./errors.js";

/** What an errno means to a person, for the codes a file operation on user-named paths meets. */
const REASONS: Record<string, string> = {
  EROFS: "the file system is read-only",
  ENOSPC: "the disk is full",
  EDQUOT: "the disk quota is used up",
  EACCES: "permission denied",
  EPERM: "the operation is not permitted (read-only or immutable)",
  ENOENT: "it does not exist",
  ENOTDIR: "a part of the path is a file, not a directory",
  EISDIR: "it is a directory",
  ENAMETOOLONG: "the path is too long",
  ELOOP: "it is a symbolic link",
  EEXIST: "it already exists",
  ENOTEMPTY: "the directory is not empty",
  EXDEV: "it is on another file system",
};

/** Paths longer than this are shortened in messages: a 5,000-character path helps nobody. */
const MAX_SHOWN_PATH = 160;

export function displayPath(file: string): string {
  return file.length <= MAX_SHOWN_PATH ? file : `${file.slice(0, MAX_SHOWN_PATH)}… (${file.length} characters)`;
}

export function isErrno(error: unknown): error is NodeJS.ErrnoException {
  return error instanceof Error && typeof (error as NodeJS.ErrnoException).code === "string";
}

/** The reason for a known errno ("the disk is full"), or null for anything else. */
export function errnoReason(error: unknown): string | null {
  return isErrno(error) ? (REASONS[error.code ?? ""] ?? null) : null;
}

/**
 * Turns a file-system failure into one sentence about `what` (e.g. "cannot write the plan
 * bundle /x"), ending in the reason; an error of another kind passes through unchanged, since
 * it is a bug and should keep its stack.
 */
export function fileSystemError(error: unknown, what: string, hint: string): unknown {
  const reason = errnoReason(error);
  return reason === null ? error : new BundleError(`${what}: ${reason} (${(error as NodeJS.ErrnoException).code})`, hint);
}
