import type { InfraError } from "../errors.js";
import type { GateDecision } from "./apply-gates.js";

export function allow(gate: string, reason: string): GateDecision {
  return { gate, allowed: true, reason };
}

export function refuse(gate: string, refusal: InfraError): GateDecision {
  return { gate, allowed: false, reason: refusal.message, refusal };
}
