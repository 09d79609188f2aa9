import assert from "node:assert/strict";
import { classCounts, makeDataset, subset } from "../../lib/data/dataset.ts";

Deno.test("makeDataset: sizes that disagree and labels that are not digits are refused", () => {
  assert.throws(
    () => makeDataset(new Float32Array(783), new Uint8Array([1])),
    /783 pixel values do not make 1 images of 784/,
  );
  assert.throws(
    () => makeDataset(new Float32Array(2 * 784), new Uint8Array([3, 12])),
    /^RangeError: label 12 of example 1 is not a digit 0–9$/,
  );
  const d = makeDataset(new Float32Array(2 * 784), new Uint8Array([0, 9]));
  assert.deepEqual([d.n, d.features], [2, 784]);
});

Deno.test("subset copies the chosen examples in order, and classCounts counts them", () => {
  const d = makeDataset(
    Float32Array.from({ length: 3 * 784 }, (_, i) => Math.floor(i / 784)),
    new Uint8Array([4, 4, 7]),
  );
  const s = subset(d, [2, 0]);
  assert.deepEqual([...s.labels], [7, 4]);
  assert.equal(s.x[0], 2);
  assert.equal(s.x[784], 0);
  s.x[0] = 99;
  assert.equal(d.x[2 * 784], 2, "a copy");
  assert.deepEqual([...classCounts(d.labels)], [0, 0, 0, 0, 2, 0, 0, 1, 0, 0]);
});
