import assert from "node:assert/strict";
import { EarlyStopping } from "../../lib/nn/early_stopping.ts";
import { makeDataset } from "../../lib/data/dataset.ts";
import { evaluate } from "../../lib/metrics.ts";
import { Network } from "../../lib/nn/network.ts";
import { Random } from "../../lib/nn/random.ts";
import { SGD } from "../../lib/nn/train.ts";

const tiny = () => new Network({ sizes: [3, 4, 2], activations: "relu" }).init(new Random(0));
const fill = (net: Network, v: number) => net.parameters().forEach((p) => p.value.fill(v));

Deno.test("EarlyStopping: keeps the weights of the best epoch and restores them", () => {
  const net = tiny();
  const stopper = new EarlyStopping(0);
  fill(net, 1);
  stopper.update(1, 0.5, 1.0, net);
  fill(net, 2);
  stopper.update(2, 0.7, 0.9, net); // best
  fill(net, 3);
  stopper.update(3, 0.6, 0.8, net);
  stopper.restore(net);
  assert.equal(stopper.bestEpoch, 2);
  assert.equal(stopper.bestAccuracy, 0.7);
  for (const p of net.parameters()) assert.ok(p.value.every((v) => v === 2));
});

Deno.test("EarlyStopping: equal accuracy with a lower loss counts as better; higher loss does not", () => {
  const net = tiny();
  const stopper = new EarlyStopping(5);
  stopper.update(1, 0.8, 0.5, net);
  stopper.update(2, 0.8, 0.4, net);
  assert.equal(stopper.bestEpoch, 2);
  stopper.update(3, 0.8, 0.45, net);
  assert.equal(stopper.bestEpoch, 2);
});

Deno.test("EarlyStopping: says stop exactly after `patience` epochs without improvement; 0 never stops", () => {
  const net = tiny();
  const stopper = new EarlyStopping(3);
  assert.equal(stopper.update(1, 0.9, 0.1, net), undefined);
  assert.equal(stopper.update(2, 0.8, 0.2, net), undefined);
  assert.equal(stopper.update(3, 0.8, 0.2, net), undefined);
  assert.equal(stopper.update(4, 0.8, 0.2, net), "stop");
  const never = new EarlyStopping(0);
  never.update(1, 0.9, 0.1, net);
  for (let e = 2; e < 50; e++) assert.equal(never.update(e, 0.1, 2, net), undefined);
  assert.throws(() => new EarlyStopping(-1), RangeError);
  assert.throws(() => new EarlyStopping(0).restore(net), /no epoch/);
});

Deno.test("EarlyStopping in SGD's onEpoch: training stops early and ends with the best validation weights", () => {
  const rng = new Random(6);
  const n = 40, F = 5;
  const x = Float32Array.from({ length: n * F }, () => rng.uniform());
  const labels = Uint8Array.from({ length: n }, () => rng.int(2)); // random labels: validation cannot improve for long
  const train = makeDataset(x.slice(0, 30 * F), labels.slice(0, 30), F);
  const validation = makeDataset(x.slice(30 * F), labels.slice(30), F);
  const net = new Network({ sizes: [F, 16, 2], activations: "relu" }).init(rng);
  const stopper = new EarlyStopping(3);
  const history = SGD(net, train, {
    epochs: 500,
    batchSize: 5,
    lr: 0.2,
    rng,
    onEpoch: (s) => {
      const v = evaluate(net, validation);
      return stopper.update(s.epoch, v.accuracy, v.loss, net);
    },
  });
  assert.ok(history.length < 500, "stopped early");
  assert.equal(history.length, stopper.bestEpoch + 3);
  stopper.restore(net);
  const v = evaluate(net, validation);
  assert.equal(v.accuracy, stopper.bestAccuracy);
  assert.ok(Math.abs(v.loss - stopper.bestLoss) < 1e-6);
});
