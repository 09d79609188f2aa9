import assert from "node:assert/strict";
// @ts-types="@types/pngjs"
import { PNG } from "pngjs";
import { InputError } from "../../lib/errors.ts";
import {
  decodeImage,
  detectImageFormat,
  encodeJpeg,
  encodePng,
  jpegOrientation,
  orient,
} from "../../lib/image/decode.ts";
import type { GrayImage } from "../../lib/image/preprocess.ts";

/** An asymmetric test picture: a bright block in the top-left quarter, a gray bar along the bottom, 48 × 32. */
function upright(): GrayImage {
  const width = 48, height = 32;
  const pixels = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      pixels[y * width + x] = x < 16 && y < 16 ? 240 : y >= 24 ? 120 : 10;
    }
  }
  return { width, height, pixels };
}

/** JPEG bytes with an EXIF APP1 segment holding only the orientation tag, right after SOI. */
function withExifOrientation(jpeg: Uint8Array, orientation: number, little: boolean): Uint8Array {
  const tiff = new Uint8Array(8 + 2 + 12 + 4);
  const view = new DataView(tiff.buffer);
  view.setUint16(0, little ? 0x4949 : 0x4d4d);
  view.setUint16(2, 42, little);
  view.setUint32(4, 8, little); // IFD0 right after the header
  view.setUint16(8, 1, little); // one entry
  view.setUint16(10, 0x0112, little); // Orientation
  view.setUint16(12, 3, little); // SHORT
  view.setUint32(14, 1, little);
  view.setUint16(18, orientation, little);
  const body = [...new TextEncoder().encode("Exif\0\0"), ...tiff];
  const segment = [0xff, 0xe1, (body.length + 2) >> 8, (body.length + 2) & 0xff, ...body];
  return new Uint8Array([...jpeg.subarray(0, 2), ...segment, ...jpeg.subarray(2)]);
}

function maxDifference(a: GrayImage, b: GrayImage): number {
  assert.deepEqual([a.width, a.height], [b.width, b.height]);
  let worst = 0;
  for (let i = 0; i < a.pixels.length; i++) worst = Math.max(worst, Math.abs(a.pixels[i] - b.pixels[i]));
  return worst;
}

Deno.test("image: a grayscale PNG round-trips exactly; an RGBA PNG's alpha is composited over white", () => {
  const picture = upright();
  const back = decodeImage(encodePng(picture), "p.png");
  assert.equal(maxDifference(back, picture), 0);
  const png = new PNG({ width: 3, height: 1 });
  png.data.set([0, 0, 0, 0, 0, 0, 0, 255, 200, 200, 200, 102]);
  const rgba = decodeImage(new Uint8Array(PNG.sync.write(png)), "rgba.png");
  assert.deepEqual([...rgba.pixels].map(Math.round), [255, 0, 233]); // 255 − (255 − 200)·0.4 = 233
});

Deno.test("image: a JPEG decodes to within a few levels of what was encoded", () => {
  const picture = upright();
  const back = decodeImage(encodeJpeg(picture, 95), "p.jpg");
  assert.ok(maxDifference(back, picture) < 40, "edges ring a little");
  let sum = 0;
  for (let i = 0; i < picture.pixels.length; i++) sum += Math.abs(back.pixels[i] - picture.pixels[i]);
  assert.ok(sum / picture.pixels.length < 3, `mean difference ${sum / picture.pixels.length}`);
});

Deno.test("image: the format comes from the magic number, not the name", () => {
  const png = encodePng(upright()), jpg = encodeJpeg(upright());
  assert.equal(detectImageFormat(png), "png");
  assert.equal(detectImageFormat(jpg), "jpeg");
  assert.equal(detectImageFormat(new Uint8Array([0x89, 0x50, 0x4e])), null);
  // a PNG in a file called .jpg is read as the PNG it is
  assert.equal(maxDifference(decodeImage(png, "photo.jpg"), upright()), 0);
});

Deno.test("image: orient turns each of the eight EXIF orientations upright", () => {
  const picture = upright();
  const inverse: Record<number, number> = { 6: 8, 8: 6 };
  for (let o = 1; o <= 8; o++) {
    const stored = orient(picture, inverse[o] ?? o);
    if (o >= 5) assert.deepEqual([stored.width, stored.height], [32, 48], `orientation ${o} is stored sideways`);
    assert.equal(maxDifference(orient(stored, o), picture), 0, `orientation ${o}`);
    if (o !== 1 && o < 5) assert.notEqual(maxDifference(stored, picture), 0, `orientation ${o} is stored turned`);
  }
});

