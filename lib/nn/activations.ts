/**
 * Activation functions, each a forward/backward pair side by side.
 *
 * An activation is applied element-wise: a = f(z). Its backward pass turns the
 * gradient of the loss with respect to a into the gradient with respect to z,
 * by the chain rule: ∂L/∂z = ∂L/∂a · f′(z). All three derivatives used here can
 * be written with the output a alone, so the backward pass needs only the
 * forward pass's output buffer:
 *
 * | name    | f(z)             | f′(z) written with a = f(z) |
 * |---------|------------------|-----------------------------|
 * | relu    | max(0, z)        | 1 if a > 0, else 0          |
 * | tanh    | tanh z           | 1 − a²                      |
 * | sigmoid | 1 / (1 + e^(−z)) | a (1 − a)                   |
 *
 * Buffers are flat typed arrays of length n (any shape, e.g. batch × units).
 * `out` may be the same array as `inp`, and `dInp` the same as `dOut`.
 *
 * @module
 */

import type { Floats } from "./tensor.ts";

/** The activation functions the network offers for its hidden layers. */
export type ActivationName = "relu" | "tanh" | "sigmoid";

/** The names accepted by {@linkcode activation}. */
export const ACTIVATIONS: readonly ActivationName[] = ["relu", "tanh", "sigmoid"];

/** An element-wise function with its derivative. */
export interface Activation {
  /** The function's name, as written in model files and on the command line. */
  readonly name: ActivationName;
  /** a = f(z) for n values: out[i] = f(inp[i]). */
  forward(out: Floats, inp: Floats, n: number): void;
  /** ∂L/∂z = ∂L/∂a · f′(z) for n values, with f′ computed from the output a. */
  backward(dInp: Floats, dOut: Floats, out: Floats, n: number): void;
}

/**
 * ReLU: a = max(0, z); a′ = 1 where a > 0, else 0 (the "ReLU mask").
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { reluForward } from "./activations.ts";
 * const z = new Float64Array([-2, 0, 3]), a = new Float64Array(3);
 * reluForward(a, z, 3);
 * assert.deepEqual([...a], [0, 0, 3]); // max(0, −2), max(0, 0), max(0, 3)
 * ```
 */
export function reluForward(out: Floats, inp: Floats, n: number): void {
  for (let i = 0; i < n; i++) out[i] = inp[i] > 0 ? inp[i] : 0;
}

/**
 * ReLU backward: ∂L/∂z = ∂L/∂a where a > 0, else 0.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { reluBackward } from "./activations.ts";
 * const a = new Float64Array([0, 3]), dA = new Float64Array([5, 7]), dZ = new Float64Array(2);
 * reluBackward(dZ, dA, a, 2);
 * assert.deepEqual([...dZ], [0, 7]); // a = 0 blocks the gradient, a = 3 passes it
 * ```
 */
export function reluBackward(dInp: Floats, dOut: Floats, out: Floats, n: number): void {
  for (let i = 0; i < n; i++) dInp[i] = out[i] > 0 ? dOut[i] : 0;
}

/**
 * tanh: a = tanh z.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tanhForward } from "./activations.ts";
 * const z = new Float64Array([0, 1, -1]), a = new Float64Array(3);
 * tanhForward(a, z, 3);
 * assert.equal(a[0], 0);
 * assert.ok(Math.abs(a[1] - 0.7615942) < 1e-7); // (e − e⁻¹) / (e + e⁻¹)
 * assert.equal(a[2], -a[1]); // odd: tanh(−z) = −tanh z
 * ```
 */
export function tanhForward(out: Floats, inp: Floats, n: number): void {
  for (let i = 0; i < n; i++) out[i] = Math.tanh(inp[i]);
}

/**
 * tanh backward: ∂L/∂z = ∂L/∂a · (1 − a²).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tanhBackward } from "./activations.ts";
 * const a = new Float64Array([0, 0.5]), dA = new Float64Array([2, 2]), dZ = new Float64Array(2);
 * tanhBackward(dZ, dA, a, 2);
 * assert.deepEqual([...dZ], [2, 1.5]); // 2·(1 − 0²), 2·(1 − 0.5²)
 * ```
 */
export function tanhBackward(dInp: Floats, dOut: Floats, out: Floats, n: number): void {
  for (let i = 0; i < n; i++) dInp[i] = dOut[i] * (1 - out[i] * out[i]);
}

/**
 * Sigmoid: a = 1 / (1 + e^(−z)), computed without overflow for large |z|.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sigmoidForward } from "./activations.ts";
 * const z = new Float64Array([0, -1000, 1000]), a = new Float64Array(3);
 * sigmoidForward(a, z, 3);
 * assert.deepEqual([...a], [0.5, 0, 1]); // 1 / (1 + 1), then the saturated ends, no NaN
 * ```
 */
export function sigmoidForward(out: Floats, inp: Floats, n: number): void {
  for (let i = 0; i < n; i++) {
    const z = inp[i];
    if (z >= 0) {
      out[i] = 1 / (1 + Math.exp(-z));
    } else {
      const e = Math.exp(z);
      out[i] = e / (1 + e);
    }
  }
}

/**
 * Sigmoid backward: ∂L/∂z = ∂L/∂a · a (1 − a).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sigmoidBackward } from "./activations.ts";
 * const a = new Float64Array([0.5, 1]), dA = new Float64Array([4, 4]), dZ = new Float64Array(2);
 * sigmoidBackward(dZ, dA, a, 2);
 * assert.deepEqual([...dZ], [1, 0]); // 4·0.5·(1 − 0.5), 4·1·(1 − 1): a saturated unit learns nothing
 * ```
 */
export function sigmoidBackward(dInp: Floats, dOut: Floats, out: Floats, n: number): void {
  for (let i = 0; i < n; i++) dInp[i] = dOut[i] * out[i] * (1 - out[i]);
}

const TABLE: Record<ActivationName, Activation> = {
  relu: { name: "relu", forward: reluForward, backward: reluBackward },
  tanh: { name: "tanh", forward: tanhForward, backward: tanhBackward },
  sigmoid: { name: "sigmoid", forward: sigmoidForward, backward: sigmoidBackward },
};

/**
 * The activation called `name`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { activation } from "./activations.ts";
 * const z = new Float64Array([-1, 0, 2]), a = new Float64Array(3);
 * activation("relu").forward(a, z, 3);
 * assert.deepEqual([...a], [0, 0, 2]);
 * ```
 */
export function activation(name: string): Activation {
  if (!Object.hasOwn(TABLE, name)) {
    throw new RangeError(`unknown activation "${name}" (expected one of ${ACTIVATIONS.join(", ")})`);
  }
  return TABLE[name as ActivationName];
}

/**
 * Whether `name` is one of {@linkcode ACTIVATIONS}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isActivationName } from "./activations.ts";
 * assert.ok(isActivationName("tanh"));
 * assert.ok(!isActivationName("softplus"));
 * ```
 */
export function isActivationName(name: string): name is ActivationName {
  return Object.hasOwn(TABLE, name);
}
