/**
 * Max pooling over 2 × 2 windows with stride 2, forward and backward.
 *
 * For x[B, C, H, W] the output is y[B, C, ⌊H/2⌋, ⌊W/2⌋] (an odd last row or
 * column is dropped, as in PyTorch) with
 *
 *   y[b, c, i, j] = max(x[b, c, 2i, 2j], x[b, c, 2i, 2j+1], x[b, c, 2i+1, 2j], x[b, c, 2i+1, 2j+1])
 *
 * The max is piecewise the identity of one input, so the gradient is routed:
 * ∂L/∂x gets δ[b, c, i, j] at the position that won (the first one on ties,
 * as PyTorch) and 0 at the other three. The forward pass records the winners.
 *
 * @module
 */

import type { Layer, ModuleSpec, Shape } from "./layer.ts";
import type { Floats } from "./tensor.ts";

/**
 * MaxPool2d(2, stride 2).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MaxPool2d } from "./pool.ts";
 * const pool = new MaxPool2d([1, 2, 2]);
 * const out = new Float64Array(1);
 * pool.forward(out, new Float64Array([1, 4, 3, 2]), 1);
 * assert.equal(out[0], 4);
 * const dx = new Float64Array(4);
 * pool.backward(dx, new Float64Array([0.5]), new Float64Array(4), out, 1);
 * assert.deepEqual([...dx], [0, 0.5, 0, 0]); // the gradient goes to the winner only
 * ```
 */
export class MaxPool2d implements Layer {
  readonly kind = "maxpool2d";
  readonly outShape: Shape;
  readonly tensors = null;
  /** winners[b·outSize + k]: index into x of the input that gave output k. */
  #winners = new Int32Array(0);

  /** 2 × 2 pooling, stride 2, over images of shape `inShape` [C, H, W]; an odd last row or column is dropped. */
  constructor(readonly inShape: Shape) {
    if (inShape.length !== 3) throw new RangeError(`max pooling takes [C, H, W] images, got [${inShape}]`);
    const [C, H, W] = inShape;
    if (H < 2 || W < 2) throw new RangeError(`2×2 max pooling needs at least a 2×2 image, got ${H}×${W}`);
    this.outShape = [C, Math.floor(H / 2), Math.floor(W / 2)];
  }

  init(): void {}

  forward(out: Floats, x: Floats, B: number): void {
    const [C, H, W] = this.inShape;
    const [, Ho, Wo] = this.outShape;
    const n = B * C * Ho * Wo;
    if (this.#winners.length < n) this.#winners = new Int32Array(n);
    const winners = this.#winners;
    let k = 0;
    for (let plane = 0; plane < B * C; plane++) {
      const base = plane * H * W;
      for (let i = 0; i < Ho; i++) {
        for (let j = 0; j < Wo; j++, k++) {
          const p = base + 2 * i * W + 2 * j;
          let best = p, value = x[p];
          if (x[p + 1] > value) (best = p + 1), (value = x[p + 1]);
          if (x[p + W] > value) (best = p + W), (value = x[p + W]);
          if (x[p + W + 1] > value) (best = p + W + 1), (value = x[p + W + 1]);
          out[k] = value; // y = max of the window
          winners[k] = best;
        }
      }
    }
  }

  backward(dx: Floats | null, dOut: Floats, _x: Floats, _out: Floats, B: number): void {
    if (dx === null) return;
    const n = B * this.outShape[0] * this.outShape[1] * this.outShape[2];
    dx.fill(0, 0, B * this.inShape[0] * this.inShape[1] * this.inShape[2]);
    for (let k = 0; k < n; k++) dx[this.#winners[k]] += dOut[k]; // ∂L/∂x = δ at the winner, 0 elsewhere
  }

  describe(): ModuleSpec {
    return { type: "MaxPool2d", kernel_size: 2, stride: 2 };
  }
}
