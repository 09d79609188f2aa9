/**
 * The steady state of a step strategy, without the set-up of a fresh run:
 * 784-H-10 at batch 32 on the seed's 1000 training images, the strategy
 * `chooseStep` picks (`--augment` forces the general path `simd` with a
 * no-op augmentation), its workers awaited before the clock starts, then
 * `--rounds` rounds of 30 epochs each timed. `--shuffle` shuffles the
 * batches and syncs the weights every epoch, as `SGD` with an `onEpoch`
 * does. Prints ms per epoch and how many items the workers did per step.
 *
 *   deno run -A --v8-flags=--no-liftoff bench/steady_state.ts --hidden 256 --threads 2
 *   deno run -A --v8-flags=--no-liftoff bench/steady_state.ts --hidden 512 --momentum --threads 2 --shuffle
 *
 * @module
 */

import { parseArgs } from "node:util";
import { loadSplit } from "../lib/data/load.ts";
import { Network } from "../lib/nn/network.ts";
import { GradientDescent, Momentum } from "../lib/nn/optimizers.ts";
import { Random } from "../lib/nn/random.ts";
import { chooseStep } from "../lib/nn/step.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    hidden: { type: "string", default: "256" },
    threads: { type: "string", default: "2" },
    rounds: { type: "string", default: "4" },
    momentum: { type: "boolean", default: false },
    shuffle: { type: "boolean", default: false },
    augment: { type: "boolean", default: false },
  },
});
const H = Number(values.hidden), threads = Number(values.threads), rounds = Number(values.rounds);
const data = await loadSplit("data", "train");
const rng = new Random(0);
const net = new Network({ sizes: [784, H, 10], activations: "relu" }).init(rng);
const optimizer = values.momentum ? new Momentum(0.9, 5e-4) : new GradientDescent();
const step = chooseStep(net, data, {
  batchSize: 32,
  optimizer,
  rng,
  threads,
  augment: values.augment ? () => {} : undefined,
});
const team = step as unknown as { awaitWorkers?: (ms: number) => number; workerTasks?: number };
team.awaitWorkers?.(10_000);
const order = Array.from({ length: data.n }, (_, i) => i);
for (let round = 0; round < rounds; round++) {
  const tasks = team.workerTasks ?? 0, started = performance.now();
  let steps = 0;
  for (let epoch = 0; epoch < 30; epoch++) {
    if (values.shuffle) {
      rng.shuffle(order);
      step.sync();
      step.load();
    }
    for (let s = 0; s < data.n; s += 32, steps++) step.step(order, s, Math.min(32, data.n - s), 0.01);
  }
  const perEpoch = (performance.now() - started) / 30;
  const items = ((team.workerTasks ?? 0) - tasks) / steps;
  console.log(
    `${step.name} on ${step.threads ?? 1}: ${perEpoch.toFixed(2)} ms/epoch, worker items/step ${items.toFixed(2)}`,
  );
}
step.close?.();
