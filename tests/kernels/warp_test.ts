import assert from "node:assert/strict";
import { assembleWat, wasmSource } from "../../bench/build_wasm.ts";
import { loadSplit } from "../../lib/data/load.ts";
import { Augmenter, ElasticField, gaussianKernel, warpImage } from "../../lib/data/augment.ts";
import { warpKernels } from "../../lib/kernels/warp.ts";
import { Random } from "../../lib/nn/random.ts";

const SIDE = 28, N = SIDE * SIDE;
const test = await loadSplit("data", "test");
const digit = (i: number) => test.x.slice(i * N, (i + 1) * N);

Deno.test("warp_wasm.ts holds the assembly of warp.wat", async () => {
  const committed = await Deno.readTextFile(new URL("../../lib/kernels/warp_wasm.ts", import.meta.url));
  assert.equal(committed, wasmSource("warp", await assembleWat("warp")));
});

/** The plain reference blur (not the one under test): α Σ_u,v G(u − x) G(v − y) noise[v, u], zero beyond the border. */
function referenceField(noise: Float32Array, alpha: number, sigma: number, side = SIDE): Float64Array {
  const k = gaussianKernel(sigma), r = (k.length - 1) / 2, field = new Float64Array(side * side);
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      let sum = 0;
      for (let v = Math.max(0, y - r); v <= Math.min(side - 1, y + r); v++) {
        for (let u = Math.max(0, x - r); u <= Math.min(side - 1, x + r); u++) {
          sum += k[u - x + r] * k[v - y + r] * noise[v * side + u];
        }
      }
      field[y * side + x] = alpha * sum;
    }
  }
  return field;
}

Deno.test("warp kernels: the SIMD blur equals the direct 2-D Gaussian sum and ElasticField on fixed noise", () => {
  for (const [alpha, sigma] of [[24, 3], [8, 1.5], [34, 4]]) {
    const kernels = warpKernels(SIDE, alpha, sigma)!;
    const rng = new Random(11);
    const noise = new Float32Array(N);
    rng.fillUniform(noise, 0, N, -1, 1);
    const field = new Float32Array(N);
    kernels.field(field, noise);
    const direct = referenceField(noise, alpha, sigma);
    // ElasticField draws its noise from the generator: give it the same stream
    const elastic = new Float32Array(N);
    new ElasticField(alpha, sigma).sample(elastic, new Random(11));
    let largest = 0;
    for (let i = 0; i < N; i++) {
      assert.ok(Math.abs(field[i] - direct[i]) < 1e-5 * alpha, `σ ${sigma}, pixel ${i}: ${field[i]} vs ${direct[i]}`);
      assert.ok(Math.abs(field[i] - elastic[i]) < 1e-5 * alpha);
      largest = Math.max(largest, Math.abs(field[i]));
    }
    assert.ok(largest > 0.05 * alpha, "a field that is not all zero");
  }
});

Deno.test("warp kernels: the affine resampling gives warpImage's pixels exactly", () => {
  const kernels = warpKernels(SIDE, 24, 3)!;
  const rng = new Random(3);
  for (let i = 0; i < 200; i++) {
    const src = digit(i);
    // the preset's ranges, and a few extreme ones (far outside the frame, half-pixel shifts)
    const p = i < 180
      ? {
        angle: (2 * rng.uniform() - 1) * Math.PI / 18,
        scale: 1 + (2 * rng.uniform() - 1) * 0.1,
        dx: (2 * rng.uniform() - 1) * 2,
        dy: (2 * rng.uniform() - 1) * 2,
      }
      : { angle: (i - 190) * 0.7, scale: 0.5 + (i % 3) * 0.7, dx: (i % 4) * 9.5 - 14, dy: -0.5 * (i % 5) };
    const want = new Float32Array(N);
    warpImage(want, src, p);
    const got = src.slice();
    kernels.affine(got, Math.cos(p.angle) / p.scale, Math.sin(p.angle) / p.scale, p.dx, p.dy);
    assert.deepEqual(got, want, `image ${i}, ${JSON.stringify(p)}`);
  }
});

