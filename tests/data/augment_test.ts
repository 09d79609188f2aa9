import assert from "node:assert/strict";
import {
  AUGMENTATIONS,
  Augmenter,
  ElasticField,
  gaussianKernel,
  sampleBilinear,
  shiftImage,
  warpImage,
} from "../../lib/data/augment.ts";
import { gatherBatch, makeDataset } from "../../lib/data/dataset.ts";
import { Random } from "../../lib/nn/random.ts";
import { SGD } from "../../lib/nn/train.ts";
import { Network } from "../../lib/nn/network.ts";

const SIDE = 28, N = SIDE * SIDE;
const at = (x: number, y: number) => y * SIDE + x;

/** A digit-like test image: a bright bar and a dot, varying values. */
function testImage(): Float32Array {
  const img = new Float32Array(N);
  for (let y = 8; y < 20; y++) img[at(12, y)] = 0.5 + y / 40;
  img[at(16, 10)] = 1;
  return img;
}

const sum = (a: Float32Array) => a.reduce((s, v) => s + v, 0);

Deno.test("shiftImage: (1, 0) moves every pixel exactly one to the right, (0, −2) two up, zero fill", () => {
  const src = testImage();
  const out = new Float32Array(N);
  shiftImage(out, src, 1, 0);
  for (let y = 0; y < SIDE; y++) {
    assert.equal(out[at(0, y)], 0);
    for (let x = 1; x < SIDE; x++) assert.equal(out[at(x, y)], src[at(x - 1, y)]);
  }
  shiftImage(out, src, 0, -2);
  for (let y = 0; y < SIDE - 2; y++) for (let x = 0; x < SIDE; x++) assert.equal(out[at(x, y)], src[at(x, y + 2)]);
  assert.equal(out[at(12, 26)], 0);
  assert.equal(out[at(12, 27)], 0);
});

Deno.test("shiftImage: a pixel shifted out of the frame is gone, not wrapped around", () => {
  const src = new Float32Array(N);
  src[at(27, 5)] = 1;
  const out = new Float32Array(N);
  shiftImage(out, src, 1, 0);
  assert.equal(sum(out), 0);
});

Deno.test("sampleBilinear: exact at pixel centres, linear in between, 0 outside", () => {
  const src = testImage();
  assert.equal(sampleBilinear(src, 12, 10), src[at(12, 10)]);
  const mid = sampleBilinear(src, 12, 10.25);
  assert.ok(Math.abs(mid - (0.75 * src[at(12, 10)] + 0.25 * src[at(12, 11)])) < 1e-6);
  assert.ok(Math.abs(sampleBilinear(src, 11.5, 10) - src[at(12, 10)] / 2) < 1e-6);
  assert.equal(sampleBilinear(src, -3, 4), 0);
  assert.equal(sampleBilinear(src, 40, 4), 0);
});

Deno.test("warpImage: rotation 0, scale 1, no shift is the identity", () => {
  const src = testImage();
  const out = new Float32Array(N);
  warpImage(out, src, { angle: 0, scale: 1, dx: 0, dy: 0 });
  assert.deepEqual(out, src);
});

Deno.test("warpImage: a whole-pixel shift equals shiftImage", () => {
  const src = testImage();
  const a = new Float32Array(N), b = new Float32Array(N);
  warpImage(a, src, { angle: 0, scale: 1, dx: 2, dy: -1 });
  shiftImage(b, src, 2, -1);
  for (let k = 0; k < N; k++) assert.ok(Math.abs(a[k] - b[k]) < 1e-6, `pixel ${k}: ${a[k]} vs ${b[k]}`);
});

