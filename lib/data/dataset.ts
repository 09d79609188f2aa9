/**
 * The in-memory dataset: images as one flat Float32Array, labels as bytes.
 *
 * A dataset of n images of 28 × 28 pixels is x: [n, 784] row-major, each pixel
 * scaled from 0–255 to [0, 1] by {@linkcode INPUT_SCALE}, and labels: [n], the
 * digit 0–9. Flat typed arrays keep even the full 60,000-image MNIST at
 * 188 MB, and let a minibatch be copied row by row into one contiguous buffer.
 *
 * Loading from files lives in `data/load.ts`; this module has no I/O, so it also
 * runs in a browser.
 *
 * @module
 */

/** Width and height of an image. */
export const IMAGE_SIDE = 28;
/** Pixels per image, the network's input size. */
export const PIXELS = IMAGE_SIDE * IMAGE_SIDE;
/** Digits 0–9. */
export const CLASSES = 10;
/** The factor applied to 0–255 pixel values: 1/255. */
export const INPUT_SCALE = 1 / 255;

/** Images and their labels. */
export interface Dataset {
  /** Pixels in [0, 1], [n, features] row-major. */
  readonly x: Float32Array;
  /** The class of each image, [n]. */
  readonly labels: Uint8Array;
  /** Number of examples. */
  readonly n: number;
  /** Values per example (784). */
  readonly features: number;
}

/**
 * A dataset from its arrays, checking that their sizes agree and that every label is a digit 0–9.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { makeDataset } from "./dataset.ts";
 * const d = makeDataset(new Float32Array(2 * 784), new Uint8Array([3, 7]));
 * assert.equal(d.n, 2);
 * assert.throws(() => makeDataset(new Float32Array(784), new Uint8Array([12])), /label 12 of example 0/);
 * ```
 */
export function makeDataset(x: Float32Array, labels: Uint8Array, features = PIXELS): Dataset {
  if (x.length !== labels.length * features) {
    throw new RangeError(`${x.length} pixel values do not make ${labels.length} images of ${features}`);
  }
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] >= CLASSES) {
      throw new RangeError(`label ${labels[i]} of example ${i} is not a digit 0–${CLASSES - 1}`);
    }
  }
  return { x, labels, n: labels.length, features };
}

/**
 * The examples at `indices`, copied into a new dataset (in that order).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { makeDataset, subset } from "./dataset.ts";
 * // three examples of two features each
 * const d = makeDataset(new Float32Array([0, 1, 2, 3, 4, 5]), new Uint8Array([7, 8, 9]), 2);
 * const s = subset(d, [2, 0]);
 * assert.equal(s.n, 2);
 * assert.deepEqual([...s.x], [4, 5, 0, 1]);
 * assert.deepEqual([...s.labels], [9, 7]);
 * ```
 */
export function subset(data: Dataset, indices: ArrayLike<number>): Dataset {
  const F = data.features;
  const x = new Float32Array(indices.length * F);
  const labels = new Uint8Array(indices.length);
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k];
    x.set(data.x.subarray(i * F, (i + 1) * F), k * F);
    labels[k] = data.labels[i];
  }
  return makeDataset(x, labels, F);
}

/**
 * Copies examples order[start … start+B) into the batch buffers
 * x[B, features] and labels[B].
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { gatherBatch, makeDataset } from "./dataset.ts";
 * const d = makeDataset(new Float32Array([0, 1, 2, 3, 4, 5]), new Uint8Array([7, 8, 9]), 2);
 * const x = new Float32Array(2 * 2), labels = new Uint8Array(2);
 * gatherBatch(x, labels, d, [2, 0, 1], 1, 2); // order[1 … 3) = examples 0 and 1
 * assert.deepEqual([...x], [0, 1, 2, 3]);
 * assert.deepEqual([...labels], [7, 8]);
 * ```
 */
export function gatherBatch(
  x: Float32Array,
  labels: Uint8Array,
  data: Dataset,
  order: ArrayLike<number>,
  start: number,
  B: number,
): void {
  const F = data.features;
  for (let b = 0; b < B; b++) {
    const i = order[start + b];
    x.set(data.x.subarray(i * F, (i + 1) * F), b * F);
    labels[b] = data.labels[i];
  }
}

/**
 * How many examples of each class, [classes].
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { classCounts } from "./dataset.ts";
 * assert.deepEqual(classCounts([1, 1, 2], 3), [0, 2, 1]);
 * assert.equal(classCounts(new Uint8Array([3, 7])).length, 10); // CLASSES by default
 * ```
 */
export function classCounts(labels: ArrayLike<number>, classes = CLASSES): number[] {
  const counts = new Array<number>(classes).fill(0);
  for (let i = 0; i < labels.length; i++) counts[labels[i]]++;
  return counts;
}
