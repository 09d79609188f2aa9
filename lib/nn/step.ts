/**
 * Step strategies: how one minibatch becomes one optimiser step.
 *
 * The training loop (`SGD` in `train.ts`) is one loop; what differs between a
 * spec run and a `--preset best` run is only how a step is computed. That
 * choice is made once per run ({@linkcode chooseStep}) and hidden behind one
 * small interface, {@linkcode StepStrategy}:
 *
 * | strategy            | when                                              | how                                        |
 * |---------------------|---------------------------------------------------|--------------------------------------------|
 * | `sparse-mlp`        | plain SGD, one hidden ReLU layer, float32, small  | two WebAssembly calls per minibatch          |
 * |                     | steps (the spec)                                   |                                              |
 * | `sparse`            | plain SGD, no decay, no augmentation (also in     | layer 0 from the nonzero pixels, rest in TS  |
 * |                     | float64)                                          |                                              |
 * | `simd-columns`      | one hidden layer, float32, no augmentation, any   | `SimdColumns`: the dataset's nonzero pixels  |
 * |                     | optimiser (plain SGD: larger steps)               | listed once; hidden columns split between    |
 * |                     |                                                   | `threads` threads                            |
 * | `simd`              | anything else in float32 (deeper networks,        | `SimdNetwork`: blocked SIMD matrix products  |
 * |                     | augmentation)                                     | on `threads` threads                         |
 * | `simd-cnn`          | a float32 layer list (`Sequential`, e.g. a CNN)   | `SimdCnn`: im2col + SIMD matrix products     |
 * | `general`           | float64 with another optimiser, decay or          | {@linkcode updateMiniBatch} in TypeScript    |
 * |                     | augmentation, or asked for (`path: "dense"`)      |                                              |
 *
 * A strategy may keep the weights elsewhere (WebAssembly memory): `sync()`
 * copies them back into the network, `load()` takes the network's weights
 * after someone else changed them.
 *
 * @module
 */

import { type Dataset, gatherBatch } from "../data/dataset.ts";
import { denseBiasBackward } from "./dense.ts";
import type { Network, Parameter } from "./network.ts";
import { type Classifier, isMlp } from "./classifier.ts";
import { GradientDescent, type Optimizer } from "./optimizers.ts";
import type { Random } from "./random.ts";
import { type SparseLayer, sparseLayer, type SparseMlp, sparseMlp } from "../kernels/simd.ts";
import { denseRows, toSparseRows } from "../kernels/sparse.ts";
import { simdNetwork } from "../kernels/simd_network.ts";
import { simdColumns } from "../kernels/simd_columns.ts";
import { simdCnn } from "../kernels/simd_cnn.ts";

/** One optimiser step per call, on the examples order[start … start+B). */
export interface StepStrategy {
  /** Which strategy runs (see the module table). */
  readonly name: "sparse-mlp" | "sparse" | "simd-columns" | "simd" | "simd-cnn" | "general";
  /** How many threads compute each step (1 when absent). */
  readonly threads?: number;
  /** One step on the B examples order[start … start+B) with learning rate `lr`; returns their mean loss (before the step). */
  step(order: ArrayLike<number>, start: number, B: number, lr: number): number;
  /** Makes the network hold the current weights. */
  sync(): void;
  /** Takes the network's weights as the current ones (after someone else changed them). */
  load(): void;
  /** Frees what the strategy holds for the run (worker threads); called once, after the last step. */
  close?(): void;
}

/**
 * Plain SGD leaves `sparse-mlp` for `simd-columns` (or `simd`) when the first
 * layer's width × the batch size is at least this (784-256-10 at batch 32:
 * 8192; the spec, 30 × 10, stays on `sparse-mlp`, where a step is too small
 * to share between threads).
 */
export const THREADED_SGD_MIN = 4096;

/** Which path computes the steps: see {@linkcode chooseStep}. */
export type StepPath = "auto" | "sparse-js" | "dense" | "simd";

