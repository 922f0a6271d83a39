import { readFile } from "node:fs/promises";
import { inflateRawSync } from "node:zlib";
import { BundleError } from "../errors.js";

/**
 * What a saved plan says about itself, read from its own bytes: terraform writes a zip holding
 * `tfplan` (protobuf), the state, `tfconfig/` (every configuration file it loaded, per module,
 * with `modules.json`) and the dependency lock file. Gates decide from this, not from a manifest
 * anyone who can write the bundle can rewrite: these are the bytes terraform will execute.
 */
export interface PlanFileFacts {
  /** The backend terraform will use when applying this plan ("local", "s3", "cloud", ...). */
  backendType: string | null;
  /** When terraform made the plan (RFC 3339), from the plan itself. */
  createdAt: string | null;
  terraformVersion: string | null;
  snapshot: ConfigSnapshot;
}

export interface SnapshotModule {
  /** "" for the root module, "platform", "platform.networking" for nested calls. */
  key: string;
  /** The `source` argument of the call; null for the root module. */
  source: string | null;
  version: string | null;
  /** Where terraform found the module, relative to the directory it ran in. */
  dir: string;
}

export interface SnapshotFile {
  module: string;
  name: string;
  content: Buffer;
}

export interface ConfigSnapshot {
  modules: SnapshotModule[];
  files: SnapshotFile[];
  lockFile: Buffer | null;
}

const CONFIG_PREFIX = "tfconfig/";
const MODULES_MANIFEST = "tfconfig/modules.json";
const LOCK_FILE = ".terraform.lock.hcl";
const PLAN_ENTRY = "tfplan";
/** A configuration snapshot larger than this is no plan terraform made of a reviewable tree. */
const MAX_ENTRY_BYTES = 256 * 1024 * 1024;

export async function readPlanFileFacts(planFile: string): Promise<PlanFileFacts> {
  const bytes = await readFile(planFile);
  return planFileFacts(bytes, planFile);
}

/** Parses the zip a saved plan is; anything else is refused in one sentence naming the file. */
export function planFileFacts(bytes: Buffer, name: string): PlanFileFacts {
  const entries = readZip(bytes, name);
  const wanted = (entry: string) => entry === PLAN_ENTRY || entry === LOCK_FILE || entry.startsWith(CONFIG_PREFIX);
  const contents = new Map<string, Buffer>();
  for (const entry of entries) if (wanted(entry.name)) contents.set(entry.name, entry.read());
  const plan = contents.get(PLAN_ENTRY);
  const modulesJson = contents.get(MODULES_MANIFEST);
  if (!plan || !modulesJson) throw notAPlan(name, `it has no ${plan ? MODULES_MANIFEST : PLAN_ENTRY}`);
  const files: SnapshotFile[] = [];
  for (const [entry, content] of contents) {
    if (!entry.startsWith(CONFIG_PREFIX) || entry === MODULES_MANIFEST) continue;
    // tfconfig/m-<module key>/<file name>: module keys hold dots, never slashes.
    const match = /^tfconfig\/m-([^/]*)\/([^/]+)$/.exec(entry);
    if (!match) throw notAPlan(name, `its configuration snapshot holds an unexpected entry ${JSON.stringify(entry)}`);
    files.push({ module: match[1] as string, name: match[2] as string, content });
  }
  files.sort((a, b) => (a.module === b.module ? compare(a.name, b.name) : compare(a.module, b.module)));
  const proto = readPlanProto(plan, name);
  return {
    ...proto,
    snapshot: { modules: parseModules(modulesJson, name), files, lockFile: contents.get(LOCK_FILE) ?? null },
  };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function parseModules(bytes: Buffer, name: string): SnapshotModule[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString("utf8"));
  } catch {
    throw notAPlan(name, `its ${MODULES_MANIFEST} is not JSON`);
  }
  if (!Array.isArray(parsed)) throw notAPlan(name, `its ${MODULES_MANIFEST} is not a list of modules`);
  const modules = parsed.map((value: unknown): SnapshotModule => {
    const record = typeof value === "object" && value !== null ? (value as Record<string, unknown>) : {};
    const text = (key: string) => (typeof record[key] === "string" && record[key] !== "" ? (record[key] as string) : null);
    const key = typeof record["Key"] === "string" ? record["Key"] : null;
    const dir = text("Dir");
    if (key === null || dir === null) throw notAPlan(name, `its ${MODULES_MANIFEST} has a module without Key or Dir`);
    return { key, source: text("Source"), version: text("Version"), dir };
  });
  return modules.sort((a, b) => compare(a.key, b.key));
}

/**
 * The few top-level fields of the plan's protobuf message (terraform's planproto `Plan`) that
 * gates need: backend (13: type 1, workspace 3), terraform_version (14), timestamp (21).
 * Walked field by field; an unknown field is skipped by its wire type, as protobuf readers do.
 */
