/**
 * The exercises at the end of each notebook, and the `check…` helpers that
 * tell the reader whether an answer is right.
 *
 * Every check takes the reader's answer (a number, a function, an image) and
 * returns a {@linkcode Verdict}: `ok` and one sentence saying what is right or
 * what is still wrong, shown in the notebook with `show(...)`. A check never
 * throws on a wrong answer, not even on one that throws itself; `undefined`
 * means "not answered yet". The reference answers live outside the
 * notebooks, in `tests/exercise_solutions.ts`, and `tests/exercises_test.ts`
 * runs every check against them (right answers pass, wrong ones are rejected).
 *
 * | notebook | checks                                                                     |
 * |----------|----------------------------------------------------------------------------|
 * | 1        | {@linkcode checkPixelAt}, {@linkcode checkAlwaysBlank}, {@linkcode checkInkiestDigit} |
 * | 2        | {@linkcode checkSigmoid}, {@linkcode checkParameterCount}, {@linkcode checkStableSoftmax} |
 * | 3        | {@linkcode checkSigmoidBackward}, {@linkcode checkSquaredErrorDelta}       |
 * | 4        | {@linkcode checkMomentumStep}, {@linkcode checkDivergingRate}               |
 * | 5        | {@linkcode checkPrecision}, {@linkcode checkTenPixelAttack}                 |
 * | 6        | {@linkcode checkStandardError}, {@linkcode checkWeightDecayStep}, {@linkcode checkNearestMeanAccuracy} |
 *
 * @module
 */

import {
  type Dataset,
  GradientDescent,
  IMAGE_SIDE,
  Momentum,
  Network,
  PIXELS,
  Random,
  SGD,
  TrainingDivergedError,
} from "../lib/mod.ts";
import { JUPYTER_DISPLAY } from "./plot.ts";

/**
 * The outcome of a check: right or not, and one sentence why.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Verdict } from "./exercises.ts";
 * assert.equal(new Verdict(true, "well done").toString(), "✓ well done");
 * ```
 */
export class Verdict {
  constructor(readonly ok: boolean, readonly message: string) {}

  /** The verdict as one line: ✓ or ✗, then the sentence. */
  toString(): string {
    return `${this.ok ? "✓" : "✗"} ${this.message}`;
  }

  /** Shown by the notebooks' `show`. */
  get description(): string {
    return this.toString();
  }

  /** The MIME bundle Jupyter shows. */
  [JUPYTER_DISPLAY](): Record<string, string> {
    return { "text/plain": this.toString() };
  }
}

const NOT_YET = new Verdict(false, "not answered yet: replace `undefined` with your answer and run the cell again");
const right = (message: string) => new Verdict(true, message);
const wrong = (message: string) => new Verdict(false, message);

/** Runs the reader's code; a throw becomes a verdict instead of an error. */
function attempt<T>(what: string, run: () => T): T | Verdict {
  try {
    return run();
  } catch (error) {
    return wrong(`${what} threw ${(error as Error)?.name ?? "an error"}: ${(error as Error)?.message ?? error}`);
  }
}

const close = (a: number, b: number, tolerance: number) =>
  Number.isFinite(a) && Math.abs(a - b) <= tolerance * Math.max(1, Math.abs(b));

// ---------------------------------------------------------------- notebook 1

/**
 * Notebook 1, exercise 1: `pixelAt(data, i, r, c)` returns pixel (row r,
 * column c) of image i of a dataset, read from `data.x`. Checked on 200
 * random positions.
 *
 * @example
 * ```ts
 * import { makeDataset } from "../lib/mod.ts";
 * import { checkPixelAt } from "./exercises.ts";
 * const data = makeDataset(new Float32Array(784), new Uint8Array(1), 784);
 * console.log(checkPixelAt(data, (d, i, r, c) => d.x[i * 784 + r * 28 + c]).ok); // true
 * ```
 */
export function checkPixelAt(
  data: Dataset,
  pixelAt: ((data: Dataset, i: number, r: number, c: number) => number) | undefined,
): Verdict {
  if (pixelAt === undefined) return NOT_YET;
  const rng = new Random(17);
  for (let k = 0; k < 200; k++) {
    const i = rng.int(data.n), r = rng.int(IMAGE_SIDE), c = rng.int(IMAGE_SIDE);
    const expected = data.x[i * PIXELS + r * IMAGE_SIDE + c];
    const got = attempt("pixelAt", () => pixelAt(data, i, r, c));
    if (got instanceof Verdict) return got;
    if (got !== expected) {
      return wrong(`pixelAt(data, ${i}, ${r}, ${c}) gave ${got}, but that pixel holds ${expected}`);
    }
  }
  return right("pixelAt reads the right pixel at 200 random positions: image i starts at i·784, row r at r·28");
}

