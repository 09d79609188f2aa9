import assert from "node:assert/strict";
import { Random } from "../../lib/nn/random.ts";
import {
  adamStepTs,
  firstLayerStepTs,
  gemmNTTs,
  gemmTs,
  MemoryPlan,
  momentumStepTs,
  releaseSimdKernels,
  sgdStepTs,
  type SimdKernels,
  simdKernels,
} from "../../lib/kernels/gemm.ts";

function random(rng: Random, n: number, zeros = 0): Float32Array {
  return Float32Array.from({ length: n }, () => (rng.uniform() < zeros ? 0 : rng.normal()));
}

function close(got: Float32Array, want: Float32Array, what: string, tol = 1e-5) {
  assert.equal(got.length, want.length);
  for (let k = 0; k < got.length; k++) {
    assert.ok(Math.abs(got[k] - want[k]) <= tol * (1 + Math.abs(want[k])), `${what}[${k}]: ${got[k]} vs ${want[k]}`);
  }
}

/** Copies `values` to a new region and returns its byte address. */
function put(k: SimdKernels, at: number, values: Float32Array): number {
  k.f32.set(values, at / 4);
  return at;
}

// shapes around the 4-row and 8-column tiles: 1, 3, 4, 5, 9 rows; 8, 16, 24 columns; K 1 … 33
for (const [M, N, K] of [[1, 8, 1], [3, 8, 5], [4, 16, 7], [5, 24, 33], [9, 8, 16], [32, 16, 30]]) {
  for (const transA of [false, true]) {
    for (const accumulate of [false, true]) {
      Deno.test(`gemm = gemmTs: M ${M}, N ${N}, K ${K}, ${transA ? "Aᵀ" : "A"}, ${accumulate ? "C +=" : "bias +"}`, () => {
        const rng = new Random(M * 100 + N + K);
        // row strides wider than the rows, as for padded layers
        const lda = transA ? M + 3 : K + 2, ldb = N + 8, ldc = N + 8;
        const a = random(rng, (transA ? K : M) * lda), b = random(rng, K * ldb), c = random(rng, M * ldc);
        const bias = random(rng, N);
        const [rsA, csA] = transA ? [1, lda] : [lda, 1];
        const plan = new MemoryPlan();
        const at = {
          a: plan.region(a.length),
          b: plan.region(b.length),
          c: plan.region(c.length),
          bias: plan.region(N),
        };
        const k = simdKernels(plan.bytes)!;
        put(k, at.a, a), put(k, at.b, b), put(k, at.c, c), put(k, at.bias, bias);
        k.exports.gemm(at.c, 4 * ldc, at.a, 4 * rsA, 4 * csA, at.b, 4 * ldb, at.bias, M, N, K, accumulate ? 1 : 0);
        const want = c.slice();
        gemmTs(want, ldc, a, rsA, csA, b, ldb, bias, M, N, K, accumulate);
        close(k.view(at.c, c.length), want, "C");
      });
    }
  }
}

for (const [M, N, K] of [[1, 1, 4], [2, 4, 8], [3, 5, 12], [32, 30, 16], [7, 9, 64]]) {
  Deno.test(`gemmNT = gemmNTTs: M ${M}, N ${N}, K ${K}, and nothing outside C[M, N] written`, () => {
    const rng = new Random(M + 10 * N + K);
    const lda = K + 4, ldb = K, ldc = N + 3;
    const a = random(rng, M * lda), b = random(rng, N * ldb), c = random(rng, M * ldc);
    const plan = new MemoryPlan();
    const at = { a: plan.region(a.length), b: plan.region(b.length), c: plan.region(c.length) };
    const k = simdKernels(plan.bytes)!;
    put(k, at.a, a), put(k, at.b, b), put(k, at.c, c);
    k.exports.gemmNT(at.c, 4 * ldc, at.a, 4 * lda, at.b, 4 * ldb, M, N, K);
    const want = c.slice();
    gemmNTTs(want, ldc, a, lda, b, ldb, M, N, K);
    close(k.view(at.c, c.length), want, "C");
  });
}

