/**
 * The general training path on WebAssembly SIMD: any float32 network of dense
 * layers, any of the three optimisers, weight decay and augmentation, on one
 * thread or several.
 *
 * Per minibatch x [B, I] (gathered, then augmented, in WebAssembly memory),
 * on one thread, a step is two calls. Phase A, for the whole batch, computes
 * everything that is per example:
 *
 *   nonzero pixels of its rows               (row offset, value) pairs      `listNonzero`, branch-free
 *   z⁰ = x · W⁰ + b⁰                          `sparseGemm` (or `gemm` when x is dense)
 *   zˡ = aˡ⁻¹ · Wˡ + bˡ, aˡ = f(zˡ)            `gemm`; f: `relu`, or TypeScript for tanh and sigmoid
 *   P = softmax(zᴸ), δᴸ = (P − Y) / B          `loss.ts` (B: the whole batch); each row's loss kept
 *   δˡ⁻¹ = (δˡ · Wˡᵀ) ⊙ f′                     `gemmNT`; f′: `reluBackward`, or TypeScript
 *
 * into whole-batch arrays aˡ, δˡ [B, Op]. Phase B then computes each weight
 * row's gradient from the whole batch, fused with the optimiser:
 *
 *   layer 0's rows (pixels)                   `listNonzeroColumns` lists per pixel the examples where it
 *                                             is nonzero; `firstLayerStep` computes each pixel's
 *                                             gradient row Σ_b x_bi δ⁰_b in registers and applies the
 *                                             optimiser to that row at once (a pixel zero in the whole
 *                                             batch: g = 0, still decayed): no gradient matrix at all
 *   layer l ≥ 1's rows                        ∂L/∂Wˡ = (aˡ⁻¹)ᵀ · δˡ by `gemm`, then
 *                                             `sgdStep` / `momentumStep` / `adamStep`
 *   the biases                                ∂L/∂bˡ = Σ_b δˡ by `sumRows`, then the optimiser
 *
 * On T > 1 threads ("lanes") layer 0 — nearly all of the work — is split by
 * its COLUMNS: its weights and optimiser state are stored as 2T column panels
 * [I, Op/2T], and lane t owns panels 2t and 2t + 1, forward and step, so each core keeps
 * its own half of W⁰ and of the optimiser state in its cache from step to step
 * and nothing of layer 0 moves between cores but a⁰ and δ⁰ [B, Op]. A step
 * has four phases with a barrier after each:
 *
 *   0. T listing items: item s lists the nonzero pixels of the examples'
 *      slice s and the examples of the pixels' range s;
 *   1. 2T panel items: z⁰ and a⁰ on panel p's columns, whole batch;
 *   A. the layers above on example slices (the rest of phase A above);
 *   3. 2T panel items: layer 0's fused step on panel p's columns; and phase B's
 *      tasks for the other layers' row ranges and the biases.
 *
 * A lane claims its own items first, then whatever is left,
 * from counters in that memory: a thread that the system parks, or a worker
 * still starting, leaves its items to the others. Every element's arithmetic
 * is the same whichever lane and panel compute it (the kernels' columns are
 * independent; every gradient element is summed over the batch in example
 * order), so **the model's bytes depend neither on the thread count nor on
 * which thread took which item**. The mean loss is summed from the rows'
 * losses in row order. Nothing is summed across threads.
 *
 * Lanes 1 … T−1 are Web Workers (`simd_worker.ts`) started once per run,
 * sharing one WebAssembly memory; a step starts when the main thread (lane 0)
 * bumps a generation counter, and the tasks taken and done are counters in
 * that memory (`Atomics`, each counter on its own cache line). A waiting
 * thread spins briefly ({@linkcode SPIN_MS}) before it sleeps: on a quiet
 * machine no thread sleeps within a run of steps (waking one costs 50–200 µs
 * here, a third of a step), and a thread whose partner the system has parked
 * soon gives its core back.
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
import { softmaxForward } from "../nn/loss.ts";
import { Adam, GradientDescent, Momentum, type Optimizer } from "../nn/optimizers.ts";
import type { Random } from "../nn/random.ts";
import type { Floats } from "../nn/tensor.ts";
import type { StepStrategy } from "../nn/step.ts";
import {
  type GemmExports,
  MemoryPlan,
  releaseSimdKernels,
  sharedSimdKernels,
  sharedSimdModule,
  type SimdKernels,
  simdKernels,
} from "./gemm.ts";

/**
 * Byte addresses of one layer's weights, optimiser state and whole-batch
 * arrays; I inputs, O outputs padded to Op.
 */
export interface LayerRegions {
  I: number;
  O: number;
  Op: number;
  weight: number; // [I, Op]
  bias: number; // [Op]
  state: number[]; // optimiser state: per slot, [I·Op] for the weight then [Op] for the bias
  out: number; // [B, Op] the layer's activations (the logits for the last)
  delta: number; // [B, Op] ∂L/∂z
  gradWeight: number; // [I, Op] ∂L/∂W (layers above the first; −1 for layer 0, whose gradient is never stored)
  gradBias: number; // [Op]
  /**
   * Layer 0 on T > 1 threads: its weights (and optimiser state) are stored as `panels` column panels, each
   * [I, panelOp] (panel p holds the columns [p · panelOp, (p + 1) · panelOp)), so that each thread's columns
   * are a matrix of their own; Op = panels · panelOp. Other layers, and every layer on one thread: 1 panel, Op.
   */
  panels: number;
  panelOp: number;
}

/** Byte addresses of one lane's private working set. */
export interface LaneRegions {
  /** Phase A: its rows' nonzero pixels, (row offset, value) pairs, and each row's first pair. */
  entries: number;
  starts: number;
  /** Phase B: its pixels' (example offset, value) pairs and (row offset, first, end) triples. */
  pairs: number;
  columns: number;
}

