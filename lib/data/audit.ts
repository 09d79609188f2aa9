/**
 * The data audit: counts, class balance, pixel statistics and exact-duplicate
 * images, within a split and across the train and test splits.
 *
 * Duplicates are found by hashing every image row (FNV-1a over the bytes of its
 * Float32 pixels) and then comparing the rows that share a hash value pixel by
 * pixel, so a hash collision can never make two different images "equal".
 * Rows are reported 1-based, counting data rows only (a CSV header line is not
 * a row), so row r of the seed's layout is line r of its CSV files.
 *
 * A test image that also appears in the training set measures memory, not
 * generalisation; {@linkcode cleanTestIndices} picks the test images that do
 * not, for a "clean" test accuracy.
 *
 * @module
 */

import { classCounts, type Dataset } from "./dataset.ts";

/** Statistics of all pixel values of a split, in the files' 0–255 units. */
export interface PixelStats {
  /** Mean pixel value. */
  mean: number;
  /** Standard deviation of the pixel values (population: divides by the count). */
  std: number;
  /** Fraction of pixel values that are exactly 0. */
  zeroFraction: number;
  /** Smallest pixel value. */
  min: number;
  /** Largest pixel value. */
  max: number;
}

/** Rows holding the same image. */
export interface DuplicateGroup {
  /** 1-based data rows, ascending. */
  rows: number[];
  /** The label of each row, in the same order. */
  labels: number[];
  /** `true` when the rows do not all have the same label. */
  conflict: boolean;
}

/** A test image that also appears in the training set. */
export interface CrossDuplicate {
  /** 1-based data row in the test split. */
  testRow: number;
  /** Label of the test image. */
  testLabel: number;
  /** 1-based data rows in the train split holding the same image. */
  trainRows: number[];
  /** The label of each train row, in the order of `trainRows`. */
  trainLabels: number[];
  /** `true` when a train copy has a different label than the test image. */
  conflict: boolean;
}

/** The audit of one split. */
export interface SplitAudit {
  /** Number of images (data rows) in the split. */
  n: number;
  /** Images per class, indexed by label. */
  classCounts: number[];
  /** Statistics of all pixel values of the split. */
  pixels: PixelStats;
  /** Number of different images (n minus the repeats). */
  distinctImages: number;
  /** Groups of two or more rows holding the same image. */
  duplicateGroups: DuplicateGroup[];
  /** Groups whose rows disagree on the label. */
  labelConflicts: number;
}

/** The audit of a dataset folder: each split present, and their overlap. */
export interface Audit {
  /** Audit of the train split, or null when there is none. */
  train: SplitAudit | null;
  /** Audit of the test split, or null when there is none. */
  test: SplitAudit | null;
  /** Test images that also appear in train (null unless both splits are present). */
  across: { testRowsInTrain: CrossDuplicate[]; labelConflicts: number } | null;
}

/** FNV-1a's 32-bit offset basis and prime. */
const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/**
 * The FNV-1a hash of each row's bytes: [n] for x [n, features].
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { hashRows } from "./audit.ts";
 * import { makeDataset } from "./dataset.ts";
 * const h = hashRows(makeDataset(new Float32Array([0.5, 0, 0.5, 0, 0, 0.5]), new Uint8Array(3), 2));
 * assert.equal(h[0], h[1]);
 * assert.notEqual(h[0], h[2]);
 * ```
 */
export function hashRows(data: Dataset): Uint32Array {
  const rowBytes = data.features * 4;
  const bytes = new Uint8Array(data.x.buffer, data.x.byteOffset, data.n * rowBytes);
  const hashes = new Uint32Array(data.n);
  for (let i = 0; i < data.n; i++) {
    let h = FNV_OFFSET;
    const end = (i + 1) * rowBytes;
    for (let k = i * rowBytes; k < end; k++) h = Math.imul(h ^ bytes[k], FNV_PRIME);
    hashes[i] = h >>> 0;
  }
  return hashes;
}

function sameRow(a: Dataset, i: number, b: Dataset, j: number): boolean {
  const F = a.features;
  const x = a.x, y = b.x;
  for (let k = 0; k < F; k++) if (x[i * F + k] !== y[j * F + k]) return false;
  return true;
}

