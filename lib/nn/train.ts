/**
 * The training loop: stochastic gradient descent over shuffled minibatches.
 *
 * Each epoch shuffles the training set, cuts it into minibatches of B examples
 * and, for each minibatch, runs backprop to get the gradient of the batch's
 * mean loss, ∇L = (1/B) Σ ∇Lᵢ, then lets the optimiser step:
 * w ← w − η ∇L for plain SGD.
 *
 * Two paths compute that step:
 *
 * - the general one ({@linkcode updateMiniBatch}): copy the batch into a dense
 *   buffer x [B, 784], backprop, then `optimizer.step` on every parameter;
 * - the sparse one ({@linkcode sparseMiniBatch}), taken for plain gradient
 *   descent without weight decay or augmentation, i.e. for the spec. The
 *   first layer (784 × H) is most of the work, and 81% of its inputs are 0.
 *   The examples' nonzero pixels are listed once before the first epoch
 *   (`sparse.ts`); each step then computes layer 0 from those lists only and
 *   applies W⁰ ← W⁰ − η Σ_b x_bᵀ δ⁰_b straight into the weights, row by
 *   nonzero row, after all of the batch's δ⁰ were computed with the old
 *   weights, so no dense ∂L/∂W⁰ is ever filled, zeroed or read. Layer 0 runs
 *   on WebAssembly SIMD (`simd.ts`) when it can. The other layers take the
 *   general route, except for a network with one hidden ReLU layer (the
 *   spec's 784-30-10) on WebAssembly, whose whole step runs in two kernel
 *   calls around the softmax (`SparseMlp` in `simd.ts`). Both paths give the
 *   same step up to float rounding (`tests/sparse_train_test.ts`).
 *
 * @module
 */

import { type Dataset, gatherBatch } from "../data/dataset.ts";
import { denseBiasBackward } from "./dense.ts";
import type { Network, Parameter } from "./network.ts";
import { GradientDescent, type Optimizer } from "./optimizers.ts";
import type { Random } from "./random.ts";
import { type SparseLayer, sparseLayer, type SparseMlp, sparseMlp } from "../kernels/simd.ts";
import { toSparseRows } from "../kernels/sparse.ts";

/** What happened in one epoch. */
export interface EpochStats {
  /** 1-based epoch number. */
  epoch: number;
  /** Mean of the minibatch losses seen during the epoch. */
  loss: number;
  /** The learning rate used in the epoch. */
  lr: number;
  /** Wall-clock seconds of the epoch's training steps (not of any evaluation). */
  seconds: number;
}

/** How to train. */
export interface TrainOptions {
  epochs: number;
  batchSize: number;
  /** Learning rate η, or a function of the 0-based epoch giving it (a schedule). */
  lr: number | ((epoch: number) => number);
  /** Shuffles the examples each epoch (and drives augmentation). */
  rng: Random;
  /** Plain gradient descent unless given. */
  optimizer?: Optimizer;
  /** Changes a gathered minibatch x[B, features] in place before the step (data augmentation). */
  augment?: (x: Float32Array, B: number, rng: Random) => void;
  /** Called after each minibatch with the examples done so far in the epoch. */
  onBatch?: (done: number, total: number) => void;
  /** Called after each epoch; returning `"stop"` ends training early. */
  onEpoch?: (stats: EpochStats) => void | "stop";
  /**
   * Which path computes the steps (see the module notes): `"auto"` (default)
   * takes the sparse path when it applies, with WebAssembly SIMD when
   * available; `"sparse-js"` the sparse path in TypeScript only; `"dense"`
   * always the general path. Other optimisers, weight decay and augmentation
   * always take the general path. On the sparse path layer 0's `gradWeight` is
   * not filled (for one hidden ReLU layer on WebAssembly, no `grad` is), and
   * the weights the kernels hold are written back to the network at the end of
   * each epoch when there is an `onEpoch` (before it is called), else at the
   * end of training; not after every minibatch.
   */
  path?: "auto" | "sparse-js" | "dense";
}

/** Thrown when the loss stops being a finite number. */
export class TrainingDivergedError extends Error {
  constructor(readonly epoch: number, readonly loss: number) {
    super(
      `training diverged in epoch ${epoch}: the loss became ${loss} (try a smaller learning rate)`,
    );
    this.name = "TrainingDivergedError";
  }
}

/**
 * One step of gradient descent on one minibatch x[B, features] with its
 * labels: backprop fills the gradients, the optimiser applies them.
 * Returns the minibatch's mean loss (before the step).
 */
