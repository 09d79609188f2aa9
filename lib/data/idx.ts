/**
 * The IDX format of the official MNIST files, and gzip for their `.gz` copies.
 *
 * An IDX file is a big-endian header followed by the raw values:
 *
 * | offset      | bytes | content                                               |
 * |-------------|-------|-------------------------------------------------------|
 * | 0           | 2     | zero                                                  |
 * | 2           | 1     | type of the values (0x08 = unsigned byte, …)          |
 * | 3           | 1     | number of dimensions d                                |
 * | 4           | 4 × d | each dimension's size, a big-endian 32-bit integer    |
 * | 4 + 4d      | Π     | the values, last dimension fastest (row-major)        |
 *
 * so the first four bytes, read as one big-endian integer, are the "magic
 * number": 0x00000803 (2051) for MNIST's images [n, 28, 28] and 0x00000801
 * (2049) for its labels [n]. Only unsigned bytes are supported, which is what
 * MNIST uses. Every problem is an {@linkcode InputError} naming the file and,
 * where it applies, the byte offset.
 *
 * @module
 */

import { CLASSES, IMAGE_SIDE, PIXELS } from "./dataset.ts";
import { InputError } from "../errors.ts";
import { FILE_KIND_NAMES, fileKind } from "../io/file_kind.ts";

/** The IDX type code of unsigned bytes. */
export const IDX_UBYTE = 0x08;
/** The magic number of an MNIST images file: unsigned bytes, 3 dimensions. */
export const IDX_IMAGES_MAGIC = 0x00000803;
/** The magic number of an MNIST labels file: unsigned bytes, 1 dimension. */
export const IDX_LABELS_MAGIC = 0x00000801;

const TYPE_NAMES: Record<number, string> = {
  0x08: "unsigned bytes",
  0x09: "signed bytes",
  0x0b: "16-bit integers",
  0x0c: "32-bit integers",
  0x0d: "32-bit floats",
  0x0e: "64-bit floats",
};

/** A decoded IDX file of unsigned bytes. */
export interface Idx {
  /** The size of each dimension, outermost first. */
  dims: number[];
  /** The values, row-major (a view into the file's bytes). */
  data: Uint8Array;
  /** Where the values start in the file: 4 + 4 × dims.length. */
  dataOffset: number;
}

/**
 * Encodes unsigned bytes with their dimensions as an IDX file.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeIdx, encodeIdx } from "./idx.ts";
 * const bytes = encodeIdx(new Uint8Array([1, 2, 3, 4, 5, 6]), [2, 3]);
 * assert.deepEqual([...bytes.subarray(0, 4)], [0, 0, 0x08, 2]);
 * assert.deepEqual(decodeIdx(bytes, "t.idx").dims, [2, 3]);
 * ```
 */
export function encodeIdx(data: Uint8Array, dims: number[]): Uint8Array {
  const count = dims.reduce((a, b) => a * b, 1);
  if (count !== data.length) throw new RangeError(`${data.length} values do not fill dimensions ${dims.join(" × ")}`);
  if (dims.length > 255) throw new RangeError("an IDX file has at most 255 dimensions");
  const offset = 4 + 4 * dims.length;
  const bytes = new Uint8Array(offset + data.length);
  const view = new DataView(bytes.buffer);
  view.setUint8(2, IDX_UBYTE);
  view.setUint8(3, dims.length);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  bytes.set(data, offset);
  return bytes;
}

/**
 * Decodes an IDX file of unsigned bytes, checking the magic number, that the
 * header is complete and that the values fill the file exactly.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeIdx } from "./idx.ts";
 * const file = new Uint8Array([0, 0, 8, 1, 0, 0, 0, 2, 7, 9]);
 * assert.deepEqual([...decodeIdx(file, "labels").data], [7, 9]);
 * assert.throws(() => decodeIdx(file.subarray(0, 9), "labels"), /truncated/);
 * ```
 */
