import { describe, expect, it } from "vitest";
import { resourcesOfType, type PolicyResource } from "../../../src/policy/resources.js";

function resource(type: string, name: string): PolicyResource {
  return { type, name, module: "", address: `${type}.${name}`, values: () => [], references: () => [], sources: () => [], lineOf: () => undefined };
}

describe("resourcesOfType", () => {
  it("lists the resources of one type in their order, and none of a type not there", () => {
    const resources = [resource("aws_vpc", "a"), resource("aws_subnet", "b"), resource("aws_vpc", "c"), resource("aws_subnet", "d")];
    expect(resourcesOfType(resources, "aws_vpc").map((found) => found.name)).toEqual(["a", "c"]);
    expect(resourcesOfType(resources, "aws_subnet").map((found) => found.name)).toEqual(["b", "d"]);
    expect(resourcesOfType(resources, "aws_kms_key")).toEqual([]);
  });

  it("indexes each list of resources on its own", () => {
    const first = [resource("aws_vpc", "a")];
    const second = [resource("aws_vpc", "b"), resource("aws_vpc", "c")];
    expect(resourcesOfType(first, "aws_vpc").map((found) => found.name)).toEqual(["a"]);
    expect(resourcesOfType(second, "aws_vpc").map((found) => found.name)).toEqual(["b", "c"]);
  });
});
