/**
 * One hidden layer, I → H → C, trained on WebAssembly SIMD with the hidden
 * layer's columns split between threads: the `simd-columns` step strategy.
 * It serves the networks most runs train (784-H-10 on images that are mostly
 * zeros) when no augmentation changes the inputs.
 *
 * Each example's nonzero pixels are listed once per run, as (row offset,
 * value) pairs in WebAssembly memory, so a step gathers nothing: it names its
 * examples' pair ranges. The hidden units are cut into P column panels
 * (P ≤ 4, fixed by H alone), and everything of a panel is one work item:
 *
 *   forward item p      h[:, p] = f(x · W⁰[:, p] + b⁰[p])           `sparseGemmRanges`, `reluRows`
 *                       part_p = h[:, p] · W¹[p, :]  (+ b¹ for p = 0) `gemm`                [B, C]
 *   — barrier —
 *   every thread        logits = Σ_p part_p (in panel order), probs = softmax(logits),
 *                       δ¹ = (probs − Y) / B                          `loss.ts`             [B, C]
 *   step item p         δ⁰[:, p] = (δ¹ · W¹[p, :]ᵀ) ⊙ f′               `gemmNT`, `reluBackwardRows`
 *                       W¹[p, :] and b⁰[p] (and b¹ for p = 0): gradient and optimiser step
 *                       W⁰[:, p]: per pixel Σ_b x_bi δ⁰_b fused with the step  `firstLayerStep`
 *
 * The only data that crosses between threads within a step are the P partial
 * logits [B, C]: each thread keeps its panels of W⁰, W¹, b⁰ and of the
 * optimiser state in its own cache, and lists the batch's pixels per input
 * itself (`columnsFromRanges`, a counting sort of the batch's pairs). On this
 * machine's virtual machine a cache line written by one core costs the other
 * about 16 ns to read and a round trip about 1 µs: on two threads the items
 * of `SimdNetwork`, which exchanges the batch, its pairs, a⁰ and δ⁰ between
 * its four phases, took about 1.5× their time on one thread.
 *
 * Every element's arithmetic is the same whichever thread computes it, and
 * the panels depend on H only, so **the model's bytes depend neither on the
 * thread count nor on which thread took which item**. The worker protocol
 * (generation counter, claims, counters on cache lines of their own, the
 * short spin, the solo steps after a stall) is `SimdNetwork`'s, with one
 * difference: a worker takes only its own panels, and the main thread takes
 * a worker's only when the worker has not claimed them within `GRACE_MS`
 * (stealing at once moved the panels' weights between the cores' caches
 * every step: 784-256-10 ran 6.8 ms an epoch on two threads, 4.9 without).
 *
 * @module
 */

import type { Dataset } from "../data/dataset.ts";
import type { Network } from "../nn/network.ts";
import { Dense } from "../nn/dense.ts";
import type { Activation, ActivationName } from "../nn/activations.ts";
import { softmaxForward } from "../nn/loss.ts";
import { Adam, GradientDescent, Momentum, type Optimizer } from "../nn/optimizers.ts";
import type { Floats } from "../nn/tensor.ts";
import type { StepStrategy } from "../nn/step.ts";
import { denseRows, writeRowPairs } from "./sparse.ts";
import {
  MemoryPlan,
  releaseSimdKernels,
  sharedSimdKernels,
  sharedSimdModule,
  type SimdKernels,
  simdKernels,
} from "./gemm.ts";
import {
  arrive,
  awaitCount,
  claimLate,
  claimOnce,
  CONTROL,
  CONTROL_SLOTS,
  optimizerState,
  PARAMS,
  PARAMS_SLOTS,
  startLaneWorkers,
  stepOptimizer,
  WORKER_TIMEOUT_MS,
  WorkerTeam,
  writeOptimizerParams,
} from "./simd_network.ts";

/** Hidden columns per panel at least (one block of the kernels' registers), and panels at most. */
const MIN_PANEL = 32, MAX_PANELS = 4;

