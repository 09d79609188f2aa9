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
 * It is also duplicate-aware: identical images (found by
 * {@linkcode ImageIndex}) move together, all to training or all to
 * validation, so no validation image is also a training image — otherwise the
 * validation accuracy that chooses the kept epoch would be inflated by twins
 * the network has already seen.
 *
 * @module
 */

import { CLASSES, type Dataset, subset } from "./dataset.ts";
import { ImageIndex } from "./audit.ts";
import type { Random } from "../nn/random.ts";

/** Indices into a dataset: the examples kept for training and those held out. */
export interface SplitIndices {
  /** Training examples, ascending. */
  train: Uint32Array;
  /** Held-out validation examples, ascending. */
  validation: Uint32Array;
}

/** Options of {@linkcode stratifiedSplit}. */
export interface SplitOptions {
  /**
   * Examples that must stay on the same side (e.g. identical images), as
   * lists of indices; an index in no group is a group of its own. A group
   * counts for the class of its first member.
   */
  groups?: readonly (readonly number[])[];
  /** Number of classes (default 10). */
  classes?: number;
}

/**
 * Splits example indices so that each class sends round(fraction · count) of
 * its examples to validation, chosen at random by `rng`. With `groups`, whole
 * groups are drawn: a class's groups are shuffled and each goes to validation
 * if it still fits within that class's quota, so the quota is met exactly when
 * singletons allow and never exceeded.
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
 * // rows 0 and 10 are the same image: they land on the same side
 * const split = stratifiedSplit(labels, 0.5, new Random(3), { groups: [[0, 10]] });
 * assert.equal(split.validation.includes(0), split.validation.includes(10));
 * ```
 */
export function stratifiedSplit(
  labels: ArrayLike<number>,
  fraction: number,
  rng: Random,
  options: SplitOptions = {},
): SplitIndices {
  if (!(fraction >= 0 && fraction < 1)) {
    throw new RangeError(`the validation fraction must be in [0, 1), got ${fraction}`);
  }
  const classes = options.classes ?? CLASSES;
  // every example in exactly one group: the given ones, then singletons
  const grouped = new Uint8Array(labels.length);
  const units: (readonly number[])[] = [];
  for (const group of options.groups ?? []) {
    if (group.length === 0) continue;
    for (const i of group) {
      if (!(i >= 0 && i < labels.length) || grouped[i]) {
        throw new RangeError(`example ${i} is out of range or in two groups`);
      }
      grouped[i] = 1;
    }
    units.push(group);
  }
  for (let i = 0; i < labels.length; i++) if (!grouped[i]) units.push([i]);
  units.sort((a, b) => a[0] - b[0]); // the order of first appearance, whatever order the groups came in
  const byClass: (readonly number[])[][] = Array.from({ length: classes }, () => []);
  const counts = new Array<number>(classes).fill(0);
  for (const unit of units) {
    byClass[labels[unit[0]]].push(unit);
    for (const i of unit) counts[labels[i]]++;
  }
  const validation: number[] = [];
  const train: number[] = [];
  for (let c = 0; c < classes; c++) {
    const members = rng.shuffle(byClass[c]);
    const quota = Math.round(fraction * counts[c]);
    let held = 0;
    for (const unit of members) {
      if (held + unit.length <= quota) {
        validation.push(...unit);
        held += unit.length;
      } else train.push(...unit);
    }
  }
  const ascending = (a: number, b: number) => a - b;
  return { train: Uint32Array.from(train.sort(ascending)), validation: Uint32Array.from(validation.sort(ascending)) };
}

/**
 * The dataset cut in two by {@linkcode stratifiedSplit}: a training part and
 * a validation part (empty when `fraction` is 0). Identical images stay
 * together, so the validation part shares no image with the training part.
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
 * // twenty different images, two per class: holding out 95% of each class leaves nothing to train on
 * const x = new Float32Array(20 * 784).map((_, k) => (k % 785 === 0 ? 1 : 0)); // image i has pixel i lit
 * const distinct = makeDataset(x, Uint8Array.from({ length: 20 }, (_, i) => i % 10));
 * assert.throws(() => splitDataset(distinct, 0.95, new Random(1)), /leaves none to train on/);
 * ```
 */
export function splitDataset(data: Dataset, fraction: number, rng: Random): { train: Dataset; validation: Dataset } {
  const groups = fraction === 0 ? [] : new ImageIndex(data).groups.filter((g) => g.length > 1);
  const { train, validation } = stratifiedSplit(data.labels, fraction, rng, { groups });
  if (train.length === 0 && data.n > 0) {
    throw new RangeError(`holding out ${fraction} of ${data.n} examples leaves none to train on`);
  }
  return { train: subset(data, train), validation: subset(data, validation) };
}
