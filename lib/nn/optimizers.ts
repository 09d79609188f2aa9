/**
 * Optimisers: how a gradient becomes a change of the weights.
 *
 * Each optimiser updates every parameter tensor w in place from its gradient
 * g = ∂L/∂w, with the learning rate η given at each step (so that a schedule
 * can change it). Weight decay λ applies to weights, never to biases.
 *
 * | optimiser         | update                                                          |
 * |-------------------|-----------------------------------------------------------------|
 * | `GradientDescent` | w ← w − η (g + λw)                                              |
 * | `Momentum`        | v ← μv + (g + λw);  w ← w − ηv                                   |
 * | `Adam` (AdamW)    | m ← β₁m + (1−β₁)g;  s ← β₂s + (1−β₂)g²;  w ← w − η(m̂ / (√ŝ + ε) + λw) |
 *
 * with m̂ = m / (1 − β₁ᵗ), ŝ = s / (1 − β₂ᵗ) at step t (Adam's bias correction);
 * Adam's decay is decoupled from the gradient, as in AdamW.
 *
 * @module
 */

import type { Parameter } from "./network.ts";
import { type Floats, zeros } from "./tensor.ts";

/** The optimisers offered on the command line. */
export type OptimizerName = "sgd" | "momentum" | "adam";

/** The names accepted by {@linkcode createOptimizer}. */
export const OPTIMIZERS: readonly OptimizerName[] = ["sgd", "momentum", "adam"];

/** Something that turns gradients into weight updates. */
export interface Optimizer {
  /** The optimiser's command-line name. */
  readonly name: OptimizerName;
  /** Updates every parameter in place with learning rate `lr`. */
  step(params: readonly Parameter[], lr: number): void;
}

/**
 * Plain (minibatch stochastic) gradient descent: w ← w − η (g + λw).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { GradientDescent } from "./optimizers.ts";
 * const value = new Float64Array([1]), grad = new Float64Array([0.5]);
 * new GradientDescent().step([{ name: "w", value, grad, decay: true }], 0.1);
 * assert.equal(value[0], 1 - 0.1 * 0.5);
 * ```
 */
export class GradientDescent implements Optimizer {
  readonly name = "sgd";
  /** `weightDecay`: λ, applied to weights only. */
  constructor(readonly weightDecay = 0) {
    inRange("weight decay", weightDecay, 0, Infinity);
  }

  step(params: readonly Parameter[], lr: number): void {
    for (const { value, grad, decay } of params) {
      const lambda = decay ? this.weightDecay : 0;
      for (let k = 0; k < value.length; k++) value[k] -= lr * (grad[k] + lambda * value[k]);
    }
  }
}

/**
 * Gradient descent with (heavy-ball) momentum μ: v ← μv + (g + λw); w ← w − ηv.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Momentum } from "./optimizers.ts";
 * const value = new Float64Array([1]), grad = new Float64Array([0.5]);
 * const opt = new Momentum(0.5);
 * opt.step([{ name: "w", value, grad, decay: true }], 0.1); // v = 0.5, w = 1 − 0.1·0.5 = 0.95
 * opt.step([{ name: "w", value, grad, decay: true }], 0.1); // v = 0.5·0.5 + 0.5 = 0.75, w = 0.95 − 0.1·0.75
 * assert.equal(opt.velocity(value)[0], 0.75);
 * assert.ok(Math.abs(value[0] - 0.875) < 1e-15);
 * ```
 */
export class Momentum implements Optimizer {
  readonly name = "momentum";
  #velocity = new Map<Floats, Floats>();
  /** `momentum`: μ, the share of the last velocity kept; `weightDecay`: λ, applied to weights only. */
  constructor(readonly momentum = 0.9, readonly weightDecay = 0) {
    inRange("momentum", momentum, 0, 1);
    inRange("weight decay", weightDecay, 0, Infinity);
  }

