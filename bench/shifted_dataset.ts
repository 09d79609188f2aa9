/**
 * Larger training sets for the benchmark's scale table, made from the seed's
 * 1000 images by random whole-pixel shifts (the way MNIST-sized data can be
 * imitated without downloading it). The cost of an epoch depends on the
 * number of examples and on how many of their pixels are nonzero, and a
 * shifted digit keeps its nonzero count (unless ink leaves the frame), so the
 * larger sets cost what real digits of the same kind would.
 *
 * @module
 */

import { shiftImage } from "../lib/data/augment.ts";
import { type Dataset, IMAGE_SIDE, makeDataset } from "../lib/data/dataset.ts";
import type { Random } from "../lib/nn/random.ts";

/** A dataset grown by shifting, with where each example came from. */
export interface ShiftedDataset {
  data: Dataset;
  /** The index in the original dataset each example was copied from, [n]. */
  source: Uint32Array;
  /** The shift applied to each example, right and down, [n] each (0, 0 for the originals). */
  dx: Int8Array;
  dy: Int8Array;
}

/**
 * n examples: the first min(n, data.n) examples of `data` unchanged, then
 * copies of randomly chosen examples moved by dx, dy drawn uniformly from
 * −maxShift … maxShift (never both 0), with their labels.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { makeDataset } from "../lib/data/dataset.ts";
 * import { Random } from "../lib/nn/random.ts";
 * import { shiftedDataset } from "./shifted_dataset.ts";
 * const seed = makeDataset(new Float32Array(2 * 784).fill(0.5), new Uint8Array([3, 7]));
 * const grown = shiftedDataset(seed, 10, 2, new Random(0));
 * assert.equal(grown.data.n, 10);
 * assert.equal(grown.data.labels[5], seed.labels[grown.source[5]]);
 * ```
 */
export function shiftedDataset(data: Dataset, n: number, maxShift: number, rng: Random): ShiftedDataset {
  const F = data.features;
  if (F !== IMAGE_SIDE * IMAGE_SIDE) {
    throw new RangeError(`shifting needs ${IMAGE_SIDE}×${IMAGE_SIDE} images, got ${F} values`);
  }
  if (data.n === 0 && n > 0) throw new RangeError("cannot grow an empty dataset");
  const x = new Float32Array(n * F);
  const labels = new Uint8Array(n);
  const source = new Uint32Array(n);
  const dx = new Int8Array(n);
  const dy = new Int8Array(n);
  const kept = Math.min(n, data.n);
  x.set(data.x.subarray(0, kept * F));
  labels.set(data.labels.subarray(0, kept));
  for (let k = 0; k < kept; k++) source[k] = k;
  const side = 2 * maxShift + 1;
  for (let k = kept; k < n; k++) {
    const i = rng.int(data.n);
    let sx = 0, sy = 0;
    while (sx === 0 && sy === 0 && maxShift > 0) {
      sx = rng.int(side) - maxShift;
      sy = rng.int(side) - maxShift;
    }
    shiftImage(x.subarray(k * F, (k + 1) * F), data.x.subarray(i * F, (i + 1) * F), sx, sy);
    labels[k] = data.labels[i];
    source[k] = i;
    dx[k] = sx;
    dy[k] = sy;
  }
  return { data: makeDataset(x, labels, F), source, dx, dy };
}
