/**
 * Mutators for fuzzing the file parsers: each takes a valid file and a seeded
 * random source and returns a damaged copy. The generic ones work on any
 * bytes (bit flips, truncations, splices of two valid files, chunk
 * duplication); the format-aware ones set header fields to extreme values
 * (0, −1, 2³¹, 2⁶³, lengths past the end, huge dimensions), write NaN/∞
 * floats, nest or bloat JSON, and mangle CSV cells. The same seed always gives
 * the same mutation, so a failing case is reproduced from its seed and number.
 *
 * @module
 */

import type { Random } from "../lib/nn/random.ts";

/** A named way to damage a file. */
export interface Mutator {
  /** The mutation class, printed in the results (e.g. "bitflip", "idx-dims"). */
  name: string;
  /** A damaged copy of `input`; `corpus` holds other valid files for splicing. */
  mutate(rng: Random, input: Uint8Array, corpus: readonly Uint8Array[]): Uint8Array | Promise<Uint8Array>;
}

/** Integer values that break arithmetic: 0, 1, −1 as unsigned, powers of two at word edges. */
export const EXTREME_U32 = [0, 1, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff];
/** The same for 64-bit fields. */
export const EXTREME_U64 = [0n, 1n, 7n, 0x7fffffffn, 0xffffffffn, 1n << 53n, 1n << 63n, (1n << 64n) - 1n];

/** One random element of `items`. */
export function pick<T>(rng: Random, items: readonly T[]): T {
  return items[rng.int(items.length)];
}

function copy(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes);
}

/**
 * A position biased towards the start of the file, where the headers are:
 * half the time within the first `head` bytes.
 */
function position(rng: Random, length: number, head = 64): number {
  if (length === 0) return 0;
  return rng.uniform() < 0.5 ? rng.int(Math.min(length, head)) : rng.int(length);
}

/** Flips 1–8 random bits. */
export const bitFlip: Mutator = {
  name: "bitflip",
  mutate(rng, input) {
    const out = copy(input);
    const flips = 1 + rng.int(8);
    for (let k = 0; k < flips && out.length > 0; k++) out[position(rng, out.length)] ^= 1 << rng.int(8);
    return out;
  },
};

/** Sets 1–4 random bytes to boundary values (0x00, 0xff, 0x7f, 0x80, digits, separators). */
export const byteSet: Mutator = {
  name: "byteset",
  mutate(rng, input) {
    const out = copy(input);
    const n = 1 + rng.int(4);
    for (let k = 0; k < n && out.length > 0; k++) {
      out[position(rng, out.length)] = pick(rng, [0x00, 0xff, 0x7f, 0x80, 0x30, 0x39, 0x2c, 0x0a, 0x22, 0x5b]);
    }
    return out;
  },
};

/** Cuts the file short: anywhere, often within the header, sometimes by one byte. */
export const truncate: Mutator = {
  name: "truncate",
  mutate(rng, input) {
    const at = rng.uniform() < 0.2 ? Math.max(0, input.length - 1 - rng.int(4)) : position(rng, input.length);
    return input.slice(0, at);
  },
};

/** The start of this file joined to the end of another valid file (or of itself, shifted). */
export const splice: Mutator = {
  name: "splice",
  mutate(rng, input, corpus) {
    const other = corpus.length > 0 ? pick(rng, corpus) : input;
    const cut = position(rng, input.length);
    const from = position(rng, other.length);
    const out = new Uint8Array(cut + other.length - from);
    out.set(input.subarray(0, cut));
    out.set(other.subarray(from), cut);
    return out;
  },
};

/** Duplicates or deletes a random chunk (shifts everything after it). */
export const chunk: Mutator = {
  name: "chunk",
  mutate(rng, input) {
    if (input.length === 0) return input;
    const at = position(rng, input.length);
    const len = 1 + rng.int(Math.min(256, input.length - at));
    if (rng.uniform() < 0.5) return new Uint8Array([...input.subarray(0, at), ...input.subarray(at + len)]);
    const out = new Uint8Array(input.length + len);
    out.set(input.subarray(0, at + len));
    out.set(input.subarray(at), at + len);
    return out;
  },
};

