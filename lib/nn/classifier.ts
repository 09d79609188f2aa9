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
