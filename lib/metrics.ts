/**
 * How good a network is: accuracy, per-class accuracy, the confusion matrix
 * and the mean cross-entropy loss.
 *
 * @module
 */

import type { Dataset } from "./data/dataset.ts";
import { crossEntropyFromLogits } from "./nn/loss.ts";
import { type Classifier, isMlp, requireFittingData } from "./nn/classifier.ts";
import { argmax, type Floats } from "./nn/tensor.ts";
import { simdForward } from "./kernels/simd_forward.ts";
import { cnnInference } from "./kernels/simd_cnn.ts";
import type { Network } from "./nn/network.ts";

/** What {@linkcode evaluate} measures. */
export interface Evaluation {
  /** Fraction of examples classified correctly, 0–1. */
  accuracy: number;
  /** Mean cross-entropy −ln p(true class). */
  loss: number;
  /** confusion[true][predicted]: how many examples of class `true` got `predicted`. */
  confusion: number[][];
  /** Accuracy within each true class (NaN for a class with no examples). */
  perClass: number[];
  /** The predicted class of every example. */
  predictions: Uint8Array;
  /** Number of examples. */
  n: number;
}

/**
 * The fraction of positions where `predicted` equals `truth`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { accuracy } from "./metrics.ts";
 * assert.equal(accuracy([1, 2, 3, 4], [1, 2, 0, 4]), 0.75);
 * ```
 */
export function accuracy(predicted: ArrayLike<number>, truth: ArrayLike<number>): number {
  if (predicted.length !== truth.length) throw new RangeError("predictions and labels differ in length");
  let correct = 0;
  for (let i = 0; i < truth.length; i++) if (predicted[i] === truth[i]) correct++;
  return truth.length === 0 ? NaN : correct / truth.length;
}

/**
 * The confusion matrix: entry [t][p] counts examples of true class t predicted as p.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { confusionMatrix } from "./metrics.ts";
 * assert.deepEqual(confusionMatrix([0, 1, 1], [0, 0, 1], 2), [[1, 1], [0, 1]]);
 * ```
 */
export function confusionMatrix(predicted: ArrayLike<number>, truth: ArrayLike<number>, classes = 10): number[][] {
  const m = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  for (let i = 0; i < truth.length; i++) m[truth[i]][predicted[i]]++;
  return m;
}

/**
 * Accuracy within each true class: diagonal over row sum of a confusion matrix.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { perClassAccuracy } from "./metrics.ts";
 * // class 0: 3 of 4 right; class 1: 2 of 2; class 2: no examples
 * assert.deepEqual(perClassAccuracy([[3, 1, 0], [0, 2, 0], [0, 0, 0]]), [0.75, 1, NaN]);
 * ```
 */
export function perClassAccuracy(confusion: number[][]): number[] {
  return confusion.map((row, t) => {
    const total = row.reduce((a, b) => a + b, 0);
    return total === 0 ? NaN : row[t] / total;
  });
}

/**
 * Below this gap between a row's two largest logits, relative to 1 + |largest|,
 * {@linkcode evaluate} recomputes the row with the TypeScript forward pass: the
 * SIMD kernels round differently (float32 products, another summation order),
 * which can only change the argmax when the top two logits nearly tie. The
 * differences seen on a trained 784-512-10 are about 3e-7 of that scale
 * (`tests/kernels/simd_forward_test.ts`).
 */
export const NEAR_TIE = 1e-3;

/** Whether row `offset … offset+C` of `logits` has a non-finite value or its two largest values within the margin. */
function nearTie(logits: Floats, offset: number, C: number): boolean {
  let best = -Infinity, second = -Infinity;
  for (let c = 0; c < C; c++) {
    const v = logits[offset + c];
    if (!Number.isFinite(v)) return true;
    if (v > best) {
      second = best;
      best = v;
    } else if (v > second) second = v;
  }
  return best - second <= NEAR_TIE * (1 + Math.abs(best));
}

/** The SIMD forward pass of a float32 MLP as `forward(x, B) → logits` (a buffer reused by every call), or null. */
function mlpFast(net: Network, rows: number, C: number): { forward(x: Float32Array, B: number): Float32Array } | null {
  const simd = simdForward(net, rows);
  if (simd === null) return null;
  const logits = new Float32Array(rows * C);
  return {
    forward(x, B) {
      simd.forward(logits, x, B);
      return logits.subarray(0, B * C);
    },
  };
}

/**
 * Runs the network over a whole dataset (in batches of `batch`) and measures it.
 *
 * The path is chosen once per call: a float32 MLP runs its forward pass on the
 * WebAssembly SIMD kernels (`kernels/simd_forward.ts`, the weights copied in
 * once per call), a float32 layer-list network (a CNN) on those of
 * `kernels/simd_cnn.ts` (`cnnInference`), a float64 network `forward` in
 * TypeScript. The
 * predictions are always the TypeScript forward's argmax: a row whose top two
 * SIMD logits nearly tie ({@linkcode NEAR_TIE}) is recomputed in TypeScript.
 * The loss may differ from the TypeScript path's in float32 rounding.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { evaluate } from "./metrics.ts";
 * import { Network } from "./nn/network.ts";
 * import { Random } from "./nn/random.ts";
 * import { makeDataset } from "./data/dataset.ts";
 * const net = new Network({ sizes: [784, 30, 10], activations: "relu" }).init(new Random(0));
 * const data = makeDataset(new Float32Array(784), new Uint8Array([5]));
 * const result = evaluate(net, data);
 * assert.equal(result.n, 1);
 * assert.equal(result.confusion[5].reduce((a, b) => a + b), 1);
 * ```
 */
export function evaluate(net: Classifier, data: Dataset, batch = 250): Evaluation {
  const C = net.outputSize;
  const F = data.features;
  requireFittingData("evaluate", net, data);
  const rows = Math.max(1, Math.min(batch, data.n));
  const fast = isMlp(net) ? mlpFast(net, rows, C) : cnnInference(net);
  const predictions = new Uint8Array(data.n);
  let lossSum = 0;
  for (let start = 0; start < data.n; start += rows) {
    const B = Math.min(rows, data.n - start);
    const x = data.x.subarray(start * F, (start + B) * F);
    let logits: Floats;
    if (fast === null) logits = net.forward(x, B);
    else {
      const simdLogits = fast.forward(x, B);
      for (let b = 0; b < B; b++) {
        if (nearTie(simdLogits, b * C, C)) simdLogits.set(net.forward(x.subarray(b * F, (b + 1) * F), 1), b * C);
      }
      logits = simdLogits;
    }
    for (let b = 0; b < B; b++) predictions[start + b] = argmax(logits, b * C, C);
    lossSum += crossEntropyFromLogits(logits, data.labels.subarray(start, start + B), B, C) * B;
  }
  const confusion = confusionMatrix(predictions, data.labels, C);
  return {
    accuracy: accuracy(predictions, data.labels),
    loss: data.n === 0 ? NaN : lossSum / data.n,
    confusion,
    perClass: perClassAccuracy(confusion),
    predictions,
    n: data.n,
  };
}
