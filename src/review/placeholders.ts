/** What a reader sees in place of a value terraform marks sensitive (terraform's own words). */
export const REDACTED = "(sensitive value)";

/** What a reader sees for a value terraform will only know during apply (terraform's own words). */
export const UNKNOWN = "(known after apply)";
