/**
 * A compact binary form of a dataset, for sending it to the page's training
 * worker: the server loads `data/` with `lib/data/load.ts` (polars, validated) and
 * the worker gets exactly the same numbers without parsing CSV in the browser.
 *
 * Layout (little-endian):
 *
 *   bytes 0–3    "MNB1"
 *   bytes 4–7    n, the number of images (uint32)
 *   then         n × 784 pixels, 0–255, one byte each (row-major, [n, 784])
 *   then         n labels, 0–9, one byte each
 *
 * The pixels are the loader's values times 255, rounded; decoding multiplies
 * by {@linkcode INPUT_SCALE} again, which gives back the loader's Float32
 * values exactly (both compute `byte * (1/255)` rounded to float32).
 *
 * @module
 */

import { CLASSES, type Dataset, INPUT_SCALE, makeDataset, PIXELS } from "../lib/data/dataset.ts";

const MAGIC = "MNB1";
const HEADER = 8;

/**
 * The bytes of a dataset of 28 × 28 images with values in [0, 1].
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { makeDataset } from "../lib/data/dataset.ts";
 * import { datasetFromBytes, datasetToBytes } from "./dataset_bytes.ts";
 * const x = new Float32Array(784).map((_, i) => (i % 256) / 255);
 * const back = datasetFromBytes(datasetToBytes(makeDataset(x, new Uint8Array([7]))));
 * assert.deepEqual(back.x, x);
 * assert.equal(back.labels[0], 7);
 * ```
 */
export function datasetToBytes(data: Dataset): Uint8Array {
  if (data.features !== PIXELS) throw new RangeError(`expected ${PIXELS} pixels per image, got ${data.features}`);
  const n = data.n;
  const bytes = new Uint8Array(HEADER + n * PIXELS + n);
  bytes.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(bytes.buffer).setUint32(4, n, true);
  const pixels = bytes.subarray(HEADER, HEADER + n * PIXELS);
  for (let i = 0; i < pixels.length; i++) pixels[i] = Math.round(data.x[i] * 255);
  bytes.set(data.labels, HEADER + n * PIXELS);
  return bytes;
}

/**
 * The dataset in bytes made by {@linkcode datasetToBytes}; a wrong magic
 * number, a size that does not match or a label outside 0–9 throws.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { datasetFromBytes } from "./dataset_bytes.ts";
 * assert.throws(() => datasetFromBytes(new Uint8Array(3)), /not a dataset/);
 * ```
 */
export function datasetFromBytes(bytes: Uint8Array): Dataset {
  const magic = new TextDecoder().decode(bytes.subarray(0, 4));
  if (bytes.length < HEADER || magic !== MAGIC) throw new RangeError("not a dataset in the MNB1 format");
  const n = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(4, true);
  if (bytes.length !== HEADER + n * PIXELS + n) {
    throw new RangeError(`the dataset says ${n} images but holds ${bytes.length} bytes`);
  }
  const x = new Float32Array(n * PIXELS);
  const pixels = bytes.subarray(HEADER, HEADER + n * PIXELS);
  for (let i = 0; i < x.length; i++) x[i] = pixels[i] * INPUT_SCALE;
  const labels = bytes.slice(HEADER + n * PIXELS);
  for (const label of labels) if (label >= CLASSES) throw new RangeError(`label ${label} is not a digit`);
  return makeDataset(x, labels);
}
