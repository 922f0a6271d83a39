import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, sign, verify, type KeyObject } from "node:crypto";
import { constants } from "node:fs";
import { mkdir, open, readFile, rename, rm } from "node:fs/promises";
import path from "node:path";
import { ConfigError, InfraError } from "./errors.js";
import type { Receipt } from "./bundle/receipt.js";
import { keyIdOf } from "./bundle/signature.js";
import { displayPath } from "./fs-errors.js";
import { exec } from "./process.js";

/**
 * The promotion ledger: one git ref per environment and commit, `refs/infra/applied/<env>/<commit>`,
 * pointing to a blob holding a signed ledger entry of the successful apply. Anyone with push
 * access can write a ref, so a ref proves nothing by itself: the entry is a payload (environment,
 * commit, plan digest, configuration snapshot digest, outcome, times, who ran it) signed over its
 * exact bytes by the environment's own ledger key - KMS `alias/infra-ledger` in its account, or a
 * local key file for a local-state stack - and the promotion gate verifies it with the public key
 * committed at HEAD in `envs/<env>/ledger-key.pem`, without asking any account.
 */
export const LEDGER_PREFIX = "refs/infra/applied";
export const LEDGER_ENTRY_FORMAT = "infra.ledger-entry/1";
/** ECDSA over P-256 with SHA-256, DER signatures: what KMS's ECDSA_SHA_256 makes and node:crypto verifies. */
export const LEDGER_ALGORITHM = "ECDSA_SHA_256";
/** The committed public key(s) of an environment, relative to the terraform tree. */
export const LEDGER_KEY_FILE = "ledger-key.pem";

export function ledgerRef(env: string, commit: string): string {
  return `${LEDGER_PREFIX}/${env}/${commit}`;
}

export function ledgerKeyPath(env: string): string {
  return `envs/${env}/${LEDGER_KEY_FILE}`;
}

/** Where a local-state stack keeps its private ledger key: never committed (`.infra/` is ignored). */
export function localLedgerKeyFile(root: string, env: string): string {
  return path.join(root, ".infra", "ledger-keys", `${env}.pem`);
}

/** What is signed: everything a verifier checks, and what an auditor wants beside it. */
export interface LedgerPayload {
  format: typeof LEDGER_ENTRY_FORMAT;
  env: string;
  region: string;
  accountId: string;
  commit: string;
  planDigest: string;
  /** sha256 of the plan's configuration snapshot (its tfconfig/ and lock file) that apply compared with HEAD; null only in entries of callers that have none. */
  configDigest: string | null;
  outcome: "applied";
  startedAt: string;
  finishedAt: string;
  terraformVersion: string;
  /** Who terraform ran as; null with --offline. */
  principal: string | null;
  approval: "person" | "ci" | "not-required";
  breakGlass: boolean;
}

/** The blob a ledger ref points at. `payload` is the signed JSON text itself, so its bytes survive any re-serialisation. */
interface EntryFile {
  format: typeof LEDGER_ENTRY_FORMAT;
  payload: string;
  algorithm: typeof LEDGER_ALGORITHM;
  /** First 16 hex of the sha256 of the signing key's public half (SPKI DER); null when unsigned. */
  keyId: string | null;
  /** Which key signed: the KMS key's ARN, or the local key file. */
  signer: string | null;
  /** base64 DER; null when no key was available to sign. */
  signature: string | null;
}

/** Signs the exact bytes it is given; `keyId` names its public half where the signer knows it (a KMS key is found among the committed ones). */
export interface LedgerSigner {
  keyId: string | null;
  signer: string;
  sign(bytes: Buffer): Promise<Buffer>;
}

/** The payload of a successful apply's receipt. */
export function ledgerPayload(receipt: Receipt & { commit: string }, configDigest: string | null): LedgerPayload {
  const identity = receipt.identity;
  return {
    format: LEDGER_ENTRY_FORMAT,
    env: receipt.env,
    region: receipt.region,
    accountId: receipt.accountId,
    commit: receipt.commit,
    planDigest: receipt.planDigest,
    configDigest,
    outcome: "applied",
    startedAt: receipt.startedAt,
    finishedAt: receipt.finishedAt,
    terraformVersion: receipt.terraformVersion,
    principal: identity?.status === "verified" ? identity.principalArn : null,
    approval: receipt.approval?.by ?? "not-required",
    breakGlass: identity?.status === "verified" && identity.breakGlass,
  };
}

