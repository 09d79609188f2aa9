/**
 * Data augmentation: new training images made from old ones by moving their
 * pixels a little, so that a network learns the digit and not its exact
 * position, slant or stroke wobble.
 *
 * Every transform maps each output pixel (x, y) back to a source position
 * (u, v) and reads the source there by bilinear interpolation (pixels outside
 * the image are 0, the background):
 *
 *   shift     u = x − dx,  v = y − dy                      (whole pixels, exact)
 *   affine    (u, v) = c + A⁻¹ · ((x, y) − c − t)          A = scale · rotation, c the centre, t a shift
 *   elastic   (u, v) = affine(x, y) + α · (G_σ ∗ U)(x, y)   U uniform in [−1, 1]², G_σ a Gaussian blur
 *
 * The elastic distortion is Simard, Steinkraus & Platt (2003), "Best practices
 * for convolutional neural networks applied to visual document analysis": a
 * random displacement field smoothed by a Gaussian of width σ and scaled by α
 * bends the strokes the way different hands do.
 *
 * Images are 28 × 28 Float32Array rows, [side, side] row-major. Nothing here
 * allocates per image: {@linkcode Augmenter} owns its scratch buffers.
 *
 * {@linkcode Augmenter} runs the affine and elastic kinds on the WebAssembly
 * kernels of `kernels/warp.ts` where it can (one resampling pass per image,
 * the blur in SIMD); the TypeScript functions here ({@linkcode warpImage},
 * {@linkcode ElasticField}) are their plain twins, which the tests compare
 * them with, and the path where WebAssembly SIMD is missing. Both draw the
 * same random numbers in the same order.
 *
 * @module
 */

import { IMAGE_SIDE } from "./dataset.ts";
import type { Random } from "../nn/random.ts";
import { type WarpKernels, warpKernels } from "../kernels/warp.ts";

/** The augmentation kinds offered on the command line, from none to the strongest. */
export type AugmentName = "none" | "shift" | "affine" | "elastic";

/** The names accepted by {@linkcode Augmenter}. */
export const AUGMENTATIONS: readonly AugmentName[] = ["none", "shift", "affine", "elastic"];

/**
 * out = src moved by whole pixels: out[y, x] = src[y − dy, x − dx], 0 where
 * that falls outside. Positive dx moves the digit right, positive dy down.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { shiftImage } from "./augment.ts";
 * const src = new Float32Array(9); src[4] = 1; // centre of a 3 × 3 image
 * const out = new Float32Array(9);
 * shiftImage(out, src, 1, 0, 3);
 * assert.equal(out[5], 1); // one pixel to the right
 * ```
 */
export function shiftImage(out: Float32Array, src: Float32Array, dx: number, dy: number, side = IMAGE_SIDE): void {
  for (let y = 0; y < side; y++) {
    const v = y - dy;
    for (let x = 0; x < side; x++) {
      const u = x - dx;
      out[y * side + x] = v >= 0 && v < side && u >= 0 && u < side ? src[v * side + u] : 0;
    }
  }
}

/**
 * The source image read at a real-valued position (u, v) by bilinear
 * interpolation between its four neighbouring pixels; 0 outside the image.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sampleBilinear } from "./augment.ts";
 * const src = new Float32Array([0, 1, 0, 1]); // 2 × 2
 * assert.equal(sampleBilinear(src, 0.5, 0, 2), 0.5);
 * ```
 */
export function sampleBilinear(src: Float32Array, u: number, v: number, side = IMAGE_SIDE): number {
  const u0 = Math.floor(u), v0 = Math.floor(v);
  const fu = u - u0, fv = v - v0;
  const p00 = pixel(src, u0, v0, side), p10 = pixel(src, u0 + 1, v0, side);
  const p01 = pixel(src, u0, v0 + 1, side), p11 = pixel(src, u0 + 1, v0 + 1, side);
  return (1 - fv) * ((1 - fu) * p00 + fu * p10) + fv * ((1 - fu) * p01 + fu * p11);
}

