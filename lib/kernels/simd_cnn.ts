/**
 * Convolutional networks on WebAssembly SIMD: the `simd-cnn` step strategy
 * for any float32 {@linkcode Sequential} (Conv2d, MaxPool2d, Flatten, Linear,
 * ReLU / tanh / sigmoid), on one thread or several.
 *
 * The layers of `lib/nn/` stay the readable reference; this module computes
 * the same gradients with the matrix products of `gemm.ts`, over buffers laid
 * out once in one WebAssembly memory. Images live there channel-last (HWC),
 * the channels padded to a multiple of 8 (Cp): an activation [C, H, W] of
 * one example is a matrix [H·W, Cp]. For a convolution with R = K·K·C:
 *
 *   cols [B·H′·W′, R]   ← one row per output position: the patch under the kernel,
 *                          in (u, v, c) order                          `im2colRows` (TypeScript)
 *   y [B·H′·W′, Op]     = cols · Wc + b                                 `gemm`
 *   ∂L/∂Wc [R, Op]      = colsᵀ · δ                                    `gemm`, A transposed by its strides
 *   ∂L/∂b [Op]          = Σ_rows δ                                     `sumRows`
 *   ∂cols [B·H′·W′, R]  = δ · Wcᵀ                                      `gemmNT`
 *   ∂L/∂x               = col2im(∂cols), summing overlaps               `col2imRows` (TypeScript)
 *
 * where Wc [R, Op] holds the layer's W[O, C, K, K] at row (u·K + v)·C + c,
 * column o. So a convolution is three products per lane and step over the
 * whole slice of the batch, as large as the MLP's. Dense layers are `gemm`
 * (forward, ∂L/∂W) and `gemmNT` (∂L/∂x) as in `simd_network.ts`; the first
 * dense layer's weight rows are permuted from the flatten's (c, y, x) order
 * to HWC. ReLU runs in place (`relu`, `reluBackward`); tanh and sigmoid in
 * TypeScript on the memory. im2col, col2im and 2 × 2 max pooling are
 * memory-bound loops in `conv.wat` (`im2col`, `col2im`, `maxPool`,
 * `maxPoolBackward`, built by `deno task build:conv`), each with a
 * TypeScript twin here; the pool's backward pass finds each window's winner
 * again from its input and output instead of storing it.
 *
 * The weights and the optimiser stay in TypeScript (`optimizers.ts`): each
 * step copies the weights in (a permutation, about 80,000 floats for the cnn
 * preset, against some 200 MFLOP of products), and copies the summed gradient
 * out into the layers' gradient tensors, then calls `optimizer.step` as the
 * general path does. So the results are the general path's up to float
 * rounding, with every optimiser, weight decay, schedule and augmentation,
 * and `sync()` / `load()` have nothing to do.
 *
 * Threads: lane t takes rows [⌊tB/T⌋, ⌊(t+1)B/T⌋) of the minibatch;
 * lanes 1 … T−1 are Web Workers (`simd_cnn_worker.ts`) started once per run,
 * sharing the memory and waiting on `Atomics`. The main thread adds the
 * lanes' gradients in lane order (`addAndClear`), so a seed and a thread
 * count give the same bytes.
 *
 * @module
 */

import { type Dataset, gatherBatch } from "../data/dataset.ts";
import { type Activation, activation, type ActivationName } from "../nn/activations.ts";
import { Conv2d } from "../nn/conv2d.ts";
import { ActivationLayer, Flatten, Linear } from "../nn/layer.ts";
import { crossEntropyLoss, softmaxForward } from "../nn/loss.ts";
import type { Optimizer } from "../nn/optimizers.ts";
import { MaxPool2d } from "../nn/pool.ts";
import type { Random } from "../nn/random.ts";
import type { Sequential } from "../nn/sequential.ts";
import type { StepStrategy } from "../nn/step.ts";
import { MemoryPlan, sharedSimdKernels, type SimdKernels, simdKernels } from "./gemm.ts";
import { CONV_SHARED_WASM_BASE64, CONV_WASM_BASE64 } from "./conv_wasm.ts";
import { lazyWasm } from "./wasm.ts";

const pad8 = (n: number) => Math.ceil(n / 8) * 8;

/**
 * How one example's activation is laid out in memory: the network's input as
 * it comes (CHW), an image channel-last with Cp ≥ C channel slots (HWC), or
 * a vector padded to n ≥ its length.
 */
export type MemoryLayout =
  | { kind: "chw"; C: number; H: number; W: number }
  | { kind: "hwc"; C: number; Cp: number; H: number; W: number }
  | { kind: "vec"; n: number; np: number };

/** Floats per example of a layout. */
export function layoutSize(layout: MemoryLayout): number {
  if (layout.kind === "chw") return layout.C * layout.H * layout.W;
  if (layout.kind === "hwc") return layout.H * layout.W * layout.Cp;
  return layout.np;
}

/**
 * Where the value with flat CHW (or vector) index `i` of one example lives in a layout (in floats).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { layoutIndex, layoutSize, type MemoryLayout } from "./simd_cnn.ts";
 * const hwc: MemoryLayout = { kind: "hwc", C: 3, Cp: 8, H: 2, W: 2 };
 * assert.equal(layoutSize(hwc), 2 * 2 * 8);
 * assert.equal(layoutIndex(hwc, 1 * 4 + 3), 3 * 8 + 1); // channel 1, pixel (1, 1)
 * ```
 */
export function layoutIndex(layout: MemoryLayout, i: number): number {
  if (layout.kind !== "hwc") return i;
  const { H, W, Cp } = layout, plane = H * W;
  const c = Math.floor(i / plane), p = i - c * plane; // i = c·H·W + y·W + x, p = y·W + x
  return p * Cp + c;
}

/** The strides (in floats) of channel, row and column of an image layout. */
function strides(layout: MemoryLayout): { sc: number; sy: number; sx: number } {
  if (layout.kind === "chw") return { sc: layout.H * layout.W, sy: layout.W, sx: 1 };
  if (layout.kind === "hwc") return { sc: 1, sy: layout.W * layout.Cp, sx: layout.Cp };
  throw new RangeError("a vector has no image strides");
}

/** One convolution's geometry: input C×H×W (channel, row, column strides sc, sy, sx), K×K kernel, padding P. */
export interface ConvGeometry {
  C: number;
  H: number;
  W: number;
  K: number;
  P: number;
  Ho: number;
  Wo: number;
  sc: number;
  sy: number;
  sx: number;
}

