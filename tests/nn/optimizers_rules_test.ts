import assert from "node:assert/strict";
import { Network, type Parameter } from "../../lib/nn/network.ts";
import { Adam, createOptimizer, GradientDescent, Momentum } from "../../lib/nn/optimizers.ts";
import { Random } from "../../lib/nn/random.ts";

function param(value: number[], grad: number[], decay = true): Parameter {
  return { name: "p", value: Float64Array.from(value), grad: Float64Array.from(grad), decay };
}
const close = (a: number, b: number, tol = 1e-12) => assert.ok(Math.abs(a - b) < tol, `${a} vs ${b}`);

/**
 * Weight decay λ is the gradient of the penalty ½λ‖W‖² over the weights (not
 * the biases): the step GradientDescent(λ) takes with η = 1 must be minus the
 * gradient of J = L + ½λ Σ‖W‖². Checked by central differences in float64
 * (h = 1e-5), every parameter, relative error below 1e-6 (floor 1e-4 as in the
 * core gradient check).
 */
Deno.test("gradient check with weight decay: the decayed step is −∇(L + ½λ‖W‖²), biases undecayed", () => {
  const lambda = 0.3;
  for (const sizes of [[9, 6, 4], [8, 5, 4, 3]]) {
    const rng = new Random(21);
    const net = new Network({ sizes, activations: "tanh", dtype: "float64" }).init(rng);
    for (const layer of net.layers) for (let o = 0; o < layer.bias.length; o++) layer.bias[o] = 0.1 * rng.normal();
    const B = 4;
    const x = Float64Array.from({ length: B * sizes[0] }, () => rng.uniform());
    const labels = Uint8Array.from({ length: B }, () => rng.int(sizes.at(-1)!));
    const params = net.parameters();
    const J = () => {
      let penalty = 0;
      for (const p of params) if (p.decay) { for (const w of p.value) penalty += 0.5 * lambda * w * w; }
      return net.backprop(x, labels, B) + penalty;
    };
    // the optimiser's step with η = 1 from the current point, then undone
    const before = params.map((p) => Float64Array.from(p.value));
    net.backprop(x, labels, B);
    new GradientDescent(lambda).step(params, 1);
    const step = params.map((p, t) => Float64Array.from(p.value, (v, k) => before[t][k] - v)); // = ∇J
    params.forEach((p, t) => p.value.set(before[t]));
    const h = 1e-5;
    params.forEach((p, t) => {
      for (let k = 0; k < p.value.length; k++) {
        const saved = p.value[k];
        p.value[k] = saved + h;
        const plus = J();
        p.value[k] = saved - h;
        const minus = J();
        p.value[k] = saved;
        const numeric = (plus - minus) / (2 * h);
        const a = step[t][k];
        const rel = Math.abs(a - numeric) / Math.max(Math.abs(a) + Math.abs(numeric), 1e-4);
        assert.ok(rel < 1e-6, `${sizes.join("-")} ${p.name}[${k}]: step ${a} vs ∂J/∂w ${numeric}`);
      }
    });
    // and the decay made a difference on the weights: the same step without it differs by λw
    net.backprop(x, labels, B);
    new GradientDescent(0).step(params, 1);
    const w0 = params[0];
    for (let k = 0; k < w0.value.length; k++) {
      close(before[0][k] - w0.value[k] + lambda * before[0][k], step[0][k], 1e-9);
    }
  }
});

Deno.test("Momentum with weight decay: two steps by hand (μ = 0.5, λ = 0.1, η = 0.2)", () => {
  const w = param([2], [1]);
  const b = param([2], [1], false);
  const opt = new Momentum(0.5, 0.1);
  opt.step([w, b], 0.2);
  // v = 1 + 0.1·2 = 1.2, w = 2 − 0.24 = 1.76; bias: v = 1, b = 1.8
  close(w.value[0], 1.76);
  close(b.value[0], 1.8);
  w.grad[0] = -0.5;
  b.grad[0] = -0.5;
  opt.step([w, b], 0.2);
  // v = 0.5·1.2 − 0.5 + 0.1·1.76 = 0.276, w = 1.76 − 0.0552; bias: v = 0.5 − 0.5 = 0, b = 1.8
  close(w.value[0], 1.76 - 0.2 * 0.276);
  close(b.value[0], 1.8);
});

Deno.test("Momentum with μ = 0 is plain gradient descent", () => {
  const a = param([1, -1, 0.5], [0.3, 0.2, -0.7]);
  const b = param([1, -1, 0.5], [0.3, 0.2, -0.7]);
  const m = new Momentum(0, 0.01), g = new GradientDescent(0.01);
  for (let t = 0; t < 3; t++) {
    m.step([a], 0.1);
    g.step([b], 0.1);
  }
  for (let k = 0; k < 3; k++) close(a.value[k], b.value[k]);
});

Deno.test("Momentum keeps separate velocities per parameter tensor", () => {
  const a = param([0], [1]);
  const b = param([0], [-2]);
  const opt = new Momentum(0.9, 0);
  opt.step([a, b], 1);
  opt.step([a, b], 1);
  close(a.value[0], -(1 + 1.9));
  close(b.value[0], 2 + 3.8);
});

Deno.test("Adam: three steps against the formulas (bias correction 1 − βᵗ), with decoupled decay", () => {
  const grads = [0.4, -0.1, 0.25];
  const lr = 0.01, lambda = 0.05, b1 = 0.9, b2 = 0.999, eps = 1e-8;
  const w = param([0.7], [0]);
  const opt = new Adam(lambda);
  let value = 0.7, m = 0, s = 0;
  grads.forEach((g, i) => {
    const t = i + 1;
    w.grad[0] = g;
    opt.step([w], lr);
    m = b1 * m + (1 - b1) * g;
    s = b2 * s + (1 - b2) * g * g;
    value -= lr * (m / (1 - b1 ** t) / (Math.sqrt(s / (1 - b2 ** t)) + eps) + lambda * value);
    close(w.value[0], value);
  });
});

Deno.test("Adam: without decay the step ignores the gradient's scale; the decoupled decay does not scale with it", () => {
  const run = (scale: number, lambda: number) => {
    const w = param([1, -1], [0.3 * scale, -0.05 * scale]);
    const opt = new Adam(lambda);
    for (let t = 0; t < 4; t++) opt.step([w], 0.01);
    return Array.from(w.value);
  };
  const a = run(1, 0), b = run(1000, 0);
  for (let k = 0; k < 2; k++) close(a[k], b[k], 1e-8); // ε = 1e-8 is the only difference
  // AdamW: the decay term is η·λ·w per step regardless of the gradient, unlike L2-in-the-gradient
  const c = run(1, 0.5), d = run(1000, 0.5);
  for (let k = 0; k < 2; k++) close(c[k], d[k], 1e-8);
  assert.ok(Math.abs(c[0] - a[0]) > 1e-3, "decay changed the weights");
});

Deno.test("createOptimizer: passes weight decay and momentum through", () => {
  const m = createOptimizer("momentum", { weightDecay: 0.01, momentum: 0.8 }) as Momentum;
  assert.equal(m.momentum, 0.8);
  assert.equal(m.weightDecay, 0.01);
  assert.equal((createOptimizer("sgd", { weightDecay: 0.2 }) as GradientDescent).weightDecay, 0.2);
  assert.equal((createOptimizer("adam", { weightDecay: 0.3 }) as Adam).weightDecay, 0.3);
  assert.equal((createOptimizer("momentum") as Momentum).momentum, 0.9);
});