/** The generic mutators, for any format. */
export const GENERIC: readonly Mutator[] = [bitFlip, byteSet, truncate, splice, chunk];

/** Writes `value` as an unsigned integer of `width` bytes at `at` (clipped to the file). */
export function setUint(bytes: Uint8Array, at: number, width: number, value: bigint, littleEndian: boolean): void {
  for (let k = 0; k < width; k++) {
    const shift = BigInt(8 * (littleEndian ? k : width - 1 - k));
    if (at + k < bytes.length) bytes[at + k] = Number((value >> shift) & 0xffn);
  }
}

/** An extreme value for a field of `width` bytes, or `length ± small` (a size just past the end). */
export function extremeValue(rng: Random, width: number, length: number): bigint {
  const max = (1n << BigInt(8 * width)) - 1n;
  const roll = rng.uniform();
  if (roll < 0.25) return BigInt(Math.max(0, length + rng.int(9) - 4)) & max;
  if (width === 8) return pick(rng, EXTREME_U64);
  return BigInt(pick(rng, EXTREME_U32)) & max;
}

// ---------------------------------------------------------------- IDX

/** IDX header fields: the type and dimension-count bytes and each 32-bit big-endian dimension. */
export const idxHeader: Mutator = {
  name: "idx-header",
  mutate(rng, input) {
    const out = copy(input);
    const ndims = input[3] ?? 1;
    const field = rng.int(2 + ndims);
    if (field === 0) out[2] = pick(rng, [0x08, 0x09, 0x0b, 0x0c, 0x0d, 0x0e, 0x00, 0xff]);
    else if (field === 1) out[3] = pick(rng, [0, 1, 2, 3, 4, 255]);
    else setUint(out, 4 + 4 * (field - 2), 4, extremeValue(rng, 4, input.length), false);
    return out;
  },
};

// ---------------------------------------------------------------- safetensors

function safetensorsParts(input: Uint8Array): { header: Record<string, unknown>; data: Uint8Array } | null {
  if (input.length < 8) return null;
  const n = Number(new DataView(input.buffer, input.byteOffset).getBigUint64(0, true));
  try {
    return { header: JSON.parse(new TextDecoder().decode(input.subarray(8, 8 + n))), data: input.subarray(8 + n) };
  } catch {
    return null;
  }
}

/** Safetensors bytes from a header (as JSON text) and a data section. */
export function safetensorsBytes(json: string, data: Uint8Array): Uint8Array {
  const header = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + header.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(header.length), true);
  out.set(header, 8);
  out.set(data, 8 + header.length);
  return out;
}

/** The 8-byte little-endian header length set to an extreme. */
export const safetensorsLength: Mutator = {
  name: "st-length",
  mutate(rng, input) {
    const out = copy(input);
    setUint(out, 0, 8, extremeValue(rng, 8, input.length), true);
    return out;
  },
};

/** Numbers that JSON can carry and that break shapes and offsets. */
const JSON_EXTREMES: unknown[] = [
  0,
  -1,
  1,
  2 ** 31,
  2 ** 32,
  2 ** 53,
  2 ** 63,
  9.5,
  1e308,
  -0,
  "NaN",
  null,
  [],
  {},
  "1",
];

/**
 * One field of the JSON header set to an extreme: a shape dimension, a data
 * offset (also past the end), the dtype, the metadata (wrong types, huge
 * strings, NaN/∞ as text), or a tensor described by something else.
 */
