import { createPublicKey } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { AwsFailure } from "../aws/call.js";
import { kmsConnectionFrom, kmsPublicKey, kmsSign, LEDGER_KEY_ALIAS, ledgerKeyArn } from "../aws/kms.js";
import { BundleFile } from "../bundle/layout.js";
import type { Receipt } from "../bundle/receipt.js";
import { keyIdOf } from "../bundle/signature.js";
import { readEnvironment, type Environment } from "../config/environment.js";
import { AppliedUnrecordedError, ConfigError, type InfraError } from "../errors.js";
import { displayPath, fileSystemError } from "../fs-errors.js";
import {
  createLocalLedgerKey,
  ledgerKeyPath,
  ledgerPayload,
  ledgerRef,
  listApplied,
  localLedgerKeyFile,
  localLedgerSigner,
  readCommittedLedgerKeys,
  recordApplied,
  signLedgerEntry,
  withNewestKey,
  writeAtomically,
  type LedgerEntry,
  type LedgerSigner,
} from "../ledger.js";
import type { WorkflowContext } from "./context.js";
import { readOptions } from "./work-dir.js";

export interface LedgerResult {
  env: string;
  entries: LedgerEntry[];
}

/** `infra ledger --env E`: the environment must exist; its entries come from git alone, each verified with E's key committed at HEAD. */
export async function ledger(context: WorkflowContext, env: string): Promise<LedgerResult> {
  await readEnvironment(context.root, env, readOptions(context));
  return { env, entries: await listApplied(context.root, env) };
}

/** A stack whose state is local (the demo, fixtures) signs with a local key file; every other one through its account's KMS key. */
export function signsLocally(environment: Pick<Environment, "backend">): boolean {
  return environment.backend === null || environment.backend.type === "local";
}

/**
 * The signer of `environment`'s ledger entries, made before terraform runs so that a key that
 * cannot sign stops the apply while nothing is applied yet. KMS signs with the deploy role's
 * credentials (`processEnv`, the ones terraform gets); a probe signature proves it may. A local
 * stack without a key file gets null: its entries are recorded unsigned, which no promotion accepts.
 */
export async function ledgerSignerFor(context: WorkflowContext, environment: Environment, processEnv: NodeJS.ProcessEnv): Promise<LedgerSigner | null> {
  if (signsLocally(environment)) {
    const signer = await localLedgerSigner(context.root, environment.name);
    if (signer === null) {
      context.logger.warn(
        `${environment.name} has no ledger key (${localLedgerKeyFile(context.root, environment.name)}): its ledger entry will be unsigned, and no environment promoted from it will accept it; create one with \`infra ledger --env ${environment.name} --write-key\` and commit ${ledgerKeyPath(environment.name)}`,
      );
    }
    return signer;
  }
  const keyArn = ledgerKeyArn(environment.region, environment.accountId);
  const connection = kmsConnectionFrom(processEnv, environment.region);
  const signer: LedgerSigner = { keyId: null, signer: keyArn, sign: async (bytes) => Buffer.from((await kmsSign(connection, keyArn, bytes)).signature) };
  await signer.sign(Buffer.from("infra: may this role sign ledger entries? (not a ledger entry)")).catch((error: unknown) => {
    throw kmsProblem(error, environment, keyArn, "so nothing was applied");
  });
  return signer;
}

export interface LedgerEntryInput {
  environment: Environment;
  bundle: string;
  receipt: Receipt & { commit: string };
  signer: LedgerSigner | null;
  /** sha256 of the plan's configuration snapshot, once plan records one. */
  configDigest: string | null;
}

/**
 * After a successful apply: signs its entry, writes it into the bundle as ledger-entry.json (what
 * scripts/ledger.sh pushes, byte for byte) and points refs/infra/applied/<env>/<commit> at it.
 * The apply happened, so every failure here says so, and how to record the entry by hand.
 */
