import assert from "node:assert/strict";
import { loadSplit } from "../../lib/data/load.ts";
import { makeDataset } from "../../lib/data/dataset.ts";
import { evaluate } from "../../lib/metrics.ts";
import { modelToBytes } from "../../lib/io/model_file.ts";
import { Network } from "../../lib/nn/network.ts";
import { GradientDescent } from "../../lib/nn/optimizers.ts";
import { Random } from "../../lib/nn/random.ts";
import { SGD, TrainingDivergedError } from "../../lib/nn/train.ts";
import { updateMiniBatch } from "../../lib/nn/step.ts";

const train = await loadSplit("data", "train");

function trained(seed: number, epochs = 2) {
  const rng = new Random(seed);
  const net = new Network({ sizes: [784, 30, 10], activations: "relu" }).init(rng);
  const stats = SGD(net, train, { epochs, batchSize: 10, lr: 0.01, rng });
  return { net, stats };
}

Deno.test("train: the mean loss falls epoch after epoch and accuracy rises above chance", () => {
  const { net, stats } = trained(0, 5);
  assert.equal(stats.length, 5);
  for (let e = 1; e < stats.length; e++) assert.ok(stats[e].loss < stats[e - 1].loss, JSON.stringify(stats));
  assert.ok(stats[0].loss < Math.log(10), "below the loss of guessing");
  assert.ok(evaluate(net, train).accuracy > 0.8);
});

Deno.test("train: the same seed gives byte-identical model files", () => {
  assert.deepEqual(modelToBytes(trained(7).net), modelToBytes(trained(7).net));
});

Deno.test("train: different seeds give different weights", () => {
  const a = trained(1).net.layers[0].weight;
  const b = trained(2).net.layers[0].weight;
  let differ = 0;
  for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) differ++;
  assert.ok(differ > a.length * 0.9, `${differ} of ${a.length} weights differ`);
});

Deno.test("train: updateMiniBatch is one gradient-descent step w ← w − η ∂L/∂w", () => {
  const rng = new Random(3);
  const net = new Network({ sizes: [6, 4, 3], activations: "tanh" }).init(rng);
  const x = Float32Array.from({ length: 2 * 6 }, () => rng.normal());
  const labels = new Uint8Array([2, 0]);
  const expected = new Network({ sizes: [6, 4, 3], activations: "tanh" });
  expected.parameters().forEach((p, t) => p.value.set(net.parameters()[t].value));
  expected.backprop(x, labels, 2);
  for (const p of expected.parameters()) for (let k = 0; k < p.value.length; k++) p.value[k] -= 0.5 * p.grad[k];
  updateMiniBatch(net, new GradientDescent(), x, labels, 2, 0.5);
  net.parameters().forEach((p, t) => {
    for (let k = 0; k < p.value.length; k++) {
      assert.ok(Math.abs(p.value[k] - expected.parameters()[t].value[k]) < 1e-6, `${p.name}[${k}]`);
    }
  });
});

Deno.test("train: a learning rate that makes the loss blow up stops with TrainingDivergedError", () => {
  const rng = new Random(0);
  const net = new Network({ sizes: [784, 30, 10], activations: "relu" }).init(rng);
  assert.throws(
    () => SGD(net, train, { epochs: 3, batchSize: 10, lr: 1000, rng }),
    (e: unknown) => e instanceof TrainingDivergedError && /diverged in epoch 1/.test(e.message),
  );
});

Deno.test("train: onEpoch can stop training early and a schedule sets each epoch's rate", () => {
  const rng = new Random(0);
  const net = new Network({ sizes: [784, 8, 10], activations: "relu" }).init(rng);
  const small = makeDataset(train.x.slice(0, 100 * 784), train.labels.slice(0, 100));
  const stats = SGD(net, small, {
    epochs: 10,
    batchSize: 10,
    lr: (epoch) => 0.1 / (epoch + 1),
    rng,
    onEpoch: (s) => (s.epoch === 3 ? "stop" : undefined),
  });
  assert.deepEqual(stats.map((s) => s.epoch), [1, 2, 3]);
  assert.deepEqual(stats.map((s) => s.lr), [0.1, 0.05, 0.1 / 3]);
});

