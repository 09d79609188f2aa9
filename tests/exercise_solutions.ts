/**
 * Reference answers to the notebooks' exercises (notebooks/exercises.ts),
 * kept out of the notebooks so that a reader does not see them by accident.
 * tests/exercises_test.ts checks each one with its `check…` helper.
 *
 * @module
 */

import { type Dataset, IMAGE_SIDE, Network, PIXELS, Random, SGD, TrainingDivergedError } from "../lib/mod.ts";

// notebook 1

/** Pixel (row r, column c) of image i: image i starts at i·784, row r at r·28 within it. */
export const pixelAt = (data: Dataset, i: number, r: number, c: number): number =>
  data.x[i * PIXELS + r * IMAGE_SIDE + c];

/** The number of pixel positions that are 0 in every image. */
export function alwaysBlank(data: Dataset): number {
  let count = 0;
  for (let p = 0; p < PIXELS; p++) {
    let inked = false;
    for (let i = 0; i < data.n && !inked; i++) inked = data.x[i * PIXELS + p] > 0;
    if (!inked) count++;
  }
  return count;
}

/** The digit whose images carry the most ink on average. */
export function inkiestDigit(data: Dataset): number {
  const sum = new Array(10).fill(0), count = new Array(10).fill(0);
  for (let i = 0; i < data.n; i++) {
    for (let p = 0; p < PIXELS; p++) sum[data.labels[i]] += data.x[i * PIXELS + p];
    count[data.labels[i]]++;
  }
  const mean = sum.map((s, d) => s / count[d]);
  return mean.indexOf(Math.max(...mean));
}

// notebook 2

/** σ(z), written so that neither e^z nor e^−z can overflow. */
export const sigmoid = (z: number): number => z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));

/** Weights (in × out) and biases (out) of every layer. */
export const parameterCount = (sizes: number[]): number =>
  sizes.slice(1).reduce((n, outputs, l) => n + sizes[l] * outputs + outputs, 0);

/** Softmax of one row, the largest logit subtracted first. */
export function softmax(z: number[]): number[] {
  const m = Math.max(...z);
  const e = z.map((v) => Math.exp(v - m));
  const total = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / total);
}

// notebook 3

/** ∂L/∂z = ∂L/∂a · σ′(z), with σ′(z) = a(1 − a). */
export const sigmoidBackward = (a: number, g: number): number => g * a * (1 - a);

/** ∂/∂z ½(σ(z) − y)² = (σ(z) − y) σ′(z). */
export const squaredErrorDelta = (z: number, y: number): number => (sigmoid(z) - y) * sigmoid(z) * (1 - sigmoid(z));

// notebook 4

/** v ← μv + g; w ← w − ηv (heavy-ball momentum, as lib/'s Momentum). */
export function momentumStep(w: number, v: number, g: number, lr: number, mu: number): { w: number; v: number } {
  const velocity = mu * v + g;
  return { w: w - lr * velocity, v: velocity };
}

/** Scans η = 0.05, 0.10, … for the first rate at which 3 epochs of the spec training diverge. */
export function divergingRate(train: Dataset): number {
  for (let steps = 1; steps <= 40; steps++) {
    const rng = new Random(0);
    const net = new Network({ sizes: [784, 30, 10], activations: "relu" }).init(rng);
    try {
      SGD(net, train, { epochs: 3, batchSize: 10, lr: steps * 0.05, rng });
    } catch (error) {
      if (error instanceof TrainingDivergedError) return Number((steps * 0.05).toFixed(2));
      throw error;
    }
  }
  throw new Error("no rate up to 2 diverged");
}

// notebook 5

/** Of the images called `digit`, the share that are that digit (0 when none was). */
export function precision(confusion: number[][], digit: number): number {
  const called = confusion.reduce((s, row) => s + row[digit], 0);
  return called === 0 ? 0 : confusion[digit][digit] / called;
}

/**
 * Ten pixels, greedily: each round tries every pixel at 0 and at 1 and keeps
 * the change that most lowers (true logit − best other logit).
 */
export function tenPixelAttack(model: Network, image: Float32Array, label: number): Float32Array {
  const x = Float32Array.from(image);
  const margin = (candidate: Float32Array) => {
    const p = model.probabilities(candidate, 1);
    let other = -Infinity;
    for (let k = 0; k < 10; k++) if (k !== label) other = Math.max(other, Math.log(p[k]));
    return Math.log(p[label]) - other;
  };
  for (let round = 0; round < 10 && model.predict(x, 1)[0] === label; round++) {
    let best = { pixel: -1, value: 0, margin: margin(x) };
    for (let p = 0; p < PIXELS; p++) {
      if (x[p] !== image[p]) continue; // each pixel changed at most once
      const saved = x[p];
      for (const value of [0, 1]) {
        if (value === saved) continue;
        x[p] = value;
        const m = margin(x);
        if (m < best.margin) best = { pixel: p, value, margin: m };
      }
      x[p] = saved;
    }
    if (best.pixel < 0) break;
    x[best.pixel] = best.value;
  }
  return x;
}

// notebook 6

/** √(p(1 − p)/n). */
export const standardError = (p: number, n: number): number => Math.sqrt(p * (1 - p) / n);

/** w ← w − η(g + λw). */
export const weightDecayStep = (w: number, g: number, lr: number, lambda: number): number => w - lr * (g + lambda * w);

/** Test accuracy of the nearest-class-mean classifier (means from `train`, squared Euclidean distance). */
export function nearestMeanAccuracy(train: Dataset, test: Dataset): number {
  const means = Array.from({ length: 10 }, () => new Float64Array(PIXELS));
  const counts = new Array(10).fill(0);
  for (let i = 0; i < train.n; i++) {
    counts[train.labels[i]]++;
    for (let p = 0; p < PIXELS; p++) means[train.labels[i]][p] += train.x[i * PIXELS + p];
  }
  means.forEach((m, d) => m.forEach((v, p) => (m[p] = v / counts[d])));
  let correct = 0;
  for (let i = 0; i < test.n; i++) {
    const distances = means.map((m) => m.reduce((s, v, p) => s + (test.x[i * PIXELS + p] - v) ** 2, 0));
    if (distances.indexOf(Math.min(...distances)) === test.labels[i]) correct++;
  }
  return correct / test.n;
}
