/**
 * The general training path on WebAssembly SIMD: any float32 network of dense
 * layers, any of the three optimisers, weight decay and augmentation, on one
 * thread or several.
 *
 * Per minibatch x [B, I] (gathered, then augmented, in WebAssembly memory),
 * each thread ("lane") takes a contiguous slice of the rows and computes the
 * gradient of its share of the batch's mean loss:
 *
 *   nonzero pixels of its rows               (row offset, value) pairs      `listNonzero`, branch-free
 *   z⁰ = x · W⁰ + b⁰                          `sparseGemm` (or `gemm` when x is dense)
 *   zˡ = aˡ⁻¹ · Wˡ + bˡ, aˡ = f(zˡ)            `gemm`; f: `relu`, or TypeScript for tanh and sigmoid
 *   P = softmax(zᴸ), δᴸ = (P − Y) / B          `loss.ts` (B: the whole batch)
 *   ∂L/∂bˡ = Σ_b δˡ                            `sumRows`
 *   ∂L/∂Wˡ = (aˡ⁻¹)ᵀ · δˡ                     `gemm` with A transposed through its strides
 *   ∂L/∂W⁰ = xᵀ · δ⁰                          `listNonzeroColumns`, `sparseGemmTNColumns`: each row of a pixel
 *                                             nonzero in the slice computed in registers and written once;
 *                                             the rows of pixels zero in every row stay 0
 *   δˡ⁻¹ = (δˡ · Wˡᵀ) ⊙ f′                     `gemmNT`; f′: `reluBackward`, or TypeScript
 *
 * then the main thread adds the lanes' gradients in lane order
 * (`addAndClear`), so that a seed and a thread count always give the same
 * bytes, and applies the optimiser (`sgdStep` / `momentumStep` / `adamStep`,
 * which also zero the gradient). Lanes 1 … T−1 are Web Workers
 * (`simd_worker.ts`) started once per run, sharing one WebAssembly memory;
 * they wait on and signal through `Atomics` in that memory.
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
import { Dense } from "../nn/dense.ts";
import type { Activation, ActivationName } from "../nn/activations.ts";
import { crossEntropyLoss, softmaxForward } from "../nn/loss.ts";
import { Adam, GradientDescent, Momentum, type Optimizer } from "../nn/optimizers.ts";
import type { Random } from "../nn/random.ts";
import type { Floats } from "../nn/tensor.ts";
import type { StepStrategy } from "../nn/step.ts";
import { MemoryPlan, sharedSimdKernels, type SimdKernels, simdKernels } from "./gemm.ts";

/** Byte addresses of one layer's weights and optimiser state; I inputs, O outputs padded to Op. */
export interface LayerRegions {
  I: number;
  O: number;
  Op: number;
  weight: number; // [I, Op]
  bias: number; // [Op]
  state: number[]; // optimiser state: per slot, [I·Op] for the weight then [Op] for the bias
}

/** Byte addresses of one lane's working set (per layer l: out, delta [rows, Op], ∂L/∂W [I, Op], ∂L/∂b [Op]). */
export interface LaneRegions {
  entries: number;
  starts: number;
  pairs: number;
  columns: number;
  out: number[];
  delta: number[];
  gradWeight: number[];
  gradBias: number[];
}

/** Where everything lives in the memory. */
export interface SimdPlan {
  bytes: number;
  batchSize: number;
  /** Most rows a lane gets: ⌈batchSize / lanes⌉. */
  laneRows: number;
  inputs: number;
  classes: number;
  layers: LayerRegions[];
  lanes: LaneRegions[];
  x: number; // [B, I] the minibatch
  labels: number; // int32 [B]
  zero: number; // zeros [max Op]
  control: number; // int32 [CONTROL + 4 lanes]: see the worker protocol
  losses: number; // float64 [lanes]: each lane's loss sum
}

/** The worker protocol: int32 slots of the control region. */
export const CONTROL = { generation: 0, command: 1, batch: 2, ready: 3, lane: 4 } as const;
/** Commands in `CONTROL.command`. */
export const COMMAND = { step: 1, stop: 2 } as const;
/** Per lane t, from CONTROL.lane + 4t: first row, rows, the generation done (−1: failed). */
export const laneSlot = (t: number, field: 0 | 1 | 2) => CONTROL.lane + 4 * t + field;

