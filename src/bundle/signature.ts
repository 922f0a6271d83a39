import { createHash, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { ConfigError } from "../errors.js";
import { BundleFile } from "./layout.js";
import { readBundleText } from "./read.js";

/**
 * Optional, off by default: an ed25519 signature over the exact bytes of manifest.json (which
 * holds the sha256 of every other file), made at plan time with a private key from the
 * environment, checked at apply against the public keys kept in the repository.
 */
export interface ManifestSignature {
  algorithm: "ed25519";
  /** First 16 hex of the sha256 of the public key (SPKI DER): which trusted key to check with. */
  keyId: string;
  /** base64 */
  signature: string;
}

export interface TrustedKey {
  /** The file it came from, named in every message about it. */
  file: string;
  keyId: string;
  key: KeyObject;
}

/** Where the repository keeps the public keys it trusts: `<root>/signing-keys/*.pem`. */
export function signingKeysDir(root: string): string {
  return path.join(root, "signing-keys");
}

export function keyIdOf(publicKey: KeyObject): string {
  return createHash("sha256").update(publicKey.export({ type: "spki", format: "der" })).digest("hex").slice(0, 16);
}

/**
 * Reads INFRA_SIGNING_KEY before anything is planned: a key that is no ed25519 private key, or
 * whose public half the repository does not trust, would only be found after terraform ran.
 */
export async function loadSigningKey(privateKeyPem: string, root: string): Promise<{ privateKey: KeyObject; keyId: string; warning?: string }> {
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(privateKeyPem);
  } catch {
    throw new ConfigError("INFRA_SIGNING_KEY is not a private key in PEM", "set it to an ed25519 private key (openssl genpkey -algorithm ed25519), or unset it to plan unsigned");
  }
  if (privateKey.asymmetricKeyType !== "ed25519") {
    throw new ConfigError(`INFRA_SIGNING_KEY is an ${String(privateKey.asymmetricKeyType)} key, not ed25519`, "generate one with: openssl genpkey -algorithm ed25519");
  }
  const keyId = keyIdOf(createPublicKey(privateKey));
  const trustedKeys = await readTrustedKeys(root);
  if (trustedKeys.length === 0) {
    return { privateKey, keyId, warning: `INFRA_SIGNING_KEY signs this plan (key ${keyId}), but the repository trusts no signing keys, so apply will not check the signature` };
  }
  if (!trustedKeys.some((trusted) => trusted.keyId === keyId)) {
    throw new ConfigError(
      `INFRA_SIGNING_KEY is key ${keyId}, which none of the ${trustedKeys.length} key(s) in ${signingKeysDir(root)} is, so apply would refuse the bundle`,
      "sign with a key whose public half is in signing-keys/ (openssl pkey -pubout), or add its public half there in a reviewed commit",
    );
  }
  return { privateKey, keyId };
}

/** Signs the exact bytes of `manifestText` with a key from loadSigningKey. */
export function signManifest(manifestText: string, signingKey: { privateKey: KeyObject; keyId: string }): ManifestSignature {
  return { algorithm: "ed25519", keyId: signingKey.keyId, signature: sign(null, Buffer.from(manifestText), signingKey.privateKey).toString("base64") };
}

/** What the signature gate decides over. */
export interface SignatureFacts {
  trustedKeys: TrustedKey[];
  manifestText: string;
  /** null: no manifest.sig; a string: why it is not a signature. */
  signature: ManifestSignature | string | null;
}

/** The signature facts of a bundle whose manifest.json was read as `manifestText` (once, by readBundleManifest). */
export async function signatureFactsOf(root: string, manifestText: string, bundle: string): Promise<SignatureFacts> {
  const [trustedKeys, signatureText] = await Promise.all([readTrustedKeys(root), readBundleText(bundle, BundleFile.signature)]);
  return { trustedKeys, manifestText, signature: signatureText === null ? null : parseSignature(signatureText) };
}

/** Checks the signature against the trusted keys; a problem sentence, or null when it holds. */
export function checkSignature(facts: SignatureFacts): string | null {
  const { signature, trustedKeys } = facts;
  if (signature === null) return `the bundle carries no ${BundleFile.signature}, but the repository trusts ${trustedKeys.length} signing key(s)`;
  if (typeof signature === "string") return signature;
  const key = trustedKeys.find((trusted) => trusted.keyId === signature.keyId);
  if (!key) return `the bundle was signed with key ${signature.keyId}, which none of the repository's signing keys is`;
  const valid = verify(null, Buffer.from(facts.manifestText), key.key, Buffer.from(signature.signature, "base64"));
  return valid ? null : `the signature by ${path.basename(key.file)} does not match manifest.json: the bundle was edited after signing`;
}

async function readTrustedKeys(root: string): Promise<TrustedKey[]> {
  const dir = signingKeysDir(root);
  const names = (await readdir(dir).catch(() => [] as string[])).filter((name) => name.endsWith(".pem")).sort();
  return Promise.all(
    names.map(async (name) => {
      const file = path.join(dir, name);
      let key: KeyObject;
      try {
        key = createPublicKey(await readFile(file, "utf8"));
      } catch {
        throw new ConfigError(`${file} is not a public key in PEM`, "keep only ed25519 public keys (openssl pkey -pubout) in signing-keys/");
      }
      if (key.asymmetricKeyType !== "ed25519") throw new ConfigError(`${file} is not an ed25519 public key`, "keep only ed25519 public keys in signing-keys/");
      return { file, keyId: keyIdOf(key), key };
    }),
  );
}

function parseSignature(text: string): ManifestSignature | string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return `${BundleFile.signature} is not JSON`;
  }
  const record = typeof parsed === "object" && parsed !== null ? (parsed as Record<string, unknown>) : {};
  if (record["algorithm"] !== "ed25519" || typeof record["keyId"] !== "string" || typeof record["signature"] !== "string") {
    return `${BundleFile.signature} is not an ed25519 signature (algorithm, keyId, signature)`;
  }
  return { algorithm: "ed25519", keyId: record["keyId"], signature: record["signature"] };
}