function pixel(src: Float32Array, u: number, v: number, side: number): number {
  return u >= 0 && u < side && v >= 0 && v < side ? src[v * side + u] : 0;
}

/** A similarity transform about the image centre: rotate, scale, then shift. */
export interface AffineParams {
  /** Rotation in radians; positive turns clockwise on screen (y points down). */
  angle: number;
  /** Zoom factor (1 = unchanged). */
  scale: number;
  /** Shift to the right, pixels (may be fractional). */
  dx: number;
  /** Shift down, pixels (may be fractional). */
  dy: number;
}

/**
 * out = src transformed by `p` (and then displaced by the fields `fieldX`,
 * `fieldY` [side, side] when given), by inverse mapping with bilinear
 * sampling. With the identity (angle 0, scale 1, no shift, no field) out
 * equals src exactly.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { warpImage } from "./augment.ts";
 * const src = Float32Array.from({ length: 784 }, (_, i) => (i % 7) / 7);
 * const out = new Float32Array(784);
 * warpImage(out, src, { angle: 0, scale: 1, dx: 0, dy: 0 });
 * assert.deepEqual(out, src);
 * ```
 */
export function warpImage(
  out: Float32Array,
  src: Float32Array,
  p: AffineParams,
  fieldX: Float32Array | null = null,
  fieldY: Float32Array | null = null,
  side = IMAGE_SIDE,
): void {
  const c = (side - 1) / 2;
  // A = s·R(θ) with R(θ) = [cos −sin; sin cos] in screen coordinates (y down), so A⁻¹ = R(−θ)/s.
  const cos = Math.cos(p.angle) / p.scale, sin = Math.sin(p.angle) / p.scale;
  for (let y = 0; y < side; y++) {
    const ry = y - c - p.dy;
    for (let x = 0; x < side; x++) {
      const rx = x - c - p.dx;
      let u = c + cos * rx + sin * ry;
      let v = c - sin * rx + cos * ry;
      if (fieldX !== null && fieldY !== null) {
        u += fieldX[y * side + x];
        v += fieldY[y * side + x];
      }
      out[y * side + x] = sampleBilinear(src, u, v, side);
    }
  }
}

/**
 * The normalised 1-D Gaussian kernel exp(−k²/2σ²) for k = −r … r with
 * r = ⌈3σ⌉, summing to 1.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { gaussianKernel } from "./augment.ts";
 * const k = gaussianKernel(1);
 * assert.equal(k.length, 7);
 * assert.ok(Math.abs(k.reduce((a, b) => a + b) - 1) < 1e-6);
 * ```
 */
export function gaussianKernel(sigma: number): Float32Array {
  const r = Math.ceil(3 * sigma);
  const kernel = new Float32Array(2 * r + 1);
  let sum = 0;
  for (let k = -r; k <= r; k++) sum += kernel[k + r] = Math.exp(-(k * k) / (2 * sigma * sigma));
  for (let k = 0; k < kernel.length; k++) kernel[k] /= sum;
  return kernel;
}

/**
 * Random smooth displacement fields α · (G_σ ∗ U): uniform noise U in
 * [−1, 1] per pixel, blurred by a separable Gaussian (rows, then columns; zero
 * beyond the border) and scaled by α. The noise is copied into a zero-padded
 * grid first, so the blur's inner loops run without bounds checks.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ElasticField } from "./augment.ts";
 * import { Random } from "../nn/random.ts";
 * const field = new Float32Array(784);
 * new ElasticField(8, 3).sample(field, new Random(0));
 * assert.ok(field.some((d) => d !== 0) && field.every((d) => Math.abs(d) <= 8));
 * ```
 */