/** Where everything lives in the memory. */
export interface SimdPlan {
  bytes: number;
  batchSize: number;
  /** Examples per phase-A task (the last may have fewer). */
  taskRows: number;
  /** Phase-A tasks per step: ⌈batchSize / taskRows⌉. */
  tasksA: number;
  /** Phase-B tasks, in the order they are taken: [kind, layer, from, to] (see {@linkcode phaseBTasks}). */
  tasksB: number[][];
  inputs: number;
  classes: number;
  layers: LayerRegions[];
  lanes: LaneRegions[];
  x: number; // [B, I] the minibatch
  labels: number; // int32 [B]
  zero: number; // zeros [max Op]
  control: number; // int32 [CONTROL_SLOTS]: see the worker protocol
  losses: number; // float64 [B]: each row's loss
  params: number; // float64 [PARAMS_SLOTS]: this step's optimiser settings
}

/**
 * The worker protocol: int32 slots of the control region. `step` is the
 * current step's number (from 1); `takenA`/`doneA` and `takenB`/`doneB`
 * count the tasks of each phase taken and finished since the run began,
 * `workerTasks` those the workers did, `exited` the workers that have left
 * (after which they never touch the memory again).
 */
export const CONTROL = {
  generation: 0,
  command: 16,
  batch: 32,
  ready: 48,
  failed: 64,
  step: 80,
  takenA: 96,
  doneA: 112,
  takenB: 128,
  doneB: 144,
  workerTasks: 160,
  doneList: 176,
  doneForward: 192,
  exited: 208,
} as const;
/**
 * How many int32 slots the control region's fixed part has: every counter has
 * a 64-byte cache line of its own (16 slots), so that a thread spinning on one
 * counter does not pull the line another thread is writing.
 */
export const CONTROL_SLOTS = 224;
/** The claim slots of the per-lane items (phases 0, 1, 3 on T > 1 threads): one cache line per lane and phase. */
export function claimSlot(phase: 0 | 1 | 3, item: number): number {
  return CONTROL_SLOTS + 16 * (3 * item + (phase === 3 ? 2 : phase));
}
/** The int32 slots of the control region for `lanes` threads. */
export function controlSlots(lanes: number): number {
  return CONTROL_SLOTS + 16 * 3 * PANELS_PER_THREAD * lanes;
}
/**
 * Layer 0's column panels per thread on T > 1 threads: lane t owns panels
 * [2t, 2t + 2). Two rather than one, so that a thread parked by the system in
 * the middle of its items holds up at most half of its share.
 */
export const PANELS_PER_THREAD = 2;
/** Commands in `CONTROL.command`. */
export const COMMAND = { step: 1, stop: 2 } as const;
/** The float64 slots of the params region: the step's optimiser kind (0 SGD, 1 momentum, 2 AdamW) and settings. */
export const PARAMS = { kind: 0, lr: 1, a: 2, b: 3, c1: 4, c2: 5, eps: 6, lambda: 7 } as const;
export const PARAMS_SLOTS = 8;

/** This step's optimiser (the params region, see {@linkcode PARAMS}) on the SIMD kernels. */
export interface StepOptimizer {
  /**
   * The optimiser's step on n floats of w with gradient g (then zeroed) and
   * their state slots (`sgdStep`, `momentumStep` or `adamStep`), decay λ
   * given (0 for biases).
   */
  update(w: number, g: number, state: readonly number[], n: number, decay: number): void;
  /**
   * `firstLayerStep` on `rows` rows of w [rows, H] and their state slots: each
   * listed row's gradient from its (b · ldd, value) pairs and δ, fused with
   * the step (decay λ).
   */
  firstLayer(
    w: number,
    state: readonly number[],
    delta: number,
    H: number,
    columns: number,
    n: number,
    rows: number,
  ): void;
}

/** The {@linkcode StepOptimizer} of the settings in `params`, on the kernels `e`. */
export function stepOptimizer(e: GemmExports, params: Float64Array): StepOptimizer {
  const kind = params[PARAMS.kind], lr = params[PARAMS.lr], a = params[PARAMS.a], b = params[PARAMS.b];
  const c1 = params[PARAMS.c1], c2 = params[PARAMS.c2], eps = params[PARAMS.eps], lambda = params[PARAMS.lambda];
  return {
    update(w, g, state, n, decay) {
      if (kind === 1) e.momentumStep(w, g, state[0], n, lr, a, decay);
      else if (kind === 2) e.adamStep(w, g, state[0], state[1], n, lr, a, b, c1, c2, eps, decay);
      else e.sgdStep(w, g, n, lr, decay);
    },
    firstLayer(w, state, delta, H, columns, n, rows) {
      e.firstLayerStep(
        kind,
        w,
        state[0] ?? 0,
        state[1] ?? 0,
        delta,
        H,
        columns,
        n,
        rows,
        lr,
        a,
        b,
        c1,
        c2,
        eps,
        lambda,
      );
    },
  };
}

/** Above this share of nonzero inputs, layer 0's forward pass runs as a dense product. */
const SPARSE_BELOW = 0.5;

const pad8 = (n: number) => Math.ceil(n / 8) * 8;

/**
 * Phase B's tasks for layers of `inputs` rows each, each layer cut into
 * `parts` ranges: [0, 0, from, to] a range of layer 0's pixels, [1, l, from,
 * to] a range of layer l's rows, [2, 0, 0, 0] the biases. Each weight row
 * belongs to exactly one task.
 */
export function phaseBTasks(inputs: readonly number[], parts: number): number[][] {
  const tasks: number[][] = [];
  inputs.forEach((I, l) => {
    const size = Math.ceil(I / parts);
    for (let from = 0; from < I; from += size) tasks.push([l === 0 ? 0 : 1, l, from, Math.min(I, from + size)]);
  });
  tasks.push([2, 0, 0, 0]);
  return tasks;
}

/**
 * The memory plan for `net` at batch size `batchSize`, `slots` optimiser state
 * arrays per parameter, `lanes` threads. On T > 1 threads layer 0 is stored
 * as T column panels (see {@linkcode LayerRegions}), and the batch and the
 * pixels are cut into T slices each (phase 0's listing items).
 */
