import assert from "node:assert/strict";
import { fileKind } from "../../lib/io/file_kind.ts";
import { encodeJpeg, encodePng } from "../../lib/image/decode.ts";
import { gzip } from "../../lib/data/idx.ts";
import { encodeSafetensors } from "../../lib/io/safetensors.ts";

const text = (s: string) => new TextEncoder().encode(s);
const image = { width: 2, height: 2, pixels: new Float32Array([0, 255, 255, 0]) };

Deno.test("file kind: files made by real encoders are told by their first bytes", async () => {
  assert.equal(fileKind(encodePng(image)), "png");
  assert.equal(fileKind(encodeJpeg(image)), "jpeg");
  assert.equal(fileKind(await gzip(text("5,0,0"))), "gzip");
  assert.equal(fileKind(await gzip(text("5,0,0")), { binaryOnly: true }), "gzip");
});

Deno.test("file kind: each signature, and what is not one", () => {
  const cases: [Uint8Array, string | null][] = [
    [text("GIF89a\x01\x00"), "gif"],
    [text("BM\x36\x00\x00\x00"), "bmp"],
    [new Uint8Array([0x49, 0x49, 0x2a, 0x00, 8, 0, 0, 0]), "tiff"],
    [new Uint8Array([0x4d, 0x4d, 0x00, 0x2a, 0, 0, 0, 8]), "tiff"],
    [text("RIFF\x24\x00\x00\x00WEBPVP8 "), "webp"],
    [text("RIFF\x24\x00\x00\x00WAVEfmt "), null], // a WAV sound is a RIFF file too, not an image
    [text("\0\0\0\x18ftypheic\0\0\0\0mif1heic"), "heic"], // an iPhone photo
    [text("\0\0\0\x1cftypmif1\0\0\0\0"), "heic"],
    [text("\0\0\0\x20ftypavif\0\0\0\0"), "avif"],
    [text("\0\0\0\x20ftypisom\0\0\0\0"), null], // an MP4 video
    [text("%PDF-1.7\n"), "pdf"],
    [new Uint8Array([0x50, 0x4b, 0x03, 0x04, 20, 0]), "zip"],
    [new Uint8Array([0x89, 0x50, 0x4e, 0x47]), null], // half a PNG signature
    [new Uint8Array([0x1f]), null],
    [new Uint8Array(0), null],
    [text("0,0,0,255\n"), null],
    [encodeSafetensors(new Map([["w", { shape: [1], data: new Float32Array([1]) }]])), null],
  ];
  for (const [bytes, kind] of cases) assert.equal(fileKind(bytes), kind, `${[...bytes.subarray(0, 12)]}`);
});

Deno.test("file kind: binaryOnly leaves alone the kinds whose signature is plain text", () => {
  for (const s of ["GIF89a", "BMI,height", "%PDF-", "RIFF\x24\x00\x00\x00WEBP"]) {
    assert.equal(fileKind(text(s), { binaryOnly: true }), null, s);
  }
  assert.equal(fileKind(new Uint8Array([0x49, 0x49, 0x2a, 0x00]), { binaryOnly: true }), "tiff");
  assert.equal(fileKind(new Uint8Array([0x50, 0x4b, 0x03, 0x04]), { binaryOnly: true }), "zip");
});
