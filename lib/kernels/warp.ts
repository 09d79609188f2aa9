/**
 * The augmentation's resampling in WebAssembly (`warp.wat`): the affine
 * transform and the elastic distortion of one image per call, several times
 * faster than the TypeScript of `augment.ts`, which stays as their plain twin.
 *
 *   affine    out(x, y) = image at c + A⁻¹((x, y) − c − t)                 bilinear, 0 outside
 *   elastic   the same plus α · (G_σ ∗ U), U uniform in [−1, 1]² per pixel   (Simard et al. 2003)
 *
 * How it is cheaper: the Gaussian blur runs four pixels per SIMD instruction
 * over zero-padded copies (no bounds tests, separable, the kernel of
 * `gaussianKernel` truncated at ⌈3σ⌉); the resampling reads a zero-bordered
 * copy of the image, so each pixel takes one range test instead of four; the
 * noise is drawn by `Random.fillUniform` (no call per number); nothing is
 * allocated per image. The resampling computes in float64 in the order of
 * `warpImage`, so with the same fields it gives the same pixels; the blur adds
 * in float32, so the fields differ from `ElasticField`'s in rounding only.
 *
 * @module
 */

import { gaussianKernel } from "../data/augment.ts";
import type { Random } from "../nn/random.ts";
import { MemoryPlan } from "./gemm.ts";
import { WARP_WASM_BASE64 } from "./warp_wasm.ts";
import { lazyWasm } from "./wasm.ts";

interface WarpExports {
  affine(
    image: number,
    padded: number,
    side: number,
    cos: number,
    sin: number,
    dx: number,
    dy: number,
    scratch: number,
  ): void;
  elastic(
    image: number,
    padded: number,
    side: number,
    cos: number,
    sin: number,
    dx: number,
    dy: number,
    noiseX: number,
    noiseY: number,
    noisePad: number,
    rows: number,
    fieldX: number,
    fieldY: number,
    kernel: number,
    K: number,
    alpha: number,
  ): void;
  field(
    field: number,
    noise: number,
    noisePad: number,
    rows: number,
    kernel: number,
    K: number,
    side: number,
    alpha: number,
  ): void;
}

/** The compiled `warp.wat`, or null where WebAssembly SIMD is missing. */
const warpModule = lazyWasm(WARP_WASM_BASE64);

/**
 * One instance of `warp.wat` for side × side images with its scratch memory;
 * use {@linkcode warpKernels}. The transform's `cos` and `sin` are
 * cos θ / scale and sin θ / scale, as in `warpImage`.
 */
export class WarpKernels {
  readonly #e: WarpExports;
  readonly #f32: Float32Array;
  readonly #n: number;
  readonly #K: number;
  // byte addresses: image [n], padded image [(side + 2)²], noise X, Y [n], padded noise [(side + 2r)²],
  // row-blurred noise [(side + 2r) · side], fields X, Y [n], kernel [K], scratch [side]
  readonly #image: number;
  readonly #padded: number;
  readonly #noiseX: number;
  readonly #noiseY: number;
  readonly #noisePad: number;
  readonly #rows: number;
  readonly #fieldX: number;
  readonly #fieldY: number;
  readonly #kernel: number;
  readonly #scratch: number;

  /** Use {@linkcode warpKernels}: null without WebAssembly SIMD or unless `side` is a positive multiple of 4. */
  constructor(module: WebAssembly.Module, readonly side: number, readonly alpha: number, readonly sigma: number) {
    const kernel = gaussianKernel(sigma), K = kernel.length, r = (K - 1) / 2, n = side * side;
    const p = new MemoryPlan();
    this.#image = p.region(n);
    this.#padded = p.region((side + 2) ** 2);
    this.#noiseX = p.region(n);
    this.#noiseY = p.region(n);
    this.#noisePad = p.region((side + 2 * r) ** 2);
    this.#rows = p.region((side + 2 * r) * side);
    this.#fieldX = p.region(n);
    this.#fieldY = p.region(n);
    this.#kernel = p.region(K);
    this.#scratch = p.region(side);
    const memory = new WebAssembly.Memory({ initial: Math.max(1, Math.ceil(p.bytes / 65536)) });
    this.#e = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as WarpExports;
    this.#f32 = new Float32Array(memory.buffer);
    this.#f32.set(kernel, this.#kernel / 4);
    this.#n = n;
    this.#K = K;
  }

  /** image [side, side] ← image turned by θ, zoomed and shifted by (dx, dy), in place. */
  affine(image: Float32Array, cos: number, sin: number, dx: number, dy: number): void {
    const f32 = this.#f32, at = this.#image / 4;
    f32.set(image.subarray(0, this.#n), at);
    this.#e.affine(this.#image, this.#padded, this.side, cos, sin, dx, dy, this.#scratch);
    image.set(f32.subarray(at, at + this.#n));
  }

  /**
   * image [side, side] ← the affine transform plus a new random displacement
   * field α · (G_σ ∗ U) per axis, in place. Draws the x field's side² noise
   * values from `rng`, then the y field's, row-major, as `ElasticField.sample`
   * does.
   */
  elastic(image: Float32Array, cos: number, sin: number, dx: number, dy: number, rng: Random): void {
    const f32 = this.#f32, at = this.#image / 4, n = this.#n;
    rng.fillUniform(f32, this.#noiseX / 4, this.#noiseX / 4 + n, -1, 1);
    rng.fillUniform(f32, this.#noiseY / 4, this.#noiseY / 4 + n, -1, 1);
    f32.set(image.subarray(0, n), at);
    this.#e.elastic(
      this.#image,
      this.#padded,
      this.side,
      cos,
      sin,
      dx,
      dy,
      this.#noiseX,
      this.#noiseY,
      this.#noisePad,
      this.#rows,
      this.#fieldX,
      this.#fieldY,
      this.#kernel,
      this.#K,
      this.alpha,
    );
    image.set(f32.subarray(at, at + n));
  }

  /** The displacement fields of the last {@linkcode WarpKernels.elastic} call (views, [side, side] each). */
  fields(): [Float32Array, Float32Array] {
    const f32 = this.#f32, n = this.#n;
    return [f32.subarray(this.#fieldX / 4, this.#fieldX / 4 + n), f32.subarray(this.#fieldY / 4, this.#fieldY / 4 + n)];
  }

  /** field [side, side] ← α · (G_σ ∗ noise) for a given noise image (uniform in [−1, 1]). */
  field(field: Float32Array, noise: Float32Array): void {
    const f32 = this.#f32, n = this.#n;
    f32.set(noise.subarray(0, n), this.#noiseX / 4);
    this.#e.field(this.#fieldX, this.#noiseX, this.#noisePad, this.#rows, this.#kernel, this.#K, this.side, this.alpha);
    field.set(f32.subarray(this.#fieldX / 4, this.#fieldX / 4 + n));
  }
}

/**
 * The WebAssembly augmentation kernels for side × side images with elastic
 * strength α and smoothness σ, or null where they cannot run (no WebAssembly
 * SIMD, or a side that is not a multiple of 4).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { warpKernels } from "./warp.ts";
 * const image = Float32Array.from({ length: 784 }, (_, i) => (i % 7) / 7);
 * const out = image.slice();
 * warpKernels(28, 24, 3)!.affine(out, 1, 0, 0, 0); // the identity
 * assert.deepEqual(out, image);
 * ```
 */
export function warpKernels(side: number, alpha: number, sigma: number): WarpKernels | null {
  const module = warpModule();
  if (module === null || side % 4 !== 0 || side <= 0) return null;
  return new WarpKernels(module, side, alpha, sigma);
}
