/**
 * The multi-layer perceptron: a list of dense layers with an activation after
 * each hidden one and softmax at the end.
 *
 * For sizes [n₀, n₁, …, n_L] and an input batch A⁰ = X:
 *
 *   Zˡ = Aˡ⁻¹ · Wˡ + bˡ,   Aˡ = f(Zˡ)          for the hidden layers l < L
 *   Z^L = A^(L−1) · W^L + b^L,   P = softmax(Z^L)
 *
 * `backprop` runs the chain rule back through the same steps:
 *
 *   δ^L = (P − Y) / B                           (softmax + cross-entropy, fused)
 *   ∂L/∂Wˡ = (Aˡ⁻¹)ᵀ · δˡ,   ∂L/∂bˡ = Σ_rows δˡ
 *   δˡ⁻¹ = (δˡ · (Wˡ)ᵀ) ⊙ f′(Zˡ⁻¹)               (for the ReLU: the mask Aˡ⁻¹ > 0)
 *
 * Every buffer is allocated once, for the largest batch seen so far.
 *
 * The code counts layers as its arrays do, from 0: `layers[l]` holds the
 * weights above called Wˡ⁺¹, and a comment's zˡ, aˡ, δˡ are `layers[l]`'s
 * (above: Zˡ⁺¹, Aˡ⁺¹, δˡ⁺¹); so z⁰ = x · W⁰ + b⁰ in the code is Z¹ above,
 * and the code's input x is A⁰.
 *
 * @module
 */

import { type Activation, activation, type ActivationName } from "./activations.ts";
import { Dense, type InitScheme } from "./dense.ts";
import { crossEntropyLoss, softmaxCrossEntropyBackward, softmaxForward } from "./loss.ts";
import type { Random } from "./random.ts";
import { argmax, type DType, type Floats, requireExamples, zeros } from "./tensor.ts";

/** What defines a network's shape. */
export interface NetworkShape {
  /** Layer sizes from input to output, e.g. [784, 30, 10]. */
  sizes: readonly number[];
  /** One activation for every hidden layer, or one name for all of them. */
  activations: ActivationName | readonly ActivationName[];
  /** Buffer precision; float32 unless said otherwise. */
  dtype?: DType;
}

/** A parameter tensor with its gradient, as the optimisers see it. */
export interface Parameter {
  /** `layers.{i}.weight` or `layers.{i}.bias`. */
  name: string;
  /** The parameters' values, updated in place by the optimiser. */
  value: Floats;
  /** ∂L/∂value from the last backward pass, laid out as `value`. */
  grad: Floats;
  /** Whether weight decay applies (weights yes, biases no). */
  decay: boolean;
}

/**
 * A fully connected network with softmax output.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Network } from "./network.ts";
 * import { Random } from "./random.ts";
 * const net = new Network({ sizes: [4, 3, 2], activations: "relu" }).init(new Random(1));
 * const x = new Float32Array([0.1, 0.2, 0.3, 0.4]);
 * const probs = net.probabilities(x, 1);
 * assert.ok(Math.abs(probs[0] + probs[1] - 1) < 1e-6);
 * ```
 */
export class Network {
  /** Units per layer, input first: [784, 30, 10] is 784 inputs, 30 hidden units, 10 classes. */
  readonly sizes: readonly number[];
  /** The dense layers, one fewer than `sizes`: layer l maps sizes[l] → sizes[l + 1]. */
  readonly layers: readonly Dense[];
  /** The activation after each hidden layer (one fewer than layers). */
  readonly activations: readonly Activation[];
  /** Precision of every buffer. */
  readonly dtype: DType;

  #capacity = 0;
  /** outputs[l]: layer l's output after its activation, [B, sizes[l+1]]; the last holds the logits. */
  #outputs: Floats[] = [];
  /** deltas[l]: ∂L/∂(layer l's output before its activation), [B, sizes[l+1]]. */
  #deltas: Floats[] = [];
  #probs: Floats = new Float32Array(0);
  #parameters: readonly Parameter[];