/** What {@linkcode chooseStep} needs besides the network and the data. */
export interface StepOptions {
  /** The largest minibatch B; the strategy's buffers are sized for it. */
  batchSize: number;
  /** Applies the gradients; the sparse paths take plain SGD without weight decay only. */
  optimizer: Optimizer;
  /** Drives augmentation. */
  rng: Random;
  /** Changes a gathered minibatch x[B, features] in place before the step (data augmentation). */
  augment?: (x: Float32Array, B: number, rng: Random) => void;
  /** Which path computes the steps (default `"auto"`): see {@linkcode chooseStep}. */
  path?: StepPath;
  /** Threads computing each step on `simd`, `simd-columns` and `simd-cnn` (default 1); the other paths use one. */
  threads?: number;
}

/**
 * One step of gradient descent on one minibatch x[B, features] with its
 * labels: backprop fills the gradients, the optimiser applies them.
 * Returns the minibatch's mean loss (before the step).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { updateMiniBatch } from "./step.ts";
 * import { Network } from "./network.ts";
 * import { GradientDescent } from "./optimizers.ts";
 * // no hidden layer, all weights 0: p = [½, ½]; x = [1, 0] is class 0, x = [0, 1] class 1
 * const net = new Network({ sizes: [2, 2], activations: "relu" });
 * const x = new Float32Array([1, 0, 0, 1]), labels = new Uint8Array([0, 1]);
 * assert.equal(updateMiniBatch(net, new GradientDescent(), x, labels, 2, 1), Math.LN2); // −ln ½, before the step
 * // ∂L/∂z = (p − y) / 2 = [−¼, ¼] and [¼, −¼]; W ← 0 − 1 · xᵀ ∂L/∂z
 * assert.deepEqual([...net.layers[0].weight], [0.25, -0.25, -0.25, 0.25]);
 * ```
 */
export function updateMiniBatch(
  net: Classifier,
  optimizer: Optimizer,
  x: Float32Array,
  labels: Uint8Array,
  B: number,
  lr: number,
): number {
  const loss = net.backprop(x, labels, B);
  optimizer.step(net.parameters(), lr);
  return loss;
}

/**
 * One plain-SGD step (w ← w − η ∂L/∂w, like {@linkcode updateMiniBatch} with
 * `GradientDescent` without weight decay) on the B examples
 * order[start … start+B) of the dataset whose nonzero inputs `first` holds:
 *
 *   z⁰ = x · W⁰ + b⁰                     sparse, [B, n₁]
 *   the rest of backprop                 leaves δ⁰ = ∂L/∂z⁰ [B, n₁]
 *   w ← w − η ∂L/∂w                      `optimizer` on every parameter but W⁰ (`upper`)
 *   W⁰ ← W⁰ − η Σ_b x_bᵀ ⊗ δ⁰_b          sparse, one example at a time
 *
 * `labels` [≥B] is scratch space for the batch's labels. Returns the
 * minibatch's mean loss (before the step).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sparseMiniBatch, updateMiniBatch } from "./step.ts";
 * import { Network } from "./network.ts";
 * import { GradientDescent } from "./optimizers.ts";
 * import { Random } from "./random.ts";
 * import { makeDataset } from "../data/dataset.ts";
 * import { sparseLayer } from "../kernels/simd.ts";
 * import { toSparseRows } from "../kernels/sparse.ts";
 * const data = makeDataset(new Float32Array([1, 0, 0, 1]), new Uint8Array([0, 1]), 2); // x = [1, 0] → 0, [0, 1] → 1
 * const [a, b] = [0, 1].map(() => new Network({ sizes: [2, 3, 2], activations: "relu" }).init(new Random(0)));
 * const first = sparseLayer(b.layers[0], toSparseRows(data.x, 2), "js");
 * const upper = b.parameters().filter((p) => p.name !== "layers.0.weight");
 * const sparse = sparseMiniBatch(b, new GradientDescent(), first, upper, data, [0, 1], 0, 2, new Uint8Array(2), 0.5);
 * // the same step as the dense path on the same two examples
 * assert.equal(sparse, updateMiniBatch(a, new GradientDescent(), data.x, data.labels, 2, 0.5));
 * const values = (net: Network) => net.parameters().map((p) => p.value);
 * assert.deepEqual(values(b), values(a));
 * ```
 */