/** Byte addresses of one thread's private working set. */
export interface ColumnsLane {
  delta1: number; // [B, Cp] δ¹ (this thread's copy)
  counts: number; // int32 [I] the counting sort's scratch
  pairs: number; // the batch's (b · ldd, value) pairs, input by input
  columns: number; // (row offset, first, end) triples of the inputs with pairs
}

/** Where everything lives in the memory, and the sizes. */
export interface ColumnsPlan {
  bytes: number;
  batchSize: number;
  inputs: number; // I
  hidden: number; // H
  classes: number; // C
  panels: number; // P
  panelOp: number; // hidden columns per panel (a multiple of 8); Op = P · panelOp
  Op: number;
  Cp: number; // C padded to a multiple of 8
  w0: number; // P panels [I, panelOp]
  b0: number; // [Op]
  s0: number[]; // per optimiser slot: [P · I · panelOp] for W⁰, then [Op] for b⁰
  w1: number; // [Op, Cp]
  b1: number; // [Cp]
  s1: number[]; // per slot: [Op · Cp] for W¹, then [Cp] for b¹
  gw1: number; // [Op, Cp]
  gb0: number; // [Op]
  gb1: number; // [Cp]
  h: number; // [B, Op] hidden activations
  d0: number; // [B, Op] δ⁰
  parts: number; // [P, B, Cp] partial logits
  pairs: number; // the dataset's nonzero pixels: (i · 4 · panelOp, value), example after example
  pixel: number; // int32 [nnz] each pair's input number i
  rowStart: number; // int32 [n + 1] each example's first pair
  ranges: number; // int32 [2B] the batch's pair ranges (byte addresses)
  labels: number; // int32 [B]
  zero: number; // zeros [max(panelOp, Cp)]
  control: number;
  losses: number; // float64 [B]
  params: number; // float64 [PARAMS_SLOTS]
  lanes: ColumnsLane[];
}

/** The claim line of panel p's forward item (phase 1) or step item (phase 3). */
export function columnsSlot(phase: 1 | 3, p: number): number {
  return CONTROL_SLOTS + 16 * (2 * p + (phase === 3 ? 1 : 0));
}

/** The int32 slots of the control region for P panels. */
export function columnsControlSlots(panels: number): number {
  return CONTROL_SLOTS + 32 * panels;
}

const pad8 = (n: number) => Math.ceil(n / 8) * 8;

/**
 * How many panels H hidden units make: up to 4, each at least 32 columns
 * wide. It depends on H alone, so the arithmetic (the partial logits' sum)
 * is the same on any number of threads.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { columnPanels } from "./simd_columns.ts";
 * assert.deepEqual([30, 64, 100, 512].map(columnPanels), [1, 2, 3, 4]);
 * ```
 */
export function columnPanels(hidden: number): number {
  return Math.max(1, Math.min(MAX_PANELS, Math.floor(hidden / MIN_PANEL)));
}

/**
 * The memory plan for I → H → C at batch size B, `slots` optimiser state
 * arrays, a dataset of n examples with `nnz` pairs, `lanes` threads.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { columnsPlan } from "./simd_columns.ts";
 * // 784-100-10: 3 panels of 40 columns (34 rounded up to 8), 10 classes padded to 16
 * const plan = columnsPlan(784, 100, 10, 32, 1, 150_000, 1000, 2);
 * assert.deepEqual([plan.panels, plan.panelOp, plan.Op, plan.Cp, plan.lanes.length], [3, 40, 120, 16, 2]);
 * assert.equal(plan.control % 64, 0); // the counters start on a cache line
 * ```
 */
