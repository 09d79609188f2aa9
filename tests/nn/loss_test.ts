import assert from "node:assert/strict";
import {
  crossEntropyFromLogits,
  crossEntropyLoss,
  softmaxCrossEntropyBackward,
  softmaxForward,
} from "../../lib/nn/loss.ts";
import { makeDataset } from "../../lib/data/dataset.ts";
import { evaluate } from "../../lib/metrics.ts";
import { Network } from "../../lib/nn/network.ts";
import { Random } from "../../lib/nn/random.ts";

Deno.test("softmax: rows sum to 1 and keep the logits' order", () => {
  const logits = new Float64Array([1, 2, 3, -1, 0, 1]);
  const p = new Float64Array(6);
  softmaxForward(p, logits, 2, 3);
  for (const row of [0, 1]) {
    assert.ok(Math.abs(p[row * 3] + p[row * 3 + 1] + p[row * 3 + 2] - 1) < 1e-15);
    assert.ok(p[row * 3] < p[row * 3 + 1] && p[row * 3 + 1] < p[row * 3 + 2]);
  }
  const e = [1, 2, 3].map(Math.exp), s = e[0] + e[1] + e[2];
  assert.ok(Math.abs(p[2] - e[2] / s) < 1e-15);
});

Deno.test("softmax: stable for logits of ±1000 (no overflow, no NaN)", () => {
  const logits = new Float64Array([1000, -1000, 999, -1000, -1000, -999]);
  const p = new Float64Array(6);
  softmaxForward(p, logits, 2, 3);
  assert.ok(p.every(Number.isFinite));
  assert.ok(Math.abs(p[0] - 1 / (1 + Math.exp(-1))) < 1e-12);
  assert.ok(Math.abs(p[2] - Math.exp(-1) / (1 + Math.exp(-1))) < 1e-12);
  assert.equal(p[1], 0);
  assert.ok(Math.abs(p[5] - 1 / (1 + 2 * Math.exp(-1))) < 1e-12);
  // float32 buffers too
  const p32 = new Float32Array(3);
  softmaxForward(p32, new Float32Array([1000, 1000, -1000]), 1, 3);
  assert.deepEqual([...p32], [0.5, 0.5, 0]);
});

Deno.test("cross-entropy: uniform probabilities over 10 classes cost ln 10", () => {
  const p = new Float64Array(20).fill(0.1);
  assert.ok(Math.abs(crossEntropyLoss(p, [3, 7], 2, 10) - Math.log(10)) < 1e-12);
});

Deno.test("softmax + cross-entropy gradient p − y matches central differences", () => {
  const B = 2, C = 4;
  const logits = new Float64Array([0.3, -1.2, 2.0, 0.5, 1.1, 0.0, -0.4, 0.9]);
  const labels = [2, 3];
  const loss = (z: Float64Array) => {
    const p = new Float64Array(B * C);
    softmaxForward(p, z, B, C);
    return crossEntropyLoss(p, labels, B, C);
  };
  const p = new Float64Array(B * C), grad = new Float64Array(B * C);
  softmaxForward(p, logits, B, C);
  softmaxCrossEntropyBackward(grad, p, labels, B, C);
  const h = 1e-6;
  for (let k = 0; k < B * C; k++) {
    const plus = Float64Array.from(logits), minus = Float64Array.from(logits);
    plus[k] += h;
    minus[k] -= h;
    const numeric = (loss(plus) - loss(minus)) / (2 * h);
    assert.ok(Math.abs(numeric - grad[k]) < 1e-9, `logit ${k}: ${numeric} vs ${grad[k]}`);
  }
});

Deno.test("loss: evaluate's loss stays finite however far the true class trails (float64 log-softmax)", () => {
  const data = makeDataset(new Float32Array(4 * 784), Uint8Array.from([0, 1, 2, 3]));
  const net = new Network({ sizes: [784, 8, 10], activations: "relu" }).init(new Random(0));
  for (const margin of [200, 800]) { // float32 probabilities underflow past ≈ 103, float64 past ≈ 745
    net.layers[1].bias[9] = margin; // every image answers 9, the true class trails by the margin
    const { loss } = evaluate(net, data);
    assert.ok(Math.abs(loss - margin) < 1e-3, `margin ${margin}: loss ${loss}`);
  }
  assert.equal(crossEntropyFromLogits(new Float64Array([0, 1000]), [0], 1, 2), 1000);
});