export const safetensorsJson: Mutator = {
  name: "st-json",
  mutate(rng, input) {
    const parts = safetensorsParts(input);
    if (parts === null) return bitFlip.mutate(rng, input, []);
    const { header, data } = parts;
    const names = Object.keys(header).filter((k) => k !== "__metadata__");
    const name = pick(rng, names.length > 0 ? names : ["x"]);
    const asObject = (v: unknown) =>
      (typeof v === "object" && v !== null && !Array.isArray(v) ? v : {}) as Record<string, unknown>;
    const info = asObject(header[name]);
    const meta = asObject(header.__metadata__);
    switch (rng.int(9)) {
      case 0: {
        const shape = Array.isArray(info.shape) ? [...info.shape] : [];
        if (shape.length > 0 && rng.uniform() < 0.8) shape[rng.int(shape.length)] = pick(rng, JSON_EXTREMES);
        else shape.push(pick(rng, [0, 1, 2 ** 31, 2 ** 53 + 2]));
        info.shape = shape;
        break;
      }
      case 1: {
        const offsets = Array.isArray(info.data_offsets) ? [...info.data_offsets] : [0, 0];
        offsets[rng.int(2)] = rng.uniform() < 0.4 ? data.length + rng.int(9) - 4 : pick(rng, JSON_EXTREMES);
        info.data_offsets = offsets;
        break;
      }
      case 2:
        info.dtype = pick(rng, ["F16", "F64", "I64", "BOOL", "f32", "", 32, null]);
        break;
      case 3:
        header[name] = pick(rng, JSON_EXTREMES);
        break;
      case 4: {
        const key = pick(rng, [
          "format",
          "sizes",
          "activations",
          "input_scale",
          "seed",
          // a CNN's (layer-list network's) fields
          "arch",
          "activation",
          "input_shape",
          "classes",
          "modules",
        ]);
        meta[key] = pick(rng, [
          // for a CNN: huge inputs, huge or absurd layers, shapes that do not fit
          "1,4096,4096",
          "4096,4096,4096",
          "1,28,28,1",
          "9007199254740993",
          "conv4096x4096x4096",
          "conv5x5x8,fc4096,fc4096,fc4096,fc4096",
          "conv3x3x2:same,pool2,pool2,pool2,pool2,pool2",
          "conv29x29x8",
          "fc1,".repeat(20_000) + "fc1",
          "[]",
          '[{"type":"Conv2d"}]',
          "4096",
          "NaN",
          "Infinity",
          "-Infinity",
          "1e309",
          "0",
          "-1",
          "784,30,10,",
          "784,-30,10",
          "relu,relu,relu",
          "",
          "x".repeat(100_000),
          7,
          null,
        ]);
        header.__metadata__ = meta;
        break;
      }
      case 5:
        // a tensor that claims a huge shape with matching offsets (the data is not there)
        header[`layers.${rng.int(3)}.weight`] = { dtype: "F32", shape: [2 ** 20, 2 ** 20], data_offsets: [0, 2 ** 42] };
        break;
      case 6:
        // many tensors
        for (let k = 0; k < 10_000; k++) header[`t${k}`] = { dtype: "F32", shape: [0], data_offsets: [0, 0] };
        break;
      case 7:
        delete header[name];
        break;
      default:
        header.__metadata__ = pick(rng, [[], "x", 1, null, { nested: { a: "b" } }]);
    }
    return safetensorsBytes(JSON.stringify(header), data);
  },
};

/** A JSON header nested thousands of levels deep, or megabytes long, with a correct length field. */
export const safetensorsHugeJson: Mutator = {
  name: "st-deep-or-huge-json",
  mutate(rng, input) {
    const data = safetensorsParts(input)?.data ?? new Uint8Array(0);
    const depth = pick(rng, [1_000, 100_000, 1_000_000]);
    switch (rng.int(3)) {
      case 0:
        return safetensorsBytes("[".repeat(depth) + "]".repeat(depth), data);
      case 1:
        return safetensorsBytes(`{"__metadata__":${'{"a":'.repeat(depth)}"x"${"}".repeat(depth)}}`, data);
      default:
        return safetensorsBytes(`{"__metadata__":{"format":"${"A".repeat(8_000_000)}"}}`, data);
    }
  },
};

/** 1–16 float32 values of the data section set to NaN, ±∞, −0 or the largest finite float. */
export const safetensorsFloats: Mutator = {
  name: "st-nan-inf",
  mutate(rng, input) {
    const out = copy(input);
    if (out.length < 8) return out;
    const view = new DataView(out.buffer);
    const start = 8 + Number(view.getBigUint64(0, true));
    const count = Math.floor((out.length - start) / 4);
    for (let k = 0, n = 1 + rng.int(16); k < n && count > 0; k++) {
      view.setFloat32(
        start + 4 * rng.int(count),
        pick(rng, [NaN, Infinity, -Infinity, -0, 3.4028234663852886e38]),
        true,
      );
    }
    return out;
  },
};

