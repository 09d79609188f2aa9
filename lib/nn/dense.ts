/**
 * The dense (fully connected) layer: forward and backward side by side.
 *
 * For a batch X of B rows with I inputs each, the layer computes
 *
 *   Z = X · W + b            Z: [B, O], X: [B, I], W: [I, O], b: [O]
 *
 * and, given ∂L/∂Z from the layer above, its backward pass computes
 *
 *   ∂L/∂W = Xᵀ · ∂L/∂Z      [I, O]
 *   ∂L/∂b = Σ_rows ∂L/∂Z    [O]
 *   ∂L/∂X = ∂L/∂Z · Wᵀ      [B, I]   (only when a layer below needs it)
 *
 * W is stored input-major, [I, O]: row i holds the O weights leaving input i.
 * That makes the forward pass a sum of weight rows scaled by the inputs, so an
 * input that is exactly zero (81% of MNIST's pixels, about half of the ReLU
 * outputs) is skipped, in the forward pass and in ∂L/∂W alike. Each input row
 * first gets the list of its nonzero positions ({@linkcode listNonzero}),
 * built without a branch: an `if (x === 0) continue` inside the loop would make
 * the CPU guess, and for ReLU outputs it guesses wrong half of the time.
 * Model files store the transpose, [O, I], PyTorch's `nn.Linear` layout.
 *
 * All buffers are allocated once by the caller; nothing here allocates (but
 * for one index list, grown to the widest layer seen).
 *
 * @module
 */

import type { Random } from "./random.ts";
import { type DType, type Floats, zeros } from "./tensor.ts";

/**
 * Writes the positions of the nonzero values among x[offset … offset+n) to
 * `indices` (relative to offset) and returns how many there are. Branch-free:
 * every position is written, and the count only advances past nonzero ones.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { listNonzero } from "./dense.ts";
 * const indices = new Int32Array(4);
 * assert.equal(listNonzero(indices, new Float64Array([9, 0, 2, 0, 5]), 1, 4), 2);
 * assert.deepEqual([...indices.subarray(0, 2)], [1, 3]); // x[1 + 1] = 2, x[1 + 3] = 5
 * ```
 */
export function listNonzero(indices: Int32Array, x: Floats, offset: number, n: number): number {
  let count = 0;
  for (let i = 0; i < n; i++) {
    indices[count] = i;
    count += +(x[offset + i] !== 0);
  }
  return count;
}

let nonzeroScratch = new Int32Array(1024);

/** The shared index list for {@linkcode listNonzero}, at least n long. */
function nonzeroIndices(n: number): Int32Array {
  if (nonzeroScratch.length < n) nonzeroScratch = new Int32Array(n);
  return nonzeroScratch;
}

/**
 * out[B, O] = x[B, I] · weight[I, O] + bias[O], skipping zero inputs.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { denseForward } from "./dense.ts";
 * // one example, two inputs, one output: 3·1 + 0·5 + 0.5
 * const out = new Float64Array(1);
 * denseForward(out, new Float64Array([3, 0]), new Float64Array([1, 5]), new Float64Array([0.5]), 1, 2, 1);
 * assert.equal(out[0], 3.5);
 * ```
 */
export function denseForward(
  out: Floats,
  x: Floats,
  weight: Floats,
  bias: Floats,
  B: number,
  I: number,
  O: number,
): void {
  const nonzero = nonzeroIndices(I);
  for (let b = 0; b < B; b++) {
    const outRow = b * O;
    const xRow = b * I;
    for (let o = 0; o < O; o++) out[outRow + o] = bias[o];
    const n = listNonzero(nonzero, x, xRow, I);
    for (let k = 0; k < n; k++) {
      const i = nonzero[k];
      const v = x[xRow + i];
      const wRow = i * O;
      for (let o = 0; o < O; o++) out[outRow + o] += v * weight[wRow + o]; // out[b, :] += x[b, i] W[i, :]
    }
  }
}

/**
 * The backward pass of {@linkcode denseForward}:
 * dWeight = xᵀ · dOut, dBias = column sums of dOut (both overwritten), and,
 * when `dx` is given, dx[B, I] = dOut · weightᵀ.
 *
 * With `reluBelow`, x is the output of a ReLU and dx gets the ReLU's backward
 * pass fused in: dx[b, i] = (dOut · weightᵀ)[b, i] where x[b, i] > 0, else 0
 * (the ReLU mask), so the sums that the mask would zero are never computed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { denseBackward } from "./dense.ts";
 * // one example, x = [2, 3], W = [[1], [4]] (I = 2, O = 1), δ = ∂L/∂z = [0.5]
 * const dx = new Float64Array(2), dW = new Float64Array(2), db = new Float64Array(1);
 * const dOut = new Float64Array([0.5]), W = new Float64Array([1, 4]);
 * denseBackward(dx, dW, db, dOut, new Float64Array([2, 3]), W, 1, 2, 1);
 * assert.deepEqual([...dW], [1, 1.5]); // xᵀ δ
 * assert.deepEqual([...db], [0.5]); // Σ δ
 * assert.deepEqual([...dx], [0.5, 2]); // δ Wᵀ
 * // x = [2, 0] from a ReLU: the masked input gets no gradient
 * denseBackward(dx, dW, db, dOut, new Float64Array([2, 0]), W, 1, 2, 1, true);
 * assert.deepEqual([...dx], [0.5, 0]);
 * ```
 */
