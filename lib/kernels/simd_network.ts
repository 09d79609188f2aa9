/**
 * The general training path on WebAssembly SIMD: any float32 network of dense
 * layers, any of the three optimisers, weight decay and augmentation.
 *
 * Per minibatch x [B, I] (gathered, then augmented, in WebAssembly memory):
 *
 *   nonzero pixels of x listed per example   (row offset, value) pairs      `listNonzero`, branch-free
 *   z⁰ = x · W⁰ + b⁰                          `sparseGemm` (or `gemm` when x is dense)
 *   zˡ = aˡ⁻¹ · Wˡ + bˡ, aˡ = f(zˡ)            `gemm`; f: `relu`, or TypeScript for tanh and sigmoid
 *   P = softmax(zᴸ), δᴸ = (P − Y) / B          `loss.ts`
 *   ∂L/∂Wˡ = (aˡ⁻¹)ᵀ · δˡ                     `gemm` with A transposed through its strides
 *   ∂L/∂W⁰ = xᵀ · δ⁰                          `sparseGemmTN` (rows of zero pixels stay 0)
 *   ∂L/∂bˡ = Σ_b δˡ                            `sumRows`
 *   δˡ⁻¹ = (δˡ · Wˡᵀ) ⊙ f′                     `gemmNT`; f′: `reluBackward`, or TypeScript
 *   w ← optimiser(w, ∂L/∂w)                    `sgdStep` / `momentumStep` / `adamStep`, which also zero ∂L/∂w
 *
 * Every layer's outputs are padded to a multiple of 8 floats (Op) in
 * WebAssembly memory; the padding of W, b and δ is 0 and stays 0. The
 * weights and the optimiser's state live there during training: `sync()`
 * writes them back to the network and the optimiser, `load()` reads them.
 *
 * @module
 */

import { type Dataset, gatherBatch } from "../data/dataset.ts";
import type { Network } from "../nn/network.ts";
import { crossEntropyLoss, softmaxCrossEntropyBackward, softmaxForward } from "../nn/loss.ts";
import { Adam, GradientDescent, Momentum, type Optimizer } from "../nn/optimizers.ts";
import type { Random } from "../nn/random.ts";
import type { Floats } from "../nn/tensor.ts";
import type { StepStrategy } from "../nn/step.ts";
import { Layout, type SimdKernels, simdKernels } from "./gemm.ts";

/** Byte addresses of one layer's arrays; I inputs, O outputs padded to Op. */
interface LayerRegions {
  I: number;
  O: number;
  Op: number;
  weight: number; // [I, Op]
  bias: number; // [Op]
  gradWeight: number; // [I, Op]
  gradBias: number; // [Op]
  state: number[]; // optimiser state: per slot, [I·Op] for the weight then [Op] for the bias
  out: number; // [B, Op]
  delta: number; // [B, Op]
}

/** Above this share of nonzero inputs, layer 0 runs as a dense product. */
const SPARSE_BELOW = 0.5;

const pad8 = (n: number) => Math.ceil(n / 8) * 8;

/**
 * A {@linkcode StepStrategy} running the whole step on the SIMD kernels of
 * `gemm.ts`; see the module notes. Use {@linkcode simdNetwork}.
 */
export class SimdNetwork implements StepStrategy {
  readonly name = "simd";
  readonly #k: SimdKernels;
  readonly #layers: LayerRegions[];
  readonly #x: number;
  readonly #xView: Float32Array;
  readonly #entries: number;
  readonly #starts: number;
  readonly #zero: number;
  readonly #labels: Uint8Array;
  readonly #probs: Float32Array;
  readonly #dLogits: Float32Array;
  #t = 0;

  constructor(
    kernels: SimdKernels,
    plan: { layers: LayerRegions[]; x: number; entries: number; starts: number; zero: number; slots: number },
    readonly net: Network,
    readonly data: Dataset,
    readonly optimizer: Optimizer,
    readonly batchSize: number,
    readonly rng: Random,
    readonly augment?: (x: Float32Array, B: number, rng: Random) => void,
  ) {
    this.#k = kernels;
    this.#layers = plan.layers;
    this.#x = plan.x;
    this.#xView = kernels.view(plan.x, batchSize * net.inputSize);
    this.#entries = plan.entries;
    this.#starts = plan.starts;
    this.#zero = plan.zero;
    this.#labels = new Uint8Array(batchSize);
    const C = net.outputSize;
    this.#probs = new Float32Array(batchSize * C);
    this.#dLogits = new Float32Array(batchSize * C);
    this.load();
  }

