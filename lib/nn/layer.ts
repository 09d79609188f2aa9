/**
 * The layer interface of a layer-list network ({@linkcode Sequential}), and
 * the three simple layers: the dense layer, an activation, and the flatten
 * between the convolutional and the dense parts. `Conv2d` (conv2d.ts) and
 * `MaxPool2d` (pool.ts) are the other two.
 *
 * Every layer maps a batch of B examples x[B, ...inShape] to
 * out[B, ...outShape], both flat row-major buffers the network allocates once;
 * images are [channels, height, width] per example (PyTorch's NCHW), vectors
 * [n]. The backward pass gets ∂L/∂out and fills ∂L/∂x (when asked) and the
 * gradients of the layer's own parameters:
 *
 * | layer      | forward                    | backward                                   |
 * |------------|----------------------------|--------------------------------------------|
 * | `Linear`   | out = x · W + b            | ∂L/∂W = xᵀ δ, ∂L/∂b = Σ_rows δ, ∂L/∂x = δ Wᵀ |
 * | activation | out = f(x)                 | ∂L/∂x = δ ⊙ f′(x), f′ from out              |
 * | `Flatten`  | out = x ([C, H, W] → [C·H·W]) | ∂L/∂x = δ                              |
 *
 * @module
 */

import { type Activation, activation, type ActivationName } from "./activations.ts";
import { Dense, denseBackward, denseForward, type InitScheme } from "./dense.ts";
import type { Random } from "./random.ts";
import type { DType, Floats } from "./tensor.ts";

/** The shape of one example: [channels, height, width] for images, [n] for vectors. */
export type Shape = readonly number[];

/**
 * Number of values in one example of `shape`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { shapeSize } from "./layer.ts";
 * assert.equal(shapeSize([1, 28, 28]), 784);
 * ```
 */
export function shapeSize(shape: Shape): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** The layer kinds; activations go by their own name. */
export type LayerKind = "conv2d" | "maxpool2d" | "flatten" | "linear" | ActivationName;

/** A layer's trainable tensors and their gradients (layers with parameters only). */
export interface LayerTensors {
  /** Weights: [I, O] input-major for `Linear`, [O, C, K, K] for `Conv2d`. */
  weight: Floats;
  /** Biases, one per output unit or channel, [O]. */
  bias: Floats;
  /** ∂L/∂weight from the last backward pass, laid out as `weight`. */
  gradWeight: Floats;
  /** ∂L/∂bias from the last backward pass, [O]. */
  gradBias: Floats;
}

/** One layer of a {@linkcode Sequential} network: a forward/backward pair over caller-owned buffers. */
export interface Layer {
  /** Which layer this is; an activation goes by its function's name. */
  readonly kind: LayerKind;
  /** Shape of one input example. */
  readonly inShape: Shape;
  /** Shape of one output example. */
  readonly outShape: Shape;
  /** The parameters, or null for a layer without any. */
  readonly tensors: LayerTensors | null;
  /** Draws initial weights (He for ReLU networks, Xavier for tanh and sigmoid). */
  init(rng: Random, scheme: InitScheme): void;
  /**
   * out[B, ...outShape] from x[B, ...inShape]. With `training`, the layer
   * keeps what its backward pass needs for all B examples.
   */
  forward(out: Floats, x: Floats, B: number, training: boolean): void;
  /**
   * From dOut = ∂L/∂out [B, ...outShape] (and the x and out of the last
   * training forward pass): fills the parameter gradients (overwritten) and,
   * when dx is given, dx = ∂L/∂x [B, ...inShape].
   */
  backward(dx: Floats | null, dOut: Floats, x: Floats, out: Floats, B: number): void;
  /** The layer as it would be written in PyTorch's `nn.Sequential` (for the model file). */
  describe(): ModuleSpec;
}

/** A layer as a JSON-able record: PyTorch's module name and constructor arguments. */
export type ModuleSpec =
  | { type: "Conv2d"; in_channels: number; out_channels: number; kernel_size: number; padding: number }
  | { type: "MaxPool2d"; kernel_size: 2; stride: 2 }
  | { type: "Flatten" }
  | { type: "Linear"; in_features: number; out_features: number }
  | { type: "ReLU" }
  | { type: "Tanh" }
  | { type: "Sigmoid" };

