/**
 * The 2-d convolution layer (square kernels, stride 1, "valid" or "same"
 * padding, any channel counts), forward and backward side by side.
 *
 * For an input x[B, C, H, W], weights W[O, C, K, K] (PyTorch's `nn.Conv2d`
 * layout), biases b[O] and padding P (0 for "valid", (K − 1)/2 for "same"),
 * the output y[B, O, H′, W′] with H′ = H + 2P − K + 1, W′ = W + 2P − K + 1 is
 * the cross-correlation (what deep learning calls convolution):
 *
 *   y[b, o, i, j] = b[o] + Σ_c Σ_u Σ_v W[o, c, u, v] · x[b, c, i + u − P, j + v − P]
 *
 * (x is 0 outside the image). Given δ = ∂L/∂y, the chain rule gives
 *
 *   ∂L/∂W[o, c, u, v] = Σ_b Σ_i Σ_j δ[b, o, i, j] · x[b, c, i + u − P, j + v − P]
 *                       (the correlation of the input with δ)
 *   ∂L/∂b[o]          = Σ_b Σ_i Σ_j δ[b, o, i, j]
 *   ∂L/∂x[b, c, p, q] = Σ_o Σ_u Σ_v δ[b, o, p − u + P, q − v + P] · W[o, c, u, v]
 *                       (the full convolution of δ with the flipped kernel)
 *
 * All three are computed as matrix products on the "im2col" matrix of each
 * example: cols[C·K·K, H′·W′] holds, in column i·W′ + j, the C·K·K input
 * values under the kernel at output position (i, j). Then, per example,
 *
 *   y_b     = W[O, C·K·K] · cols_b + b                  (forward)
 *   ∂L/∂W  += δ_b[O, H′·W′] · cols_bᵀ                     (backward)
 *   ∂cols_b = Wᵀ · δ_b,  then ∂L/∂x_b = col2im(∂cols_b)   (backward, summing overlaps)
 *
 * so the work is in the three loops of `matmul.ts`: 2·O·C·K²·H′·W′ flops
 * per example for each product.
 *
 * @module
 */

import type { InitScheme } from "./dense.ts";
import type { Layer, LayerTensors, ModuleSpec, Shape } from "./layer.ts";
import { matmul, matmulTransA, matmulTransB } from "./matmul.ts";
import type { Random } from "./random.ts";
import { type DType, type Floats, zeros } from "./tensor.ts";

/** "valid": no padding, the output shrinks by K − 1; "same": the output keeps the input's size (odd K). */
export type Padding = "valid" | "same";

/**
 * cols[C·K·K, H′·W′] (from `offset`) ← the patches of one image x[C, H, W]
 * (from `xOff`) under a K × K kernel with padding P, zeros outside the image.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { im2col } from "./conv2d.ts";
 * // a 3×3 image, 2×2 kernel, no padding: 4 rows (kernel taps) × 4 columns (positions)
 * const cols = new Float64Array(16);
 * im2col(cols, 0, new Float64Array([1, 2, 3, 4, 5, 6, 7, 8, 9]), 0, 1, 3, 3, 2, 0);
 * assert.deepEqual([...cols.subarray(0, 4)], [1, 2, 4, 5]); // tap (0, 0) at each position
 * ```
 */
export function im2col(
  cols: Floats,
  offset: number,
  x: Floats,
  xOff: number,
  C: number,
  H: number,
  W: number,
  K: number,
  P: number,
): void {
  const Ho = H + 2 * P - K + 1, Wo = W + 2 * P - K + 1;
  let row = offset;
  for (let c = 0; c < C; c++) {
    const plane = xOff + c * H * W;
    for (let u = 0; u < K; u++) {
      for (let v = 0; v < K; v++) {
        // cols[(c, u, v), (i, j)] = x[c, i + u − P, j + v − P]
        const jLo = Math.max(0, P - v), jHi = Math.min(Wo, W + P - v); // j with 0 ≤ j + v − P < W
        for (let i = 0; i < Ho; i++) {
          const dst = row + i * Wo;
          const y = i + u - P;
          if (y < 0 || y >= H) {
            cols.fill(0, dst, dst + Wo);
            continue;
          }
          const src = plane + y * W + v - P;
          for (let j = 0; j < jLo; j++) cols[dst + j] = 0;
          for (let j = jLo; j < jHi; j++) cols[dst + j] = x[src + j];
          for (let j = jHi; j < Wo; j++) cols[dst + j] = 0;
        }
        row += Ho * Wo;
      }
    }
  }
}