function readPlanProto(bytes: Buffer, name: string): Omit<PlanFileFacts, "snapshot"> {
  const facts: Omit<PlanFileFacts, "snapshot"> = { backendType: null, createdAt: null, terraformVersion: null };
  for (const field of protoFields(bytes, name)) {
    if (field.value === null) continue;
    if (field.number === 13) {
      for (const inner of protoFields(field.value, name)) if (inner.number === 1 && inner.value) facts.backendType = inner.value.toString("utf8");
    } else if (field.number === 14) facts.terraformVersion = field.value.toString("utf8");
    else if (field.number === 21) facts.createdAt = field.value.toString("utf8");
  }
  return facts;
}

/** Top-level fields of a protobuf message; `value` holds the bytes of length-delimited ones. */
function* protoFields(bytes: Buffer, name: string): Generator<{ number: number; value: Buffer | null }> {
  let offset = 0;
  const varint = (): number => {
    let result = 0;
    let shift = 0;
    for (;;) {
      if (offset >= bytes.length || shift > 49) throw notAPlan(name, "its tfplan entry is not a terraform plan (truncated protobuf)");
      const byte = bytes[offset++] as number;
      result += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7;
    }
  };
  while (offset < bytes.length) {
    const tag = varint();
    const wireType = tag % 8;
    const number = Math.floor(tag / 8);
    if (wireType === 0) {
      varint();
      yield { number, value: null };
    } else if (wireType === 1 || wireType === 5) {
      offset += wireType === 1 ? 8 : 4;
      yield { number, value: null };
    } else if (wireType === 2) {
      const length = varint();
      if (offset + length > bytes.length) throw notAPlan(name, "its tfplan entry is not a terraform plan (truncated protobuf)");
      yield { number, value: bytes.subarray(offset, offset + length) };
      offset += length;
    } else {
      throw notAPlan(name, `its tfplan entry is not a terraform plan (protobuf wire type ${wireType})`);
    }
  }
}

interface ZipEntry {
  name: string;
  read(): Buffer;
}

/** The entries of a zip archive, from its central directory (no zip64, no encryption: terraform writes neither). */
function readZip(bytes: Buffer, name: string): ZipEntry[] {
  const END_OF_DIRECTORY = 0x06054b50;
  const DIRECTORY_ENTRY = 0x02014b50;
  const LOCAL_HEADER = 0x04034b50;
  let end = -1;
  for (let offset = bytes.length - 22; offset >= Math.max(0, bytes.length - 22 - 0xffff); offset -= 1) {
    if (bytes.readUInt32LE(offset) === END_OF_DIRECTORY) {
      end = offset;
      break;
    }
  }
  if (end < 0) throw notAPlan(name, "it is not a zip archive");
  const count = bytes.readUInt16LE(end + 10);
  let offset = bytes.readUInt32LE(end + 16);
  const entries: ZipEntry[] = [];
  const names = new Set<string>();
  for (let index = 0; index < count; index += 1) {
    if (offset + 46 > bytes.length || bytes.readUInt32LE(offset) !== DIRECTORY_ENTRY) throw notAPlan(name, "its zip directory is damaged");
    const flags = bytes.readUInt16LE(offset + 8);
    const method = bytes.readUInt16LE(offset + 10);
    const compressedSize = bytes.readUInt32LE(offset + 20);
    const size = bytes.readUInt32LE(offset + 24);
    const nameLength = bytes.readUInt16LE(offset + 28);
    const extraLength = bytes.readUInt16LE(offset + 30);
    const commentLength = bytes.readUInt16LE(offset + 32);
    const localOffset = bytes.readUInt32LE(offset + 42);
    const entryName = bytes.subarray(offset + 46, offset + 46 + nameLength).toString("utf8");
    offset += 46 + nameLength + extraLength + commentLength;
    if (names.has(entryName)) throw notAPlan(name, `its zip holds ${JSON.stringify(entryName)} twice`);
    names.add(entryName);
    if (entryName.endsWith("/")) continue;
    if ((flags & 1) !== 0 || (method !== 0 && method !== 8)) throw notAPlan(name, `its entry ${JSON.stringify(entryName)} is encrypted or compressed in a way terraform never writes`);
    if (size > MAX_ENTRY_BYTES) throw notAPlan(name, `its entry ${JSON.stringify(entryName)} is larger than ${MAX_ENTRY_BYTES} bytes`);
    entries.push({
      name: entryName,
      read: () => {
        if (localOffset + 30 > bytes.length || bytes.readUInt32LE(localOffset) !== LOCAL_HEADER) throw notAPlan(name, "its zip entries are damaged");
        const start = localOffset + 30 + bytes.readUInt16LE(localOffset + 26) + bytes.readUInt16LE(localOffset + 28);
        const data = bytes.subarray(start, start + compressedSize);
        if (data.length !== compressedSize) throw notAPlan(name, `its entry ${JSON.stringify(entryName)} is truncated`);
        if (method === 0) return Buffer.from(data);
        try {
          const inflated = inflateRawSync(data, { maxOutputLength: Math.max(size, 1) });
          if (inflated.length !== size) throw new Error("size differs");
          return inflated;
        } catch {
          throw notAPlan(name, `its entry ${JSON.stringify(entryName)} does not decompress to the size the archive records`);
        }
      },
    });
  }
  return entries;
}

function notAPlan(name: string, why: string): BundleError {
  return new BundleError(`${name} is not a plan file terraform wrote: ${why}`, "make a new plan with `infra plan`; never edit a bundle by hand");
}