/**
 * The entry's text - the payload signed by `signer`, or unsigned (which no promotion gate accepts)
 * when there is none - and how it verifies against `keys`, as the next environment's gate will.
 */
export async function signLedgerEntry(ref: string, payload: LedgerPayload, signer: LedgerSigner | null, keys: LedgerKeys): Promise<{ text: string; verdict: Verdict }> {
  const text = JSON.stringify(payload);
  const signature = signer ? await signer.sign(Buffer.from(text, "utf8")) : null;
  const match = signature && "keys" in keys ? keys.keys.find(({ key }) => verify("sha256", Buffer.from(text, "utf8"), key, signature)) : undefined;
  const entry: EntryFile = {
    format: LEDGER_ENTRY_FORMAT,
    payload: text,
    algorithm: LEDGER_ALGORITHM,
    keyId: signer?.keyId ?? match?.keyId ?? null,
    signer: signer?.signer ?? null,
    signature: signature?.toString("base64") ?? null,
  };
  const entryText = `${JSON.stringify(entry, null, 2)}\n`;
  return { text: entryText, verdict: verifyLedgerEntry(ref, entryText, keys).verdict };
}

/** A signer over a local-state stack's private key file, or null when there is none yet. */
export async function localLedgerSigner(root: string, env: string): Promise<LedgerSigner | null> {
  const file = localLedgerKeyFile(root, env);
  const pem = await readFile(file, "utf8").catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw new ConfigError(`cannot read the ledger key ${displayPath(file)}: ${(error as Error).message}`, `make it readable, or create a new one with \`infra ledger --env ${env} --write-key\``);
  });
  if (pem === null) return null;
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(pem);
  } catch {
    throw new ConfigError(`${displayPath(file)} is not a private key in PEM`, `remove it and create a new one with \`infra ledger --env ${env} --write-key\``);
  }
  if (!isP256(privateKey)) throw new ConfigError(`${displayPath(file)} is not an ECDSA P-256 key`, `remove it and create a new one with \`infra ledger --env ${env} --write-key\``);
  return {
    keyId: keyIdOf(createPublicKey(privateKey)),
    signer: `local key file ${path.join(".infra", "ledger-keys", `${env}.pem`)}`,
    sign: async (bytes) => sign("sha256", bytes, privateKey),
  };
}

/**
 * A new local ledger key for `env`: the private half to `<root>/.infra/ledger-keys/<env>.pem`
 * (0600, never over an existing one), the public half returned as PEM for envs/<env>/ledger-key.pem.
 */
export async function createLocalLedgerKey(root: string, env: string): Promise<string> {
  const file = localLedgerKeyFile(root, env);
  const existing = await localLedgerSigner(root, env);
  if (existing) {
    const pem = await readFile(file, "utf8");
    return createPublicKey(pem).export({ type: "spki", format: "pem" }).toString();
  }
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  await writeAtomically(file, privateKey.export({ type: "pkcs8", format: "pem" }).toString());
  return publicKey.export({ type: "spki", format: "pem" }).toString();
}

/** `publicKeyPem` first, then every other key `existing` holds: newest first, so entries signed before a rotation still verify. */
export function withNewestKey(existing: string | null, publicKeyPem: string): { text: string; added: boolean } {
  const blocks = pemBlocks(existing ?? "");
  const newest = publicKeyPem.trim();
  if (blocks.includes(newest)) return { text: existing ?? `${newest}\n`, added: false };
  return { text: `${[newest, ...blocks].join("\n")}\n`, added: true };
}

/** One of an environment's committed public keys. */
export interface LedgerKey {
  keyId: string;
  /** 1-based position in the file, newest first. */
  position: number;
  key: KeyObject;
}

export type LedgerKeys = { file: string; keys: LedgerKey[] } | { file: string; problem: string };

/** The public keys `envs/<env>/ledger-key.pem` holds at HEAD: what git committed, never the working tree. */
export async function readCommittedLedgerKeys(root: string, env: string): Promise<LedgerKeys> {
  const file = ledgerKeyPath(env);
  const shown = await exec("git", ["show", `HEAD:./${file}`], { cwd: root });
  if (shown.exitCode !== 0) return { file, problem: `${file} is not committed at HEAD, so no entry of ${env} can be verified` };
  return parseLedgerKeys(shown.stdout, file);
}

