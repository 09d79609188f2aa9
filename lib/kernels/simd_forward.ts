/**
 * The forward pass of a float32 MLP on the WebAssembly SIMD kernels of
 * `gemm.ts`, for evaluation (`evaluate` in `metrics.ts`): the same logits as
 * `Network.forward` up to float32 rounding, several times faster.
 *
 * Per chunk x [R, I] copied into WebAssembly memory:
 *
 *   nonzero pixels of each row               (weight row offset, value) pairs   `listNonzero`
 *   z⁰ = x · W⁰ + b⁰                          `sparseGemm` (or `gemm` when more than half of x is nonzero)
 *   zˡ = aˡ⁻¹ · Wˡ + bˡ, aˡ = f(zˡ)            `gemm`; f: `relu`, or the activation's TypeScript for tanh and sigmoid
 *
 * Weights live in WebAssembly memory with rows padded to 8 floats (Op), as
 * in `simd_network.ts`; {@linkcode SimdForward.load} copies the network's
 * current weights in (one `set` per row), so one instance serves a network
 * whose weights change between evaluations.
 *
 * @module
 */

import type { Network } from "../nn/network.ts";
import { Dense } from "../nn/dense.ts";
import { MemoryPlan, type SimdKernels, simdKernels } from "./gemm.ts";

/** Above this share of nonzero inputs, layer 0 runs as a dense product. */
const SPARSE_BELOW = 0.5;

const pad8 = (n: number) => Math.ceil(n / 8) * 8;

interface ForwardLayer {
  I: number;
  O: number;
  Op: number;
  weight: number; // [I, Op]
  bias: number; // [Op]
  out: number; // [rows, Op]
}

/**
 * The logits of a float32 {@linkcode Network} of dense layers for up to
 * `rows` examples per call, computed in WebAssembly SIMD. Use
 * {@linkcode simdForward}.
 */
export class SimdForward {
  readonly #k: SimdKernels;
  readonly #layers: ForwardLayer[];
  readonly #x: number;
  readonly #entries: number;
  readonly #starts: number;

  /** Lays out `net` for up to `rows` examples per call; throws where {@linkcode simdKernels} gives null. */
  constructor(readonly net: Network, readonly rows: number) {
    const p = new MemoryPlan(), I0 = net.inputSize;
    const layers = net.layers.map((layer) => {
      const I = layer.inputs, O = layer.outputs, Op = pad8(O);
      return { I, O, Op, weight: p.region(I * Op), bias: p.region(Op), out: p.region(rows * Op) };
    });
    this.#x = p.region(rows * I0);
    this.#entries = p.region(2 * rows * I0 + 2);
    this.#starts = p.region(rows + 1);
    const k = simdKernels(p.bytes);
    if (k === null) throw new Error("WebAssembly SIMD is not available");
    this.#k = k;
    this.#layers = layers;
  }

  /** Copies the network's current weights and biases into WebAssembly memory (padding stays 0). */
  load(): void {
    const f32 = this.#k.f32;
    this.net.layers.forEach((dense, l) => {
      const r = this.#layers[l];
      for (let i = 0; i < r.I; i++) f32.set(dense.weight.subarray(i * r.O, (i + 1) * r.O), r.weight / 4 + i * r.Op);
      f32.set(dense.bias.subarray(0, r.O), r.bias / 4);
    });
  }

  /**
   * logits[B, C] = the network's output for x[B, I] (B ≤ rows), with the
   * weights of the last {@linkcode SimdForward.load}.
   */
  forward(logits: Float32Array, x: Float32Array, B: number): void {
    if (B > this.rows) throw new RangeError(`at most ${this.rows} rows per call, got ${B}`);
    const k = this.#k, e = k.exports, f32 = k.f32, layers = this.#layers, L = layers.length;
    const I0 = this.net.inputSize, activations = this.net.activations;
    f32.set(x.subarray(0, B * I0), this.#x / 4);
    const first = layers[0], rowBytes = 4 * first.Op;
    const nonzero = e.listNonzero(this.#x, B, I0, rowBytes, this.#entries, this.#starts);
    if (nonzero < SPARSE_BELOW * B * I0) {
      e.sparseGemm(first.out, rowBytes, first.weight, first.bias, first.Op, this.#starts, B);
    } else e.gemm(first.out, rowBytes, this.#x, 4 * I0, 4, first.weight, rowBytes, first.bias, B, first.Op, I0, 0);
    for (let l = 0; l < L; l++) {
      const layer = layers[l];
      if (l > 0) {
        const below = layers[l - 1];
        e.gemm(
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
      if (l === L - 1) break;
      if (activations[l].name === "relu") e.relu(layer.out, B * layer.Op);
      else {
        const out = k.view(layer.out, B * layer.Op);
        activations[l].forward(out, out, B * layer.Op);
      }
    }
    const top = layers[L - 1], C = top.O, base = top.out / 4;
    for (let b = 0; b < B; b++) logits.set(f32.subarray(base + b * top.Op, base + b * top.Op + C), b * C);
  }
}

/** One instance per network (and the largest chunk asked for), kept while the network lives. */
const instances = new WeakMap<Network, SimdForward>();

/**
 * The SIMD forward pass for `net` with chunks of up to `rows` examples,
 * holding `net`'s current weights, or null where it cannot run: a float64
 * network, layers other than dense ones, no WebAssembly SIMD, more than
 * 1 GiB of memory. One instance per network is reused across calls.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { simdForward } from "./simd_forward.ts";
 * import { Network } from "../nn/network.ts";
 * import { Random } from "../nn/random.ts";
 * const net = new Network({ sizes: [784, 30, 10], activations: "relu" }).init(new Random(0));
 * const x = Float32Array.from({ length: 2 * 784 }, (_, i) => (i % 5 === 0 ? (i % 7) / 7 : 0));
 * const logits = new Float32Array(20);
 * simdForward(net, 2)!.forward(logits, x, 2);
 * const reference = net.forward(x, 2);
 * for (let i = 0; i < 20; i++) assert.ok(Math.abs(logits[i] - reference[i]) < 1e-4);
 * ```
 */
export function simdForward(net: Network, rows: number): SimdForward | null {
  if (net.dtype !== "float32") return null;
  if (!net.layers.every((layer) => layer instanceof Dense) || net.activations.length !== net.layers.length - 1) {
    return null;
  }
  let instance = instances.get(net);
  if (instance === undefined || instance.rows < rows) {
    try {
      instance = new SimdForward(net, rows);
    } catch {
      return null;
    }
    instances.set(net, instance);
  }
  instance.load();
  return instance;
}
