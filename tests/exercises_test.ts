/**
 * The notebooks' exercise checks (notebooks/exercises.ts): each one accepts
 * the reference answer of tests/exercise_solutions.ts and rejects wrong ones,
 * including answers that throw and answers not given yet.
 */

import assert from "node:assert/strict";
import { loadSplit, Network, PIXELS, Random, SGD } from "../lib/mod.ts";
import * as check from "../notebooks/exercises.ts";
import * as solution from "./exercise_solutions.ts";

const DATA = new URL("../data", import.meta.url).pathname;
const train = await loadSplit(DATA, "train");
const test = await loadSplit(DATA, "test");

function accepts(verdict: check.Verdict) {
  assert.equal(verdict.ok, true, verdict.message);
  assert.match(verdict.toString(), /^✓ /);
}
function rejects(verdict: check.Verdict, message?: RegExp) {
  assert.equal(verdict.ok, false, `accepted a wrong answer: ${verdict.message}`);
  assert.match(verdict.toString(), /^✗ /);
  if (message) assert.match(verdict.message, message);
}
const boom = () => {
  throw new RangeError("nope");
};

Deno.test("exercises: an unanswered exercise is 'not answered yet', never right", () => {
  for (
    const verdict of [
      check.checkPixelAt(train, undefined),
      check.checkAlwaysBlank(train, undefined),
      check.checkSigmoid(undefined),
      check.checkMomentumStep(undefined),
      check.checkTenPixelAttack(new Network({ sizes: [784, 10], activations: [] }), test, 0, undefined),
      check.checkNearestMeanAccuracy(train, test, undefined),
    ]
  ) rejects(verdict, /not answered yet/);
});

Deno.test("exercises, notebook 1: pixelAt, the always-blank positions, the inkiest digit", () => {
  accepts(check.checkPixelAt(train, solution.pixelAt));
  rejects(check.checkPixelAt(train, (d, i, r, c) => d.x[i * PIXELS + c * 28 + r])); // rows and columns swapped
  rejects(check.checkPixelAt(train, boom), /threw RangeError: nope/);
  const blank = solution.alwaysBlank(train);
  assert.equal(blank, 179); // the figure notebooks 3 and 5 quote
  accepts(check.checkAlwaysBlank(train, blank));
  rejects(check.checkAlwaysBlank(train, 784 - blank), /inked at least once/);
  rejects(check.checkAlwaysBlank(train, 108));
  const inkiest = solution.inkiestDigit(train);
  accepts(check.checkInkiestDigit(train, inkiest));
  rejects(check.checkInkiestDigit(train, (inkiest + 1) % 10));
  rejects(check.checkInkiestDigit(train, 11), /not a digit/);
});

Deno.test("exercises, notebook 2: sigmoid, parameterCount, softmax", () => {
  accepts(check.checkSigmoid(solution.sigmoid));
  accepts(check.checkSigmoid((z) => 1 / (1 + Math.exp(-z)))); // the plain formula is right too
  rejects(check.checkSigmoid((z) => 1 / (1 + Math.exp(z))));
  rejects(check.checkSigmoid((z) => Math.exp(z) / (1 + Math.exp(z))), /1000/); // NaN at z = 1000
  accepts(check.checkParameterCount(solution.parameterCount));
  rejects(
    check.checkParameterCount((s) => s.slice(1).reduce((n, o, l) => n + s[l] * o, 0)),
    /biases are missing/,
  );
  accepts(check.checkStableSoftmax(solution.softmax));
  const naive = (z: number[]) => {
    const e = z.map(Math.exp), s = e.reduce((a, b) => a + b, 0);
    return e.map((v) => v / s);
  };
  rejects(check.checkStableSoftmax(naive), /1000/);
  rejects(check.checkStableSoftmax(boom), /threw/);
});

Deno.test("exercises, notebook 3: sigmoid's backward pass, the squared-error δ", () => {
  accepts(check.checkSigmoidBackward(solution.sigmoidBackward));
  rejects(check.checkSigmoidBackward((a, g) => g * a));
  rejects(check.checkSigmoidBackward((a, g) => g * (1 - a * a))); // tanh's slope
  accepts(check.checkSquaredErrorDelta(solution.squaredErrorDelta));
  rejects(check.checkSquaredErrorDelta((z, y) => solution.sigmoid(z) - y), /σ′\(z\) is missing/);
});

Deno.test("exercises, notebook 4: the momentum step, the rate at which training diverges", () => {
  accepts(check.checkMomentumStep(solution.momentumStep));
  rejects(check.checkMomentumStep((w, _v, g, lr) => ({ w: w - lr * g, v: 0 }))); // no momentum
  rejects(check.checkMomentumStep((w, v, g, lr, mu) => ({ w: w - lr * (mu * v + (1 - mu) * g), v: mu * v + g })));
  const rate = solution.divergingRate(train);
  assert.ok(rate > 0.5 && rate <= 1, `η = 0.5 survives 30 epochs and η = 1 diverges in notebook 4, found ${rate}`);
  accepts(check.checkDivergingRate(train, rate));
  rejects(check.checkDivergingRate(train, Number((rate - 0.05).toFixed(2))), /try higher/);
  rejects(check.checkDivergingRate(train, Number((rate + 0.05).toFixed(2))), /try lower/);
  rejects(check.checkDivergingRate(train, 0.33), /multiple of 0.05/);
});

