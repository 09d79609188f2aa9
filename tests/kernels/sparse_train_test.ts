import assert from "node:assert/strict";
import { loadSplit } from "../../lib/data/load.ts";
import { makeDataset } from "../../lib/data/dataset.ts";
import { evaluate } from "../../lib/metrics.ts";
import { Network } from "../../lib/nn/network.ts";
import { GradientDescent, Momentum, type Optimizer } from "../../lib/nn/optimizers.ts";
import { Random } from "../../lib/nn/random.ts";
import { SGD, type TrainOptions } from "../../lib/nn/train.ts";
import { updateMiniBatch } from "../../lib/nn/step.ts";
import { gatherBatch } from "../../lib/data/dataset.ts";
import { worstRelativeDifference } from "./compare.ts";

const train = await loadSplit("data", "train");
const small = makeDataset(train.x.slice(0, 200 * 784), train.labels.slice(0, 200));

function run(
  sizes: number[],
  path: TrainOptions["path"],
  dtype: "float32" | "float64",
  epochs = 2,
  extra: Partial<TrainOptions> = {},
) {
  const rng = new Random(5);
  const net = new Network({ sizes, activations: "relu", dtype }).init(rng);
  const stats = SGD(net, small, { epochs, batchSize: 10, lr: 0.05, rng, path, ...extra });
  return { net, stats };
}

Deno.test("sparse path = general path up to rounding, in float64 (784-16-10 and 784-12-8-10)", () => {
  for (const sizes of [[784, 16, 10], [784, 12, 8, 10]]) {
    const dense = run(sizes, "dense", "float64");
    const sparse = run(sizes, "sparse-js", "float64");
    const worst = worstRelativeDifference(sparse.net, dense.net, 1e-3);
    assert.ok(worst < 1e-9, `${sizes.join("-")}: parameters differ by ${worst} (relative)`);
    sparse.stats.forEach((s, e) => assert.ok(Math.abs(s.loss - dense.stats[e].loss) < 1e-9));
  }
});

Deno.test("WebAssembly SIMD path = general path up to float32 rounding (784-30-10, two epochs)", () => {
  const dense = run([784, 30, 10], "dense", "float32");
  const simd = run([784, 30, 10], "auto", "float32");
  const worst = worstRelativeDifference(simd.net, dense.net, 1e-3);
  assert.ok(worst < 2e-3, `parameters differ by ${worst} (relative)`);
  simd.stats.forEach((s, e) => assert.ok(Math.abs(s.loss - dense.stats[e].loss) < 1e-4, `epoch ${e + 1} loss`));
  const predictions = [evaluate(simd.net, small).predictions, evaluate(dense.net, small).predictions];
  const differ = predictions[0].filter((p, k) => p !== predictions[1][k]).length;
  assert.ok(differ <= 2, `${differ} of 200 predictions differ`);
});

/** SGD with `optimizer`, and the same steps by hand with updateMiniBatch (the general path). */
function againstHandLoop(optimizer: () => Optimizer, augment?: TrainOptions["augment"]) {
  const sizes = [784, 8, 10];
  const rngA = new Random(9), rngB = new Random(9);
  const a = new Network({ sizes, activations: "relu" }).init(rngA);
  const b = new Network({ sizes, activations: "relu" }).init(rngB);
  SGD(a, small, { epochs: 2, batchSize: 10, lr: 0.05, rng: rngA, optimizer: optimizer(), augment, path: "dense" });
  const opt = optimizer();
  const order = Uint32Array.from({ length: small.n }, (_, i) => i);
  const x = new Float32Array(10 * 784), labels = new Uint8Array(10);
  for (let epoch = 0; epoch < 2; epoch++) {
    rngB.shuffle(order);
    for (let start = 0; start < small.n; start += 10) {
      gatherBatch(x, labels, small, order, start, 10);
      augment?.(x, 10, rngB);
      updateMiniBatch(b, opt, x, labels, 10, 0.05);
    }
  }
  a.parameters().forEach((p, t) => assert.deepEqual(p.value, b.parameters()[t].value, p.name));
}

Deno.test("path dense is updateMiniBatch step for step, with momentum, weight decay and augmentation", () => {
  againstHandLoop(() => new Momentum(0.9));
  againstHandLoop(() => new GradientDescent(1e-3));
  againstHandLoop(() => new GradientDescent(), (x, B) => x.subarray(0, B * 784).reverse());
});

function sameValues(a: ArrayLike<number>, b: ArrayLike<number>, what: string) {
  assert.equal(a.length, b.length, what);
  for (let k = 0; k < a.length; k++) assert.ok(Object.is(a[k], b[k]), `${what}[${k}]: ${a[k]} vs ${b[k]}`);
}

Deno.test("the sparse path writes layer 0 back before onEpoch, and takes changes made there", () => {
  // the weights onEpoch sees after epoch 1 are those of a 1-epoch run
  const one = run([784, 30, 10], "auto", "float32", 1);
  const zeroAfterEpoch1 = (path: TrainOptions["path"]) => {
    const rng = new Random(5);
    const net = new Network({ sizes: [784, 30, 10], activations: "relu" }).init(rng);
    let atEpoch1 = new Float32Array(0);
    SGD(net, small, {
      epochs: 2,
      batchSize: 10,
      lr: 0.05,
      rng,
      path,
      onEpoch: (s) => {
        if (s.epoch !== 1) return;
        atEpoch1 = Float32Array.from(net.layers[0].weight);
        net.layers[0].weight.fill(0); // a change that the second epoch must start from
      },
    });
    return { net, atEpoch1 };
  };
  const simd = zeroAfterEpoch1("auto");
  sameValues(simd.atEpoch1, one.net.layers[0].weight, "layer 0 at onEpoch 1");
  // the general path uses the network's arrays directly, so it sees the change for sure
  const dense = zeroAfterEpoch1("dense");
  const worst = worstRelativeDifference(simd.net, dense.net, 1e-3);
  assert.ok(worst < 2e-3, `after zeroing layer 0 in onEpoch, the paths differ by ${worst} (relative)`);
});

Deno.test("weights put back in onEpoch before stopping are kept (e.g. early stopping's best epoch)", () => {
  const rng = new Random(6);
  const net = new Network({ sizes: [784, 30, 10], activations: "relu" }).init(rng);
  let best = new Float32Array(0);
  SGD(net, small, {
    epochs: 5,
    batchSize: 10,
    lr: 0.05,
    rng,
    onEpoch: (s) => {
      if (s.epoch === 1) best = Float32Array.from(net.layers[0].weight);
      if (s.epoch < 3) return;
      net.layers[0].weight.set(best);
      return "stop";
    },
  });
  sameValues(net.layers[0].weight, best, "layer 0 after stopping");
});