/** The pixel positions blank (exactly 0) in every image of `data`. */
function alwaysBlankPositions(data: Dataset): number {
  let count = 0;
  for (let p = 0; p < data.features; p++) {
    let blank = true;
    for (let i = 0; i < data.n && blank; i++) blank = data.x[i * data.features + p] === 0;
    if (blank) count++;
  }
  return count;
}

/**
 * Notebook 1, exercise 2: how many of the 784 pixel positions are blank in
 * every image of the training set?
 *
 * @example
 * ```ts
 * import { makeDataset } from "../lib/mod.ts";
 * import { checkAlwaysBlank } from "./exercises.ts";
 * const data = makeDataset(new Float32Array(784), new Uint8Array(1), 784);
 * console.log(checkAlwaysBlank(data, 784).ok); // true: one blank image
 * ```
 */
export function checkAlwaysBlank(data: Dataset, answer: number | undefined): Verdict {
  if (answer === undefined) return NOT_YET;
  const truth = alwaysBlankPositions(data);
  if (answer === truth) {
    return right(`${truth} of the 784 positions never carry ink: their first-layer weights get no gradient`);
  }
  if (answer === data.features - truth) return wrong(`${answer} is the number of positions inked at least once`);
  return wrong(`${answer} is not it: count the positions p for which every image's pixel p is exactly 0`);
}

/**
 * Notebook 1, exercise 3: which digit uses the most ink, on average over its
 * training images (sum of the pixel values of an image, averaged per digit)?
 *
 * @example
 * ```ts
 * import { makeDataset } from "../lib/mod.ts";
 * import { checkInkiestDigit } from "./exercises.ts";
 * const x = new Float32Array(2 * 784);
 * x[784] = 1; // the second image, labelled 8, has one inked pixel
 * console.log(checkInkiestDigit(makeDataset(x, new Uint8Array([1, 8]), 784), 8).ok); // true
 * ```
 */
export function checkInkiestDigit(data: Dataset, answer: number | undefined): Verdict {
  if (answer === undefined) return NOT_YET;
  const sum = new Float64Array(10), count = new Float64Array(10);
  for (let i = 0; i < data.n; i++) {
    let ink = 0;
    for (let p = 0; p < data.features; p++) ink += data.x[i * data.features + p];
    sum[data.labels[i]] += ink;
    count[data.labels[i]]++;
  }
  const mean = Array.from(sum, (s, d) => (count[d] > 0 ? s / count[d] : -Infinity));
  const best = mean.indexOf(Math.max(...mean));
  if (answer === best) return right(`the ${best}s carry the most ink: ${mean[best].toFixed(1)} per image on average`);
  if (Number.isInteger(answer) && answer >= 0 && answer < 10 && count[answer] > 0) {
    return wrong(`the ${answer}s average ${mean[answer].toFixed(1)}; another digit averages more`);
  }
  return wrong(`${answer} is not a digit of the data`);
}

// ---------------------------------------------------------------- notebook 2

/**
 * Notebook 2, exercise 1: `sigmoid(z) = 1 / (1 + e^(−z))`, finite and in
 * [0, 1] even for z = ±1000.
 *
 * @example
 * ```ts
 * import { checkSigmoid } from "./exercises.ts";
 * console.log(checkSigmoid((z) => 1 / (1 + Math.exp(-z))).ok); // true
 * ```
 */
export function checkSigmoid(sigmoid: ((z: number) => number) | undefined): Verdict {
  if (sigmoid === undefined) return NOT_YET;
  for (const z of [-1000, -40, -5, -1, -0.25, 0, 0.25, 1, 5, 40, 1000]) {
    const got = attempt("sigmoid", () => sigmoid(z));
    if (got instanceof Verdict) return got;
    const expected = 1 / (1 + Math.exp(-z));
    if (!(got >= 0 && got <= 1) || Math.abs(got - expected) > 1e-9) {
      return wrong(`sigmoid(${z}) gave ${got}, expected ${expected}`);
    }
  }
  return right("sigmoid is right from z = −1000 to 1000: 1/2 at 0, towards 0 and 1 at the ends");
}

