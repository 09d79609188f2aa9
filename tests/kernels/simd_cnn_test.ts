import assert from "node:assert/strict";
import { loadSplit } from "../../lib/data/load.ts";
import { makeDataset } from "../../lib/data/dataset.ts";
import { Augmenter } from "../../lib/data/augment.ts";
import type { ActivationName } from "../../lib/nn/activations.ts";
import { parseArch } from "../../lib/nn/arch.ts";
import { col2im, Conv2d, im2col } from "../../lib/nn/conv2d.ts";
import { Adam, GradientDescent, Momentum, type Optimizer } from "../../lib/nn/optimizers.ts";
import { MaxPool2d } from "../../lib/nn/pool.ts";
import { Random } from "../../lib/nn/random.ts";
import { Sequential } from "../../lib/nn/sequential.ts";
import { chooseStep } from "../../lib/nn/step.ts";
import { SGD, type TrainOptions } from "../../lib/nn/train.ts";
import { MemoryPlan, simdKernels } from "../../lib/kernels/gemm.ts";
import { assembleWat, wasmSource } from "../../bench/build_wasm.ts";
import { evaluate } from "../../lib/metrics.ts";
import {
  cnnInference,
  col2imRows,
  type ConvGeometry,
  convKernels,
  im2colRows,
  maxPoolRows,
  maxPoolRowsBackward,
} from "../../lib/kernels/simd_cnn.ts";
import { worstRelativeDifference } from "./compare.ts";

const train = await loadSplit("data", "train");
const small = makeDataset(train.x.slice(0, 96 * 784), train.labels.slice(0, 96));

function geometry(C: number, H: number, W: number, K: number, P: number, layout: "chw" | "hwc", Cp = C): ConvGeometry {
  const Ho = H + 2 * P - K + 1, Wo = W + 2 * P - K + 1;
  const s = layout === "chw" ? { sc: H * W, sy: W, sx: 1 } : { sc: 1, sy: W * Cp, sx: Cp };
  return { C, H, W, K, P, Ho, Wo, ...s };
}

Deno.test("im2colRows and col2imRows are conv2d.ts's im2col and col2im, transposed and permuted", () => {
  const rng = new Random(5);
  for (
    const [C, H, W, K, P, layout, Cp] of [
      [1, 6, 5, 3, 0, "chw", 1],
      [3, 5, 5, 3, 1, "chw", 3],
      [3, 6, 4, 3, 1, "hwc", 8],
      [8, 5, 6, 5, 2, "hwc", 8],
      [2, 4, 4, 4, 0, "hwc", 8],
    ] as const
  ) {
    const g = geometry(C, H, W, K, P, layout, Cp);
    const n = 2, N = g.Ho * g.Wo, R = K * K * C, size = layout === "chw" ? C * H * W : H * W * Cp;
    const x = Float32Array.from({ length: n * C * H * W }, () => rng.normal()); // CHW, the reference's layout
    const mem = new Float32Array(3 + n * size); // the same images in the tested layout, from float 3
    const at = (b: number, c: number, y: number, xx: number) =>
      3 + b * size + (layout === "chw" ? c * H * W + y * W + xx : (y * W + xx) * Cp + c);
    for (let b = 0; b < n; b++) {
      for (let c = 0; c < C; c++) {
        for (let y = 0; y < H; y++) {
          for (let xx = 0; xx < W; xx++) mem[at(b, c, y, xx)] = x[((b * C + c) * H + y) * W + xx];
        }
      }
    }
    const rows = new Float32Array(5 + n * N * R).fill(NaN);
    im2colRows(rows, 5, mem, 3, size, n, g);
    const ref = new Float32Array(R * N);
    for (let b = 0; b < n; b++) {
      im2col(ref, 0, x, b * C * H * W, C, H, W, K, P); // ref[(c, u, v), position]
      for (let c = 0; c < C; c++) {
        for (let u = 0; u < K; u++) {
          for (let v = 0; v < K; v++) {
            for (let p = 0; p < N; p++) {
              assert.equal(rows[5 + (b * N + p) * R + (u * K + v) * C + c], ref[((c * K + u) * K + v) * N + p]);
            }
          }
        }
      }
    }
    // the adjoint: the same dcols through both
    const dRows = Float32Array.from({ length: 5 + n * N * R }, () => rng.normal());
    const dx = new Float32Array(3 + n * size).fill(7); // every slot is written, the channel padding with 0
    col2imRows(dx, 3, size, dRows, 5, n, g);
    const dRef = new Float32Array(R * N), dxRef = new Float32Array(C * H * W);
    for (let b = 0; b < n; b++) {
      for (let c = 0; c < C; c++) {
        for (let u = 0; u < K; u++) {
          for (let v = 0; v < K; v++) {
            for (let p = 0; p < N; p++) {
              dRef[((c * K + u) * K + v) * N + p] = dRows[5 + (b * N + p) * R + (u * K + v) * C + c];
            }
          }
        }
      }
      col2im(dxRef, 0, dRef, 0, C, H, W, K, P);
      for (let c = 0; c < Cp; c++) {
        for (let y = 0; y < H; y++) {
          for (let xx = 0; xx < W; xx++) {
            const got = dx[at(b, c, y, xx)];
            if (c >= C) assert.equal(got, 0);
            else assert.ok(Math.abs(got - dxRef[(c * H + y) * W + xx]) < 1e-5, `${C} ${H} ${W} ${K} ${P} ${layout}`);
          }
        }
      }
    }
  }
});

