import assert from "node:assert/strict";
import { shiftedDataset } from "../bench/shifted_dataset.ts";
import { shiftImage } from "../lib/data/augment.ts";
import { makeDataset } from "../lib/data/dataset.ts";
import { Random } from "../lib/nn/random.ts";

function seedImages(n: number): ReturnType<typeof makeDataset> {
  const rng = new Random(21);
  const x = new Float32Array(n * 784);
  // a blob of ink somewhere in the middle of each image
  for (let k = 0; k < n; k++) {
    for (let y = 8; y < 20; y++) {
      for (let c = 10; c < 18; c++) {
        x[k * 784 + y * 28 + c] = rng.uniform() < 0.7 ? rng.uniform() : 0;
      }
    }
  }
  return makeDataset(x, Uint8Array.from({ length: n }, (_, k) => k % 10));
}

Deno.test("shiftedDataset keeps the originals first, then shifted copies with their labels", () => {
  const seed = seedImages(12);
  const { data, source, dx, dy } = shiftedDataset(seed, 100, 2, new Random(3));
  assert.equal(data.n, 100);
  assert.deepEqual(data.x.subarray(0, 12 * 784), seed.x);
  const out = new Float32Array(784);
  const shifts = new Set<string>();
  for (let k = 12; k < 100; k++) {
    assert.ok(Math.abs(dx[k]) <= 2 && Math.abs(dy[k]) <= 2 && (dx[k] !== 0 || dy[k] !== 0), `shift ${dx[k]},${dy[k]}`);
    assert.equal(data.labels[k], seed.labels[source[k]]);
    shiftImage(out, seed.x.subarray(source[k] * 784, (source[k] + 1) * 784), dx[k], dy[k]);
    assert.deepEqual(data.x.subarray(k * 784, (k + 1) * 784), out, `example ${k}`);
    shifts.add(`${dx[k]},${dy[k]}`);
  }
  assert.ok(shifts.size >= 15, `only ${shifts.size} of the 24 shifts were drawn`);
  // the ink stays inside the frame, so every copy has as many nonzero pixels as its source
  const nonzero = (k: number, x: Float32Array) => x.subarray(k * 784, (k + 1) * 784).filter((v) => v !== 0).length;
  for (let k = 12; k < 100; k++) assert.equal(nonzero(k, data.x), nonzero(source[k], seed.x));
});

Deno.test("shiftedDataset is seeded, and a smaller n takes the first examples", () => {
  const seed = seedImages(5);
  const a = shiftedDataset(seed, 30, 2, new Random(4)), b = shiftedDataset(seed, 30, 2, new Random(4));
  assert.deepEqual(a.data.x, b.data.x);
  const c = shiftedDataset(seed, 30, 2, new Random(5));
  assert.notDeepEqual(a.data.x, c.data.x);
  const first = shiftedDataset(seed, 3, 2, new Random(4)).data;
  assert.deepEqual(first.labels, seed.labels.subarray(0, 3));
});