export function decodeIdx(bytes: Uint8Array, source: string): Idx {
  if (bytes.length === 0) throw new InputError(`${source}: the file is empty`);
  if (bytes.length < 4) {
    throw new InputError(`${source} is truncated: ${bytes.length} bytes, an IDX header needs at least 4`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0, false);
  const type = bytes[2];
  const ndims = bytes[3];
  if (bytes[0] !== 0 || bytes[1] !== 0 || !(type in TYPE_NAMES) || ndims === 0) {
    const kind = fileKind(bytes);
    throw new InputError(
      `${source}: wrong magic number ${hex(magic)}, not an IDX file` +
        (kind === "gzip"
          ? " (it is gzip-compressed: give it a .gz name)"
          : kind === null
          ? ""
          : ` (it is ${FILE_KIND_NAMES[kind]})`),
    );
  }
  if (type !== IDX_UBYTE) {
    throw new InputError(
      `${source}: holds ${TYPE_NAMES[type]} (magic number ${hex(magic)}); only unsigned bytes are supported`,
    );
  }
  const dataOffset = 4 + 4 * ndims;
  if (bytes.length < dataOffset) {
    throw new InputError(
      `${source} is truncated: its header declares ${ndims} dimensions and needs ${dataOffset} bytes, the file has ${bytes.length}`,
    );
  }
  const dims: number[] = [];
  for (let i = 0; i < ndims; i++) dims.push(view.getUint32(4 + 4 * i, false));
  const itemSize = dims.slice(1).reduce((a, b) => a * b, 1);
  const expected = dims[0] * itemSize;
  const present = bytes.length - dataOffset;
  if (present < expected) {
    const item = Math.floor(present / Math.max(itemSize, 1));
    throw new InputError(
      `${source} is truncated: its header declares ${
        shapeText(dims)
      } values (${expected} bytes from offset ${dataOffset}) ` +
        `but only ${present} bytes follow; the data ends at offset ${bytes.length}, inside item ${item + 1} of ${
          dims[0]
        }`,
    );
  }
  if (present > expected) {
    throw new InputError(
      `${source}: ${present - expected} unexpected bytes after the ${shapeText(dims)} values declared by its header ` +
        `(from offset ${dataOffset + expected})`,
    );
  }
  return { dims, data: bytes.subarray(dataOffset), dataOffset };
}

/**
 * Refuses an IDX file of unsigned bytes whose magic number is not `expected`,
 * naming both, before its header is read any further: read with the wrong
 * number of dimensions, the sizes would be taken from pixel bytes and the
 * complaint would be about the file's length instead. Anything that is not an
 * IDX file of unsigned bytes is left to {@linkcode decodeIdx}'s own messages.
 */
function requireMagic(bytes: Uint8Array, source: string, expected: number, what: string): void {
  if (bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0 || bytes[2] !== IDX_UBYTE || bytes[3] === 0) return;
  const magic = new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, false);
  if (magic !== expected) {
    throw new InputError(
      `${source}: wrong magic number ${hex(magic)}, expected ${hex(expected)} (${what}); ` +
        `${hex(magic)} declares ${bytes[3]} dimension${bytes[3] === 1 ? "" : "s"}`,
    );
  }
}

/**
 * Decodes an MNIST images file: magic number 0x00000803, dimensions [n, 28, 28],
 * n ≥ 1. Returns the pixels 0–255 as [n, 784] bytes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeIdxImages, encodeIdx } from "./idx.ts";
 * const pixels = decodeIdxImages(encodeIdx(new Uint8Array(2 * 784), [2, 28, 28]), "images");
 * assert.equal(pixels.length, 2 * 784);
 * ```
 */
export function decodeIdxImages(bytes: Uint8Array, source: string): Uint8Array {
  requireMagic(bytes, source, IDX_IMAGES_MAGIC, "images: unsigned bytes in 3 dimensions");
  const idx = decodeIdx(bytes, source);
  const [n, rows, cols] = idx.dims;
  if (rows !== IMAGE_SIDE || cols !== IMAGE_SIDE) {
    throw new InputError(`${source}: images are ${rows} × ${cols} pixels, expected ${IMAGE_SIDE} × ${IMAGE_SIDE}`);
  }
  if (n === 0) throw new InputError(`${source}: holds no images (its header declares 0)`);
  return idx.data.subarray(0, n * PIXELS);
}

/**
 * Decodes an MNIST labels file: magic number 0x00000801, one digit 0–9 per
 * image, n ≥ 1.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeIdxLabels, encodeIdx } from "./idx.ts";
 * assert.deepEqual([...decodeIdxLabels(encodeIdx(new Uint8Array([3, 9]), [2]), "labels")], [3, 9]);
 * assert.throws(() => decodeIdxLabels(encodeIdx(new Uint8Array([3, 10]), [2]), "labels"), /offset 9/);
 * ```
 */
export function decodeIdxLabels(bytes: Uint8Array, source: string): Uint8Array {
  requireMagic(bytes, source, IDX_LABELS_MAGIC, "labels: unsigned bytes in 1 dimension");
  const idx = decodeIdx(bytes, source);
  if (idx.dims[0] === 0) throw new InputError(`${source}: holds no labels (its header declares 0)`);
  const labels = idx.data;
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] >= CLASSES) {
      throw new InputError(
        `${source}, offset ${idx.dataOffset + i} (label ${i + 1}): ${labels[i]} is not a digit 0–9`,
      );
    }
  }
  return labels;
}

/** The most bytes {@linkcode gunzip} inflates by default: 1 GiB (full MNIST's images are 47 MB). */
export const MAX_GUNZIP_BYTES = 2 ** 30;

/** Limits of {@linkcode gunzip}. */
export interface GunzipOptions {
  /** The most bytes the output may have (default {@linkcode MAX_GUNZIP_BYTES}). */
  maxBytes?: number;
  /**
   * Given the start of the output, the exact size the whole output should
   * have (e.g. what an IDX header declares, {@linkcode idxDeclaredSize}), or
   * undefined when the start does not say. Inflation stops as soon as the
   * output passes it.
   */
  expectedSize?: (head: Uint8Array) => number | undefined;
}