Deno.test("maxPoolRows and its backward pass route like MaxPool2d on channel-last images", () => {
  const rng = new Random(9);
  const C = 3, Cp = 8, H = 5, W = 6, n = 2, Ho = 2, Wo = 3;
  const x = Float32Array.from({ length: n * C * H * W }, () => Math.round(rng.normal() * 2)); // ties happen
  const pool = new MaxPool2d([C, H, W]);
  const ref = new Float32Array(n * C * Ho * Wo);
  pool.forward(ref, x, n);
  const mem = new Float32Array(4 + n * H * W * Cp);
  for (let b = 0; b < n; b++) {
    for (let c = 0; c < C; c++) {
      for (let y = 0; y < H; y++) {
        for (let xx = 0; xx < W; xx++) {
          mem[4 + b * H * W * Cp + (y * W + xx) * Cp + c] = x[((b * C + c) * H + y) * W + xx];
        }
      }
    }
  }
  const out = new Float32Array(n * Ho * Wo * Cp);
  maxPoolRows(out, 0, mem, 4, n, H, W, Cp);
  const dOut = Float32Array.from({ length: n * C * Ho * Wo }, () => rng.normal());
  const dxRef = new Float32Array(n * C * H * W);
  pool.backward(dxRef, dOut, x, ref, n);
  const dOutRows = new Float32Array(n * Ho * Wo * Cp);
  for (let b = 0; b < n; b++) {
    for (let c = 0; c < C; c++) {
      for (let i = 0; i < Ho; i++) {
        for (let j = 0; j < Wo; j++) {
          assert.equal(out[b * Ho * Wo * Cp + (i * Wo + j) * Cp + c], ref[((b * C + c) * Ho + i) * Wo + j]);
          dOutRows[b * Ho * Wo * Cp + (i * Wo + j) * Cp + c] = dOut[((b * C + c) * Ho + i) * Wo + j];
        }
      }
    }
  }
  const dx = new Float32Array(1 + n * H * W * Cp).fill(1);
  maxPoolRowsBackward(dx, 1, dOutRows, 0, mem, 4, out, 0, n, H, W, Cp);
  for (let b = 0; b < n; b++) {
    for (let c = 0; c < C; c++) {
      for (let y = 0; y < H; y++) {
        for (let xx = 0; xx < W; xx++) {
          assert.equal(dx[1 + b * H * W * Cp + (y * W + xx) * Cp + c], dxRef[((b * C + c) * H + y) * W + xx]);
        }
      }
    }
  }
});

Deno.test("conv_wasm.ts holds exactly the assembly of conv.wat (rebuild with deno task build:conv)", async () => {
  const committed = await Deno.readTextFile(new URL("../../lib/kernels/conv_wasm.ts", import.meta.url));
  assert.equal(committed, wasmSource("conv", await assembleWat("conv"), await assembleWat("conv", true)));
});

