import assert from "node:assert/strict";
import { loadSplit } from "../../lib/data/load.ts";
import { type Dataset, makeDataset } from "../../lib/data/dataset.ts";
import type { ActivationName } from "../../lib/nn/activations.ts";
import { Network } from "../../lib/nn/network.ts";
import { Adam, GradientDescent, Momentum, type Optimizer } from "../../lib/nn/optimizers.ts";
import { Random } from "../../lib/nn/random.ts";
import { chooseStep } from "../../lib/nn/step.ts";
import {
  arrive,
  awaitCount,
  COMMAND,
  CONTROL,
  CONTROL_SLOTS,
  phaseBTasks,
  type SimdNetwork,
} from "../../lib/kernels/simd_network.ts";
import { SGD, type TrainOptions } from "../../lib/nn/train.ts";
import { worstRelativeDifference } from "./compare.ts";

const train = await loadSplit("data", "train");
const small = makeDataset(train.x.slice(0, 200 * 784), train.labels.slice(0, 200));
// every pixel nonzero: layer 0 takes the dense product instead of the nonzero-pixel lists
const dense = makeDataset(small.x.map((v) => 0.9 * v + 0.05), small.labels);

interface Case {
  sizes: number[];
  activation: ActivationName;
  optimizer: () => Optimizer;
  data?: Dataset;
  augment?: TrainOptions["augment"];
  batchSize?: number;
  lr?: number;
}

function run(c: Case, path: TrainOptions["path"], epochs = 2) {
  const rng = new Random(11);
  const net = new Network({ sizes: c.sizes, activations: c.activation }).init(rng);
  const optimizer = c.optimizer();
  const stats = SGD(net, c.data ?? small, {
    epochs,
    batchSize: c.batchSize ?? 16,
    lr: c.lr ?? 0.05,
    rng,
    path,
    optimizer,
    augment: c.augment,
  });
  return { net, stats, optimizer };
}

const cases: [string, Case][] = [
  ["784-32-10 ReLU, momentum + weight decay", {
    sizes: [784, 32, 10],
    activation: "relu",
    optimizer: () => new Momentum(0.9, 5e-4),
  }],
  ["784-30-10 ReLU, AdamW (padded widths)", {
    sizes: [784, 30, 10],
    activation: "relu",
    optimizer: () => new Adam(1e-3),
    lr: 1e-3,
  }],
  ["784-12-9-10 sigmoid, SGD + weight decay", {
    sizes: [784, 12, 9, 10],
    activation: "sigmoid",
    optimizer: () => new GradientDescent(1e-3),
  }],
  ["784-20-10 tanh, momentum, dense inputs", {
    sizes: [784, 20, 10],
    activation: "tanh",
    optimizer: () => new Momentum(0.5),
    data: dense,
  }],
  [
    "784-40-10 ReLU, plain SGD with augmentation, batch 7",
    {
      sizes: [784, 40, 10],
      activation: "relu",
      optimizer: () => new GradientDescent(),
      augment: (x, B, rng) => {
        for (let k = 0; k < B * 784; k++) if (rng.uniform() < 0.05) x[k] = 1; // salt noise
      },
      batchSize: 7,
    },
  ],
];

for (const [name, c] of cases) {
  Deno.test(`the SIMD path = the TypeScript general path up to float32 rounding: ${name}`, () => {
    const simd = run(c, "simd"), ts = run(c, "dense");
    const worst = worstRelativeDifference(simd.net, ts.net, 1e-2);
    assert.ok(worst < 5e-3, `parameters differ by ${worst} (relative)`);
    simd.stats.forEach((s, e) => assert.ok(Math.abs(s.loss - ts.stats[e].loss) < 1e-3, `epoch ${e + 1} loss`));
  });
}

Deno.test("auto: simd-columns for momentum, AdamW and weight decay, simd with augmentation or two hidden layers, not for the spec", () => {
  const net = new Network({ sizes: [784, 30, 10], activations: "relu" }).init(new Random(0));
  const rng = new Random(0);
  const name = (optimizer: Optimizer, augment?: TrainOptions["augment"], on = net) => {
    const strategy = chooseStep(on, small, { batchSize: 10, optimizer, rng, augment });
    strategy.close?.();
    return strategy.name;
  };
  assert.equal(name(new Momentum(0.9)), "simd-columns");
  assert.equal(name(new Adam()), "simd-columns");
  assert.equal(name(new GradientDescent(1e-4)), "simd-columns");
  assert.equal(name(new GradientDescent(), (x) => x.fill(0)), "simd");
  const deep = new Network({ sizes: [784, 30, 20, 10], activations: "relu" }).init(new Random(0));
  assert.equal(name(new Momentum(0.9), undefined, deep), "simd");
  assert.equal(name(new GradientDescent()), "sparse-mlp");
  const f64 = new Network({ sizes: [784, 30, 10], activations: "relu", dtype: "float64" }).init(new Random(0));
  assert.equal(chooseStep(f64, small, { batchSize: 10, optimizer: new Momentum(), rng }).name, "general");
});

