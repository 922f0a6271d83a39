import { createPublicKey, generateKeyPairSync, sign, type KeyObject } from "node:crypto";
import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A small KMS that speaks the JSON 1.1 protocol on 127.0.0.1, so the real @aws-sdk/client-kms
 * (and the real CLI) can be tested against it: Sign (ECDSA_SHA_256, RAW or DIGEST) and
 * GetPublicKey over node:crypto P-256 keys, and KMS's error answers. Callers are told apart by
 * the access key id in the SigV4 Authorization header.
 */
export interface FakeKmsKey {
  /** The key's ARN, which KMS answers with whatever alias it was asked by. */
  arn: string;
  privateKey: KeyObject;
  /** Access key ids allowed kms:Sign; everyone else gets AccessDeniedException. */
  signers: readonly string[];
}

export interface KmsRequest {
  operation: string;
  accessKeyId: string | null;
  body: Record<string, unknown>;
}

export interface FakeKms {
  endpoint: string;
  requests: KmsRequest[];
  close(): Promise<void>;
}

/** A fresh P-256 key pair, the kind an ECC_NIST_P256 SIGN_VERIFY key holds. */
export function p256KeyPair(): { privateKey: KeyObject; publicKey: KeyObject; publicPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  return { privateKey, publicKey, publicPem: publicKey.export({ type: "spki", format: "pem" }).toString() };
}

/** `keys` maps every name a key is asked by (alias ARN, key ARN) to it. */
export async function startFakeKms(keys: Record<string, FakeKmsKey>): Promise<FakeKms> {
  const requests: KmsRequest[] = [];
  const server: Server = createServer((request, response) => {
    let text = "";
    request.on("data", (chunk: Buffer) => (text += chunk.toString()));
    request.on("end", () => {
      const operation = String(request.headers["x-amz-target"] ?? "").replace(/^TrentService\./, "");
      const accessKeyId = /Credential=([^/]+)\//.exec(request.headers.authorization ?? "")?.[1] ?? null;
      const body = (text ? JSON.parse(text) : {}) as Record<string, unknown>;
      requests.push({ operation, accessKeyId, body });
      const key = keys[String(body["KeyId"])];
      if (!key) return sendError(response, "NotFoundException", `Alias ${String(body["KeyId"])} is not found.`);
      if (operation === "GetPublicKey") {
        const der = createPublicKey(key.privateKey).export({ type: "spki", format: "der" });
        return send(response, 200, { KeyId: key.arn, PublicKey: der.toString("base64"), KeySpec: "ECC_NIST_P256", KeyUsage: "SIGN_VERIFY", SigningAlgorithms: ["ECDSA_SHA_256"] });
      }
      if (operation === "Sign") {
        if (!accessKeyId || !key.signers.includes(accessKeyId)) {
          return sendError(response, "AccessDeniedException", `User: ${accessKeyId ?? "anonymous"} is not authorized to perform: kms:Sign on resource: ${key.arn}`);
        }
        if (body["SigningAlgorithm"] !== "ECDSA_SHA_256") return sendError(response, "InvalidKeyUsageException", `${String(body["SigningAlgorithm"])} is not valid for ${key.arn}`);
        const message = Buffer.from(String(body["Message"]), "base64");
        // infra signs RAW; a DIGEST request would be a change this test should notice.
        if (body["MessageType"] === "DIGEST") return sendError(response, "ValidationException", "this fake KMS signs RAW messages only");
        if (message.length > 4096) return sendError(response, "ValidationException", "Message must be at most 4096 bytes with MessageType RAW");
        return send(response, 200, { KeyId: key.arn, Signature: sign("sha256", message, key.privateKey).toString("base64"), SigningAlgorithm: "ECDSA_SHA_256" });
      }
      return sendError(response, "UnknownOperationException", `unknown operation ${operation}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function send(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { "content-type": "application/x-amz-json-1.1" });
  response.end(JSON.stringify(body));
}

function sendError(response: ServerResponse, type: string, message: string): void {
  response.writeHead(400, { "content-type": "application/x-amz-json-1.1", "x-amzn-errortype": type });
  response.end(JSON.stringify({ __type: type, message }));
}
