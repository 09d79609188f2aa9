/**
 * Reading a person's pictures: PNG and JPEG bytes → a grayscale image.
 *
 * Decoding is done by two well-kept pure-JavaScript libraries, `pngjs` and
 * `jpeg-js`; the format is told by the file's first bytes (its magic number),
 * not by its name. A phone's JPEG photo stored sideways with an EXIF
 * orientation tag is turned upright. Every problem — an empty file, a file that is not an image,
 * an image cut short or damaged — becomes one {@linkcode InputError} sentence
 * naming the file.
 *
 * @module
 */

// @ts-types="@types/pngjs"
import { PNG } from "pngjs";
import { Buffer } from "node:buffer";
import jpeg from "jpeg-js";
import { InputError, osReason } from "../errors.ts";
import { FILE_KIND_NAMES, fileKind } from "../io/file_kind.ts";
import { type GrayImage, rgbaToGray } from "./preprocess.ts";

/** The image formats this module decodes. */
export type ImageFormat = "png" | "jpeg";

/** The largest picture accepted, in pixels (100 megapixels, jpeg-js's own default). */
export const MAX_IMAGE_PIXELS = 100_000_000;

/**
 * The format of an image from its first bytes, or null when it is neither PNG nor JPEG.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { detectImageFormat } from "./decode.ts";
 * assert.equal(detectImageFormat(new Uint8Array([0xff, 0xd8, 0xff, 0xe0])), "jpeg");
 * assert.equal(detectImageFormat(new TextEncoder().encode("hello")), null);
 * ```
 */
export function detectImageFormat(bytes: Uint8Array): ImageFormat | null {
  const kind = fileKind(bytes);
  return kind === "png" || kind === "jpeg" ? kind : null;
}

/**
 * Decodes PNG or JPEG bytes into a grayscale image (alpha composited by {@linkcode rgbaToGray}: over white, or
 * over black for light ink on a transparent background); `source` names the file in
 * error messages. Throws an {@linkcode InputError} for an empty file, another format, or a damaged image.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeImage, encodePng } from "./decode.ts";
 * const png = encodePng({ width: 2, height: 1, pixels: new Float32Array([0, 255]) });
 * const image = decodeImage(png, "two.png");
 * assert.deepEqual([image.width, image.height, ...image.pixels], [2, 1, 0, 255]);
 * assert.throws(() => decodeImage(new Uint8Array(0), "empty.png"), /empty.png: the file is empty/);
 * ```
 */
export function decodeImage(bytes: Uint8Array, source: string): GrayImage {
  if (bytes.length === 0) throw new InputError(`${source}: the file is empty`);
  const format = detectImageFormat(bytes);
  if (format === null) {
    const other = fileKind(bytes);
    throw new InputError(
      other
        ? `${source}: is ${FILE_KIND_NAMES[other]}; only PNG and JPEG images can be read` +
          (/image/.test(FILE_KIND_NAMES[other]) ? " (save it as a PNG or JPEG first)" : "")
        : `${source}: not a PNG or JPEG image (its first bytes are not an image signature)`,
    );
  }
  const name = format === "png" ? "PNG" : "JPEG";
  let rgba: { width: number; height: number; data: Uint8Array };
  try {
    rgba = format === "png" ? decodePng(bytes) : decodeJpeg(bytes);
  } catch (error) {
    if (error instanceof InputError) throw new InputError(`${source}: ${error.message}`);
    let reason = String((error as Error)?.message ?? error).split("\n")[0];
    // pngjs says this (sic) when the data stops before the image is complete
    if (/waiti?ng on finished stream/.test(reason)) reason = "the data ends before the image is complete";
    // a TypeError or RangeError is the decoder's code tripping over the bytes, not a sentence for a reader
    const internal = error instanceof TypeError || error instanceof RangeError;
    throw new InputError(
      `${source}: the ${name} image is truncated or damaged` + (internal ? "" : ` (decoder says: ${reason})`),
    );
  }
  if (rgba.width < 1 || rgba.height < 1) throw new InputError(`${source}: the ${name} image has no pixels`);
  const gray = rgbaToGray(rgba.data, rgba.width, rgba.height);
  return format === "jpeg" ? orient(gray, jpegOrientation(bytes)) : gray;
}

/**
 * The EXIF orientation (1–8) of JPEG bytes: how the stored pixels must be turned to stand upright; 1 (as stored)
 * when the file has no EXIF orientation tag.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeJpeg, jpegOrientation } from "./decode.ts";
 * assert.equal(jpegOrientation(encodeJpeg({ width: 8, height: 8, pixels: new Float32Array(64) })), 1);
 * ```
 */