export function parseLedgerKeys(text: string, file: string): LedgerKeys {
  const blocks = pemBlocks(text);
  if (blocks.length === 0) return { file, problem: `${file} holds no public key in PEM` };
  const keys: LedgerKey[] = [];
  for (const [index, block] of blocks.entries()) {
    let key: KeyObject;
    try {
      key = createPublicKey(block);
    } catch {
      return { file, problem: `key ${index + 1} of ${file} is not a public key in PEM` };
    }
    if (!isP256(key)) return { file, problem: `key ${index + 1} of ${file} is not an ECDSA P-256 (ECC_NIST_P256) key` };
    keys.push({ keyId: keyIdOf(key), position: index + 1, key });
  }
  return { file, keys };
}

/** What the entry verified as: which committed key signed it, or why it proves nothing. */
export type Verdict = { verified: true; keyId: string; keyFile: string; position: number; signer: string | null } | { verified: false; problem: string };

/** A ledger entry as read, with its verdict; `payload` is null when the entry is no entry at all. */
export interface LedgerEntry {
  ref: string;
  env: string;
  commit: string;
  payload: LedgerPayload | null;
  verdict: Verdict;
}

/** Parses and verifies the text of `ref` against the committed keys of the environment it is filed under. */
export function verifyLedgerEntry(ref: string, text: string, keys: LedgerKeys): { payload: LedgerPayload | null; verdict: Verdict } {
  const refuse = (problem: string, payload: LedgerPayload | null = null) => ({ payload, verdict: { verified: false as const, problem } });
  const entry = parseEntryFile(text);
  if (typeof entry === "string") return refuse(`${ref} does not hold a ledger entry (${entry})`);
  const payload = parsePayload(entry.payload);
  if (typeof payload === "string") return refuse(`${ref} holds a malformed ledger entry (${payload})`);
  if (entry.signature === null) return refuse(`${ref} is unsigned, so nothing proves that ${payload.env} applied it`, payload);
  if ("problem" in keys) return refuse(`${ref} cannot be verified: ${keys.problem}`, payload);
  const signature = Buffer.from(entry.signature, "base64");
  const bytes = Buffer.from(entry.payload, "utf8");
  const match = keys.keys.find(({ key }) => verify("sha256", bytes, key, signature));
  if (match) return { payload, verdict: { verified: true, keyId: match.keyId, keyFile: keys.file, position: match.position, signer: entry.signer } };
  if (keys.keys.some((key) => key.keyId === entry.keyId)) {
    return refuse(`${ref}'s signature does not verify with key ${entry.keyId} of ${keys.file}, which it names: the entry was altered after signing, or signed by another key`, payload);
  }
  return refuse(`${ref} is signed by ${entry.keyId ? `key ${entry.keyId}` : "a key"}${entry.signer ? ` (${entry.signer})` : ""} that ${keys.file} at HEAD does not hold`, payload);
}

/** Records a ledger entry file under `refs/infra/applied/<env>/<commit>`; returns the ref. */
export async function recordApplied(repoDir: string, env: string, commit: string, entryFile: string): Promise<string> {
  const ref = ledgerRef(env, commit);
  const blob = await git(repoDir, ["hash-object", "-w", "--", entryFile], `record ${ref}`);
  await git(repoDir, ["update-ref", "-m", `infra apply ${env}`, ref, blob.trim()], `record ${ref}`);
  return ref;
}

/** The entry recorded for `env` at `commit`, verified with env's key committed at HEAD; null when there is none. */
export async function readApplied(repoDir: string, env: string, commit: string): Promise<LedgerEntry | null> {
  const ref = ledgerRef(env, commit);
  const found = await exec("git", ["cat-file", "blob", ref], { cwd: repoDir });
  if (found.exitCode !== 0) return null;
  return { ref, env, commit, ...verifyLedgerEntry(ref, found.stdout, await readCommittedLedgerKeys(repoDir, env)) };
}

/** Every entry of `env`, each verified, oldest apply first. */
export async function listApplied(repoDir: string, env: string): Promise<LedgerEntry[]> {
  const prefix = `${LEDGER_PREFIX}/${env}/`;
  const listing = await git(repoDir, ["for-each-ref", "--format=%(refname)", prefix], `list ${prefix}`);
  const refs = listing.split("\n").filter(Boolean);
  const keys = await readCommittedLedgerKeys(repoDir, env);
  const entries = await Promise.all(
    refs.map(async (ref) => {
      const text = await git(repoDir, ["cat-file", "blob", ref], `read ${ref}`);
      return { ref, env, commit: ref.slice(prefix.length), ...verifyLedgerEntry(ref, text, keys) };
    }),
  );
  return entries.sort((a, b) => (a.payload?.finishedAt ?? "").localeCompare(b.payload?.finishedAt ?? ""));
}