/** Above this share of nonzero inputs, layer 0 runs as a dense product. */
const SPARSE_BELOW = 0.5;

const pad8 = (n: number) => Math.ceil(n / 8) * 8;

/** The memory plan for `net` at batch size `batchSize`, `slots` optimiser state arrays per parameter, `lanes` threads. */
export function simdPlan(net: Network, batchSize: number, slots: number, lanes: number): SimdPlan {
  const p = new MemoryPlan();
  const B = batchSize, I0 = net.inputSize, rows = Math.ceil(B / lanes);
  const layers = net.layers.map((layer): LayerRegions => {
    const I = layer.inputs, O = layer.outputs, Op = pad8(O);
    return {
      I,
      O,
      Op,
      weight: p.region(I * Op),
      bias: p.region(Op),
      state: Array.from({ length: slots }, () => {
        const at = p.region(I * Op);
        p.region(Op);
        return at;
      }),
    };
  });
  const laneRegions = Array.from({ length: lanes }, (): LaneRegions => ({
    entries: p.region(2 * rows * I0 + 2),
    starts: p.region(rows + 1),
    pairs: p.region(2 * rows * I0 + 2),
    columns: p.region(3 * I0),
    out: layers.map((l) => p.region(rows * l.Op)),
    delta: layers.map((l) => p.region(rows * l.Op)),
    gradWeight: layers.map((l) => p.region(l.I * l.Op)),
    gradBias: layers.map((l) => p.region(l.Op)),
  }));
  return {
    batchSize: B,
    laneRows: rows,
    inputs: I0,
    classes: net.outputSize,
    layers,
    lanes: laneRegions,
    x: p.region(B * I0),
    labels: p.region(B),
    zero: p.region(Math.max(...layers.map((l) => l.Op))),
    control: p.region(CONTROL.lane + 4 * lanes),
    losses: p.region(2 * lanes),
    bytes: p.bytes,
  };
}

/** Scratch arrays of one thread for the softmax. */
export interface LaneScratch {
  probs: Float32Array;
  logits: Float32Array;
}

/** A thread's softmax scratch for `plan`. */
export function laneScratch(plan: SimdPlan): LaneScratch {
  return {
    probs: new Float32Array(plan.laneRows * plan.classes),
    logits: new Float32Array(plan.laneRows * plan.classes),
  };
}

/**
 * One lane's share of a step: forward and backward over the `rows` rows from
 * row `first` of the minibatch in memory, as part of a batch of B; leaves
 * ∂(Σ of these rows' losses / B)/∂w in the lane's gradients (layer 0's added
 * to what is there, which must be 0) and returns the rows' loss sum.
 */
