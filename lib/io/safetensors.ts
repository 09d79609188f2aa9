/**
 * The safetensors file format, read and written from scratch (it is small).
 *
 * A file is
 *
 *   [8 bytes: N, little-endian u64][N bytes: JSON header][raw tensor bytes]
 *
 * The header maps each tensor name to `{dtype, shape, data_offsets: [begin, end]}`,
 * offsets counted from the first byte after the header, plus an optional
 * `"__metadata__"` object of string values. Data is little-endian and packed:
 * the tensors tile the data section exactly, with no gaps or overlaps. The same
 * file opens with `safetensors.numpy.load_file`, `safetensors.torch.load_file`
 * and the Rust crate.
 *
 * This module only converts between bytes and tensors; `model_file.ts` maps a
 * network onto tensors and does the file I/O.
 *
 * @module
 */

import { InputError, quote } from "../errors.ts";
import { FILE_KIND_NAMES, fileKind } from "./file_kind.ts";

/** One tensor of 32-bit floats with its shape. */
export interface Tensor {
  /** Size of each dimension; the product is `data.length`. */
  shape: number[];
  /** The values, row-major (last dimension fastest). */
  data: Float32Array;
}

/** The decoded content of a safetensors file. */
export interface Safetensors {
  /** Every tensor of the file, by name. */
  tensors: Map<string, Tensor>;
  /** The header's `__metadata__` string values, empty when the file has none. */
  metadata: Record<string, string>;
}

const MAX_HEADER_BYTES = 100_000_000;
/**
 * The deepest JSON nesting accepted in a header. A safetensors header nests 3
 * levels (header → tensor → shape); V8's JSON.parse takes seconds on a few
 * megabytes of `[[[[…`, so deeper headers are refused before parsing.
 */
const MAX_JSON_DEPTH = 32;

/**
 * Encodes F32 tensors and string metadata as safetensors bytes. Tensors are
 * written in the order given, so the same input always gives the same bytes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeSafetensors, encodeSafetensors } from "./safetensors.ts";
 * const bytes = encodeSafetensors(
 *   new Map([["w", { shape: [2], data: new Float32Array([1.5, -2]) }]]),
 *   { format: "demo" },
 * );
 * const back = decodeSafetensors(bytes, "demo.safetensors");
 * assert.deepEqual([...back.tensors.get("w")!.data], [1.5, -2]);
 * assert.equal(back.metadata.format, "demo");
 * ```
 */
export function encodeSafetensors(tensors: Map<string, Tensor>, metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const [name, t] of tensors) {
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length) {
      throw new RangeError(`tensor ${name} has shape [${t.shape}] but ${t.data.length} values`);
    }
    header[name] = { dtype: "F32", shape: t.shape, data_offsets: [offset, offset + 4 * count] };
    offset += 4 * count;
  }
  // pad with spaces so the data starts at a multiple of 8 bytes, as the Rust crate does; the padding counts
  // UTF-8 bytes, not UTF-16 code units, so non-ASCII metadata ("café ✓") keeps the alignment
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerBytes = new Uint8Array(json.length + ((8 - (json.length % 8)) % 8)).fill(0x20);
  headerBytes.set(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const t of tensors.values()) {
    for (let k = 0; k < t.data.length; k++, at += 4) view.setFloat32(at, t.data[k], true);
  }
  return out;
}

/**
 * Decodes and validates safetensors bytes. Every problem (truncated file,
 * header that is not JSON, offsets that overlap, leave gaps or run past the
 * end, a shape that does not match its byte size, a dtype other than F32)
 * throws an {@linkcode InputError} naming `source`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeSafetensors, encodeSafetensors } from "./safetensors.ts";
 * const bytes = encodeSafetensors(new Map([["b", { shape: [1, 2], data: new Float32Array([3, 4]) }]]));
 * const { tensors } = decodeSafetensors(bytes, "ok.safetensors");
 * assert.deepEqual(tensors.get("b"), { shape: [1, 2], data: new Float32Array([3, 4]) });
 * // one byte short: 2 floats need 8 bytes of data
 * const cut = bytes.subarray(0, bytes.length - 1);
 * assert.throws(() => decodeSafetensors(cut, "cut.safetensors"), /cut.safetensors: .* need 8 bytes .* holds 7/);
 * ```
 */