/** One line of `infra ledger`. */
export function describeEntry(entry: LedgerEntry): string {
  const { payload, verdict } = entry;
  const verified = verdict.verified ? `verified: key ${verdict.position} of ${verdict.keyFile} (${verdict.keyId})` : `NOT VERIFIED: ${verdict.problem}`;
  if (payload === null) return `${entry.commit.slice(0, 12)}  ${verified}`;
  const approval = payload.approval === "person" ? "approved by a person" : payload.approval === "ci" ? "approved in CI" : "";
  return [entry.commit.slice(0, 12), payload.finishedAt, `plan ${payload.planDigest.slice(0, 12)}`, payload.outcome, approval, payload.breakGlass ? "break-glass" : "", verified]
    .filter(Boolean)
    .join("  ");
}

/** A JSON object's fields; {} for JSON that is no object; null for text that is no JSON. */
function jsonObject(text: string): Record<string, unknown> | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return null;
  }
  return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
}

function parseEntryFile(text: string): EntryFile | string {
  const record = jsonObject(text);
  if (record === null) return "not JSON";
  if (record["format"] !== LEDGER_ENTRY_FORMAT) return `no format "${LEDGER_ENTRY_FORMAT}"`;
  if (typeof record["payload"] !== "string") return "no payload";
  if (record["algorithm"] !== LEDGER_ALGORITHM) return `algorithm is not ${LEDGER_ALGORITHM}`;
  const optional = (key: string) => (typeof record[key] === "string" ? (record[key] as string) : record[key] === null || record[key] === undefined ? null : undefined);
  const keyId = optional("keyId");
  const signer = optional("signer");
  const signature = optional("signature");
  if (keyId === undefined || signer === undefined || signature === undefined) return "keyId, signer and signature must be strings or null";
  return { format: LEDGER_ENTRY_FORMAT, payload: record["payload"], algorithm: LEDGER_ALGORITHM, keyId, signer, signature };
}

function parsePayload(text: string): LedgerPayload | string {
  const record = jsonObject(text);
  if (record === null) return "its payload is not JSON";
  const strings = ["env", "region", "accountId", "commit", "planDigest", "outcome", "startedAt", "finishedAt", "terraformVersion"];
  const wrong = strings.filter((key) => typeof record[key] !== "string");
  if (record["format"] !== LEDGER_ENTRY_FORMAT) wrong.unshift("format");
  if (record["configDigest"] !== null && typeof record["configDigest"] !== "string") wrong.push("configDigest");
  if (wrong.length > 0) return `missing or wrong: ${wrong.join(", ")}`;
  if (!/^[0-9a-f]{64}$/.test(record["planDigest"] as string)) return "planDigest is no sha256";
  return record as unknown as LedgerPayload;
}

function pemBlocks(text: string): string[] {
  return [...text.matchAll(/-----BEGIN PUBLIC KEY-----[\s\S]*?-----END PUBLIC KEY-----/g)].map((match) => match[0]);
}

function isP256(key: KeyObject): boolean {
  return key.asymmetricKeyType === "ec" && key.asymmetricKeyDetails?.namedCurve === "prime256v1";
}

/** Writes `content` to a fresh 0600 file beside `file` and renames it into place: never through a link, never half. */
export async function writeAtomically(file: string, content: string): Promise<void> {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  try {
    const handle = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    try {
      await handle.writeFile(content);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, file);
  } finally {
    await rm(temp, { force: true });
  }
}

async function git(repoDir: string, args: readonly string[], what: string): Promise<string> {
  const result = await exec("git", args, { cwd: repoDir });
  if (result.exitCode !== 0) {
    const detail = (result.spawnError?.message ?? result.stderr).trim().split("\n")[0] ?? "";
    throw new InfraError(
      `could not ${what} (git ${args[0] ?? ""} in ${repoDir}): ${detail}`,
      "the promotion ledger lives in the git repository holding the terraform tree; run infra inside it",
    );
  }
  return result.stdout;
}
