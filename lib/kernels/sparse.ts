/**
 * Sparse rows: a dataset's examples with their zero values left out.
 *
 * 81% of MNIST's pixels are exactly 0, and a zero input adds nothing to a
 * dense layer's output (z = Σᵢ xᵢ Wᵢ + b) nor to its weight gradient
 * (∂L/∂Wᵢ = xᵢ δ). So the first layer only needs, for each example, the list
 * of its nonzero pixels: their positions and their values. This is the CSR
 * (compressed sparse row) layout:
 *
 *   rowStart [n + 1]   example r's entries are rowStart[r] … rowStart[r+1]−1
 *   index    [nnz]     the input (pixel) position of each entry
 *   value    [nnz]     its value
 *
 * The view is built once, before training, and reused by every epoch; for
 * MNIST it holds about 150 entries per image instead of 784.
 *
 * The two kernels below are the first layer's hot loops written on these rows:
 * the forward pass out = x · W + b and the plain-SGD update W ← W − η xᵀδ
 * applied one example at a time. They are the readable reference; the
 * WebAssembly SIMD kernels in `simd.ts` compute the same in float32.
 *
 * @module
 */

import type { Floats } from "../nn/tensor.ts";

/** A dataset's inputs in compressed sparse row (CSR) form. */
export interface SparseRows {
  /** Number of rows (examples). */
  readonly n: number;
  /** Values per dense row (784 for MNIST). */
  readonly features: number;
  /** Where each row's entries start in `index` and `value`, [n + 1]. */
  readonly rowStart: Uint32Array;
  /** The column (input position) of each nonzero entry, [nnz]. */
  readonly index: Uint32Array;
  /** The nonzero values, [nnz]. */
  readonly value: Float32Array;
}

/**
 * The nonzero entries of every row of `x` [n, features].
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { toSparseRows } from "./sparse.ts";
 * const rows = toSparseRows(new Float32Array([0, 0.5, 0, 0, 0, 1]), 3);
 * assert.deepEqual([...rows.rowStart], [0, 1, 2]);
 * assert.deepEqual([...rows.index], [1, 2]);
 * assert.deepEqual([...rows.value], [0.5, 1]);
 * ```
 */
export function toSparseRows(x: Float32Array, features: number): SparseRows {
  const n = Math.floor(x.length / features);
  let nnz = 0;
  for (let k = 0; k < n * features; k++) nnz += +(x[k] !== 0);
  const rowStart = new Uint32Array(n + 1);
  // one slot of slack: every pixel is written at p, and p only moves past the nonzero ones (no branch to
  // mispredict at the edges of the strokes), so the last zero pixels land in slot nnz
  const index = new Uint32Array(nnz + 1);
  const value = new Float32Array(nnz + 1);
  let p = 0;
  for (let r = 0; r < n; r++) {
    rowStart[r] = p;
    const row = r * features;
    for (let i = 0; i < features; i++) {
      const v = x[row + i];
      index[p] = i;
      value[p] = v;
      p += +(v !== 0);
    }
  }
  rowStart[n] = p;
  return { n, features, rowStart, index: index.subarray(0, nnz), value: value.subarray(0, nnz) };
}

/** The images [n, features] of a dataset, to be listed straight into WebAssembly memory ({@linkcode writeRowPairs}). */
export interface DenseRows {
  /** The images, row-major [n, features]. */
  readonly x: Float32Array;
  /** Values per row (784 for MNIST). */
  readonly features: number;
  /** Number of rows. */
  readonly n: number;
  /** Number of nonzero values. */
  readonly nnz: number;
}

/**
 * `x` [n, features] with its nonzero values counted, for {@linkcode writeRowPairs}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { denseRows } from "./sparse.ts";
 * assert.equal(denseRows(new Float32Array([0, 0.5, 0, 0, 0, 1]), 3).nnz, 2);
 * ```
 */
export function denseRows(x: Float32Array, features: number): DenseRows {
  let nnz = 0;
  for (let k = 0; k < x.length; k++) nnz += +(x[k] !== 0);
  return { x, features, n: Math.floor(x.length / features), nnz };
}

/**
 * Writes the nonzero values of `rows` into WebAssembly memory as the kernels
 * read them, with no array in between (whose fresh pages cost more than the
 * listing on this virtual machine): from byte address `entries` on, per value
 * x[r, i] row after row an int32 i · rowBytes then its float32 value; from
 * byte address `rowStart` on, int32 [n + 1], each row's first pair number;
 * with `pixel`, from that byte address on each pair's i (int32 [nnz]).
 * `entries` needs room for nnz + 1 pairs and `pixel` for nnz + 1 values (the
 * last one is slack).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { denseRows, writeRowPairs } from "./sparse.ts";
 * const memory = new ArrayBuffer(64);
 * writeRowPairs(memory, denseRows(new Float32Array([0, 0.5, 0, 0, 0, 1]), 3), 16, 0, 32);
 * assert.deepEqual([...new Int32Array(memory, 32, 3)], [0, 1, 2]);
 * assert.deepEqual([new Int32Array(memory)[0], new Float32Array(memory)[1]], [16, 0.5]);
 * assert.deepEqual([new Int32Array(memory)[2], new Float32Array(memory)[3]], [32, 1]);
 * ```
 */
