import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import { InputError } from "../../lib/errors.ts";
import {
  decodeIdx,
  decodeIdxImages,
  decodeIdxLabels,
  encodeIdx,
  gunzip,
  gzip,
  idxDeclaredSize,
} from "../../lib/data/idx.ts";

/** Asserts that `f` throws an InputError whose message matches every pattern. */
function throwsInput(f: () => unknown, ...patterns: RegExp[]): void {
  assert.throws(f, (error: unknown) => {
    assert.ok(error instanceof InputError, `expected an InputError, got ${error}`);
    for (const p of patterns) assert.match(error.message, p);
    return true;
  });
}

Deno.test("idx: encodeIdx writes the official header byte for byte", () => {
  // MNIST's images header: 0x00000803, then n, rows, cols as big-endian 32-bit integers
  const bytes = encodeIdx(new Uint8Array(2 * 28 * 28).fill(7), [2, 28, 28]);
  assert.deepEqual([...bytes.subarray(0, 16)], [0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 28, 0, 0, 0, 28]);
  assert.equal(bytes.length, 16 + 2 * 784);
  const labels = encodeIdx(new Uint8Array([1, 2, 3]), [3]);
  assert.deepEqual([...labels], [0, 0, 8, 1, 0, 0, 0, 3, 1, 2, 3]);
  assert.throws(() => encodeIdx(new Uint8Array(5), [2, 3]), RangeError);
});

Deno.test("idx: decodeIdx reads a hand-written file and round-trips encodeIdx", () => {
  // dims 2 × 300 (300 = 0x012c, big-endian): checks byte order
  const data = Uint8Array.from({ length: 600 }, (_, i) => (i * 37) % 256);
  const hand = new Uint8Array([0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 1, 0x2c, ...data]);
  const idx = decodeIdx(hand, "hand.idx");
  assert.deepEqual(idx.dims, [2, 300]);
  assert.equal(idx.dataOffset, 12);
  assert.deepEqual([...idx.data], [...data]);
  assert.deepEqual(encodeIdx(data, [2, 300]), hand);
});

Deno.test("idx: bad headers are one clear sentence naming the file", () => {
  throwsInput(() => decodeIdx(new Uint8Array(0), "e.idx"), /^e\.idx: the file is empty$/);
  throwsInput(() => decodeIdx(new Uint8Array([0, 0, 8]), "s.idx"), /^s\.idx is truncated: 3 bytes/);
  throwsInput(() => decodeIdx(new Uint8Array([1, 2, 3, 4, 5]), "m.idx"), /^m\.idx: wrong magic number 0x01020304/);
  throwsInput(() => decodeIdx(new Uint8Array([0x1f, 0x8b, 8, 0, 0]), "g.idx"), /gzip-compressed: give it a \.gz name/);
  throwsInput(
    () => decodeIdx(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0]), "p.idx"),
    /^p\.idx: wrong magic number 0x89504e47, not an IDX file \(it is a PNG image\)$/,
  );
  throwsInput(
    () => decodeIdx(new Uint8Array([0, 0, 0x0d, 1, 0, 0, 0, 1, 0, 0, 0, 0]), "f.idx"),
    /^f\.idx: holds 32-bit floats \(magic number 0x00000d01\); only unsigned bytes are supported$/,
  );
  throwsInput(
    () => decodeIdx(new Uint8Array([0, 0, 8, 3, 0, 0, 0, 1, 0, 0]), "h.idx"),
    /^h\.idx is truncated: its header declares 3 dimensions and needs 16 bytes, the file has 10$/,
  );
});

Deno.test("idx: truncated data names the offset and the incomplete item; extra bytes are refused", () => {
  const full = encodeIdx(new Uint8Array(5 * 784), [5, 28, 28]);
  throwsInput(
    () => decodeIdx(full.subarray(0, 16 + 2 * 784 + 100), "t.idx"),
    /^t\.idx is truncated: its header declares 5 × 28 × 28 values \(3920 bytes from offset 16\) but only 1668 bytes follow/,
    /ends at offset 1684, inside item 3 of 5$/,
  );
  const longer = new Uint8Array(full.length + 3);
  longer.set(full);
  throwsInput(
    () => decodeIdx(longer, "x.idx"),
    /^x\.idx: 3 unexpected bytes after the 5 × 28 × 28 values .*offset 3936/,
  );
});

