import assert from "node:assert/strict";
import { loadSplit } from "../../lib/data/load.ts";
import { makeDataset } from "../../lib/data/dataset.ts";
import type { ActivationName } from "../../lib/nn/activations.ts";
import { Network } from "../../lib/nn/network.ts";
import { Adam, GradientDescent, Momentum, type Optimizer } from "../../lib/nn/optimizers.ts";
import { Random } from "../../lib/nn/random.ts";
import { chooseStep } from "../../lib/nn/step.ts";
import { MemoryPlan, sharedSimdKernels, simdKernels } from "../../lib/kernels/gemm.ts";
import { columnPanels, columnsPlan, SimdColumns, simdColumns } from "../../lib/kernels/simd_columns.ts";
import { CONTROL, GRACE_MS } from "../../lib/kernels/simd_network.ts";
import { denseRows, writeRowPairs } from "../../lib/kernels/sparse.ts";
import { worstRelativeDifference } from "./compare.ts";

const train = await loadSplit("data", "train");
const small = makeDataset(train.x.slice(0, 200 * 784), train.labels.slice(0, 200));

/** A minibatch of `B` real images in a fresh kernel memory, with its pairs listed by `listNonzero`. */
function batchInMemory(B: number, rowBytes: number) {
  const plan = new MemoryPlan(), I = 784;
  const at = {
    x: plan.region(B * I),
    entries: plan.region(2 * B * I + 2),
    starts: plan.region(B + 1),
    ranges: plan.region(2 * B),
    pixel: plan.region(B * I),
    counts: plan.region(I),
    pairsA: plan.region(2 * B * I + 2),
    columnsA: plan.region(3 * I),
    pairsB: plan.region(2 * B * I + 2),
    columnsB: plan.region(3 * I),
    // for a layer of up to 64 columns, rows of up to 96 floats
    w: plan.region(I * 64),
    bias: plan.region(64),
    outA: plan.region(B * 96),
    outB: plan.region(B * 96),
    delta: plan.region(B * 96),
  };
  const k = simdKernels(plan.bytes)!;
  // every third image from 7 on, so that the batch's examples are not the dataset's first ones
  for (let b = 0; b < B; b++) k.f32.set(train.x.subarray((7 + 3 * b) * I, (8 + 3 * b) * I), at.x / 4 + b * I);
  const nnz = k.exports.listNonzero(at.x, B, I, rowBytes, at.entries, at.starts);
  for (let q = 0; q < nnz; q++) k.i32[at.pixel / 4 + q] = k.i32[at.entries / 4 + 2 * q] / rowBytes;
  return { k, at, I, nnz };
}

Deno.test("columnsFromRanges lists the batch's pixels input by input exactly as listNonzeroColumns does from x", () => {
  const B = 24, rowBytes = 4 * 64, ldd = 4 * 256;
  const { k, at, I } = batchInMemory(B, rowBytes);
  // the examples in reverse order of their pairs in memory: ranges need not follow one another
  for (let b = 0; b < B; b++) {
    const r = B - 1 - b;
    k.i32[at.ranges / 4 + 2 * b] = k.i32[at.starts / 4 + r];
    k.i32[at.ranges / 4 + 2 * b + 1] = k.i32[at.starts / 4 + r + 1];
  }
  const reversed = new Float32Array(B * I);
  for (let b = 0; b < B; b++) reversed.set(k.f32.subarray(at.x / 4 + (B - 1 - b) * I, at.x / 4 + (B - b) * I), b * I);
  k.f32.set(reversed, at.x / 4);
  const want = k.exports.listNonzeroColumns(at.x, B, I, 4 * I, ldd, rowBytes, at.pairsA, at.columnsA);
  const got = k.exports.columnsFromRanges(
    at.entries,
    at.pixel,
    at.ranges,
    B,
    I,
    ldd,
    rowBytes,
    at.counts,
    at.pairsB,
    at.columnsB,
  );
  assert.ok(want > 300, `a real batch has pixels (${want})`);
  assert.equal(got, want, "inputs with pairs");
  for (let c = 0; c < want; c++) {
    const [iA, firstA, endA] = k.i32.subarray(at.columnsA / 4 + 3 * c, at.columnsA / 4 + 3 * c + 3);
    const [iB, firstB, endB] = k.i32.subarray(at.columnsB / 4 + 3 * c, at.columnsB / 4 + 3 * c + 3);
    assert.equal(iB, iA, `input ${c}`);
    assert.equal(endB - firstB, endA - firstA, `input ${iA / rowBytes}: pairs`);
    const a = k.i32.slice(firstA / 4, endA / 4), b = k.i32.slice(firstB / 4, endB / 4);
    assert.deepEqual(b, a, `input ${iA / rowBytes}: the same (b · ldd, value) pairs, b increasing`);
  }
});