// ---------------------------------------------------------------- CSV

/** Cells that a CSV parser must refuse or read right. */
const CSV_CELLS = [
  "",
  "NaN",
  "nan",
  "inf",
  "-inf",
  "Infinity",
  "1e309",
  "-1",
  "256",
  "255.5",
  "0x10",
  "1e2",
  '"3"',
  '"',
  "  7 ",
  "9".repeat(400),
  "1,2",
  "\u00a0",
  "٣",
  "\0",
  "null",
  "true",
];

/**
 * Text-aware CSV damage: a cell replaced by an awkward value, a line dropped,
 * doubled or cut, a comma added or removed, a byte-order mark, CRLF line ends,
 * a very long line, or bytes that are not UTF-8.
 */
export const csvCells: Mutator = {
  name: "csv-cells",
  mutate(rng, input) {
    const text = new TextDecoder().decode(input);
    const lines = text.split("\n");
    const i = rng.int(lines.length);
    const cells = lines[i].split(",");
    switch (rng.int(9)) {
      case 0:
      case 1:
        cells[rng.int(cells.length)] = pick(rng, CSV_CELLS);
        lines[i] = cells.join(",");
        break;
      case 2:
        lines.splice(i, 1);
        break;
      case 3:
        lines.splice(i, 0, lines[i]);
        break;
      case 4:
        lines[i] = rng.uniform() < 0.5 ? lines[i] + "," : cells.slice(0, -1).join(",");
        break;
      case 5:
        return new TextEncoder().encode("\ufeff" + text);
      case 6:
        return new TextEncoder().encode(text.replaceAll("\n", pick(rng, ["\r\n", "\r", "\n\n"])));
      case 7:
        lines[i] = Array.from({ length: 100_000 }, () => "0").join(",");
        break;
      default: {
        const bytes = new TextEncoder().encode(lines.join("\n"));
        const out = copy(bytes);
        if (out.length > 0) out[rng.int(out.length)] = pick(rng, [0xff, 0xc3, 0x80, 0x00]);
        return out;
      }
    }
    return new TextEncoder().encode(lines.join("\n"));
  },
};

// ---------------------------------------------------------------- PNG and JPEG

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 as PNG chunks use it. */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** Recomputes the CRC of every complete chunk, so that the decoder looks past the checksum. */
export function fixPngCrcs(png: Uint8Array): Uint8Array {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  let at = 8;
  while (at + 12 <= png.length) {
    const length = view.getUint32(at);
    if (at + 12 + length > png.length) break;
    view.setUint32(at + 8 + length, crc32(png.subarray(at + 4, at + 8 + length)));
    at += 12 + length;
  }
  return png;
}

/**
 * PNG header fields set to extremes with the checksums made right: width and
 * height (0, 2³¹−1, 100,000), bit depth, colour type, interlace, or a chunk
 * length past the end; or a bit flip anywhere with the CRCs fixed.
 */
export const pngHeader: Mutator = {
  name: "png-header",
  mutate(rng, input) {
    const out = copy(input);
    const view = new DataView(out.buffer);
    if (out.length < 33) return out;
    switch (rng.int(6)) {
      case 0:
        view.setUint32(16, pick(rng, [0, 1, 100_000, 0x7fffffff, 0xffffffff, 65_536]));
        break;
      case 1:
        view.setUint32(20, pick(rng, [0, 1, 100_000, 0x7fffffff, 0xffffffff, 65_536]));
        break;
      case 2:
        view.setUint32(16, pick(rng, [10_000, 20_000, 1 << 14]));
        view.setUint32(20, pick(rng, [10_000, 5_000, 1 << 14]));
        break;
      case 3:
        out[24 + rng.int(5)] = pick(rng, [0, 1, 2, 3, 4, 6, 7, 8, 16, 255]);
        break;
      case 4: {
        // a chunk length (IHDR's or a later one) set past the end of the file
        const at = rng.uniform() < 0.5 ? 8 : 33;
        if (at + 4 <= out.length) view.setUint32(at, Number(extremeValue(rng, 4, out.length) & 0xffffffffn));
        return out;
      }
      default:
        out[8 + rng.int(out.length - 8)] ^= 1 << rng.int(8);
    }
    return fixPngCrcs(out);
  },
};