export function updateMiniBatch(
  net: Network,
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
 * Trains `net` on `data` by minibatch stochastic gradient descent and returns
 * the statistics of every epoch. Throws {@linkcode TrainingDivergedError} as
 * soon as a minibatch loss is NaN or infinite.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SGD } from "./train.ts";
 * import { Network } from "./network.ts";
 * import { Random } from "./random.ts";
 * import { makeDataset } from "../data/dataset.ts";
 * // two one-pixel "images": class 0 is dark, class 1 is bright
 * const data = makeDataset(new Float32Array([0.1, 0.9]), new Uint8Array([0, 1]), 1);
 * const net = new Network({ sizes: [1, 4, 2], activations: "tanh" }).init(new Random(3));
 * const history = SGD(net, data, { epochs: 200, batchSize: 2, lr: 0.5, rng: new Random(3) });
 * assert.ok(history[199].loss < history[0].loss);
 * ```
 */
export function SGD(net: Network, data: Dataset, options: TrainOptions): EpochStats[] {
  const { epochs, rng } = options;
  const B = Math.max(1, Math.min(options.batchSize, data.n)); // buffers sized by the data: a batch is at most all of it
  const F = data.features;
  const optimizer = options.optimizer ?? new GradientDescent();
  const learningRate = typeof options.lr === "number" ? () => options.lr as number : options.lr;
  const batchX = new Float32Array(B * F);
  const batchLabels = new Uint8Array(B);
  const order = new Uint32Array(data.n);
  for (let i = 0; i < data.n; i++) order[i] = i;
  const history: EpochStats[] = [];

  // The sparse path's set-up (listing the nonzero inputs, copying W⁰) counts as training time of epoch 1.
  const setupStarted = performance.now();
  const path = options.path ?? "auto";
  const plainSGD = optimizer instanceof GradientDescent && optimizer.weightDecay === 0 ? optimizer : null;
  const sparse = path !== "dense" && plainSGD !== null && options.augment === undefined && F === net.inputSize;
  const rows = sparse ? toSparseRows(data.x, F) : null;
  // one hidden ReLU layer on WebAssembly: the whole step in two kernel calls; otherwise layer 0 alone
  const whole: SparseMlp | null = rows !== null && path === "auto"
    ? sparseMlp(net.layers, net.activationNames, rows, B)
    : null;
  const first: SparseLayer | null = rows !== null && whole === null
    ? sparseLayer(net.layers[0], rows, path === "auto" ? "wasm-simd" : "js")
    : null;
  const kernel = whole ?? first;
  const upper = net.parameters().filter((p) => p.name !== "layers.0.weight");

  // Whether layer 0's kernel holds steps that the network's weights do not have yet.
  let unsynced = false;
  try {
    for (let epoch = 1; epoch <= epochs; epoch++) {
      const lr = learningRate(epoch - 1);
      const started = epoch === 1 ? setupStarted : performance.now();
      rng.shuffle(order);
      let lossSum = 0;
      for (let start = 0; start < data.n; start += B) {
        const b = Math.min(B, data.n - start);
        let loss: number;
        if (whole !== null) {
          for (let k = 0; k < b; k++) batchLabels[k] = data.labels[order[start + k]];
          loss = whole.step(order, start, b, batchLabels, lr);
          unsynced = true;
        } else if (first !== null && plainSGD !== null) {
          loss = sparseMiniBatch(net, plainSGD, first, upper, data, order, start, b, batchLabels, lr);
          unsynced = true;
        } else {
          gatherBatch(batchX, batchLabels, data, order, start, b);
          options.augment?.(batchX, b, rng);
          loss = updateMiniBatch(net, optimizer, batchX, batchLabels, b, lr);
        }
        if (!Number.isFinite(loss)) throw new TrainingDivergedError(epoch, loss);
        lossSum += loss * b;
        options.onBatch?.(start + b, data.n);
      }
      // the kernel's weights go back to the network when someone can look at them: in onEpoch, or at the end
      if (options.onEpoch !== undefined || epoch === epochs) {
        kernel?.sync();
        unsynced = false;
      }
      const stats = { epoch, loss: lossSum / data.n, lr, seconds: (performance.now() - started) / 1000 };
      history.push(stats);
      if (options.onEpoch !== undefined) {
        if (options.onEpoch(stats) === "stop") break;
        kernel?.load(); // onEpoch may have changed the weights
      }
    }
  } finally {
    if (unsynced) kernel?.sync(); // e.g. when the loss diverged in mid-epoch
  }
  return history;
}