export function simdPlan(net: Network, batchSize: number, slots: number, lanes: number): SimdPlan {
  const p = new MemoryPlan();
  const parts = lanes;
  const B = batchSize, I0 = net.inputSize, rows = Math.ceil(B / Math.min(B, parts)), pixels = Math.ceil(I0 / parts);
  const layers = net.layers.map((layer, l): LayerRegions => {
    const I = layer.inputs, O = layer.outputs;
    const panels = l === 0 && lanes > 1 ? PANELS_PER_THREAD * lanes : 1,
      panelOp = pad8(Math.ceil(O / panels)),
      Op = panels * panelOp;
    return {
      I,
      O,
      Op,
      panels,
      panelOp,
      weight: p.region(I * Op),
      bias: p.region(Op),
      state: Array.from({ length: slots }, () => {
        const at = p.region(I * Op);
        p.region(Op);
        return at;
      }),
      out: p.region(B * Op),
      delta: p.region(B * Op),
      gradWeight: l === 0 ? -1 : p.region(I * Op),
      gradBias: p.region(Op),
    };
  });
  const laneRegions = Array.from({ length: lanes }, (): LaneRegions => ({
    entries: p.region(2 * rows * I0 + 2),
    starts: p.region(rows + 1),
    pairs: p.region(2 * B * pixels + 2),
    columns: p.region(3 * pixels),
  }));
  const x = p.region(B * I0), labels = p.region(B), zero = p.region(Math.max(...layers.map((l) => l.Op)));
  if (p.bytes % 64 !== 0) p.region(8); // the control region's counters on cache lines of their own
  const control = p.region(controlSlots(lanes));
  const inputs = net.layers.map((l) => l.inputs);
  return {
    batchSize: B,
    taskRows: rows,
    tasksA: Math.ceil(B / rows),
    // on T > 1 threads layer 0's step is the panels' (phase 3), not row ranges
    tasksB: lanes === 1 ? phaseBTasks(inputs, 1) : phaseBTasks(inputs, parts).filter(([kind]) => kind !== 0),
    inputs: I0,
    classes: net.outputSize,
    layers,
    lanes: laneRegions,
    x,
    labels,
    zero,
    control,
    losses: p.region(2 * B),
    params: p.region(2 * PARAMS_SLOTS),
    bytes: p.bytes,
  };
}

/** One thread's scratch arrays for the softmax, and its views of the control, params and losses regions. */
export interface LaneScratch {
  probs: Float32Array;
  logits: Float32Array;
  control: Int32Array;
  params: Float64Array;
  losses: Float64Array;
}

/** A thread's scratch for `plan` on `memory`. */
export function laneScratch(plan: SimdPlan, memory: WebAssembly.Memory): LaneScratch {
  return {
    probs: new Float32Array(plan.taskRows * plan.classes),
    logits: new Float32Array(plan.taskRows * plan.classes),
    control: new Int32Array(memory.buffer, plan.control, controlSlots(plan.lanes.length)),
    params: new Float64Array(memory.buffer, plan.params, PARAMS_SLOTS),
    losses: new Float64Array(memory.buffer, plan.losses, plan.batchSize),
  };
}

/**
 * A phase-A task, on lane t: forward and backward over the rows [first, end)
 * of the minibatch in memory (a batch of B), leaving those rows of every aˡ
 * and δˡ (δᴸ = (P − Y) / B) and of the row losses. With `layer0Done` (T > 1
 * threads) layer 0's a⁰ is already there (phases 0 and 1) and the task starts
 * at layer 1.
 */
export function phaseATask(
  k: SimdKernels,
  plan: SimdPlan,
  t: number,
  first: number,
  end: number,
  activations: readonly Activation[],
  B: number,
  scratch: LaneScratch,
  layer0Done = false,
): void {
  const rows = end - first;
  if (rows <= 0) return;
  const e = k.exports, f32 = k.f32;
  const lane = plan.lanes[t], layers = plan.layers, L = layers.length, I0 = plan.inputs;
  const x = plan.x + 4 * first * I0;
  const at = (region: number, Op: number) => region + 4 * first * Op; // this lane's first row of a [B, Op] array

  // the nonzero pixels of each row: (byte offset of its weight row, value) pairs
  if (!layer0Done) {
    const layer0 = layers[0], rowBytes = 4 * layer0.Op;
    const nonzero = e.listNonzero(x, rows, I0, rowBytes, lane.entries, lane.starts);
    const out0 = at(layer0.out, layer0.Op);
    if (nonzero < SPARSE_BELOW * rows * I0) {
      e.sparseGemm(out0, rowBytes, layer0.weight, layer0.bias, layer0.Op, lane.starts, rows);
    } else e.gemm(out0, rowBytes, x, 4 * I0, 4, layer0.weight, rowBytes, layer0.bias, rows, layer0.Op, I0, 0);
  }
  for (let l = layer0Done ? 1 : 0; l < L; l++) {
    const layer = layers[l];
    if (l > 0) {
      const Op = layer.Op, below = layers[l - 1];
      const input = at(below.out, below.Op);
      e.gemm(at(layer.out, Op), 4 * Op, input, 4 * below.Op, 4, layer.weight, 4 * Op, layer.bias, rows, Op, layer.I, 0);
    }
    if (l === L - 1) break;
    const out = at(layer.out, layer.Op);
    if (activations[l].name === "relu") e.relu(out, rows * layer.Op);
    else {
      const view = k.view(out, rows * layer.Op);
      activations[l].forward(view, view, rows * layer.Op);
    }
  }

  // softmax and cross-entropy on the logits [rows, C]; δᴸ = (P − Y) / B into the top delta (padding stays 0)
  const top = layers[L - 1], C = top.O, Op = top.Op, { probs, logits } = scratch;
  const outTop = at(top.out, Op) / 4, deltaTop = at(top.delta, Op) / 4;
  const labels = k.i32.subarray(plan.labels / 4 + first, plan.labels / 4 + end);
  const losses = scratch.losses;
  for (let b = 0; b < rows; b++) for (let c = 0; c < C; c++) logits[b * C + c] = f32[outTop + b * Op + c];
  softmaxForward(probs, logits, rows, C);
  const scale = 1 / B;
  for (let b = 0; b < rows; b++) {
    losses[first + b] = -Math.log(probs[b * C + labels[b]]); // as crossEntropyLoss, row by row
    for (let c = 0; c < C; c++) f32[deltaTop + b * Op + c] = probs[b * C + c] * scale;
    f32[deltaTop + b * Op + labels[b]] -= scale;
  }

  // δˡ⁻¹ [rows, I] = δˡ · Wˡᵀ, then ⊙ f′ (the padding columns of δˡ⁻¹ are never written: they stay 0)
  for (let l = L - 1; l >= 1; l--) {
    const layer = layers[l], below = layers[l - 1];
    const d = at(below.delta, below.Op), out = at(below.out, below.Op), n = rows * below.Op;
    e.gemmNT(
      d,
      4 * below.Op,
      at(layer.delta, layer.Op),
      4 * layer.Op,
      layer.weight,
      4 * layer.Op,
      rows,
      layer.I,
      layer.Op,
    );
    if (activations[l - 1].name === "relu") e.reluBackward(d, out, n);
    else {
      const view = k.view(d, n);
      activations[l - 1].backward(view, view, k.view(out, n), n);
    }
  }
}

