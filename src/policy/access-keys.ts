/** An AWS access key id (`AKIA...` for a user's, `ASIA...` for a session's). */
export const ACCESS_KEY_ID = /\b(AKIA|ASIA)[0-9A-Z]{16}\b/;

/** What every access key id starts with: a text holding neither holds no key. */
export const ACCESS_KEY_PREFIXES: readonly string[] = ["AKIA", "ASIA"];
