import assert from "node:assert/strict";
import { loadSplit } from "../../lib/data/load.ts";
import { makeDataset } from "../../lib/data/dataset.ts";
import { evaluate, NEAR_TIE } from "../../lib/metrics.ts";
import { simdForward } from "../../lib/kernels/simd_forward.ts";
import { Network } from "../../lib/nn/network.ts";
import { Momentum } from "../../lib/nn/optimizers.ts";
import { Random } from "../../lib/nn/random.ts";
import { SGD } from "../../lib/nn/train.ts";
import { argmax } from "../../lib/nn/tensor.ts";
import { crossEntropyFromLogits } from "../../lib/nn/loss.ts";
import type { Dataset } from "../../lib/data/dataset.ts";
import type { ActivationName } from "../../lib/nn/activations.ts";

const train = await loadSplit("data", "train");
const test = await loadSplit("data", "test");

/** The TypeScript forward's predictions and mean loss, batch by batch as evaluate did before. */
function reference(net: Network, data: Dataset, batch = 250) {
  const C = net.outputSize, F = data.features, predictions = new Uint8Array(data.n);
  let lossSum = 0;
  for (let start = 0; start < data.n; start += batch) {
    const B = Math.min(batch, data.n - start);
    const logits = net.forward(data.x.subarray(start * F, (start + B) * F), B);
    for (let b = 0; b < B; b++) predictions[start + b] = argmax(logits, b * C, C);
    lossSum += crossEntropyFromLogits(logits, data.labels.subarray(start, start + B), B, C) * B;
  }
  return { predictions, loss: lossSum / data.n };
}

/** The largest |SIMD logit − TypeScript logit| over the dataset, relative to 1 + |largest logit| of its row. */
function largestDifference(net: Network, data: Dataset): number {
  const C = net.outputSize, F = data.features, B = Math.min(data.n, 100);
  const simd = simdForward(net, B)!;
  const logits = new Float32Array(B * C);
  let worst = 0;
  for (let start = 0; start + B <= data.n; start += B) {
    const x = data.x.subarray(start * F, (start + B) * F);
    simd.forward(logits, x, B);
    const ts = net.forward(x, B);
    for (let b = 0; b < B; b++) {
      const scale = 1 + Math.abs(ts[b * C + argmax(ts, b * C, C)]);
      for (let c = 0; c < C; c++) worst = Math.max(worst, Math.abs(logits[b * C + c] - ts[b * C + c]) / scale);
    }
  }
  return worst;
}

Deno.test("evaluate on SIMD: a trained 784-512-10's predictions on the test set equal the TypeScript forward's argmax", () => {
  const rng = new Random(0);
  const net = new Network({ sizes: [784, 512, 10], activations: "relu" }).init(rng);
  const data = makeDataset(train.x.slice(0, 900 * 784), train.labels.slice(0, 900));
  SGD(net, data, { epochs: 5, batchSize: 32, lr: 0.05, rng, optimizer: new Momentum(0.9, 5e-4) });
  for (const set of [test, data]) {
    const want = reference(net, set);
    const got = evaluate(net, set);
    assert.deepEqual(got.predictions, want.predictions);
    assert.ok(Math.abs(got.loss - want.loss) < 1e-5, `loss ${got.loss} vs ${want.loss}`);
    assert.ok(got.accuracy > 0.7, `a trained network, accuracy ${got.accuracy}`);
  }
  // the margin that sends a row back to TypeScript is far above the rounding differences
  const worst = largestDifference(net, test);
  assert.ok(worst < NEAR_TIE / 100, `SIMD and TypeScript logits differ by up to ${worst} (relative)`);
});

for (
  const [sizes, activations, dense] of [
    [[784, 30, 10], "relu", false],
    [[784, 13, 7, 10], "tanh", false],
    [[784, 20, 10], "sigmoid", true],
    [[784, 10], [], false],
  ] as [number[], ActivationName | ActivationName[], boolean][]
) {
  Deno.test(`evaluate on SIMD: ${sizes.join("-")} ${activations}${dense ? ", dense inputs" : ""}, odd batch sizes`, () => {
    const net = new Network({ sizes, activations }).init(new Random(4));
    const n = 77, rng = new Random(5);
    const x = dense ? Float32Array.from({ length: n * 784 }, () => rng.uniform()) : test.x.slice(0, n * 784);
    const data = makeDataset(x, test.labels.slice(0, n));
    const want = reference(net, data, 13);
    for (const batch of [1, 13, 250]) {
      const got = evaluate(net, data, batch);
      assert.deepEqual(got.predictions, want.predictions);
      assert.ok(Math.abs(got.loss - want.loss) < 1e-5);
    }
    assert.ok(largestDifference(net, data) < NEAR_TIE / 100);
  });
}

Deno.test("evaluate on SIMD: exact ties take the first class, as the TypeScript argmax does", () => {
  // all-zero weights: ten equal logits for every image → class 0
  const zero = new Network({ sizes: [784, 16, 10], activations: "relu" });
  const data = makeDataset(test.x.slice(0, 20 * 784), test.labels.slice(0, 20));
  assert.deepEqual(evaluate(zero, data).predictions, new Uint8Array(20));
  // classes 3 and 7 share their weights and bias, and beat every other class: the TypeScript argmax says 3
  const net = new Network({ sizes: [784, 16, 10], activations: "relu" }).init(new Random(1));
  const top = net.layers[1];
  for (let i = 0; i < 16; i++) {
    for (let c = 0; c < 10; c++) top.weight[i * 10 + c] = c === 3 || c === 7 ? 0.5 : -0.5;
  }
  net.layers[0].bias.fill(0.1);
  const got = evaluate(net, data);
  assert.deepEqual(got.predictions, reference(net, data).predictions);
  assert.ok(got.predictions.every((p) => p === 3));
});

Deno.test("evaluate: an empty dataset and the weights of the moment (one instance reused across changes)", () => {
  const net = new Network({ sizes: [784, 8, 10], activations: "relu" }).init(new Random(2));
  const empty = evaluate(net, makeDataset(new Float32Array(0), new Uint8Array(0)));
  assert.equal(empty.n, 0);
  assert.ok(Number.isNaN(empty.loss));
  const data = makeDataset(test.x.slice(0, 50 * 784), test.labels.slice(0, 50));
  const before = evaluate(net, data);
  for (const layer of net.layers) layer.weight.forEach((w, i, a) => a[i] = -w);
  const after = evaluate(net, data);
  assert.deepEqual(after.predictions, reference(net, data).predictions);
  assert.notDeepEqual(after.predictions, before.predictions);
});

Deno.test("evaluate: float64 networks keep the TypeScript forward pass (no SIMD instance for them)", () => {
  const net = new Network({ sizes: [784, 12, 10], activations: "relu", dtype: "float64" }).init(new Random(6));
  assert.equal(simdForward(net, 10), null);
  const data = makeDataset(test.x.slice(0, 30 * 784), test.labels.slice(0, 30));
  const want = reference(net, data);
  const got = evaluate(net, data);
  assert.deepEqual(got.predictions, want.predictions);
  assert.equal(got.loss, want.loss);
});