/**
 * Notebook 2, exercise 2: `parameterCount(sizes)`, the number of weights and
 * biases of a network with those layer sizes, checked against `lib/`'s
 * `Network.parameterCount`.
 *
 * @example
 * ```ts
 * import { checkParameterCount } from "./exercises.ts";
 * const count = (s: number[]) => s.slice(1).reduce((n, o, l) => n + s[l] * o + o, 0);
 * console.log(checkParameterCount(count).ok); // true
 * ```
 */
export function checkParameterCount(parameterCount: ((sizes: number[]) => number) | undefined): Verdict {
  if (parameterCount === undefined) return NOT_YET;
  for (const sizes of [[784, 30, 10], [784, 100, 10], [784, 10], [784, 512, 256, 10], [3, 2, 1]]) {
    const got = attempt("parameterCount", () => parameterCount([...sizes]));
    if (got instanceof Verdict) return got;
    const expected = new Network({ sizes, activations: "relu" }).parameterCount;
    if (got !== expected) {
      const hint = got === expected - sizes.slice(1).reduce((a, b) => a + b, 0) ? " (the biases are missing)" : "";
      return wrong(`parameterCount([${sizes}]) gave ${got}, expected ${expected}${hint}`);
    }
  }
  return right("parameterCount is right for five shapes, from 784-10 to 784-512-256-10");
}

/**
 * Notebook 2, exercise 3: `softmax(z)` for one row of logits, right even for
 * logits in the thousands (subtract the largest first).
 *
 * @example
 * ```ts
 * import { checkStableSoftmax } from "./exercises.ts";
 * const softmax = (z: number[]) => {
 *   const m = Math.max(...z), e = z.map((v) => Math.exp(v - m)), s = e.reduce((a, b) => a + b);
 *   return e.map((v) => v / s);
 * };
 * console.log(checkStableSoftmax(softmax).ok); // true
 * ```
 */
export function checkStableSoftmax(softmax: ((z: number[]) => number[]) | undefined): Verdict {
  if (softmax === undefined) return NOT_YET;
  for (const z of [[0, 0], [2, 1, 0], [-3, 5, 1, 0.5], [1000, 999, 998], [-1000, -1001], [800, -800, 0]]) {
    const got = attempt("softmax", () => softmax([...z]));
    if (got instanceof Verdict) return got;
    const m = Math.max(...z);
    const e = z.map((v) => Math.exp(v - m));
    const total = e.reduce((a, b) => a + b, 0);
    if (!Array.isArray(got) || got.length !== z.length) return wrong(`softmax([${z}]) must give ${z.length} numbers`);
    const k = got.findIndex((v, j) => !(Math.abs(v - e[j] / total) <= 1e-9));
    if (k >= 0) return wrong(`softmax([${z}])[${k}] gave ${got[k]}, expected ${e[k] / total}`);
  }
  return right("softmax is right, also for logits of ±1000 where the textbook formula gives NaN");
}

// ---------------------------------------------------------------- notebook 3

/**
 * Notebook 3, exercise 1: sigmoid's backward pass, `dz = sigmoidBackward(a, g)`
 * given the output a = σ(z) and the upstream slope g = ∂L/∂a.
 *
 * @example
 * ```ts
 * import { checkSigmoidBackward } from "./exercises.ts";
 * console.log(checkSigmoidBackward((a, g) => g * a * (1 - a)).ok); // true
 * ```
 */
export function checkSigmoidBackward(sigmoidBackward: ((a: number, g: number) => number) | undefined): Verdict {
  if (sigmoidBackward === undefined) return NOT_YET;
  const sigma = (z: number) => 1 / (1 + Math.exp(-z));
  const h = 1e-6;
  for (const [z, g] of [[0, 1], [1.5, -0.7], [-2, 0.3], [4, 2], [-0.3, -1.1]]) {
    const a = sigma(z);
    const got = attempt("sigmoidBackward", () => sigmoidBackward(a, g));
    if (got instanceof Verdict) return got;
    const numeric = g * (sigma(z + h) - sigma(z - h)) / (2 * h);
    if (!close(got, numeric, 1e-6)) {
      return wrong(`at z = ${z} (a = ${a.toFixed(4)}), g = ${g}: you gave ${got}, central differences say ${numeric}`);
    }
  }
  return right("sigmoidBackward matches central differences: σ′(z) = a(1 − a), never more than ¼");
}

