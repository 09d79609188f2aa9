import assert from "node:assert/strict";
import type { Parameter } from "../../lib/nn/network.ts";
import { Adam, createOptimizer, GradientDescent, Momentum, type OptimizerName } from "../../lib/nn/optimizers.ts";
import { makeSchedule, type ScheduleName } from "../../lib/nn/schedule.ts";

function param(value: number[], grad: number[], decay = true): Parameter {
  return { name: "p", value: Float64Array.from(value), grad: Float64Array.from(grad), decay };
}
const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-12, `${a} vs ${b}`);

Deno.test("GradientDescent: w ← w − η(g + λw), no decay on biases", () => {
  const w = param([1, -2], [0.5, 0.25]);
  const b = param([3], [1], false);
  new GradientDescent(0.1).step([w, b], 0.2);
  close(w.value[0], 1 - 0.2 * (0.5 + 0.1 * 1));
  close(w.value[1], -2 - 0.2 * (0.25 + 0.1 * -2));
  close(b.value[0], 3 - 0.2 * 1);
});

Deno.test("Momentum: two steps by hand (μ = 0.9)", () => {
  const w = param([1], [0.5]);
  const opt = new Momentum(0.9, 0);
  opt.step([w], 0.1); // v = 0.5, w = 1 − 0.05 = 0.95
  close(w.value[0], 0.95);
  w.grad[0] = 0.2;
  opt.step([w], 0.1); // v = 0.9·0.5 + 0.2 = 0.65, w = 0.95 − 0.065
  close(w.value[0], 0.885);
});

Deno.test("Adam: the first step moves each weight by about η·sign(g); second step by hand", () => {
  const w = param([1, 1], [0.5, -3]);
  const opt = new Adam(0);
  opt.step([w], 0.01);
  close(w.value[0], 1 - 0.01 * (0.5 / (0.5 + 1e-8)));
  close(w.value[1], 1 + 0.01 * (3 / (3 + 1e-8)));
  const before = w.value[0];
  w.grad[0] = 0.1;
  opt.step([w], 0.01);
  const m = 0.9 * (0.1 * 0.5) + 0.1 * 0.1, s = 0.999 * (0.001 * 0.25) + 0.001 * 0.01;
  const mHat = m / (1 - 0.9 ** 2), sHat = s / (1 - 0.999 ** 2);
  close(w.value[0], before - 0.01 * (mHat / (Math.sqrt(sHat) + 1e-8)));
});

Deno.test("Adam: weight decay is decoupled (AdamW) and skips biases", () => {
  const w = param([2], [0]);
  const b = param([2], [0], false);
  new Adam(0.5).step([w, b], 0.1);
  close(w.value[0], 2 - 0.1 * 0.5 * 2);
  close(b.value[0], 2);
});

Deno.test("createOptimizer: builds each named optimiser", () => {
  assert.ok(createOptimizer("sgd") instanceof GradientDescent);
  assert.ok(createOptimizer("momentum", { momentum: 0.5 }) instanceof Momentum);
  assert.ok(createOptimizer("adam") instanceof Adam);
});

Deno.test("optimisers and schedules refuse a name or a setting that is none, in one sentence", () => {
  assert.throws(
    () => createOptimizer("bogus" as OptimizerName),
    /^RangeError: no optimiser is called "bogus": sgd, momentum or adam$/,
  );
  assert.throws(() => new Momentum(-1), /^RangeError: momentum must be from 0 up to \(not including\) 1, got -1$/);
  assert.throws(() => new Momentum(1), /momentum must be from 0 up to/);
  assert.throws(() => new GradientDescent(-0.1), /^RangeError: weight decay must be ≥ 0, got -0\.1$/);
  assert.throws(() => new Adam(0, 1), /beta1 must be from 0 up to/);
  assert.throws(
    () => makeSchedule("bogus" as ScheduleName, 0.1, 10),
    /^RangeError: no schedule is called "bogus": constant, step or cosine$/,
  );
});