export function columnsPlan(
  I: number,
  H: number,
  C: number,
  B: number,
  slots: number,
  nnz: number,
  n: number,
  lanes: number,
): ColumnsPlan {
  const m = new MemoryPlan();
  const P = columnPanels(H), panelOp = pad8(Math.ceil(H / P)), Op = P * panelOp, Cp = pad8(C);
  const stateOf = (weights: number, biases: number) =>
    Array.from({ length: slots }, () => {
      const at = m.region(weights);
      m.region(biases);
      return at;
    });
  const w0 = m.region(I * Op), b0 = m.region(Op), s0 = stateOf(I * Op, Op);
  const w1 = m.region(Op * Cp), b1 = m.region(Cp), s1 = stateOf(Op * Cp, Cp);
  const gw1 = m.region(Op * Cp), gb0 = m.region(Op), gb1 = m.region(Cp);
  const h = m.region(B * Op), d0 = m.region(B * Op), parts = m.region(P * B * Cp);
  const pairs = m.region(2 * nnz + 2), pixel = m.region(nnz + 1), rowStart = m.region(n + 1);
  const ranges = m.region(2 * B), labels = m.region(B);
  const zero = m.region(Math.max(panelOp, Cp));
  const lanesRegions = Array.from({ length: lanes }, (): ColumnsLane => ({
    delta1: m.region(B * Cp),
    counts: m.region(I),
    pairs: m.region(2 * B * I + 2),
    columns: m.region(3 * I),
  }));
  if (m.bytes % 64 !== 0) m.region(16 - (m.bytes % 64) / 4); // the counters on cache lines of their own
  const control = m.region(columnsControlSlots(P));
  const losses = m.region(2 * B), params = m.region(2 * PARAMS_SLOTS);
  return {
    bytes: m.bytes,
    batchSize: B,
    inputs: I,
    hidden: H,
    classes: C,
    panels: P,
    panelOp,
    Op,
    Cp,
    w0,
    b0,
    s0,
    w1,
    b1,
    s1,
    gw1,
    gb0,
    gb1,
    h,
    d0,
    parts,
    pairs,
    pixel,
    rowStart,
    ranges,
    labels,
    zero,
    control,
    losses,
    params,
    lanes: lanesRegions,
  };
}

/** One thread's scratch: the softmax's arrays and its views of the control, params and losses regions. */
export interface ColumnsScratch {
  logits: Float32Array;
  probs: Float32Array;
  control: Int32Array;
  params: Float64Array;
  losses: Float64Array;
  /** How many inputs this thread's per-input lists of the current step hold. */
  inputs: number;
}

/** A thread's scratch for `plan` on `memory`. */
export function columnsScratch(plan: ColumnsPlan, memory: WebAssembly.Memory): ColumnsScratch {
  return {
    logits: new Float32Array(plan.batchSize * plan.classes),
    probs: new Float32Array(plan.batchSize * plan.classes),
    control: new Int32Array(memory.buffer, plan.control, columnsControlSlots(plan.panels)),
    params: new Float64Array(memory.buffer, plan.params, PARAMS_SLOTS),
    losses: new Float64Array(memory.buffer, plan.losses, plan.batchSize),
    inputs: 0,
  };
}

/**
 * Forward item p: h[:, p] = f(x · W⁰[:, p] + b⁰[p]) from the batch's pairs,
 * then part_p = h[:, p] · W¹[p, :] (+ b¹ for p = 0).
 */
export function forwardItem(k: SimdKernels, plan: ColumnsPlan, p: number, B: number, f: Activation): void {
  const e = k.exports, { Op, Cp, panelOp: W, inputs: I } = plan, c0 = 4 * p * W;
  e.sparseGemmRanges(plan.h + c0, 4 * Op, plan.w0 + c0 * I, plan.b0 + c0, W, plan.ranges, B);
  if (f.name === "relu") e.reluRows(plan.h + c0, 4 * Op, B, W);
  else {
    for (let b = 0; b < B; b++) {
      const view = k.view(plan.h + 4 * b * Op + c0, W);
      f.forward(view, view, W);
    }
  }
  e.gemm(
    plan.parts + 4 * p * B * Cp,
    4 * Cp,
    plan.h + c0,
    4 * Op,
    4,
    plan.w1 + c0 * Cp,
    4 * Cp,
    p === 0 ? plan.b1 : plan.zero,
    B,
    Cp,
    W,
    0,
  );
}

/**
 * Every thread after the forward items: logits = Σ_p part_p in panel order
 * (float32), P = softmax, δ¹ = (P − Y) / B into this thread's δ¹; the main
 * thread (lane 0) also writes each row's loss.
 */
