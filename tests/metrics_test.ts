import assert from "node:assert/strict";
import { makeDataset } from "../lib/data/dataset.ts";
import { accuracy, confusionMatrix, evaluate, perClassAccuracy } from "../lib/metrics.ts";
import { Network } from "../lib/nn/network.ts";

Deno.test("metrics: accuracy, confusion matrix and per-class accuracy agree", () => {
  const truth = [0, 0, 1, 1, 1, 2];
  const pred = [0, 1, 1, 1, 0, 2];
  assert.equal(accuracy(pred, truth), 4 / 6);
  const m = confusionMatrix(pred, truth, 3);
  assert.deepEqual(m, [[1, 1, 0], [1, 2, 0], [0, 0, 1]]);
  assert.deepEqual(perClassAccuracy(m), [0.5, 2 / 3, 1]);
  assert.ok(Number.isNaN(perClassAccuracy([[0, 0], [0, 1]])[0]), "no examples → NaN, not 0");
});

Deno.test("evaluate: counts a hand-built network's right and wrong answers and its loss", () => {
  // 2 inputs → 2 classes, no hidden layer: class = which input is larger
  const net = new Network({ sizes: [2, 2], activations: [] });
  net.layers[0].weight.set([1, 0, 0, 1]); // [I, O]: identity
  const data = makeDataset(new Float32Array([3, 1, 0, 2, 5, 4]), new Uint8Array([0, 1, 1]), 2);
  const r = evaluate(net, data, 2);
  assert.deepEqual([...r.predictions], [0, 1, 0]);
  assert.equal(r.accuracy, 2 / 3);
  assert.deepEqual(r.confusion, [[1, 0], [1, 1]]);
  const p = (a: number, b: number) => Math.exp(a) / (Math.exp(a) + Math.exp(b));
  const expected = -(Math.log(p(3, 1)) + Math.log(p(2, 0)) + Math.log(p(4, 5))) / 3;
  assert.ok(Math.abs(r.loss - expected) < 1e-6);
});