for (const make of [() => new Momentum(0.9, 1e-3), () => new Adam()]) {
  Deno.test(`the optimiser's state (${make().name}) goes back to the optimiser between runs, as on the TS path`, () => {
    const split = (path: TrainOptions["path"]) => {
      const rng = new Random(11);
      const net = new Network({ sizes: [784, 24, 10], activations: "relu" }).init(rng);
      const optimizer = make();
      for (let e = 0; e < 2; e++) SGD(net, small, { epochs: 1, batchSize: 16, lr: 1e-3, rng, path, optimizer });
      return { net, optimizer };
    };
    const simd = split("simd"), ts = split("dense");
    const worst = worstRelativeDifference(simd.net, ts.net, 1e-2);
    assert.ok(worst < 5e-3, `split trainings differ by ${worst}`);
    if (simd.optimizer instanceof Adam) assert.equal(simd.optimizer.steps, 2 * Math.ceil(200 / 16));
  });
}

/**
 * Trains `sizes` for two epochs through chooseStep on `threads` threads, as
 * SGD does, after the workers are ready (training does not wait for them);
 * returns the network, the epochs' mean losses and the tasks the workers did.
 */
function trainThreaded(
  threads: number,
  optimizer: Optimizer,
  sizes = [784, 40, 10],
  path: TrainOptions["path"] = "simd",
) {
  const rng = new Random(11), B = 16;
  const net = new Network({ sizes, activations: "relu" }).init(rng);
  const strategy = chooseStep(net, small, { batchSize: B, optimizer, rng, threads, path });
  if (threads > 1) {
    assert.equal(strategy.name, "simd");
    assert.equal((strategy as SimdNetwork).threads, threads);
    assert.equal((strategy as SimdNetwork).awaitWorkers(30_000), threads - 1, "the workers started");
  }
  const order = Array.from({ length: small.n }, (_, i) => i), losses: number[] = [];
  try {
    for (let epoch = 0; epoch < 2; epoch++) {
      rng.shuffle(order);
      let sum = 0;
      for (let start = 0; start < small.n; start += B) {
        const b = Math.min(B, small.n - start);
        sum += strategy.step(order, start, b, 0.05) * b;
      }
      losses.push(sum / small.n);
    }
    strategy.sync();
    return { net, losses, workerTasks: threads > 1 ? (strategy as SimdNetwork).workerTasks : 0 };
  } finally {
    strategy.close?.();
  }
}

function sameBytes(a: Network, b: Network, what: string) {
  a.parameters().forEach((p, k) => assert.deepEqual(p.value, b.parameters()[k].value, `${what}: ${p.name}`));
}

Deno.test("close() waits for every worker to leave before the memory serves another training", () => {
  // A worker parked by the system until after the stop used to wake up in the next training's (reused) memory and
  // take its tasks with the old plan: two trainings in a row on a busy machine then differed (run after run, below).
  for (const threads of [2, 3]) {
    const rng = new Random(3), net = new Network({ sizes: [784, 40, 10], activations: "relu" }).init(rng);
    const strategy = chooseStep(net, small, {
      batchSize: 16,
      optimizer: new Momentum(0.9),
      rng,
      threads,
      path: "simd",
    }) as SimdNetwork;
    assert.equal(strategy.awaitWorkers(30_000), threads - 1, "the workers started");
    const order = Array.from({ length: small.n }, (_, i) => i);
    for (let start = 0; start < 64; start += 16) strategy.step(order, start, 16, 0.05);
    assert.equal(strategy.workersExited, 0, "no worker leaves during the run");
    strategy.close();
    assert.equal(strategy.workersExited, threads - 1, `${threads} threads: every worker left before close() returned`);
  }
});