/**
 * Decompresses gzip data (every member of a multi-member file, as `gunzip`
 * does) with `node:zlib`, chunk by chunk: inflation stops as soon as the
 * output passes `options.maxBytes` or the size `options.expectedSize` reads
 * from its start, so a gzip bomb is refused without being inflated. Corrupt,
 * truncated or oversized data is an {@linkcode InputError} naming `source`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { gunzip, gzip } from "./idx.ts";
 * const packed = await gzip(new Uint8Array([1, 2, 3]));
 * assert.deepEqual([...await gunzip(packed, "x.gz")], [1, 2, 3]);
 * // two members, as `cat a.gz b.gz` makes
 * const two = new Uint8Array([...packed, ...await gzip(new Uint8Array([4]))]);
 * assert.deepEqual([...await gunzip(two, "ab.gz")], [1, 2, 3, 4]);
 * await assert.rejects(gunzip(packed, "x.gz", { maxBytes: 2 }), /more than 2 bytes/);
 * ```
 */
export async function gunzip(bytes: Uint8Array, source: string, options: GunzipOptions = {}): Promise<Uint8Array> {
  if (fileKind(bytes) !== "gzip") {
    throw new InputError(`${source}: not gzip-compressed data (it does not start with the gzip signature 1f 8b)`);
  }
  // node:zlib takes 30 ms to load, so only a run that reads a gzip file loads it
  const { createGunzip } = await import("node:zlib");
  const cap = options.maxBytes ?? MAX_GUNZIP_BYTES;
  return new Promise((resolve, reject) => {
    const inflater = createGunzip();
    const chunks: Uint8Array[] = [];
    let total = 0;
    let limit = cap;
    let asking = options.expectedSize !== undefined; // until the start of the output has said its size
    let settled = false;
    const fail = (message: string) => {
      if (settled) return;
      settled = true;
      inflater.destroy();
      reject(new InputError(`${source}: ${message}`));
    };
    inflater.on("data", (chunk: Uint8Array) => {
      if (settled) return;
      chunks.push(chunk);
      total += chunk.length;
      if (asking) {
        const expected = options.expectedSize!(chunks.length === 1 ? chunk : concat(chunks, total));
        if (expected !== undefined) {
          asking = false;
          if (expected > cap) {
            return fail(`its header declares ${expected} bytes, more than the ${cap} this tool inflates`);
          }
          limit = expected;
        } else if (total >= 4096) asking = false; // no header that short: leave the check to the decoder
      }
      if (total > limit) {
        fail(
          limit === cap
            ? `the gzip data inflates to more than ${cap} bytes, the most this tool inflates ` +
              `(stopped after ${total} bytes)`
            : `the gzip data inflates to more than the ${limit} bytes its header declares ` +
              `(stopped after ${total} bytes)`,
        );
      }
    });
    inflater.on("end", () => {
      if (settled) return;
      settled = true;
      resolve(concat(chunks, total));
    });
    inflater.on("error", (error: Error) => fail(`the gzip data is corrupt or truncated (${error.message})`));
    inflater.end(bytes);
  });
}

/**
 * The size of a whole IDX file as its header declares it (4 + 4d bytes of
 * header, then the product of the dimensions), from the file's first bytes;
 * undefined when they are too few or not an IDX header.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeIdx, idxDeclaredSize } from "./idx.ts";
 * assert.equal(idxDeclaredSize(encodeIdx(new Uint8Array(2 * 784), [2, 28, 28]).subarray(0, 16)), 16 + 2 * 784);
 * assert.equal(idxDeclaredSize(new Uint8Array([0, 0, 8])), undefined);
 * ```
 */
export function idxDeclaredSize(head: Uint8Array): number | undefined {
  if (head.length < 4 || head[0] !== 0 || head[1] !== 0 || !(head[2] in TYPE_NAMES) || head[3] === 0) return undefined;
  const offset = 4 + 4 * head[3];
  if (head.length < offset) return undefined;
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  let size = 1;
  for (let i = 0; i < head[3]; i++) size *= view.getUint32(4 + 4 * i, false);
  return offset + size * TYPE_SIZES[head[2]];
}

/** Bytes per value of each IDX type. */
const TYPE_SIZES: Record<number, number> = { 0x08: 1, 0x09: 1, 0x0b: 2, 0x0c: 4, 0x0d: 4, 0x0e: 8 };

function concat(chunks: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

/**
 * Compresses bytes with gzip (the web-standard `CompressionStream`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { gunzip, gzip } from "./idx.ts";
 * const packed = await gzip(new Uint8Array(1000)); // a thousand zeros
 * assert.ok(packed.length < 100);
 * assert.deepEqual(await gunzip(packed, "zeros.gz"), new Uint8Array(1000));
 * ```
 */
export async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** "3 × 28 × 28", or for a header with many dimensions the first few and how many there are. */
function shapeText(dims: number[]): string {
  return dims.length <= 4 ? dims.join(" × ") : `${dims.slice(0, 3).join(" × ")} × … (${dims.length} dimensions)`;
}

function hex(n: number): string {
  return "0x" + (n >>> 0).toString(16).padStart(8, "0");
}