export class ElasticField {
  /** Normalised 1-D Gaussian blur weights G_σ, [2r + 1] with r = ⌈3σ⌉, applied to rows then columns. */
  readonly kernel: Float32Array;
  readonly #r: number;
  /** Noise with r zeros on every side, [side + 2r, side + 2r]. */
  readonly #padded: Float32Array;
  /** Row-blurred noise with r zero rows above and below, [side + 2r, side]. */
  readonly #rows: Float32Array;

  /** `alpha`: displacement strength α in pixels; `sigma`: blur width σ in pixels; `side`: image side in pixels. */
  constructor(readonly alpha: number, readonly sigma: number, readonly side = IMAGE_SIDE) {
    this.kernel = gaussianKernel(sigma);
    this.#r = (this.kernel.length - 1) / 2;
    const W = side + 2 * this.#r;
    this.#padded = new Float32Array(W * W);
    this.#rows = new Float32Array(W * side);
  }

  /** Fills `field` [side, side] with a new random displacement field (pixels). */
  sample(field: Float32Array, rng: Random): void {
    const { side, kernel, alpha } = this;
    const r = this.#r, K = kernel.length, W = side + 2 * r;
    const padded = this.#padded, rows = this.#rows;
    for (let y = 0; y < side; y++) {
      const row = (y + r) * W + r;
      for (let x = 0; x < side; x++) padded[row + x] = 2 * rng.uniform() - 1;
    }
    for (let y = 0; y < side; y++) {
      const src = (y + r) * W, dst = (y + r) * side;
      for (let x = 0; x < side; x++) {
        let sum = 0;
        for (let k = 0; k < K; k++) sum += kernel[k] * padded[src + x + k];
        rows[dst + x] = sum;
      }
    }
    for (let y = 0; y < side; y++) {
      for (let x = 0; x < side; x++) {
        let sum = 0;
        for (let k = 0; k < K; k++) sum += kernel[k] * rows[(y + k) * side + x];
        field[y * side + x] = alpha * sum;
      }
    }
  }
}

/** How strongly to augment; each kind uses the fields up to its own. */
export interface AugmentOptions {
  /** Which augmentation to apply ("none" leaves the images unchanged). */
  kind: AugmentName;
  /** Largest shift in pixels along each axis (whole pixels for "shift", real-valued otherwise). */
  shift: number;
  /** Largest rotation in degrees, either way ("affine", "elastic"). */
  rotate: number;
  /** Largest relative zoom: the scale is drawn from [1 − scale, 1 + scale] ("affine", "elastic"). */
  scale: number;
  /** Elastic displacement strength α in pixels ("elastic"). */
  elasticAlpha: number;
  /** Elastic smoothness σ in pixels ("elastic"). */
  elasticSigma: number;
}

/** Defaults for every strength: ±2 px, ±10°, ±10% zoom, α = 24, σ = 3 (the values tuned for `--preset best`). */
export const DEFAULT_AUGMENT: AugmentOptions = {
  kind: "none",
  shift: 2,
  rotate: 10,
  scale: 0.1,
  elasticAlpha: 24,
  elasticSigma: 3,
};

/**
 * Applies a random augmentation to each image of a minibatch in place, every
 * draw coming from the given {@linkcode Random}, so the same seed gives the
 * same images. Plugs into `SGD`'s `augment` hook as
 * `augment: (x, B, rng) => augmenter.apply(x, B, rng)` (a method: pass it in
 * an arrow function, or bound, not as `augmenter.apply`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Augmenter } from "./augment.ts";
 * import { Random } from "../nn/random.ts";
 * const batch = new Float32Array(2 * 784).fill(0.5);
 * const aug = new Augmenter({ kind: "shift", shift: 2 });
 * aug.apply(batch, 2, new Random(0));
 * assert.equal(batch.length, 2 * 784);
 * ```
 */
export class Augmenter {
  /** Every strength: the constructor's options over {@linkcode DEFAULT_AUGMENT}. */
  readonly options: AugmentOptions;
  /** Image side in pixels; images are [side, side]. */
  readonly side: number;
  #image: Float32Array;
  #fieldX: Float32Array;
  #fieldY: Float32Array;
  #elastic: ElasticField;