for (const threads of [2, 3]) {
  Deno.test(`${threads} threads take part and give the same bytes as one (every gradient summed in example order)`, () => {
    const momentum = () => new Momentum(0.9, 5e-4);
    // the workers take tasks when the system runs them: on a busy machine a run may be done by this thread alone
    // (after a stalled worker the main thread takes a few steps alone), so the same training runs until a worker
    // took part, up to ten times; every run must give the same bytes
    const runs = [trainThreaded(threads, momentum())];
    while (runs.length < 10 && runs.every((run) => run.workerTasks === 0)) {
      runs.push(trainThreaded(threads, momentum()));
    }
    if (runs.length === 1) runs.push(trainThreaded(threads, momentum()));
    const [a, ...others] = runs, one = trainThreaded(1, momentum(), undefined, "simd");
    assert.ok(runs.some((run) => run.workerTasks > 0), `the workers did no task in ${runs.length} runs`);
    for (const b of others) sameBytes(a.net, b.net, "run after run");
    sameBytes(a.net, one.net, `${threads} threads against one`);
    a.losses.forEach((loss, e) => assert.ok(Math.abs(loss - one.losses[e]) < 1e-12, `epoch ${e + 1} loss`));
    // AdamW and two hidden layers (phase B splits the rows of every layer) alike
    const adam = () => new Adam(1e-2), sizes = [784, 24, 12, 10];
    sameBytes(
      trainThreaded(threads, adam(), sizes).net,
      trainThreaded(1, adam(), sizes, "simd").net,
      "AdamW, 784-24-12-10",
    );
  });
}

Deno.test("plain SGD with large steps takes simd-columns on 1 and 2 threads: the same bytes; simd's model up to rounding", () => {
  const train = (threads: number, path: TrainOptions["path"], sizes = [784, 128, 10]) => {
    const rng = new Random(5);
    const net = new Network({ sizes, activations: "relu" }).init(rng);
    SGD(net, small, { epochs: 1, batchSize: 32, lr: 0.05, rng, path, threads });
    return net;
  };
  const wide = new Network({ sizes: [784, 128, 10], activations: "relu" });
  for (const threads of [1, 2]) {
    const strategy = chooseStep(wide, small, {
      batchSize: 32,
      optimizer: new GradientDescent(),
      rng: new Random(0),
      threads,
    });
    assert.equal(strategy.name, "simd-columns");
    strategy.close?.();
  }
  const spec = new Network({ sizes: [784, 30, 10], activations: "relu" });
  assert.equal(
    chooseStep(spec, small, { batchSize: 10, optimizer: new GradientDescent(), rng: new Random(0), threads: 2 }).name,
    "sparse-mlp",
  );
  const a = train(2, "auto"), b = train(1, "auto"), c = train(2, "simd");
  a.parameters().forEach((p, k) => assert.deepEqual(p.value, b.parameters()[k].value, p.name));
  assert.ok(worstRelativeDifference(a, c, 1e-2) < 5e-3, "and simd's model up to float32 rounding");
});

Deno.test("awaitCount returns once the counter reaches the target, and throws (not hangs) on a failed or stopped run", () => {
  const ctl = new Int32Array(new SharedArrayBuffer(4 * CONTROL_SLOTS));
  arrive(ctl, CONTROL.doneA);
  arrive(ctl, CONTROL.doneA);
  awaitCount(ctl, CONTROL.doneA, 2, 1000); // reached: returns at once
  Atomics.store(ctl, CONTROL.failed, 1);
  assert.throws(() => awaitCount(ctl, CONTROL.doneA, 3, 10_000), /a training thread failed/);
  Atomics.store(ctl, CONTROL.failed, 0);
  Atomics.store(ctl, CONTROL.command, COMMAND.stop);
  assert.throws(() => awaitCount(ctl, CONTROL.doneA, 3, 10_000), /stopped/);
  Atomics.store(ctl, CONTROL.command, COMMAND.step);
  const started = performance.now();
  assert.throws(() => awaitCount(ctl, CONTROL.doneA, 3, 100), /did not answer/);
  assert.ok(performance.now() - started < 5_000);
});

Deno.test("phaseBTasks: every row of every weight matrix in exactly one task, and one task for the biases", () => {
  const inputs = [784, 512, 37];
  for (const parts of [1, 3, 8]) {
    const tasks = phaseBTasks(inputs, parts);
    assert.equal(tasks.length, 3 * parts + 1);
    inputs.forEach((I, l) => {
      const seen = new Array<number>(I).fill(0);
      for (const [kind, layer, from, to] of tasks) {
        if (kind === (l === 0 ? 0 : 1) && layer === l) { for (let i = from; i < to; i++) seen[i]++; }
      }
      assert.deepEqual(seen, new Array(I).fill(1), `layer ${l}`);
    });
    assert.equal(tasks.filter(([kind]) => kind === 2).length, 1);
  }
});
