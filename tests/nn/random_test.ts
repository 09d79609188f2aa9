import assert from "node:assert/strict";
import { Random } from "../../lib/nn/random.ts";

Deno.test("Random: the same seed gives the same sequence, another seed another", () => {
  const a = new Random(7), b = new Random(7), c = new Random(8);
  const seqA = Array.from({ length: 20 }, () => a.nextUint32());
  const seqB = Array.from({ length: 20 }, () => b.nextUint32());
  const seqC = Array.from({ length: 20 }, () => c.nextUint32());
  assert.deepEqual(seqA, seqB);
  assert.notDeepEqual(seqA, seqC);
});

Deno.test("Random: uniform() lies in [0, 1) with mean ≈ 1/2", () => {
  const rng = new Random(1);
  let sum = 0;
  for (let i = 0; i < 100_000; i++) {
    const u = rng.uniform();
    assert.ok(u >= 0 && u < 1);
    sum += u;
  }
  assert.ok(Math.abs(sum / 100_000 - 0.5) < 0.01);
});

Deno.test("Random: normal() has mean ≈ 0 and variance ≈ 1", () => {
  const rng = new Random(2);
  const n = 200_000;
  let sum = 0, sq = 0;
  for (let i = 0; i < n; i++) {
    const z = rng.normal();
    sum += z;
    sq += z * z;
  }
  const mean = sum / n;
  assert.ok(Math.abs(mean) < 0.01, `mean ${mean}`);
  assert.ok(Math.abs(sq / n - mean * mean - 1) < 0.02, `variance ${sq / n}`);
});

Deno.test("Random: int(n) covers 0…n−1 evenly", () => {
  const rng = new Random(3);
  const counts = new Array(6).fill(0);
  for (let i = 0; i < 60_000; i++) counts[rng.int(6)]++;
  for (const c of counts) assert.ok(Math.abs(c - 10_000) < 500, `counts ${counts}`);
  assert.throws(() => rng.int(0), RangeError);
});

Deno.test("Random: permutation() holds every index once, in a seeded order", () => {
  const p = new Random(4).permutation(1000);
  assert.deepEqual([...p].sort((a, b) => a - b), Array.from({ length: 1000 }, (_, i) => i));
  assert.notDeepEqual([...p], Array.from({ length: 1000 }, (_, i) => i));
  assert.deepEqual([...new Random(4).permutation(1000)], [...p]);
});
