import assert from "node:assert/strict";
import type { ActivationName } from "../../lib/nn/activations.ts";
import { formatArch, parseArch } from "../../lib/nn/arch.ts";
import { Conv2d } from "../../lib/nn/conv2d.ts";
import { ActivationLayer, Flatten, type Layer, Linear, shapeSize } from "../../lib/nn/layer.ts";
import { MaxPool2d } from "../../lib/nn/pool.ts";
import { Random } from "../../lib/nn/random.ts";
import { Sequential } from "../../lib/nn/sequential.ts";
import { InputError } from "../../lib/errors.ts";

/**
 * Relative error as in network_test.ts: |a − n| / max(|a| + |n|, 1e-4), so
 * gradients below 1e-4 are held to an absolute 1e-10.
 */
function relativeError(a: number, n: number): number {
  return Math.abs(a - n) / Math.max(Math.abs(a) + Math.abs(n), 1e-4);
}

const H = 1e-5;

/**
 * One layer alone, in float64, under the loss L = Σ r ⊙ layer(x) with a fixed
 * random r (so ∂L/∂out = r): backward's ∂L/∂x and every parameter gradient
 * against central differences of L.
 */
function checkLayer(layer: Layer, B: number, seed: number, label: string): void {
  const rng = new Random(seed);
  layer.init(rng, "xavier");
  if (layer.tensors !== null) {
    for (let o = 0; o < layer.tensors.bias.length; o++) {
      layer.tensors.bias[o] = rng.normal();
    }
  }
  const nIn = B * shapeSize(layer.inShape), nOut = B * shapeSize(layer.outShape);
  const x = Float64Array.from({ length: nIn }, () => rng.normal());
  const r = Float64Array.from({ length: nOut }, () => rng.normal());
  const out = new Float64Array(nOut);
  const loss = () => {
    layer.forward(out, x, B, true);
    let s = 0;
    for (let k = 0; k < nOut; k++) s += r[k] * out[k];
    return s;
  };
  loss();
  const dx = new Float64Array(nIn);
  layer.backward(dx, r, x, out, B);
  const checks: [string, Float64Array, Float64Array][] = [["input", x, dx]];
  if (layer.tensors !== null) {
    const t = layer.tensors;
    checks.push(["weight", t.weight as Float64Array, Float64Array.from(t.gradWeight)]);
    checks.push(["bias", t.bias as Float64Array, Float64Array.from(t.gradBias)]);
  }
  for (const [name, values, analytic] of checks) {
    for (let k = 0; k < values.length; k++) {
      const saved = values[k];
      values[k] = saved + H;
      const plus = loss();
      values[k] = saved - H;
      const minus = loss();
      values[k] = saved;
      const numeric = (plus - minus) / (2 * H);
      assert.ok(
        relativeError(analytic[k], numeric) < 1e-6,
        `${label}: ${name}[${k}] backward ${analytic[k]} vs numeric ${numeric}`,
      );
    }
  }
}

Deno.test("gradient check, Conv2d 'valid', 2→3 channels, 3×3 kernel on 6×5 images: input, weight, bias", () => {
  checkLayer(new Conv2d([2, 6, 5], 3, 3, "valid", "float64"), 2, 1, "conv valid");
});

Deno.test("gradient check, Conv2d 'same', 3→2 channels, 5×5 kernel on 5×6 images: input, weight, bias", () => {
  checkLayer(new Conv2d([3, 5, 6], 2, 5, "same", "float64"), 2, 2, "conv same");
});

Deno.test("gradient check, Conv2d 1×1 kernel and a kernel as large as the image", () => {
  checkLayer(new Conv2d([2, 4, 4], 3, 1, "valid", "float64"), 2, 3, "conv 1x1");
  checkLayer(new Conv2d([2, 4, 4], 2, 4, "valid", "float64"), 2, 4, "conv 4x4 on 4x4");
});

Deno.test("gradient check, MaxPool2d on 2 channels of 6×7 (odd width: the last column is dropped): input", () => {
  checkLayer(new MaxPool2d([2, 6, 7]), 2, 5, "pool");
});

Deno.test("gradient check, Flatten and Linear: input, weight, bias", () => {
  checkLayer(new Flatten([2, 3, 3]), 2, 6, "flatten");
  checkLayer(new Linear(7, 4, "float64"), 3, 7, "linear");
});

for (const act of ["relu", "tanh", "sigmoid"] as const) {
  Deno.test(`gradient check, ${act} layer: input`, () => {
    checkLayer(new ActivationLayer(act, [3, 2, 2]), 2, 8, act);
  });
}

