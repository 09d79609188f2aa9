/**
 * MiniMNIST: a neural network for handwritten digits, from scratch on typed
 * arrays. This module re-exports the public API; each concept lives in its
 * own file:
 *
 * | file              | concept                                            |
 * |-------------------|----------------------------------------------------|
 * | `dataset.ts`      | the in-memory dataset (Float32Array pixels, labels) |
 * | `data.ts`         | loading and validating dataset files (polars)       |
 * | `idx.ts`          | the IDX format of the official MNIST files, gzip    |
 * | `audit.ts`        | data audit: statistics, duplicates, clean test set  |
 * | `report.ts`       | training report: metrics CSV, SVG charts (Plot)     |
 * | `random.ts`       | seeded random numbers, normal samples, shuffling    |
 * | `tensor.ts`       | the buffer types                                    |
 * | `dense.ts`        | the dense layer, forward and backward               |
 * | `sparse.ts`       | nonzero inputs listed once (CSR); layer 0 on them   |
 * | `simd.ts`         | layer 0's hot loops in WebAssembly SIMD (simd.wat)  |
 * | `activations.ts`  | ReLU, tanh, sigmoid, forward and backward           |
 * | `loss.ts`         | softmax, cross-entropy and their fused gradient     |
 * | `network.ts`      | the multi-layer perceptron: forward, backprop       |
 * | `optimizers.ts`   | gradient descent, momentum, Adam                    |
 * | `train.ts`        | the SGD loop over minibatches                       |
 * | `schedule.ts`     | learning-rate schedules: constant, step, cosine     |
 * | `augment.ts`      | shifts, rotations, zoom, elastic distortions        |
 * | `split.ts`        | stratified, seeded validation split                 |
 * | `early_stopping.ts` | best-validation weights, stopping on patience     |
 * | `presets.ts`      | named sets of train flags: spec, best               |
 * | `metrics.ts`      | accuracy, confusion matrix, evaluate                |
 * | `safetensors.ts`  | the safetensors format                              |
 * | `model_file.ts`   | a network saved to and loaded from a model file     |
 * | `atomic_write.ts` | writing a file whole or not at all (temp + rename)  |
 * | `preprocess.ts`   | any digit picture → MNIST's 28 × 28 (browser-safe)  |
 * | `image.ts`        | PNG and JPEG files decoded to grayscale             |
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Network, Random } from "./mod.ts";
 * const net = new Network({ sizes: [784, 30, 10], activations: "relu" }).init(new Random(0));
 * assert.equal(net.parameterCount, 784 * 30 + 30 + 30 * 10 + 10);
 * ```
 *
 * @module
 */

export * from "./activations.ts";
export * from "./atomic_write.ts";
export * from "./audit.ts";
export * from "./augment.ts";
export * from "./data.ts";
export * from "./dataset.ts";
export * from "./dense.ts";
export * from "./early_stopping.ts";
export * from "./errors.ts";
export * from "./idx.ts";
export * from "./image.ts";
export * from "./loss.ts";
export * from "./metrics.ts";
export * from "./model_file.ts";
export * from "./network.ts";
export * from "./optimizers.ts";
export * from "./preprocess.ts";
export * from "./presets.ts";
export * from "./random.ts";
export * from "./report.ts";
export * from "./safetensors.ts";
export * from "./schedule.ts";
export * from "./simd.ts";
export * from "./sparse.ts";
export * from "./split.ts";
export * from "./tensor.ts";
export * from "./train.ts";