export function sparseMiniBatch(
  net: Network,
  optimizer: GradientDescent,
  first: SparseLayer,
  upper: readonly Parameter[],
  data: Dataset,
  order: ArrayLike<number>,
  start: number,
  B: number,
  labels: Uint8Array,
  lr: number,
): number {
  for (let b = 0; b < B; b++) labels[b] = data.labels[order[start + b]];
  first.forward(net.firstLayerOutput(B), order, start, B);
  const loss = net.backpropAboveFirstLayer(labels, B);
  const delta = net.firstLayerDelta(B);
  denseBiasBackward(net.layers[0].gradBias, delta, B, net.layers[0].outputs);
  optimizer.step(upper, lr);
  first.update(delta, order, start, B, lr);
  return loss;
}

/**
 * The general path in TypeScript: gather (and augment) the minibatch, {@linkcode updateMiniBatch}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { GeneralStep } from "./step.ts";
 * import { Network } from "./network.ts";
 * import { GradientDescent } from "./optimizers.ts";
 * import { Random } from "./random.ts";
 * import { makeDataset } from "../data/dataset.ts";
 * const data = makeDataset(new Float32Array([1, 0, 0, 1]), new Uint8Array([0, 1]), 2); // x = [1, 0] → 0, [0, 1] → 1
 * const net = new Network({ sizes: [2, 2], activations: "relu" }); // all weights 0: p = [½, ½]
 * const step = new GeneralStep(net, data, new GradientDescent(), 2, new Random(0));
 * assert.equal(step.name, "general");
 * assert.equal(step.step([1, 0], 0, 2, 1), Math.LN2); // −ln ½, before the first step
 * const later = [1, 2, 3].map(() => step.step([1, 0], 0, 2, 1));
 * assert.ok(later[0] < Math.LN2 && later[2] < later[0]);
 * ```
 */
export class GeneralStep implements StepStrategy {
  readonly name = "general";
  readonly #x: Float32Array;
  readonly #labels: Uint8Array;

  /** Buffers for minibatches of up to `batchSize` examples; `augment` changes each one, drawing from `rng`. */
  constructor(
    readonly net: Classifier,
    readonly data: Dataset,
    readonly optimizer: Optimizer,
    batchSize: number,
    readonly rng: Random,
    readonly augment?: (x: Float32Array, B: number, rng: Random) => void,
  ) {
    this.#x = new Float32Array(batchSize * data.features);
    this.#labels = new Uint8Array(batchSize);
  }

