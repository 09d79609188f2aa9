/**
 * Matrix products and optimiser updates in WebAssembly SIMD, with their plain
 * TypeScript twins.
 *
 * {@linkcode SimdKernels} is one instance of `simd.wat` with its own memory:
 * the caller lays out its arrays in that memory ({@linkcode SimdKernels.alloc},
 * 16-byte aligned) and calls the kernels with byte addresses. Row strides are
 * in bytes; sizes in floats. The kernels:
 *
 * | kernel         | computes                                                          | shapes                     |
 * |----------------|-------------------------------------------------------------------|----------------------------|
 * | `gemm`         | C = (acc ? C : 1·biasᵀ) + A·B, A(m,k) at A + m·rsA + k·csA (A or Aᵀ) | C [M,N], B [K,N], N % 8 = 0 |
 * | `gemmNT`       | C = A·Bᵀ                                                          | C [M,N], A [M,K], B [N,K], K % 4 = 0 |
 * | `sparseGemm`   | out[b] = bias + Σ_p v_p W[i_p] over example b's nonzero pairs      | out [B,H], W [I,H], H % 4 = 0 |
 * | `sparseGemmRanges` | the same, example b's pairs anywhere (ranges [2B] of addresses) | as `sparseGemm`           |
 * | `sgdStep`      | w −= η (g + λw); g = 0                                            | n % 4 = 0                  |
 * | `momentumStep` | v = μv + g + λw; w −= ηv; g = 0                                   | n % 4 = 0                  |
 * | `adamStep`     | AdamW, as in `optimizers.ts`; g = 0                               | n % 4 = 0                  |
 * | `listNonzero`  | x's nonzero values as (index · rowBytes, value) pairs per example  | x [B,I]; returns the count |
 * | `sumRows`      | dst = Σ_b src[b] (the bias gradient)                               | src [B,N], N % 4 = 0       |
 * | `relu`, `reluBackward` | x = max(x, 0); δ = δ where out > 0 else 0                  | n % 4 = 0                  |
 * | `reluRows`, `reluBackwardRows` | the same on rows of n floats, ld bytes apart        | n % 4 = 0                  |
 * | `addAndClear`  | dst += src; src = 0 (one thread's gradient into the sum)           | n % 4 = 0                  |
 * | `listNonzeroColumns` | per input i nonzero somewhere in x: its (b · ldd, x[b,i]) pairs | x [B,I] rows ldx apart; returns the count |
 * | `columnsFromRanges` | the same lists from the examples' pairs (a counting sort)   | returns the count          |
 * | `firstLayerStep` | per row i of W: g = Σ_b x[b,i] δ[b] in registers, the optimiser on row i at once | W [I,H], H % 4 = 0 |
 *
 * `gemm` keeps a 4 × 8 tile of C in eight f32x4 registers while k runs (two
 * vector loads and four broadcasts feed sixteen multiply/adds); `gemmNT` a
 * 2 × 4 tile of partial dot products. Both serve any row-major layout through
 * their strides: X·W (forward), Xᵀ·δ (weight gradient, `rsA = 4`,
 * `csA = row bytes`), δ·Wᵀ (`gemmNT`), and an im2col convolution alike.
 *
 * @module
 */

import { simdModule } from "./simd.ts";
import { SIMD_SHARED_WASM_BASE64 } from "./simd_wasm.ts";
import { lazyWasm } from "./wasm.ts";

