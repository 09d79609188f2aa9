/**
 * The layer-list network: any stack of {@linkcode Layer}s with softmax at the
 * end. An MLP is the case [Linear, f, Linear, f, …, Linear]; a convolutional
 * network adds `Conv2d`, `MaxPool2d` and `Flatten` in front.
 *
 * With a⁰ = x and L layers gℓ, the forward pass is aℓ⁺¹ = gℓ(aℓ), P =
 * softmax(aᴸ); backprop starts from the fused softmax + cross-entropy
 * gradient δᴸ = (P − Y) / B and runs each layer's backward pass from the top,
 * δℓ = ∂L/∂aℓ = gℓ′ᵀ δℓ⁺¹, each layer filling its own parameter gradients on
 * the way. Every buffer is allocated once, for the largest batch seen so far.
 *
 * The network offers what the training loop, the metrics, early stopping
 * and the model file use of {@linkcode Network}: `backprop(x, labels, B)`,
 * `parameters()`, `forward`, `probabilities`, `predict`.
 *
 * @module
 */

import type { ActivationName } from "./activations.ts";
import { type ArchItem, formatArch } from "./arch.ts";
import { Conv2d } from "./conv2d.ts";
import { ActivationLayer, Flatten, type Layer, Linear, type ModuleSpec, type Shape, shapeSize } from "./layer.ts";
import { crossEntropyLoss, softmaxCrossEntropyBackward, softmaxForward } from "./loss.ts";
import type { Parameter } from "./network.ts";
import { MaxPool2d } from "./pool.ts";
import type { Random } from "./random.ts";
import { InputError } from "../errors.ts";
import { argmax, type DType, type Floats, requireExamples, zeros } from "./tensor.ts";

/** What defines a layer-list network. */
export interface SequentialShape {
  /** One example's shape, e.g. [1, 28, 28]. */
  inputShape: Shape;
  /** The layers between the input and the output layer (see `arch.ts`). */
  arch: readonly ArchItem[];
  /** The activation after every convolution and hidden dense layer. */
  activation: ActivationName;
  /** Number of classes: the output layer's size. */
  classes: number;
  /** Buffer precision; float32 unless said otherwise. */
  dtype?: DType;
}

/**
 * A network as a list of layers.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Sequential } from "./sequential.ts";
 * import { parseArch } from "./arch.ts";
 * import { Random } from "./random.ts";
 * const net = new Sequential({ inputShape: [1, 28, 28], arch: parseArch("conv5x5x8,pool2,fc32"), activation: "relu", classes: 10 })
 *   .init(new Random(0));
 * assert.deepEqual(net.layers.map((l) => l.kind), ["conv2d", "relu", "maxpool2d", "flatten", "linear", "relu", "linear"]);
 * const probs = net.probabilities(new Float32Array(784), 1);
 * assert.ok(Math.abs(probs.reduce((a, b) => a + b) - 1) < 1e-6);
 * ```
 */
export class Sequential {
  /** Every layer in order, activations, pools and flattens included; the last is the output `Linear`. */
  readonly layers: readonly Layer[];
  /** One example's shape, e.g. [1, 28, 28]. */
  readonly inputShape: Shape;
  /** The layers between the input and the output layer (see `arch.ts`), a copy of the shape's. */
  readonly arch: readonly ArchItem[];
  /** The activation after every convolution and hidden dense layer. */
  readonly activation: ActivationName;
  /** Precision of every buffer. */
  readonly dtype: DType;

  #capacity = 0;
  /** acts[ℓ]: layer ℓ's output [B, ...outShape] (the last one holds the logits). */
  #acts: Floats[] = [];
  /** deltas[ℓ]: ∂L/∂(input of layer ℓ) [B, ...inShape], for ℓ ≥ 1; deltas[L] = ∂L/∂logits. */
  #deltas: Floats[] = [];
  #probs: Floats = new Float32Array(0);
  readonly #parameters: readonly Parameter[];