Deno.test("warp kernels: affine on edge cases (no ink, ink in the corners, exact right angles) is warpImage's too", () => {
  const kernels = warpKernels(SIDE, 24, 3)!;
  const corners = new Float32Array(N);
  corners[0] = 1;
  corners[N - 1] = 0.5;
  corners[27] = 0.25;
  const images = [new Float32Array(N), corners, digit(7)];
  const transforms = [
    { angle: 0, scale: 1, dx: 0, dy: 0 },
    { angle: 0, scale: 1, dx: 1.5, dy: -2 },
    { angle: 0, scale: 0.9, dx: 0, dy: 0.25 },
    { angle: Math.PI, scale: 1, dx: 0, dy: 0 },
    { angle: Math.PI / 2, scale: 1.1, dx: -1, dy: 1 },
    { angle: -Math.PI / 2, scale: 1, dx: 0.5, dy: 0 },
    { angle: 3, scale: 0.95, dx: 2, dy: 2 },
    { angle: 0.2, scale: 1, dx: 30, dy: 0 },
  ];
  for (const [i, src] of images.entries()) {
    for (const p of transforms) {
      const want = new Float32Array(N);
      warpImage(want, src, p);
      const got = src.slice();
      kernels.affine(got, Math.cos(p.angle) / p.scale, Math.sin(p.angle) / p.scale, p.dx, p.dy);
      assert.deepEqual(got, want, `image ${i}, ${JSON.stringify(p)}`);
    }
  }
});

Deno.test("warp kernels: the elastic resampling gives warpImage's pixels with its own fields exactly", () => {
  const kernels = warpKernels(SIDE, 24, 3)!;
  const rng = new Random(5);
  for (let i = 0; i < 20; i++) {
    const src = digit(i);
    const p = { angle: 0.1 * (i - 10) / 10, scale: 1 + 0.01 * (i - 10), dx: 0.3 * (i % 7) - 1, dy: 1.7 - 0.2 * i };
    const got = src.slice();
    kernels.elastic(got, Math.cos(p.angle) / p.scale, Math.sin(p.angle) / p.scale, p.dx, p.dy, rng);
    const [fx, fy] = kernels.fields();
    const want = new Float32Array(N);
    warpImage(want, src, p, fx, fy);
    assert.deepEqual(got, want, `image ${i}`);
  }
});

Deno.test("Augmenter: the WebAssembly path draws the same numbers and makes the TypeScript path's images", () => {
  const B = 32;
  const batch = test.x.slice(0, B * N);
  for (const kind of ["affine", "elastic"] as const) {
    const fast = new Augmenter({ kind }), plain = new Augmenter({ kind }, SIDE, "typescript");
    assert.equal(fast.engine, "wasm");
    assert.equal(plain.engine, "typescript");
    const a = batch.slice(), b = batch.slice();
    const rngA = new Random(9), rngB = new Random(9);
    for (let round = 0; round < 3; round++) {
      fast.apply(a, B, rngA);
      plain.apply(b, B, rngB);
      // the generators are in step: the same count of numbers was drawn
      assert.equal(rngA.uniform(), rngB.uniform());
    }
    let largest = 0;
    for (let k = 0; k < a.length; k++) largest = Math.max(largest, Math.abs(a[k] - b[k]));
    // affine: the same arithmetic; elastic: the fields differ in float32 rounding only
    assert.ok(kind === "affine" ? largest === 0 : largest < 1e-4, `${kind}: pixels differ by up to ${largest}`);
    assert.notDeepEqual(a, batch);
  }
});

Deno.test("warp kernels: only sides that are a multiple of 4; Augmenter falls back to TypeScript elsewhere", () => {
  assert.equal(warpKernels(10, 24, 3), null);
  const aug = new Augmenter({ kind: "elastic" }, 10);
  assert.equal(aug.engine, "typescript");
  const x = new Float32Array(100).fill(0.5);
  aug.apply(x, 1, new Random(0));
  assert.ok(x.some((v) => v !== 0.5));
});

Deno.test("Random.fillUniform: the numbers of lo + (hi − lo) · uniform(), in order, and the state moves on alike", () => {
  const a = new Random(123), b = new Random(123);
  const filled = new Float32Array(1000);
  a.fillUniform(filled, 10, 990, -1, 1);
  for (let i = 10; i < 990; i++) assert.equal(filled[i], Math.fround(2 * b.uniform() - 1));
  assert.equal(filled[0], 0);
  assert.equal(filled[995], 0);
  const doubles = new Float64Array(5);
  a.fillUniform(doubles);
  for (const d of doubles) assert.equal(d, b.uniform());
  assert.equal(a.nextUint32(), b.nextUint32());
});
