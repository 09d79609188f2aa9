import assert from "node:assert/strict";
import { assembleWat, wasmSource } from "../../bench/build_wasm.ts";
import { Dense } from "../../lib/nn/dense.ts";
import { Random } from "../../lib/nn/random.ts";
import { JsSparseLayer, simdModule, sparseLayer, WasmSparseLayer } from "../../lib/kernels/simd.ts";
import { type SparseRows, toSparseRows } from "../../lib/kernels/sparse.ts";

Deno.test("simd_wasm.ts holds exactly the assembly of simd.wat (rebuild with deno task build:simd)", async () => {
  const committed = await Deno.readTextFile(new URL("../../lib/kernels/simd_wasm.ts", import.meta.url));
  assert.equal(committed, wasmSource("simd", await assembleWat("simd"), await assembleWat("simd", true)));
});

Deno.test("WebAssembly SIMD is available here, so training takes the SIMD path", () => {
  assert.ok(simdModule() !== null);
  const layer = new Dense(4, 3);
  assert.equal(sparseLayer(layer, toSparseRows(new Float32Array(4), 4)).kind, "wasm-simd");
  assert.equal(sparseLayer(layer, toSparseRows(new Float32Array(4), 4), "js").kind, "js");
  assert.equal(sparseLayer(new Dense(4, 3, "float64"), toSparseRows(new Float32Array(4), 4)).kind, "js");
});

function setup(seed: number, I: number, H: number, n: number) {
  const rng = new Random(seed);
  const x = Float32Array.from({ length: n * I }, () => (rng.uniform() < 0.75 ? 0 : rng.uniform()));
  const rows = toSparseRows(x, I);
  const make = () => {
    const layer = new Dense(I, H).init(new Random(seed + 1), "he");
    for (let o = 0; o < H; o++) layer.bias[o] = 0.1 * (o - H / 2);
    return layer;
  };
  const delta = Float32Array.from({ length: n * H }, () => 0.1 * rng.normal());
  return { rows, make, delta, rng };
}

function close(a: Float32Array, b: Float32Array, what: string) {
  for (let k = 0; k < a.length; k++) {
    assert.ok(Math.abs(a[k] - b[k]) <= 1e-5 * (1 + Math.abs(b[k])), `${what}[${k}]: ${a[k]} vs ${b[k]}`);
  }
}

// widths below, at and around the 32-column blocks and the 4-column vectors, and not multiples of 4
for (const H of [1, 3, 4, 7, 30, 32, 33, 64, 70]) {
  Deno.test(`WasmSparseLayer computes what JsSparseLayer computes, hidden width ${H}`, () => {
    const I = 50, n = 6;
    const { rows, make, delta } = setup(H, I, H, n);
    const jsLayer = make(), wasmLayer = make();
    const js = new JsSparseLayer(jsLayer, rows);
    const wasm = new WasmSparseLayer(simdModule()!, wasmLayer, rows);
    const examples = [5, 0, 3, 3, 1, 2, 4];
    // forward: z[b, :] = x_r · W + b for the batch order[1 … 5)
    const zJs = new Float32Array(4 * H), zWasm = new Float32Array(4 * H);
    js.forward(zJs, examples, 1, 4);
    wasm.forward(zWasm, examples, 1, 4);
    close(zWasm, zJs, "z");
    // update: W ← W − η Σ_b x_rᵀ δ[b, :], twice (the second forward sees the first update)
    for (let step = 0; step < 2; step++) {
      js.update(delta, examples, 1, 4, 0.5);
      wasm.update(delta, examples, 1, 4, 0.5);
    }
    wasm.forward(zWasm, examples, 0, 4);
    js.forward(zJs, examples, 0, 4);
    close(zWasm, zJs, "z after the updates");
    wasm.sync();
    close(wasmLayer.weight as Float32Array, jsLayer.weight as Float32Array, "weight");
    assert.ok(wasmLayer.weight.some((v, k) => v !== make().weight[k]), "the updates changed the weights");
  });
}

Deno.test("WasmSparseLayer: the Dense layer's weights are copied in by load() and out by sync()", () => {
  const I = 10, H = 6;
  const { rows, make } = setup(7, I, H, 3);
  const layer = make();
  const wasm = new WasmSparseLayer(simdModule()!, layer, rows);
  layer.weight.fill(0); // changed behind the kernel's back …
  const z = new Float32Array(H);
  wasm.forward(z, [0], 0, 1);
  assert.ok(z.some((v, o) => v !== layer.bias[o]), "… the kernel still has the old weights");
  wasm.load(); // … until load()
  wasm.forward(z, [0], 0, 1);
  assert.deepEqual(z, layer.bias);
  layer.weight.fill(1);
  wasm.sync(); // sync() writes the kernel's weights (now all 0) back
  assert.ok(layer.weight.every((v) => v === 0));
});

Deno.test("an example without nonzero inputs gives z = bias and leaves the weights alone", () => {
  const rows: SparseRows = toSparseRows(new Float32Array(2 * 5), 5);
  const layer = new Dense(5, 9).init(new Random(8), "he");
  layer.bias.fill(0.25);
  const before = Float32Array.from(layer.weight);
  const wasm = sparseLayer(layer, rows);
  const z = new Float32Array(2 * 9);
  wasm.forward(z, [0, 1], 0, 2);
  assert.ok(z.every((v) => v === 0.25));
  wasm.update(new Float32Array(2 * 9).fill(1), [0, 1], 0, 2, 0.1);
  wasm.sync();
  assert.deepEqual(layer.weight, before);
});
