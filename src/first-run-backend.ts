/**
 * The first run of an account stack: its state bucket does not exist yet, so scripts/bootstrap.ts
 * writes this override and terraform keeps the state locally until the bucket exists. It is the
 * one uncommitted file the plan's source check accepts, in an account stack only, and only with
 * exactly these bytes: they change nothing but where the state lives, and the plan records that
 * backend itself.
 */
export const FIRST_RUN_BACKEND_FILE = "backend_override.tf";
export const FIRST_RUN_BACKEND =
  "# Written by scripts/bootstrap.ts for the first run only; removed once the state is migrated.\nterraform {\n  backend \"local\" {}\n}\n";
