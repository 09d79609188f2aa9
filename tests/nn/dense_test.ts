import assert from "node:assert/strict";
import { Dense, denseBackward, denseForward } from "../../lib/nn/dense.ts";
import { Random } from "../../lib/nn/random.ts";

/** Textbook matrix products with arrays of arrays: the independent reference. */
function matmul(a: number[][], b: number[][]): number[][] {
  return a.map((row) => b[0].map((_, j) => row.reduce((s, v, k) => s + v * b[k][j], 0)));
}
const transpose = (m: number[][]) => m[0].map((_, j) => m.map((row) => row[j]));
const toRows = (flat: ArrayLike<number>, rows: number, cols: number) =>
  Array.from({ length: rows }, (_, r) => Array.from({ length: cols }, (_, c) => flat[r * cols + c]));

function randomCase(seed: number, B: number, I: number, O: number) {
  const rng = new Random(seed);
  // about half the inputs exactly zero, as with MNIST pixels and ReLU outputs
  const x = Float64Array.from({ length: B * I }, () => (rng.uniform() < 0.5 ? 0 : rng.normal()));
  const w = Float64Array.from({ length: I * O }, () => rng.normal());
  const b = Float64Array.from({ length: O }, () => rng.normal());
  const dOut = Float64Array.from({ length: B * O }, () => rng.normal());
  return { x, w, b, dOut };
}

Deno.test("dense forward equals X·W + b computed by a textbook matmul", () => {
  const [B, I, O] = [5, 13, 7];
  const { x, w, b } = randomCase(1, B, I, O);
  const out = new Float64Array(B * O);
  denseForward(out, x, w, b, B, I, O);
  const ref = matmul(toRows(x, B, I), toRows(w, I, O)).map((row) => row.map((v, o) => v + b[o]));
  ref.flat().forEach((v, k) => assert.ok(Math.abs(v - out[k]) < 1e-12, `element ${k}`));
});

Deno.test("dense backward equals Xᵀ·δ, Σδ and δ·Wᵀ computed by a textbook matmul", () => {
  const [B, I, O] = [4, 9, 6];
  const { x, w, dOut } = randomCase(2, B, I, O);
  const dx = new Float64Array(B * I), dW = new Float64Array(I * O).fill(99), db = new Float64Array(O).fill(99);
  denseBackward(dx, dW, db, dOut, x, w, B, I, O);
  const X = toRows(x, B, I), D = toRows(dOut, B, O), W = toRows(w, I, O);
  matmul(transpose(X), D).flat().forEach((v, k) => assert.ok(Math.abs(v - dW[k]) < 1e-12, `dW ${k}`));
  transpose(D).map((col) => col.reduce((a, c) => a + c, 0)).forEach((v, k) => assert.ok(Math.abs(v - db[k]) < 1e-12));
  matmul(D, transpose(W)).flat().forEach((v, k) => assert.ok(Math.abs(v - dx[k]) < 1e-12, `dx ${k}`));
});

Deno.test("dense backward without dx leaves the input gradient alone", () => {
  const [B, I, O] = [2, 3, 2];
  const { x, w, dOut } = randomCase(3, B, I, O);
  const dW = new Float64Array(I * O), db = new Float64Array(O);
  denseBackward(null, dW, db, dOut, x, w, B, I, O);
  assert.ok(dW.some((v) => v !== 0));
});

Deno.test("Dense.init: He draws have variance 2/inputs, Xavier 2/(inputs+outputs), biases zero", () => {
  const he = new Dense(400, 100, "float64").init(new Random(5), "he");
  const xavier = new Dense(400, 100, "float64").init(new Random(5), "xavier");
  const variance = (a: ArrayLike<number>) => Array.from(a).reduce((s, v) => s + v * v, 0) / a.length;
  assert.ok(Math.abs(variance(he.weight) / (2 / 400) - 1) < 0.03);
  assert.ok(Math.abs(variance(xavier.weight) / (2 / 500) - 1) < 0.03);
  assert.ok(he.bias.every((v) => v === 0));
});