/** The exports of `simd.wat` used here (addresses in bytes). */
export interface GemmExports {
  /** C[m, 0:N] = (accumulate ? C[m, 0:N] : bias) + Σ_k A(m, k) · B[k, 0:N], A(m, k) at A + m·rsA + k·csA; N % 8 = 0. */
  gemm(
    C: number,
    ldc: number,
    A: number,
    rsA: number,
    csA: number,
    B: number,
    ldb: number,
    bias: number,
    M: number,
    N: number,
    K: number,
    accumulate: number,
  ): void;
  /** C = A · Bᵀ: C [M, N], A [M, K], B [N, K], rows ldc, lda and ldb bytes apart; K % 4 = 0. */
  gemmNT(C: number, ldc: number, A: number, lda: number, B: number, ldb: number, M: number, N: number, K: number): void;
  /** out[b, 0:H] = bias + Σ_p value_p · weight[index_p, 0:H] over pairs starts[b] … starts[b + 1] − 1; H % 4 = 0. */
  sparseGemm(out: number, ldo: number, weight: number, bias: number, H: number, starts: number, B: number): void;
  /** `sparseGemm` with example b's pairs at ranges[2b] … ranges[2b + 1] − 1 (int32 byte addresses, [2B]). */
  sparseGemmRanges(out: number, ldo: number, weight: number, bias: number, H: number, ranges: number, B: number): void;
  /** `listNonzeroColumns`'s lists made from the batch's pairs at `ranges` (a counting sort); returns the count. */
  columnsFromRanges(
    first: number,
    pixel: number,
    ranges: number,
    B: number,
    I: number,
    ldd: number,
    rowBytes: number,
    counts: number,
    out: number,
    columns: number,
  ): number;
  /** w −= lr (g + λw); g = 0, over n floats (n % 4 = 0). */
  sgdStep(w: number, g: number, n: number, lr: number, lambda: number): void;
  /** v = μv + g + λw; w −= lr v; g = 0, over n floats (n % 4 = 0). */
  momentumStep(w: number, g: number, v: number, n: number, lr: number, mu: number, lambda: number): void;
  /** AdamW: m = β₁m + (1 − β₁)g; s = β₂s + (1 − β₂)g²; w −= lr (c₁m / (√(c₂s) + ε) + λw); g = 0 (n % 4 = 0). */
  adamStep(
    w: number,
    g: number,
    m: number,
    s: number,
    n: number,
    lr: number,
    beta1: number,
    beta2: number,
    c1: number,
    c2: number,
    eps: number,
    lambda: number,
  ): void;
  /** x [B, I]'s nonzero values as (index · rowBytes, value) pairs at `entries`, starts [B + 1]; returns the count. */
  listNonzero(x: number, B: number, I: number, rowBytes: number, entries: number, starts: number): number;
  /** dst[0:N] = Σ_b src[b, 0:N] (the bias gradient), src rows ld bytes apart; N % 4 = 0. */
  sumRows(dst: number, src: number, ld: number, B: number, N: number): void;
  /** x[0:n] = max(x, 0) in place (NaN becomes 0); n % 4 = 0. */
  relu(x: number, n: number): void;
  /** delta[0:n] = delta where out > 0, else 0 (the ReLU's backward pass from its output); n % 4 = 0. */
  reluBackward(delta: number, out: number, n: number): void;
  /** `relu` on `rows` rows of n floats, ld bytes apart. */
  reluRows(x: number, ld: number, rows: number, n: number): void;
  /** `reluBackward` on `rows` rows of n floats, ld bytes apart. */
  reluBackwardRows(delta: number, out: number, ld: number, rows: number, n: number): void;
  /** dst[0:n] += src[0:n]; src[0:n] = 0 (one thread's gradient added to the sum); n % 4 = 0. */
  addAndClear(dst: number, src: number, n: number): void;
  /** Per input i nonzero in x [B, I]: (i · rowBytes, first, end) at `columns`, (b · ldd, x[b, i]) pairs at `pairs`. */
  listNonzeroColumns(
    x: number,
    B: number,
    I: number,
    ldx: number,
    ldd: number,
    rowBytes: number,
    pairs: number,
    columns: number,
  ): number;
  /** Per row of w [rows, H]: the first layer's gradient, then the optimiser's step (kind 0 SGD, 1 momentum, 2 Adam). */
  firstLayerStep(
    kind: number,
    w: number,
    m: number,
    s: number,
    delta: number,
    H: number,
    columns: number,
    n: number,
    rows: number,
    lr: number,
    a: number,
    b: number,
    c1: number,
    c2: number,
    eps: number,
    lambda: number,
  ): void;
}

/** The largest WebAssembly memory asked for (bytes). */
export const MAX_WASM_BYTES = 1 << 30;

/**
 * A memory plan: regions of floats, each 32-byte aligned, handed out in
 * order; {@linkcode MemoryPlan.bytes} is the memory they need.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MemoryPlan } from "./gemm.ts";
 * const plan = new MemoryPlan();
 * assert.equal(plan.region(3), 0);
 * assert.equal(plan.region(1), 32);
 * assert.equal(plan.bytes, 64);
 * ```
 */
export class MemoryPlan {
  /** Bytes the regions handed out so far need: the end of the last one. */
  bytes = 0;
  /** The byte address of a new region of `floats` floats (or int32s). */
  region(floats: number): number {
    const at = this.bytes;
    this.bytes += Math.ceil(floats / 8) * 32;
    return at;
  }
}