Deno.test("conv.wat's kernels compute what their TypeScript twins compute", () => {
  const rng = new Random(17);
  const plan = new MemoryPlan();
  const SIZE = 1 << 16;
  const A = plan.region(SIZE), Bm = plan.region(SIZE), Cm = plan.region(SIZE), D = plan.region(SIZE);
  const k = simdKernels(plan.bytes)!;
  const conv = convKernels(k)!;
  const f32 = k.f32;
  const fill = (at: number, n: number) => {
    for (let i = 0; i < n; i++) f32[at / 4 + i] = Math.round(rng.normal() * 4) / 4; // ties for the pools
  };
  const twin = new Float32Array(SIZE);
  // im2col and col2im: channel-last with and without padded channels, one-channel CHW, "same" and "valid"
  for (
    const [C, Cp, H, W, K, P] of [[1, 1, 7, 6, 3, 0], [1, 1, 6, 6, 5, 2], [4, 8, 5, 6, 3, 1], [16, 16, 6, 5, 5, 0]]
  ) {
    const g = geometry(C, H, W, K, P, "hwc", Cp), n = 3, size = H * W * Cp, R = K * K * C;
    const rows = n * g.Ho * g.Wo * R;
    fill(A, n * size);
    f32.fill(NaN, Bm / 4, Bm / 4 + rows);
    conv.im2col(Bm, A, 4 * size, n, H, W, C, K, P, g.Ho, g.Wo, 4 * g.sy, 4 * g.sx);
    twin.fill(NaN);
    im2colRows(twin, 0, f32, A / 4, size, n, g);
    assert.deepEqual(f32.subarray(Bm / 4, Bm / 4 + rows), twin.subarray(0, rows), `im2col ${C} ${H} ${W} ${K} ${P}`);
    fill(Bm, rows);
    f32.fill(NaN, Cm / 4, Cm / 4 + n * size);
    conv.col2im(Cm, 4 * size, Bm, n, H, W, C, K, P, g.Ho, g.Wo, 4 * g.sy, 4 * g.sx);
    twin.fill(NaN);
    col2imRows(twin, 0, size, f32, Bm / 4, n, g);
    assert.deepEqual(f32.subarray(Cm / 4, Cm / 4 + n * size), twin.subarray(0, n * size), `col2im ${C} ${H} ${W} ${K}`);
  }
  // max pooling, odd sizes included
  for (const [H, W, Cp] of [[6, 6, 8], [5, 7, 16], [2, 3, 4]]) {
    const n = 2, inF = n * H * W * Cp, outF = n * Math.floor(H / 2) * Math.floor(W / 2) * Cp;
    fill(A, inF);
    conv.maxPool(Bm, A, n, H, W, Cp);
    twin.fill(NaN);
    maxPoolRows(twin, 0, f32, A / 4, n, H, W, Cp);
    assert.deepEqual(f32.subarray(Bm / 4, Bm / 4 + outF), twin.subarray(0, outF), `maxPool ${H} ${W} ${Cp}`);
    fill(Cm, outF);
    f32.fill(NaN, D / 4, D / 4 + inF);
    conv.maxPoolBackward(D, Cm, A, Bm, n, H, W, Cp);
    twin.fill(NaN);
    maxPoolRowsBackward(twin, 0, f32, Cm / 4, f32, A / 4, f32, Bm / 4, n, H, W, Cp);
    assert.deepEqual(f32.subarray(D / 4, D / 4 + inF), twin.subarray(0, inF), `maxPoolBackward ${H} ${W} ${Cp}`);
  }
});

interface Case {
  arch: string;
  activation: ActivationName;
  optimizer: () => Optimizer;
  batchSize: number;
  lr: number;
  augment?: TrainOptions["augment"];
  inputShape?: number[];
}

function run(c: Case, path: TrainOptions["path"], threads = 1, epochs = 2) {
  const rng = new Random(21);
  const net = new Sequential({
    inputShape: c.inputShape ?? [1, 28, 28],
    arch: parseArch(c.arch),
    activation: c.activation,
    classes: 10,
  }).init(rng);
  const stats = SGD(net, small, {
    epochs,
    batchSize: c.batchSize,
    lr: c.lr,
    rng,
    path,
    threads,
    optimizer: c.optimizer(),
    augment: c.augment,
  });
  return { net, stats };
}

const cases: [string, Case][] = [
  ["conv5x5x16,pool2,conv5x5x32,pool2,fc32 ReLU, momentum + weight decay", {
    arch: "conv5x5x16,pool2,conv5x5x32,pool2,fc32",
    activation: "relu",
    optimizer: () => new Momentum(0.9, 5e-4),
    batchSize: 16,
    lr: 0.02,
  }],
  ["conv3x3x6:same,pool2,conv3x3x5,fc12 tanh, AdamW, batch 7 (padded channels)", {
    arch: "conv3x3x6:same,pool2,conv3x3x5,fc12",
    activation: "tanh",
    optimizer: () => new Adam(1e-3, 1e-4),
    batchSize: 7,
    lr: 1e-3,
  }],
  ["conv5x5x8,pool2,fc20 sigmoid, SGD, affine augmentation", {
    arch: "conv5x5x8,pool2,fc20",
    activation: "sigmoid",
    optimizer: () => new GradientDescent(),
    batchSize: 10,
    lr: 0.5,
    augment: (x, B, rng) => new Augmenter({ kind: "affine", shift: 2 }).apply(x, B, rng),
  }],
  ["conv5x5x8,pool2,conv3x3x16,fc16 ReLU, momentum, batch 80 (a lane in chunks of 32, 32 and 16)", {
    arch: "conv5x5x8,pool2,conv3x3x16,fc16",
    activation: "relu",
    optimizer: () => new Momentum(0.9),
    batchSize: 80,
    lr: 0.05,
  }],
  ["fc24 on images (flatten first), ReLU, momentum", {
    arch: "fc24",
    activation: "relu",
    optimizer: () => new Momentum(0.9),
    batchSize: 12,
    lr: 0.02,
  }],
];