Deno.test("sparseGemmRanges = sparseGemm on the same pairs; reluRows and reluBackwardRows = relu and reluBackward row by row", () => {
  const B = 16, H = 64, ld = 4 * 96;
  const { k, at } = batchInMemory(B, 4 * H);
  const { w, bias, outA, outB, delta } = at;
  const rng = new Random(2);
  for (let i = 0; i < 784 * H; i++) k.f32[w / 4 + i] = rng.normal();
  for (let i = 0; i < H; i++) k.f32[bias / 4 + i] = rng.normal();
  for (let b = 0; b < B; b++) {
    k.i32[at.ranges / 4 + 2 * b] = k.i32[at.starts / 4 + b];
    k.i32[at.ranges / 4 + 2 * b + 1] = k.i32[at.starts / 4 + b + 1];
  }
  k.exports.sparseGemm(outA, ld, w, bias, H, at.starts, B);
  k.exports.sparseGemmRanges(outB, ld, w, bias, H, at.ranges, B);
  const rows = (out: number) =>
    Array.from({ length: B }, (_, b) => [...k.f32.subarray(out / 4 + b * 96, out / 4 + b * 96 + H)]);
  assert.deepEqual(rows(outB), rows(outA));
  assert.ok(rows(outA).flat().some((v) => v < 0), "some negative values for the ReLU");
  // the ReLU on the rows' first H columns, rows ld bytes apart
  for (let i = 0; i < B * 96; i++) k.f32[delta / 4 + i] = rng.normal();
  const deltaBefore = rows(delta);
  for (let b = 0; b < B; b++) k.exports.relu(outA + b * ld, H);
  k.exports.reluRows(outB, ld, B, H);
  assert.deepEqual(rows(outB), rows(outA));
  k.exports.reluBackwardRows(delta, outB, ld, B, H);
  assert.deepEqual(rows(delta), deltaBefore.map((row, b) => row.map((d, j) => (rows(outA)[b][j] > 0 ? d : 0))));
});

const OPTIMISERS: [string, () => Optimizer, number][] = [
  ["SGD", () => new GradientDescent(), 0.05],
  ["momentum 0.9, decay 5e-4", () => new Momentum(0.9, 5e-4), 0.02],
  ["AdamW 1e-4", () => new Adam(1e-4), 1e-3],
];

for (const [what, make, lr] of OPTIMISERS) {
  for (const [H, activation] of [[96, "relu"], [40, "tanh"]] as [number, ActivationName][]) {
    Deno.test(`simd-columns = the TypeScript general path up to float32 rounding: 784-${H}-10 ${activation}, ${what}`, () => {
      const order = Array.from({ length: small.n }, (_, i) => (i * 37) % small.n);
      const run = (path: "auto" | "dense") => {
        const net = new Network({ sizes: [784, H, 10], activations: activation }).init(new Random(4));
        const strategy = path === "auto"
          ? simdColumns(net, small, make(), 20)!
          : chooseStep(net, small, { batchSize: 20, optimizer: make(), rng: new Random(0), path });
        assert.equal(strategy.name, path === "auto" ? "simd-columns" : "general");
        const losses: number[] = [];
        for (let epoch = 0; epoch < 2; epoch++) {
          for (let s = 0; s < small.n; s += 20) losses.push(strategy.step(order, s, 20, lr));
        }
        strategy.sync();
        strategy.close?.();
        return { net, losses };
      };
      const simd = run("auto"), ts = run("dense");
      const worst = worstRelativeDifference(simd.net, ts.net, 1e-2);
      assert.ok(worst < 5e-3, `the models differ by ${worst}`);
      simd.losses.forEach((l, s) =>
        assert.ok(Math.abs(l - ts.losses[s]) < 1e-4 * (1 + ts.losses[s]), `step ${s}: loss`)
      );
      assert.ok(simd.losses.at(-1)! < simd.losses[0], "it learns");
    });
  }
}

/** Two epochs of 784-`H`-10 with momentum and decay on `threads` threads; the model, the worker items, the strategy. */
function trainColumns(threads: number, H = 128, epochs = 2) {
  const net = new Network({ sizes: [784, H, 10], activations: "relu" }).init(new Random(6));
  const optimizer = new Momentum(0.9, 5e-4);
  const strategy = simdColumns(net, small, optimizer, 32, threads)!;
  if (threads > 1) {
    assert.equal(strategy.awaitWorkers(30_000), Math.min(threads, columnPanels(H)) - 1, "the workers started");
  }
  const order = Array.from({ length: small.n }, (_, i) => i), rng = new Random(1);
  for (let epoch = 0; epoch < epochs; epoch++) {
    rng.shuffle(order);
    for (let s = 0; s < small.n; s += 32) strategy.step(order, s, Math.min(32, small.n - s), 0.02);
  }
  strategy.sync();
  return { net, optimizer, strategy, workerTasks: strategy.workerTasks };
}