export function jpegOrientation(bytes: Uint8Array): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 2; // after SOI
  while (at + 4 <= bytes.length && bytes[at] === 0xff) {
    const marker = bytes[at + 1], length = view.getUint16(at + 2);
    if (marker === 0xda || length < 2) break; // start of scan: no more metadata
    const start = at + 4, end = Math.min(bytes.length, at + 2 + length);
    if (marker === 0xe1 && end - start >= 14 && String.fromCharCode(...bytes.subarray(start, start + 4)) === "Exif") {
      return exifOrientation(view, start + 6, end) ?? 1;
    }
    at += 2 + length;
  }
  return 1;
}

/** The orientation tag (0x0112) of IFD0 in the TIFF structure at [tiff, end), or null. */
function exifOrientation(view: DataView, tiff: number, end: number): number | null {
  const order = view.getUint16(tiff);
  if (order !== 0x4949 && order !== 0x4d4d) return null; // "II" little-endian, "MM" big-endian
  const little = order === 0x4949;
  const ifd = tiff + view.getUint32(tiff + 4, little);
  if (ifd + 2 > end) return null;
  const entries = view.getUint16(ifd, little);
  for (let k = 0; k < entries && ifd + 2 + 12 * (k + 1) <= end; k++) {
    const entry = ifd + 2 + 12 * k;
    if (view.getUint16(entry, little) === 0x0112) {
      const value = view.getUint16(entry + 8, little);
      return value >= 1 && value <= 8 ? value : null;
    }
  }
  return null;
}

/**
 * The image turned upright for EXIF orientation `o`: 2 mirrors, 3 turns half round, 4 flips, 5 transposes,
 * 6 turns a quarter clockwise, 7 transposes across the other diagonal, 8 turns a quarter anticlockwise.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { orient } from "./decode.ts";
 * // 3 × 1 → 1 × 3: a quarter turn clockwise puts the left end on top
 * const up = orient({ width: 3, height: 1, pixels: new Float32Array([1, 2, 3]) }, 6);
 * assert.deepEqual([up.width, up.height, ...up.pixels], [1, 3, 1, 2, 3]);
 * ```
 */
export function orient(image: GrayImage, o: number): GrayImage {
  if (o === 1 || !(o >= 2 && o <= 8)) return image;
  const { width: W, height: H, pixels } = image;
  const swap = o >= 5;
  const w = swap ? H : W, h = swap ? W : H;
  // the stored pixel shown at (x, y) once upright: sx = ax·x + bx·y + cx, sy = ay·x + by·y + cy
  const [ax, bx, cx, ay, by, cy] = ({
    2: [-1, 0, W - 1, 0, 1, 0],
    3: [-1, 0, W - 1, 0, -1, H - 1],
    4: [1, 0, 0, 0, -1, H - 1],
    5: [0, 1, 0, 1, 0, 0],
    6: [0, 1, 0, -1, 0, H - 1],
    7: [0, -1, W - 1, -1, 0, H - 1],
    8: [0, -1, W - 1, 1, 0, 0],
  } as Record<number, number[]>)[o];
  const out = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) out[y * w + x] = pixels[(ay * x + by * y + cy) * W + ax * x + bx * y + cx];
  }
  return { width: w, height: h, pixels: out };
}

/**
 * Reads and decodes the image file at `path`; a missing file, a folder or a bad image throws an
 * {@linkcode InputError} naming the file as `name` (default: `path`; e.g. the name the user typed).
 *
 * @example
 * ```ts ignore
 * import { readImage } from "./decode.ts";
 * const image = await readImage("my_seven.jpg");
 * console.log(image.width, image.height);
 * ```
 */
export async function readImage(path: string, name = path): Promise<GrayImage> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) throw new InputError(`${name}: file not found`);
    if (error instanceof Deno.errors.IsADirectory) throw new InputError(`${name}: is a folder, not an image`);
    if (error instanceof Deno.errors.NotCapable) throw error;
    throw new InputError(`${name}: cannot read the file (${osReason(error)})`);
  }
  return decodeImage(bytes, name);
}

/**
 * A grayscale image as 8-bit grayscale PNG bytes (values rounded and clamped to 0–255).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { detectImageFormat, encodePng } from "./decode.ts";
 * const png = encodePng({ width: 28, height: 28, pixels: new Float32Array(784) });
 * assert.equal(detectImageFormat(png), "png");
 * ```
 */
export function encodePng(image: GrayImage): Uint8Array {
  const png = new PNG({ width: image.width, height: image.height, colorType: 0, inputColorType: 0, bitDepth: 8 });
  const { pixels } = image;
  const data = new Uint8Array(pixels.length);
  for (let i = 0; i < pixels.length; i++) data[i] = Math.max(0, Math.min(255, Math.round(pixels[i])));
  png.data = data as unknown as typeof png.data;
  return new Uint8Array(PNG.sync.write(png, { colorType: 0, inputColorType: 0, bitDepth: 8 }));
}