/**
 * A whole convolutional network in float64: backprop's gradient of the mean
 * cross-entropy for every parameter and every input value against central
 * differences, with every layer kind in the stack.
 */
function checkNetwork(act: ActivationName, seed: number): void {
  const rng = new Random(seed);
  const net = new Sequential({
    inputShape: [2, 8, 8],
    arch: parseArch("conv3x3x3:same,pool2,conv3x3x4,fc5"),
    activation: act,
    classes: 3,
    dtype: "float64",
  }).init(rng);
  // biases away from zero, so that no ReLU sits on its kink
  for (const p of net.parameters()) {
    if (p.name.endsWith("bias")) { for (let k = 0; k < p.value.length; k++) p.value[k] = 0.1 * rng.normal(); }
  }
  const B = 2;
  const x = Float64Array.from({ length: B * 128 }, () => (rng.uniform() < 0.3 ? 0 : rng.uniform()));
  const labels = Uint8Array.from({ length: B }, () => rng.int(3));
  const dx = new Float64Array(x.length);
  net.backprop(x, labels, B, dx);
  const tensors: [string, Float64Array, Float64Array][] = net.parameters().map((p) => [
    p.name,
    p.value as Float64Array,
    Float64Array.from(p.grad),
  ]);
  tensors.push(["input", x, dx]);
  let checked = 0;
  for (const [name, values, analytic] of tensors) {
    for (let k = 0; k < values.length; k++) {
      const saved = values[k];
      values[k] = saved + H;
      const plus = net.backprop(x, labels, B);
      values[k] = saved - H;
      const minus = net.backprop(x, labels, B);
      values[k] = saved;
      const numeric = (plus - minus) / (2 * H);
      assert.ok(
        relativeError(analytic[k], numeric) < 1e-6,
        `${act}: ${name}[${k}] backprop ${analytic[k]} vs ${numeric}`,
      );
      checked++;
    }
  }
  assert.equal(checked, net.parameterCount + x.length);
}

for (const [act, seed] of [["relu", 21], ["tanh", 22], ["sigmoid", 23]] as const) {
  Deno.test(`gradient check, conv:same → pool → conv → fc → fc network, ${act}: every parameter and input`, () => {
    checkNetwork(act, seed);
  });
}

Deno.test("Conv2d forward equals the textbook sum y[o,i,j] = b[o] + Σ W[o,c,u,v] x[c, i+u−P, j+v−P]", () => {
  for (const padding of ["valid", "same"] as const) {
    const rng = new Random(9);
    const [C, Hh, W, O, K] = [2, 5, 6, 3, 3];
    const conv = new Conv2d([C, Hh, W], O, K, padding, "float64");
    conv.init(rng, "he");
    conv.tensors.bias.set([0.5, -1, 2]);
    const B = 2;
    const x = Float64Array.from({ length: B * C * Hh * W }, () => rng.normal());
    const [, Ho, Wo] = conv.outShape;
    const out = new Float64Array(B * O * Ho * Wo);
    conv.forward(out, x, B, false);
    const P = padding === "same" ? 1 : 0;
    const w = conv.tensors.weight;
    for (let b = 0; b < B; b++) {
      for (let o = 0; o < O; o++) {
        for (let i = 0; i < Ho; i++) {
          for (let j = 0; j < Wo; j++) {
            let s = conv.tensors.bias[o];
            for (let c = 0; c < C; c++) {
              for (let u = 0; u < K; u++) {
                for (let v = 0; v < K; v++) {
                  const y = i + u - P, xx = j + v - P;
                  if (y < 0 || y >= Hh || xx < 0 || xx >= W) continue;
                  s += w[((o * C + c) * K + u) * K + v] * x[((b * C + c) * Hh + y) * W + xx];
                }
              }
            }
            const got = out[((b * O + o) * Ho + i) * Wo + j];
            assert.ok(Math.abs(got - s) < 1e-12, `${padding} [${b},${o},${i},${j}]: ${got} vs ${s}`);
          }
        }
      }
    }
  }
});

