/**
 * The training loop: stochastic gradient descent over shuffled minibatches.
 *
 * Each epoch shuffles the training set, cuts it into minibatches of B examples
 * and, for each minibatch, runs backprop to get the gradient of the batch's
 * mean loss, ∇L = (1/B) Σ ∇Lᵢ, then lets the optimiser step:
 * w ← w − η ∇L for plain SGD.
 *
 * The loop is one loop. How a step is computed (TypeScript backprop, the
 * sparse first layer, WebAssembly SIMD matrix products) is a
 * {@linkcode StepStrategy} chosen once per run by `chooseStep` in `step.ts`;
 * all of them give the same step up to float rounding
 * (`tests/kernels/sparse_train_test.ts`, `tests/kernels/simd_network_test.ts`).
 *
 * @module
 */

import type { Dataset } from "../data/dataset.ts";
import { type Classifier, requireFittingData } from "./classifier.ts";
import { GradientDescent, type Optimizer } from "./optimizers.ts";
import type { Random } from "./random.ts";
import { chooseStep, type StepPath, type StepStrategy } from "./step.ts";

/** What happened in one epoch. */
export interface EpochStats {
  /** 1-based epoch number. */
  epoch: number;
  /** Mean loss per example over the epoch: each minibatch's mean loss weighted by its size (the last may be smaller). */
  loss: number;
  /** The learning rate used in the epoch. */
  lr: number;
  /** Wall-clock seconds of the epoch's training steps (not of any evaluation). */
  seconds: number;
}

/** How to train. */
export interface TrainOptions {
  /** Passes over the whole dataset. */
  epochs: number;
  /** Examples per minibatch, capped at the dataset's size; an epoch's last minibatch may be smaller. */
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
   * Which path computes the steps (`chooseStep` in `step.ts`): `"auto"`
   * (default) the fastest that applies; `"sparse-js"` the sparse path in
   * TypeScript only; `"dense"` always the TypeScript general path; `"simd"`
   * the WebAssembly general path. Off the TypeScript general path the
   * gradients (`grad`) are not filled (except by `simd-cnn`, whose optimiser
   * step is `optimizer.step` in TypeScript), and the weights the kernels hold are
   * written back to the network at the end of each epoch when there is an
   * `onEpoch` (before it is called), else at the end of training; not after
   * every minibatch.
   */
  path?: StepPath;
  /**
   * Threads computing each step (default 1), as Web Workers started once per
   * run: on `simd-columns` (one hidden layer, no augmentation) the threads
   * share the hidden layer's column panels; on the SIMD general path
   * (`simd`) they share each step by examples for the forward pass and δ,
   * then by weight rows for the gradient and the optimiser. On both every
   * element's arithmetic is the same whichever thread computes it, so a seed
   * gives the same model bytes on any number of threads. Plain SGD leaves
   * its one-thread `sparse-mlp` path for them when the step is large enough
   * (`THREADED_SGD_MIN` in `step.ts`; `sparse-mlp`'s bytes differ from
   * theirs by float32 rounding). A convolutional network on `simd-cnn` splits
   * each step's examples between the threads and sums their gradients in a
   * fixed order (the same bytes for a seed and a thread count). The other
   * paths run on one thread.
   */
  threads?: number;
  /**
   * Called once before the first step with the step strategy chosen for the
   * run (see `step.ts`) and the threads it computes each step on: fewer than
   * `threads` when the strategy has fewer items per step (`sparse-mlp` has
   * one), so a caller can say and record what ran.
   */
  onStart?: (run: { strategy: StepStrategy["name"]; threads: number }) => void;
}

/**
 * Thrown when the loss stops being a finite number.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SGD, TrainingDivergedError } from "./train.ts";
 * import { Network } from "./network.ts";
 * import { Random } from "./random.ts";
 * import { makeDataset } from "../data/dataset.ts";
 * const data = makeDataset(new Float32Array([0.1, 0.9]), new Uint8Array([0, 1]), 1);
 * const net = new Network({ sizes: [1, 2], activations: [] }).init(new Random(0));
 * // a learning rate of 1e30 overflows the weights at once
 * assert.throws(() => SGD(net, data, { epochs: 5, batchSize: 1, lr: 1e30, rng: new Random(0) }), TrainingDivergedError);
 * ```
 */