/**
 * The distinct images of a split: for each, the 0-based rows holding it.
 * Lookups by image go through {@linkcode ImageIndex.find}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { hashRows, ImageIndex } from "./audit.ts";
 * import { makeDataset } from "./dataset.ts";
 * const index = new ImageIndex(makeDataset(new Float32Array([4, 5, 4]), new Uint8Array(3), 1));
 * assert.deepEqual(index.groups, [[0, 2], [1]]);
 * const other = makeDataset(new Float32Array([5]), new Uint8Array(1), 1);
 * assert.deepEqual(index.find(other, 0, hashRows(other)[0]), [1]);
 * ```
 */
export class ImageIndex {
  /** hash → the groups of rows with that hash (one group per distinct image). */
  readonly #buckets = new Map<number, number[][]>();
  /** Every group, in order of first appearance. */
  readonly groups: number[][] = [];

  /** Indexes the rows of `data`, the split the groups' rows refer to. */
  constructor(readonly data: Dataset) {
    const hashes = hashRows(data);
    for (let i = 0; i < data.n; i++) {
      let bucket = this.#buckets.get(hashes[i]);
      if (bucket === undefined) this.#buckets.set(hashes[i], bucket = []);
      const group = bucket.find((g) => sameRow(data, g[0], data, i));
      if (group !== undefined) group.push(i);
      else {
        const created = [i];
        bucket.push(created);
        this.groups.push(created);
      }
    }
  }

  /** The 0-based rows of this split holding the same image as row `j` of `other`, or undefined. */
  find(other: Dataset, j: number, hash: number): number[] | undefined {
    return this.#buckets.get(hash)?.find((g) => sameRow(this.data, g[0], other, j));
  }
}

/**
 * Groups of rows holding exactly the same image within one split.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { duplicateGroups } from "./audit.ts";
 * import { makeDataset } from "./dataset.ts";
 * const data = makeDataset(new Float32Array([1, 0, 1, 1, 0]), new Uint8Array([3, 4, 3, 3, 4]), 1);
 * assert.deepEqual(duplicateGroups(data).map((g) => g.rows), [[1, 3, 4], [2, 5]]);
 * ```
 */
export function duplicateGroups(data: Dataset, index = new ImageIndex(data)): DuplicateGroup[] {
  return index.groups.filter((g) => g.length > 1).map((g) => {
    const labels = g.map((i) => data.labels[i]);
    return { rows: g.map((i) => i + 1), labels, conflict: labels.some((l) => l !== labels[0]) };
  });
}

/**
 * The test images that also appear in the training set, with all their train rows.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { crossDuplicates } from "./audit.ts";
 * import { makeDataset } from "./dataset.ts";
 * const train = makeDataset(new Float32Array([1, 2, 1]), new Uint8Array([5, 6, 5]), 1);
 * const test = makeDataset(new Float32Array([3, 1]), new Uint8Array([0, 7]), 1);
 * const [d] = crossDuplicates(train, test);
 * assert.deepEqual([d.testRow, d.trainRows, d.conflict], [2, [1, 3], true]);
 * ```
 */
export function crossDuplicates(train: Dataset, test: Dataset, index = new ImageIndex(train)): CrossDuplicate[] {
  const hashes = hashRows(test);
  const found: CrossDuplicate[] = [];
  for (let j = 0; j < test.n; j++) {
    const rows = index.find(test, j, hashes[j]);
    if (rows === undefined) continue;
    const trainLabels = rows.map((i) => train.labels[i]);
    found.push({
      testRow: j + 1,
      testLabel: test.labels[j],
      trainRows: rows.map((i) => i + 1),
      trainLabels,
      conflict: trainLabels.some((l) => l !== test.labels[j]),
    });
  }
  return found;
}