Deno.test("sparseGemm = gemmTs on the dense batch (x·W + b)", () => {
  const rng = new Random(7);
  const B = 5, I = 20, H = 16;
  const x = random(rng, B * I, 0.7), w = random(rng, I * H), bias = random(rng, H);
  const plan = new MemoryPlan();
  const at = {
    w: plan.region(I * H),
    bias: plan.region(H),
    out: plan.region(B * H),
    entries: plan.region(2 * B * I),
    starts: plan.region(B + 1),
  };
  const k = simdKernels(plan.bytes)!;
  put(k, at.w, w), put(k, at.bias, bias);
  let e = at.entries / 4;
  for (let b = 0; b < B; b++) {
    k.i32[at.starts / 4 + b] = 4 * e;
    for (let i = 0; i < I; i++) {
      if (x[b * I + i] === 0) continue;
      k.i32[e] = 4 * i * H;
      k.f32[e + 1] = x[b * I + i];
      e += 2;
    }
  }
  k.i32[at.starts / 4 + B] = 4 * e;
  k.exports.sparseGemm(at.out, 4 * H, at.w, at.bias, H, at.starts, B);
  const out = new Float32Array(B * H);
  gemmTs(out, H, x, I, 1, w, H, bias, B, H, I, false);
  close(k.view(at.out, B * H), out, "out");
});

Deno.test("sgdStep, momentumStep and adamStep = their TypeScript twins over three steps, and zero the gradient", () => {
  const rng = new Random(3);
  const n = 36;
  const plan = new MemoryPlan();
  const at = { w: plan.region(n), g: plan.region(n), m: plan.region(n), s: plan.region(n) };
  const k = simdKernels(plan.bytes)!;
  for (const kind of ["sgd", "momentum", "adam"] as const) {
    const w = random(rng, n), m = random(rng, n).map(Math.abs), s = random(rng, n).map(Math.abs);
    put(k, at.w, w), put(k, at.m, m), put(k, at.s, s);
    for (let t = 1; t <= 3; t++) {
      const g = random(rng, n);
      put(k, at.g, g);
      const c1 = 1 / (1 - 0.9 ** t), c2 = 1 / (1 - 0.999 ** t);
      if (kind === "sgd") {
        k.exports.sgdStep(at.w, at.g, n, 0.1, 0.01);
        sgdStepTs(w, g, 0.1, 0.01);
      } else if (kind === "momentum") {
        k.exports.momentumStep(at.w, at.g, at.m, n, 0.1, 0.9, 0.01);
        momentumStepTs(w, g, m, 0.1, 0.9, 0.01);
      } else {
        k.exports.adamStep(at.w, at.g, at.m, at.s, n, 0.01, 0.9, 0.999, c1, c2, 1e-8, 0.01);
        adamStepTs(w, g, m, s, 0.01, 0.9, 0.999, c1, c2, 1e-8, 0.01);
      }
      assert.deepEqual([...k.view(at.g, n)], new Array(n).fill(0), `${kind}: g is zeroed`);
    }
    close(k.view(at.w, n), w, `${kind} w`);
    if (kind !== "sgd") close(k.view(at.m, n), m, `${kind} state`);
    if (kind === "adam") close(k.view(at.s, n), s, `${kind} s`);
  }
});