/**
 * A grayscale image as baseline JPEG bytes at `quality` 1–100 (lossy: decoded values differ slightly).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { detectImageFormat, encodeJpeg } from "./decode.ts";
 * const jpg = encodeJpeg({ width: 16, height: 16, pixels: new Float32Array(256).fill(255) });
 * assert.equal(detectImageFormat(jpg), "jpeg");
 * ```
 */
export function encodeJpeg(image: GrayImage, quality = 90): Uint8Array {
  const { width, height, pixels } = image;
  const data = new Uint8Array(width * height * 4);
  for (let i = 0; i < pixels.length; i++) {
    const v = Math.max(0, Math.min(255, Math.round(pixels[i])));
    data[4 * i] = data[4 * i + 1] = data[4 * i + 2] = v;
    data[4 * i + 3] = 255;
  }
  return new Uint8Array(jpeg.encode({ width, height, data }, quality).data);
}

function decodePng(bytes: Uint8Array): { width: number; height: number; data: Uint8Array } {
  // IHDR: width and height are the big-endian words at bytes 16 and 20.
  if (bytes.length >= 29) {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    checkPixelCount(view.getUint32(16), view.getUint32(20));
    checkPngData(view);
  }
  const png = PNG.sync.read(toBuffer(bytes));
  return { width: png.width, height: png.height, data: png.data };
}

/**
 * The most pixels a JPEG can hold per byte: every 8 × 8 block costs at least one bit of Huffman code (the DC value),
 * so 512 pixels a byte; twice that for a margin.
 */
const MAX_JPEG_PIXELS_PER_BYTE = 1024;

/**
 * Refuses a JPEG whose frame header declares more pixels than its bytes can hold: jpeg-js would otherwise allocate
 * the declared image (a 693-byte file declaring 33 × 65535 pixels took 57 MiB) before noticing the data is missing.
 */
function checkJpegData(bytes: Uint8Array): void {
  let at = 2;
  while (at + 9 <= bytes.length && bytes[at] === 0xff) {
    const marker = bytes[at + 1];
    if (marker === 0xda) return;
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      const height = (bytes[at + 5] << 8) | bytes[at + 6], width = (bytes[at + 7] << 8) | bytes[at + 8];
      if (width * height > MAX_JPEG_PIXELS_PER_BYTE * bytes.length + 65_536) {
        throw new InputError(
          `the JPEG image declares ${width} × ${height} pixels but is only ${bytes.length} bytes long, ` +
            `too short for that many (truncated or damaged)`,
        );
      }
      return;
    }
    at += 2 + ((bytes[at + 2] << 8) | bytes[at + 3]);
  }
}

function decodeJpeg(bytes: Uint8Array): { width: number; height: number; data: Uint8Array } {
  checkJpegData(bytes);
  const image = jpeg.decode(bytes, {
    useTArray: true,
    formatAsRGBA: true,
    maxResolutionInMP: MAX_IMAGE_PIXELS / 1e6,
    maxMemoryUsageInMB: 1024,
  });
  return { width: image.width, height: image.height, data: image.data };
}

/** Deflate's best compression ratio is 1032 : 1; data that would inflate beyond that is not there. */
const MAX_DEFLATE_RATIO = 1032;
/** Channels per pixel of each PNG colour type. */
const PNG_CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

/**
 * Refuses a PNG whose IDAT chunks are too few bytes to inflate into the
 * pixels IHDR declares: pngjs would otherwise allocate and decode the whole
 * declared image (a 376-byte file claiming 10,000 × 10,000 pixels took 33 s and
 * 950 MB) before noticing that the data is missing.
 */
function checkPngData(view: DataView): void {
  const width = view.getUint32(16), height = view.getUint32(20);
  const bitDepth = view.getUint8(24), channels = PNG_CHANNELS[view.getUint8(25)] ?? 1;
  let compressed = 0;
  for (let at = 8; at + 8 <= view.byteLength;) {
    const length = view.getUint32(at);
    if (view.getUint32(at + 4) === 0x49444154) compressed += Math.min(length, view.byteLength - at - 8); // "IDAT"
    at += 12 + length;
  }
  // the filtered rows: one filter byte per row, then the packed samples
  const raw = height * (1 + Math.ceil((width * channels * bitDepth) / 8));
  if (raw > MAX_DEFLATE_RATIO * compressed + 1024) {
    throw new InputError(
      `the PNG image declares ${width} × ${height} pixels but holds only ${compressed} bytes of image data, ` +
        `too few for that many (truncated or damaged)`,
    );
  }
}

function checkPixelCount(width: number, height: number): void {
  if (width * height > MAX_IMAGE_PIXELS) {
    throw new InputError(
      `the image is ${width} × ${height} pixels, more than the ${MAX_IMAGE_PIXELS / 1e6} MP allowed`,
    );
  }
}

function toBuffer(bytes: Uint8Array): Parameters<typeof PNG.sync.read>[0] {
  // pngjs wants a Node Buffer; Uint8Array is its base class and shares the bytes.
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