/**
 * The adjoint of {@linkcode im2col}: dx[C, H, W] (from `xOff`, overwritten)
 * ← the sum, over every patch a pixel appears in, of its entry in
 * dcols[C·K·K, H′·W′].
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { col2im } from "./conv2d.ts";
 * // a 3×3 image, 2×2 kernel, no padding: 4 taps × 4 positions, every entry 1
 * const dx = new Float64Array(9);
 * col2im(dx, 0, new Float64Array(16).fill(1), 0, 1, 3, 3, 2, 0);
 * assert.deepEqual([...dx], [1, 2, 1, 2, 4, 2, 1, 2, 1]); // how many 2×2 patches hold each pixel
 * ```
 */
export function col2im(
  dx: Floats,
  xOff: number,
  dcols: Floats,
  offset: number,
  C: number,
  H: number,
  W: number,
  K: number,
  P: number,
): void {
  const Ho = H + 2 * P - K + 1, Wo = W + 2 * P - K + 1;
  dx.fill(0, xOff, xOff + C * H * W);
  let row = offset;
  for (let c = 0; c < C; c++) {
    const plane = xOff + c * H * W;
    for (let u = 0; u < K; u++) {
      for (let v = 0; v < K; v++) {
        const jLo = Math.max(0, P - v), jHi = Math.min(Wo, W + P - v);
        for (let i = 0; i < Ho; i++) {
          const y = i + u - P;
          if (y < 0 || y >= H) continue;
          const src = row + i * Wo;
          const dst = plane + y * W + v - P;
          for (let j = jLo; j < jHi; j++) dx[dst + j] += dcols[src + j]; // ∂L/∂x[c, y, j + v − P] += ∂cols
        }
        row += Ho * Wo;
      }
    }
  }
}

/**
 * A convolution layer: O filters of shape [C, K, K], stride 1.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Conv2d } from "./conv2d.ts";
 * const conv = new Conv2d([1, 28, 28], 8, 5, "valid");
 * assert.deepEqual(conv.outShape, [8, 24, 24]);
 * assert.deepEqual(new Conv2d([1, 28, 28], 8, 3, "same").outShape, [8, 28, 28]);
 * ```
 */
export class Conv2d implements Layer {
  readonly kind = "conv2d";
  readonly outShape: Shape;
  readonly tensors: LayerTensors;
  /** Input channels C. */
  readonly C: number;
  /** Input height H, in pixels. */
  readonly H: number;
  /** Input width W, in pixels. */
  readonly W: number;
  /** Zero padding P on each side, in pixels: (K − 1) / 2 for "same", 0 for "valid". */
  readonly P: number;
  /** Output height H′ = H + 2P − K + 1. */
  readonly Ho: number;
  /** Output width W′ = W + 2P − K + 1. */
  readonly Wo: number;
  readonly #dtype: DType;
  /** cols[B, C·K·K, H′·W′] of the last training forward pass (one example's worth otherwise). */
  #cols: Floats;
  #colsCapacity = 1;
  /** ∂L/∂cols of one example, [C·K·K, H′·W′]. */
  #dcols: Floats;

  /** `O` filters of K × K over `inShape` [C, H, W] images with `padding`, of `dtype` floats, all zero until `init`. */
  constructor(
    readonly inShape: Shape,
    readonly O: number,
    readonly K: number,
    readonly padding: Padding,
    dtype: DType = "float32",
  ) {
    if (inShape.length !== 3) throw new RangeError(`a convolution takes [C, H, W] images, got [${inShape}]`);
    [this.C, this.H, this.W] = inShape;
    if (padding === "same" && K % 2 === 0) throw new RangeError(`"same" padding needs an odd kernel, got ${K}`);
    this.P = padding === "same" ? (K - 1) / 2 : 0;
    this.Ho = this.H + 2 * this.P - K + 1;
    this.Wo = this.W + 2 * this.P - K + 1;
    if (this.Ho < 1 || this.Wo < 1) {
      throw new RangeError(`a ${K}×${K} kernel does not fit a ${this.H}×${this.W} image`);
    }
    this.outShape = [O, this.Ho, this.Wo];
    this.#dtype = dtype;
    const n = O * this.C * K * K;
    this.tensors = {
      weight: zeros(dtype, n),
      bias: zeros(dtype, O),
      gradWeight: zeros(dtype, n),
      gradBias: zeros(dtype, O),
    };
    this.#cols = zeros(dtype, this.#colsSize);
    this.#dcols = zeros(dtype, this.#colsSize);
  }