/**
 * Notebook 3, exercise 2: the output δ of squared error with a sigmoid
 * output, `delta(z, y)` = ∂/∂z ½(σ(z) − y)².
 *
 * @example
 * ```ts
 * import { checkSquaredErrorDelta } from "./exercises.ts";
 * const s = (z: number) => 1 / (1 + Math.exp(-z));
 * console.log(checkSquaredErrorDelta((z, y) => (s(z) - y) * s(z) * (1 - s(z))).ok); // true
 * ```
 */
export function checkSquaredErrorDelta(delta: ((z: number, y: number) => number) | undefined): Verdict {
  if (delta === undefined) return NOT_YET;
  const sigma = (z: number) => 1 / (1 + Math.exp(-z));
  const loss = (z: number, y: number) => 0.5 * (sigma(z) - y) ** 2;
  const h = 1e-6;
  for (const [z, y] of [[0, 1], [2, 0], [-3, 1], [5, 0], [0.7, 1]]) {
    const got = attempt("delta", () => delta(z, y));
    if (got instanceof Verdict) return got;
    const numeric = (loss(z + h, y) - loss(z - h, y)) / (2 * h);
    if (!close(got, numeric, 1e-6)) {
      const hint = close(got, sigma(z) - y, 1e-6) ? " (that is σ(z) − y: the factor σ′(z) is missing)" : "";
      return wrong(`delta(${z}, ${y}) gave ${got}, central differences say ${numeric}${hint}`);
    }
  }
  return right("right: δ = (σ(z) − y)·σ′(z); at z = −3 with y = 1 it is only −0.043, where cross-entropy gives −0.95");
}

// ---------------------------------------------------------------- notebook 4

/**
 * Notebook 4, exercise 1: one step of SGD with momentum for one weight,
 * `momentumStep(w, v, g, lr, mu)` returning the new `{ w, v }`, checked
 * against `lib/`'s `Momentum` over ten steps.
 *
 * @example
 * ```ts
 * import { checkMomentumStep } from "./exercises.ts";
 * const step = (w: number, v: number, g: number, lr: number, mu: number) => {
 *   const nv = mu * v + g;
 *   return { w: w - lr * nv, v: nv };
 * };
 * console.log(checkMomentumStep(step).ok); // true
 * ```
 */
export function checkMomentumStep(
  momentumStep: ((w: number, v: number, g: number, lr: number, mu: number) => { w: number; v: number }) | undefined,
): Verdict {
  if (momentumStep === undefined) return NOT_YET;
  const value = new Float64Array([0.5]), grad = new Float64Array(1);
  const lib = new Momentum(0.9);
  let w = 0.5, v = 0;
  for (let t = 0; t < 10; t++) {
    const g = Math.sin(t + 1) + 0.2; // a gradient that changes from step to step
    grad[0] = g;
    lib.step([{ name: "w", value, grad, decay: true }], 0.1);
    const got = attempt("momentumStep", () => momentumStep(w, v, g, 0.1, 0.9));
    if (got instanceof Verdict) return got;
    if (typeof got !== "object" || got === null || !close(got.w, value[0], 1e-9)) {
      return wrong(`after step ${t + 1} your w is ${got?.w}, lib/'s Momentum has ${value[0]}`);
    }
    ({ w, v } = got);
  }
  return right("momentumStep agrees with lib/'s Momentum for ten steps: v ← μv + g, w ← w − ηv");
}

/** Whether the spec network (seed 0, batch 10) diverges within 3 epochs at learning rate `lr`. */
function diverges(train: Dataset, lr: number): boolean {
  const rng = new Random(0);
  const net = new Network({ sizes: [784, 30, 10], activations: "relu" }).init(rng);
  try {
    SGD(net, train, { epochs: 3, batchSize: 10, lr, rng });
    return false;
  } catch (error) {
    if (error instanceof TrainingDivergedError) return true;
    throw error;
  }
}

/**
 * Notebook 4, exercise 2: the smallest multiple of 0.05 at which training the
 * spec network (seed 0, batch 10) on `train` diverges within 3 epochs. The
 * check trains at your rate and at 0.05 less (about a second).
 *
 * @example
 * ```ts ignore
 * import { loadSplit } from "../lib/mod.ts";
 * import { checkDivergingRate } from "./exercises.ts";
 * console.log(checkDivergingRate(await loadSplit("../data", "train"), 0.5).toString());
 * ```
 */
