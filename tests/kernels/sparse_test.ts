import assert from "node:assert/strict";
import { denseBackward, denseForward } from "../../lib/nn/dense.ts";
import { Random } from "../../lib/nn/random.ts";
import { sparseForward, sparseOuterUpdate, toSparseRows } from "../../lib/kernels/sparse.ts";

/** n rows of I values, about `zeros` of them exactly 0 (MNIST: 0.81). */
function sparseBatch(rng: Random, n: number, I: number, zeros: number): Float32Array {
  return Float32Array.from({ length: n * I }, () => (rng.uniform() < zeros ? 0 : rng.uniform()));
}

Deno.test("toSparseRows lists every nonzero value of every row, in order, and nothing else", () => {
  const rng = new Random(1);
  const [n, I] = [7, 40];
  const x = sparseBatch(rng, n, I, 0.8);
  x.fill(0, 2 * I, 3 * I); // an all-zero row
  const rows = toSparseRows(x, I);
  assert.equal(rows.n, n);
  assert.equal(rows.rowStart[0], 0);
  assert.equal(rows.rowStart[3], rows.rowStart[2], "the empty row has no entries");
  const rebuilt = new Float32Array(n * I);
  for (let r = 0; r < n; r++) {
    for (let p = rows.rowStart[r]; p < rows.rowStart[r + 1]; p++) {
      if (p > rows.rowStart[r]) assert.ok(rows.index[p] > rows.index[p - 1], "indices ascend within a row");
      assert.notEqual(rows.value[p], 0);
      rebuilt[r * I + rows.index[p]] = rows.value[p];
    }
  }
  assert.deepEqual(rebuilt, x);
  assert.equal(rows.rowStart[n], x.filter((v) => v !== 0).length);
});

Deno.test("sparseForward gives denseForward's x·W + b, row by row (float64)", () => {
  const rng = new Random(2);
  const [B, I, O] = [5, 50, 9];
  const x = Float64Array.from(sparseBatch(rng, B, I, 0.7));
  const w = Float64Array.from({ length: I * O }, () => rng.normal());
  const bias = Float64Array.from({ length: O }, () => rng.normal());
  const dense = new Float64Array(B * O);
  denseForward(dense, x, w, bias, B, I, O);
  const rows = toSparseRows(Float32Array.from(x), I);
  const sparse = new Float64Array(B * O);
  for (let b = 0; b < B; b++) sparseForward(sparse, b * O, rows, b, w, bias, O);
  dense.forEach((v, k) => assert.ok(Math.abs(v - sparse[k]) < 1e-12, `element ${k}: ${v} vs ${sparse[k]}`));
});

Deno.test("sparseOuterUpdate over a batch is the step W − η xᵀδ with denseBackward's ∂L/∂W (float64)", () => {
  const rng = new Random(3);
  const [B, I, O, lr] = [6, 30, 7, 0.3];
  const x = Float64Array.from(sparseBatch(rng, B, I, 0.6));
  const w = Float64Array.from({ length: I * O }, () => rng.normal());
  const delta = Float64Array.from({ length: B * O }, () => rng.normal());
  const dW = new Float64Array(I * O), dB = new Float64Array(O);
  denseBackward(null, dW, dB, delta, x, w, B, I, O);
  const expected = w.map((v, k) => v - lr * dW[k]);
  const rows = toSparseRows(Float32Array.from(x), I);
  const updated = Float64Array.from(w);
  for (let b = 0; b < B; b++) sparseOuterUpdate(updated, rows, b, delta, b * O, lr, O);
  expected.forEach((v, k) => assert.ok(Math.abs(v - updated[k]) < 1e-12, `weight ${k}: ${v} vs ${updated[k]}`));
  // rows of W whose input is zero in every example are not touched at all
  for (let i = 0; i < I; i++) {
    if ([...Array(B).keys()].every((b) => x[b * I + i] === 0)) {
      for (let o = 0; o < O; o++) assert.equal(updated[i * O + o], w[i * O + o]);
    }
  }
});