  /**
   * Builds the layers, every parameter zero until {@linkcode Sequential.init};
   * an `arch` that does not fit the input throws an `InputError`.
   */
  constructor(shape: SequentialShape) {
    this.inputShape = [...shape.inputShape];
    this.arch = shape.arch.map((item) => ({ ...item }));
    this.activation = shape.activation;
    this.dtype = shape.dtype ?? "float32";
    const dtype = this.dtype;
    const layers: Layer[] = [];
    let current: Shape = this.inputShape;
    const add = (layer: Layer) => {
      layers.push(layer);
      current = layer.outShape;
    };
    const text = formatArch(shape.arch);
    shape.arch.forEach((item, i) => {
      try {
        if (item.kind === "conv") {
          if (current.length !== 3) throw new RangeError("convolutions go before the dense layers");
          add(new Conv2d(current, item.channels, item.kernel, item.padding, dtype));
          add(new ActivationLayer(shape.activation, current));
        } else if (item.kind === "pool") {
          if (current.length !== 3) throw new RangeError("pools go before the dense layers");
          add(new MaxPool2d(current));
        } else {
          if (current.length !== 1) add(new Flatten(current));
          add(new Linear(current[0], item.units, dtype));
          add(new ActivationLayer(shape.activation, current));
        }
      } catch (error) {
        if (!(error instanceof RangeError)) throw error;
        const name = formatArch([item]);
        throw new InputError(`--arch: "${name}" (item ${i + 1} of "${text}") cannot be built: ${error.message}`);
      }
    });
    if (current.length !== 1) add(new Flatten(current));
    add(new Linear(current[0], shape.classes, dtype));
    this.layers = layers;
    this.#parameters = layers.flatMap((layer, l) =>
      layer.tensors === null ? [] : [
        { name: `layers.${l}.weight`, value: layer.tensors.weight, grad: layer.tensors.gradWeight, decay: true },
        { name: `layers.${l}.bias`, value: layer.tensors.bias, grad: layer.tensors.gradBias, decay: false },
      ]
    );
  }

  /** Values per input example (784 for MNIST). */
  get inputSize(): number {
    return shapeSize(this.inputShape);
  }

  /** Number of classes. */
  get outputSize(): number {
    return shapeSize(this.layers[this.layers.length - 1].outShape);
  }

  /** The architecture as `--arch` text, e.g. "conv5x5x32,pool2,fc256". */
  get archText(): string {
    return formatArch(this.arch);
  }

  /** One line for logs: the architecture and the activation. */
  describe(): string {
    return `${this.archText} (${this.activation})`;
  }

  /** The layers as PyTorch `nn.Sequential` modules, in order (module ℓ is `layers.ℓ` in the model file). */
  modules(): ModuleSpec[] {
    return this.layers.map((layer) => layer.describe());
  }

  /** He initialisation for a ReLU network, Xavier for tanh and sigmoid; biases 0. */
  init(rng: Random): this {
    const scheme = this.activation === "relu" ? "he" : "xavier";
    for (const layer of this.layers) layer.init(rng, scheme);
    return this;
  }

  /** The parameter tensors in order: `layers.{ℓ}.weight`, `layers.{ℓ}.bias` for each layer ℓ that has them. */
  parameters(): readonly Parameter[] {
    return this.#parameters;
  }

  /** Number of trainable numbers. */
  get parameterCount(): number {
    return this.#parameters.reduce((n, p) => n + p.value.length, 0);
  }

  /** Flops (multiply + add) of one example's forward pass; a training step costs about 3× this. */
  get forwardFlops(): number {
    return this.layers.reduce((n, layer) => {
      if (layer instanceof Conv2d) return n + layer.flops;
      if (layer instanceof Linear) return n + 2 * layer.inputs * layer.outputs;
      return n;
    }, 0);
  }

  /** The logits [B, outputSize] of x[B, inputSize] (a view of an internal buffer). */
  forward(x: Floats, B: number): Floats {
    return this.#forward(x, B, false).subarray(0, B * this.outputSize);
  }

  #forward(x: Floats, B: number, training: boolean): Floats {
    requireExamples(training ? "backprop" : "forward", x, B, this.inputSize);
    this.#reserve(B);
    let input = x;
    this.layers.forEach((layer, l) => {
      layer.forward(this.#acts[l], input, B, training); // aℓ⁺¹ = gℓ(aℓ)
      input = this.#acts[l];
    });
    return input;
  }

  /**
   * Forward and backward pass for B examples: fills every parameter's
   * gradient with ∂L/∂w of the batch's mean cross-entropy L and returns L.
   * When `dInput` [B, inputSize] is given, it receives ∂L/∂x.
   */
  backprop(x: Floats, labels: ArrayLike<number>, B: number, dInput: Floats | null = null): number {
    const logits = this.#forward(x, B, true);
    const C = this.outputSize;
    const L = this.layers.length;
    softmaxForward(this.#probs, logits, B, C);
    const loss = crossEntropyLoss(this.#probs, labels, B, C);
    softmaxCrossEntropyBackward(this.#deltas[L], this.#probs, labels, B, C); // δᴸ = (P − Y) / B
    for (let l = L - 1; l >= 0; l--) {
      const input = l === 0 ? x : this.#acts[l - 1];
      const dx = l === 0 ? dInput : this.#deltas[l];
      this.layers[l].backward(dx, this.#deltas[l + 1], input, this.#acts[l], B); // δℓ = gℓ′ᵀ δℓ⁺¹, ∂L/∂wℓ
    }
    return loss;
  }

  /**
   * Every layer's output for B examples, in a new array per layer (for
   * pictures of feature maps): element ℓ is layer ℓ's output [B, ...outShape].
   */
  activations(x: Floats, B: number): Floats[] {
    this.#forward(x, B, false);
    return this.layers.map((layer, l) => this.#acts[l].slice(0, B * shapeSize(layer.outShape)));
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
    const I = this.inputSize, C = this.outputSize;
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
    this.#acts = this.layers.map((layer) => zeros(this.dtype, B * shapeSize(layer.outShape)));
    this.#deltas = [
      ...this.layers.map((layer) => zeros(this.dtype, B * shapeSize(layer.inShape))),
      zeros(this.dtype, B * this.outputSize),
    ];
    this.#probs = zeros(this.dtype, B * this.outputSize);
  }
}