/**
 * cols[(b·H′·W′ + i·W′ + j)·R + (u·K + v)·C + c] = x[b, c, i + u − P, j + v − P] (0 outside the image),
 * for the `n` examples of x from float `xOff` (`xStride` floats apart) into cols from float `colsOff`:
 * one row of R = K·K·C values per output position (im2col, transposed and in (u, v, c) order).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { im2colRows } from "./simd_cnn.ts";
 * // a 3×3 one-channel image, 2×2 kernel: 4 positions × 4 taps
 * const cols = new Float32Array(16);
 * const g = { C: 1, H: 3, W: 3, K: 2, P: 0, Ho: 2, Wo: 2, sc: 9, sy: 3, sx: 1 };
 * im2colRows(cols, 0, new Float32Array([1, 2, 3, 4, 5, 6, 7, 8, 9]), 0, 9, 1, g);
 * assert.deepEqual([...cols.subarray(0, 4)], [1, 2, 4, 5]); // the patch at (0, 0)
 * ```
 */
export function im2colRows(
  cols: Float32Array,
  colsOff: number,
  x: Float32Array,
  xOff: number,
  xStride: number,
  n: number,
  g: ConvGeometry,
): void {
  const { C, H, W, K, P, Ho, Wo, sc, sy, sx } = g;
  const KC = K * C;
  const runs = sc === 1 && sx === C || C === 1 && sx === 1; // a kernel row's K·C values are contiguous in x
  let dst = colsOff;
  for (let b = 0; b < n; b++) {
    const base = xOff + b * xStride;
    for (let i = 0; i < Ho; i++) {
      for (let j = 0; j < Wo; j++) {
        const vLo = Math.max(0, P - j), vHi = Math.min(K, W + P - j); // v with 0 ≤ j + v − P < W
        for (let u = 0; u < K; u++) {
          const y = i + u - P;
          if (y < 0 || y >= H) {
            cols.fill(0, dst, dst + KC);
            dst += KC;
            continue;
          }
          const row = base + y * sy + (j - P) * sx;
          if (runs) {
            let d = dst;
            for (let q = 0; q < vLo * C; q++) cols[d++] = 0;
            for (let q = row + vLo * C, end = row + vHi * C; q < end; q++) cols[d++] = x[q];
            for (let q = vHi * C; q < KC; q++) cols[d++] = 0;
          } else {
            for (let v = 0; v < K; v++) {
              const d = dst + v * C;
              if (v < vLo || v >= vHi) {
                for (let c = 0; c < C; c++) cols[d + c] = 0;
              } else {
                const s = row + v * sx;
                for (let c = 0; c < C; c++) cols[d + c] = x[s + c * sc];
              }
            }
          }
          dst += KC;
        }
      }
    }
  }
}

/**
 * The adjoint of {@linkcode im2colRows}: dx[b, c, y, x] (the `n` examples'
 * `xStride` floats each, zeroed first, channel padding included) ← the sum
 * of the entries of dcols that im2col copied from x[b, c, y, x].
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { col2imRows } from "./simd_cnn.ts";
 * // a 3×3 image, 2×2 kernel: the centre pixel is in all four patches
 * const g = { C: 1, H: 3, W: 3, K: 2, P: 0, Ho: 2, Wo: 2, sc: 9, sy: 3, sx: 1 };
 * const dx = new Float32Array(9);
 * col2imRows(dx, 0, 9, new Float32Array(16).fill(1), 0, 1, g);
 * assert.deepEqual([...dx], [1, 2, 1, 2, 4, 2, 1, 2, 1]);
 * ```
 */
export function col2imRows(
  dx: Float32Array,
  xOff: number,
  xStride: number,
  dcols: Float32Array,
  colsOff: number,
  n: number,
  g: ConvGeometry,
): void {
  const { C, H, W, K, P, Ho, Wo, sc, sy, sx } = g;
  const KC = K * C;
  dx.fill(0, xOff, xOff + n * xStride);
  let src = colsOff;
  for (let b = 0; b < n; b++) {
    const base = xOff + b * xStride;
    for (let i = 0; i < Ho; i++) {
      for (let j = 0; j < Wo; j++) {
        const vLo = Math.max(0, P - j), vHi = Math.min(K, W + P - j);
        for (let u = 0; u < K; u++) {
          const y = i + u - P;
          if (y >= 0 && y < H) {
            const row = base + y * sy + (j - P) * sx;
            for (let v = vLo; v < vHi; v++) {
              const s = src + v * C, d = row + v * sx;
              for (let c = 0; c < C; c++) dx[d + c * sc] += dcols[s + c]; // ∂L/∂x += ∂cols
            }
          }
          src += KC;
        }
      }
    }
  }
}

/**
 * 2 × 2 max pooling, stride 2, on `n` channel-last images [H, W, Cp] from
 * float `xOff` into out [⌊H/2⌋, ⌊W/2⌋, Cp] from float `outOff` (the twin of
 * `maxPool` in conv.wat): the max of each window, the first of equal values
 * on ties (the order (0,0), (0,1), (1,0), (1,1)), as `MaxPool2d`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { maxPoolRows } from "./simd_cnn.ts";
 * const out = new Float32Array(1);
 * maxPoolRows(out, 0, new Float32Array([1, 4, 3, 2]), 0, 1, 2, 2, 1);
 * assert.equal(out[0], 4);
 * ```
 */
export function maxPoolRows(
  out: Float32Array,
  outOff: number,
  x: Float32Array,
  xOff: number,
  n: number,
  H: number,
  W: number,
  Cp: number,
): void {
  const Ho = Math.floor(H / 2), Wo = Math.floor(W / 2), row = W * Cp;
  let k = outOff;
  for (let b = 0; b < n; b++) {
    const base = xOff + b * H * W * Cp;
    for (let i = 0; i < Ho; i++) {
      for (let j = 0; j < Wo; j++) {
        const p0 = base + (2 * i * W + 2 * j) * Cp;
        for (let c = 0; c < Cp; c++) {
          const p = p0 + c;
          let value = x[p];
          if (x[p + Cp] > value) value = x[p + Cp];
          if (x[p + row] > value) value = x[p + row];
          if (x[p + row + Cp] > value) value = x[p + row + Cp];
          out[k++] = value; // y = max of the window
        }
      }
    }
  }
}