  step(order: ArrayLike<number>, start: number, B: number, lr: number): number {
    gatherBatch(this.#x, this.#labels, this.data, order, start, B);
    this.augment?.(this.#x, B, this.rng);
    return updateMiniBatch(this.net, this.optimizer, this.#x, this.#labels, B, lr);
  }

  sync(): void {}

  load(): void {}
}

/**
 * Plain SGD with layer 0 computed from the dataset's nonzero pixels: {@linkcode sparseMiniBatch}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SparseStep } from "./step.ts";
 * import { Network } from "./network.ts";
 * import { GradientDescent } from "./optimizers.ts";
 * import { Random } from "./random.ts";
 * import { makeDataset } from "../data/dataset.ts";
 * import { sparseLayer } from "../kernels/simd.ts";
 * import { toSparseRows } from "../kernels/sparse.ts";
 * const data = makeDataset(new Float32Array([1, 0, 0, 1]), new Uint8Array([0, 1]), 2); // x = [1, 0] → 0, [0, 1] → 1
 * const net = new Network({ sizes: [2, 3, 2], activations: "relu" }).init(new Random(0));
 * const w0 = net.layers[0].weight.slice();
 * const step = new SparseStep(net, data, new GradientDescent(), sparseLayer(net.layers[0], toSparseRows(data.x, 2)), 2);
 * const losses = [1, 2, 3, 4].map(() => step.step([0, 1], 0, 2, 0.5));
 * assert.ok(Number.isFinite(losses[0]) && losses[3] < losses[0]);
 * step.sync(); // the network now holds the trained first layer
 * assert.notDeepEqual(net.layers[0].weight, w0);
 * ```
 */
export class SparseStep implements StepStrategy {
  readonly name = "sparse";
  readonly #upper: readonly Parameter[];
  readonly #labels: Uint8Array;

  /**
   * `first`: layer 0 of `net` on the dataset's nonzero pixels (its weights
   * reach `net` on `sync`); `batchSize`: the largest B.
   */
  constructor(
    readonly net: Network,
    readonly data: Dataset,
    readonly optimizer: GradientDescent,
    readonly first: SparseLayer,
    batchSize: number,
  ) {
    this.#upper = net.parameters().filter((p) => p.name !== "layers.0.weight");
    this.#labels = new Uint8Array(batchSize);
  }

  step(order: ArrayLike<number>, start: number, B: number, lr: number): number {
    return sparseMiniBatch(
      this.net,
      this.optimizer,
      this.first,
      this.#upper,
      this.data,
      order,
      start,
      B,
      this.#labels,
      lr,
    );
  }

  sync(): void {
    this.first.sync();
  }

  load(): void {
    this.first.load();
  }
}

/**
 * Plain SGD on a one-hidden-ReLU-layer network, the whole step in WebAssembly ({@linkcode SparseMlp}).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SparseMlpStep } from "./step.ts";
 * import { Network } from "./network.ts";
 * import { Random } from "./random.ts";
 * import { makeDataset } from "../data/dataset.ts";
 * import { sparseMlp } from "../kernels/simd.ts";
 * import { denseRows } from "../kernels/sparse.ts";
 * const data = makeDataset(new Float32Array([1, 0, 0, 1]), new Uint8Array([0, 1]), 2); // x = [1, 0] → 0, [0, 1] → 1
 * const net = new Network({ sizes: [2, 3, 2], activations: "relu" }).init(new Random(0));
 * const whole = sparseMlp(net.layers, net.activationNames, denseRows(data.x, 2), 2);
 * assert.ok(whole !== null); // null only without WebAssembly SIMD
 * const step = new SparseMlpStep(data, whole, 2);
 * const losses = [1, 2, 3, 4].map(() => step.step([0, 1], 0, 2, 0.5));
 * assert.ok(Number.isFinite(losses[0]) && losses[3] < losses[0]);
 * assert.deepEqual([...net.layers[1].bias], [0, 0]); // the weights live in WebAssembly memory …
 * step.sync();
 * assert.notDeepEqual([...net.layers[1].bias], [0, 0]); // … until sync() copies them back
 * step.close();
 * ```
 */
export class SparseMlpStep implements StepStrategy {
  readonly name = "sparse-mlp";
  readonly #labels: Uint8Array;

  /** `whole`: the network's whole step (its weights reach the network on `sync`); `batchSize`: the largest B. */
  constructor(readonly data: Dataset, readonly whole: SparseMlp, batchSize: number) {
    this.#labels = new Uint8Array(batchSize);
  }

  step(order: ArrayLike<number>, start: number, B: number, lr: number): number {
    for (let k = 0; k < B; k++) this.#labels[k] = this.data.labels[order[start + k]];
    return this.whole.step(order, start, B, this.#labels, lr);
  }

  sync(): void {
    this.whole.sync();
  }

  load(): void {
    this.whole.load();
  }

  close(): void {
    this.whole.release?.();
  }
}

/**
 * The step strategy for a run, chosen once. `path`: `"auto"` (default) takes
 * the fastest that applies (see the module table); `"sparse-js"` the sparse
 * path in TypeScript only (plain SGD without decay or augmentation, else the
 * general one); `"dense"` always the TypeScript general path; `"simd"` the
 * WebAssembly general path (`SimdNetwork`) whenever it can run. A layer list
 * (`Sequential`, e.g. a CNN) takes `simd-cnn` (`SimdCnn`) under `"auto"` and
 * `"simd"` when it can run, else the TypeScript general path.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { chooseStep } from "./step.ts";
 * import { Network } from "./network.ts";
 * import { Momentum, GradientDescent } from "./optimizers.ts";
 * import { Random } from "./random.ts";
 * import { makeDataset } from "../data/dataset.ts";
 * const data = makeDataset(new Float32Array(2 * 784), new Uint8Array([0, 1]));
 * const net = new Network({ sizes: [784, 30, 10], activations: "relu" }).init(new Random(0));
 * const rng = new Random(0);
 * assert.equal(chooseStep(net, data, { batchSize: 2, optimizer: new GradientDescent(), rng }).name, "sparse-mlp");
 * assert.equal(chooseStep(net, data, { batchSize: 2, optimizer: new Momentum(0.9), rng }).name, "simd-columns");
 * const augment = () => {};
 * assert.equal(chooseStep(net, data, { batchSize: 2, optimizer: new Momentum(0.9), rng, augment }).name, "simd");
 * assert.equal(chooseStep(net, data, { batchSize: 2, optimizer: new Momentum(0.9), rng, path: "dense" }).name, "general");
 * // plain SGD on two threads: the spec's small steps stay on one, 784-256-10 at batch 32 is shared
 * assert.equal(chooseStep(net, data, { batchSize: 2, optimizer: new GradientDescent(), rng, threads: 2 }).name, "sparse-mlp");
 * const wide = new Network({ sizes: [784, 256, 10], activations: "relu" }).init(new Random(0));
 * const threaded = chooseStep(wide, data, { batchSize: 32, optimizer: new GradientDescent(), rng, threads: 2 });
 * assert.equal(threaded.name, "simd-columns");
 * threaded.close?.();
 * ```
 */
export function chooseStep(net: Classifier, data: Dataset, options: StepOptions): StepStrategy {
  const { batchSize: B, optimizer, rng, augment } = options;
  const path = options.path ?? "auto";
  // any other layer list (a CNN): im2col and the SIMD products, or the general path in TypeScript
  if (!isMlp(net)) {
    const simd = path === "auto" || path === "simd"
      ? simdCnn(net, data, optimizer, B, rng, augment, options.threads ?? 1)
      : null;
    return simd ?? new GeneralStep(net, data, optimizer, B, rng, augment);
  }
  const F = data.features;
  const plainSGD = optimizer instanceof GradientDescent && optimizer.weightDecay === 0 ? optimizer : null;
  const threads = options.threads ?? 1;
  // plain SGD's small steps (the spec) stay on its one-thread path; its larger steps (784-256-10 at batch 32) are faster on simd-columns, on one thread or several
  const large = path === "auto" && net.layers[0].outputs * B >= THREADED_SGD_MIN;
  if (
    F === net.inputSize && plainSGD !== null && augment === undefined && !large &&
    (path === "auto" || path === "sparse-js")
  ) {
    if (path === "auto") {
      // the spec's path lists the pixels straight into its memory
      const whole = sparseMlp(net.layers, net.activationNames, denseRows(data.x, F), B);
      if (whole !== null) return new SparseMlpStep(data, whole, B);
    }
    const first = sparseLayer(net.layers[0], toSparseRows(data.x, F), path === "auto" ? "wasm-simd" : "js");
    return new SparseStep(net, data, plainSGD, first, B);
  }
  if (path === "auto" && augment === undefined) {
    const columns = simdColumns(net, data, optimizer, B, threads);
    if (columns !== null) return columns;
  }
  if (path === "auto" || path === "simd") {
    const simd = simdNetwork(net, data, optimizer, B, rng, augment, threads);
    if (simd !== null) return simd;
  }
  return new GeneralStep(net, data, optimizer, B, rng, augment);
}
