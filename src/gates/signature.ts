import { checkSignature } from "../bundle/signature.js";
import { BundleError } from "../errors.js";
import type { ApplyGate } from "./apply-gates.js";
import { allow, refuse } from "./decision.js";

/**
 * Off until the repository holds public keys under `<root>/signing-keys/`; then only a bundle
 * whose manifest one of them signed is applied (a bundle CI stored and handed on cannot be
 * edited or swapped for one planned elsewhere).
 */
export const signatureGate: ApplyGate = {
  name: "signature",
  decide({ signature }) {
    if (signature.trustedKeys.length === 0) return allow(this.name, "off: the repository trusts no signing keys (signing-keys/*.pem)");
    const problem = checkSignature(signature);
    if (problem !== null) {
      return refuse(this.name, new BundleError(problem, "plan again with INFRA_SIGNING_KEY set to a key whose public half is in signing-keys/; never edit a bundle"));
    }
    const signer = signature.trustedKeys.find((key) => typeof signature.signature === "object" && key.keyId === signature.signature?.keyId);
    return allow(this.name, `manifest.json is signed by ${signer ? signer.file.split("/").pop() : "a trusted key"}`);
  },
};