/**
 * The 0-based indices of the test images that do not appear in the training
 * set, ascending: the "clean" test set.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { cleanTestIndices } from "./audit.ts";
 * import { makeDataset } from "./dataset.ts";
 * const train = makeDataset(new Float32Array([1, 2]), new Uint8Array([1, 2]), 1);
 * const test = makeDataset(new Float32Array([2, 3, 4]), new Uint8Array([2, 3, 4]), 1);
 * assert.deepEqual([...cleanTestIndices(train, test)], [1, 2]);
 * ```
 */
export function cleanTestIndices(train: Dataset, test: Dataset): Uint32Array {
  const leaked = new Set(crossDuplicates(train, test).map((d) => d.testRow - 1));
  const clean = new Uint32Array(test.n - leaked.size);
  let k = 0;
  for (let j = 0; j < test.n; j++) if (!leaked.has(j)) clean[k++] = j;
  return clean;
}

/**
 * Mean, standard deviation, fraction of zeros, min and max of all pixel
 * values, in 0–255 units (`scale` converts the stored values back: 255 for
 * pixels stored in [0, 1]).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { pixelStats } from "./audit.ts";
 * import { makeDataset } from "./dataset.ts";
 * const s = pixelStats(makeDataset(new Float32Array([0, 0, 1, 1]), new Uint8Array(2), 2));
 * assert.deepEqual(s, { mean: 127.5, std: 127.5, zeroFraction: 0.5, min: 0, max: 255 });
 * ```
 */
export function pixelStats(data: Dataset, scale = 255): PixelStats {
  const x = data.x;
  const count = data.n * data.features;
  let sum = 0, zeros = 0, min = Infinity, max = -Infinity;
  for (let k = 0; k < count; k++) {
    const v = x[k];
    sum += v;
    if (v === 0) zeros++;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const mean = sum / count;
  let squares = 0;
  for (let k = 0; k < count; k++) squares += (x[k] - mean) ** 2;
  const std = Math.sqrt(squares / count);
  // values were stored as integer/255 in Float32: round min and max back to the integers in the files
  return {
    mean: mean * scale,
    std: std * scale,
    zeroFraction: zeros / count,
    min: Math.round(min * scale),
    max: Math.round(max * scale),
  };
}

/**
 * Audits one split: counts, class balance, pixel statistics, duplicates.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { auditSplit } from "./audit.ts";
 * import { makeDataset } from "./dataset.ts";
 * const audit = auditSplit(makeDataset(new Float32Array([0, 1, 0]), new Uint8Array([2, 2, 2]), 1));
 * assert.deepEqual([audit.n, audit.classCounts[2], audit.distinctImages], [3, 3, 2]);
 * ```
 */
export function auditSplit(data: Dataset, index = new ImageIndex(data)): SplitAudit {
  const groups = duplicateGroups(data, index);
  return {
    n: data.n,
    classCounts: classCounts(data.labels),
    pixels: pixelStats(data),
    distinctImages: index.groups.length,
    duplicateGroups: groups,
    labelConflicts: groups.filter((g) => g.conflict).length,
  };
}

/**
 * Audits the splits that are present and, when both are, their overlap.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { auditDataset } from "./audit.ts";
 * import { makeDataset } from "./dataset.ts";
 * const train = makeDataset(new Float32Array([0, 1, 1]), new Uint8Array([0, 1, 2]), 1);
 * const audit = auditDataset(train, makeDataset(new Float32Array([1]), new Uint8Array([1]), 1));
 * assert.equal(audit.train?.distinctImages, 2);
 * assert.equal(audit.train?.labelConflicts, 1);
 * assert.deepEqual(audit.across?.testRowsInTrain[0].trainRows, [2, 3]);
 * ```
 */
export function auditDataset(train: Dataset | null, test: Dataset | null): Audit {
  const trainIndex = train === null ? null : new ImageIndex(train);
  let across: Audit["across"] = null;
  if (train !== null && test !== null && trainIndex !== null) {
    const testRowsInTrain = crossDuplicates(train, test, trainIndex);
    across = { testRowsInTrain, labelConflicts: testRowsInTrain.filter((d) => d.conflict).length };
  }
  return {
    train: train === null ? null : auditSplit(train, trainIndex!),
    test: test === null ? null : auditSplit(test),
    across,
  };
}
