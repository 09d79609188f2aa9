/**
 * The first layer on sparse inputs, two ways: plain TypeScript, and
 * WebAssembly SIMD (four float32 multiply-adds per instruction) for float32
 * networks.
 *
 * During fast training (`train.ts`) layer 0 only ever does two things, per
 * example r of a minibatch:
 *
 *   forward:  z[b, :] = x_r · W + b                        z: [B, H], W: [I, H]
 *   update:   W ← W − η x_rᵀ ⊗ δ[b, :]  (after the whole batch's δ are known)
 *
 * {@linkcode JsSparseLayer} runs them with the loops of `sparse.ts` directly
 * on the layer's arrays. {@linkcode WasmSparseLayer} runs the same loops,
 * written in `simd.wat`, on a copy of W in WebAssembly memory whose rows are
 * padded to a multiple of 4 floats; {@linkcode SparseLayer.sync} copies the
 * weights back into the `Dense` layer (the trainer does it after every epoch).
 * {@linkcode sparseLayer} picks the WebAssembly one when it can.
 *
 * @module
 */

import type { Dense } from "../nn/dense.ts";
import { crossEntropyLoss, softmaxCrossEntropyBackward, softmaxForward } from "../nn/loss.ts";
import { type DenseRows, sparseForward, sparseOuterUpdate, type SparseRows, writeRowPairs } from "./sparse.ts";
import type { Floats } from "../nn/tensor.ts";
import { SIMD_WASM_BASE64 } from "./simd_wasm.ts";
import { lazyWasm } from "./wasm.ts";

/** Layer 0 of a network bound to a dataset's sparse rows. */
export interface SparseLayer {
  /** "wasm-simd" or "js": which implementation runs. */
  readonly kind: "wasm-simd" | "js";
  /** z[b, :] = x_r · W + bias for the B examples r = examples[start + b]; z is [≥B, H]. */
  forward(z: Floats, examples: ArrayLike<number>, start: number, B: number): void;
  /** W ← W − η Σ_b x_rᵀ ⊗ delta[b, :] for the same examples; delta is [≥B, H]. */
  update(delta: Floats, examples: ArrayLike<number>, start: number, B: number, lr: number): void;
  /** Makes the `Dense` layer's weight hold the current weights. */
  sync(): void;
  /** Takes the `Dense` layer's weight as the current weights (after someone else changed them). */
  load(): void;
}

/** The TypeScript implementation: the loops of `sparse.ts` on the layer's own arrays. */
export class JsSparseLayer implements SparseLayer {
  readonly kind = "js";
  /** `layer`: the dense layer trained in place on its own arrays; `rows`: the dataset's inputs in CSR form. */
  constructor(readonly layer: Dense, readonly rows: SparseRows) {}

  forward(z: Floats, examples: ArrayLike<number>, start: number, B: number): void {
    const { weight, bias, outputs: H } = this.layer;
    for (let b = 0; b < B; b++) sparseForward(z, b * H, this.rows, examples[start + b], weight, bias, H);
  }

  update(delta: Floats, examples: ArrayLike<number>, start: number, B: number, lr: number): void {
    const { weight, outputs: H } = this.layer;
    for (let b = 0; b < B; b++) sparseOuterUpdate(weight, this.rows, examples[start + b], delta, b * H, lr, H);
  }

  sync(): void {}

  load(): void {}
}

interface SimdExports {
  sparseForward(
    out: number,
    weight: number,
    bias: number,
    H: number,
    start: number,
    end: number,
  ): void;
  sparseOuterUpdate(
    weight: number,
    delta: number,
    H: number,
    lr: number,
    start: number,
    end: number,
  ): void;
}

/**
 * Writes the nonzero entries of `rows` to WebAssembly memory from byte address
 * `at` on, as the kernels read them: per entry an int32, the byte offset of
 * its weight row (index · rowBytes), then its float32 value.
 */