/**
 * The backward pass of {@linkcode maxPoolRows} (the twin of
 * `maxPoolBackward` in conv.wat): dx [n, H, W, Cp] from float `dxOff` is 0
 * except, in each window, δ at the first input equal to the window's output
 * (the one the forward pass kept), found again from x and out.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { maxPoolRowsBackward } from "./simd_cnn.ts";
 * const dx = new Float32Array(4);
 * maxPoolRowsBackward(dx, 0, new Float32Array([0.5]), 0, new Float32Array([1, 4, 3, 4]), 0, new Float32Array([4]), 0, 1, 2, 2, 1);
 * assert.deepEqual([...dx], [0, 0.5, 0, 0]); // the first of the two 4s won
 * ```
 */
export function maxPoolRowsBackward(
  dx: Float32Array,
  dxOff: number,
  dOut: Float32Array,
  dOutOff: number,
  x: Float32Array,
  xOff: number,
  out: Float32Array,
  outOff: number,
  n: number,
  H: number,
  W: number,
  Cp: number,
): void {
  const Ho = Math.floor(H / 2), Wo = Math.floor(W / 2), row = W * Cp;
  dx.fill(0, dxOff, dxOff + n * H * W * Cp);
  let k = 0;
  for (let b = 0; b < n; b++) {
    for (let i = 0; i < Ho; i++) {
      for (let j = 0; j < Wo; j++) {
        const p0 = b * H * W * Cp + (2 * i * W + 2 * j) * Cp;
        for (let c = 0; c < Cp; c++, k++) {
          const p = p0 + c, y = out[outOff + k];
          // ∂L/∂x = δ at the winner, 0 elsewhere
          const at = x[xOff + p] === y
            ? p
            : x[xOff + p + Cp] === y
            ? p + Cp
            : x[xOff + p + row] === y
            ? p + row
            : x[xOff + p + row + Cp] === y
            ? p + row + Cp
            : -1;
          if (at >= 0) dx[dxOff + at] = dOut[dOutOff + k];
        }
      }
    }
  }
}

/** The exports of `conv.wat` (byte addresses and strides). */
export interface ConvExports {
  im2col(
    cols: number,
    x: number,
    xStride: number,
    n: number,
    H: number,
    W: number,
    C: number,
    K: number,
    P: number,
    Ho: number,
    Wo: number,
    sy: number,
    sx: number,
  ): void;
  col2im(
    dx: number,
    xStride: number,
    dcols: number,
    n: number,
    H: number,
    W: number,
    C: number,
    K: number,
    P: number,
    Ho: number,
    Wo: number,
    sy: number,
    sx: number,
  ): void;
  maxPool(out: number, x: number, n: number, H: number, W: number, Cp: number): void;
  maxPoolBackward(dx: number, dOut: number, x: number, out: number, n: number, H: number, W: number, Cp: number): void;
}

/** `conv.wat` compiled for a plain memory and for a shared one. */
const convModules = [lazyWasm(CONV_WASM_BASE64), lazyWasm(CONV_SHARED_WASM_BASE64, true)];

/**
 * The kernels of `conv.wat` on the memory of `k` (a plain or a shared one),
 * or null where they cannot run.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { convKernels } from "./simd_cnn.ts";
 * import { simdKernels } from "./gemm.ts";
 * const k = simdKernels(128)!;
 * // a 2×2 image with 4 channel slots (pixel-major): channel 0 holds 1, 4, 3, 2
 * k.f32.set([1, 0, 0, 0, 4, 0, 0, 0, 3, 0, 0, 0, 2, 0, 0, 0], 0);
 * convKernels(k)!.maxPool(64, 0, 1, 2, 2, 4); // out [1, 1, 4] at byte 64
 * assert.deepEqual([...k.f32.subarray(16, 20)], [4, 0, 0, 0]);
 * ```
 */
export function convKernels(k: SimdKernels): ConvExports | null {
  const shared = typeof SharedArrayBuffer === "function" && k.memory.buffer instanceof SharedArrayBuffer ? 1 : 0;
  const module = convModules[shared]();
  if (module === null) return null;
  return new WebAssembly.Instance(module, { env: { memory: k.memory } }).exports as unknown as ConvExports;
}

/** One step of the plan, with byte addresses of its weights (shared) and per-lane buffers. */
export type CnnOp =
  | {
    kind: "conv";
    g: ConvGeometry;
    /** Output channel slots (O padded to 8) and R = K·K·C. */
    Op: number;
    R: number;
    param: number;
    /** Input-layout floats per example. */
    inSize: number;
  }
  | { kind: "linear"; I: number; Op: number; param: number; inLayout: MemoryLayout }
  | { kind: "act"; name: ActivationName; size: number }
  | { kind: "pool"; H: number; W: number; Cp: number; inSize: number; outSize: number }
  | { kind: "flatten" };

/** A parameter tensor's place: the layer's weight [rows, Op] and bias [Op] in memory, and the TS → memory index map. */
export interface ParamRegions {
  /** The layer's index in `Sequential.layers`. */
  layer: number;
  rows: number;
  Op: number;
  weight: number;
  bias: number;
  /**
   * A convolution's weights also as Wcᵀ [Op, R] when R is a multiple of 8
   * (then ∂cols = δ · Wcᵀ is a `gemm`, faster than `gemmNT` with its short
   * K = Op); −1 otherwise.
   */
  weightT: number;
}

/** One lane's buffers: per op its output and ∂L/∂output (aliases for in-place ops), cols, gradients. */
export interface CnnLaneRegions {
  out: number[];
  delta: number[];
  cols: number[];
  dcols: number;
  gradWeight: number[];
  gradBias: number[];
  /** A chunk's bias gradient before it is added to the lane's (the widest layer's Op floats). */
  biasScratch: number;
}

/** Where everything lives in the memory. */
export interface CnnPlan {
  bytes: number;
  batchSize: number;
  /** Examples in a lane's buffers: one chunk, ⌈batchSize / lanes⌉ up to CHUNK_ROWS. */
  laneRows: number;
  inputs: number;
  classes: number;
  ops: CnnOp[];
  params: ParamRegions[];
  lanes: CnnLaneRegions[];
  x: number;
  labels: number;
  zero: number;
  control: number;
  losses: number;
}

