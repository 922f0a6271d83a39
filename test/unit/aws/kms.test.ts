import { createPublicKey, verify } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { AwsFailure } from "../../../src/aws/call.js";
import { kmsConnectionFrom, kmsPublicKey, kmsSign, ledgerKeyArn } from "../../../src/aws/kms.js";
import { p256KeyPair, startFakeKms, type FakeKms } from "../../fake-kms.js";

// The real @aws-sdk/client-kms talks to a JSON 1.1 KMS on 127.0.0.1; no SDK method is stubbed.
const ACCOUNT = "123456789012";
const REGION = "eu-central-1";
const ALIAS_ARN = ledgerKeyArn(REGION, ACCOUNT);
const KEY_ARN = `arn:aws:kms:${REGION}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;

let kms: FakeKms | undefined;
afterEach(async () => {
  await kms?.close();
  kms = undefined;
});

function connection(accessKeyId: string) {
  return kmsConnectionFrom({ AWS_ENDPOINT_URL_KMS: kms?.endpoint, AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: "fake-secret", AWS_SESSION_TOKEN: "fake-token" }, REGION, 5_000);
}

describe("the ledger's KMS key through @aws-sdk/client-kms", () => {
  it("names alias/infra-ledger in the environment's own account and region", () => {
    expect(ALIAS_ARN).toBe("arn:aws:kms:eu-central-1:123456789012:alias/infra-ledger");
  });

  it("signs the message as is (RAW, ECDSA_SHA_256), a DER signature node:crypto verifies with the key's public half", async () => {
    const pair = p256KeyPair();
    kms = await startFakeKms({ [ALIAS_ARN]: { arn: KEY_ARN, privateKey: pair.privateKey, signers: ["ASIADEPLOY"] } });
    const message = Buffer.from('{"env":"dev"}');
    const { signature, keyArn } = await kmsSign(connection("ASIADEPLOY"), ALIAS_ARN, message);
    expect(keyArn).toBe(KEY_ARN);
    expect(verify("sha256", message, pair.publicKey, signature)).toBe(true);
    expect(verify("sha256", Buffer.from('{"env":"prod"}'), pair.publicKey, signature)).toBe(false);
    expect(kms.requests).toEqual([
      { operation: "Sign", accessKeyId: "ASIADEPLOY", body: { KeyId: ALIAS_ARN, Message: message.toString("base64"), MessageType: "RAW", SigningAlgorithm: "ECDSA_SHA_256" } },
    ]);
  });

  it("reads the public half as SPKI DER", async () => {
    const pair = p256KeyPair();
    kms = await startFakeKms({ [ALIAS_ARN]: { arn: KEY_ARN, privateKey: pair.privateKey, signers: [] } });
    const answer = await kmsPublicKey(connection("ASIAADMIN"), ALIAS_ARN);
    expect(answer.keySpec).toBe("ECC_NIST_P256");
    expect(createPublicKey({ key: Buffer.from(answer.spki), format: "der", type: "spki" }).export({ type: "spki", format: "pem" })).toBe(pair.publicPem);
  });

  it("turns KMS's refusals into failures carrying KMS's error code", async () => {
    kms = await startFakeKms({ [ALIAS_ARN]: { arn: KEY_ARN, privateKey: p256KeyPair().privateKey, signers: ["ASIADEPLOY"] } });
    const denied = await kmsSign(connection("ASIAPERSON"), ALIAS_ARN, Buffer.from("x")).catch((error: unknown) => error);
    expect(denied).toBeInstanceOf(AwsFailure);
    expect(denied).toMatchObject({ service: "KMS", operation: "Sign", code: "AccessDeniedException" });
    const missing = await kmsSign(connection("ASIADEPLOY"), ledgerKeyArn(REGION, "210987654321"), Buffer.from("x")).catch((error: unknown) => error);
    expect(missing).toMatchObject({ operation: "Sign", code: "NotFoundException" });
  });
});
