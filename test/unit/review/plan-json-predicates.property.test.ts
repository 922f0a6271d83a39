import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  isWellFormedChange,
  isWellFormedDrift,
  isWellFormedModuleValues,
  isWellFormedResourceChange,
  schemasForTest,
} from "../../../src/review/plan-json.js";

/**
 * parsePlanJson skips zod for the elements of the large arrays when a plain predicate admits
 * them; the schema stays the judge. So a predicate must never admit what its schema refuses, and
 * it should admit what terraform writes (else the fast path is never taken).
 */
const anyJson = fc.oneof(
  fc.constant(undefined),
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double(),
  fc.string({ maxLength: 4 }),
  fc.constantFrom("create", "update", "delete", "no-op", "read", "forget", "delete,create"),
  fc.array(fc.constantFrom("create", "delete", "update", "no-op", "forget", "read", 1, null), { maxLength: 3 }),
  fc.array(fc.array(fc.oneof(fc.string({ maxLength: 3 }), fc.integer(), fc.constant(null)), { maxLength: 2 }), { maxLength: 2 }),
  fc.dictionary(fc.constantFrom("id", "x"), fc.oneof(fc.string({ maxLength: 3 }), fc.integer(), fc.constant(null)), { maxKeys: 2 }),
  fc.constant([]),
  fc.constant({}),
);

const validChange = fc.record(
  {
    actions: fc.constantFrom(["no-op"], ["create"], ["read"], ["update"], ["delete", "create"], ["create", "delete"], ["delete"], ["forget"], ["create", "forget"]),
    before: fc.jsonValue(),
    after: fc.jsonValue(),
    after_unknown: fc.jsonValue(),
    before_sensitive: fc.jsonValue(),
    after_sensitive: fc.jsonValue(),
    replace_paths: fc.array(fc.array(fc.oneof(fc.string(), fc.integer()))),
    importing: fc.oneof(fc.constant(null), fc.record({ id: fc.string() }, { requiredKeys: [] })),
    generated_config: fc.string(),
  },
  { requiredKeys: ["actions"] },
);

const validResource = fc.record(
  {
    address: fc.string(),
    previous_address: fc.string(),
    module_address: fc.string(),
    mode: fc.constantFrom("managed", "data"),
    type: fc.string(),
    name: fc.string(),
    index: fc.jsonValue(),
    deposed: fc.string(),
    action_reason: fc.string(),
    change: validChange,
  },
  { requiredKeys: ["address", "mode", "type", "name", "change"] },
);

/** A valid value with one field (at any depth of the first two levels) replaced by anything or removed. */
function mutated<T extends Record<string, unknown>>(valid: fc.Arbitrary<T>): fc.Arbitrary<unknown> {
  return fc.tuple(valid, fc.nat(), fc.nat(), anyJson, fc.boolean()).map(([value, pick, pickInner, replacement, remove]) => {
    const copy = structuredClone(value) as Record<string, unknown>;
    const keys = [...Object.keys(copy), "change", "address", "mode"];
    const key = keys[pick % keys.length] as string;
    const inner = copy[key];
    if (key === "change" && typeof inner === "object" && inner !== null && pickInner % 2 === 0) {
      const innerKeys = [...Object.keys(inner), "actions", "importing", "replace_paths", "generated_config"];
      const innerKey = innerKeys[pickInner % innerKeys.length] as string;
      if (remove) delete (inner as Record<string, unknown>)[innerKey];
      else (inner as Record<string, unknown>)[innerKey] = replacement;
    } else if (remove) delete copy[key];
    else copy[key] = replacement;
    return copy;
  });
}

const cases = [
  ["resource change", isWellFormedResourceChange, schemasForTest.resourceChange, validResource],
  ["drift entry", isWellFormedDrift, schemasForTest.drift, validResource],
  ["change", isWellFormedChange, schemasForTest.change, validChange],
] as const;

describe("the plan predicates agree with the schema", () => {
  for (const [name, predicate, schema, valid] of cases) {
    it(`admit every well-formed ${name}`, () => {
      fc.assert(fc.property(valid, (value) => predicate(value) && schema.safeParse(value).success), { numRuns: 300 });
    });

    it(`admit a mutated ${name} only where the schema does`, () => {
      fc.assert(
        fc.property(fc.oneof(mutated(valid as fc.Arbitrary<Record<string, unknown>>), anyJson), (value) => {
          if (predicate(value)) expect(schema.safeParse(value).success).toBe(true);
        }),
        { numRuns: 2_000 },
      );
    });
  }

  it("admit module values only where the schema does", () => {
    const module = fc.record(
      {
        resources: fc.oneof(anyJson, fc.array(fc.oneof(anyJson, fc.record({ address: fc.oneof(fc.string(), anyJson), values: fc.jsonValue() })), { maxLength: 3 })),
        child_modules: anyJson,
        address: fc.string(),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.oneof(module, anyJson), (value) => {
        expect(isWellFormedModuleValues(value)).toBe(schemasForTest.moduleValues.safeParse(value).success);
      }),
      { numRuns: 2_000 },
    );
  });
});