/**
 * One instance of the SIMD kernels with its own memory of `bytes` bytes, or
 * null where WebAssembly SIMD is missing or the memory would exceed 1 GiB.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MemoryPlan, simdKernels } from "./gemm.ts";
 * // C [2, 8] = A [2, 3] · B [3, 8], A = [[1, 2, 3], [4, 5, 6]], B all ones
 * const plan = new MemoryPlan();
 * const A = plan.region(6), B = plan.region(24), C = plan.region(16), zero = plan.region(8);
 * const k = simdKernels(plan.bytes)!;
 * k.f32.set([1, 2, 3, 4, 5, 6], A / 4);
 * k.f32.fill(1, B / 4, B / 4 + 24);
 * k.exports.gemm(C, 32, A, 12, 4, B, 32, zero, 2, 8, 3, 0);
 * assert.deepEqual([k.f32[C / 4], k.f32[C / 4 + 8]], [6, 15]);
 * ```
 */
export function simdKernels(bytes: number): SimdKernels | null {
  const module = simdModule();
  if (module === null || bytes > MAX_WASM_BYTES) return null;
  return reuse(false, bytes) ??
    new SimdKernels(module, new WebAssembly.Memory({ initial: Math.max(1, Math.ceil(bytes / 65536)) }));
}

/**
 * Released instances, one per kind (plain, shared), for the next training
 * in this process: a new memory's first touch costs a page fault per 4 kB
 * (about 40 ms for 13 MB on this machine's virtual machine), which a
 * 30-epoch training on 1000 images would otherwise pay on every run.
 */
const spare: { plain: SimdKernels | null; shared: SimdKernels | null } = { plain: null, shared: null };

/** A released instance of the kind with at least `bytes` bytes, its first `bytes` zeroed, or null. */
function reuse(shared: boolean, bytes: number): SimdKernels | null {
  const kind = shared ? "shared" : "plain", k = spare[kind];
  if (k === null || k.memory.buffer.byteLength < bytes) return null;
  spare[kind] = null;
  new Uint8Array(k.memory.buffer, 0, bytes).fill(0);
  return k;
}

/**
 * Gives an instance back once nothing uses its memory any more (no thread
 * runs on it): the next {@linkcode simdKernels} or
 * {@linkcode sharedSimdKernels} call that fits takes it, zeroed, instead of a
 * new memory. The larger of two released instances of a kind is kept.
 */
export function releaseSimdKernels(k: SimdKernels): void {
  const kind = k.memory.buffer instanceof SharedArrayBuffer ? "shared" : "plain", kept = spare[kind];
  if (kept === null || kept.memory.buffer.byteLength < k.memory.buffer.byteLength) spare[kind] = k;
}

/** The kernels' variant that imports a shared memory (for worker threads), or null where it cannot run. */
export const sharedSimdModule: () => WebAssembly.Module | null = lazyWasm(SIMD_SHARED_WASM_BASE64, true);

/**
 * The kernels on a new memory of `bytes` bytes shared between threads (pass
 * {@linkcode SimdKernels.memory} to a worker, which calls
 * {@linkcode attachSimdKernels}), or null where shared memory or the module
 * is missing.
 */
export function sharedSimdKernels(bytes: number): SimdKernels | null {
  const module = sharedSimdModule();
  if (module === null || bytes > MAX_WASM_BYTES) return null;
  const pages = Math.max(1, Math.ceil(bytes / 65536));
  return reuse(true, bytes) ??
    new SimdKernels(module, new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true }));
}

/**
 * The kernels on a shared memory made by {@linkcode sharedSimdKernels} in
 * another thread; `compiled`: the module that thread compiled (posted along,
 * so that this one does not compile it again), by default this thread's own.
 */
export function attachSimdKernels(
  memory: WebAssembly.Memory,
  compiled: WebAssembly.Module | null = sharedSimdModule(),
): SimdKernels {
  if (compiled === null) throw new Error("the shared-memory SIMD kernels are not available in this thread");
  return new SimdKernels(compiled, memory);
}

/** See {@linkcode simdKernels}. */
export class SimdKernels {
  /** The WebAssembly memory the kernels work in (shared for worker threads). */
  readonly memory: WebAssembly.Memory;
  /** The instance's kernels, called with byte addresses into `memory`. */
  readonly exports: GemmExports;
  /** The whole memory as float32 (index = byte address / 4). */
  readonly f32: Float32Array;
  /** The whole memory as int32. */
  readonly i32: Int32Array;