/** The worker protocol: int32 slots of the control region. */
export const CNN_CONTROL = { generation: 0, command: 1, batch: 2, ready: 3, lane: 4 } as const;
/** Commands in `CNN_CONTROL.command`. */
export const CNN_COMMAND = { step: 1, stop: 2 } as const;
/** Per lane t, from CNN_CONTROL.lane + 4t: first row, rows, the generation done (−1: failed). */
export const cnnLaneSlot = (t: number, field: 0 | 1 | 2) => CNN_CONTROL.lane + 4 * t + field;

/**
 * The ops and memory of `net` at batch size `batchSize` on `lanes` threads,
 * or null if a layer is of a kind this path does not know.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { cnnPlan } from "./simd_cnn.ts";
 * import { Sequential } from "../nn/sequential.ts";
 * import { parseArch } from "../nn/arch.ts";
 * const net = new Sequential({ inputShape: [1, 28, 28], arch: parseArch("conv5x5x6,pool2,fc32"), activation: "relu", classes: 10 });
 * const plan = cnnPlan(net, 32, 2)!;
 * assert.deepEqual(plan.ops.map((op) => op.kind), ["conv", "act", "pool", "flatten", "linear", "act", "linear"]);
 * assert.equal(plan.laneRows, 16);
 * ```
 */
export function cnnPlan(net: Sequential, batchSize: number, lanes: number): CnnPlan | null {
  const p = new MemoryPlan();
  // a lane's buffers hold one chunk of at most CHUNK_ROWS examples (see cnnLaneGradient)
  const rows = Math.min(Math.ceil(batchSize / lanes), CHUNK_ROWS);
  const [C0, H0, W0] = net.inputShape.length === 3 ? net.inputShape : [net.inputShape[0], 1, 1];
  let current: MemoryLayout = net.inputShape.length === 3
    ? { kind: "chw", C: C0, H: H0, W: W0 }
    : { kind: "vec", n: net.inputSize, np: net.inputSize };
  const ops: CnnOp[] = [];
  const params: ParamRegions[] = [];
  /** Per-example output floats of each op (0 for in-place ops). */
  const outFloats: number[] = [];
  for (const [l, layer] of net.layers.entries()) {
    const layout: MemoryLayout = current;
    const inSize = layoutSize(layout);
    if (layer instanceof Conv2d) {
      if (layout.kind === "vec") return null;
      const s = strides(layout);
      const g: ConvGeometry = {
        C: layer.C,
        H: layer.H,
        W: layer.W,
        K: layer.K,
        P: layer.P,
        Ho: layer.Ho,
        Wo: layer.Wo,
        ...s,
      };
      const Op = pad8(layer.O), R = layer.K * layer.K * layer.C;
      const weightT = R % 8 === 0 ? p.region(Op * R) : -1;
      params.push({ layer: l, rows: R, Op, weight: p.region(R * Op), bias: p.region(Op), weightT });
      ops.push({ kind: "conv", g, Op, R, param: params.length - 1, inSize });
      current = { kind: "hwc", C: layer.O, Cp: Op, H: layer.Ho, W: layer.Wo };
      outFloats.push(layoutSize(current));
    } else if (layer instanceof Linear) {
      if (layer.inputs !== (layout.kind === "vec" ? layout.n : layout.C * layout.H * layout.W)) return null;
      const Op = pad8(layer.outputs);
      params.push({ layer: l, rows: inSize, Op, weight: p.region(inSize * Op), bias: p.region(Op), weightT: -1 });
      ops.push({ kind: "linear", I: inSize, Op, param: params.length - 1, inLayout: layout });
      current = { kind: "vec", n: layer.outputs, np: Op };
      outFloats.push(Op);
    } else if (layer instanceof ActivationLayer) {
      if (inSize % 4 !== 0) return null;
      ops.push({ kind: "act", name: layer.kind, size: inSize });
      outFloats.push(0);
    } else if (layer instanceof MaxPool2d) {
      if (layout.kind !== "hwc") return null;
      const { C, H, W, Cp }: { C: number; H: number; W: number; Cp: number } = layout;
      current = { kind: "hwc", C, Cp, H: Math.floor(H / 2), W: Math.floor(W / 2) };
      ops.push({ kind: "pool", H, W, Cp, inSize, outSize: layoutSize(current) });
      outFloats.push(layoutSize(current));
    } else if (layer instanceof Flatten) {
      // the memory order stays; the next dense layer's rows follow the layout (see layoutIndex)
      ops.push({ kind: "flatten" });
      outFloats.push(0);
    } else return null;
  }
  const last = ops[ops.length - 1];
  if (last.kind !== "linear") return null;
  const laneRegions = Array.from({ length: lanes }, (): CnnLaneRegions => {
    const out: number[] = [], delta: number[] = [], cols: number[] = [];
    let dcolsFloats = 0;
    ops.forEach((op, i) => {
      if (outFloats[i] === 0) {
        // in place: the input's buffers (the network's input has no delta buffer: it is never needed)
        out.push(i === 0 ? -1 : out[i - 1]);
        delta.push(i === 0 ? -1 : delta[i - 1]);
      } else {
        out.push(p.region(rows * outFloats[i]));
        delta.push(p.region(rows * outFloats[i]));
      }
      cols.push(op.kind === "conv" ? p.region(rows * op.g.Ho * op.g.Wo * op.R) : -1);
      if (op.kind === "conv") dcolsFloats = Math.max(dcolsFloats, rows * op.g.Ho * op.g.Wo * op.R);
    });
    return {
      out,
      delta,
      cols,
      dcols: p.region(dcolsFloats),
      gradWeight: params.map((q) => p.region(q.rows * q.Op)),
      gradBias: params.map((q) => p.region(q.Op)),
      biasScratch: p.region(Math.max(...params.map((q) => q.Op))),
    };
  });
  return {
    batchSize,
    laneRows: rows,
    inputs: net.inputSize,
    classes: net.outputSize,
    ops,
    params,
    lanes: laneRegions,
    x: p.region(batchSize * net.inputSize),
    labels: p.region(batchSize),
    zero: p.region(Math.max(...params.map((q) => Math.max(q.Op, q.weightT === -1 ? 0 : q.rows)))),
    control: p.region(CNN_CONTROL.lane + 4 * lanes),
    losses: p.region(2 * lanes),
    bytes: p.bytes,
  };
}