export async function recordLedgerEntry(context: WorkflowContext, input: LedgerEntryInput): Promise<string> {
  const { environment, bundle, receipt, signer, configDigest } = input;
  const env = environment.name;
  const ref = ledgerRef(env, receipt.commit);
  const entryFile = path.join(bundle, BundleFile.ledgerEntry);
  const applied = `${env} was applied (receipt ${path.join(bundle, BundleFile.receipt)})`;
  const keys = await readCommittedLedgerKeys(context.root, env);
  const signed = await signLedgerEntry(ref, ledgerPayload(receipt, configDigest), signer, keys).catch((error: unknown) => {
    const problem = kmsProblem(error, environment, signer?.signer ?? LEDGER_KEY_ALIAS, "so no ledger entry was recorded");
    throw new AppliedUnrecordedError(`${applied}, but ${problem.message}`, problem.hint);
  });
  if (signer !== null && !signed.verdict.verified) context.logger.warn(`${signed.verdict.problem}: no environment promoted from ${env} will accept it until that key is committed`);
  try {
    await writeAtomically(entryFile, signed.text);
    return await recordApplied(context.root, env, receipt.commit, entryFile);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new AppliedUnrecordedError(`${applied}, but the promotion ledger was not written: ${why}`, `record it by hand: git update-ref ${ref} $(git hash-object -w ${entryFile})`);
  }
}

export interface WrittenKey {
  env: string;
  file: string;
  keyId: string;
  /** false when the file already held this key. */
  added: boolean;
  source: string;
}

/**
 * `infra ledger --env E --write-key`: puts E's public ledger key first in envs/E/ledger-key.pem
 * (keys already there stay, newest first, so older entries keep verifying). A local-state stack's
 * key is made here (the private half in <root>/.infra/ledger-keys/E.pem, 0600); any other
 * environment's is its KMS key's public half, read with the caller's credentials.
 */
export async function writeLedgerKey(context: WorkflowContext, env: string): Promise<WrittenKey> {
  const environment = await readEnvironment(context.root, env, readOptions(context));
  const file = path.join(context.root, ledgerKeyPath(env));
  let publicKeyPem: string;
  let source: string;
  if (signsLocally(environment)) {
    source = localLedgerKeyFile(context.root, env);
    publicKeyPem = await createLocalLedgerKey(context.root, env).catch((error: unknown) => {
      throw fileSystemError(error, `cannot create ${env}'s ledger key ${displayPath(source)}`, `make ${displayPath(path.dirname(source))} writable, then run this again`);
    });
  } else {
    const keyArn = ledgerKeyArn(environment.region, environment.accountId);
    const answer = await kmsPublicKey(kmsConnectionFrom(context.processEnv, environment.region), keyArn).catch((error: unknown) => {
      throw kmsProblem(error, environment, keyArn, "so no key was written");
    });
    if (answer.keySpec !== "ECC_NIST_P256") {
      throw new ConfigError(`${keyArn} is a ${answer.keySpec} key, not ECC_NIST_P256`, `point ${LEDGER_KEY_ALIAS} in bootstrap/${env} at an ECC_NIST_P256 SIGN_VERIFY key`);
    }
    publicKeyPem = createPublicKey({ key: Buffer.from(answer.spki), format: "der", type: "spki" }).export({ type: "spki", format: "pem" }).toString();
    source = answer.keyArn;
  }
  const existing = await readFile(file, "utf8").catch(() => null);
  const { text, added } = withNewestKey(existing, publicKeyPem);
  if (added) {
    await writeAtomically(file, text).catch((error: unknown) => {
      throw fileSystemError(error, `cannot write ${displayPath(file)}`, `make envs/${env} writable, then run this again`);
    });
  }
  return { env, file, keyId: keyIdOf(createPublicKey(publicKeyPem)), added, source };
}

function kmsProblem(error: unknown, environment: Environment, keyArn: string, consequence: string): InfraError {
  if (!(error instanceof AwsFailure)) throw error;
  return new ConfigError(
    `KMS refused ${error.operation} with ${keyArn} (${error.code}: ${(error.message.split("\n")[0] ?? "").slice(0, 200)}), ${consequence}`,
    `bootstrap/${environment.name} creates ${LEDGER_KEY_ALIAS} and lets infra-deploy sign with it; check that it was applied, and AWS_ENDPOINT_URL_KMS`,
  );
}