Deno.test("warpImage: 90° turns a pixel right of the centre to below it; four turns give the image back", () => {
  const src = new Float32Array(N);
  src[at(17, 13)] = 1; // the centre is (13.5, 13.5): this pixel is 3.5 right of it and 0.5 up
  const out = new Float32Array(N);
  warpImage(out, src, { angle: Math.PI / 2, scale: 1, dx: 0, dy: 0 });
  // clockwise on screen: (+3.5, −0.5) → (+0.5, +3.5), i.e. pixel (14, 17)
  assert.ok(Math.abs(out[at(14, 17)] - 1) < 1e-6, `got ${out[at(14, 17)]}`);
  assert.ok(Math.abs(sum(out) - 1) < 1e-5);
  const img = testImage(), a = new Float32Array(N), b = new Float32Array(N);
  a.set(img);
  for (let turn = 0; turn < 4; turn++) {
    warpImage(b, a, { angle: Math.PI / 2, scale: 1, dx: 0, dy: 0 });
    a.set(b);
  }
  for (let k = 0; k < N; k++) assert.ok(Math.abs(a[k] - img[k]) < 1e-5);
});

Deno.test("warpImage: scale 2 doubles distances from the centre", () => {
  const src = new Float32Array(N);
  src[at(15, 13)] = 1; // (+1.5, −0.5) from the centre
  const out = new Float32Array(N);
  warpImage(out, src, { angle: 0, scale: 2, dx: 0, dy: 0 });
  // output pixel (16, 12) reads the source at c + ((16, 12) − c) / 2 = (14.75, 12.75)
  assert.ok(Math.abs(out[at(16, 12)] - sampleBilinear(src, 14.75, 12.75)) < 1e-6);
  assert.ok(out[at(16, 12)] > 0);
});

Deno.test("gaussianKernel: symmetric, peaked in the middle, sums to 1", () => {
  const k = gaussianKernel(3);
  assert.equal(k.length, 19);
  for (let i = 0; i < k.length; i++) assert.ok(Math.abs(k[i] - k[k.length - 1 - i]) < 1e-9);
  assert.equal(Math.max(...k), k[9]);
  assert.ok(Math.abs(k.reduce((a, b) => a + b) - 1) < 1e-6);
});

Deno.test("ElasticField: smooth (neighbours close), bounded by α, and seeded", () => {
  const field = new Float32Array(N);
  const elastic = new ElasticField(10, 4);
  elastic.sample(field, new Random(5));
  let maxJump = 0, maxAbs = 0;
  for (let y = 0; y < SIDE; y++) {
    for (let x = 0; x + 1 < SIDE; x++) maxJump = Math.max(maxJump, Math.abs(field[at(x + 1, y)] - field[at(x, y)]));
  }
  for (const v of field) maxAbs = Math.max(maxAbs, Math.abs(v));
  assert.ok(maxAbs <= 10 && maxAbs > 0.05, `max |field| ${maxAbs}`);
  assert.ok(maxJump < maxAbs / 2, `neighbouring displacements differ by up to ${maxJump} of ${maxAbs}`);
  const again = new Float32Array(N);
  elastic.sample(again, new Random(5));
  assert.deepEqual(again, field);
});

Deno.test("ElasticField: equals the direct sum α Σ G(dx) G(dy) U over the image (zero beyond the border)", () => {
  const side = 12, sigma = 1.5, alpha = 3;
  const field = new Float32Array(side * side);
  new ElasticField(alpha, sigma, side).sample(field, new Random(7));
  const rng = new Random(7); // the same noise, drawn in the same order
  const noise = Float32Array.from({ length: side * side }, () => 2 * rng.uniform() - 1);
  const k = gaussianKernel(sigma), r = (k.length - 1) / 2;
  for (const [x, y] of [[0, 0], [5, 7], [11, 3], [6, 11]]) {
    let sum = 0;
    for (let v = 0; v < side; v++) {
      for (let u = 0; u < side; u++) {
        if (Math.abs(u - x) <= r && Math.abs(v - y) <= r) sum += k[u - x + r] * k[v - y + r] * noise[v * side + u];
      }
    }
    assert.ok(
      Math.abs(field[y * side + x] - alpha * sum) < 1e-5,
      `(${x}, ${y}): ${field[y * side + x]} vs ${alpha * sum}`,
    );
  }
});