/** A thread's scratch: the softmax's arrays, the activations of its act ops, the conv.wat kernels on its memory. */
export interface CnnScratch {
  probs: Float32Array;
  logits: Float32Array;
  activations: (Activation | null)[];
  conv: ConvExports;
}

/** Thread t's scratch for `plan` on kernels `k`. */
export function cnnScratch(k: SimdKernels, plan: CnnPlan): CnnScratch {
  const conv = convKernels(k);
  if (conv === null) throw new Error("the convolution kernels (conv.wat) cannot run here");
  return {
    probs: new Float32Array(plan.laneRows * plan.classes),
    logits: new Float32Array(plan.laneRows * plan.classes),
    activations: plan.ops.map((op) => op.kind === "act" ? activation(op.name) : null),
    conv,
  };
}

/** Whether conv.wat's im2col and col2im apply: each pixel's channels contiguous (or one channel). */
const channelsContiguous = (g: ConvGeometry) => g.sc === 1 || g.C === 1;

/**
 * One lane's forward pass over the `rows` examples at byte address `x`
 * (plan.inputs floats each): leaves every op's output in the lane's buffers,
 * the logits [rows, Op] in the last op's.
 */
export function cnnLaneForward(
  k: SimdKernels,
  plan: CnnPlan,
  t: number,
  x: number,
  rows: number,
  scratch: CnnScratch,
): void {
  const e = k.exports, f32 = k.f32, conv = scratch.conv;
  const lane = plan.lanes[t], ops = plan.ops, L = ops.length;
  const outAt = (i: number): number => i < 0 ? x : lane.out[i] === -1 ? outAt(i - 1) : lane.out[i];
  for (let i = 0; i < L; i++) {
    const op = ops[i], input = outAt(i - 1), out = outAt(i);
    if (op.kind === "conv") {
      const q = plan.params[op.param], N = rows * op.g.Ho * op.g.Wo;
      const g = op.g; // cols [rows·H′·W′, R]
      if (channelsContiguous(g)) {
        conv.im2col(lane.cols[i], input, 4 * op.inSize, rows, g.H, g.W, g.C, g.K, g.P, g.Ho, g.Wo, 4 * g.sy, 4 * g.sx);
      } else im2colRows(f32, lane.cols[i] / 4, f32, input / 4, op.inSize, rows, g);
      e.gemm(out, 4 * op.Op, lane.cols[i], 4 * op.R, 4, q.weight, 4 * op.Op, q.bias, N, op.Op, op.R, 0); // y = cols·Wc + b
    } else if (op.kind === "linear") {
      const q = plan.params[op.param];
      e.gemm(out, 4 * op.Op, input, 4 * op.I, 4, q.weight, 4 * op.Op, q.bias, rows, op.Op, op.I, 0); // y = x·W + b
    } else if (op.kind === "act") {
      if (op.name === "relu") e.relu(out, rows * op.size);
      else {
        const v = k.view(out, rows * op.size);
        scratch.activations[i]!.forward(v, v, rows * op.size);
      }
    } else if (op.kind === "pool") {
      conv.maxPool(out, input, rows, op.H, op.W, op.Cp);
    }
  }
}

/**
 * One lane's share of a step: forward and backward over the `rows` rows from
 * row `first` of the minibatch in memory, as part of a batch of B; leaves
 * ∂(Σ of these rows' losses / B)/∂w in the lane's gradients (overwritten)
 * and returns the rows' loss sum. The rows go in chunks of plan.laneRows
 * (at most CHUNK_ROWS), each chunk's gradient added to the previous ones' in
 * order, so that the buffers stay small enough for the caches whatever the
 * batch size. A lane with no rows (a batch smaller than the thread count)
 * leaves zero gradients and a loss sum of 0.
 */
export function cnnLaneGradient(
  k: SimdKernels,
  plan: CnnPlan,
  t: number,
  first: number,
  rows: number,
  B: number,
  scratch: CnnScratch,
): number {
  if (rows === 0) {
    const lane = plan.lanes[t];
    plan.params.forEach((q, j) => {
      k.f32.fill(0, lane.gradWeight[j] / 4, lane.gradWeight[j] / 4 + q.rows * q.Op);
      k.f32.fill(0, lane.gradBias[j] / 4, lane.gradBias[j] / 4 + q.Op);
    });
    return 0;
  }
  let lossSum = 0;
  for (let done = 0; done < rows; done += plan.laneRows) {
    const n = Math.min(plan.laneRows, rows - done);
    lossSum += chunkGradient(k, plan, t, first + done, n, B, scratch, done > 0);
  }
  return lossSum;
}

