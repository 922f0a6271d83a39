/**
 * zod for infra's three document schemas (plan JSON, summary.json, waivers). zod/mini has the
 * same checks and issues as zod's chained API, but a bundle of what infra uses is ~60 KB instead
 * of ~710 KB: loading full zod cost ~90 ms of every `plan`, `review`, `gate` and `apply`.
 * zod/mini brings no error messages of its own; its English ones are the ones full zod uses.
 * Import it as a namespace (`import * as z`) and never pass that namespace around as a value:
 * only then does the bundle leave out the parts (and the 40 other locales) infra does not use.
 */
import { config } from "zod/mini";
import english from "zod/v4/locales/en.js";

config(english());

export * from "zod/mini";
