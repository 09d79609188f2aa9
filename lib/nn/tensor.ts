/**
 * The array types the network computes with.
 *
 * Every buffer is a flat typed array in row-major order; its shape lives in
 * the comments and in the sizes passed beside it, as in C. Training runs in
 * float32 (the model file's precision); the gradient check runs the very same
 * code in float64, where central differences are accurate to about 1e-10.
 *
 * @module
 */

/** A flat buffer of floating-point numbers. */
export type Floats = Float32Array | Float64Array;

/** The precision of a network's buffers. */
export type DType = "float32" | "float64";

/**
 * A zero-filled buffer of `n` numbers in the given precision.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { zeros } from "./tensor.ts";
 * assert.ok(zeros("float64", 3) instanceof Float64Array);
 * ```
 */
export function zeros(dtype: DType, n: number): Floats {
  return dtype === "float64" ? new Float64Array(n) : new Float32Array(n);
}

/**
 * Index of the largest of `n` values starting at `offset` (the first one on ties).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { argmax } from "./tensor.ts";
 * assert.equal(argmax([1, 5, 5, 2]), 1); // the first of the two 5s
 * assert.equal(argmax([9, 0, 3, 7], 2, 2), 1); // among [3, 7], counted from the offset
 * ```
 */
export function argmax(values: ArrayLike<number>, offset = 0, n = values.length - offset): number {
  let best = 0;
  let bestValue = values[offset];
  for (let i = 1; i < n; i++) {
    if (values[offset + i] > bestValue) {
      bestValue = values[offset + i];
      best = i;
    }
  }
  return best;
}

/**
 * Checks that x holds B examples of `size` values each (at least B·size values), and throws a RangeError naming
 * `what` otherwise: a network given examples of another size says so instead of reading past them.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { requireExamples } from "./tensor.ts";
 * requireExamples("forward", new Float32Array(2 * 784), 2, 784); // fine
 * assert.throws(() => requireExamples("predict", new Float32Array(784), 2, 784), /predict: 2 examples of 784 values/);
 * ```
 */
export function requireExamples(what: string, x: ArrayLike<number>, B: number, size: number): void {
  if (!(Number.isInteger(B) && B >= 0 && x.length >= B * size)) {
    throw new RangeError(`${what}: ${B} examples of ${size} values need ${B * size} values, got ${x.length}`);
  }
}
