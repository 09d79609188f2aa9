/**
 * The augmentation alone: CPU and wall milliseconds per 900 images (one epoch
 * of `--preset best`'s training set) for each kind, in minibatches of 32.
 *
 *     deno run -A --v8-flags=--no-liftoff bench/augment_speed.ts [ROUNDS]
 *
 * ROUNDS (default 20) passes over the 900 images per kind, after one pass of
 * warm-up.
 *
 * @module
 */

import process from "node:process";
import { loadSplit } from "../lib/data/load.ts";
import { AUGMENTATIONS, Augmenter } from "../lib/data/augment.ts";
import { Random } from "../lib/nn/random.ts";

const cpu = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
};

if (import.meta.main) {
  const rounds = Number(Deno.args[0] ?? 20);
  const train = await loadSplit("data", "train");
  const n = 900, B = 32, F = 784;
  const images = train.x.subarray(0, n * F);
  const x = new Float32Array(B * F);
  for (const kind of AUGMENTATIONS) {
    if (kind === "none") continue;
    const augmenter = new Augmenter({ kind });
    const rng = new Random(0);
    const pass = () => {
      for (let s = 0; s < n; s += B) {
        const b = Math.min(B, n - s);
        x.set(images.subarray(s * F, (s + b) * F));
        augmenter.apply(x, b, rng);
      }
    };
    pass();
    const c = cpu(), w = performance.now();
    for (let r = 0; r < rounds; r++) pass();
    console.log(
      `${kind.padEnd(8)} ${(1000 * (cpu() - c) / rounds).toFixed(2)} ms CPU, ` +
        `${((performance.now() - w) / rounds).toFixed(2)} ms wall per ${n} images`,
    );
  }
}