export function decodeSafetensors(bytes: Uint8Array, source: string): Safetensors {
  const fail = (what: string): never => {
    // a file that fails a check and begins like a common other kind is named as that kind (a valid safetensors file
    // may begin with the same bytes: its 8-byte header length is any number)
    const kind = knownFileKind(bytes);
    throw new InputError(`${source}: not a valid safetensors file: ${kind === null ? what : kind}`);
  };
  if (bytes.length < 8) fail(`it is ${bytes.length} bytes long, too short for the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getBigUint64(0, true);
  if (headerLength > BigInt(MAX_HEADER_BYTES)) {
    fail(
      `it does not begin like one (its first 8 bytes, the header length field, say ${headerLength} bytes, ` +
        `more than the ${MAX_HEADER_BYTES} allowed)`,
    );
  }
  if (headerLength > BigInt(bytes.length - 8)) {
    fail(`the header length field says ${headerLength} bytes but the file has ${bytes.length - 8} after it`);
  }
  const n = Number(headerLength);
  const depth = jsonDepth(bytes.subarray(8, 8 + n), MAX_JSON_DEPTH);
  if (depth > MAX_JSON_DEPTH) {
    fail(`the header nests JSON more than ${MAX_JSON_DEPTH} levels deep (a safetensors header nests 3)`);
  }
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + n)));
  } catch {
    fail("the header is not valid UTF-8 JSON");
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) fail("the header is not a JSON object");
  const dataStart = 8 + n;
  const dataLength = bytes.length - dataStart;
  const metadata: Record<string, string> = {};
  const entries: { name: string; shape: number[]; begin: number; end: number }[] = [];
  for (const [name, value] of Object.entries(header as Record<string, unknown>)) {
    if (name === "__metadata__") {
      if (typeof value !== "object" || value === null || Array.isArray(value)) fail("__metadata__ is not an object");
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        if (typeof v !== "string") fail(`metadata ${quote(k)} is not a string`);
        metadata[k] = v as string;
      }
      continue;
    }
    const info = value as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof info !== "object" || info === null) fail(`tensor ${quote(name)} is not described by an object`);
    if (info.dtype === undefined) fail(`tensor ${quote(name)} has no dtype`);
    if (info.dtype !== "F32") fail(`tensor ${quote(name)} has dtype ${quote(info.dtype)}; only F32 is supported`);
    const shape = info.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      fail(`tensor ${quote(name)} has an invalid shape ${quote(shape)}`);
    }
    const offsets = info.data_offsets;
    if (
      !Array.isArray(offsets) || offsets.length !== 2 ||
      !offsets.every((d) => Number.isSafeInteger(d) && d >= 0) || offsets[0] > offsets[1]
    ) {
      fail(`tensor ${quote(name)} has invalid data_offsets ${quote(offsets)}`);
    }
    const [begin, end] = offsets as number[];
    const count = (shape as number[]).reduce((a, b) => a * b, 1);
    if (end - begin !== 4 * count) {
      fail(
        `tensor ${quote(name)} has shape ${quote(shape)} (${4 * count} bytes) but its offsets span ${
          end - begin
        } bytes`,
      );
    }
    entries.push({ name, shape: shape as number[], begin, end });
  }
  // The tensors must tile the data section exactly.
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let expected = 0;
  for (const e of entries) {
    if (e.begin !== expected) {
      fail(
        e.begin < expected
          ? `tensor ${quote(e.name)} overlaps the one before it`
          : `there is a gap before tensor ${quote(e.name)}`,
      );
    }
    expected = e.end;
  }
  if (expected !== dataLength) {
    fail(
      expected > dataLength
        ? `the tensors need ${expected} bytes of data but the file holds ${dataLength} (truncated?)`
        : `${dataLength - expected} bytes after the last tensor are not described by the header`,
    );
  }
  const tensors = new Map<string, Tensor>();
  for (const e of entries) {
    const data = new Float32Array((e.end - e.begin) / 4);
    for (let k = 0; k < data.length; k++) data[k] = view.getFloat32(dataStart + e.begin + 4 * k, true);
    tensors.set(e.name, { shape: e.shape, data });
  }
  return { tensors, metadata };
}

/**
 * The deepest nesting of `[` and `{` in JSON bytes (outside strings), counted
 * in one pass that stops once it passes `limit`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { jsonDepth } from "./safetensors.ts";
 * assert.equal(jsonDepth(new TextEncoder().encode('{"a":{"shape":[1,2]},"b":"[[["}'), 100), 3);
 * assert.equal(jsonDepth(new TextEncoder().encode("[".repeat(1e6)), 32), 33);
 * ```
 */
export function jsonDepth(bytes: Uint8Array, limit: number): number {
  let depth = 0, deepest = 0, inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (inString) {
      if (b === 0x5c) i++; // backslash: skip the escaped character
      else if (b === 0x22) inString = false;
    } else if (b === 0x22) inString = true;
    else if (b === 0x5b || b === 0x7b) {
      if (++depth > deepest && (deepest = depth) > limit) return deepest;
    } else if (b === 0x5d || b === 0x7d) depth--;
  }
  return deepest;
}

/** What a file that is not safetensors is, from its first bytes, when it is a common kind a user might pick by mistake. */
function knownFileKind(bytes: Uint8Array): string | null {
  const kind = fileKind(bytes);
  if (kind === null) {
    // text (a CSV table, a README): its first 8 bytes, read as the header length, are far over any limit, and a valid
    // file's never are all printable, since a header length's top bytes are zero
    const head = bytes.subarray(0, 8);
    const text = head.length === 8 &&
      head.every((b) => (b >= 0x20 && b <= 0x7e) || b === 0x09 || b === 0x0a || b === 0x0d);
    return text ? `it is a text file (it begins ${JSON.stringify(String.fromCharCode(...head))}), not a model` : null;
  }
  if (kind === "zip") return "it is a ZIP archive (as PyTorch's .pt files are), not safetensors";
  if (kind === "gzip") return "it is gzip-compressed (decompress it first)";
  return `it is ${FILE_KIND_NAMES[kind]}, not a model`;
}