  /** Instantiates `module` (`simd.wat`, plain or shared variant) on `memory`. */
  constructor(module: WebAssembly.Module, memory: WebAssembly.Memory) {
    this.memory = memory;
    const instance = new WebAssembly.Instance(module, { env: { memory: this.memory } });
    this.exports = instance.exports as unknown as GemmExports;
    this.f32 = new Float32Array(this.memory.buffer);
    this.i32 = new Int32Array(this.memory.buffer);
  }

  /** A float32 view of `floats` floats at byte address `at`. */
  view(at: number, floats: number): Float32Array {
    return this.f32.subarray(at / 4, at / 4 + floats);
  }
}

// ---- the plain TypeScript twins (indices and strides in floats, not bytes) ----

/**
 * The twin of `gemm`: C[m, 0:N] = (accumulate ? C[m, 0:N] : bias[0:N]) + Σ_k A(m, k) B[k, 0:N],
 * A(m, k) = a[m·rsA + k·csA], B[k, n] = b[k·ldb + n], C[m, n] = c[m·ldc + n].
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { gemmTs } from "./gemm.ts";
 * const c = new Float32Array(2);
 * gemmTs(c, 2, new Float32Array([2]), 1, 1, new Float32Array([3, 4]), 2, new Float32Array([1, 1]), 1, 2, 1, false);
 * assert.deepEqual([...c], [7, 9]);
 * ```
 */
export function gemmTs(
  c: Float32Array,
  ldc: number,
  a: Float32Array,
  rsA: number,
  csA: number,
  b: Float32Array,
  ldb: number,
  bias: Float32Array,
  M: number,
  N: number,
  K: number,
  accumulate: boolean,
): void {
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      let sum = 0;
      for (let k = 0; k < K; k++) sum += a[m * rsA + k * csA] * b[k * ldb + n];
      c[m * ldc + n] = (accumulate ? c[m * ldc + n] : bias[n]) + sum;
    }
  }
}

/**
 * The twin of `gemmNT`: C[m, n] = Σ_k A[m, k] B[n, k].
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { gemmNTTs } from "./gemm.ts";
 * const c = new Float32Array(1);
 * gemmNTTs(c, 1, new Float32Array([1, 2]), 2, new Float32Array([3, 4]), 2, 1, 1, 2);
 * assert.equal(c[0], 11);
 * ```
 */
export function gemmNTTs(
  c: Float32Array,
  ldc: number,
  a: Float32Array,
  lda: number,
  b: Float32Array,
  ldb: number,
  M: number,
  N: number,
  K: number,
): void {
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      let sum = 0;
      for (let k = 0; k < K; k++) sum += a[m * lda + k] * b[n * ldb + k];
      c[m * ldc + n] = sum;
    }
  }
}

/**
 * The twin of `momentumStep` (and of `sgdStep` with μ = 0 and no v kept):
 * v = μv + g + λw; w −= ηv; g = 0.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { momentumStepTs } from "./gemm.ts";
 * const w = new Float32Array([1]), g = new Float32Array([0.5]), v = new Float32Array([1]);
 * momentumStepTs(w, g, v, 0.1, 0.9, 0);
 * assert.ok(Math.abs(v[0] - 1.4) < 1e-6 && Math.abs(w[0] - 0.86) < 1e-6 && g[0] === 0);
 * ```
 */
export function momentumStepTs(
  w: Float32Array,
  g: Float32Array,
  v: Float32Array,
  lr: number,
  mu: number,
  lambda: number,
): void {
  for (let k = 0; k < w.length; k++) {
    v[k] = mu * v[k] + g[k] + lambda * w[k];
    w[k] -= lr * v[k];
    g[k] = 0;
  }
}

/**
 * The twin of `sgdStep`: w −= η (g + λw); g = 0.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sgdStepTs } from "./gemm.ts";
 * const w = new Float32Array([1]), g = new Float32Array([0.5]);
 * sgdStepTs(w, g, 0.1, 0);
 * assert.ok(Math.abs(w[0] - 0.95) < 1e-7 && g[0] === 0);
 * ```
 */
export function sgdStepTs(w: Float32Array, g: Float32Array, lr: number, lambda: number): void {
  for (let k = 0; k < w.length; k++) {
    w[k] -= lr * (g[k] + lambda * w[k]);
    g[k] = 0;
  }
}