export function softmaxItem(k: SimdKernels, plan: ColumnsPlan, t: number, B: number, s: ColumnsScratch): void {
  const f32 = k.f32, { Cp, classes: C, panels: P } = plan, { logits, probs } = s;
  for (let b = 0; b < B; b++) {
    for (let c = 0; c < C; c++) {
      let at = plan.parts / 4 + b * Cp + c;
      logits[b * C + c] = f32[at];
      for (let q = 1; q < P; q++) logits[b * C + c] += f32[at += B * Cp];
    }
  }
  softmaxForward(probs, logits, B, C);
  const labels = plan.labels / 4, delta = plan.lanes[t].delta1 / 4, scale = 1 / B;
  for (let b = 0; b < B; b++) {
    const y = k.i32[labels + b];
    if (t === 0) s.losses[b] = -Math.log(probs[b * C + y]); // as crossEntropyLoss, row by row
    for (let c = 0; c < C; c++) f32[delta + b * Cp + c] = probs[b * C + c] * scale;
    f32[delta + b * Cp + y] -= scale;
  }
}

/**
 * Step item p on lane t: δ⁰[:, p], then the gradient and the optimiser step
 * of W¹'s rows p, of b⁰[p] (and of b¹ for p = 0), and of W⁰[:, p] fused with
 * its gradient from the lane's per-input lists ({@linkcode listColumns},
 * made for this step first).
 */
export function stepItem(
  k: SimdKernels,
  plan: ColumnsPlan,
  t: number,
  p: number,
  B: number,
  f: Activation,
  s: ColumnsScratch,
): void {
  const e = k.exports, { Op, Cp, panelOp: W, inputs: I } = plan, c0 = 4 * p * W, lane = plan.lanes[t];
  const optimizer = stepOptimizer(e, s.params), update = optimizer.update, lambda = s.params[PARAMS.lambda];
  // δ⁰[:, p] = (δ¹ · W¹[p, :]ᵀ) ⊙ f′(h[:, p])
  e.gemmNT(plan.d0 + c0, 4 * Op, lane.delta1, 4 * Cp, plan.w1 + c0 * Cp, 4 * Cp, B, W, Cp);
  if (f.name === "relu") e.reluBackwardRows(plan.d0 + c0, plan.h + c0, 4 * Op, B, W);
  else {
    for (let b = 0; b < B; b++) {
      const d = plan.d0 + 4 * b * Op + c0, out = plan.h + 4 * b * Op + c0;
      f.backward(k.view(d, W), k.view(d, W), k.view(out, W), W);
    }
  }
  // W¹'s rows p: ∂L/∂W¹ = h[:, p]ᵀ · δ¹ (A(j, b) = h[b, j]), then the step
  const rows1 = c0 * Cp;
  e.gemm(plan.gw1 + rows1, 4 * Cp, plan.h + c0, 4, 4 * Op, lane.delta1, 4 * Cp, plan.zero, W, Cp, B, 0);
  update(plan.w1 + rows1, plan.gw1 + rows1, plan.s1.map((at) => at + rows1), W * Cp, lambda);
  // b⁰[p] and, once, b¹: ∂L/∂b = Σ_b δ, no decay
  e.sumRows(plan.gb0 + c0, plan.d0 + c0, 4 * Op, B, W);
  update(plan.b0 + c0, plan.gb0 + c0, plan.s0.map((at) => at + 4 * I * Op + c0), W, 0);
  if (p === 0) {
    e.sumRows(plan.gb1, lane.delta1, 4 * Cp, B, Cp);
    update(plan.b1, plan.gb1, plan.s1.map((at) => at + 4 * Op * Cp), Cp, 0);
  }
  // W⁰[:, p]: the gradient from the batch's pixels input by input (this lane's lists), fused with the step
  const panel = c0 * I;
  optimizer.firstLayer(plan.w0 + panel, plan.s0.map((at) => at + panel), plan.d0 + c0, W, lane.columns, s.inputs, I);
}