export function checkDivergingRate(train: Dataset, lr: number | undefined): Verdict {
  if (lr === undefined) return NOT_YET;
  const steps = Math.round(lr / 0.05);
  if (!(lr > 0) || Math.abs(steps * 0.05 - lr) > 1e-9) return wrong(`${lr} is not a positive multiple of 0.05`);
  if (!diverges(train, steps * 0.05)) return wrong(`at η = ${lr} training survives 3 epochs: try higher`);
  if (steps > 1 && diverges(train, (steps - 1) * 0.05)) {
    return wrong(`η = ${((steps - 1) * 0.05).toFixed(2)} diverges as well: try lower`);
  }
  return right(`η = ${lr} is the smallest multiple of 0.05 that diverges; 0.05 less survives 3 epochs`);
}

// ---------------------------------------------------------------- notebook 5

/**
 * Notebook 5, exercise 1: `precision(confusion, d)`: of the images the
 * network called d, the share that really are d (rows are true digits,
 * columns answers). 0 when it never answered d.
 *
 * @example
 * ```ts
 * import { checkPrecision } from "./exercises.ts";
 * const precision = (m: number[][], d: number) => {
 *   const called = m.reduce((s, row) => s + row[d], 0);
 *   return called === 0 ? 0 : m[d][d] / called;
 * };
 * console.log(checkPrecision(precision).ok); // true
 * ```
 */
export function checkPrecision(precision: ((confusion: number[][], digit: number) => number) | undefined): Verdict {
  if (precision === undefined) return NOT_YET;
  const rng = new Random(5);
  const m = Array.from({ length: 10 }, (_, t) => Array.from({ length: 10 }, (_, p) => (t === p ? 20 : rng.int(4))));
  for (let p = 0; p < 10; p++) m[p][9] = 0; // nobody is ever called a 9
  for (let d = 0; d < 10; d++) {
    const called = m.reduce((s, row) => s + row[d], 0);
    const expected = called === 0 ? 0 : m[d][d] / called;
    const got = attempt("precision", () => precision(m.map((row) => [...row]), d));
    if (got instanceof Verdict) return got;
    if (!close(got, expected, 1e-12)) {
      const recall = m[d][d] / m[d].reduce((a, b) => a + b, 0);
      const hint = close(got, recall, 1e-12) ? " (that is the recall: divide by the column, not the row)" : "";
      return wrong(`precision(m, ${d}) gave ${got}, expected ${expected}${hint}`);
    }
  }
  return right("precision is right for all ten digits, including one the network never answers");
}

/**
 * Notebook 5, exercise 2: change at most ten pixels of test image `row` (which
 * `model` reads correctly) so that the model reads something else. `changed`
 * is your 784-pixel image, every value in [0, 1].
 *
 * @example
 * ```ts ignore
 * import { checkTenPixelAttack } from "./exercises.ts";
 * console.log(checkTenPixelAttack(model, test, 161, myImage).toString());
 * ```
 */
export function checkTenPixelAttack(
  model: Network,
  test: Dataset,
  row: number,
  changed: ArrayLike<number> | undefined,
): Verdict {
  if (changed === undefined) return NOT_YET;
  if (changed.length !== PIXELS) return wrong(`the image must have ${PIXELS} pixels, it has ${changed.length}`);
  const original = test.x.subarray(row * PIXELS, (row + 1) * PIXELS);
  const label = test.labels[row];
  if (model.predict(original, 1)[0] !== label) {
    return wrong(`the model already misreads test image ${row}: pick one it reads correctly`);
  }
  const image = Float32Array.from(changed);
  let differing = 0;
  for (let p = 0; p < PIXELS; p++) {
    if (!(image[p] >= 0 && image[p] <= 1)) return wrong(`pixel ${p} is ${changed[p]}, outside [0, 1]`);
    if (image[p] !== original[p]) differing++;
  }
  if (differing > 10) return wrong(`${differing} pixels differ from the original; at most 10 may`);
  const answer = model.predict(image, 1)[0];
  if (answer === label) return wrong(`the model still reads a ${label} (${differing} pixels changed)`);
  return right(`with ${differing} pixels changed the model reads a ${answer} where the label is ${label}`);
}

// ---------------------------------------------------------------- notebook 6

/**
 * Notebook 6, exercise 1: `standardError(p, n)`, the standard error of an
 * accuracy p measured on n independent images, √(p(1 − p)/n).
 *
 * @example
 * ```ts
 * import { checkStandardError } from "./exercises.ts";
 * console.log(checkStandardError((p, n) => Math.sqrt(p * (1 - p) / n)).ok); // true
 * ```
 */