/** The offsets of the JPEG marker segments before the scan: [marker offset, marker byte]. */
function jpegSegments(bytes: Uint8Array): [number, number][] {
  const segments: [number, number][] = [];
  let at = 2;
  while (at + 4 <= bytes.length && bytes[at] === 0xff) {
    const marker = bytes[at + 1];
    segments.push([at, marker]);
    if (marker === 0xda) break;
    at += 2 + ((bytes[at + 2] << 8) | bytes[at + 3]);
  }
  return segments;
}

/**
 * JPEG header fields set to extremes: the frame's width, height, precision or
 * component count (SOF), a segment length, a Huffman or quantisation table
 * byte, or the EXIF orientation and IFD offset.
 */
export const jpegHeader: Mutator = {
  name: "jpeg-header",
  mutate(rng, input) {
    const out = copy(input);
    const segments = jpegSegments(out);
    if (segments.length === 0) return bitFlip.mutate(rng, input, []);
    const sof = segments.find(([, m]) => m >= 0xc0 && m <= 0xc2);
    const [at, marker] = pick(rng, segments);
    const roll = rng.int(5);
    if (roll <= 1 && sof !== undefined) {
      const [s] = sof;
      // SOF: length(2) precision(1) height(2) width(2) components(1)
      const field = pick(rng, [[4, 1], [5, 2], [7, 2], [9, 1]] as const);
      setUint(out, s + field[0], field[1], BigInt(pick(rng, [0, 1, 255, 0xffff, 0x7fff, 16, 3, 4])), false);
    } else if (roll === 2) {
      setUint(out, at + 2, 2, BigInt(pick(rng, [0, 1, 2, 0xffff, out.length - at])), false);
    } else if (roll === 3 && marker !== 0xda) {
      const length = (out[at + 2] << 8) | out[at + 3];
      if (length > 2) out[at + 4 + rng.int(length - 2)] = pick(rng, [0, 0xff, 0x10, 0x11, 0x20, 0x7f]);
    } else {
      out.set([0xff, pick(rng, [0xc0, 0xc2, 0xc4, 0xdb, 0xdd, 0xda, 0xd9, 0xe1])], at);
    }
    return out;
  },
};

/** An APP1 EXIF segment holding an orientation tag, to insert after SOI. */
export function exifSegment(orientation: number, ifdOffset = 8, entries = 1): Uint8Array {
  const tiff = [0x4d, 0x4d, 0, 0x2a, ...u32be(ifdOffset), (entries >> 8) & 0xff, entries & 0xff];
  const entry = [0x01, 0x12, 0, 3, 0, 0, 0, 1, (orientation >> 8) & 0xff, orientation & 0xff, 0, 0];
  const body = [0x45, 0x78, 0x69, 0x66, 0, 0, ...tiff, ...entry, 0, 0, 0, 0];
  return new Uint8Array([0xff, 0xe1, ((body.length + 2) >> 8) & 0xff, (body.length + 2) & 0xff, ...body]);
}

function u32be(n: number): number[] {
  return [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
}

/** An EXIF segment with an extreme orientation, IFD offset or entry count, inserted after SOI. */
export const jpegExif: Mutator = {
  name: "jpeg-exif",
  mutate(rng, input) {
    const exif = exifSegment(
      pick(rng, [0, 1, 2, 5, 6, 8, 9, 0xffff]),
      pick(rng, [8, 0, 0xffffffff, 0x7fffffff, 30, 6]),
      pick(rng, [1, 0, 0xffff]),
    );
    if (rng.uniform() < 0.3) exif[2 + rng.int(2)] = pick(rng, [0, 0xff]); // the segment length
    return new Uint8Array([...input.subarray(0, 2), ...exif, ...input.subarray(2)]);
  },
};
