/**
 * What a file is, told by its first bytes (its signature, or "magic number"),
 * whatever its name says. The readers use it to name a file given in the wrong
 * place: a photo given as a model, a gzip file given as a CSV table, a GIF
 * given as a digit to recognise. The one table of signatures in the project.
 *
 * @module
 */

/** The kinds of file recognised by their signature. */
export type FileKind =
  | "png"
  | "jpeg"
  | "gif"
  | "bmp"
  | "tiff"
  | "webp"
  | "heic"
  | "avif"
  | "pdf"
  | "zip"
  | "gzip";

/** Each kind's signature: the bytes a file of that kind begins with (null: any byte). */
const SIGNATURES: readonly (readonly [FileKind, readonly (number | null)[]])[] = [
  ["png", [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]], // \x89 P N G \r \n \x1a \n
  ["jpeg", [0xff, 0xd8, 0xff]],
  ["gif", [0x47, 0x49, 0x46, 0x38]], // GIF8
  ["bmp", [0x42, 0x4d]], // BM
  ["tiff", [0x49, 0x49, 0x2a, 0x00]], // II*\0, little-endian
  ["tiff", [0x4d, 0x4d, 0x00, 0x2a]], // MM\0*, big-endian
  ["webp", [0x52, 0x49, 0x46, 0x46, null, null, null, null, 0x57, 0x45, 0x42, 0x50]], // RIFF, size, WEBP
  // ISO media files: a box size, "ftyp", then the brand (an iPhone's photos are HEIC)
  ...["heic", "heix", "hevc", "heim", "heis", "mif1", "msf1"].map((brand) => ["heic", ftyp(brand)] as const),
  ["avif", ftyp("avif")],
  ["pdf", [0x25, 0x50, 0x44, 0x46, 0x2d]], // %PDF-
  ["zip", [0x50, 0x4b, 0x03, 0x04]], // PK\3\4 (also PyTorch's .pt files, .docx, .xlsx)
  ["gzip", [0x1f, 0x8b]],
];

/** An ISO media file's first bytes with this major brand: any box size, "ftyp", the brand. */
function ftyp(brand: string): (number | null)[] {
  return [null, null, null, null, ..."ftyp", ...brand].map((c) => (c === null ? null : c.charCodeAt(0)));
}

/** Each kind's name in a sentence ("it is a PNG image"). */
export const FILE_KIND_NAMES: Readonly<Record<FileKind, string>> = {
  png: "a PNG image",
  jpeg: "a JPEG image",
  gif: "a GIF image",
  bmp: "a BMP image",
  tiff: "a TIFF image",
  webp: "a WebP image",
  heic: "a HEIC image (as a phone's photos often are)",
  avif: "an AVIF image",
  pdf: "a PDF document",
  zip: "a ZIP archive",
  gzip: "gzip-compressed",
};

/** Options of {@linkcode fileKind}. */
export interface FileKindOptions {
  /**
   * Only kinds whose signature holds a byte that plain text never has (a control
   * character or a byte over 0x7e): PNG, JPEG, TIFF, ZIP and gzip. For text
   * formats such as CSV, whose first line could begin "BM" or "GIF8".
   */
  binaryOnly?: boolean;
}

/**
 * The kind of the file whose first bytes are `bytes`, or null when it begins
 * like none of the kinds above.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { FILE_KIND_NAMES, fileKind } from "./file_kind.ts";
 * assert.equal(fileKind(new Uint8Array([0x1f, 0x8b, 8, 0])), "gzip");
 * assert.equal(FILE_KIND_NAMES[fileKind(new Uint8Array([0xff, 0xd8, 0xff, 0xe0]))!], "a JPEG image");
 * assert.equal(fileKind(new TextEncoder().encode("GIF89a")), "gif");
 * assert.equal(fileKind(new TextEncoder().encode("GIF89a"), { binaryOnly: true }), null);
 * assert.equal(fileKind(new TextEncoder().encode("5,0,0,0")), null);
 * ```
 */
export function fileKind(bytes: Uint8Array, options: FileKindOptions = {}): FileKind | null {
  for (const [kind, signature] of SIGNATURES) {
    if (options.binaryOnly && !signature.some((b) => b !== null && (b < 0x20 || b > 0x7e))) continue;
    if (signature.length <= bytes.length && signature.every((b, i) => b === null || bytes[i] === b)) return kind;
  }
  return null;
}
