/**
 * The three matrix products a convolution needs, in plain TypeScript on
 * row-major buffers. Each keeps its innermost loop running along a row of the
 * output and a row of one operand, so memory is read in order:
 *
 * | function        | product                | used for (conv2d.ts)                   |
 * |-----------------|------------------------|----------------------------------------|
 * | `matmul`        | C[M, N] = A[M, K] · B[K, N]  | forward: Y = W · cols             |
 * | `matmulTransB`  | C[M, N] += A[M, K] · B[N, K]ᵀ | ∂L/∂W += δ · colsᵀ               |
 * | `matmulTransA`  | C[M, N] = A[K, M]ᵀ · B[K, N] | ∂L/∂cols = Wᵀ · δ                 |
 *
 * Offsets let a caller multiply slices of bigger buffers (one example of a
 * batch) without copying. A product of M×K by K×N costs 2·M·K·N flops.
 *
 * @module
 */

import type { Floats } from "./tensor.ts";

/**
 * c[M, N] = a[M, K] · b[K, N] (overwritten), reading a from `aOff`, b from
 * `bOff` and writing c from `cOff`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { matmul } from "./matmul.ts";
 * const c = new Float64Array(1);
 * matmul(c, 0, new Float64Array([1, 2]), 0, new Float64Array([3, 4]), 0, 1, 2, 1);
 * assert.equal(c[0], 1 * 3 + 2 * 4);
 * ```
 */
export function matmul(
  c: Floats,
  cOff: number,
  a: Floats,
  aOff: number,
  b: Floats,
  bOff: number,
  M: number,
  K: number,
  N: number,
): void {
  for (let i = 0; i < M; i++) {
    const cRow = cOff + i * N;
    c.fill(0, cRow, cRow + N);
    const aRow = aOff + i * K;
    for (let k = 0; k < K; k++) {
      const v = a[aRow + k];
      if (v === 0) continue;
      const bRow = bOff + k * N;
      for (let j = 0; j < N; j++) c[cRow + j] += v * b[bRow + j]; // C[i, :] += A[i, k] B[k, :]
    }
  }
}

/**
 * c[M, N] += a[M, K] · b[N, K]ᵀ (accumulated): each output is a dot product of
 * a row of a with a row of b.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { matmulTransB } from "./matmul.ts";
 * const c = new Float64Array([10]);
 * matmulTransB(c, 0, new Float64Array([1, 2]), 0, new Float64Array([3, 4]), 0, 1, 2, 1);
 * assert.equal(c[0], 10 + 1 * 3 + 2 * 4);
 * ```
 */
export function matmulTransB(
  c: Floats,
  cOff: number,
  a: Floats,
  aOff: number,
  b: Floats,
  bOff: number,
  M: number,
  K: number,
  N: number,
): void {
  for (let i = 0; i < M; i++) {
    const aRow = aOff + i * K;
    const cRow = cOff + i * N;
    for (let j = 0; j < N; j++) {
      const bRow = bOff + j * K;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      let k = 0;
      for (; k + 3 < K; k += 4) {
        s0 += a[aRow + k] * b[bRow + k];
        s1 += a[aRow + k + 1] * b[bRow + k + 1];
        s2 += a[aRow + k + 2] * b[bRow + k + 2];
        s3 += a[aRow + k + 3] * b[bRow + k + 3];
      }
      for (; k < K; k++) s0 += a[aRow + k] * b[bRow + k];
      c[cRow + j] += s0 + s1 + s2 + s3; // C[i, j] += A[i, :] · B[j, :]
    }
  }
}

/**
 * c[M, N] = a[K, M]ᵀ · b[K, N] (overwritten): row k of b, scaled by a[k, i],
 * is added into row i of c.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { matmulTransA } from "./matmul.ts";
 * const c = new Float64Array(1);
 * matmulTransA(c, 0, new Float64Array([1, 2]), 0, new Float64Array([3, 4]), 0, 1, 2, 1);
 * assert.equal(c[0], 1 * 3 + 2 * 4);
 * ```
 */
export function matmulTransA(
  c: Floats,
  cOff: number,
  a: Floats,
  aOff: number,
  b: Floats,
  bOff: number,
  M: number,
  K: number,
  N: number,
): void {
  c.fill(0, cOff, cOff + M * N);
  for (let k = 0; k < K; k++) {
    const aRow = aOff + k * M;
    const bRow = bOff + k * N;
    for (let i = 0; i < M; i++) {
      const v = a[aRow + i];
      if (v === 0) continue;
      const cRow = cOff + i * N;
      for (let j = 0; j < N; j++) c[cRow + j] += v * b[bRow + j]; // C[i, :] += A[k, i] B[k, :]
    }
  }
}