function writeEntries(memory: ArrayBufferLike, at: number, rows: SparseRows, rowBytes: number): void {
  const i32 = new Int32Array(memory, at, 2 * rows.index.length);
  const f32 = new Float32Array(memory, at, 2 * rows.index.length);
  for (let p = 0; p < rows.index.length; p++) {
    i32[2 * p] = rows.index[p] * rowBytes;
    f32[2 * p + 1] = rows.value[p];
  }
}

/** A released memory of `WasmSparseMlp` (one, the larger), for the next instance that fits. */
let spare: WebAssembly.Memory | null = null;

/** The released memory when it holds `bytes`, its first `bytes` zeroed (and no longer spare), or null. */
function spareMemory(bytes: number): WebAssembly.Memory | null {
  const memory = spare;
  if (memory === null || memory.buffer.byteLength < bytes) return null;
  spare = null;
  new Uint8Array(memory.buffer, 0, bytes).fill(0);
  return memory;
}

/** The compiled `simd.wat` (once per thread), or null where WebAssembly SIMD is not available. */
export const simdModule: () => WebAssembly.Module | null = lazyWasm(SIMD_WASM_BASE64);

/** The largest WebAssembly memory this module asks for (bytes); above it, the TypeScript loops run. */
const MAX_WASM_BYTES = 1 << 30;

/**
 * The WebAssembly SIMD implementation. Memory layout (byte addresses, each
 * region 16-byte aligned), with Hp = H rounded up to a multiple of 4:
 *
 *   weight [I, Hp] · bias [Hp] · out [Hp] · delta [Hp] · entries [nnz] (row offset, value) pairs
 */
export class WasmSparseLayer implements SparseLayer {
  readonly kind = "wasm-simd";
  readonly #layer: Dense;
  readonly #rows: SparseRows;
  readonly #kernels: SimdExports;
  readonly #f32: Float32Array;
  readonly #Hp: number;
  readonly #weight: number;
  readonly #bias: number;
  readonly #out: number;
  readonly #delta: number;
  readonly #entries: number;

  /** Use {@linkcode sparseLayer}, which checks that the module and the memory are available. */
  constructor(module: WebAssembly.Module, layer: Dense, rows: SparseRows) {
    const H = layer.outputs;
    const Hp = Math.ceil(H / 4) * 4;
    const nnz = rows.index.length;
    let end = 0;
    const region = (floats: number) => {
      const start = end;
      end += Math.ceil(floats / 4) * 16;
      return start;
    };
    this.#weight = region(layer.inputs * Hp);
    this.#bias = region(Hp);
    this.#out = region(Hp);
    this.#delta = region(Hp);
    this.#entries = region(2 * nnz);
    const memory = new WebAssembly.Memory({ initial: Math.max(1, Math.ceil(end / 65536)) });
    const instance = new WebAssembly.Instance(module, { env: { memory } });
    this.#kernels = instance.exports as unknown as SimdExports;
    this.#f32 = new Float32Array(memory.buffer);
    this.#layer = layer;
    this.#rows = rows;
    this.#Hp = Hp;
    writeEntries(memory.buffer, this.#entries, rows, 4 * Hp);
    this.load();
  }

  /** Bytes of WebAssembly memory needed for a layer of I×H on `nnz` nonzero entries. */
  static bytesNeeded(I: number, H: number, nnz: number): number {
    const Hp = Math.ceil(H / 4) * 4;
    return 4 * ((I + 3) * Hp + 2 * nnz) + 256;
  }

  forward(z: Floats, examples: ArrayLike<number>, start: number, B: number): void {
    const f32 = this.#f32, Hp = this.#Hp, H = this.#layer.outputs, out = this.#out / 4;
    const bias = this.#layer.bias;
    for (let o = 0; o < H; o++) f32[this.#bias / 4 + o] = bias[o];
    const { rowStart } = this.#rows;
    for (let b = 0; b < B; b++) {
      const r = examples[start + b];
      this.#kernels.sparseForward(
        this.#out,
        this.#weight,
        this.#bias,
        Hp,
        this.#entries + 8 * rowStart[r],
        this.#entries + 8 * rowStart[r + 1],
      );
      for (let o = 0; o < H; o++) z[b * H + o] = f32[out + o];
    }
  }

  update(delta: Floats, examples: ArrayLike<number>, start: number, B: number, lr: number): void {
    const f32 = this.#f32, Hp = this.#Hp, H = this.#layer.outputs, d = this.#delta / 4;
    const { rowStart } = this.#rows;
    for (let b = 0; b < B; b++) {
      const r = examples[start + b];
      for (let o = 0; o < H; o++) f32[d + o] = delta[b * H + o];
      this.#kernels.sparseOuterUpdate(
        this.#weight,
        this.#delta,
        Hp,
        lr,
        this.#entries + 8 * rowStart[r],
        this.#entries + 8 * rowStart[r + 1],
      );
    }
  }