  /** A network of the given shape, every weight and bias zero until {@linkcode Network.init}. */
  constructor(shape: NetworkShape) {
    const sizes = [...shape.sizes];
    if (sizes.length < 2) throw new RangeError("a network needs at least an input and an output size");
    for (const n of sizes) {
      if (!Number.isInteger(n) || n < 1) throw new RangeError(`layer sizes must be positive integers, got ${n}`);
    }
    const hidden = sizes.length - 2;
    const names = typeof shape.activations === "string"
      ? Array.from({ length: hidden }, () => shape.activations as ActivationName)
      : [...shape.activations];
    if (names.length !== hidden) {
      throw new RangeError(`${hidden} hidden layer(s) need ${hidden} activation(s), got ${names.length}`);
    }
    this.sizes = sizes;
    this.dtype = shape.dtype ?? "float32";
    this.layers = sizes.slice(1).map((n, l) => new Dense(sizes[l], n, this.dtype));
    this.activations = names.map(activation);
    this.#parameters = this.layers.flatMap((layer, l) => [
      { name: `layers.${l}.weight`, value: layer.weight, grad: layer.gradWeight, decay: true },
      { name: `layers.${l}.bias`, value: layer.bias, grad: layer.gradBias, decay: false },
    ]);
  }

  /** Number of inputs (784 for MNIST). */
  get inputSize(): number {
    return this.sizes[0];
  }

  /** Number of classes. */
  get outputSize(): number {
    return this.sizes[this.sizes.length - 1];
  }

  /** One line for logs: the sizes and the activations, e.g. "784-30-10 (relu)". */
  describe(): string {
    return `${this.sizes.join("-")} (${this.activationNames.join(",")})`;
  }

  /** The activation names, one per hidden layer. */
  get activationNames(): ActivationName[] {
    return this.activations.map((a) => a.name);
  }

  /**
   * Random initial weights: He for layers followed by a ReLU, Xavier for tanh
   * and sigmoid; the output layer takes the scheme of the last hidden layer.
   */
  init(rng: Random): this {
    this.layers.forEach((layer, l) => {
      const act = this.activations[Math.min(l, this.activations.length - 1)];
      const scheme: InitScheme = act === undefined || act.name === "relu" ? "he" : "xavier";
      layer.init(rng, scheme);
    });
    return this;
  }

  /** The parameter tensors in order: layers.0.weight, layers.0.bias, layers.1.weight, … */
  parameters(): readonly Parameter[] {
    return this.#parameters;
  }

  /** Number of trainable numbers. */
  get parameterCount(): number {
    return this.layers.reduce((n, layer) => n + layer.weight.length + layer.bias.length, 0);
  }

  /**
   * The forward pass for B examples x[B, inputSize]; returns the logits
   * [B, outputSize] (a view of an internal buffer, overwritten by the next call).
   */
  forward(x: Floats, B: number): Floats {
    requireExamples("forward", x, B, this.inputSize);
    this.#reserve(B);
    let input = x;
    this.layers.forEach((layer, l) => {
      const out = this.#outputs[l];
      layer.forward(out, input, B);
      if (l < this.activations.length) this.activations[l].forward(out, out, B * layer.outputs);
      input = out;
    });
    return input.subarray(0, B * this.outputSize);
  }

  /**
   * Forward and backward pass for B examples: fills every layer's gradient
   * with ∂L/∂W and ∂L/∂b of the batch's mean cross-entropy L, and returns L.
   */
  backprop(x: Floats, labels: ArrayLike<number>, B: number): number {
    requireExamples("backprop", x, B, this.inputSize);
    this.#reserve(B);
    this.layers[0].forward(this.#outputs[0], x, B); // z⁰ = x · W⁰ + b⁰   [B, n₁]
    const loss = this.backpropAboveFirstLayer(labels, B);
    this.layers[0].backward(null, this.#deltas[0], x, B); // ∂L/∂W⁰ = xᵀ · δ⁰, ∂L/∂b⁰ = Σ_rows δ⁰
    return loss;
  }

  /**
   * backprop from layer 0's output on: for when the caller computes layer 0
   * itself (`sparseMiniBatch` in `step.ts`). Expects z⁰ = x · W⁰ + b⁰
   * (before the activation) in {@linkcode firstLayerOutput}; runs the rest of
   * the forward pass and the whole backward pass except layer 0's gradients,
   * leaving δ⁰ = ∂L/∂z⁰ [B, sizes[1]] in {@linkcode firstLayerDelta}.
   * Fills the gradients of layers 1 … L−1 and returns the batch's mean loss.
   */
  backpropAboveFirstLayer(labels: ArrayLike<number>, B: number): number {
    this.#reserve(B);
    const L = this.layers.length;
    const C = this.outputSize;
    for (let l = 0; l < L; l++) {
      const out = this.#outputs[l];
      if (l > 0) this.layers[l].forward(out, this.#outputs[l - 1], B); // zˡ = aˡ⁻¹ · Wˡ + bˡ
      if (l < this.activations.length) this.activations[l].forward(out, out, B * this.layers[l].outputs); // aˡ = f(zˡ)
    }
    const logits = this.#outputs[L - 1];
    softmaxForward(this.#probs, logits, B, C);
    const loss = crossEntropyLoss(this.#probs, labels, B, C);
    softmaxCrossEntropyBackward(this.#deltas[L - 1], this.#probs, labels, B, C); // δᴸ⁻¹ = (P − Y) / B
    for (let l = L - 1; l >= 1; l--) {
      const dInput = this.#deltas[l - 1];
      const below = this.activations[l - 1];
      if (below.name === "relu") {
        // ∂L/∂Wˡ, ∂L/∂bˡ and δˡ⁻¹ = (δˡ · Wˡᵀ) ⊙ [aˡ⁻¹ > 0], the ReLU mask fused in
        this.layers[l].backward(dInput, this.#deltas[l], this.#outputs[l - 1], B, true);
      } else {
        this.layers[l].backward(dInput, this.#deltas[l], this.#outputs[l - 1], B); // ∂L/∂Wˡ, ∂L/∂bˡ, ∂L/∂aˡ⁻¹
        below.backward(dInput, dInput, this.#outputs[l - 1], B * this.layers[l].inputs); // δˡ⁻¹ = ∂L/∂aˡ⁻¹ ⊙ f′(zˡ⁻¹)
      }
    }
    return loss;
  }

  /**
   * The buffer for layer 0's output z⁰ [B, sizes[1]] that
   * {@linkcode backpropAboveFirstLayer} reads; valid until the next call with a larger B.
   */
  firstLayerOutput(B: number): Floats {
    this.#reserve(B);
    return this.#outputs[0];
  }

  /** δ⁰ = ∂L/∂z⁰ [B, sizes[1]] left by the last backprop; valid until the next call with a larger B. */
  firstLayerDelta(B: number): Floats {
    this.#reserve(B);
    return this.#deltas[0];
  }

  /** Class probabilities [B, outputSize] for x[B, inputSize], in a new array. */
  probabilities(x: Floats, B: number): Float64Array {
    const C = this.outputSize;
    const logits = this.forward(x, B);
    softmaxForward(this.#probs, logits, B, C);
    return Float64Array.from(this.#probs.subarray(0, B * C));
  }

  /** The most probable class of each of the n examples in x[n, inputSize]. */
  predict(x: Floats, n: number, batch = 256): Uint8Array {
    requireExamples("predict", x, n, this.inputSize);
    const out = new Uint8Array(n);
    const I = this.inputSize;
    const C = this.outputSize;
    for (let start = 0; start < n; start += batch) {
      const B = Math.min(batch, n - start);
      const logits = this.forward(x.subarray(start * I, (start + B) * I), B);
      for (let b = 0; b < B; b++) out[start + b] = argmax(logits, b * C, C);
    }
    return out;
  }

  #reserve(B: number): void {
    if (B <= this.#capacity) return;
    this.#capacity = B;
    this.#outputs = this.layers.map((layer) => zeros(this.dtype, B * layer.outputs));
    this.#deltas = this.layers.map((layer) => zeros(this.dtype, B * layer.outputs));
    this.#probs = zeros(this.dtype, B * this.outputSize);
  }
}
