/**
 * The parts of `terraform show -json <plan>` this project reads. The format is documented as
 * "JSON Output Format" in Terraform's internals docs; fields not listed here are kept as-is.
 */
export type ChangeAction = "no-op" | "create" | "read" | "update" | "delete" | "forget";

export interface Change {
  actions: ChangeAction[];
  before: unknown;
  after: unknown;
  after_unknown?: unknown;
  /** Mirrors `before`/`after`: `true` where the value is sensitive. */
  before_sensitive?: unknown;
  after_sensitive?: unknown;
  replace_paths?: unknown;
}

export interface ResourceChange {
  address: string;
  module_address?: string;
  mode: "managed" | "data";
  type: string;
  name: string;
  index?: unknown;
  action_reason?: string;
  change: Change;
}

export interface ModuleValues {
  resources?: Array<{ address: string; values?: unknown; sensitive_values?: unknown }>;
  child_modules?: ModuleValues[];
}

export interface ModuleConfiguration {
  variables?: Record<string, { default?: unknown; sensitive?: boolean }>;
  module_calls?: Record<string, ModuleCall>;
  [key: string]: unknown;
}

export interface ModuleCall {
  source?: string;
  /** Arguments of the call; a literal argument shows up as `constant_value`. */
  expressions?: Record<string, { constant_value?: unknown; references?: string[] }>;
  module?: ModuleConfiguration;
  [key: string]: unknown;
}

export interface PlanJson {
  format_version: string;
  terraform_version: string;
  variables?: Record<string, { value: unknown }>;
  planned_values?: { outputs?: Record<string, { sensitive: boolean; value?: unknown }>; root_module?: ModuleValues };
  resource_changes?: ResourceChange[];
  resource_drift?: ResourceChange[];
  output_changes?: Record<string, Change>;
  prior_state?: { values?: { outputs?: Record<string, { sensitive: boolean; value?: unknown }>; root_module?: ModuleValues } };
  configuration?: { root_module?: ModuleConfiguration };
  errored?: boolean;
  [key: string]: unknown;
}