  load(): void {
    // W [I, H] → padded [I, Hp]; the padding columns stay 0 (delta's padding is 0, so they never change)
    const { weight, inputs: I, outputs: H } = this.#layer;
    const Hp = this.#Hp, f32 = this.#f32;
    for (let i = 0; i < I; i++) {
      const dst = this.#weight / 4 + i * Hp;
      for (let o = 0; o < H; o++) f32[dst + o] = weight[i * H + o];
    }
  }

  sync(): void {
    const { weight, inputs: I, outputs: H } = this.#layer;
    const Hp = this.#Hp, f32 = this.#f32;
    for (let i = 0; i < I; i++) {
      const src = this.#weight / 4 + i * Hp;
      for (let o = 0; o < H; o++) weight[i * H + o] = f32[src + o];
    }
  }
}

/**
 * Layer 0 of a network bound to the sparse rows of its training set: the
 * WebAssembly SIMD kernels for a float32 layer when the runtime has them (and
 * the data fits in 1 GiB of WebAssembly memory), the TypeScript loops otherwise.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Dense } from "../nn/dense.ts";
 * import { Random } from "../nn/random.ts";
 * import { toSparseRows } from "./sparse.ts";
 * import { sparseLayer } from "./simd.ts";
 * const layer = new Dense(3, 5).init(new Random(0), "he");
 * const rows = toSparseRows(new Float32Array([0, 1, 0.5]), 3);
 * const z = new Float32Array(5);
 * sparseLayer(layer, rows).forward(z, [0], 0, 1);
 * for (let o = 0; o < 5; o++) {
 *   assert.ok(Math.abs(z[o] - (layer.weight[5 + o] + 0.5 * layer.weight[10 + o])) < 1e-6);
 * }
 * ```
 */
export function sparseLayer(layer: Dense, rows: SparseRows, prefer: "wasm-simd" | "js" = "wasm-simd"): SparseLayer {
  const module = prefer === "wasm-simd" && layer.weight instanceof Float32Array ? simdModule() : null;
  if (
    module !== null && WasmSparseLayer.bytesNeeded(layer.inputs, layer.outputs, rows.index.length) <= MAX_WASM_BYTES
  ) {
    return new WasmSparseLayer(module, layer, rows);
  }
  return new JsSparseLayer(layer, rows);
}

/**
 * A whole network with one hidden ReLU layer, I → H → C (the spec's
 * 784-30-10), bound to its training set's sparse rows, taking plain SGD steps:
 *
 *   h = relu(x_r · W⁰ + b⁰)            [B, H]   sparse in x
 *   z = h · W¹ + b¹,  P = softmax(z)    [B, C]
 *   δ¹ = (P − Y) / B,  δ⁰ = (δ¹ · W¹ᵀ) ⊙ [h > 0]
 *   W¹ −= η hᵀδ¹,  b¹ −= η Σ_b δ¹,  b⁰ −= η Σ_b δ⁰,  W⁰ −= η Σ_b x_rᵀ δ⁰_b   (sparse in x)
 *
 * It is what `sparseMiniBatch` in `step.ts` computes for such a network,
 * without the per-layer bookkeeping: on WebAssembly, a minibatch is two calls
 * (`mlpForward`, `mlpBackward` in `simd.wat`) around the softmax of `loss.ts`.
 */