/** {@linkcode cnnLaneGradient} on one chunk of n ≤ plan.laneRows rows; `accumulate`: add to the lane's gradients. */
function chunkGradient(
  k: SimdKernels,
  plan: CnnPlan,
  t: number,
  first: number,
  rows: number,
  B: number,
  scratch: CnnScratch,
  accumulate: boolean,
): number {
  const e = k.exports, f32 = k.f32, conv = scratch.conv;
  const lane = plan.lanes[t], ops = plan.ops, L = ops.length;
  const x = plan.x + 4 * first * plan.inputs;
  const labels = k.i32.subarray(plan.labels / 4 + first, plan.labels / 4 + first + rows);
  // byte addresses of each op's input and output, and of ∂L/∂input (−1: not kept, the network's input)
  const outAt = (i: number): number => i < 0 ? x : lane.out[i] === -1 ? outAt(i - 1) : lane.out[i];
  const deltaAt = (i: number): number => i < 0 ? -1 : lane.delta[i];

  cnnLaneForward(k, plan, t, x, rows, scratch);

  // softmax and cross-entropy on the logits [rows, C]; δᴸ = (P − Y) / B into the top delta
  const top = ops[L - 1] as Extract<CnnOp, { kind: "linear" }>;
  const C = plan.classes, Op = top.Op, { probs, logits } = scratch;
  const outTop = outAt(L - 1) / 4, deltaTop = deltaAt(L - 1) / 4;
  for (let b = 0; b < rows; b++) for (let c = 0; c < C; c++) logits[b * C + c] = f32[outTop + b * Op + c];
  softmaxForward(probs, logits, rows, C);
  const lossSum = crossEntropyLoss(probs, labels, rows, C) * rows;
  const scale = 1 / B;
  for (let b = 0; b < rows; b++) {
    for (let c = 0; c < C; c++) f32[deltaTop + b * Op + c] = probs[b * C + c] * scale;
    f32[deltaTop + b * Op + labels[b]] -= scale;
  }

  // ∂L/∂b = Σ δ, into the lane's gradient or added to it
  const biasGradient = (j: number, delta: number, ld: number, n: number, Op: number) => {
    if (!accumulate) return e.sumRows(lane.gradBias[j], delta, ld, n, Op);
    e.sumRows(lane.biasScratch, delta, ld, n, Op);
    e.addAndClear(lane.gradBias[j], lane.biasScratch, Op);
  };
  const acc = accumulate ? 1 : 0;

  // backward: δ = ∂L/∂(output of op i); ∂L/∂(its input) into deltaAt(i − 1) when kept
  for (let i = L - 1; i >= 0; i--) {
    const op = ops[i], input = outAt(i - 1), delta = deltaAt(i), dx = deltaAt(i - 1);
    if (op.kind === "conv") {
      const q = plan.params[op.param], N = rows * op.g.Ho * op.g.Wo;
      biasGradient(op.param, delta, 4 * op.Op, N, op.Op);
      // ∂L/∂Wc [R, Op] = colsᵀ · δ: A(r, n) = cols[n, r]
      e.gemm(
        lane.gradWeight[op.param],
        4 * op.Op,
        lane.cols[i],
        4,
        4 * op.R,
        delta,
        4 * op.Op,
        plan.zero,
        op.R,
        op.Op,
        N,
        acc,
      );
      if (dx !== -1) {
        // ∂cols [N, R] = δ · Wcᵀ
        if (q.weightT !== -1) {
          e.gemm(lane.dcols, 4 * op.R, delta, 4 * op.Op, 4, q.weightT, 4 * op.R, plan.zero, N, op.R, op.Op, 0);
        } else e.gemmNT(lane.dcols, 4 * op.R, delta, 4 * op.Op, q.weight, 4 * op.Op, N, op.R, op.Op);
        const g = op.g; // ∂L/∂x = col2im(∂cols)
        if (channelsContiguous(g)) {
          conv.col2im(dx, 4 * op.inSize, lane.dcols, rows, g.H, g.W, g.C, g.K, g.P, g.Ho, g.Wo, 4 * g.sy, 4 * g.sx);
        } else col2imRows(f32, dx / 4, op.inSize, f32, lane.dcols / 4, rows, g);
      }
    } else if (op.kind === "linear") {
      const q = plan.params[op.param];
      biasGradient(op.param, delta, 4 * op.Op, rows, op.Op);
      // ∂L/∂W [I, Op] = xᵀ · δ
      e.gemm(
        lane.gradWeight[op.param],
        4 * op.Op,
        input,
        4,
        4 * op.I,
        delta,
        4 * op.Op,
        plan.zero,
        op.I,
        op.Op,
        rows,
        acc,
      );
      if (dx !== -1) e.gemmNT(dx, 4 * op.I, delta, 4 * op.Op, q.weight, 4 * op.Op, rows, op.I, op.Op); // δ · Wᵀ
    } else if (op.kind === "act") {
      if (dx === -1) continue;
      const out = outAt(i);
      if (op.name === "relu") e.reluBackward(delta, out, rows * op.size); // δ ⊙ [out > 0], in place
      else {
        const d = k.view(delta, rows * op.size);
        scratch.activations[i]!.backward(d, d, k.view(out, rows * op.size), rows * op.size);
      }
    } else if (op.kind === "pool") {
      if (dx === -1) continue;
      conv.maxPoolBackward(dx, delta, input, outAt(i), rows, op.H, op.W, op.Cp); // δ to each window's winner
    }
  }
  return lossSum;
}

/** How long the main thread waits for a worker's step before giving up (ms). */
const WORKER_TIMEOUT_MS = 120_000;
/** How long it waits for the workers to start (ms); then it trains on one thread. */
const WORKER_START_MS = 20_000;

/**
 * For each parameter tensor of the plan, the float offset in its memory
 * region of each of the tensor's values (the weight's, then the bias's is the
 * identity): conv W[O, C, K, K] at row (u·K + v)·C + c, column o; dense W[I, O]
 * at row layoutIndex(i), column o.
 */
export function weightMaps(net: Sequential, plan: CnnPlan): Int32Array[] {
  return plan.params.map((q) => {
    const layer = net.layers[q.layer];
    const op = plan.ops.find((o) => (o.kind === "conv" || o.kind === "linear") && plan.params[o.param] === q)!;
    const map = new Int32Array(layer.tensors!.weight.length);
    if (layer instanceof Conv2d) {
      const { O, C, K } = layer;
      for (let o = 0; o < O; o++) {
        for (let c = 0; c < C; c++) {
          for (let u = 0; u < K; u++) {
            for (let v = 0; v < K; v++) map[((o * C + c) * K + u) * K + v] = ((u * K + v) * C + c) * q.Op + o;
          }
        }
      }
    } else if (layer instanceof Linear && op.kind === "linear") {
      const O = layer.outputs;
      for (let i = 0; i < layer.inputs; i++) {
        const row = layoutIndex(op.inLayout, i);
        for (let o = 0; o < O; o++) map[i * O + o] = row * q.Op + o;
      }
    }
    return map;
  });
}

/** The network's weights into the plan's regions (Wc, its transpose where kept, and the biases; padding stays 0). */
export function writeWeights(k: SimdKernels, plan: CnnPlan, net: Sequential, maps: readonly Int32Array[]): void {
  const f32 = k.f32;
  plan.params.forEach((q, j) => {
    const { weight, bias } = net.layers[q.layer].tensors!, map = maps[j], w0 = q.weight / 4;
    for (let i = 0; i < map.length; i++) f32[w0 + map[i]] = weight[i];
    f32.set(bias, q.bias / 4);
    if (q.weightT !== -1) {
      // Wcᵀ [Op, R]: the weight at row r, column o of Wc goes to row o, column r
      const t0 = q.weightT / 4, R = q.rows, Op = q.Op;
      for (let i = 0; i < map.length; i++) {
        const at = map[i], r = Math.floor(at / Op);
        f32[t0 + (at - r * Op) * R + r] = weight[i];
      }
    }
  });
}

/** Examples per forward call of {@linkcode CnnInference} (its buffers' batch). */
const INFERENCE_ROWS = 32;

