/**
 * `chooseStep` against the strategy table at the top of `lib/nn/step.ts`,
 * row by row: each test builds the case a row describes and asserts the
 * strategy's name (and, for `threads`, how many threads it computes on).
 */

import assert from "node:assert/strict";
import { type Dataset, makeDataset } from "../../lib/data/dataset.ts";
import { parseArch } from "../../lib/nn/arch.ts";
import type { Classifier } from "../../lib/nn/classifier.ts";
import { Network } from "../../lib/nn/network.ts";
import { Adam, GradientDescent, Momentum } from "../../lib/nn/optimizers.ts";
import { Random } from "../../lib/nn/random.ts";
import { Sequential } from "../../lib/nn/sequential.ts";
import { chooseStep, type StepOptions, THREADED_SGD_MIN } from "../../lib/nn/step.ts";

/** Two blank 28 × 28 images and their labels: enough for every strategy to be built. */
const data: Dataset = makeDataset(new Float32Array(2 * 784), new Uint8Array([0, 1]));

function mlp(sizes: number[], dtype: "float32" | "float64" = "float32"): Network {
  return new Network({ sizes, activations: "relu", dtype }).init(new Random(0));
}

/**
 * The strategy `chooseStep` picks (batch 2, plain SGD unless said otherwise),
 * its name and thread count read, then closed (some start worker threads).
 */
function chosen(net: Classifier, options: Partial<StepOptions> = {}): { name: string; threads: number } {
  const strategy = chooseStep(net, data, {
    batchSize: 2,
    optimizer: new GradientDescent(),
    rng: new Random(0),
    ...options,
  });
  try {
    return { name: strategy.name, threads: strategy.threads ?? 1 };
  } finally {
    strategy.close?.();
  }
}

const noAugment = () => {};

Deno.test("chooseStep: plain SGD on a small one-hidden-layer float32 ReLU network (the spec) takes sparse-mlp", () => {
  assert.equal(chosen(mlp([784, 30, 10])).name, "sparse-mlp");
});

Deno.test("chooseStep: plain SGD with weight decay leaves the sparse paths for simd-columns", () => {
  assert.equal(chosen(mlp([784, 30, 10]), { optimizer: new GradientDescent(1e-4) }).name, "simd-columns");
});

Deno.test("chooseStep: plain SGD on more than one hidden layer takes sparse (layer 0 sparse, the rest in TypeScript)", () => {
  assert.equal(chosen(mlp([784, 30, 20, 10])).name, "sparse");
});

Deno.test("chooseStep: one hidden layer with momentum or Adam takes simd-columns", () => {
  assert.equal(chosen(mlp([784, 30, 10]), { optimizer: new Momentum(0.9) }).name, "simd-columns");
  assert.equal(chosen(mlp([784, 30, 10]), { optimizer: new Adam() }).name, "simd-columns");
});

Deno.test("chooseStep: plain SGD with large steps (first layer × batch ≥ THREADED_SGD_MIN) takes simd-columns", () => {
  assert.ok(256 * 32 >= THREADED_SGD_MIN);
  assert.equal(chosen(mlp([784, 256, 10]), { batchSize: 32 }).name, "simd-columns");
});

Deno.test("chooseStep: augmentation takes simd, with plain SGD or momentum", () => {
  assert.equal(chosen(mlp([784, 30, 10]), { augment: noAugment }).name, "simd");
  assert.equal(chosen(mlp([784, 30, 10]), { optimizer: new Momentum(0.9), augment: noAugment }).name, "simd");
});

Deno.test("chooseStep: a two-hidden-layer network with momentum takes simd", () => {
  assert.equal(chosen(mlp([784, 30, 20, 10]), { optimizer: new Momentum(0.9) }).name, "simd");
});

Deno.test('chooseStep: path "dense" always takes general', () => {
  assert.equal(chosen(mlp([784, 30, 10]), { path: "dense" }).name, "general");
  assert.equal(chosen(mlp([784, 30, 10]), { path: "dense", optimizer: new Momentum(0.9) }).name, "general");
});

Deno.test('chooseStep: path "sparse-js" takes sparse for plain SGD, general otherwise', () => {
  assert.equal(chosen(mlp([784, 30, 10]), { path: "sparse-js" }).name, "sparse");
  assert.equal(chosen(mlp([784, 30, 10]), { path: "sparse-js", optimizer: new Momentum(0.9) }).name, "general");
  assert.equal(chosen(mlp([784, 30, 10]), { path: "sparse-js", augment: noAugment }).name, "general");
});

Deno.test('chooseStep: path "simd" takes simd, even where "auto" would take sparse-mlp', () => {
  assert.equal(chosen(mlp([784, 30, 10]), { path: "simd" }).name, "simd");
});

Deno.test("chooseStep: a float64 network takes general, but for plain SGD, which keeps the sparse row", () => {
  assert.equal(chosen(mlp([784, 30, 10], "float64"), { optimizer: new Momentum(0.9) }).name, "general");
  assert.equal(chosen(mlp([784, 30, 10], "float64"), { augment: noAugment }).name, "general");
  assert.equal(chosen(mlp([784, 30, 10], "float64"), { path: "simd" }).name, "general");
  // the table's `sparse` row (plain SGD, no decay, no augmentation) asks for no precision
  assert.equal(chosen(mlp([784, 30, 10], "float64")).name, "sparse");
});

Deno.test("chooseStep: a Sequential network (a CNN) takes simd-cnn, or general when asked for dense", () => {
  const cnn = new Sequential({
    inputShape: [1, 28, 28],
    arch: parseArch("conv5x5x8,pool2,fc32"),
    activation: "relu",
    classes: 10,
  }).init(new Random(0));
  assert.equal(chosen(cnn).name, "simd-cnn");
  assert.equal(chosen(cnn, { optimizer: new Momentum(0.9) }).name, "simd-cnn");
  assert.equal(chosen(cnn, { path: "dense" }).name, "general");
});

Deno.test("chooseStep: threads leave the spec's small plain-SGD steps on sparse-mlp, on one thread", () => {
  assert.deepEqual(chosen(mlp([784, 30, 10]), { threads: 2 }), { name: "sparse-mlp", threads: 1 });
});

Deno.test("chooseStep: threads share the larger steps: simd-columns and simd compute on that many threads", () => {
  const wide = mlp([784, 256, 10]);
  assert.deepEqual(chosen(wide, { batchSize: 32, threads: 2 }), { name: "simd-columns", threads: 2 });
  assert.deepEqual(chosen(wide, { batchSize: 32 }), { name: "simd-columns", threads: 1 });
  const deep = mlp([784, 30, 20, 10]);
  assert.deepEqual(chosen(deep, { optimizer: new Momentum(0.9), threads: 2 }), { name: "simd", threads: 2 });
  // 30 hidden columns make one panel: simd-columns starts no thread it could not use
  assert.deepEqual(chosen(mlp([784, 30, 10]), { optimizer: new Momentum(0.9), threads: 2 }), {
    name: "simd-columns",
    threads: 1,
  });
});

Deno.test("chooseStep: the TypeScript paths compute on one thread whatever threads asks for", () => {
  assert.deepEqual(chosen(mlp([784, 30, 10]), { path: "dense", threads: 4 }), { name: "general", threads: 1 });
  assert.deepEqual(chosen(mlp([784, 30, 10]), { path: "sparse-js", threads: 4 }), { name: "sparse", threads: 1 });
});
