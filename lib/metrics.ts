/**
 * How good a network is: accuracy, per-class accuracy, the confusion matrix
 * and the mean cross-entropy loss.
 *
 * @module
 */

import type { Dataset } from "./data/dataset.ts";
import { crossEntropyFromLogits } from "./nn/loss.ts";
import { type Classifier, isMlp } from "./nn/classifier.ts";
import { cnnInference } from "./kernels/simd_cnn.ts";
import { argmax } from "./nn/tensor.ts";

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

/** Accuracy within each true class: diagonal over row sum of a confusion matrix. */
export function perClassAccuracy(confusion: number[][]): number[] {
  return confusion.map((row, t) => {
    const total = row.reduce((a, b) => a + b, 0);
    return total === 0 ? NaN : row[t] / total;
  });
}

/**
 * Runs the network over a whole dataset (in batches of `batch`) and measures it.
 * A float32 layer-list network (a CNN) runs its forward pass on the SIMD
 * kernels of `simd_cnn.ts` (`cnnInference`: `Sequential.forward` up to float
 * rounding, about ten times faster); the MLP and float64 networks run their own.
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
  const predictions = new Uint8Array(data.n);
  const fast = isMlp(net) ? null : cnnInference(net);
  let lossSum = 0;
  for (let start = 0; start < data.n; start += batch) {
    const B = Math.min(batch, data.n - start);
    const x = data.x.subarray(start * F, (start + B) * F);
    const logits = fast !== null && F === net.inputSize ? fast.forward(x, B) : net.forward(x, B);
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