/** Lane t's per-input lists of the step's pixels (`columnsFromRanges`); their count goes to `s.inputs`. */
export function listColumns(k: SimdKernels, plan: ColumnsPlan, t: number, B: number, s: ColumnsScratch): void {
  const lane = plan.lanes[t], { inputs: I, Op, panelOp: W } = plan;
  s.inputs = k.exports.columnsFromRanges(
    plan.pairs,
    plan.pixel,
    plan.ranges,
    B,
    I,
    4 * Op,
    4 * W,
    lane.counts,
    lane.pairs,
    lane.columns,
  );
}

/**
 * Lane t's part of step number `step`: its forward items, the barrier, the
 * softmax, then its step items. Lane t of T owns the panels p with
 * ⌊p·T/P⌋ = t, so that its panels of W⁰ and of the optimiser state stay in
 * its core's cache from step to step. A worker (t > 0) takes only its own
 * items; the main thread also takes, after each of its own phases, the items
 * a worker has not claimed within `graceMs` (a worker still starting, asleep
 * or parked by the system; see {@linkcode GRACE_MS}). Returns whether the lane
 * waited over `STALL_MS` for another thread, or took a worker's item after
 * the grace: either way the main thread takes the next steps alone
 * (`SOLO_STEPS`).
 */
export function columnsLaneStep(
  k: SimdKernels,
  plan: ColumnsPlan,
  t: number,
  step: number,
  f: Activation,
  s: ColumnsScratch,
  graceMs = 0,
): boolean {
  const ctl = s.control, T = plan.lanes.length, P = plan.panels, B = ctl[CONTROL.batch];
  const owner = (p: number) => Math.floor((p * T) / P);
  let late = false; // the main thread took a worker's item after the grace
  // this lane's items of a phase, then (the main thread) the workers' items left unclaimed
  const items = (phase: 1 | 3, run: (p: number) => void) => {
    for (let p = 0; p < P; p++) if (owner(p) === t && claimOnce(ctl, columnsSlot(phase, p), step)) run(p);
    if (t > 0) return;
    for (let p = 0; p < P; p++) {
      if (owner(p) === t || !claimLate(ctl, columnsSlot(phase, p), step, graceMs)) continue;
      late ||= graceMs > 0;
      run(p);
    }
  };
  const done = (slot: number) => {
    if (t > 0) Atomics.add(ctl, CONTROL.workerTasks, 1);
    arrive(ctl, slot);
  };
  items(1, (p) => {
    forwardItem(k, plan, p, B, f);
    done(CONTROL.doneForward);
  });
  // this lane's per-input lists for the step items, while the other threads finish their forward items
  listColumns(k, plan, t, B, s);
  const slept = awaitCount(ctl, CONTROL.doneForward, step * P, WORKER_TIMEOUT_MS);
  let softmaxDone = false;
  items(3, (p) => {
    if (!softmaxDone) softmaxItem(k, plan, t, B, s);
    softmaxDone = true;
    stepItem(k, plan, t, p, B, f, s);
    done(CONTROL.doneB);
  });
  // the losses come from lane 0's softmax, which it computes even when the workers took every step item
  if (t === 0 && !softmaxDone) softmaxItem(k, plan, t, B, s);
  return slept || late;
}

/**
 * A {@linkcode StepStrategy} for a network with one hidden layer on the
 * dataset's own inputs (no augmentation), on `threads` threads; see the
 * module notes. Use {@linkcode simdColumns}.
 */
export class SimdColumns implements StepStrategy {
  readonly name = "simd-columns";
  readonly #k: SimdKernels;
  readonly #plan: ColumnsPlan;
  readonly #rowStart: Int32Array;
  readonly #scratch: ColumnsScratch;
  readonly #team: WorkerTeam;
  #steps = 0;
  #t = 0;

  /** Use {@linkcode simdColumns}, which plans the memory, starts the workers and checks that the kernels can run. */
  constructor(
    kernels: SimdKernels,
    plan: ColumnsPlan,
    readonly net: Network,
    readonly data: Dataset,
    readonly optimizer: Optimizer,
    workers: Worker[] = [],
  ) {
    this.#k = kernels;
    this.#plan = plan;
    this.#rowStart = new Int32Array(kernels.memory.buffer, plan.rowStart, data.n + 1);
    this.#scratch = columnsScratch(plan, kernels.memory);
    this.#team = new WorkerTeam(this.#scratch.control, workers);
    this.load();
  }