  /** The memory plan for `net` at batch size `batchSize` with `slots` optimiser state arrays per parameter. */
  static plan(net: Network, batchSize: number, slots: number): {
    bytes: number;
    layers: LayerRegions[];
    x: number;
    entries: number;
    starts: number;
    zero: number;
    slots: number;
  } {
    const p = new Layout();
    const B = batchSize, I0 = net.inputSize;
    const layers = net.layers.map((layer): LayerRegions => {
      const I = layer.inputs, O = layer.outputs, Op = pad8(O);
      return {
        I,
        O,
        Op,
        weight: p.region(I * Op),
        bias: p.region(Op),
        gradWeight: p.region(I * Op),
        gradBias: p.region(Op),
        state: Array.from({ length: slots }, () => {
          const at = p.region(I * Op);
          p.region(Op);
          return at;
        }),
        out: p.region(B * Op),
        delta: p.region(B * Op),
      };
    });
    const x = p.region(B * I0);
    const entries = p.region(2 * B * I0 + 2);
    const starts = p.region(B + 1);
    const zero = p.region(Math.max(...layers.map((l) => l.Op)));
    return { bytes: p.bytes, layers, x, entries, starts, zero, slots };
  }

  step(order: ArrayLike<number>, start: number, B: number, lr: number): number {
    const k = this.#k.exports, f32 = this.#k.f32;
    const net = this.net, layers = this.#layers, L = layers.length, I0 = net.inputSize;
    gatherBatch(this.#xView, this.#labels, this.data, order, start, B);
    this.augment?.(this.#xView, B, this.rng);

    // the nonzero pixels of each example: (byte offset of its weight row, value) pairs
    const first = layers[0], rowBytes = 4 * first.Op;
    const nonzero = k.listNonzero(this.#x, B, I0, rowBytes, this.#entries, this.#starts);
    const sparse = nonzero < SPARSE_BELOW * B * I0;

    // forward
    if (sparse) k.sparseGemm(first.out, rowBytes, first.weight, first.bias, first.Op, this.#starts, B);
    else k.gemm(first.out, rowBytes, this.#x, 4 * I0, 4, first.weight, rowBytes, first.bias, B, first.Op, I0, 0);
    for (let l = 0; l < L; l++) {
      const layer = layers[l];
      if (l > 0) {
        const below = layers[l - 1];
        k.gemm(
          layer.out,
          4 * layer.Op,
          below.out,
          4 * below.Op,
          4,
          layer.weight,
          4 * layer.Op,
          layer.bias,
          B,
          layer.Op,
          layer.I,
          0,
        );
      }
      if (l < L - 1) {
        if (net.activations[l].name === "relu") k.relu(layer.out, B * layer.Op);
        else {
          const out = this.#k.view(layer.out, B * layer.Op);
          net.activations[l].forward(out, out, B * layer.Op);
        }
      }
    }

    // softmax and cross-entropy on the logits [B, C] (the top layer's out without its padding)
    const top = layers[L - 1], C = top.O, probs = this.#probs, dLogits = this.#dLogits;
    for (let b = 0; b < B; b++) {
      for (let c = 0; c < C; c++) dLogits[b * C + c] = f32[top.out / 4 + b * top.Op + c];
    }
    softmaxForward(probs, dLogits, B, C);
    const loss = crossEntropyLoss(probs, this.#labels, B, C);
    softmaxCrossEntropyBackward(dLogits, probs, this.#labels, B, C);
    for (let b = 0; b < B; b++) {
      for (let c = 0; c < C; c++) f32[top.delta / 4 + b * top.Op + c] = dLogits[b * C + c];
    }

    // backward
    for (let l = L - 1; l >= 0; l--) {
      const layer = layers[l], Op = layer.Op;
      k.sumRows(layer.gradBias, layer.delta, 4 * Op, B, Op); // ∂L/∂b = Σ_b δ
      if (l === 0) {
        // the optimiser left ∂L/∂W⁰ at 0: add xᵀ · δ⁰ from the nonzero pixels, or overwrite it densely
        if (sparse) k.sparseGemmTN(layer.gradWeight, layer.delta, 4 * Op, Op, this.#starts, B);
        else k.gemm(layer.gradWeight, 4 * Op, this.#x, 4, 4 * I0, layer.delta, 4 * Op, this.#zero, I0, Op, B, 0);
        continue;
      }
      const below = layers[l - 1];
      // ∂L/∂Wˡ [I, Op] = (aˡ⁻¹)ᵀ · δˡ: A(i, b) = aˡ⁻¹[b, i]
      k.gemm(layer.gradWeight, 4 * Op, below.out, 4, 4 * below.Op, layer.delta, 4 * Op, this.#zero, layer.I, Op, B, 0);
      // δˡ⁻¹ [B, I] = δˡ · Wˡᵀ, then ⊙ f′ (the padding columns of δˡ⁻¹ are never written: they stay 0)
      k.gemmNT(below.delta, 4 * below.Op, layer.delta, 4 * Op, layer.weight, 4 * Op, B, layer.I, Op);
      if (net.activations[l - 1].name === "relu") k.reluBackward(below.delta, below.out, B * below.Op);
      else {
        const dBelow = this.#k.view(below.delta, B * below.Op);
        net.activations[l - 1].backward(dBelow, dBelow, this.#k.view(below.out, B * below.Op), B * below.Op);
      }
    }

    // the optimiser, one call per tensor (weights with decay, biases without)
    const opt = this.optimizer as GradientDescent | Momentum | Adam;
    if (opt instanceof Adam) this.#t++;
    for (const layer of layers) {
      const biasState = this.#stateBiasOffset(layer);
      this.#update(layer.weight, layer.gradWeight, layer.state, layer.I * layer.Op, lr, opt.weightDecay);
      this.#update(layer.bias, layer.gradBias, layer.state.map((at) => at + biasState), layer.Op, lr, 0);
    }
    return loss;
  }

  /** w ← optimiser(w, g) over n floats with decay λ; `state` holds the optimiser's slots for w. */
  #update(w: number, g: number, state: number[], n: number, lr: number, lambda: number): void {
    const k = this.#k.exports, opt = this.optimizer;
    if (opt instanceof Momentum) k.momentumStep(w, g, state[0], n, lr, opt.momentum, lambda);
    else if (opt instanceof Adam) {
      const c1 = 1 / (1 - opt.beta1 ** this.#t), c2 = 1 / (1 - opt.beta2 ** this.#t);
      k.adamStep(w, g, state[0], state[1], n, lr, opt.beta1, opt.beta2, c1, c2, opt.epsilon, lambda);
    } else k.sgdStep(w, g, n, lr, lambda);
  }

  /** Bytes from a state slot's weight part to its bias part (the weight part rounded up to 32 bytes). */
  #stateBiasOffset(layer: LayerRegions): number {
    return Math.ceil((layer.I * layer.Op) / 8) * 32;
  }

  /** The optimiser's state arrays for a parameter tensor, in slot order. */
  #stateOf(value: Floats): Floats[] {
    const opt = this.optimizer;
    if (opt instanceof Momentum) return [opt.velocity(value)];
    if (opt instanceof Adam) return opt.moments(value);
    return [];
  }

  load(): void {
    const f32 = this.#k.f32;
    this.net.layers.forEach((dense, l) => {
      const r = this.#layers[l];
      const put = (at: number, src: Floats, rows: number, cols: number) => {
        const base = at / 4;
        for (let i = 0; i < rows; i++) for (let o = 0; o < cols; o++) f32[base + i * r.Op + o] = src[i * cols + o];
      };
      put(r.weight, dense.weight, r.I, r.O);
      put(r.bias, dense.bias, 1, r.O);
      const wState = this.#stateOf(dense.weight), bState = this.#stateOf(dense.bias);
      r.state.forEach((at, s) => {
        put(at, wState[s], r.I, r.O);
        put(at + this.#stateBiasOffset(r), bState[s], 1, r.O);
      });
    });
    if (this.optimizer instanceof Adam) this.#t = this.optimizer.steps;
  }

  sync(): void {
    const f32 = this.#k.f32;
    this.net.layers.forEach((dense, l) => {
      const r = this.#layers[l];
      const get = (dst: Floats, at: number, rows: number, cols: number) => {
        const base = at / 4;
        for (let i = 0; i < rows; i++) for (let o = 0; o < cols; o++) dst[i * cols + o] = f32[base + i * r.Op + o];
      };
      get(dense.weight, r.weight, r.I, r.O);
      get(dense.bias, r.bias, 1, r.O);
      const wState = this.#stateOf(dense.weight), bState = this.#stateOf(dense.bias);
      r.state.forEach((at, s) => {
        get(wState[s], at, r.I, r.O);
        get(bState[s], at + this.#stateBiasOffset(r), 1, r.O);
      });
    });
    if (this.optimizer instanceof Adam) this.optimizer.steps = this.#t;
  }
}

/**
 * The WebAssembly general path for `net`, or null when it cannot run: a
 * float64 network, an optimiser other than the three of `optimizers.ts`,
 * inputs that are not the network's width, no WebAssembly SIMD, or more than
 * 1 GiB of memory.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { simdNetwork } from "./simd_network.ts";
 * import { Network } from "../nn/network.ts";
 * import { Momentum } from "../nn/optimizers.ts";
 * import { Random } from "../nn/random.ts";
 * import { makeDataset } from "../data/dataset.ts";
 * const data = makeDataset(new Float32Array([0.1, 0.9]), new Uint8Array([0, 1]), 1);
 * const net = new Network({ sizes: [1, 4, 2], activations: "tanh" }).init(new Random(3));
 * const step = simdNetwork(net, data, new Momentum(0.9), 2, new Random(0))!;
 * const first = step.step([0, 1], 0, 2, 0.1);
 * for (let t = 0; t < 50; t++) step.step([0, 1], 0, 2, 0.1);
 * assert.ok(step.step([0, 1], 0, 2, 0.1) < first);
 * ```
 */
export function simdNetwork(
  net: Network,
  data: Dataset,
  optimizer: Optimizer,
  batchSize: number,
  rng: Random,
  augment?: (x: Float32Array, B: number, rng: Random) => void,
): SimdNetwork | null {
  if (net.dtype !== "float32" || data.features !== net.inputSize) return null;
  const slots = optimizer instanceof Adam ? 2 : optimizer instanceof Momentum ? 1 : 0;
  if (slots === 0 && !(optimizer instanceof GradientDescent)) return null;
  const plan = SimdNetwork.plan(net, batchSize, slots);
  const kernels = simdKernels(plan.bytes);
  if (kernels === null) return null;
  return new SimdNetwork(kernels, plan, net, data, optimizer, batchSize, rng, augment);
}