for (const threads of [2, 3]) {
  Deno.test(`simd-columns on ${threads} threads: the workers take part, the same bytes as one thread, every worker gone after close()`, () => {
    // on a busy machine the main thread may take a run's steps alone (after a stalled worker): the training runs
    // until a worker took part, up to ten times; every run must give the same bytes
    const one = trainColumns(1);
    one.strategy.close();
    let taken = 0;
    for (let run = 0; run < 10 && taken === 0; run++) {
      const many = trainColumns(threads);
      taken = many.workerTasks;
      assert.equal(many.strategy.threads, threads);
      assert.equal(many.strategy.workersExited, 0, "no worker leaves during the run");
      many.strategy.close();
      assert.equal(many.strategy.workersExited, threads - 1, "every worker left before close() returned");
      many.net.parameters().forEach((p, k) => assert.deepEqual(p.value, one.net.parameters()[k].value, p.name));
    }
    assert.ok(taken > 0, "a worker did items");
  });
}

Deno.test("simd-columns: a worker that is ready but never comes leaves its items to the main thread after the grace", () => {
  const one = trainColumns(1);
  one.strategy.close();
  // the factory's set-up by hand, with a stand-in for the worker that counts itself ready and then never claims
  const net = new Network({ sizes: [784, 128, 10], activations: "relu" }).init(new Random(6));
  const rows = denseRows(small.x, 784), plan = columnsPlan(784, 128, 10, 32, 1, rows.nnz, rows.n, 2);
  const kernels = sharedSimdKernels(plan.bytes)!;
  writeRowPairs(kernels.memory.buffer, rows, 4 * plan.panelOp, plan.pairs, plan.rowStart, plan.pixel);
  const absent = { terminate() {} } as unknown as Worker;
  const strategy = new SimdColumns(kernels, plan, net, small, new Momentum(0.9, 5e-4), [absent]);
  const control = new Int32Array(kernels.memory.buffer, plan.control, 256);
  control[CONTROL.ready] = 1;
  const order = Array.from({ length: small.n }, (_, i) => i), rng = new Random(1);
  const started = performance.now();
  let steps = 0;
  for (let epoch = 0; epoch < 2; epoch++) {
    rng.shuffle(order);
    for (let s = 0; s < small.n; s += 32, steps++) strategy.step(order, s, Math.min(32, small.n - s), 0.02);
  }
  const ms = performance.now() - started;
  strategy.sync();
  assert.equal(strategy.workerTasks, 0);
  net.parameters().forEach((p, k) => assert.deepEqual(p.value, one.net.parameters()[k].value, p.name));
  // the first step waits out the grace for the worker's items (its forward and step items), then the main
  // thread stalls and takes the next steps alone (SOLO_STEPS), waking no one
  assert.ok(ms >= 2 * GRACE_MS, `${ms} ms for ${steps} steps`);
  control[CONTROL.exited] = 1; // the stand-in "leaves", so close() need not wait for it
  strategy.close();
});

Deno.test("simd-columns: the panels depend on H only (≤ 4, ≥ 32 columns each), and threads beyond them are not started", () => {
  assert.deepEqual([30, 32, 64, 100, 128, 256, 800].map(columnPanels), [1, 1, 2, 3, 4, 4, 4]);
  const strategy: SimdColumns = trainColumns(4, 64, 1).strategy;
  assert.equal(strategy.threads, 2);
  strategy.close();
});

Deno.test("simd-columns: the weights and the optimiser's state go back between runs (two runs of one epoch = one of two)", () => {
  const whole = trainColumns(2);
  whole.strategy.close();
  const net = new Network({ sizes: [784, 128, 10], activations: "relu" }).init(new Random(6));
  const optimizer = new Momentum(0.9, 5e-4), order = Array.from({ length: small.n }, (_, i) => i), rng = new Random(1);
  for (let epoch = 0; epoch < 2; epoch++) {
    const strategy = simdColumns(net, small, optimizer, 32, 2)!;
    rng.shuffle(order);
    for (let s = 0; s < small.n; s += 32) strategy.step(order, s, Math.min(32, small.n - s), 0.02);
    strategy.sync();
    strategy.close();
  }
  net.parameters().forEach((p, k) => assert.deepEqual(p.value, whole.net.parameters()[k].value, p.name));
  assert.deepEqual(optimizer.velocity(net.layers[0].weight), whole.optimizer.velocity(whole.net.layers[0].weight));
});