  /** The number of threads computing each step. */
  get threads(): number {
    return this.#plan.lanes.length;
  }

  /** How many items the worker threads have done so far (0 on one thread). */
  get workerTasks(): number {
    return this.#team.workerTasks;
  }

  /** See {@linkcode WorkerTeam.awaitWorkers}. */
  awaitWorkers(timeoutMs: number): number {
    return this.#team.awaitWorkers(timeoutMs);
  }

  step(order: ArrayLike<number>, start: number, B: number, lr: number): number {
    const k = this.#k, plan = this.#plan, i32 = k.i32;
    const labels = plan.labels / 4, ranges = plan.ranges / 4, rowStart = this.#rowStart;
    for (let b = 0; b < B; b++) {
      const r = order[start + b];
      i32[labels + b] = this.data.labels[r];
      i32[ranges + 2 * b] = plan.pairs + 8 * rowStart[r];
      i32[ranges + 2 * b + 1] = plan.pairs + 8 * rowStart[r + 1];
    }
    if (this.optimizer instanceof Adam) this.#t++;
    writeOptimizerParams(this.#scratch.params, this.optimizer, lr, this.#t);

    const steps = ++this.#steps;
    const grace = this.#team.begin(steps, B);
    const slept = columnsLaneStep(k, plan, 0, steps, this.net.activations[0], this.#scratch, grace);
    this.#team.finish(CONTROL.doneB, steps * plan.panels, slept);

    let lossSum = 0;
    for (let b = 0; b < B; b++) lossSum += this.#scratch.losses[b];
    return lossSum / B;
  }

  load(): void {
    this.#copy(true);
    if (this.optimizer instanceof Adam) this.#t = this.optimizer.steps;
  }

  sync(): void {
    this.#copy(false);
    if (this.optimizer instanceof Adam) this.optimizer.steps = this.#t;
  }

  /** Copies the weights, biases and optimiser state into the memory (`into`) or back to the network. */
  #copy(into: boolean): void {
    const f32 = this.#k.f32, plan = this.#plan, { inputs: I, hidden: H, classes: C, panelOp: W, Op, Cp } = plan;
    const [first, second] = this.net.layers as Dense[];
    // a [rows, cols] matrix whose row i is at float base + i·ld, columns from `from` on
    const move = (src: Floats, base: number, rows: number, cols: number, ld: number, from = 0, width = cols) => {
      for (let i = 0; i < rows; i++) {
        const mem = base + i * ld, at = i * cols + from;
        if (into) f32.set(src.subarray(at, at + width), mem);
        else src.set(f32.subarray(mem, mem + width), at);
      }
    };
    // W⁰ [I, H] into its panels [I, panelOp]
    const moveW0 = (src: Floats, at: number) => {
      for (let p = 0; p < plan.panels; p++) {
        const from = Math.min(H, p * W), to = Math.min(H, from + W);
        move(src, at / 4 + p * I * W, I, H, W, from, to - from);
      }
    };
    moveW0(first.weight, plan.w0);
    move(first.bias, plan.b0 / 4, 1, H, 0);
    move(second.weight, plan.w1 / 4, H, C, Cp);
    move(second.bias, plan.b1 / 4, 1, C, 0);
    const s0w = optimizerState(this.optimizer, first.weight), s0b = optimizerState(this.optimizer, first.bias);
    const s1w = optimizerState(this.optimizer, second.weight), s1b = optimizerState(this.optimizer, second.bias);
    plan.s0.forEach((at, s) => {
      moveW0(s0w[s], at);
      move(s0b[s], at / 4 + I * Op, 1, H, 0);
    });
    plan.s1.forEach((at, s) => {
      move(s1w[s], at / 4, H, C, Cp);
      move(s1b[s], at / 4 + Op * Cp, 1, C, 0);
    });
  }

  /** Stops the worker threads (once the run is over) and lets the memory serve the next training. */
  close(): void {
    // as SimdNetwork: the memory is reused only when no worker can wake up in it any more
    if (this.#team.close()) releaseSimdKernels(this.#k);
  }

  /** How many worker threads have left for good (all of them after `close()`, unless they did not answer in time). */
  get workersExited(): number {
    return this.#team.workersExited;
  }
}

/** What a worker of {@linkcode SimdColumns} gets when it starts. */
export interface ColumnsWorkerInit {
  strategy: "columns";
  memory: WebAssembly.Memory;
  module: WebAssembly.Module;
  plan: ColumnsPlan;
  lane: number;
  activations: ActivationName[];
}

/**
 * The `simd-columns` strategy for `net` on `threads` threads, or null when it
 * does not apply: not exactly one hidden layer of dense layers, a float64
 * network, inputs that are not the network's width, an optimiser other than
 * the three of `optimizers.ts`, no WebAssembly SIMD, over 1 GiB of memory.
 * (Augmentation changes the inputs every step: `chooseStep` does not ask then.)
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { simdColumns } from "./simd_columns.ts";
 * import { Network } from "../nn/network.ts";
 * import { Momentum } from "../nn/optimizers.ts";
 * import { Random } from "../nn/random.ts";
 * import { makeDataset } from "../data/dataset.ts";
 * const data = makeDataset(new Float32Array([0, 0.9, 0.5, 0]), new Uint8Array([0, 1]), 2);
 * const net = new Network({ sizes: [2, 4, 2], activations: "relu" }).init(new Random(3));
 * const step = simdColumns(net, data, new Momentum(0.9), 2)!;
 * const first = step.step([0, 1], 0, 2, 0.1);
 * for (let t = 0; t < 50; t++) step.step([0, 1], 0, 2, 0.1);
 * assert.ok(step.step([0, 1], 0, 2, 0.1) < first);
 * step.close();
 * ```
 */
export function simdColumns(
  net: Network,
  data: Dataset,
  optimizer: Optimizer,
  batchSize: number,
  threads = 1,
): SimdColumns | null {
  if (net.dtype !== "float32" || data.features !== net.inputSize || net.layers.length !== 2) return null;
  if (!net.layers.every((layer) => layer instanceof Dense)) return null;
  const slots = optimizer instanceof Adam ? 2 : optimizer instanceof Momentum ? 1 : 0;
  if (slots === 0 && !(optimizer instanceof GradientDescent)) return null;
  const rows = denseRows(data.x, data.features), nnz = rows.nnz;
  const [I, H, C] = [net.inputSize, net.layers[0].outputs, net.outputSize];
  const lanes = Math.max(1, Math.min(Math.floor(threads), columnPanels(H)));
  let kernels: SimdKernels | null = null, plan: ColumnsPlan | null = null, workers: Worker[] = [];
  if (lanes > 1 && typeof Worker === "function") {
    plan = columnsPlan(I, H, C, batchSize, slots, nnz, rows.n, lanes);
    kernels = sharedSimdKernels(plan.bytes);
    const started = kernels === null ? null : startLaneWorkers(plan.lanes.length, (lane): ColumnsWorkerInit => ({
      strategy: "columns",
      memory: kernels!.memory,
      module: sharedSimdModule()!,
      plan: plan!,
      lane,
      activations: net.activationNames,
    }));
    if (started === null) kernels = null;
    else workers = started;
  }
  if (kernels === null) {
    plan = columnsPlan(I, H, C, batchSize, slots, nnz, rows.n, 1);
    kernels = simdKernels(plan.bytes);
    if (kernels === null) return null;
  }
  // the dataset's pairs, once, straight into the memory: (i · 4 · panelOp, value), each pair's i, each example's first
  writeRowPairs(kernels.memory.buffer, rows, 4 * plan!.panelOp, plan!.pairs, plan!.rowStart, plan!.pixel);
  return new SimdColumns(kernels, plan!, net, data, optimizer, workers);
}