/**
 * A phase-B task (one of {@linkcode phaseBTasks}), on lane t, after every
 * phase-A task: the gradient of its rows of a weight matrix from the whole
 * batch of B and the optimiser's step on them (the settings in the params
 * region), or the biases'.
 */
export function phaseBTask(
  k: SimdKernels,
  plan: SimdPlan,
  t: number,
  task: readonly number[],
  B: number,
  params: Float64Array,
): void {
  const e = k.exports, layers = plan.layers, I0 = plan.inputs, lane = plan.lanes[t];
  const optimizer = stepOptimizer(e, params), update = optimizer.update, lambda = params[PARAMS.lambda];
  const [what, l, from, to] = task;

  if (what === 0) {
    // pixels [from, to) of layer 0: each one's gradient row from the examples where it is nonzero, fused with the step
    const layer0 = layers[0], rowBytes = 4 * layer0.Op;
    const n = e.listNonzeroColumns(
      plan.x + 4 * from,
      B,
      to - from,
      4 * I0,
      rowBytes,
      rowBytes,
      lane.pairs,
      lane.columns,
    );
    const offset = from * rowBytes, state = layer0.state.map((s) => s + offset);
    optimizer.firstLayer(layer0.weight + offset, state, layer0.delta, layer0.Op, lane.columns, n, to - from);
  } else if (what === 1) {
    // rows [from, to) of layer l: ∂L/∂Wˡ = (aˡ⁻¹)ᵀ · δˡ on those rows (A(i, b) = aˡ⁻¹[b, i]), then the step
    const layer = layers[l], below = layers[l - 1], Op = layer.Op, offset = 4 * from * Op;
    e.gemm(
      layer.gradWeight + offset,
      4 * Op,
      below.out + 4 * from,
      4,
      4 * below.Op,
      layer.delta,
      4 * Op,
      plan.zero,
      to - from,
      Op,
      B,
      0,
    );
    update(
      layer.weight + offset,
      layer.gradWeight + offset,
      layer.state.map((s) => s + offset),
      (to - from) * Op,
      lambda,
    );
  } else {
    // the biases: ∂L/∂b = Σ_b δ, no decay
    for (const layer of layers) {
      e.sumRows(layer.gradBias, layer.delta, 4 * layer.Op, B, layer.Op);
      const biasState = stateBiasOffset(layer);
      update(layer.bias, layer.gradBias, layer.state.map((s) => s + biasState), layer.Op, 0);
    }
  }
}

/**
 * Phase 0 item s on T > 1 threads: the nonzero pixels of the batch slice s
 * (rows [s·R, s·R + R)), as (offset of the row in a panel, value) pairs for
 * layer 0's forward pass, and per pixel of the pixel range s the examples
 * where it is nonzero, for its step; both into lane region s. The counts go
 * to the item's claim line.
 */
export function listItem(k: SimdKernels, plan: SimdPlan, s: number, B: number, ctl: Int32Array): void {
  const e = k.exports, I0 = plan.inputs, region = plan.lanes[s], layer0 = plan.layers[0], T = plan.lanes.length;
  const first = s * plan.taskRows, rows = Math.max(0, Math.min(B, first + plan.taskRows) - first);
  const panelBytes = 4 * layer0.panelOp, line = claimSlot(0, s);
  ctl[line + 1] = rows > 0
    ? e.listNonzero(plan.x + 4 * first * I0, rows, I0, panelBytes, region.entries, region.starts)
    : 0;
  const pixels = Math.ceil(I0 / T), from = s * pixels, to = Math.min(I0, from + pixels);
  ctl[line + 2] = to > from
    ? e.listNonzeroColumns(
      plan.x + 4 * from,
      B,
      to - from,
      4 * I0,
      4 * layer0.Op,
      panelBytes,
      region.pairs,
      region.columns,
    )
    : 0;
}

/**
 * Phase 1 item p on T > 1 threads: layer 0's forward pass on panel p's columns
 * for the whole batch, z⁰[:, panel] = x · W⁰[:, panel] + b⁰[panel] (from the
 * slices' nonzero pixels, or dense), then its activation.
 */