export function checkStandardError(standardError: ((p: number, n: number) => number) | undefined): Verdict {
  if (standardError === undefined) return NOT_YET;
  for (const [p, n] of [[0.866, 350], [0.5, 100], [0.97, 10000], [0.9, 1000]]) {
    const got = attempt("standardError", () => standardError(p, n));
    if (got instanceof Verdict) return got;
    const expected = Math.sqrt(p * (1 - p) / n);
    if (!close(got, expected, 1e-9)) return wrong(`standardError(${p}, ${n}) gave ${got}, expected ${expected}`);
  }
  return right("right: on 350 images an accuracy of 86.6% is uncertain by ±1.8 points (one standard error)");
}

/**
 * Notebook 6, exercise 2: one plain-SGD step with L2 weight decay λ for one
 * weight, `decayStep(w, g, lr, lambda)`, checked against `lib/`'s
 * `GradientDescent(λ)`.
 *
 * @example
 * ```ts
 * import { checkWeightDecayStep } from "./exercises.ts";
 * console.log(checkWeightDecayStep((w, g, lr, l) => w - lr * (g + l * w)).ok); // true
 * ```
 */
export function checkWeightDecayStep(
  decayStep: ((w: number, g: number, lr: number, lambda: number) => number) | undefined,
): Verdict {
  if (decayStep === undefined) return NOT_YET;
  for (const [w, g, lr, lambda] of [[0.5, 0.1, 0.1, 0.01], [-2, 0, 0.05, 0.1], [1, -0.3, 0.5, 0]]) {
    const value = new Float64Array([w]);
    new GradientDescent(lambda).step([{ name: "w", value, grad: new Float64Array([g]), decay: true }], lr);
    const got = attempt("decayStep", () => decayStep(w, g, lr, lambda));
    if (got instanceof Verdict) return got;
    if (!close(got, value[0], 1e-12)) {
      return wrong(`decayStep(${w}, ${g}, ${lr}, ${lambda}) gave ${got}, lib/ gives ${value[0]}`);
    }
  }
  return right("right: w ← w − η(g + λw); with no gradient, a weight shrinks by the factor 1 − ηλ each step");
}

/**
 * Notebook 6, exercise 3: the test accuracy (a number from 0 to 1) of the
 * nearest-class-mean classifier with the class means computed on
 * `train` and distances measured in all 784 pixels (squared Euclidean).
 *
 * @example
 * ```ts
 * import { makeDataset } from "../lib/mod.ts";
 * import { checkNearestMeanAccuracy } from "./exercises.ts";
 * const one = makeDataset(new Float32Array(784), new Uint8Array(1), 784);
 * console.log(checkNearestMeanAccuracy(one, one, 1).ok); // true
 * ```
 */
export function checkNearestMeanAccuracy(train: Dataset, test: Dataset, answer: number | undefined): Verdict {
  if (answer === undefined) return NOT_YET;
  const F = train.features;
  const means = new Float64Array(10 * F), counts = new Float64Array(10);
  for (let i = 0; i < train.n; i++) {
    counts[train.labels[i]]++;
    for (let p = 0; p < F; p++) means[train.labels[i] * F + p] += train.x[i * F + p];
  }
  for (let d = 0; d < 10; d++) for (let p = 0; p < F; p++) means[d * F + p] /= Math.max(1, counts[d]);
  let correct = 0;
  for (let i = 0; i < test.n; i++) {
    let best = -1, bestDistance = Infinity;
    for (let d = 0; d < 10; d++) {
      if (counts[d] === 0) continue;
      let distance = 0;
      for (let p = 0; p < F; p++) distance += (test.x[i * F + p] - means[d * F + p]) ** 2;
      if (distance < bestDistance) [best, bestDistance] = [d, distance];
    }
    if (best === test.labels[i]) correct++;
  }
  const truth = correct / test.n;
  if (Math.abs(answer - truth) < 0.5 / test.n) {
    return right(`right: ${correct} of ${test.n} (${(100 * truth).toFixed(1)}%)`);
  }
  if (Math.abs(answer / 100 - truth) < 0.5 / test.n) {
    return wrong("give the accuracy as a fraction from 0 to 1, not in %");
  }
  return wrong(`${answer} is not it; check the means (one per digit, over its training images) and the distance`);
}
