import { createPublicKey, generateKeyPairSync } from "node:crypto";
import { mkdir, readFile, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { keyIdOf, loadSigningKey, signatureFactsOf, signManifest, signingKeysDir } from "../../../src/bundle/signature.js";
import { BundleError, ConfigError } from "../../../src/errors.js";
import { signatureGate } from "../../../src/gates/signature.js";
import { input } from "./gate-input.js";

const pair = () => generateKeyPairSync("ed25519");
const pem = (key: ReturnType<typeof pair>["privateKey"]) => key.export({ type: "pkcs8", format: "pem" }).toString();
const MANIFEST_TEXT = '{\n  "env": "dev",\n  "planDigest": "1111"\n}\n';

describe("signatureGate over real files and keys", () => {
  let root: string;
  let bundle: string;
  const signer = pair();

  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), "infra-sign-"));
    bundle = path.join(root, "bundle");
    await mkdir(bundle);
    await writeFile(path.join(bundle, "manifest.json"), MANIFEST_TEXT);
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  async function trust(publicKey: ReturnType<typeof pair>["publicKey"], name = "ci.pem"): Promise<void> {
    await mkdir(signingKeysDir(root), { recursive: true });
    await writeFile(path.join(signingKeysDir(root), name), publicKey.export({ type: "spki", format: "pem" }).toString());
  }
  async function signBundle(text = MANIFEST_TEXT, key = signer.privateKey): Promise<void> {
    await writeFile(path.join(bundle, "manifest.sig"), JSON.stringify(signManifest(text, { privateKey: key, keyId: keyIdOf(createPublicKey(key)) })));
  }
  const decide = async () => signatureGate.decide(input({ signature: await signatureFactsOf(root, await readFile(path.join(bundle, "manifest.json"), "utf8"), bundle) }));

  it("is off while the repository trusts no keys, signed or not", async () => {
    expect(await decide()).toMatchObject({ allowed: true, reason: "off: the repository trusts no signing keys (signing-keys/*.pem)" });
    await signBundle();
    expect((await decide()).allowed).toBe(true);
  });

  it("allows a manifest signed by a trusted key", async () => {
    await trust(signer.publicKey);
    await signBundle();
    expect(await decide()).toMatchObject({ allowed: true, reason: "manifest.json is signed by ci.pem" });
  });

  it("refuses a bundle edited after signing", async () => {
    await trust(signer.publicKey);
    await signBundle();
    await writeFile(path.join(bundle, "manifest.json"), MANIFEST_TEXT.replace("1111", "2222"));
    const decision = await decide();
    expect(decision.refusal).toBeInstanceOf(BundleError);
    expect(decision.reason).toBe("the signature by ci.pem does not match manifest.json: the bundle was edited after signing");
  });

  it("refuses a missing signature, an unknown key and a signature that is no signature", async () => {
    await trust(signer.publicKey);
    expect((await decide()).reason).toBe("the bundle carries no manifest.sig, but the repository trusts 1 signing key(s)");
    const stranger = pair();
    await signBundle(MANIFEST_TEXT, stranger.privateKey);
    expect((await decide()).reason).toBe(`the bundle was signed with key ${keyIdOf(stranger.publicKey)}, which none of the repository's signing keys is`);
    await writeFile(path.join(bundle, "manifest.sig"), "<html>");
    expect((await decide()).reason).toBe("manifest.sig is not JSON");
  });

  it("names a key file that is not an ed25519 public key", async () => {
    await mkdir(signingKeysDir(root), { recursive: true });
    await writeFile(path.join(signingKeysDir(root), "broken.pem"), "not a key");
    await expect(signatureFactsOf(root, MANIFEST_TEXT, bundle)).rejects.toThrow(`${path.join(signingKeysDir(root), "broken.pem")} is not a public key in PEM`);
  });
});

describe("loadSigningKey: INFRA_SIGNING_KEY is judged before anything is planned", () => {
  let root: string;
  const trusted = pair();
  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), "infra-signkey-"));
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  it("refuses a key that is not an ed25519 private key, without quoting it", async () => {
    await expect(loadSigningKey("garbage-0x5eC", root)).rejects.toThrow(ConfigError);
    await expect(loadSigningKey("garbage-0x5eC", root)).rejects.not.toThrow("0x5eC");
    const rsa = generateKeyPairSync("rsa", { modulusLength: 1024 }).privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    await expect(loadSigningKey(rsa, root)).rejects.toThrow("INFRA_SIGNING_KEY is an rsa key, not ed25519");
  });

  it("refuses a key the repository does not trust, since apply would refuse its bundle", async () => {
    await mkdir(signingKeysDir(root));
    await writeFile(path.join(signingKeysDir(root), "ci.pem"), trusted.publicKey.export({ type: "spki", format: "pem" }).toString());
    const stranger = pair();
    await expect(loadSigningKey(pem(stranger.privateKey), root)).rejects.toThrow(
      `INFRA_SIGNING_KEY is key ${keyIdOf(stranger.publicKey)}, which none of the 1 key(s) in ${signingKeysDir(root)} is, so apply would refuse the bundle`,
    );
    const loaded = await loadSigningKey(pem(trusted.privateKey), root);
    expect(loaded).toMatchObject({ keyId: keyIdOf(trusted.publicKey) });
    expect(loaded.warning).toBeUndefined();
  });

  it("signs, with a warning, while the repository trusts no keys", async () => {
    const loaded = await loadSigningKey(pem(trusted.privateKey), root);
    expect(loaded.warning).toBe(`INFRA_SIGNING_KEY signs this plan (key ${keyIdOf(trusted.publicKey)}), but the repository trusts no signing keys, so apply will not check the signature`);
  });
});