export function laneGradient(
  k: SimdKernels,
  plan: SimdPlan,
  t: number,
  activations: readonly Activation[],
  first: number,
  rows: number,
  B: number,
  scratch: LaneScratch,
): number {
  const e = k.exports, f32 = k.f32;
  const lane = plan.lanes[t], layers = plan.layers, L = layers.length, I0 = plan.inputs;
  const x = plan.x + 4 * first * I0;
  const labels = k.i32.subarray(plan.labels / 4 + first, plan.labels / 4 + first + rows);

  // the nonzero pixels of each row: (byte offset of its weight row, value) pairs
  const layer0 = layers[0], rowBytes = 4 * layer0.Op;
  const nonzero = e.listNonzero(x, rows, I0, rowBytes, lane.entries, lane.starts);
  const sparse = nonzero < SPARSE_BELOW * rows * I0;

  // forward
  if (sparse) e.sparseGemm(lane.out[0], rowBytes, layer0.weight, layer0.bias, layer0.Op, lane.starts, rows);
  else e.gemm(lane.out[0], rowBytes, x, 4 * I0, 4, layer0.weight, rowBytes, layer0.bias, rows, layer0.Op, I0, 0);
  for (let l = 0; l < L; l++) {
    const layer = layers[l];
    if (l > 0) {
      const Op = layer.Op, below = layers[l - 1].Op;
      e.gemm(
        lane.out[l],
        4 * Op,
        lane.out[l - 1],
        4 * below,
        4,
        layer.weight,
        4 * Op,
        layer.bias,
        rows,
        Op,
        layer.I,
        0,
      );
    }
    if (l === L - 1) break;
    if (activations[l].name === "relu") e.relu(lane.out[l], rows * layer.Op);
    else {
      const out = k.view(lane.out[l], rows * layer.Op);
      activations[l].forward(out, out, rows * layer.Op);
    }
  }

  // softmax and cross-entropy on the logits [rows, C]; δᴸ = (P − Y) / B into the top delta (padding stays 0)
  const top = layers[L - 1], C = top.O, Op = top.Op, { probs, logits } = scratch;
  const outTop = lane.out[L - 1] / 4, deltaTop = lane.delta[L - 1] / 4;
  for (let b = 0; b < rows; b++) for (let c = 0; c < C; c++) logits[b * C + c] = f32[outTop + b * Op + c];
  softmaxForward(probs, logits, rows, C);
  const lossSum = crossEntropyLoss(probs, labels, rows, C) * rows;
  const scale = 1 / B;
  for (let b = 0; b < rows; b++) {
    for (let c = 0; c < C; c++) f32[deltaTop + b * Op + c] = probs[b * C + c] * scale;
    f32[deltaTop + b * Op + labels[b]] -= scale;
  }

  // backward
  for (let l = L - 1; l >= 0; l--) {
    const layer = layers[l], Op = layer.Op;
    e.sumRows(lane.gradBias[l], lane.delta[l], 4 * Op, rows, Op); // ∂L/∂b = Σ_b δ
    if (l === 0) {
      // ∂L/∂W⁰ is 0 here: write the rows of the pixels nonzero in some row, one row at a time, or all densely
      if (sparse) {
        const n = e.listNonzeroColumns(x, rows, I0, 4 * Op, 4 * Op, lane.pairs, lane.columns);
        e.sparseGemmTNColumns(lane.gradWeight[0], lane.delta[0], Op, lane.columns, n);
      } else e.gemm(lane.gradWeight[0], 4 * Op, x, 4, 4 * I0, lane.delta[0], 4 * Op, plan.zero, I0, Op, rows, 0);
      break;
    }
    const below = layers[l - 1].Op;
    // ∂L/∂Wˡ [I, Op] = (aˡ⁻¹)ᵀ · δˡ: A(i, b) = aˡ⁻¹[b, i]
    e.gemm(
      lane.gradWeight[l],
      4 * Op,
      lane.out[l - 1],
      4,
      4 * below,
      lane.delta[l],
      4 * Op,
      plan.zero,
      layer.I,
      Op,
      rows,
      0,
    );
    // δˡ⁻¹ [rows, I] = δˡ · Wˡᵀ, then ⊙ f′ (the padding columns of δˡ⁻¹ are never written: they stay 0)
    e.gemmNT(lane.delta[l - 1], 4 * below, lane.delta[l], 4 * Op, layer.weight, 4 * Op, rows, layer.I, Op);
    if (activations[l - 1].name === "relu") e.reluBackward(lane.delta[l - 1], lane.out[l - 1], rows * below);
    else {
      const d = k.view(lane.delta[l - 1], rows * below);
      activations[l - 1].backward(d, d, k.view(lane.out[l - 1], rows * below), rows * below);
    }
  }
  return lossSum;
}

/** How long the main thread waits for a worker's step before giving up (ms). */
const WORKER_TIMEOUT_MS = 60_000;
/** How long it waits for the workers to start (ms); then it trains on one thread. */
const WORKER_START_MS = 20_000;

/**
 * A {@linkcode StepStrategy} running the whole step on the SIMD kernels of
 * `gemm.ts`, on `threads` threads; see the module notes. Use
 * {@linkcode simdNetwork}.
 */
export class SimdNetwork implements StepStrategy {
  readonly name = "simd";
  readonly #k: SimdKernels;
  readonly #plan: SimdPlan;
  readonly #xView: Float32Array;
  readonly #labels: Uint8Array;
  readonly #scratch: LaneScratch;
  readonly #workers: Worker[];
  readonly #control: Int32Array;
  readonly #losses: Float64Array;
  #generation = 0;
  #t = 0;

  constructor(
    kernels: SimdKernels,
    plan: SimdPlan,
    readonly net: Network,
    readonly data: Dataset,
    readonly optimizer: Optimizer,
    readonly rng: Random,
    readonly augment?: (x: Float32Array, B: number, rng: Random) => void,
    workers: Worker[] = [],
  ) {
    this.#k = kernels;
    this.#plan = plan;
    this.#xView = kernels.view(plan.x, plan.batchSize * net.inputSize);
    this.#labels = new Uint8Array(plan.batchSize);
    this.#scratch = laneScratch(plan);
    this.#workers = workers;
    this.#control = new Int32Array(kernels.memory.buffer, plan.control, CONTROL.lane + 4 * plan.lanes.length);
    this.#losses = new Float64Array(kernels.memory.buffer, plan.losses, plan.lanes.length);
    this.load();
  }