export function forwardPanel(
  k: SimdKernels,
  plan: SimdPlan,
  p: number,
  B: number,
  activations: readonly Activation[],
  ctl: Int32Array,
): void {
  const e = k.exports, I0 = plan.inputs, layer0 = plan.layers[0], Op = layer0.Op, H = layer0.panelOp;
  const c0 = 4 * p * H, weight = layer0.weight + 4 * p * I0 * H, R = plan.taskRows;
  let nonzero = 0;
  for (let s = 0; s < plan.lanes.length; s++) nonzero += ctl[claimSlot(0, s) + 1];
  if (nonzero < SPARSE_BELOW * B * I0) {
    for (let s = 0; s < plan.lanes.length; s++) {
      const first = s * R, rows = Math.min(B, first + R) - first;
      if (rows <= 0) break;
      e.sparseGemm(
        layer0.out + 4 * first * Op + c0,
        4 * Op,
        weight,
        layer0.bias + c0,
        H,
        plan.lanes[s].starts,
        rows,
      );
    }
  } else e.gemm(layer0.out + c0, 4 * Op, plan.x, 4 * I0, 4, weight, 4 * H, layer0.bias + c0, B, H, I0, 0);
  if (plan.layers.length === 1) return;
  for (let b = 0; b < B; b++) {
    const out = layer0.out + 4 * b * Op + c0;
    if (activations[0].name === "relu") e.relu(out, H);
    else {
      const view = k.view(out, H);
      activations[0].forward(view, view, H);
    }
  }
}

/**
 * Phase 3 item p on T > 1 threads: layer 0's gradient on panel p's columns
 * fused with the optimiser (`firstLayerStep`), pixel range after pixel range.
 */
export function stepPanel(k: SimdKernels, plan: SimdPlan, p: number, params: Float64Array, ctl: Int32Array): void {
  const e = k.exports, I0 = plan.inputs, layer0 = plan.layers[0], H = layer0.panelOp, T = plan.lanes.length;
  const pixels = Math.ceil(I0 / T), panel = 4 * p * I0 * H, optimizer = stepOptimizer(e, params);
  for (let s = 0; s < T; s++) {
    const from = s * pixels, to = Math.min(I0, from + pixels);
    if (to <= from) break;
    const offset = panel + 4 * from * H, state = layer0.state.map((at) => at + offset);
    const n = ctl[claimSlot(0, s) + 2];
    optimizer.firstLayer(
      layer0.weight + offset,
      state,
      layer0.delta + 4 * p * H,
      H,
      plan.lanes[s].columns,
      n,
      to - from,
    );
  }
}

/** Claims item `item` of phase `phase` for step `step`: true for the one thread that gets it. */
function claim(ctl: Int32Array, phase: 0 | 1 | 3, item: number, step: number): boolean {
  return claimOnce(ctl, claimSlot(phase, item), step);
}

/**
 * Claims the item whose claim line is the control slot `slot` for step number
 * `step`: the slot holds the last step the item was claimed in, and the one
 * thread that moves it from step − 1 to step gets the item (true).
 */
export function claimOnce(ctl: Int32Array, slot: number, step: number): boolean {
  return Atomics.load(ctl, slot) === step - 1 && Atomics.compareExchange(ctl, slot, step - 1, step) === step - 1;
}

/**
 * How long the main thread leaves a worker's own item to it (ms) before it
 * takes the item itself, when every worker is ready and awake for the step.
 * A spinning worker claims its items within microseconds; one that slept
 * wakes in 50–200 µs here. An item taken from its owner moves that owner's
 * weight columns to the other core's cache, and back at the next step: on
 * 784-256-10 at batch 32, taking them at once cost a quarter of the step.
 */
export const GRACE_MS = 0.2;

/**
 * The main thread's claim of item `slot` that belongs to a worker: after the
 * worker has had `graceMs` to claim it, the one thread that moves it from
 * step − 1 to step gets it (true).
 */
export function claimLate(ctl: Int32Array, slot: number, step: number, graceMs: number): boolean {
  if (graceMs > 0 && Atomics.load(ctl, slot) === step - 1) spinUntil(ctl, slot, step, graceMs);
  return claimOnce(ctl, slot, step);
}

/** Takes the next task below `limit` from the counter in slot `slot`: its number, or −1 when none is left. */
function takeTask(ctl: Int32Array, slot: number, limit: number): number {
  for (;;) {
    const next = Atomics.load(ctl, slot);
    if (next >= limit) return -1;
    if (Atomics.compareExchange(ctl, slot, next, next + 1) === next) return next;
  }
}

/**
 * Lane t's part of step number `step` (from 1). On one thread: phase A's task
 * (the whole batch's forward and backward), then phase B's (every weight row
 * and bias). On T > 1 threads, four phases with a barrier after each:
 *
 *   0. T listing items (a slice of the examples' nonzero pixels, a range of the pixels' examples);
 *   1. 2T panel items: layer 0's forward pass on a panel of its columns, whole batch;
 *   A. the example slices of the layers above (forward, softmax, δ, backward down to δ⁰);
 *   3. 2T panel items: layer 0's step on a panel, and the tasks of phase B for the other layers' rows and
 *      the biases.
 *
 * A lane first claims its own items (lane t: listing item t, panels 2t and 2t + 1), then takes what is left:
 * on a quiet machine lane t always steps the same columns of W⁰ and its
 * optimiser state, which stay in its core's cache, and a thread the system
 * parks (or a worker still starting) leaves its items to the others.
 * Returns whether the lane waited over {@linkcode STALL_MS} for another. The step is over when `doneB` reaches step × (T + number of phase-B tasks).
 */
