import assert from "node:assert/strict";
import { classCounts, makeDataset } from "../../lib/data/dataset.ts";
import { Random } from "../../lib/nn/random.ts";
import { splitDataset, stratifiedSplit } from "../../lib/data/split.ts";

/** Unbalanced labels: class c has 20 + 7c examples, shuffled. */
function labels(): Uint8Array {
  const list: number[] = [];
  for (let c = 0; c < 10; c++) for (let k = 0; k < 20 + 7 * c; k++) list.push(c);
  return Uint8Array.from(new Random(8).shuffle(list));
}

Deno.test("stratifiedSplit: disjoint, covers every example once, ascending", () => {
  const y = labels();
  const { train, validation } = stratifiedSplit(y, 0.1, new Random(0));
  const seen = new Set<number>();
  for (const i of [...train, ...validation]) {
    assert.ok(!seen.has(i), `index ${i} is in both parts`);
    seen.add(i);
  }
  assert.equal(seen.size, y.length);
  for (const part of [train, validation]) for (let k = 1; k < part.length; k++) assert.ok(part[k] > part[k - 1]);
});

Deno.test("stratifiedSplit: each class gives round(fraction · its count) to validation", () => {
  const y = labels();
  for (const fraction of [0.1, 0.25, 0.5]) {
    const { validation, train } = stratifiedSplit(y, fraction, new Random(1));
    const held = classCounts(Array.from(validation, (i) => y[i]));
    const kept = classCounts(Array.from(train, (i) => y[i]));
    const all = classCounts(y);
    for (let c = 0; c < 10; c++) {
      assert.equal(held[c], Math.round(fraction * all[c]), `class ${c} at ${fraction}`);
      assert.equal(held[c] + kept[c], all[c]);
    }
  }
});

Deno.test("stratifiedSplit: seeded (same seed, same split; another seed, another split); 0 holds nothing out", () => {
  const y = labels();
  const a = stratifiedSplit(y, 0.2, new Random(4));
  assert.deepEqual(stratifiedSplit(y, 0.2, new Random(4)), a);
  assert.notDeepEqual(stratifiedSplit(y, 0.2, new Random(5)).validation, a.validation);
  const none = stratifiedSplit(y, 0, new Random(4));
  assert.equal(none.validation.length, 0);
  assert.equal(none.train.length, y.length);
  assert.throws(() => stratifiedSplit(y, 1, new Random(0)), RangeError);
  assert.throws(() => stratifiedSplit(y, -0.1, new Random(0)), RangeError);
});

Deno.test("splitDataset: the parts hold the right images with their labels", () => {
  const y = labels();
  const n = y.length, F = 3;
  const x = Float32Array.from({ length: n * F }, (_, k) => Math.floor(k / F)); // every pixel = its row number
  const { train, validation } = splitDataset(makeDataset(x, y, F), 0.3, new Random(2));
  assert.equal(train.n + validation.n, n);
  for (const part of [train, validation]) {
    for (let k = 0; k < part.n; k++) {
      const row = part.x[k * F];
      assert.equal(part.x[k * F + 2], row);
      assert.equal(part.labels[k], y[row]);
    }
  }
});

/** 300 images of 4 pixels, a third of them copies of another row (the same label), shuffled. */
function withTwins(): { x: Float32Array; y: Uint8Array } {
  const rng = new Random(11);
  const rows: { pixels: number[]; label: number }[] = [];
  for (let k = 0; k < 200; k++) rows.push({ pixels: [k, k % 7, k % 3, 1], label: k % 10 });
  for (let k = 0; k < 100; k++) rows.push(rows[Math.floor(rng.uniform() * 200)]);
  rng.shuffle(rows);
  return { x: Float32Array.from(rows.flatMap((r) => r.pixels)), y: Uint8Array.from(rows.map((r) => r.label)) };
}

Deno.test("splitDataset: identical images stay on one side, so no validation image is a training image", () => {
  const { x, y } = withTwins();
  for (const fraction of [0.1, 0.2, 0.5]) {
    for (let seed = 0; seed < 4; seed++) {
      const { train, validation } = splitDataset(makeDataset(x, y, 4), fraction, new Random(seed));
      assert.equal(train.n + validation.n, y.length);
      const seen = new Set<string>();
      for (let k = 0; k < train.n; k++) seen.add(train.x.subarray(4 * k, 4 * k + 4).join());
      for (let k = 0; k < validation.n; k++) {
        const image = validation.x.subarray(4 * k, 4 * k + 4).join();
        assert.ok(
          !seen.has(image),
          `validation image ${image} is also in training (fraction ${fraction}, seed ${seed})`,
        );
      }
      // the quota is kept within a group's size of round(fraction · count)
      assert.ok(Math.abs(validation.n - fraction * y.length) <= 10, `${validation.n} held out at ${fraction}`);
    }
  }
});

Deno.test("stratifiedSplit: a group moves whole and never pushes its class past the quota", () => {
  const y = labels();
  const sameClass = [...y.keys()].filter((i) => y[i] === y[0]);
  const groups = [sameClass.slice(0, 6)]; // six rows of one class tied together
  for (let seed = 0; seed < 20; seed++) {
    const { train, validation } = stratifiedSplit(y, 0.1, new Random(seed), { groups });
    const inValidation = groups[0].map((i) => validation.includes(i));
    assert.ok(inValidation.every((v) => v === inValidation[0]), `seed ${seed}: the group is split`);
    assert.equal(train.length + validation.length, y.length);
    const held = classCounts(Array.from(validation, (i) => y[i]));
    const all = classCounts(y);
    for (let c = 0; c < 10; c++) assert.ok(held[c] <= Math.round(0.1 * all[c]));
  }
  assert.throws(() => stratifiedSplit(y, 0.1, new Random(0), { groups: [[0, 1], [1, 2]] }), RangeError);
});
