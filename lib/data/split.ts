/**
 * A validation split: part of the training set held out, so that choices made
 * during training (when to stop, which epoch's weights to keep) never look at
 * the test set.
 *
 * The split is stratified: each class gives the same fraction of its examples
 * (rounded), so a 10% split of 1000 digits holds about ten of each and the
 * class balance of both parts matches the whole. Which examples go where is
 * drawn from a seeded {@linkcode Random}.
 *
 * @module
 */

import { CLASSES, type Dataset, subset } from "./dataset.ts";
import type { Random } from "../nn/random.ts";

/** Indices into a dataset: the examples kept for training and those held out. */
export interface SplitIndices {
  /** Training examples, ascending. */
  train: Uint32Array;
  /** Held-out validation examples, ascending. */
  validation: Uint32Array;
}

/**
 * Splits example indices so that each class sends round(fraction · count) of
 * its examples to validation, chosen at random by `rng`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { stratifiedSplit } from "./split.ts";
 * import { Random } from "../nn/random.ts";
 * const labels = Uint8Array.from({ length: 100 }, (_, i) => i % 10);
 * const { train, validation } = stratifiedSplit(labels, 0.2, new Random(0));
 * assert.equal(validation.length, 20);
 * assert.equal(train.length, 80);
 * ```
 */
export function stratifiedSplit(
  labels: ArrayLike<number>,
  fraction: number,
  rng: Random,
  classes = CLASSES,
): SplitIndices {
  if (!(fraction >= 0 && fraction < 1)) {
    throw new RangeError(`the validation fraction must be in [0, 1), got ${fraction}`);
  }
  const byClass: number[][] = Array.from({ length: classes }, () => []);
  for (let i = 0; i < labels.length; i++) byClass[labels[i]].push(i);
  const validation: number[] = [];
  const train: number[] = [];
  for (const members of byClass) {
    rng.shuffle(members);
    const held = Math.round(fraction * members.length);
    validation.push(...members.slice(0, held));
    train.push(...members.slice(held));
  }
  const ascending = (a: number, b: number) => a - b;
  return { train: Uint32Array.from(train.sort(ascending)), validation: Uint32Array.from(validation.sort(ascending)) };
}

/**
 * The dataset cut in two by {@linkcode stratifiedSplit}: a training part and
 * a validation part (empty when `fraction` is 0).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { splitDataset } from "./split.ts";
 * import { makeDataset } from "./dataset.ts";
 * import { Random } from "../nn/random.ts";
 * const data = makeDataset(new Float32Array(20 * 784), Uint8Array.from({ length: 20 }, (_, i) => i % 10));
 * const { train, validation } = splitDataset(data, 0.1, new Random(1));
 * assert.equal(train.n + validation.n, 20);
 * ```
 */
export function splitDataset(data: Dataset, fraction: number, rng: Random): { train: Dataset; validation: Dataset } {
  const { train, validation } = stratifiedSplit(data.labels, fraction, rng);
  return { train: subset(data, train), validation: subset(data, validation) };
}