for (const kind of AUGMENTATIONS) {
  Deno.test(`Augmenter "${kind}": keeps the batch's shape, leaves labels alone, same seed → same images`, () => {
    const rng = new Random(1);
    const x = Float32Array.from({ length: 6 * N }, () => (rng.uniform() < 0.8 ? 0 : rng.uniform()));
    const labels = Uint8Array.from([0, 1, 2, 3, 4, 5]);
    const data = makeDataset(x, labels);
    const batchX = new Float32Array(4 * N), batchLabels = new Uint8Array(4);
    gatherBatch(batchX, batchLabels, data, [5, 0, 3, 1], 0, 4);
    const a = batchX.slice(), b = batchX.slice();
    const aug = new Augmenter({ kind });
    aug.apply(a, 4, new Random(9));
    aug.apply(b, 4, new Random(9));
    assert.equal(a.length, 4 * N);
    assert.deepEqual(a, b);
    assert.deepEqual(batchLabels, Uint8Array.from([5, 0, 3, 1]));
    for (const v of a) assert.ok(v >= 0 && v <= 1 + 1e-6, `pixel ${v} outside [0, 1]`);
    if (kind === "none") assert.deepEqual(a, batchX);
    else {
      assert.notDeepEqual(a, batchX);
      const c = batchX.slice();
      aug.apply(c, 4, new Random(10));
      assert.notDeepEqual(c, a, "another seed gives other images");
    }
  });
}

Deno.test("Augmenter: only touches the first B images of a larger buffer", () => {
  const x = new Float32Array(3 * N);
  x.set(testImage(), 0);
  x.set(testImage(), N);
  x.set(testImage(), 2 * N);
  new Augmenter({ kind: "elastic" }).apply(x, 2, new Random(0));
  assert.deepEqual(x.subarray(2 * N), testImage());
});

Deno.test("Augmenter: strengths of zero leave images unchanged; bad strengths are refused", () => {
  const x = testImage();
  new Augmenter({ kind: "elastic", shift: 0, rotate: 0, scale: 0, elasticAlpha: 0 }).apply(x, 1, new Random(0));
  assert.deepEqual(x, testImage());
  assert.throws(() => new Augmenter({ kind: "affine", rotate: -1 }), RangeError);
  assert.throws(() => new Augmenter({ kind: "affine", scale: 1 }), RangeError);
  assert.throws(() => new Augmenter({ kind: "elastic", elasticSigma: 0 }), RangeError);
});

Deno.test("Augmenter: shift keeps each image's ink (a centred digit never leaves a 28 × 28 frame at ±2 px)", () => {
  const x = new Float32Array(5 * N);
  for (let b = 0; b < 5; b++) x.set(testImage(), b * N);
  new Augmenter({ kind: "shift", shift: 2 }).apply(x, 5, new Random(3));
  for (let b = 0; b < 5; b++) assert.ok(Math.abs(sum(x.subarray(b * N, (b + 1) * N)) - sum(testImage())) < 1e-4);
});

Deno.test("Augmenter plugs into SGD's augment hook: training with elastic distortions is deterministic", () => {
  const rng = new Random(2);
  const x = Float32Array.from({ length: 20 * N }, () => (rng.uniform() < 0.8 ? 0 : rng.uniform()));
  const data = makeDataset(x, Uint8Array.from({ length: 20 }, (_, i) => i % 10));
  const train = () => {
    const r = new Random(4);
    const net = new Network({ sizes: [N, 8, 10], activations: "relu" }).init(r);
    const aug = new Augmenter({ kind: "elastic" });
    SGD(net, data, { epochs: 2, batchSize: 5, lr: 0.1, rng: r, augment: (xb, B, rr) => aug.apply(xb, B, rr) });
    return net.layers[0].weight.slice();
  };
  assert.deepEqual(train(), train());
});