/**
 * The twin of `adamStep`: m = β₁m + (1−β₁)g; s = β₂s + (1−β₂)g²;
 * w −= η (c₁m / (√(c₂s) + ε) + λw); g = 0.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { adamStepTs } from "./gemm.ts";
 * const w = new Float32Array([1]), g = new Float32Array([2]), m = new Float32Array(1), s = new Float32Array(1);
 * adamStepTs(w, g, m, s, 0.1, 0.9, 0.999, 1 / 0.1, 1 / 0.001, 1e-8, 0);
 * assert.ok(Math.abs(w[0] - 0.9) < 1e-5); // the first Adam step moves by η
 * ```
 */
export function adamStepTs(
  w: Float32Array,
  g: Float32Array,
  m: Float32Array,
  s: Float32Array,
  lr: number,
  beta1: number,
  beta2: number,
  c1: number,
  c2: number,
  eps: number,
  lambda: number,
): void {
  for (let k = 0; k < w.length; k++) {
    m[k] = beta1 * m[k] + (1 - beta1) * g[k];
    s[k] = beta2 * s[k] + (1 - beta2) * g[k] * g[k];
    w[k] -= lr * ((c1 * m[k]) / (Math.sqrt(c2 * s[k]) + eps) + lambda * w[k]);
    g[k] = 0;
  }
}

/** The optimiser of {@linkcode firstLayerStepTs}: 0 SGD, 1 momentum (μ = a), 2 AdamW (β₁ = a, β₂ = b, c₁, c₂, ε). */
export interface RowStepSettings {
  /** Which optimiser: 0 plain SGD, 1 momentum, 2 AdamW. */
  kind: 0 | 1 | 2;
  /** Learning rate η. */
  lr: number;
  /** Momentum μ (kind 1) or β₁ (kind 2); unused by SGD. */
  a: number;
  /** β₂ (kind 2 only). */
  b: number;
  /** Adam's bias correction c₁ = 1 / (1 − β₁ᵗ) for step t (kind 2 only). */
  c1: number;
  /** Adam's bias correction c₂ = 1 / (1 − β₂ᵗ) for step t (kind 2 only). */
  c2: number;
  /** Adam's ε, added to √(c₂s) in the denominator (kind 2 only). */
  eps: number;
  /** Weight decay λ (every kind). */
  lambda: number;
}

/**
 * The twin of `firstLayerStep`: for each row i < I of w [I, H] (and of the
 * optimiser's state m, s [I, H]), the gradient row g = Σ_b x[b·ldx + i] ·
 * δ[b·ldd + 0:H] over the examples where x[b, i] ≠ 0 (0 where there is none),
 * then the optimiser's step on that row as {@linkcode sgdStepTs},
 * {@linkcode momentumStepTs} or {@linkcode adamStepTs} (plain SGD without
 * decay leaves a row with no nonzero input alone).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { firstLayerStepTs } from "./gemm.ts";
 * // x [2, 2] = [[1, 0], [3, 0]], δ [2, 1] = [[1], [1]]: row 0's gradient is 4, row 1 has none
 * const w = new Float32Array([1, 1]);
 * const settings = { kind: 0, lr: 0.5, a: 0, b: 0, c1: 0, c2: 0, eps: 0, lambda: 0 } as const;
 * firstLayerStepTs(w, new Float32Array(2), new Float32Array(2), new Float32Array([1, 0, 3, 0]), 2, 2, 2, new Float32Array([1, 1]), 1, 1, settings);
 * assert.deepEqual([...w], [-1, 1]);
 * ```
 */
export function firstLayerStepTs(
  w: Float32Array,
  m: Float32Array,
  s: Float32Array,
  x: Float32Array,
  ldx: number,
  B: number,
  I: number,
  delta: Float32Array,
  ldd: number,
  H: number,
  o: RowStepSettings,
): void {
  const g = new Float32Array(H);
  for (let i = 0; i < I; i++) {
    let listed = false;
    for (let b = 0; b < B; b++) {
      const v = x[b * ldx + i];
      if (v === 0) continue;
      listed = true;
      for (let h = 0; h < H; h++) g[h] = Math.fround(g[h] + Math.fround(v * delta[b * ldd + h]));
    }
    const row = (a: Float32Array) => a.subarray(i * H, (i + 1) * H);
    if (o.kind === 1) momentumStepTs(row(w), g, row(m), o.lr, o.a, o.lambda);
    else if (o.kind === 2) adamStepTs(row(w), g, row(m), row(s), o.lr, o.a, o.b, o.c1, o.c2, o.eps, o.lambda);
    else if (listed || o.lambda !== 0) sgdStepTs(row(w), g, o.lr, o.lambda);
  }
}