export function laneStep(
  k: SimdKernels,
  plan: SimdPlan,
  t: number,
  step: number,
  activations: readonly Activation[],
  scratch: LaneScratch,
): boolean {
  const ctl = scratch.control, T = plan.lanes.length, P = plan.layers[0].panels;
  let slept = false;
  const NA = plan.tasksA, NB = plan.tasksB.length, R = plan.taskRows;
  const B = ctl[CONTROL.batch];
  const count = () => {
    if (t > 0) Atomics.add(ctl, CONTROL.workerTasks, 1);
  };
  if (T > 1) {
    for (let j = 0; j < T; j++) {
      const s = (t + j) % T;
      if (!claim(ctl, 0, s, step)) continue;
      listItem(k, plan, s, B, ctl);
      count();
      arrive(ctl, CONTROL.doneList);
    }
    slept = awaitCount(ctl, CONTROL.doneList, step * T, WORKER_TIMEOUT_MS) || slept;
    for (let j = 0; j < P; j++) {
      const p = (t * PANELS_PER_THREAD + j) % P;
      if (!claim(ctl, 1, p, step)) continue;
      forwardPanel(k, plan, p, B, activations, ctl);
      count();
      arrive(ctl, CONTROL.doneForward);
    }
    slept = awaitCount(ctl, CONTROL.doneForward, step * P, WORKER_TIMEOUT_MS) || slept;
  }
  for (let task; (task = takeTask(ctl, CONTROL.takenA, step * NA)) >= 0;) {
    const first = (task - (step - 1) * NA) * R;
    phaseATask(k, plan, t, first, Math.min(B, first + R), activations, B, scratch, T > 1);
    count();
    arrive(ctl, CONTROL.doneA);
  }
  slept = awaitCount(ctl, CONTROL.doneA, step * NA, WORKER_TIMEOUT_MS) || slept;
  for (let j = 0; j < (T > 1 ? PANELS_PER_THREAD : 0); j++) {
    const p = t * PANELS_PER_THREAD + j;
    if (!claim(ctl, 3, p, step)) continue;
    stepPanel(k, plan, p, scratch.params, ctl);
    count();
    arrive(ctl, CONTROL.doneB);
  }
  for (let task; (task = takeTask(ctl, CONTROL.takenB, step * NB)) >= 0;) {
    phaseBTask(k, plan, t, plan.tasksB[task - (step - 1) * NB], B, scratch.params);
    count();
    arrive(ctl, CONTROL.doneB);
  }
  for (let j = PANELS_PER_THREAD; j < (T > 1 ? P : 0); j++) {
    const p = (t * PANELS_PER_THREAD + j) % P;
    if (!claim(ctl, 3, p, step)) continue;
    stepPanel(k, plan, p, scratch.params, ctl);
    count();
    arrive(ctl, CONTROL.doneB);
  }
  return slept;
}

/** The phase-B arrivals that end step number `step`. */
export function stepDone(plan: SimdPlan, step: number): number {
  return step * (plan.tasksB.length + (plan.lanes.length > 1 ? plan.layers[0].panels : 0));
}

/**
 * How long a waiting thread spins on a counter before it sleeps (ms). The
 * items of a step are 20–150 µs and balanced, so on a quiet machine a wait
 * is shorter and no thread sleeps (waking one costs 50–200 µs on this
 * virtual machine); a longer wait means the other thread is parked (a busy
 * machine) or not there yet, and spinning would only take the core from it.
 */
export const SPIN_MS = 0.2;

/**
 * Spins until `ctl[slot]` is at least `target` (true) or `ms` have passed
 * (false), reading the clock every 512 reads.
 */
export function spinUntil(ctl: Int32Array, slot: number, target: number, ms: number): boolean {
  const until = performance.now() + ms;
  for (;;) {
    for (let spin = 0; spin < 512; spin++) if (Atomics.load(ctl, slot) >= target) return true;
    if (performance.now() > until) return false;
  }
}

/**
 * A wait longer than this (ms) means that the system parked the other thread
 * (a busy machine gives a thread slices of several ms); on a quiet machine
 * the odd wait of a few hundred µs (a page fault, a garbage collection) is
 * not one.
 */
export const STALL_MS = 2;

/**
 * Blocks until the control slot `slot` reaches `target`: spins up to
 * {@linkcode SPIN_MS}, then sleeps on it (`Atomics.wait`). Returns whether it
 * waited longer than {@linkcode STALL_MS}. Throws when a thread failed, when
 * the run was stopped, or after `timeoutMs`.
 */
export function awaitCount(ctl: Int32Array, slot: number, target: number, timeoutMs: number): boolean {
  const started = performance.now();
  if (spinUntil(ctl, slot, target, SPIN_MS)) return false;
  const deadline = started + timeoutMs;
  for (;;) {
    const value = Atomics.load(ctl, slot);
    if (value >= target) return performance.now() - started > STALL_MS;
    if (Atomics.load(ctl, CONTROL.failed) !== 0) throw new Error("a training thread failed");
    if (Atomics.load(ctl, CONTROL.command) === COMMAND.stop) throw new Error("the training was stopped");
    if (performance.now() > deadline) throw new Error("a training thread did not answer");
    Atomics.wait(ctl, slot, value, 50);
  }
}

/** Adds 1 to the control slot `slot` and wakes whoever waits on it. */
export function arrive(ctl: Int32Array, slot: number): void {
  Atomics.add(ctl, slot, 1);
  Atomics.notify(ctl, slot);
}

/**
 * Steps that the main thread runs alone after one in which it waited over
 * {@linkcode STALL_MS} for a worker: on a machine busy enough that the system parks the
 * threads, waiting for a parked one costs more than its share of the work.
 */
export const SOLO_STEPS = 8;

/** How long a thread waits for the others within a step before giving up (ms). */
export const WORKER_TIMEOUT_MS = 60_000;

/** How long `close()` waits for the workers to leave before it keeps the memory from being reused (ms). */
const CLOSE_TIMEOUT_MS = 2_000;

/**
 * The main thread's side of the worker protocol, shared by `SimdNetwork` and
 * `SimdColumns`: the Web Workers of lanes 1 … T−1 (started by
 * {@linkcode startLaneWorkers}), the generation counter that starts a step,
 * the solo steps after a stall, and the stop.
 */
export class WorkerTeam {
  #generation = 0;
  #solo = 0;
  #closed = false;

  /** `control`: the control region's int32 view; `workers`: lanes 1 … T−1 (none on one thread). */
  constructor(readonly control: Int32Array, readonly workers: Worker[]) {}