Deno.test("Sequential: predictions do not depend on the batch, and inference forward matches training forward", () => {
  const rng = new Random(4);
  const net = new Sequential({
    inputShape: [1, 28, 28],
    arch: parseArch("conv5x5x4,pool2,fc16"),
    activation: "relu",
    classes: 10,
  })
    .init(rng);
  const x = Float32Array.from({ length: 5 * 784 }, () => rng.uniform());
  const together = net.probabilities(x, 5);
  for (let b = 0; b < 5; b++) {
    const alone = net.probabilities(x.subarray(b * 784, (b + 1) * 784), 1);
    for (let k = 0; k < 10; k++) assert.ok(Math.abs(alone[k] - together[b * 10 + k]) < 1e-6);
  }
  const loss = net.backprop(x, new Uint8Array([0, 1, 2, 3, 4]), 5);
  assert.ok(Math.abs(loss - Math.log(10)) < 1.5, `untrained loss ${loss}`);
});

Deno.test("--arch grammar: layers built, flatten and the output layer added", () => {
  const net = new Sequential({
    inputShape: [1, 28, 28],
    arch: parseArch("conv5x5x32,pool2,conv5x5x64,pool2,fc256"),
    activation: "relu",
    classes: 10,
  });
  assert.deepEqual(net.layers.map((l) => l.outShape), [
    [32, 24, 24],
    [32, 24, 24],
    [32, 12, 12],
    [64, 8, 8],
    [64, 8, 8],
    [64, 4, 4],
    [1024],
    [256],
    [256],
    [10],
  ]);
  assert.equal(net.parameterCount, 32 * 25 + 32 + 64 * 32 * 25 + 64 + 1024 * 256 + 256 + 2570);
  assert.equal(formatArch(parseArch(" conv3x3x8:same , pool2,fc10 ")), "conv3x3x8:same,pool2,fc10");
  const mlp = new Sequential({ inputShape: [784], arch: parseArch("fc30"), activation: "relu", classes: 10 });
  assert.deepEqual(mlp.layers.map((l) => l.kind), ["linear", "relu", "linear"]);
});

Deno.test("--arch grammar: a malformed architecture gets one sentence naming the bad item", () => {
  const cases: [string, RegExp][] = [
    ["conv5x5x32,pool3", /"pool3" \(item 2 of "conv5x5x32,pool3"\) is not a layer; write convKxKxC/],
    ["conv5x3x8", /"conv5x3x8" \(item 1 .*kernels are square/],
    ["conv4x4x8:same", /"conv4x4x8:same" .*odd kernel/],
    ["fc64,conv3x3x8", /"conv3x3x8" \(item 2 .*after a dense layer/],
    ["conv5x5x0", /"conv5x5x0" .*channel count 0/],
    ["", /"" \(item 1 of ""\) is not a layer/],
    ["conv5x5x8,,fc10", /"" \(item 2 .*is not a layer/],
  ];
  for (const [text, message] of cases) {
    assert.throws(() => parseArch(text), (e: Error) => e instanceof InputError && message.test(e.message), text);
  }
  // too deep for the image: named when the network is built
  assert.throws(
    () =>
      new Sequential({
        inputShape: [1, 28, 28],
        arch: parseArch("conv5x5x8,pool2,pool2,pool2,conv5x5x8"),
        activation: "relu",
        classes: 10,
      }),
    (e: Error) =>
      e instanceof InputError && /"conv5x5x8" \(item 5 .*5×5 kernel does not fit a 3×3 image/.test(e.message),
  );
});

Deno.test("MaxPool2d forward is the max of each 2×2 window (odd last row and column dropped), first max on ties", () => {
  const rng = new Random(12);
  const [B, C, Hh, W] = [2, 3, 5, 7];
  const pool = new MaxPool2d([C, Hh, W]);
  assert.deepEqual(pool.outShape, [3, 2, 3]);
  const x = Float64Array.from({ length: B * C * Hh * W }, () => Math.round(rng.normal() * 2)); // many ties
  const out = new Float64Array(B * C * 6);
  pool.forward(out, x, B);
  const dOut = Float64Array.from({ length: out.length }, (_, k) => k + 1);
  const dx = new Float64Array(x.length);
  pool.backward(dx, dOut, x, out, B);
  const expectedDx = new Float64Array(x.length);
  for (let plane = 0; plane < B * C; plane++) {
    for (let i = 0; i < 2; i++) {
      for (let j = 0; j < 3; j++) {
        const window = [[0, 0], [0, 1], [1, 0], [1, 1]].map(([u, v]) => plane * Hh * W + (2 * i + u) * W + 2 * j + v);
        const values = window.map((p) => x[p]);
        const k = (plane * 2 + i) * 3 + j;
        assert.equal(out[k], Math.max(...values));
        expectedDx[window[values.indexOf(Math.max(...values))]] += dOut[k]; // the first maximum wins
      }
    }
  }
  assert.deepEqual([...dx], [...expectedDx]);
});