  /** The number of threads computing each step. */
  get threads(): number {
    return this.#plan.lanes.length;
  }

  step(order: ArrayLike<number>, start: number, B: number, lr: number): number {
    const k = this.#k, plan = this.#plan, T = plan.lanes.length, ctl = this.#control;
    gatherBatch(this.#xView, this.#labels, this.data, order, start, B);
    this.augment?.(this.#xView, B, this.rng);
    k.i32.set(this.#labels.subarray(0, B), plan.labels / 4);

    // lane t takes rows [⌊tB/T⌋, ⌊(t+1)B/T⌋); lanes 1 … T−1 run in the workers while lane 0 runs here
    const firstRow = (t: number) => Math.floor(t * B / T);
    if (T > 1) {
      for (let t = 1; t < T; t++) {
        ctl[laneSlot(t, 0)] = firstRow(t);
        ctl[laneSlot(t, 1)] = firstRow(t + 1) - firstRow(t);
      }
      ctl[CONTROL.batch] = B;
      ctl[CONTROL.command] = COMMAND.step;
      Atomics.store(ctl, CONTROL.generation, ++this.#generation);
      Atomics.notify(ctl, CONTROL.generation);
    }
    const activations = this.net.activations;
    let lossSum = laneGradient(k, plan, 0, activations, 0, firstRow(1), B, this.#scratch);
    for (let t = 1; t < T; t++) {
      this.#await(t);
      if (firstRow(t + 1) === firstRow(t)) continue;
      lossSum += this.#losses[t];
      // the lanes' gradients summed in lane order: the same bytes for the same seed and thread count
      const lane0 = plan.lanes[0], lane = plan.lanes[t];
      plan.layers.forEach((layer, l) => {
        k.exports.addAndClear(lane0.gradWeight[l], lane.gradWeight[l], layer.I * layer.Op);
        k.exports.addAndClear(lane0.gradBias[l], lane.gradBias[l], layer.Op);
      });
    }

    // the optimiser, one call per tensor (weights with decay, biases without)
    const opt = this.optimizer as GradientDescent | Momentum | Adam;
    if (opt instanceof Adam) this.#t++;
    const lane0 = plan.lanes[0];
    plan.layers.forEach((layer, l) => {
      const biasState = stateBiasOffset(layer);
      this.#update(layer.weight, lane0.gradWeight[l], layer.state, layer.I * layer.Op, lr, opt.weightDecay);
      this.#update(layer.bias, lane0.gradBias[l], layer.state.map((at) => at + biasState), layer.Op, lr, 0);
    });
    return lossSum / B;
  }

  /** Blocks until worker lane t has finished the current generation. */
  #await(t: number): void {
    const ctl = this.#control, slot = laneSlot(t, 2);
    const deadline = performance.now() + WORKER_TIMEOUT_MS;
    for (;;) {
      const done = Atomics.load(ctl, slot);
      if (done === this.#generation) return;
      if (done === -1) throw new Error(`training thread ${t} failed`);
      if (performance.now() > deadline) throw new Error(`training thread ${t} did not answer`);
      Atomics.wait(ctl, slot, done, 1000);
    }
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
      const r = this.#plan.layers[l];
      const put = (at: number, src: Floats, rows: number, cols: number) => {
        const base = at / 4;
        for (let i = 0; i < rows; i++) for (let o = 0; o < cols; o++) f32[base + i * r.Op + o] = src[i * cols + o];
      };
      put(r.weight, dense.weight, r.I, r.O);
      put(r.bias, dense.bias, 1, r.O);
      const wState = this.#stateOf(dense.weight), bState = this.#stateOf(dense.bias);
      r.state.forEach((at, s) => {
        put(at, wState[s], r.I, r.O);
        put(at + stateBiasOffset(r), bState[s], 1, r.O);
      });
    });
    if (this.optimizer instanceof Adam) this.#t = this.optimizer.steps;
  }

  sync(): void {
    const f32 = this.#k.f32;
    this.net.layers.forEach((dense, l) => {
      const r = this.#plan.layers[l];
      const get = (dst: Floats, at: number, rows: number, cols: number) => {
        const base = at / 4;
        for (let i = 0; i < rows; i++) for (let o = 0; o < cols; o++) dst[i * cols + o] = f32[base + i * r.Op + o];
      };
      get(dense.weight, r.weight, r.I, r.O);
      get(dense.bias, r.bias, 1, r.O);
      const wState = this.#stateOf(dense.weight), bState = this.#stateOf(dense.bias);
      r.state.forEach((at, s) => {
        get(wState[s], at, r.I, r.O);
        get(bState[s], at + stateBiasOffset(r), 1, r.O);
      });
    });
    if (this.optimizer instanceof Adam) this.optimizer.steps = this.#t;
  }

  /** Stops the worker threads (once the run is over). */
  close(): void {
    if (this.#workers.length === 0) return;
    const ctl = this.#control;
    ctl[CONTROL.command] = COMMAND.stop;
    Atomics.store(ctl, CONTROL.generation, ++this.#generation);
    Atomics.notify(ctl, CONTROL.generation);
    for (const worker of this.#workers) worker.terminate();
    this.#workers.length = 0;
  }
}

/** Bytes from a state slot's weight part to its bias part (the weight part rounded up to 32 bytes). */
function stateBiasOffset(layer: LayerRegions): number {
  return Math.ceil((layer.I * layer.Op) / 8) * 32;
}

/** What a worker gets when it starts. */
export interface WorkerInit {
  memory: WebAssembly.Memory;
  plan: SimdPlan;
  lane: number;
  activations: ActivationName[];
}

/** Starts the workers of lanes 1 … T−1 and waits until each is ready; null if one is not within the time-out. */
function startWorkers(kernels: SimdKernels, plan: SimdPlan, activations: ActivationName[]): Worker[] | null {
  const ctl = new Int32Array(kernels.memory.buffer, plan.control, CONTROL.lane + 4 * plan.lanes.length);
  const workers: Worker[] = [];
  for (let t = 1; t < plan.lanes.length; t++) {
    const worker = new Worker(new URL("./simd_worker.ts", import.meta.url).href, { type: "module" });
    const init: WorkerInit = { memory: kernels.memory, plan, lane: t, activations };
    worker.postMessage(init);
    workers.push(worker);
  }
  const deadline = performance.now() + WORKER_START_MS;
  for (;;) {
    const ready = Atomics.load(ctl, CONTROL.ready);
    if (ready === workers.length) return workers;
    if (ready < 0 || performance.now() > deadline) break;
    Atomics.wait(ctl, CONTROL.ready, ready, 1000);
  }
  for (const worker of workers) worker.terminate();
  return null;
}

/**
 * The WebAssembly general path for `net` on `threads` threads (1: this one
 * only), or null when it cannot run: a float64 network, an optimiser other
 * than the three of `optimizers.ts`, layers other than dense ones, inputs that are not the network's width,
 * no WebAssembly SIMD, more than 1 GiB of memory. With threads > 1 where
 * shared memory or workers are missing, it runs on one thread.
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
  threads = 1,
): SimdNetwork | null {
  if (net.dtype !== "float32" || data.features !== net.inputSize) return null;
  // dense layers with an activation between each two: other layer kinds take another path
  if (!net.layers.every((layer) => layer instanceof Dense) || net.activations.length !== net.layers.length - 1) {
    return null;
  }
  const slots = optimizer instanceof Adam ? 2 : optimizer instanceof Momentum ? 1 : 0;
  if (slots === 0 && !(optimizer instanceof GradientDescent)) return null;
  const lanes = Math.max(1, Math.min(Math.floor(threads), batchSize));
  if (lanes > 1 && typeof Worker === "function") {
    const plan = simdPlan(net, batchSize, slots, lanes);
    const kernels = sharedSimdKernels(plan.bytes);
    const workers = kernels === null ? null : startWorkers(kernels, plan, net.activationNames);
    if (kernels !== null && workers !== null) {
      return new SimdNetwork(kernels, plan, net, data, optimizer, rng, augment, workers);
    }
  }
  const plan = simdPlan(net, batchSize, slots, 1);
  const kernels = simdKernels(plan.bytes);
  if (kernels === null) return null;
  return new SimdNetwork(kernels, plan, net, data, optimizer, rng, augment);
}