/**
 * The dense layer as a list member: out[B, O] = x[B, I] · W[I, O] + b[O]
 * (W stored input-major like {@linkcode Dense}; the model file holds Wᵀ).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Linear } from "./layer.ts";
 * const fc = new Linear(2, 1, "float64");
 * fc.tensors.weight.set([1, 5]);
 * const out = new Float64Array(1);
 * fc.forward(out, new Float64Array([3, 1]), 1);
 * assert.equal(out[0], 3 * 1 + 1 * 5);
 * ```
 */
export class Linear implements Layer {
  readonly kind = "linear";
  readonly inShape: Shape;
  readonly outShape: Shape;
  readonly tensors: LayerTensors;
  readonly #dense: Dense;

  /** An `inputs` → `outputs` dense layer of `dtype` floats, every array zero until {@linkcode Linear.init}. */
  constructor(readonly inputs: number, readonly outputs: number, dtype: DType = "float32") {
    this.inShape = [inputs];
    this.outShape = [outputs];
    this.#dense = new Dense(inputs, outputs, dtype);
    const { weight, bias, gradWeight, gradBias } = this.#dense;
    this.tensors = { weight, bias, gradWeight, gradBias };
  }

  init(rng: Random, scheme: InitScheme): void {
    this.#dense.init(rng, scheme);
  }

  forward(out: Floats, x: Floats, B: number): void {
    denseForward(out, x, this.tensors.weight, this.tensors.bias, B, this.inputs, this.outputs);
  }

  backward(dx: Floats | null, dOut: Floats, x: Floats, _out: Floats, B: number): void {
    const { weight, gradWeight, gradBias } = this.tensors;
    denseBackward(dx, gradWeight, gradBias, dOut, x, weight, B, this.inputs, this.outputs);
  }

  describe(): ModuleSpec {
    return { type: "Linear", in_features: this.inputs, out_features: this.outputs };
  }
}

const TORCH_NAMES = { relu: "ReLU", tanh: "Tanh", sigmoid: "Sigmoid" } as const;

/**
 * An element-wise activation as a list member, over any shape.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ActivationLayer } from "./layer.ts";
 * const relu = new ActivationLayer("relu", [3]);
 * const out = new Float64Array(3);
 * relu.forward(out, new Float64Array([-1, 0, 2]), 1);
 * assert.deepEqual([...out], [0, 0, 2]);
 * ```
 */
export class ActivationLayer implements Layer {
  readonly kind: ActivationName;
  readonly outShape: Shape;
  readonly tensors = null;
  readonly #f: Activation;

  /** The activation `name` over examples of shape `inShape` (the output has the same shape). */
  constructor(name: ActivationName, readonly inShape: Shape) {
    this.#f = activation(name);
    this.kind = name;
    this.outShape = inShape;
  }

  init(): void {}

  forward(out: Floats, x: Floats, B: number): void {
    this.#f.forward(out, x, B * shapeSize(this.inShape)); // out = f(x)
  }

  backward(dx: Floats | null, dOut: Floats, _x: Floats, out: Floats, B: number): void {
    if (dx !== null) this.#f.backward(dx, dOut, out, B * shapeSize(this.inShape)); // ∂L/∂x = δ ⊙ f′(x)
  }

  describe(): ModuleSpec {
    return { type: TORCH_NAMES[this.kind] };
  }
}

/**
 * [B, C, H, W] → [B, C·H·W]: the reshape between the convolutional and the
 * dense part. The memory order is already the flat one (channel, then row,
 * then column, as `torch.flatten`), so both passes are copies.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Flatten } from "./layer.ts";
 * assert.deepEqual(new Flatten([32, 4, 4]).outShape, [512]);
 * ```
 */
export class Flatten implements Layer {
  readonly kind = "flatten";
  readonly outShape: Shape;
  readonly tensors = null;

  /** Flattens examples of shape `inShape` (e.g. [C, H, W]) to vectors of their size. */
  constructor(readonly inShape: Shape) {
    this.outShape = [shapeSize(inShape)];
  }

  init(): void {}

  forward(out: Floats, x: Floats, B: number): void {
    const n = B * this.outShape[0];
    out.set(x.subarray(0, n)); // out[b, c·H·W + y·W + x] = x[b, c, y, x]
  }

  backward(dx: Floats | null, dOut: Floats, _x: Floats, _out: Floats, B: number): void {
    if (dx !== null) dx.set(dOut.subarray(0, B * this.outShape[0]));
  }

  describe(): ModuleSpec {
    return { type: "Flatten" };
  }
}
