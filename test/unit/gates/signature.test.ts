import { generateKeyPairSync } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { keyIdOf, readSignatureFacts, signManifest, signingKeysDir } from "../../../src/bundle/signature.js";
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
    await writeFile(path.join(bundle, "manifest.sig"), JSON.stringify(signManifest(text, pem(key))));
  }
  const decide = async () => signatureGate.decide(input({ signature: await readSignatureFacts(root, bundle) }));

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
    await expect(readSignatureFacts(root, bundle)).rejects.toThrow(`${path.join(signingKeysDir(root), "broken.pem")} is not a public key in PEM`);
  });
});

describe("signManifest", () => {
  it("refuses a key that is not an ed25519 private key", () => {
    expect(() => signManifest(MANIFEST_TEXT, "garbage")).toThrow(ConfigError);
    const rsa = generateKeyPairSync("rsa", { modulusLength: 1024 }).privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    expect(() => signManifest(MANIFEST_TEXT, rsa)).toThrow("INFRA_SIGNING_KEY is an rsa key, not ed25519");
  });
});