  /**
   * Starts step number `step` on a batch of B: writes both, then wakes the
   * workers, unless this thread is taking its {@linkcode SOLO_STEPS} alone.
   * The step's inputs must be in the memory already. Returns how long this
   * thread should leave a worker's items to it ({@linkcode GRACE_MS} when
   * every worker is ready and was woken, else 0: take them at once).
   */
  begin(step: number, B: number): number {
    const ctl = this.control;
    Atomics.store(ctl, CONTROL.batch, B);
    Atomics.store(ctl, CONTROL.step, step);
    if (this.workers.length > 0 && this.#solo === 0) {
      Atomics.store(ctl, CONTROL.command, COMMAND.step);
      Atomics.store(ctl, CONTROL.generation, ++this.#generation);
      Atomics.notify(ctl, CONTROL.generation);
      return Atomics.load(ctl, CONTROL.ready) >= this.workers.length ? GRACE_MS : 0;
    }
    if (this.#solo > 0) this.#solo--;
    return 0;
  }

  /**
   * Waits for the step's last arrivals (control slot `slot` reaching
   * `target`). After a step in which this thread waited over
   * {@linkcode STALL_MS} for a worker (here or, `slept`, within the step: the
   * system parked it), the next {@linkcode SOLO_STEPS} steps run on this
   * thread alone, the workers asleep; the same items, so the same bytes.
   */
  finish(slot: number, target: number, slept: boolean): void {
    if (awaitCount(this.control, slot, target, WORKER_TIMEOUT_MS) || slept) this.#solo = SOLO_STEPS;
  }

  /**
   * Blocks until every worker is ready to take tasks, or `timeoutMs` has
   * passed; returns how many are ready. Training does not need it (it starts
   * at once and the workers join when ready); tests use it to know that the
   * workers take part.
   */
  awaitWorkers(timeoutMs: number): number {
    const ctl = this.control, deadline = performance.now() + timeoutMs;
    for (;;) {
      const ready = Atomics.load(ctl, CONTROL.ready);
      if (ready >= this.workers.length || performance.now() > deadline) return ready;
      Atomics.wait(ctl, CONTROL.ready, ready, 50);
    }
  }

  /** How many tasks the worker threads have done so far (0 on one thread). */
  get workerTasks(): number {
    return Atomics.load(this.control, CONTROL.workerTasks);
  }

  /** How many worker threads have left for good (all of them after `close()`, unless they did not answer in time). */
  get workersExited(): number {
    return Atomics.load(this.control, CONTROL.exited);
  }

  /**
   * Stops the workers (once the run is over) and returns whether every one
   * has left: only then may the memory serve another training, since a
   * worker the system parked until after the stop would otherwise wake up in
   * the next training's memory and take its tasks with this run's plan.
   */
  close(): boolean {
    if (this.#closed) return false;
    this.#closed = true;
    if (this.workers.length === 0) return true;
    const ctl = this.control;
    Atomics.store(ctl, CONTROL.command, COMMAND.stop);
    Atomics.store(ctl, CONTROL.generation, ++this.#generation);
    Atomics.notify(ctl, CONTROL.generation);
    const left = this.#awaitExit(CLOSE_TIMEOUT_MS);
    for (const worker of this.workers) worker.terminate();
    return left;
  }

  /** Waits up to `timeoutMs` for every worker to count itself out (`CONTROL.exited`); whether all did. */
  #awaitExit(timeoutMs: number): boolean {
    const ctl = this.control, deadline = performance.now() + timeoutMs;
    for (;;) {
      const exited = Atomics.load(ctl, CONTROL.exited);
      if (exited >= this.workers.length) return true;
      if (performance.now() > deadline) return false;
      Atomics.wait(ctl, CONTROL.exited, exited, 20);
    }
  }
}

/**
 * Starts the Web Workers (`simd_worker.ts`) of lanes 1 … lanes − 1, each
 * posted `init(lane)`, or returns null where workers cannot be made. It does
 * not wait for them: training starts on this thread at once, and each worker
 * takes tasks from the step it finds when it is ready. A worker that cannot
 * start leaves the work to the others.
 */
export function startLaneWorkers(lanes: number, init: (lane: number) => unknown): Worker[] | null {
  const workers: Worker[] = [];
  try {
    for (let t = 1; t < lanes; t++) {
      const worker = new Worker(new URL("./simd_worker.ts", import.meta.url).href, { type: "module" });
      worker.postMessage(init(t));
      workers.push(worker);
    }
  } catch {
    for (const worker of workers) worker.terminate();
    return null;
  }
  return workers;
}

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
  readonly #team: WorkerTeam;
  readonly #losses: Float64Array;
  readonly #params: Float64Array;
  #steps = 0;
  #t = 0;

  /** Use {@linkcode simdNetwork}, which plans the memory, starts the workers and checks that the kernels can run. */
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
    this.#scratch = laneScratch(plan, kernels.memory);
    this.#team = new WorkerTeam(this.#scratch.control, workers);
    this.#losses = new Float64Array(kernels.memory.buffer, plan.losses, plan.batchSize);
    this.#params = new Float64Array(kernels.memory.buffer, plan.params, PARAMS_SLOTS);
    this.load();
  }

  /** The number of threads computing each step. */
  get threads(): number {
    return this.#plan.lanes.length;
  }

  /** See {@linkcode WorkerTeam.awaitWorkers}. */
  awaitWorkers(timeoutMs: number): number {
    return this.#team.awaitWorkers(timeoutMs);
  }

  /** How many tasks the worker threads have done so far (0 on one thread). */
  get workerTasks(): number {
    return this.#team.workerTasks;
  }

  step(order: ArrayLike<number>, start: number, B: number, lr: number): number {
    const k = this.#k, plan = this.#plan;
    gatherBatch(this.#xView, this.#labels, this.data, order, start, B);
    this.augment?.(this.#xView, B, this.rng);
    k.i32.set(this.#labels.subarray(0, B), plan.labels / 4);
    this.#setParams(lr);

    // the step's items; the workers take items too
    const steps = ++this.#steps;
    this.#team.begin(steps, B);
    const slept = laneStep(k, plan, 0, steps, this.net.activations, this.#scratch);
    this.#team.finish(CONTROL.doneB, stepDone(plan, steps), slept);

    // the mean loss, summed in row order
    let lossSum = 0;
    for (let b = 0; b < B; b++) lossSum += this.#losses[b];
    return lossSum / B;
  }

  /** Writes this step's optimiser settings for the lanes. */
  #setParams(lr: number): void {
    if (this.optimizer instanceof Adam) this.#t++;
    writeOptimizerParams(this.#params, this.optimizer, lr, this.#t);
  }

  load(): void {
    const f32 = this.#k.f32;
    this.net.layers.forEach((dense, l) => {
      const r = this.#plan.layers[l];
      const put = (at: number, src: Floats, rows: number, cols: number) => {
        const base = at / 4;
        for (let i = 0; i < rows; i++) f32.set(src.subarray(i * cols, (i + 1) * cols), base + i * r.Op);
      };
      // a weight matrix [I, O] into its column panels (one panel: rows Op apart)
      const putWeight = (at: number, src: Floats) => {
        const base = at / 4, H = r.panelOp;
        for (let q = 0; q < r.panels; q++) {
          const from = Math.min(r.O, q * H), to = Math.min(r.O, from + H);
          for (let i = 0; i < r.I; i++) f32.set(src.subarray(i * r.O + from, i * r.O + to), base + (q * r.I + i) * H);
        }
      };
      putWeight(r.weight, dense.weight);
      put(r.bias, dense.bias, 1, r.O);
      const wState = optimizerState(this.optimizer, dense.weight), bState = optimizerState(this.optimizer, dense.bias);
      r.state.forEach((at, s) => {
        putWeight(at, wState[s]);
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
        for (let i = 0; i < rows; i++) dst.set(f32.subarray(base + i * r.Op, base + i * r.Op + cols), i * cols);
      };
      // a weight matrix [I, O] from its column panels
      const getWeight = (dst: Floats, at: number) => {
        const base = at / 4, H = r.panelOp;
        for (let q = 0; q < r.panels; q++) {
          const from = Math.min(r.O, q * H), to = Math.min(r.O, from + H), row = base + q * r.I * H;
          for (let i = 0; i < r.I; i++) dst.set(f32.subarray(row + i * H, row + i * H + to - from), i * r.O + from);
        }
      };
      getWeight(dense.weight, r.weight);
      get(dense.bias, r.bias, 1, r.O);
      const wState = optimizerState(this.optimizer, dense.weight), bState = optimizerState(this.optimizer, dense.bias);
      r.state.forEach((at, s) => {
        getWeight(wState[s], at);
        get(bState[s], at + stateBiasOffset(r), 1, r.O);
      });
    });
    if (this.optimizer instanceof Adam) this.optimizer.steps = this.#t;
  }

  /** Stops the worker threads (once the run is over) and lets the memory serve the next training. */
  close(): void {
    // the memory goes back for the next training in this process (its pages are already mapped), but only when
    // every worker has left (see WorkerTeam.close)
    if (this.#team.close()) releaseSimdKernels(this.#k);
  }

  /** How many worker threads have left for good (all of them after `close()`, unless they did not answer in time). */
  get workersExited(): number {
    return this.#team.workersExited;
  }
}

/**
 * Writes the optimiser's kind and settings for step number `t` (AdamW's bias
 * corrections) with learning rate `lr` into a params region (see
 * {@linkcode PARAMS}).
 */
export function writeOptimizerParams(p: Float64Array, optimizer: Optimizer, lr: number, t: number): void {
  const opt = optimizer as GradientDescent | Momentum | Adam;
  p.fill(0);
  p[PARAMS.lr] = lr;
  p[PARAMS.lambda] = opt.weightDecay;
  if (opt instanceof Momentum) {
    p[PARAMS.kind] = 1;
    p[PARAMS.a] = opt.momentum;
  } else if (opt instanceof Adam) {
    p[PARAMS.kind] = 2;
    p[PARAMS.a] = opt.beta1;
    p[PARAMS.b] = opt.beta2;
    p[PARAMS.c1] = 1 / (1 - opt.beta1 ** t);
    p[PARAMS.c2] = 1 / (1 - opt.beta2 ** t);
    p[PARAMS.eps] = opt.epsilon;
  }
}

/** The optimiser's state arrays kept for the parameter tensor `value`, in slot order (none for SGD). */
export function optimizerState(optimizer: Optimizer, value: Floats): Floats[] {
  if (optimizer instanceof Momentum) return [optimizer.velocity(value)];
  if (optimizer instanceof Adam) return optimizer.moments(value);
  return [];
}

/** Bytes from a state slot's weight part to its bias part (the weight part rounded up to 32 bytes). */
function stateBiasOffset(layer: LayerRegions): number {
  return Math.ceil((layer.I * layer.Op) / 8) * 32;
}

/** What a worker gets when it starts. */
export interface WorkerInit {
  memory: WebAssembly.Memory;
  /** The compiled kernels (`sharedSimdModule()`), so that the worker does not compile them again. */
  module: WebAssembly.Module;
  plan: SimdPlan;
  lane: number;
  activations: ActivationName[];
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
    const workers = kernels === null ? null : startLaneWorkers(plan.lanes.length, (lane): WorkerInit => ({
      memory: kernels.memory,
      module: sharedSimdModule()!,
      plan,
      lane,
      activations: net.activationNames,
    }));
    if (kernels !== null && workers !== null) {
      return new SimdNetwork(kernels, plan, net, data, optimizer, rng, augment, workers);
    }
  }
  const plan = simdPlan(net, batchSize, slots, 1);
  const kernels = simdKernels(plan.bytes);
  if (kernels === null) return null;
  return new SimdNetwork(kernels, plan, net, data, optimizer, rng, augment);
}