for (const [name, c] of cases) {
  Deno.test(`simd-cnn agrees with the TypeScript general path over two epochs: ${name}`, () => {
    const a = run(c, "auto"), b = run(c, "dense");
    const worst = worstRelativeDifference(a.net, b.net, 1e-2);
    assert.ok(worst < 2e-3, `worst relative difference ${worst}`);
    a.stats.forEach((s, e) => assert.ok(Math.abs(s.loss - b.stats[e].loss) < 1e-4 * Math.max(1, b.stats[e].loss)));
  });
}

Deno.test("chooseStep picks simd-cnn for a float32 CNN, the general path for float64 or path dense", () => {
  const make = (dtype: "float32" | "float64") =>
    new Sequential({
      inputShape: [1, 28, 28],
      arch: parseArch("conv5x5x4,pool2"),
      activation: "relu",
      classes: 10,
      dtype,
    })
      .init(new Random(0));
  const options = { batchSize: 4, optimizer: new Momentum(0.9), rng: new Random(0) };
  assert.equal(chooseStep(make("float32"), small, options).name, "simd-cnn");
  assert.equal(chooseStep(make("float64"), small, options).name, "general");
  assert.equal(chooseStep(make("float32"), small, { ...options, path: "dense" }).name, "general");
  const conv = make("float32").layers[0];
  assert.ok(conv instanceof Conv2d);
});

Deno.test("simd-cnn on two threads: the same bytes twice, and the one-thread result up to rounding", () => {
  const c = cases[0][1];
  const a = run(c, "auto", 2, 1), b = run(c, "auto", 2, 1), one = run(c, "auto", 1, 1);
  a.net.parameters().forEach((p, t) => assert.deepEqual(p.value, b.net.parameters()[t].value));
  assert.ok(worstRelativeDifference(a.net, one.net, 1e-2) < 1e-3);
});

Deno.test("simd-cnn on two threads: a last minibatch of one row (no row for the first thread) trains as on one", () => {
  // 96 = 5 · 19 + 1: each epoch ends with a one-row step, whose first lane has no row (it made the loss NaN)
  const c = { ...cases[0][1], batchSize: 19 };
  const two = run(c, "auto", 2, 1), one = run(c, "auto", 1, 1);
  assert.ok(Number.isFinite(two.stats[0].loss), `loss ${two.stats[0].loss}`);
  assert.ok(Math.abs(two.stats[0].loss - one.stats[0].loss) < 1e-4 * one.stats[0].loss);
  assert.ok(worstRelativeDifference(two.net, one.net, 1e-2) < 1e-3);
});

Deno.test("cnnInference gives Sequential.forward's logits, and evaluate's predictions are the reference's", () => {
  const net = new Sequential({
    inputShape: [1, 28, 28],
    arch: parseArch("conv5x5x6,pool2,conv3x3x16:same,pool2,fc20"),
    activation: "relu",
    classes: 10,
  }).init(new Random(4));
  const n = 70; // two full chunks of 32 and a partial one
  const x = small.x.subarray(0, n * 784);
  const fast = cnnInference(net)!.forward(x, n).slice();
  const reference = net.forward(x, n);
  let worst = 0;
  fast.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - reference[i]))));
  assert.ok(worst < 1e-4, `worst difference ${worst}`);
  // the weights are read at every call
  net.parameters()[0].value[3] += 0.5;
  const moved = cnnInference(net)!.forward(x, n);
  assert.ok(moved.some((v, i) => Math.abs(v - fast[i]) > 1e-6));
  const data = makeDataset(x.slice(), small.labels.slice(0, n));
  assert.deepEqual([...evaluate(net, data).predictions], [...net.predict(x, n)]);
});