  /** The velocity v kept for the parameter tensor `value` (zeros before its first step). */
  velocity(value: Floats): Floats {
    return state(this.#velocity, value);
  }

  step(params: readonly Parameter[], lr: number): void {
    const mu = this.momentum;
    for (const { value, grad, decay } of params) {
      const v = state(this.#velocity, value);
      const lambda = decay ? this.weightDecay : 0;
      for (let k = 0; k < value.length; k++) {
        v[k] = mu * v[k] + grad[k] + lambda * value[k];
        value[k] -= lr * v[k];
      }
    }
  }
}

/**
 * Adam with decoupled weight decay (AdamW); see the module table.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Adam } from "./optimizers.ts";
 * // the first step: m̂ = g, ŝ = g², so every weight moves by η·g/|g| = ±η, whatever the gradient's size
 * const value = new Float64Array([1, 1]), grad = new Float64Array([0.5, -200]);
 * const opt = new Adam();
 * opt.step([{ name: "w", value, grad, decay: true }], 0.01);
 * assert.equal(opt.steps, 1);
 * assert.ok(Math.abs(value[0] - 0.99) < 1e-9 && Math.abs(value[1] - 1.01) < 1e-9);
 * ```
 */
export class Adam implements Optimizer {
  readonly name = "adam";
  #m = new Map<Floats, Floats>();
  #s = new Map<Floats, Floats>();
  #t = 0;
  /** Decoupled weight decay λ (weights only), the moments' decay rates β₁ and β₂, and ε in the denominator. */
  constructor(
    readonly weightDecay = 0,
    readonly beta1 = 0.9,
    readonly beta2 = 0.999,
    readonly epsilon = 1e-8,
  ) {
    inRange("weight decay", weightDecay, 0, Infinity);
    inRange("beta1", beta1, 0, 1);
    inRange("beta2", beta2, 0, 1);
    if (!(epsilon > 0 && Number.isFinite(epsilon))) throw new RangeError(`epsilon must be > 0, got ${epsilon}`);
  }

  /** Steps taken so far (t of the bias correction); kernels that step elsewhere set it back. */
  get steps(): number {
    return this.#t;
  }
  set steps(t: number) {
    this.#t = t;
  }

  /** The moment estimates [m, s] kept for the parameter tensor `value` (zeros before its first step). */
  moments(value: Floats): [Floats, Floats] {
    return [state(this.#m, value), state(this.#s, value)];
  }

  step(params: readonly Parameter[], lr: number): void {
    this.#t++;
    const { beta1, beta2, epsilon } = this;
    const c1 = 1 / (1 - beta1 ** this.#t);
    const c2 = 1 / (1 - beta2 ** this.#t);
    for (const { value, grad, decay } of params) {
      const m = state(this.#m, value);
      const s = state(this.#s, value);
      const lambda = decay ? this.weightDecay : 0;
      for (let k = 0; k < value.length; k++) {
        const g = grad[k];
        m[k] = beta1 * m[k] + (1 - beta1) * g;
        s[k] = beta2 * s[k] + (1 - beta2) * g * g;
        value[k] -= lr * ((m[k] * c1) / (Math.sqrt(s[k] * c2) + epsilon) + lambda * value[k]);
      }
    }
  }
}

/**
 * The optimiser called `name`, with weight decay λ and momentum μ (momentum only).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Adam, createOptimizer, GradientDescent, Momentum } from "./optimizers.ts";
 * const momentum = createOptimizer("momentum", { momentum: 0.5, weightDecay: 1e-4 });
 * assert.ok(momentum instanceof Momentum);
 * assert.equal(momentum.momentum, 0.5);
 * assert.equal(momentum.weightDecay, 1e-4);
 * assert.ok(createOptimizer("sgd") instanceof GradientDescent);
 * assert.ok(createOptimizer("adam") instanceof Adam);
 * ```
 */
export function createOptimizer(
  name: OptimizerName,
  options: { weightDecay?: number; momentum?: number } = {},
): Optimizer {
  const wd = options.weightDecay ?? 0;
  switch (name) {
    case "sgd":
      return new GradientDescent(wd);
    case "momentum":
      return new Momentum(options.momentum ?? 0.9, wd);
    case "adam":
      return new Adam(wd);
  }
  throw new RangeError(`no optimiser is called ${JSON.stringify(name)}: sgd, momentum or adam`);
}

/** Throws a RangeError unless lo ≤ value < hi. */
function inRange(what: string, value: number, lo: number, hi: number): void {
  if (!(value >= lo && value < hi)) {
    throw new RangeError(
      `${what} must be ${hi === Infinity ? `≥ ${lo}` : `from ${lo} up to (not including) ${hi}`}, got ${value}`,
    );
  }
}

function state(map: Map<Floats, Floats>, value: Floats): Floats {
  let s = map.get(value);
  if (s === undefined) {
    s = zeros(value instanceof Float64Array ? "float64" : "float32", value.length);
    map.set(value, s);
  }
  return s;
}