  get #colsSize(): number {
    return this.C * this.K * this.K * this.Ho * this.Wo;
  }

  /**
   * Weights from N(0, σ²) with fan-in C·K² and fan-out O·K²: σ² = 2 / fan-in
   * (He) or 2 / (fan-in + fan-out) (Xavier); biases 0.
   */
  init(rng: Random, scheme: InitScheme): void {
    const fanIn = this.C * this.K * this.K, fanOut = this.O * this.K * this.K;
    const sigma = Math.sqrt(scheme === "he" ? 2 / fanIn : 2 / (fanIn + fanOut));
    const { weight, bias } = this.tensors;
    for (let k = 0; k < weight.length; k++) weight[k] = rng.normal() * sigma;
    bias.fill(0);
  }

  /** out[B, O, H′, W′] = conv(x[B, C, H, W]) + b. */
  forward(out: Floats, x: Floats, B: number, training: boolean): void {
    const { C, H, W, K, P, O } = this;
    const N = this.Ho * this.Wo, R = C * K * K, size = this.#colsSize;
    if (training && B > this.#colsCapacity) {
      this.#cols = zeros(this.#dtype, B * size);
      this.#colsCapacity = B;
    }
    const { weight, bias } = this.tensors;
    for (let b = 0; b < B; b++) {
      const colsOff = training ? b * size : 0;
      im2col(this.#cols, colsOff, x, b * C * H * W, C, H, W, K, P); // cols_b [C·K·K, H′·W′]
      const outOff = b * O * N;
      matmul(out, outOff, weight, 0, this.#cols, colsOff, O, R, N); // y_b = W[O, C·K·K] · cols_b
      for (let o = 0; o < O; o++) {
        const row = outOff + o * N, bo = bias[o];
        for (let j = 0; j < N; j++) out[row + j] += bo;
      }
    }
  }

  /** ∂L/∂W += δ_b · cols_bᵀ, ∂L/∂b = Σ δ, and dx = col2im(Wᵀ · δ_b) when asked. */
  backward(dx: Floats | null, dOut: Floats, _x: Floats, _out: Floats, B: number): void {
    const { C, H, W, K, P, O } = this;
    const N = this.Ho * this.Wo, R = C * K * K, size = this.#colsSize;
    const { weight, gradWeight, gradBias } = this.tensors;
    gradWeight.fill(0);
    gradBias.fill(0);
    for (let b = 0; b < B; b++) {
      const dOff = b * O * N;
      matmulTransB(gradWeight, 0, dOut, dOff, this.#cols, b * size, O, N, R); // ∂L/∂W[O, C·K·K] += δ_b · cols_bᵀ
      for (let o = 0; o < O; o++) {
        const row = dOff + o * N;
        let s = 0;
        for (let j = 0; j < N; j++) s += dOut[row + j];
        gradBias[o] += s; // ∂L/∂b[o] += Σ_ij δ[b, o, i, j]
      }
      if (dx === null) continue;
      matmulTransA(this.#dcols, 0, weight, 0, dOut, dOff, R, O, N); // ∂cols_b [C·K·K, H′·W′] = Wᵀ · δ_b
      col2im(dx, b * C * H * W, this.#dcols, 0, C, H, W, K, P); // ∂L/∂x_b
    }
  }

  describe(): ModuleSpec {
    return { type: "Conv2d", in_channels: this.C, out_channels: this.O, kernel_size: this.K, padding: this.P };
  }

  /** Multiply-adds × 2 of one example's forward pass: 2·O·C·K²·H′·W′. */
  get flops(): number {
    return 2 * this.O * this.C * this.K * this.K * this.Ho * this.Wo;
  }
}