export interface SparseMlp {
  /** "wasm-simd" or "js": which implementation runs. */
  readonly kind: "wasm-simd" | "js";
  /**
   * One SGD step on the B examples r = examples[start + b] with labels[b]
   * (B at most the batch size given at creation); returns the batch's mean
   * loss before the step.
   */
  step(examples: ArrayLike<number>, start: number, B: number, labels: ArrayLike<number>, lr: number): number;
  /** Makes the network's layers hold the current weights and biases. */
  sync(): void;
  /** Takes the network's layers' weights and biases as the current ones (after someone else changed them). */
  load(): void;
  /** Lets the next training in this process reuse what this one holds; the instance is not used afterwards. */
  release?(): void;
}

/** softmax(logits) → probs, returns the mean cross-entropy, dLogits = (probs − Y) / B; all [B, C]. */
function softmaxStep(
  probs: Floats,
  dLogits: Floats,
  logits: Floats,
  labels: ArrayLike<number>,
  B: number,
  C: number,
): number {
  softmaxForward(probs, logits, B, C);
  const loss = crossEntropyLoss(probs, labels, B, C);
  softmaxCrossEntropyBackward(dLogits, probs, labels, B, C);
  return loss;
}

/**
 * The TypeScript reference of {@linkcode SparseMlp}: plain loops on the
 * layers' own arrays, in the order the WebAssembly kernels follow.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Dense } from "../nn/dense.ts";
 * import { Random } from "../nn/random.ts";
 * import { toSparseRows } from "./sparse.ts";
 * import { JsSparseMlp } from "./simd.ts";
 * const rng = new Random(0);
 * const layers = [new Dense(4, 3).init(rng, "he"), new Dense(3, 2).init(rng, "he")];
 * const mlp = new JsSparseMlp(layers[0], layers[1], toSparseRows(new Float32Array([0, 1, 0.5, 0]), 4), 1);
 * const first = mlp.step([0], 0, 1, [1], 0.5);
 * for (let t = 0; t < 20; t++) mlp.step([0], 0, 1, [1], 0.5);
 * assert.ok(mlp.step([0], 0, 1, [1], 0.5) < first);
 * ```
 */
export class JsSparseMlp implements SparseMlp {
  readonly kind = "js";
  readonly #hidden: Floats; // h [B, H]
  readonly #delta0: Floats; // δ⁰ [B, H]
  readonly #logits: Floats; // z [B, C]
  readonly #probs: Floats; // P [B, C]
  readonly #dLogits: Floats; // δ¹ [B, C]

  /** `layer0` → ReLU → `layer1`, trained in place; `rows`: the dataset's inputs (CSR); `batchSize`: the largest B. */
  constructor(readonly layer0: Dense, readonly layer1: Dense, readonly rows: SparseRows, batchSize: number) {
    const H = layer0.outputs, C = layer1.outputs;
    this.#hidden = new Float64Array(batchSize * H);
    this.#delta0 = new Float64Array(batchSize * H);
    this.#logits = new Float64Array(batchSize * C);
    this.#probs = new Float64Array(batchSize * C);
    this.#dLogits = new Float64Array(batchSize * C);
  }