  /** The WebAssembly kernels, or null for the TypeScript path (chosen once, in the constructor). */
  readonly #kernels: WarpKernels | null;

  /**
   * `engine`: `"auto"` (default) runs the affine and elastic kinds on the
   * WebAssembly kernels when they are available; `"typescript"` always on the
   * plain TypeScript twins.
   */
  constructor(
    options: Partial<AugmentOptions> & { kind: AugmentName },
    side = IMAGE_SIDE,
    engine: "auto" | "typescript" = "auto",
  ) {
    this.options = { ...DEFAULT_AUGMENT, ...options };
    const { shift, rotate, scale, elasticAlpha, elasticSigma } = this.options;
    for (const [name, value] of Object.entries({ shift, rotate, scale, elasticAlpha })) {
      if (!(value >= 0 && Number.isFinite(value))) throw new RangeError(`augment ${name} must be ≥ 0, got ${value}`);
    }
    if (!(scale < 1)) throw new RangeError(`augment scale must be below 1, got ${scale}`);
    if (!(elasticSigma > 0 && Number.isFinite(elasticSigma))) {
      throw new RangeError(`augment elasticSigma must be > 0, got ${elasticSigma}`);
    }
    this.side = side;
    const n = side * side;
    this.#image = new Float32Array(n);
    this.#fieldX = new Float32Array(n);
    this.#fieldY = new Float32Array(n);
    this.#elastic = new ElasticField(elasticAlpha, elasticSigma, side);
    this.#kernels = engine === "auto" && (this.options.kind === "affine" || this.options.kind === "elastic")
      ? warpKernels(side, elasticAlpha, elasticSigma)
      : null;
  }

  /** Which implementation runs the resampling: "wasm" or "typescript". */
  get engine(): "wasm" | "typescript" {
    return this.#kernels === null ? "typescript" : "wasm";
  }

  /** Augments the B images of x[B, side²] in place. */
  apply(x: Float32Array, B: number, rng: Random): void {
    const { kind, shift, rotate, scale } = this.options;
    if (kind === "none") return;
    const n = this.side * this.side;
    const image = this.#image, kernels = this.#kernels;
    for (let b = 0; b < B; b++) {
      const row = x.subarray(b * n, (b + 1) * n);
      if (kernels !== null) {
        // the same draws as below: angle, scale, dx, dy, then the two noise images
        const angle = (2 * rng.uniform() - 1) * rotate * Math.PI / 180;
        const zoom = 1 + (2 * rng.uniform() - 1) * scale;
        const dx = (2 * rng.uniform() - 1) * shift, dy = (2 * rng.uniform() - 1) * shift;
        const cos = Math.cos(angle) / zoom, sin = Math.sin(angle) / zoom;
        if (kind === "elastic") kernels.elastic(row, cos, sin, dx, dy, rng);
        else kernels.affine(row, cos, sin, dx, dy);
        continue;
      }
      image.set(row);
      if (kind === "shift") {
        const s = Math.floor(shift);
        shiftImage(row, image, rng.int(2 * s + 1) - s, rng.int(2 * s + 1) - s, this.side);
        continue;
      }
      const p: AffineParams = {
        angle: (2 * rng.uniform() - 1) * rotate * Math.PI / 180,
        scale: 1 + (2 * rng.uniform() - 1) * scale,
        dx: (2 * rng.uniform() - 1) * shift,
        dy: (2 * rng.uniform() - 1) * shift,
      };
      if (kind === "elastic") {
        this.#elastic.sample(this.#fieldX, rng);
        this.#elastic.sample(this.#fieldY, rng);
        warpImage(row, image, p, this.#fieldX, this.#fieldY, this.side);
      } else {
        warpImage(row, image, p, null, null, this.side);
      }
    }
  }
}
