/**
 * What the training loop, the metrics, early stopping and the model file
 * accept: the MLP ({@linkcode Network}, with its fast paths) or any layer list
 * ({@linkcode Sequential}, e.g. a convolutional network). Both offer
 * `forward`, `backprop(x, labels, B)`, `parameters()`, `probabilities`,
 * `predict`, `inputSize`, `outputSize`, `parameterCount` and `describe()`.
 *
 * @module
 */

import { Network } from "./network.ts";
import type { Sequential } from "./sequential.ts";
import type { Dataset } from "../data/dataset.ts";

/** An MLP or a layer-list network. */
export type Classifier = Network | Sequential;

/**
 * Whether `net` is the MLP (the fast paths for dense layers apply to it; a convolutional network has `simd-cnn`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isMlp } from "./classifier.ts";
 * import { Network } from "./network.ts";
 * assert.ok(isMlp(new Network({ sizes: [4, 2], activations: [] })));
 * ```
 */
export function isMlp(net: Classifier): net is Network {
  return net instanceof Network;
}

/**
 * Throws a RangeError of one sentence, starting with `what`, unless `data` fits `net`: examples of the network's
 * input size, and labels among its classes. What `SGD` and `evaluate` check before any work.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { requireFittingData } from "./classifier.ts";
 * import { Network } from "./network.ts";
 * import { makeDataset } from "../data/dataset.ts";
 * const net = new Network({ sizes: [2, 3], activations: [] });
 * requireFittingData("evaluate", net, makeDataset(new Float32Array(4), new Uint8Array([0, 2]), 2)); // fine
 * assert.throws(
 *   () => requireFittingData("evaluate", net, makeDataset(new Float32Array(4), new Uint8Array([0, 7]), 2)),
 *   /^RangeError: evaluate: label 7 of example 1 is not one of the network's 3 classes$/,
 * );
 * ```
 */
export function requireFittingData(what: string, net: Classifier, data: Dataset): void {
  if (data.features !== net.inputSize) {
    throw new RangeError(
      `${what}: the data's examples have ${data.features} values each, but the network takes ${net.inputSize}`,
    );
  }
  const C = net.outputSize;
  for (let i = 0; i < data.n; i++) {
    if (data.labels[i] >= C) {
      throw new RangeError(`${what}: label ${data.labels[i]} of example ${i} is not one of the network's ${C} classes`);
    }
  }
}