export class TrainingDivergedError extends Error {
  /** `epoch`: the 1-based epoch in which `loss`, a minibatch's mean loss, stopped being finite. */
  constructor(readonly epoch: number, readonly loss: number) {
    super(
      `training diverged in epoch ${epoch}: the loss became ${loss} (try a smaller learning rate)`,
    );
    this.name = "TrainingDivergedError";
  }
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
export function SGD(net: Classifier, data: Dataset, options: TrainOptions): EpochStats[] {
  checkTraining(net, data, options);
  const { epochs, rng } = options;
  const B = Math.min(options.batchSize, data.n); // buffers sized by the data: a batch is at most all of it
  const optimizer = options.optimizer ?? new GradientDescent();
  const learningRate = typeof options.lr === "number" ? () => options.lr as number : options.lr;
  const order = new Uint32Array(data.n);
  for (let i = 0; i < data.n; i++) order[i] = i;
  const history: EpochStats[] = [];

  // The strategy's set-up (listing the nonzero inputs, copying weights to WebAssembly) counts as epoch 1.
  const setupStarted = performance.now();
  const strategy: StepStrategy = chooseStep(net, data, {
    batchSize: B,
    optimizer,
    rng,
    augment: options.augment,
    path: options.path,
    threads: options.threads,
  });

  // Whether the strategy holds steps that the network's weights do not have yet.
  let unsynced = false;
  try {
    options.onStart?.({ strategy: strategy.name, threads: strategy.threads ?? 1 });
    for (let epoch = 1; epoch <= epochs; epoch++) {
      const lr = learningRate(epoch - 1);
      const started = epoch === 1 ? setupStarted : performance.now();
      rng.shuffle(order);
      let lossSum = 0;
      for (let start = 0; start < data.n; start += B) {
        const b = Math.min(B, data.n - start);
        const loss = strategy.step(order, start, b, lr);
        unsynced = true;
        if (!Number.isFinite(loss)) throw new TrainingDivergedError(epoch, loss);
        lossSum += loss * b;
        options.onBatch?.(start + b, data.n);
      }
      // the strategy's weights go back to the network when someone can look at them: in onEpoch, or at the end
      if (options.onEpoch !== undefined || epoch === epochs) {
        strategy.sync();
        unsynced = false;
      }
      const stats = { epoch, loss: lossSum / data.n, lr, seconds: (performance.now() - started) / 1000 };
      history.push(stats);
      if (options.onEpoch !== undefined) {
        if (options.onEpoch(stats) === "stop") break;
        strategy.load(); // onEpoch may have changed the weights
      }
    }
  } finally {
    if (unsynced) strategy.sync(); // e.g. when the loss diverged in mid-epoch
    strategy.close?.();
  }
  return history;
}

/** {@linkcode SGD}'s arguments checked, each fault a RangeError of one sentence (before any work). */
function checkTraining(net: Classifier, data: Dataset, options: TrainOptions): void {
  const fail = (what: string): never => {
    throw new RangeError(`SGD: ${what}`);
  };
  if (data.n === 0) fail("the dataset holds no example");
  requireFittingData("SGD", net, data);
  const { batchSize, epochs, lr, threads } = options;
  if (!(Number.isInteger(batchSize) && batchSize >= 1)) fail(`batchSize must be a whole number ≥ 1, got ${batchSize}`);
  if (!(Number.isInteger(epochs) && epochs >= 0)) fail(`epochs must be a whole number ≥ 0, got ${epochs}`);
  if (typeof lr === "number" && !(lr > 0 && Number.isFinite(lr))) fail(`lr must be a finite number > 0, got ${lr}`);
  if (threads !== undefined && !(Number.isInteger(threads) && threads >= 1)) {
    fail(`threads must be a whole number ≥ 1, got ${threads}`);
  }
}
