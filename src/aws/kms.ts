import { awsConnectionFrom, AwsFailure, callWith, clientConfig, type AwsConnection } from "./call.js";

/**
 * The ledger's signing key in an environment's own account (README "The promotion ledger"): an
 * ECC_NIST_P256 SIGN_VERIFY key that bootstrap/<env> creates under this alias, which only that
 * account's infra-deploy may use to sign.
 */
export const LEDGER_KEY_ALIAS = "alias/infra-ledger";
export const LEDGER_SIGNING_ALGORITHM = "ECDSA_SHA_256";

export function ledgerKeyArn(region: string, accountId: string): string {
  return `arn:aws:kms:${region}:${accountId}:${LEDGER_KEY_ALIAS}`;
}

export function kmsConnectionFrom(processEnv: NodeJS.ProcessEnv, region: string, timeoutMs?: number): AwsConnection {
  return awsConnectionFrom(processEnv, region, "KMS", timeoutMs);
}

/** Signs `message` as is (MessageType RAW: KMS hashes it with SHA-256); the signature is DER, as node:crypto verifies it. */
export async function kmsSign(connection: AwsConnection, keyId: string, message: Uint8Array): Promise<{ signature: Uint8Array; keyArn: string }> {
  const { SignCommand } = await loadSdk();
  const answer = await callWith("KMS", "Sign", connection, await newClient(connection), (kms, options) =>
    kms.send(new SignCommand({ KeyId: keyId, Message: message, MessageType: "RAW", SigningAlgorithm: LEDGER_SIGNING_ALGORITHM }), options),
  );
  if (!answer.Signature || answer.Signature.length === 0) throw new AwsFailure("KMS", "Sign", "IncompleteAnswer", `KMS answered Sign with ${keyId} without a signature`);
  return { signature: answer.Signature, keyArn: answer.KeyId ?? keyId };
}

/** The public half of `keyId` as SPKI DER, and what KMS says the key is. */
export async function kmsPublicKey(connection: AwsConnection, keyId: string): Promise<{ spki: Uint8Array; keyArn: string; keySpec: string }> {
  const { GetPublicKeyCommand } = await loadSdk();
  const answer = await callWith("KMS", "GetPublicKey", connection, await newClient(connection), (kms, options) => kms.send(new GetPublicKeyCommand({ KeyId: keyId }), options));
  if (!answer.PublicKey || answer.PublicKey.length === 0) throw new AwsFailure("KMS", "GetPublicKey", "IncompleteAnswer", `KMS answered GetPublicKey for ${keyId} without a key`);
  return { spki: answer.PublicKey, keyArn: answer.KeyId ?? keyId, keySpec: answer.KeySpec ?? "unknown" };
}

type Sdk = typeof import("@aws-sdk/client-kms");
let sdk: Promise<Sdk> | undefined;
// Loaded only by an apply that signs through KMS, or `infra ledger --write-key` of such an environment.
function loadSdk(): Promise<Sdk> {
  sdk ??= import("@aws-sdk/client-kms");
  return sdk;
}

async function newClient(connection: AwsConnection): Promise<InstanceType<Sdk["KMSClient"]>> {
  const { KMSClient } = await loadSdk();
  return new KMSClient(clientConfig(connection));
}