/** The most examples a lane computes at once (larger slices go in chunks: the buffers stay in the caches). */
export const CHUNK_ROWS = 32;

/**
 * The forward pass of a float32 layer-list network on the same kernels, for
 * evaluation: `forward(x, B)` gives the logits of `Sequential.forward` up to
 * float rounding, about ten times faster. It reads the network's weights at
 * every call, so it stays right while the network trains. Use
 * {@linkcode cnnInference}.
 */
export class CnnInference {
  readonly #k: SimdKernels;
  readonly #plan: CnnPlan;
  readonly #maps: Int32Array[];
  readonly #scratch: CnnScratch;
  #logits = new Float32Array(0);

  /** Use {@linkcode cnnInference}, which plans the memory and checks that the kernels can run for `net`. */
  constructor(kernels: SimdKernels, plan: CnnPlan, readonly net: Sequential) {
    this.#k = kernels;
    this.#plan = plan;
    this.#maps = weightMaps(net, plan);
    this.#scratch = cnnScratch(kernels, plan);
  }

  /** The logits [B, classes] of x[B, inputSize] (a view of an internal buffer, valid until the next call). */
  forward(x: Float32Array, B: number): Float32Array {
    const k = this.#k, plan = this.#plan, I = plan.inputs, C = plan.classes, f32 = k.f32;
    if (this.#logits.length < B * C) this.#logits = new Float32Array(B * C);
    writeWeights(k, plan, this.net, this.#maps);
    const top = plan.ops[plan.ops.length - 1] as Extract<CnnOp, { kind: "linear" }>;
    const outTop = plan.lanes[0].out[plan.ops.length - 1] / 4;
    for (let start = 0; start < B; start += plan.batchSize) {
      const rows = Math.min(plan.batchSize, B - start);
      f32.set(x.subarray(start * I, (start + rows) * I), plan.x / 4);
      cnnLaneForward(k, plan, 0, plan.x, rows, this.#scratch);
      for (let b = 0; b < rows; b++) {
        for (let c = 0; c < C; c++) this.#logits[(start + b) * C + c] = f32[outTop + b * top.Op + c];
      }
    }
    return this.#logits.subarray(0, B * C);
  }
}

const inferences = new WeakMap<Sequential, CnnInference | null>();

/**
 * The fast forward pass of `net` (made once per network), or null where it
 * cannot run (float64, a layer kind it does not know, no WebAssembly SIMD).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { cnnInference } from "./simd_cnn.ts";
 * import { Sequential } from "../nn/sequential.ts";
 * import { parseArch } from "../nn/arch.ts";
 * import { Random } from "../nn/random.ts";
 * const net = new Sequential({ inputShape: [1, 8, 8], arch: parseArch("conv3x3x4,pool2,fc8"), activation: "relu", classes: 3 })
 *   .init(new Random(1));
 * const x = Float32Array.from({ length: 2 * 64 }, (_, i) => (i % 7) / 7);
 * const fast = cnnInference(net)!.forward(x, 2), reference = net.forward(x, 2);
 * fast.forEach((v, i) => assert.ok(Math.abs(v - reference[i]) < 1e-5));
 * ```
 */
export function cnnInference(net: Sequential): CnnInference | null {
  let inference = inferences.get(net);
  if (inference !== undefined) return inference;
  inference = null;
  if (net.dtype === "float32") {
    const plan = cnnPlan(net, INFERENCE_ROWS, 1);
    const kernels = plan === null ? null : simdKernels(plan.bytes);
    if (plan !== null && kernels !== null && convKernels(kernels) !== null) {
      inference = new CnnInference(kernels, plan, net);
    }
  }
  inferences.set(net, inference);
  return inference;
}

/**
 * The `simd-cnn` {@linkcode StepStrategy}: see the module notes. Use
 * {@linkcode simdCnn}.
 */
export class SimdCnn implements StepStrategy {
  readonly name = "simd-cnn";
  readonly #k: SimdKernels;
  readonly #plan: CnnPlan;
  readonly #maps: Int32Array[];
  readonly #xView: Float32Array;
  readonly #labels: Uint8Array;
  readonly #scratch: CnnScratch;
  readonly #workers: Worker[];
  readonly #control: Int32Array;
  readonly #losses: Float64Array;
  #generation = 0;

  /** Use {@linkcode simdCnn}, which plans the memory, starts the workers and checks that the kernels can run. */
  constructor(
    kernels: SimdKernels,
    plan: CnnPlan,
    readonly net: Sequential,
    readonly data: Dataset,
    readonly optimizer: Optimizer,
    readonly rng: Random,
    readonly augment?: (x: Float32Array, B: number, rng: Random) => void,
    workers: Worker[] = [],
  ) {
    this.#k = kernels;
    this.#plan = plan;
    this.#maps = weightMaps(net, plan);
    this.#xView = kernels.view(plan.x, plan.batchSize * plan.inputs);
    this.#labels = new Uint8Array(plan.batchSize);
    this.#scratch = cnnScratch(kernels, plan);
    this.#workers = workers;
    this.#control = new Int32Array(kernels.memory.buffer, plan.control, CNN_CONTROL.lane + 4 * plan.lanes.length);
    this.#losses = new Float64Array(kernels.memory.buffer, plan.losses, plan.lanes.length);
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
    this.#weightsIn();

    // lane t takes rows [⌊tB/T⌋, ⌊(t+1)B/T⌋); lanes 1 … T−1 run in the workers while lane 0 runs here
    const firstRow = (t: number) => Math.floor(t * B / T);
    if (T > 1) {
      for (let t = 1; t < T; t++) {
        ctl[cnnLaneSlot(t, 0)] = firstRow(t);
        ctl[cnnLaneSlot(t, 1)] = firstRow(t + 1) - firstRow(t);
      }
      ctl[CNN_CONTROL.batch] = B;
      ctl[CNN_CONTROL.command] = CNN_COMMAND.step;
      Atomics.store(ctl, CNN_CONTROL.generation, ++this.#generation);
      Atomics.notify(ctl, CNN_CONTROL.generation);
    }
    let lossSum = cnnLaneGradient(k, plan, 0, 0, firstRow(1), B, this.#scratch);
    const lane0 = plan.lanes[0];
    for (let t = 1; t < T; t++) {
      this.#await(t);
      if (firstRow(t + 1) === firstRow(t)) continue;
      lossSum += this.#losses[t];
      // the lanes' gradients summed in lane order: the same bytes for the same seed and thread count
      const lane = plan.lanes[t];
      plan.params.forEach((q, j) => {
        k.exports.addAndClear(lane0.gradWeight[j], lane.gradWeight[j], q.rows * q.Op);
        k.exports.addAndClear(lane0.gradBias[j], lane.gradBias[j], q.Op);
      });
    }
    this.#gradientsOut();
    this.optimizer.step(this.net.parameters(), lr);
    return lossSum / B;
  }

  /** The network's weights into memory (padding stays 0). */
  #weightsIn(): void {
    writeWeights(this.#k, this.#plan, this.net, this.#maps);
  }

  /** Lane 0's gradients (the sum) into the layers' gradient tensors. */
  #gradientsOut(): void {
    const f32 = this.#k.f32, lane0 = this.#plan.lanes[0];
    this.#plan.params.forEach((q, j) => {
      const { gradWeight, gradBias } = this.net.layers[q.layer].tensors!, map = this.#maps[j];
      const g0 = lane0.gradWeight[j] / 4, b0 = lane0.gradBias[j] / 4;
      for (let i = 0; i < map.length; i++) gradWeight[i] = f32[g0 + map[i]];
      gradBias.set(f32.subarray(b0, b0 + gradBias.length));
    });
  }

  /** Blocks until worker lane t has finished the current generation. */
  #await(t: number): void {
    const ctl = this.#control, slot = cnnLaneSlot(t, 2);
    const deadline = performance.now() + WORKER_TIMEOUT_MS;
    for (;;) {
      const done = Atomics.load(ctl, slot);
      if (done === this.#generation) return;
      if (done === -1) throw new Error(`training thread ${t} failed`);
      if (performance.now() > deadline) throw new Error(`training thread ${t} did not answer`);
      Atomics.wait(ctl, slot, done, 1000);
    }
  }

  /** The weights stay in the network: nothing to copy back. */
  sync(): void {}

  /** Each step reads the network's weights: nothing to copy in. */
  load(): void {}

  /** Stops the worker threads (once the run is over). */
  close(): void {
    if (this.#workers.length === 0) return;
    const ctl = this.#control;
    ctl[CNN_CONTROL.command] = CNN_COMMAND.stop;
    Atomics.store(ctl, CNN_CONTROL.generation, ++this.#generation);
    Atomics.notify(ctl, CNN_CONTROL.generation);
    for (const worker of this.#workers) worker.terminate();
    this.#workers.length = 0;
  }
}

/** What a worker gets when it starts. */
export interface CnnWorkerInit {
  memory: WebAssembly.Memory;
  plan: CnnPlan;
  lane: number;
}

/** Starts the workers of lanes 1 … T−1 and waits until each is ready; null if one is not within the time-out. */
function startWorkers(kernels: SimdKernels, plan: CnnPlan): Worker[] | null {
  const ctl = new Int32Array(kernels.memory.buffer, plan.control, CNN_CONTROL.lane + 4 * plan.lanes.length);
  const workers: Worker[] = [];
  for (let t = 1; t < plan.lanes.length; t++) {
    const worker = new Worker(new URL("./simd_cnn_worker.ts", import.meta.url).href, { type: "module" });
    const init: CnnWorkerInit = { memory: kernels.memory, plan, lane: t };
    worker.postMessage(init);
    workers.push(worker);
  }
  const deadline = performance.now() + WORKER_START_MS;
  for (;;) {
    const ready = Atomics.load(ctl, CNN_CONTROL.ready);
    if (ready === workers.length) return workers;
    if (ready < 0 || performance.now() > deadline) break;
    Atomics.wait(ctl, CNN_CONTROL.ready, ready, 1000);
  }
  for (const worker of workers) worker.terminate();
  return null;
}

/**
 * The `simd-cnn` path for `net` on `threads` threads (1: this one only), or
 * null when it cannot run: a float64 network, inputs that are not the
 * network's size, a layer kind it does not know, no WebAssembly SIMD, more
 * than 1 GiB of memory. With threads > 1 where shared memory or workers are
 * missing, it runs on one thread.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { simdCnn } from "./simd_cnn.ts";
 * import { Sequential } from "../nn/sequential.ts";
 * import { parseArch } from "../nn/arch.ts";
 * import { Momentum } from "../nn/optimizers.ts";
 * import { Random } from "../nn/random.ts";
 * import { makeDataset } from "../data/dataset.ts";
 * const rng = new Random(0);
 * const data = makeDataset(Float32Array.from({ length: 4 * 64 }, () => rng.uniform()), new Uint8Array([0, 1, 0, 1]), 64);
 * const net = new Sequential({ inputShape: [1, 8, 8], arch: parseArch("conv3x3x4,pool2,fc8"), activation: "relu", classes: 2 })
 *   .init(new Random(1));
 * const step = simdCnn(net, data, new Momentum(0.9), 4, new Random(2))!;
 * const first = step.step([0, 1, 2, 3], 0, 4, 0.05);
 * for (let t = 0; t < 30; t++) step.step([0, 1, 2, 3], 0, 4, 0.05);
 * assert.ok(step.step([0, 1, 2, 3], 0, 4, 0.05) < first);
 * ```
 */
export function simdCnn(
  net: Sequential,
  data: Dataset,
  optimizer: Optimizer,
  batchSize: number,
  rng: Random,
  augment?: (x: Float32Array, B: number, rng: Random) => void,
  threads = 1,
): SimdCnn | null {
  if (net.dtype !== "float32" || data.features !== net.inputSize) return null;
  const lanes = Math.max(1, Math.min(Math.floor(threads), batchSize));
  if (lanes > 1 && typeof Worker === "function") {
    const plan = cnnPlan(net, batchSize, lanes);
    if (plan === null) return null;
    const kernels = sharedSimdKernels(plan.bytes);
    const workers = kernels === null ? null : startWorkers(kernels, plan);
    if (kernels !== null && workers !== null) {
      return new SimdCnn(kernels, plan, net, data, optimizer, rng, augment, workers);
    }
  }
  const plan = cnnPlan(net, batchSize, 1);
  if (plan === null) return null;
  const kernels = simdKernels(plan.bytes);
  if (kernels === null || convKernels(kernels) === null) return null;
  return new SimdCnn(kernels, plan, net, data, optimizer, rng, augment);
}