Deno.test("idx: MNIST images and labels are checked for magic number, dimensions and digits", () => {
  const images = encodeIdx(Uint8Array.from({ length: 3 * 784 }, (_, i) => i % 256), [3, 28, 28]);
  const labels = encodeIdx(new Uint8Array([0, 9, 4]), [3]);
  assert.deepEqual([...decodeIdxImages(images, "i").subarray(780, 790)], [12, 13, 14, 15, 16, 17, 18, 19, 20, 21]);
  assert.deepEqual([...decodeIdxLabels(labels, "l")], [0, 9, 4]);
  // the two files swapped: the magic number says which is which
  throwsInput(() => decodeIdxImages(labels, "imgs"), /^imgs: wrong magic number 0x00000801, expected 0x00000803/);
  throwsInput(() => decodeIdxLabels(images, "labs"), /^labs: wrong magic number 0x00000803, expected 0x00000801/);
  // an images file of 1000 × 28 × 28 bytes whose magic number says 4 dimensions (0x00000804), and a labels
  // file saying 2: the magic number is named, not the sizes it would make of the pixel bytes
  const thousand = encodeIdx(new Uint8Array(1000 * 784), [1000, 28, 28]);
  const fourDims = Uint8Array.from(thousand, (b, i) => i === 3 ? 4 : b);
  throwsInput(
    () => decodeIdxImages(fourDims, "train-images-idx3-ubyte"),
    /^train-images-idx3-ubyte: wrong magic number 0x00000804, expected 0x00000803 \(images: unsigned bytes in 3 dimensions\); 0x00000804 declares 4 dimensions$/,
  );
  const twoDims = Uint8Array.from(encodeIdx(new Uint8Array(1000), [1000]), (b, i) => i === 3 ? 2 : b);
  throwsInput(
    () => decodeIdxLabels(twoDims, "train-labels-idx1-ubyte"),
    /^train-labels-idx1-ubyte: wrong magic number 0x00000802, expected 0x00000801 \(labels: unsigned bytes in 1 dimension\)/,
  );
  throwsInput(
    () => decodeIdxImages(encodeIdx(new Uint8Array(2 * 32 * 32), [2, 32, 32]), "big"),
    /^big: images are 32 × 32 pixels, expected 28 × 28$/,
  );
  throwsInput(() => decodeIdxImages(encodeIdx(new Uint8Array(0), [0, 28, 28]), "none"), /^none: holds no images/);
  throwsInput(
    () => decodeIdxLabels(encodeIdx(new Uint8Array([1, 2, 3, 12]), [4]), "labels"),
    /^labels, offset 11 \(label 4\): 12 is not a digit 0–9$/,
  );
});

Deno.test("idx: gunzip reads node:zlib's gzip and our gzip; corrupt data is an InputError", async () => {
  const data = Uint8Array.from({ length: 5000 }, (_, i) => (i * i) % 251);
  assert.deepEqual(await gunzip(new Uint8Array(gzipSync(data)), "z.gz"), data);
  const packed = await gzip(data);
  assert.deepEqual(await gunzip(packed, "ours.gz"), data);
  await assert.rejects(
    gunzip(data, "plain.gz"),
    (e: Error) => e instanceof InputError && /plain\.gz: not gzip/.test(e.message),
  );
  await assert.rejects(
    gunzip(packed.subarray(0, packed.length - 10), "cut.gz"),
    (e: Error) => e instanceof InputError && /^cut\.gz: the gzip data is corrupt or truncated/.test(e.message),
  );
});

Deno.test("idx: gunzip reads every member of a multi-member file (cat a.gz b.gz)", async () => {
  const a = Uint8Array.from({ length: 3000 }, (_, i) => i % 7), b = Uint8Array.from({ length: 2000 }, (_, i) => i % 13);
  const both = new Uint8Array([...gzipSync(a), ...(await gzip(b))]);
  assert.deepEqual(await gunzip(both, "ab.gz"), new Uint8Array([...a, ...b]));
  // an IDX file split across two members loads whole
  const file = encodeIdx(Uint8Array.from({ length: 3 * 784 }, (_, i) => i % 256), [3, 28, 28]);
  const split = new Uint8Array([...gzipSync(file.subarray(0, 1000)), ...gzipSync(file.subarray(1000))]);
  assert.deepEqual(
    decodeIdxImages(await gunzip(split, "images.gz", { expectedSize: idxDeclaredSize }), "i"),
    file.subarray(16),
  );
});

Deno.test("idx: a gzip bomb is refused as soon as the output passes the declared size or the cap", async () => {
  // an IDX header declaring 1 image (800 bytes in all), followed by 64 MB of zeros
  const bomb = new Uint8Array(64 * 2 ** 20);
  bomb.set(encodeIdx(new Uint8Array(784), [1, 28, 28]).subarray(0, 16));
  const packed = new Uint8Array(gzipSync(bomb));
  await assert.rejects(gunzip(packed, "bomb.gz", { expectedSize: idxDeclaredSize }), (e: Error) => {
    assert.ok(e instanceof InputError, `${e}`);
    const m =
      /^bomb\.gz: the gzip data inflates to more than the 800 bytes its header declares \(stopped after (\d+) bytes\)$/
        .exec(e.message);
    assert.ok(m, e.message);
    assert.ok(Number(m[1]) <= 2 ** 20, `stopped after ${m[1]} bytes, not after inflating all 64 MB`);
    return true;
  });
  await assert.rejects(gunzip(packed, "bomb.gz", { maxBytes: 100_000 }), (e: Error) => {
    assert.ok(e instanceof InputError, `${e}`);
    assert.match(e.message, /more than 100000 bytes, the most this tool inflates \(stopped after \d+ bytes\)$/);
    return true;
  });
  // a header declaring more than the cap is refused at once
  const huge = gzipSync(encodeIdx(new Uint8Array(0), [0, 28, 28]).map((v, i) => (i === 4 ? 0x7f : v)));
  await assert.rejects(
    gunzip(new Uint8Array(huge), "huge.gz", { expectedSize: idxDeclaredSize }),
    /huge\.gz: its header declares \d+ bytes, more than the 1073741824 this tool inflates/,
  );
});
