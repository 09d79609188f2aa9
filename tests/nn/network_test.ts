import assert from "node:assert/strict";
import type { ActivationName } from "../../lib/nn/activations.ts";
import { Network } from "../../lib/nn/network.ts";
import { Random } from "../../lib/nn/random.ts";

/**
 * The gradient check: for every parameter of every tensor, the central
 * difference (L(w+h) − L(w−h)) / 2h against backprop's ∂L/∂w, in float64 with
 * h = 1e-5. Relative error |a − n| / max(|a| + |n|, 1e-4) must stay below
 * 1e-6 (it is about 1e-9 in practice). The 1e-4 floor keeps round-off in the
 * numeric estimate (≈ ε·L/h ≈ 1e-11) from dominating tiny gradients: below
 * |g| ≈ 1e-4 the check is an absolute one at 1e-10.
 */
function gradientCheck(sizes: number[], act: ActivationName, seed: number): number {
  const rng = new Random(seed);
  const net = new Network({ sizes, activations: act, dtype: "float64" }).init(rng);
  // nudge the biases away from zero so no ReLU sits exactly on its kink
  for (const layer of net.layers) for (let o = 0; o < layer.bias.length; o++) layer.bias[o] = 0.1 * rng.normal();
  const B = 3, I = sizes[0], C = sizes.at(-1)!;
  const x = Float64Array.from({ length: B * I }, () => (rng.uniform() < 0.3 ? 0 : rng.uniform()));
  const labels = Uint8Array.from({ length: B }, () => rng.int(C));
  net.backprop(x, labels, B);
  const analytic = net.parameters().map((p) => Float64Array.from(p.grad));
  let worst = 0;
  const h = 1e-5;
  net.parameters().forEach((p, t) => {
    for (let k = 0; k < p.value.length; k++) {
      const saved = p.value[k];
      p.value[k] = saved + h;
      const plus = net.backprop(x, labels, B);
      p.value[k] = saved - h;
      const minus = net.backprop(x, labels, B);
      p.value[k] = saved;
      const numeric = (plus - minus) / (2 * h);
      const a = analytic[t][k];
      const rel = Math.abs(a - numeric) / Math.max(Math.abs(a) + Math.abs(numeric), 1e-4);
      assert.ok(rel < 1e-6, `${sizes.join("-")} ${act}: ${p.name}[${k}] backprop ${a} vs numeric ${numeric}`);
      worst = Math.max(worst, rel);
    }
  });
  return worst;
}

for (const act of ["relu", "tanh", "sigmoid"] as const) {
  Deno.test(`gradient check, one hidden layer (12-7-4), ${act}: every parameter within 1e-6 relative`, () => {
    gradientCheck([12, 7, 4], act, 11);
  });
  Deno.test(`gradient check, two hidden layers (10-6-5-3), ${act}: every parameter within 1e-6 relative`, () => {
    gradientCheck([10, 6, 5, 3], act, 12);
  });
}

Deno.test("network: 784-128-64-10 builds, runs a batch and predicts a digit per image", () => {
  const net = new Network({ sizes: [784, 128, 64, 10], activations: "relu" }).init(new Random(0));
  const rng = new Random(1);
  const x = Float32Array.from({ length: 5 * 784 }, () => rng.uniform());
  const pred = net.predict(x, 5);
  assert.equal(pred.length, 5);
  assert.ok(pred.every((d) => d >= 0 && d < 10));
  const loss = net.backprop(x, new Uint8Array([0, 1, 2, 3, 4]), 5);
  assert.ok(Number.isFinite(loss) && loss > 0);
});

Deno.test("network: an untrained 784-30-10 network has loss ≈ ln 10 on MNIST-like input", () => {
  const rng = new Random(3);
  const net = new Network({ sizes: [784, 30, 10], activations: "relu" }).init(rng);
  const x = Float32Array.from({ length: 50 * 784 }, () => (rng.uniform() < 0.8 ? 0 : rng.uniform()));
  const labels = Uint8Array.from({ length: 50 }, () => rng.int(10));
  const loss = net.backprop(x, labels, 50);
  assert.ok(Math.abs(loss - Math.log(10)) < 0.7, `loss ${loss}`);
});

Deno.test("network: predictions do not depend on the batch they are computed in", () => {
  const rng = new Random(4);
  const net = new Network({ sizes: [20, 8, 3], activations: "tanh" }).init(rng);
  const x = Float32Array.from({ length: 7 * 20 }, () => rng.normal());
  const together = net.probabilities(x, 7);
  for (let b = 0; b < 7; b++) {
    const alone = net.probabilities(x.subarray(b * 20, (b + 1) * 20), 1);
    for (let k = 0; k < 3; k++) assert.ok(Math.abs(alone[k] - together[b * 3 + k]) < 1e-6);
  }
});

Deno.test("network: bad shapes are refused with a clear message", () => {
  assert.throws(() => new Network({ sizes: [784], activations: "relu" }), /at least an input and an output/);
  assert.throws(() => new Network({ sizes: [784, 0, 10], activations: "relu" }), /positive integers, got 0/);
  assert.throws(() => new Network({ sizes: [784, 30, 10], activations: ["relu", "tanh"] }), /1 hidden layer/);
});