  step(examples: ArrayLike<number>, start: number, B: number, labels: ArrayLike<number>, lr: number): number {
    const { weight: W0, bias: b0, outputs: H } = this.layer0;
    const { weight: W1, bias: b1, outputs: C } = this.layer1; // W1 [H, C]
    const h = this.#hidden, delta0 = this.#delta0, z = this.#logits, dz = this.#dLogits;
    for (let b = 0; b < B; b++) {
      sparseForward(h, b * H, this.rows, examples[start + b], W0, b0, H); // h[b, :] = x_r · W⁰ + b⁰
      for (let j = 0; j < H; j++) h[b * H + j] = h[b * H + j] > 0 ? h[b * H + j] : 0; // relu
      for (let k = 0; k < C; k++) {
        let sum = 0;
        for (let j = 0; j < H; j++) sum += h[b * H + j] * W1[j * C + k];
        z[b * C + k] = b1[k] + sum; // z[b, k] = b¹[k] + h[b, :] · W¹[:, k]
      }
    }
    const loss = softmaxStep(this.#probs, dz, z, labels, B, C);
    for (let b = 0; b < B; b++) {
      for (let j = 0; j < H; j++) {
        let sum = 0;
        for (let k = 0; k < C; k++) sum += dz[b * C + k] * W1[j * C + k];
        delta0[b * H + j] = h[b * H + j] > 0 ? sum : 0; // δ⁰[b, j] = (δ¹[b, :] · W¹[j, :]) ⊙ [h > 0]
      }
    }
    for (let k = 0; k < C; k++) {
      for (let j = 0; j < H; j++) {
        let sum = 0;
        for (let b = 0; b < B; b++) sum += dz[b * C + k] * h[b * H + j];
        W1[j * C + k] -= lr * sum; // W¹[j, k] −= η Σ_b h[b, j] δ¹[b, k]
      }
      let sum = 0;
      for (let b = 0; b < B; b++) sum += dz[b * C + k];
      b1[k] -= lr * sum;
    }
    for (let j = 0; j < H; j++) {
      let sum = 0;
      for (let b = 0; b < B; b++) sum += delta0[b * H + j];
      b0[j] -= lr * sum;
    }
    for (let b = 0; b < B; b++) sparseOuterUpdate(W0, this.rows, examples[start + b], delta0, b * H, lr, H);
    return loss;
  }

  sync(): void {}

  load(): void {}
}

interface MlpExports {
  mlpForward(
    weight0: number,
    bias0: number,
    Hp: number,
    entries: number,
    rowStart: number,
    examples: number,
    B: number,
    hidden: number,
    weight1: number,
    bias1: number,
    C: number,
    logits: number,
  ): void;
  mlpBackward(
    weight0: number,
    bias0: number,
    Hp: number,
    entries: number,
    rowStart: number,
    examples: number,
    B: number,
    hidden: number,
    weight1: number,
    bias1: number,
    C: number,
    dLogits: number,
    delta0: number,
    lr: number,
  ): void;
}

/**
 * The WebAssembly SIMD implementation of {@linkcode SparseMlp}. Memory layout
 * (byte addresses, each region 16-byte aligned), Hp = H rounded up to 4:
 *
 *   weight0 [I, Hp] · bias0 [Hp] · weight1 [C, Hp] (W¹ transposed) · bias1 [C] · hidden [B, Hp] ·
 *   delta0 [B, Hp] · logits [B, C] · dLogits [B, C] · examples [B] · rowStart [n + 1] · entries [nnz] pairs
 */
export class WasmSparseMlp implements SparseMlp {
  readonly kind = "wasm-simd";
  readonly #layer0: Dense;
  readonly #layer1: Dense;
  readonly #kernels: MlpExports;
  readonly #f32: Float32Array;
  readonly #i32: Int32Array;
  readonly #Hp: number;
  readonly #batchSize: number;
  /** The byte address of each region. */
  readonly #at: Record<
    | "weight0"
    | "bias0"
    | "weight1"
    | "bias1"
    | "hidden"
    | "delta0"
    | "logits"
    | "dLogits"
    | "examples"
    | "rowStart"
    | "entries",
    number
  >;
  readonly #logits: Float32Array;
  readonly #dLogits: Float32Array;
  readonly #probs: Float32Array;
  readonly #memory: WebAssembly.Memory;