export function denseBackward(
  dx: Floats | null,
  dWeight: Floats,
  dBias: Floats,
  dOut: Floats,
  x: Floats,
  weight: Floats,
  B: number,
  I: number,
  O: number,
  reluBelow = false,
): void {
  dWeight.fill(0);
  dBias.fill(0);
  const nonzero = nonzeroIndices(I);
  for (let b = 0; b < B; b++) {
    const dRow = b * O;
    const xRow = b * I;
    for (let o = 0; o < O; o++) dBias[o] += dOut[dRow + o];
    const n = listNonzero(nonzero, x, xRow, I);
    if (dx !== null && reluBelow) {
      // ∂L/∂W and the masked ∂L/∂x in one pass: both only where x[b, i] ≠ 0 (ReLU outputs are ≥ 0)
      dx.fill(0, xRow, xRow + I);
      for (let k = 0; k < n; k++) {
        const i = nonzero[k];
        const v = x[xRow + i];
        const wRow = i * O;
        let sum = 0;
        for (let o = 0; o < O; o++) {
          const d = dOut[dRow + o];
          dWeight[wRow + o] += v * d; // ∂L/∂W[i, :] += x[b, i] δ[b, :]
          sum += d * weight[wRow + o]; // ∂L/∂x[b, i] = δ[b, :] · W[i, :]
        }
        if (v > 0) dx[xRow + i] = sum;
      }
      continue;
    }
    for (let k = 0; k < n; k++) {
      const i = nonzero[k];
      const v = x[xRow + i];
      const wRow = i * O;
      for (let o = 0; o < O; o++) dWeight[wRow + o] += v * dOut[dRow + o]; // ∂L/∂W[i, :] += x[b, i] δ[b, :]
    }
    if (dx === null) continue;
    for (let i = 0; i < I; i++) {
      const wRow = i * O;
      let sum = 0;
      for (let o = 0; o < O; o++) sum += dOut[dRow + o] * weight[wRow + o]; // ∂L/∂x[b, i] = δ[b, :] · W[i, :]
      dx[xRow + i] = sum;
    }
  }
}

/**
 * dBias[O] = Σ_rows dOut[B, O]: the bias part of {@linkcode denseBackward}
 * alone, for callers that compute the weight gradient another way.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { denseBiasBackward } from "./dense.ts";
 * const dBias = new Float64Array(2);
 * denseBiasBackward(dBias, new Float64Array([1, 2, 3, 4]), 2, 2);
 * assert.deepEqual([...dBias], [4, 6]);
 * ```
 */
export function denseBiasBackward(dBias: Floats, dOut: Floats, B: number, O: number): void {
  dBias.fill(0);
  for (let b = 0; b < B; b++) {
    const dRow = b * O;
    for (let o = 0; o < O; o++) dBias[o] += dOut[dRow + o];
  }
}

/** How a layer's initial weights are drawn. */
export type InitScheme = "he" | "xavier";

/**
 * A dense layer's parameters and their gradients.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Dense } from "./dense.ts";
 * import { Random } from "./random.ts";
 * const layer = new Dense(784, 30).init(new Random(0), "he");
 * assert.equal(layer.weight.length, 784 * 30);
 * ```
 */
export class Dense {
  /** Weights, [inputs, outputs] row-major. */
  readonly weight: Floats;
  /** Biases, [outputs]. */
  readonly bias: Floats;
  /** ∂L/∂weight from the last backward pass, [inputs, outputs]. */
  readonly gradWeight: Floats;
  /** ∂L/∂bias from the last backward pass, [outputs]. */
  readonly gradBias: Floats;

  /** An `inputs` → `outputs` layer of `dtype` floats, every array zero until {@linkcode Dense.init}. */
  constructor(readonly inputs: number, readonly outputs: number, dtype: DType = "float32") {
    this.weight = zeros(dtype, inputs * outputs);
    this.bias = zeros(dtype, outputs);
    this.gradWeight = zeros(dtype, inputs * outputs);
    this.gradBias = zeros(dtype, outputs);
  }

  /**
   * Draws the weights from N(0, σ²) and zeroes the biases. He initialisation
   * (σ² = 2 / inputs) keeps the variance of ReLU outputs steady from layer to
   * layer; Xavier/Glorot (σ² = 2 / (inputs + outputs)) does it for tanh and
   * sigmoid.
   */
  init(rng: Random, scheme: InitScheme): this {
    const variance = scheme === "he" ? 2 / this.inputs : 2 / (this.inputs + this.outputs);
    const sigma = Math.sqrt(variance);
    for (let k = 0; k < this.weight.length; k++) this.weight[k] = rng.normal() * sigma;
    this.bias.fill(0);
    return this;
  }

  /** out[B, outputs] = x[B, inputs] · weight + bias. */
  forward(out: Floats, x: Floats, B: number): void {
    denseForward(out, x, this.weight, this.bias, B, this.inputs, this.outputs);
  }

  /**
   * Fills gradWeight and gradBias, and dx[B, inputs] when it is given (masked
   * by x > 0 when `reluBelow`: see {@linkcode denseBackward}).
   */
  backward(dx: Floats | null, dOut: Floats, x: Floats, B: number, reluBelow = false): void {
    denseBackward(dx, this.gradWeight, this.gradBias, dOut, x, this.weight, B, this.inputs, this.outputs, reluBelow);
  }
}
