import assert from "node:assert/strict";
import { reluBackward, reluForward } from "../../lib/nn/activations.ts";
import { denseBackward, denseForward, listNonzero } from "../../lib/nn/dense.ts";
import { Random } from "../../lib/nn/random.ts";

Deno.test("listNonzero lists the positions of the nonzero values, in order", () => {
  const x = new Float32Array([0, 3, 0, 0, -1, 2, 0]);
  const indices = new Int32Array(7);
  assert.equal(listNonzero(indices, x, 0, 7), 3);
  assert.deepEqual([...indices.subarray(0, 3)], [1, 4, 5]);
  assert.equal(listNonzero(indices, x, 2, 3), 1); // x[2 … 4] = 0, 0, −1
  assert.equal(indices[0], 2);
  assert.equal(listNonzero(indices, new Float32Array(5), 0, 5), 0);
});

Deno.test("denseBackward with reluBelow equals denseBackward followed by the ReLU's backward pass", () => {
  const rng = new Random(4);
  const [B, I, O] = [4, 17, 6];
  const z = Float64Array.from({ length: B * I }, () => rng.normal());
  const a = new Float64Array(B * I);
  reluForward(a, z, B * I); // about half exactly 0
  const w = Float64Array.from({ length: I * O }, () => rng.normal());
  const dOut = Float64Array.from({ length: B * O }, () => rng.normal());
  const plain = { dx: new Float64Array(B * I), dW: new Float64Array(I * O), db: new Float64Array(O) };
  denseBackward(plain.dx, plain.dW, plain.db, dOut, a, w, B, I, O);
  reluBackward(plain.dx, plain.dx, a, B * I);
  const fused = { dx: new Float64Array(B * I).fill(7), dW: new Float64Array(I * O), db: new Float64Array(O) };
  denseBackward(fused.dx, fused.dW, fused.db, dOut, a, w, B, I, O, true);
  assert.deepEqual(fused.dx, plain.dx);
  assert.deepEqual(fused.dW, plain.dW);
  assert.deepEqual(fused.db, plain.db);
  assert.ok(fused.dx.some((v) => v === 0) && fused.dx.some((v) => v !== 0));
});

Deno.test("denseForward works for layers wider than its first index buffer (4096 inputs)", () => {
  const rng = new Random(5);
  const [I, O] = [4096, 3];
  const x = Float32Array.from({ length: I }, () => (rng.uniform() < 0.5 ? 0 : 1));
  const w = Float32Array.from({ length: I * O }, () => 1);
  const out = new Float32Array(O);
  denseForward(out, x, w, new Float32Array(O), 1, I, O);
  const ones = x.filter((v) => v === 1).length;
  assert.deepEqual([...out], [ones, ones, ones]);
});