export function writeRowPairs(
  memory: ArrayBufferLike,
  rows: DenseRows,
  rowBytes: number,
  entries: number,
  rowStart: number,
  pixel?: number,
): void {
  const { x, features, n, nnz } = rows;
  const i32 = new Int32Array(memory, entries, 2 * nnz + 2), f32 = new Float32Array(memory, entries, 2 * nnz + 2);
  const starts = new Int32Array(memory, rowStart, n + 1);
  const pixels = pixel === undefined ? null : new Int32Array(memory, pixel, nnz + 1);
  let e = 0;
  for (let r = 0; r < n; r++) {
    starts[r] = e >> 1;
    const row = r * features;
    // every value is written at e, and e only moves past the nonzero ones (no branch to mispredict)
    if (pixels === null) {
      for (let i = 0; i < features; i++) {
        const v = x[row + i];
        i32[e] = i * rowBytes;
        f32[e + 1] = v;
        e += 2 * +(v !== 0);
      }
    } else {
      for (let i = 0; i < features; i++) {
        const v = x[row + i];
        i32[e] = i * rowBytes;
        f32[e + 1] = v;
        pixels[e >> 1] = i;
        e += 2 * +(v !== 0);
      }
    }
  }
  starts[n] = e >> 1;
}

/**
 * out[0:O] = rows[r] · weight[I, O] + bias[O]: one example through a dense
 * layer, visiting only the example's nonzero inputs. `out` is written from
 * `outOffset` on.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sparseForward, toSparseRows } from "./sparse.ts";
 * // x = [0, 2], W = [[1, 1], [3, 4]], b = [0.5, 0]  →  x·W + b = [6.5, 8]
 * const rows = toSparseRows(new Float32Array([0, 2]), 2);
 * const out = new Float64Array(2);
 * sparseForward(out, 0, rows, 0, new Float64Array([1, 1, 3, 4]), new Float64Array([0.5, 0]), 2);
 * assert.deepEqual([...out], [6.5, 8]);
 * ```
 */
export function sparseForward(
  out: Floats,
  outOffset: number,
  rows: SparseRows,
  r: number,
  weight: Floats,
  bias: Floats,
  O: number,
): void {
  const { index, value } = rows;
  for (let o = 0; o < O; o++) out[outOffset + o] = bias[o];
  for (let p = rows.rowStart[r], end = rows.rowStart[r + 1]; p < end; p++) {
    const v = value[p];
    const wRow = index[p] * O;
    for (let o = 0; o < O; o++) out[outOffset + o] += v * weight[wRow + o];
  }
}

/**
 * weight[I, O] −= η · rows[r]ᵀ ⊗ delta[0:O]: one example's share of the SGD
 * step W ← W − η Σ_b x_bᵀ δ_b, touching only the rows of W whose input is
 * nonzero. `delta` (∂L/∂out of the example, already divided by the batch
 * size) is read from `deltaOffset` on.
 *
 * Applied for every example of a minibatch after all of its deltas were
 * computed with the same (pre-update) weights, this is the minibatch's
 * gradient step up to float rounding: the sum over examples is just taken
 * inside the weights instead of in a separate gradient buffer.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sparseOuterUpdate, toSparseRows } from "./sparse.ts";
 * const rows = toSparseRows(new Float32Array([0, 2]), 2);
 * const w = new Float64Array([1, 1, 3, 4]);
 * sparseOuterUpdate(w, rows, 0, new Float64Array([0.5, -1]), 0, 0.1, 2);
 * assert.deepEqual([...w], [1, 1, 3 - 0.1 * 2 * 0.5, 4 + 0.1 * 2]); // row 0 untouched
 * ```
 */
export function sparseOuterUpdate(
  weight: Floats,
  rows: SparseRows,
  r: number,
  delta: Floats,
  deltaOffset: number,
  lr: number,
  O: number,
): void {
  const { index, value } = rows;
  for (let p = rows.rowStart[r], end = rows.rowStart[r + 1]; p < end; p++) {
    const v = lr * value[p];
    const wRow = index[p] * O;
    for (let o = 0; o < O; o++) weight[wRow + o] -= v * delta[deltaOffset + o];
  }
}