Deno.test("image: a JPEG stored sideways with an EXIF orientation tag is read upright", () => {
  const picture = upright();
  for (const little of [true, false]) {
    for (const o of [3, 6, 8]) {
      const stored = orient(picture, o === 6 ? 8 : o === 8 ? 6 : o);
      const bytes = withExifOrientation(encodeJpeg(stored, 95), o, little);
      assert.equal(jpegOrientation(bytes), o);
      const back = decodeImage(bytes, "phone.jpg");
      assert.deepEqual([back.width, back.height], [48, 32]);
      let sum = 0;
      for (let i = 0; i < back.pixels.length; i++) sum += Math.abs(back.pixels[i] - picture.pixels[i]);
      assert.ok(sum / back.pixels.length < 3, `orientation ${o}: mean difference ${sum / back.pixels.length}`);
    }
  }
  assert.equal(jpegOrientation(encodeJpeg(picture)), 1);
});

Deno.test("image: each bad file is an InputError naming it", () => {
  const png = encodePng(upright()), jpg = encodeJpeg(upright());
  const huge = png.slice();
  new DataView(huge.buffer).setUint32(16, 20000); // IHDR width
  new DataView(huge.buffer).setUint32(20, 20000); // IHDR height
  const cases: [Uint8Array, RegExp][] = [
    [new Uint8Array(0), /^x\.img: the file is empty$/],
    [new TextEncoder().encode("<html></html>"), /^x\.img: not a PNG or JPEG image/],
    [
      new TextEncoder().encode("GIF89a......"),
      /^x\.img: is a GIF image; only PNG and JPEG images can be read \(save it as a PNG or JPEG first\)$/,
    ],
    [
      new TextEncoder().encode("\0\0\0\x18ftypheic\0\0\0\0mif1heic"),
      /^x\.img: is a HEIC image \(as a phone's photos often are\); only PNG and JPEG images can be read/,
    ],
    [new TextEncoder().encode("BM......"), /^x\.img: is a BMP image/],
    [png.subarray(0, 60), /^x\.img: the PNG image is truncated or damaged/],
    [jpg.subarray(0, jpg.length - 10), /^x\.img: the JPEG image is truncated or damaged/],
    [huge, /^x\.img: the image is 20000 × 20000 pixels, more than the 100 MP allowed$/],
  ];
  for (const [bytes, pattern] of cases) {
    assert.throws(() => decodeImage(bytes, "x.img"), (e) => e instanceof InputError && pattern.test(e.message));
  }
});

/** JPEG bytes without their Huffman tables (DHT segments): the scan then names tables that are not there. */
function withoutHuffmanTables(jpg: Uint8Array): Uint8Array {
  const out: number[] = [0xff, 0xd8];
  for (let i = 2; i < jpg.length;) {
    const marker = jpg[i + 1];
    if (jpg[i] !== 0xff || marker === 0xda) {
      out.push(...jpg.subarray(i));
      break;
    }
    const end = i + 2 + ((jpg[i + 2] << 8) | jpg[i + 3]);
    if (marker !== 0xc4) out.push(...jpg.subarray(i, end));
    i = end;
  }
  return new Uint8Array(out);
}

Deno.test("image: a damaged JPEG is refused in words of ours, never with the decoder's JavaScript error", () => {
  const jpg = encodeJpeg(upright());
  const damaged = [withoutHuffmanTables(jpg)];
  for (let end = 2; end < jpg.length; end += Math.max(1, Math.floor(jpg.length / 60))) {
    damaged.push(jpg.subarray(0, end));
  }
  for (const bytes of damaged) {
    assert.throws(() => decodeImage(bytes, "x.jpg"), (e: unknown) => {
      assert.ok(e instanceof InputError, `${bytes.length} bytes: ${e}`);
      assert.match(e.message, /^x\.jpg: /);
      assert.doesNotMatch(e.message, /undefined|null|properties|is not a function|Cannot /, `${bytes.length} bytes`);
      return true;
    });
  }
});