Deno.test("train: onBatch reports progress through the epoch, ending at the number of examples", () => {
  const rng = new Random(0);
  const net = new Network({ sizes: [784, 8, 10], activations: "relu" }).init(rng);
  const small = makeDataset(train.x.slice(0, 35 * 784), train.labels.slice(0, 35));
  const seen: number[] = [];
  SGD(net, small, { epochs: 1, batchSize: 10, lr: 0.01, rng, onBatch: (done) => seen.push(done) });
  assert.deepEqual(seen, [10, 20, 30, 35]);
});

Deno.test("SGD: a batch size beyond the data is full-batch training, with buffers sized by the data", () => {
  const rng = new Random(5);
  const n = 24;
  const x = Float32Array.from({ length: n * 784 }, () => (rng.uniform() < 0.2 ? rng.uniform() : 0));
  const data = makeDataset(x, Uint8Array.from({ length: n }, (_, i) => i % 10));
  const run = (batchSize: number) => {
    const net = new Network({ sizes: [784, 8, 10], activations: "relu" }).init(new Random(1));
    const history = SGD(net, data, { epochs: 2, batchSize, lr: 0.1, rng: new Random(2) });
    return { weights: modelToBytes(net), loss: history.map((h) => h.loss) };
  };
  const whole = run(n);
  // 2^31 examples' worth of buffers could never be allocated; the data holds 24
  const huge = run(2 ** 31);
  assert.deepEqual(huge.loss, whole.loss);
  assert.deepEqual(huge.weights, whole.weights);
});

Deno.test("SGD, evaluate, predict and forward refuse data of the wrong shape with one sentence, before any work", () => {
  const net = new Network({ sizes: [784, 8, 10], activations: "relu" }).init(new Random(0));
  const small = makeDataset(new Float32Array(3 * 20), new Uint8Array([1, 2, 3]), 20); // 20 values, not 784
  const options = { epochs: 1, batchSize: 2, lr: 0.1, rng: new Random(0) };
  const refuses = (fn: () => unknown, pattern: RegExp) =>
    assert.throws(fn, (e: unknown) => e instanceof RangeError && pattern.test(e.message) && !e.message.includes("\n"));
  refuses(() => SGD(net, small, options), /^SGD: the data's examples have 20 values each, but the network takes 784$/);
  refuses(() => evaluate(net, small), /^evaluate: the data's examples have 20 values each, but the network takes 784$/);
  refuses(() => net.predict(new Float32Array(784), 2), /^predict: 2 examples of 784 values need 1568 values, got 784$/);
  refuses(() => net.probabilities(new Float32Array(100), 1), /^forward: 1 examples of 784 values need 784 values/);
  const good = makeDataset(new Float32Array(4 * 784), new Uint8Array([0, 1, 2, 3]));
  const before = net.parameters().map((p) => p.value.slice());
  refuses(
    () => SGD(net, good, { ...options, batchSize: 2.5 }),
    /^SGD: batchSize must be a whole number ≥ 1, got 2\.5$/,
  );
  refuses(() => SGD(net, good, { ...options, epochs: -1 }), /^SGD: epochs must be a whole number ≥ 0, got -1$/);
  refuses(() => SGD(net, good, { ...options, lr: -1 }), /^SGD: lr must be a finite number > 0, got -1$/);
  refuses(
    () => SGD(net, makeDataset(new Float32Array(0), new Uint8Array(0)), options),
    /^SGD: the dataset holds no example$/,
  );
  const five = new Network({ sizes: [784, 8, 5], activations: "relu" }).init(new Random(0));
  const seven = makeDataset(new Float32Array(2 * 784), new Uint8Array([1, 7]));
  refuses(() => SGD(five, seven, options), /^SGD: label 7 of example 1 is not one of the network's 5 classes$/);
  net.parameters().forEach((p, k) => assert.deepEqual(p.value, before[k], "nothing trained"));
});