Deno.test("exercises, notebook 5: precision, a ten-pixel change that fools the network", () => {
  accepts(check.checkPrecision(solution.precision));
  rejects(check.checkPrecision((m, d) => m[d][d] / m[d].reduce((a, b) => a + b, 0)), /recall/);
  rejects(check.checkPrecision((m, d) => m[d][d] / m.reduce((s, row) => s + row[d], 0))); // NaN for the 9s

  // notebook 5's network: the spec training, seed 0
  const rng = new Random(0);
  const model = new Network({ sizes: [784, 30, 10], activations: "relu" }).init(rng);
  SGD(model, train, { epochs: 30, batchSize: 10, lr: 0.01, rng });
  const row = 161; // the test image notebook 5 follows and its exercise names
  const original = test.x.slice(row * PIXELS, (row + 1) * PIXELS);
  assert.equal(model.predict(original, 1)[0], test.labels[row]);
  const fooled = solution.tenPixelAttack(model, original, test.labels[row]);
  accepts(check.checkTenPixelAttack(model, test, row, fooled));
  rejects(check.checkTenPixelAttack(model, test, row, original), /still reads/);
  const tooMany = Float32Array.from(original);
  for (let p = 0; p < 28; p++) tooMany[p] = 1; // the whole top row inked
  rejects(check.checkTenPixelAttack(model, test, row, tooMany), /28 pixels differ/);
  const outOfRange = Float32Array.from(fooled);
  outOfRange[0] = 5;
  rejects(check.checkTenPixelAttack(model, test, row, outOfRange), /outside \[0, 1\]/);
});

Deno.test("exercises, notebook 6: standard error, the weight-decay step, the nearest-class-mean accuracy", () => {
  accepts(check.checkStandardError(solution.standardError));
  rejects(check.checkStandardError((p, n) => p * (1 - p) / n)); // the variance, not its square root
  accepts(check.checkWeightDecayStep(solution.weightDecayStep));
  rejects(check.checkWeightDecayStep((w, g, lr, lambda) => w - lr * g - lambda * w)); // λ not scaled by η
  const accuracy = solution.nearestMeanAccuracy(train, test);
  assert.ok(accuracy > 0.6 && accuracy < 0.9, `nearest class mean: ${accuracy}`);
  accepts(check.checkNearestMeanAccuracy(train, test, accuracy));
  rejects(check.checkNearestMeanAccuracy(train, test, 100 * accuracy), /fraction/);
  rejects(check.checkNearestMeanAccuracy(train, test, accuracy + 2 / test.n));
});

Deno.test("exercises: notebooks 01–06 each end with 'Try it', two or three exercises and their checks, and every check is used", () => {
  const dir = new URL("../notebooks/", import.meta.url).pathname;
  const owned = [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => /^0[1-6]_.*\.ipynb$/.test(n)).sort();
  assert.equal(owned.length, 6, `expected notebooks 01–06, found ${owned.join(", ")}`);
  const used = new Set<string>();
  for (const name of owned) {
    const cells: { cell_type: string; source: string | string[] }[] =
      JSON.parse(Deno.readTextFileSync(dir + name)).cells;
    const text = (c: { source: string | string[] }) => (Array.isArray(c.source) ? c.source.join("") : c.source);
    const markdown = cells.filter((c) => c.cell_type === "markdown").map(text).join("\n");
    assert.match(markdown, /^## Try it$/m, `${name}: no "Try it" section`);
    const exercises = markdown.split(/^## Exercises$/m)[1];
    assert.ok(exercises !== undefined, `${name}: no "Exercises" section`);
    const numbered = exercises.match(/^\d+\. /gm) ?? [];
    assert.ok(numbered.length >= 2 && numbered.length <= 3, `${name}: ${numbered.length} exercises`);
    const last = cells.filter((c) => c.cell_type === "code").map(text).at(-1) ?? "";
    assert.match(last, /from "\.\/exercises\.ts"/, `${name}: the last code cell does not import the checks`);
    const calls = [...last.matchAll(/\b(check[A-Z]\w*)\(/g)].map((m) => m[1]);
    assert.equal(calls.length, numbered.length, `${name}: ${numbered.length} exercises but ${calls.length} checks`);
    calls.forEach((c) => used.add(c));
  }
  const exported = Object.keys(check).filter((k) => k.startsWith("check"));
  assert.deepEqual(exported.filter((k) => !used.has(k)), [], "checks no notebook uses");
});