  /** Use {@linkcode sparseMlp}, which checks that the module and the memory are available. */
  constructor(
    module: WebAssembly.Module,
    layer0: Dense,
    layer1: Dense,
    rows: SparseRows | DenseRows,
    batchSize: number,
  ) {
    const H = layer0.outputs, C = layer1.outputs, nnz = "index" in rows ? rows.index.length : rows.nnz;
    const Hp = Math.ceil(H / 4) * 4;
    let end = 0;
    const region = (count: number) => {
      const start = end;
      end += Math.ceil(count / 4) * 16;
      return start;
    };
    this.#at = {
      weight0: region(layer0.inputs * Hp),
      bias0: region(Hp),
      weight1: region(C * Hp),
      bias1: region(C),
      hidden: region(batchSize * Hp),
      delta0: region(batchSize * Hp),
      logits: region(batchSize * C),
      dLogits: region(batchSize * C),
      examples: region(batchSize),
      rowStart: region(rows.n + 1),
      entries: region(2 * nnz + 2),
    };
    const memory = spareMemory(end) ?? new WebAssembly.Memory({ initial: Math.max(1, Math.ceil(end / 65536)) });
    this.#memory = memory;
    const instance = new WebAssembly.Instance(module, { env: { memory } });
    this.#kernels = instance.exports as unknown as MlpExports;
    this.#f32 = new Float32Array(memory.buffer);
    this.#i32 = new Int32Array(memory.buffer);
    this.#layer0 = layer0;
    this.#layer1 = layer1;
    this.#Hp = Hp;
    this.#batchSize = batchSize;
    this.#logits = this.#f32.subarray(this.#at.logits / 4, this.#at.logits / 4 + batchSize * C);
    this.#dLogits = this.#f32.subarray(this.#at.dLogits / 4, this.#at.dLogits / 4 + batchSize * C);
    this.#probs = new Float32Array(batchSize * C);
    if ("index" in rows) {
      this.#i32.set(rows.rowStart, this.#at.rowStart / 4);
      writeEntries(memory.buffer, this.#at.entries, rows, 4 * Hp);
    } else writeRowPairs(memory.buffer, rows, 4 * Hp, this.#at.entries, this.#at.rowStart);
    this.load();
  }

  /** Bytes of WebAssembly memory needed for an I-H-C network on n examples with `nnz` nonzero entries. */
  static bytesNeeded(I: number, H: number, C: number, n: number, nnz: number, batchSize: number): number {
    const Hp = Math.ceil(H / 4) * 4;
    return 4 * ((I + 1 + C + 2 * batchSize) * Hp + (2 * batchSize + 1) * C + batchSize + n + 1 + 2 * nnz + 2) + 256;
  }

  step(examples: ArrayLike<number>, start: number, B: number, labels: ArrayLike<number>, lr: number): number {
    if (B > this.#batchSize) throw new RangeError(`a batch of ${B} is larger than ${this.#batchSize}`);
    const at = this.#at, i32 = this.#i32, C = this.#layer1.outputs;
    for (let b = 0; b < B; b++) i32[at.examples / 4 + b] = examples[start + b];
    const k = this.#kernels;
    k.mlpForward(
      at.weight0,
      at.bias0,
      this.#Hp,
      at.entries,
      at.rowStart,
      at.examples,
      B,
      at.hidden,
      at.weight1,
      at.bias1,
      C,
      at.logits,
    );
    const loss = softmaxStep(this.#probs, this.#dLogits, this.#logits, labels, B, C);
    k.mlpBackward(
      at.weight0,
      at.bias0,
      this.#Hp,
      at.entries,
      at.rowStart,
      at.examples,
      B,
      at.hidden,
      at.weight1,
      at.bias1,
      C,
      at.dLogits,
      at.delta0,
      lr,
    );
    return loss;
  }

  load(): void {
    // W⁰ [I, H] → [I, Hp]; W¹ [H, C] → transposed [C, Hp]; padding columns stay 0 and never change
    const f32 = this.#f32, Hp = this.#Hp, at = this.#at;
    const { weight: W0, bias: b0, inputs: I, outputs: H } = this.#layer0;
    const { weight: W1, bias: b1, outputs: C } = this.#layer1;
    for (let i = 0; i < I; i++) for (let j = 0; j < H; j++) f32[at.weight0 / 4 + i * Hp + j] = W0[i * H + j];
    for (let j = 0; j < H; j++) f32[at.bias0 / 4 + j] = b0[j];
    for (let k = 0; k < C; k++) for (let j = 0; j < H; j++) f32[at.weight1 / 4 + k * Hp + j] = W1[j * C + k];
    for (let k = 0; k < C; k++) f32[at.bias1 / 4 + k] = b1[k];
  }

  /**
   * Gives the memory back for the next training in this process (a fresh
   * memory's first touch costs a page fault per 4 kB: about 4 ms of the
   * spec's 45 ms training on this virtual machine); call it once, after the
   * last step and `sync()`.
   */
  release(): void {
    if (spare === null || spare.buffer.byteLength < this.#memory.buffer.byteLength) spare = this.#memory;
  }

  sync(): void {
    const f32 = this.#f32, Hp = this.#Hp, at = this.#at;
    const { weight: W0, bias: b0, inputs: I, outputs: H } = this.#layer0;
    const { weight: W1, bias: b1, outputs: C } = this.#layer1;
    for (let i = 0; i < I; i++) for (let j = 0; j < H; j++) W0[i * H + j] = f32[at.weight0 / 4 + i * Hp + j];
    for (let j = 0; j < H; j++) b0[j] = f32[at.bias0 / 4 + j];
    for (let k = 0; k < C; k++) for (let j = 0; j < H; j++) W1[j * C + k] = f32[at.weight1 / 4 + k * Hp + j];
    for (let k = 0; k < C; k++) b1[k] = f32[at.bias1 / 4 + k];
  }
}

/**
 * The whole-network WebAssembly kernels for a float32 I-H-C network (one hidden
 * layer, ReLU), or null when they do not apply (other shapes, float64, no
 * WebAssembly SIMD, more than 1 GiB of WebAssembly memory): then the trainer
 * takes `sparseLayer` for layer 0 and TypeScript for the rest.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Network } from "../nn/network.ts";
 * import { Random } from "../nn/random.ts";
 * import { toSparseRows } from "./sparse.ts";
 * import { sparseMlp } from "./simd.ts";
 * const net = new Network({ sizes: [4, 3, 2], activations: "relu" }).init(new Random(0));
 * assert.equal(sparseMlp(net.layers, ["relu"], toSparseRows(new Float32Array(4), 4), 10)?.kind, "wasm-simd");
 * assert.equal(sparseMlp(net.layers, ["tanh"], toSparseRows(new Float32Array(4), 4), 10), null);
 * ```
 */
export function sparseMlp(
  layers: readonly Dense[],
  activations: readonly string[],
  rows: SparseRows | DenseRows,
  batchSize: number,
): WasmSparseMlp | null {
  if (layers.length !== 2 || activations[0] !== "relu" || !(layers[0].weight instanceof Float32Array)) return null;
  const [layer0, layer1] = layers;
  const bytes = WasmSparseMlp.bytesNeeded(
    layer0.inputs,
    layer0.outputs,
    layer1.outputs,
    rows.n,
    "index" in rows ? rows.index.length : rows.nnz,
    batchSize,
  );
  const module = simdModule();
  if (module === null || bytes > MAX_WASM_BYTES) return null;
  return new WasmSparseMlp(module, layer0, layer1, rows, batchSize);
}