Deno.test("listNonzero, sumRows, relu and reluBackward = toSparseRows, denseBiasBackward, reluForward, reluBackward", async () => {
  const { toSparseRows } = await import("../../lib/kernels/sparse.ts");
  const { denseBiasBackward } = await import("../../lib/nn/dense.ts");
  const { reluForward, reluBackward } = await import("../../lib/nn/activations.ts");
  const rng = new Random(5);
  const B = 3, I = 13, N = 8, rowBytes = 64;
  const x = random(rng, B * I, 0.6);
  const plan = new MemoryPlan();
  const at = {
    x: plan.region(B * I),
    entries: plan.region(2 * B * I + 2),
    starts: plan.region(B + 1),
    d: plan.region(B * N),
  };
  const sums = plan.region(N);
  const k = simdKernels(plan.bytes)!;
  put(k, at.x, x);
  const count = k.exports.listNonzero(at.x, B, I, rowBytes, at.entries, at.starts);
  const rows = toSparseRows(x, I);
  assert.equal(count, rows.index.length);
  for (let b = 0; b <= B; b++) assert.equal(k.i32[at.starts / 4 + b], at.entries + 8 * rows.rowStart[b]);
  for (let p = 0; p < count; p++) {
    assert.equal(k.i32[at.entries / 4 + 2 * p], rows.index[p] * rowBytes);
    assert.equal(k.f32[at.entries / 4 + 2 * p + 1], rows.value[p]);
  }
  const d = random(rng, B * N);
  put(k, at.d, d);
  k.exports.sumRows(sums, at.d, 4 * N, B, N);
  const want = new Float32Array(N);
  denseBiasBackward(want, d, B, N);
  close(k.view(sums, N), want, "sums");
  // relu on d, then its backward pass on x's first B·N values as δ
  const relu = new Float32Array(B * N);
  reluForward(relu, d, B * N);
  k.exports.relu(at.d, B * N);
  assert.deepEqual([...k.view(at.d, B * N)], [...relu]);
  const delta = random(rng, B * N), dWant = new Float32Array(B * N);
  reluBackward(dWant, delta, relu, B * N);
  put(k, at.x, delta);
  k.exports.reluBackward(at.x, at.d, B * N);
  assert.deepEqual([...k.view(at.x, B * N)], [...dWant]);
});

Deno.test("addAndClear adds one thread's gradient into the sum and leaves its buffer at 0", () => {
  const rng = new Random(8);
  const n = 20;
  const dst = random(rng, n), src = random(rng, n);
  const plan = new MemoryPlan();
  const at = { dst: plan.region(n), src: plan.region(n) };
  const k = simdKernels(plan.bytes)!;
  put(k, at.dst, dst), put(k, at.src, src);
  k.exports.addAndClear(at.dst, at.src, n);
  assert.deepEqual([...k.view(at.dst, n)], [...dst.map((v, i) => Math.fround(v + src[i]))]);
  assert.deepEqual([...k.view(at.src, n)], new Array(n).fill(0));
});

Deno.test("listNonzeroColumns lists each pixel nonzero in some row, with its (b · ldd, value) pairs in row order", () => {
  const rng = new Random(9);
  const B = 6, I = 30, H = 36, ldd = H + 4;
  const x = random(rng, B * I, 0.8);
  for (let b = 0; b < B; b++) x[b * I + 3] = 0; // a pixel zero in every row: not listed
  for (let b = 0; b < B; b++) x.fill(0, b * I + 8, b * I + 12); // a group of four such pixels: skipped at once
  const plan = new MemoryPlan();
  const at = { x: plan.region(B * I), pairs: plan.region(2 * B * I + 2), columns: plan.region(3 * I) };
  const k = simdKernels(plan.bytes)!;
  put(k, at.x, x);
  const n = k.exports.listNonzeroColumns(at.x, B, I, 4 * I, 4 * ldd, 4 * H, at.pairs, at.columns);
  // the lists read back: per triple (i · rowBytes, first pair's address, end address), per pair (b · ldd, value)
  const got: [number, [number, number][]][] = [];
  for (let c = 0; c < n; c++) {
    const [row, first, end] = k.i32.subarray(at.columns / 4 + 3 * c, at.columns / 4 + 3 * c + 3);
    const pairs: [number, number][] = [];
    for (let p = first; p < end; p += 8) pairs.push([k.i32[p / 4] / (4 * ldd), k.f32[p / 4 + 1]]);
    got.push([row / (4 * H), pairs]);
  }
  const want: [number, [number, number][]][] = [];
  for (let i = 0; i < I; i++) {
    const pairs: [number, number][] = [];
    for (let b = 0; b < B; b++) if (x[b * I + i] !== 0) pairs.push([b, x[b * I + i]]);
    if (pairs.length > 0) want.push([i, pairs]);
  }
  assert.deepEqual(got, want);
  assert.ok(!want.some(([i]) => i === 3 || (i >= 8 && i < 12)) && want.some(([i]) => i === 12));
});

