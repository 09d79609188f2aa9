import assert from "node:assert/strict";
import { Dense } from "../../lib/nn/dense.ts";
import { Network } from "../../lib/nn/network.ts";
import { Random } from "../../lib/nn/random.ts";
import { JsSparseMlp, simdModule, sparseMlp, WasmSparseMlp } from "../../lib/kernels/simd.ts";
import { denseRows, toSparseRows } from "../../lib/kernels/sparse.ts";

/** n random inputs of I values (75% exactly 0), labels in 0…C−1, and two identical I-H-C layer pairs. */
function setup(seed: number, I: number, H: number, C: number, n: number) {
  const rng = new Random(seed);
  const x = Float32Array.from({ length: n * I }, () => (rng.uniform() < 0.75 ? 0 : rng.uniform()));
  const labels = Uint8Array.from({ length: n }, () => Math.floor(rng.uniform() * C));
  const make = () => {
    const init = new Random(seed + 1);
    const layers = [new Dense(I, H).init(init, "he"), new Dense(H, C).init(init, "he")];
    for (let o = 0; o < H; o++) layers[0].bias[o] = 0.05 * (o - H / 2);
    for (let k = 0; k < C; k++) layers[1].bias[k] = 0.1 * k;
    return layers;
  };
  return { rows: toSparseRows(x, I), labels, make };
}

function close(a: ArrayLike<number>, b: ArrayLike<number>, what: string) {
  for (let k = 0; k < a.length; k++) {
    assert.ok(Math.abs(a[k] - b[k]) <= 2e-5 * (1 + Math.abs(b[k])), `${what}[${k}]: ${a[k]} vs ${b[k]}`);
  }
}

// hidden widths below, at and around 4 and 32 columns; 10 classes and a number of classes not a multiple of 4
for (const [H, C] of [[1, 10], [3, 3], [30, 10], [32, 7], [33, 10], [70, 2]]) {
  Deno.test(`WasmSparseMlp takes the SGD steps JsSparseMlp takes, 50-${H}-${C}`, () => {
    const I = 50, n = 12, B = 5;
    const { rows, labels, make } = setup(H * 100 + C, I, H, C, n);
    const jsLayers = make(), wasmLayers = make();
    const js = new JsSparseMlp(jsLayers[0], jsLayers[1], rows, B);
    const wasm = new WasmSparseMlp(simdModule()!, wasmLayers[0], wasmLayers[1], rows, B);
    const order = [3, 11, 0, 7, 7, 5, 2, 9, 10, 1, 4, 6, 8];
    // full batches, then a last batch of 3 (smaller than the batch size), twice over
    for (let pass = 0; pass < 2; pass++) {
      for (const [start, size] of [[0, 5], [5, 5], [10, 3]]) {
        const batchLabels = Array.from({ length: size }, (_, b) => labels[order[start + b]]);
        const lossJs = js.step(order, start, size, batchLabels, 0.3);
        const lossWasm = wasm.step(order, start, size, batchLabels, 0.3);
        assert.ok(Math.abs(lossWasm - lossJs) <= 1e-5 * (1 + lossJs), `loss ${lossWasm} vs ${lossJs}`);
      }
    }
    wasm.sync();
    const before = make();
    jsLayers.forEach((layer, l) => {
      close(wasmLayers[l].weight, layer.weight, `layers.${l}.weight`);
      close(wasmLayers[l].bias, layer.bias, `layers.${l}.bias`);
      assert.ok(layer.weight.some((v, k) => v !== before[l].weight[k]), `the steps changed layers.${l}.weight`);
    });
  });
}

Deno.test("WasmSparseMlp: load() takes the layers' weights, sync() writes its own back", () => {
  const { rows, labels, make } = setup(4, 20, 6, 3, 4);
  const layers = make();
  const wasm = new WasmSparseMlp(simdModule()!, layers[0], layers[1], rows, 4);
  const reference = make();
  const js = new JsSparseMlp(reference[0], reference[1], rows, 4);
  layers[1].weight.fill(0); // changed behind the kernel's back …
  wasm.load(); // … and taken in
  reference[1].weight.fill(0);
  const step = [0, 1, 2, 3];
  const batchLabels = Array.from(step, (r) => labels[r]);
  assert.ok(Math.abs(wasm.step(step, 0, 4, batchLabels, 0.1) - js.step(step, 0, 4, batchLabels, 0.1)) < 1e-5);
  for (const layer of layers) layer.weight.fill(9);
  wasm.sync();
  reference.forEach((layer, l) => close(layers[l].weight, layer.weight, `layers.${l}.weight`));
});

Deno.test("sparseMlp applies to one hidden ReLU layer in float32 only", () => {
  const rows = toSparseRows(new Float32Array(8), 4);
  const net = (sizes: number[], activations: "relu" | "tanh", dtype: "float32" | "float64" = "float32") =>
    new Network({ sizes, activations, dtype }).init(new Random(1));
  assert.ok(sparseMlp(net([4, 3, 2], "relu").layers, ["relu"], rows, 10) instanceof WasmSparseMlp);
  assert.equal(sparseMlp(net([4, 3, 2], "tanh").layers, ["tanh"], rows, 10), null);
  assert.equal(sparseMlp(net([4, 3, 3, 2], "relu").layers, ["relu", "relu"], rows, 10), null);
  assert.equal(sparseMlp(net([4, 3, 2], "relu", "float64").layers, ["relu"], rows, 10), null);
});

Deno.test("WasmSparseMlp from the images themselves (writeRowPairs) = from their sparse rows, and a released memory serves the next one zeroed", () => {
  const I = 50, H = 30, C = 10, n = 40;
  const { rows, labels, make } = setup(9, I, H, C, n);
  // the dense images back from the sparse rows
  const x = new Float32Array(n * I);
  for (let r = 0; r < n; r++) {
    for (let p = rows.rowStart[r]; p < rows.rowStart[r + 1]; p++) x[r * I + rows.index[p]] = rows.value[p];
  }
  const order = Array.from({ length: n }, (_, i) => (i * 7) % n);
  const train = (source: Parameters<typeof sparseMlp>[2], layers: Dense[]) => {
    const mlp = sparseMlp(layers, ["relu"], source, 8)!;
    const losses: number[] = [];
    for (let s = 0; s < n; s += 8) {
      losses.push(mlp.step(order, s, 8, labels.subarray(0, 8).map((_, b) => labels[order[s + b]]), 0.1));
    }
    mlp.sync();
    mlp.release();
    return { layers, losses };
  };
  const a = train(rows, make());
  // a larger network dirties the memory that the next, smaller one reuses
  train(denseRows(Float32Array.from({ length: n * 2 * I }, (_, k) => (k % 3) / 3), 2 * I), [
    new Dense(2 * I, 2 * H).init(new Random(1), "he"),
    new Dense(2 * H, C).init(new Random(2), "he"),
  ]);
  const b = train(denseRows(x, I), make());
  assert.deepEqual(b.losses, a.losses);
  a.layers.forEach((layer, l) => {
    assert.deepEqual(b.layers[l].weight, layer.weight, `layer ${l} weight`);
    assert.deepEqual(b.layers[l].bias, layer.bias, `layer ${l} bias`);
  });
});
