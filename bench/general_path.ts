/**
 * The general training path's cost, for the README's Speed section:
 * 784-512-10, batch 32, momentum 0.9, weight decay 5e-4 on 900 images (the
 * best preset's training without its schedule), on the `simd` path (one thread
 * and all cores) and the TypeScript `dense` path, without and with the best
 * preset's elastic augmentation; and the augmentation alone. Prints CPU and
 * wall seconds per epoch.
 *
 *     deno run -A --v8-flags=--no-liftoff bench/general_path.ts [EPOCHS] [PATHS]
 *
 * EPOCHS defaults to 10, PATHS to "simd,dense".
 *
 * @module
 */

import process from "node:process";
import { loadSplit } from "../lib/data/load.ts";
import { makeDataset } from "../lib/data/dataset.ts";
import { Augmenter, DEFAULT_AUGMENT } from "../lib/data/augment.ts";
import { Network } from "../lib/nn/network.ts";
import { Momentum } from "../lib/nn/optimizers.ts";
import { Random } from "../lib/nn/random.ts";
import { SGD, type TrainOptions } from "../lib/nn/train.ts";

const cpu = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
};

if (import.meta.main) {
  const epochs = Number(Deno.args[0] ?? 10);
  const paths = (Deno.args[1] ?? "simd,dense").split(",") as TrainOptions["path"][];
  const train = await loadSplit("data", "train");
  const data = makeDataset(train.x.slice(0, 900 * 784), train.labels.slice(0, 900));
  const augmenter = new Augmenter({ ...DEFAULT_AUGMENT, kind: "elastic" });
  const report = (what: string, cpuStarted: number, wallStarted: number) =>
    console.log(
      `${what}: ${((cpu() - cpuStarted) / epochs).toFixed(3)} s CPU, ` +
        `${((performance.now() - wallStarted) / 1000 / epochs).toFixed(3)} s wall per epoch`,
    );

  let c = cpu(), w = performance.now();
  const x = new Float32Array(32 * 784), rng = new Random(0);
  for (let e = 0; e < epochs; e++) {
    for (let s = 0; s + 32 <= data.n; s += 32) {
      x.set(data.x.subarray(s * 784, (s + 32) * 784));
      augmenter.apply(x, 32, rng);
    }
  }
  report("elastic augmentation alone", c, w);

  const cores = Math.max(1, navigator.hardwareConcurrency || 1);
  for (const path of paths) {
    for (const threads of path === "simd" && cores > 1 ? [1, cores] : [1]) {
      for (const augment of [false, true]) {
        const rng = new Random(0);
        const net = new Network({ sizes: [784, 512, 10], activations: "relu" }).init(rng);
        c = cpu(), w = performance.now();
        SGD(net, data, {
          epochs,
          batchSize: 32,
          lr: 0.05,
          rng,
          path,
          threads,
          optimizer: new Momentum(0.9, 5e-4),
          augment: augment ? (x, B, r) => augmenter.apply(x, B, r) : undefined,
        });
        report(`${path}, ${threads} thread${threads === 1 ? "" : "s"}${augment ? ", elastic augmentation" : ""}`, c, w);
      }
    }
  }
}