for (const kind of [0, 1, 2] as const) {
  for (const lambda of [0, 1e-2]) {
    Deno.test(`firstLayerStep = firstLayerStepTs (optimiser ${kind}, λ ${lambda}) on a range of pixels`, () => {
      const rng = new Random(10 + kind);
      // a range [i0, i0 + I) of the pixels of rows Itotal wide; H: one 32-column block and one vector
      const B = 5, Itotal = 40, i0 = 7, I = 25, H = 36, ldd = H + 4;
      const x = random(rng, B * Itotal, 0.7), delta = random(rng, B * ldd);
      for (let b = 0; b < B; b++) x[b * Itotal + i0 + 2] = 0; // a pixel zero in the whole batch
      const w = random(rng, I * H), m = random(rng, I * H), s = random(rng, I * H).map(Math.abs);
      const settings = { kind, lr: 0.1, a: 0.9, b: 0.99, c1: 1.5, c2: 2.5, eps: 1e-8, lambda };
      const plan = new MemoryPlan();
      const at = {
        x: plan.region(B * Itotal),
        delta: plan.region(B * ldd),
        w: plan.region(I * H),
        m: plan.region(I * H),
        s: plan.region(I * H),
        pairs: plan.region(2 * B * I + 2),
        columns: plan.region(3 * I),
      };
      const k = simdKernels(plan.bytes)!;
      put(k, at.x, x), put(k, at.delta, delta), put(k, at.w, w), put(k, at.m, m), put(k, at.s, s);
      const n = k.exports.listNonzeroColumns(at.x + 4 * i0, B, I, 4 * Itotal, 4 * ldd, 4 * H, at.pairs, at.columns);
      const listed = Array.from({ length: I }, (_, i) => i).filter((i) =>
        Array.from({ length: B }, (_, b) => b).some((b) => x[b * Itotal + i0 + i] !== 0)
      );
      assert.equal(n, listed.length);
      assert.ok(n < I - 1 && n > I / 2, `${n} of ${I} pixels listed`);
      const e = settings;
      k.exports.firstLayerStep(
        kind,
        at.w,
        at.m,
        at.s,
        at.delta,
        H,
        at.columns,
        n,
        I,
        e.lr,
        e.a,
        e.b,
        e.c1,
        e.c2,
        e.eps,
        lambda,
      );
      const want = { w: w.slice(), m: m.slice(), s: s.slice() };
      firstLayerStepTs(want.w, want.m, want.s, x.subarray(i0), Itotal, B, I, delta, ldd, H, settings);
      close(k.view(at.w, I * H), want.w, "w");
      if (kind > 0) close(k.view(at.m, I * H), want.m, "m");
      if (kind > 1) close(k.view(at.s, I * H), want.s, "s");
      // the zero pixel's row: plain SGD without decay leaves it alone, the others decay it
      const row = i0 + 2 - i0, got = k.view(at.w, I * H).slice(row * H, (row + 1) * H);
      if (kind === 0 && lambda === 0) assert.deepEqual([...got], [...w.slice(row * H, (row + 1) * H)]);
      else assert.notDeepEqual([...got], [...w.slice(row * H, (row + 1) * H)]);
    });
  }
}

Deno.test("a released instance is reused, zeroed, by the next simdKernels call that fits, and by one only", () => {
  const k = simdKernels(4096)!;
  k.f32.fill(3, 0, 1024);
  releaseSimdKernels(k);
  const again = simdKernels(2048)!;
  assert.equal(again, k, "the released instance");
  assert.deepEqual([...again.f32.subarray(0, 512)], new Array(512).fill(0), "zeroed");
  assert.notEqual(simdKernels(2048), k, "not handed out twice");
  releaseSimdKernels(again);
  assert.notEqual(simdKernels(1 << 20), again, "too small for a larger plan: a new memory");
});
