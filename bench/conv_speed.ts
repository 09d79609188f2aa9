/**
 * `deno task bench:conv`: how fast a convolutional network trains on the
 * seed's 1000 images through the general training path (im2col + the plain
 * TypeScript matrix products of `lib/nn/matmul.ts`).
 *
 *   deno task bench:conv [--arch LIST] [--epochs N] [--batch-size N]
 *
 * Prints, per architecture: seconds per epoch (wall clock and this process's
 * CPU time), examples per second, and the effective GFLOP/s: 3 × the forward
 * pass's flops (forward, ∂L/∂W and ∂L/∂x each cost about one forward pass) ×
 * examples ÷ seconds. Then the share of each layer in a training step. CPU
 * time is the fairer figure on a shared machine: it does not count the time
 * the process waited for a core.
 *
 * @module
 */

import process from "node:process";
import { loadSplit } from "../lib/data/load.ts";
import { parseArch } from "../lib/nn/arch.ts";
import { shapeSize } from "../lib/nn/layer.ts";
import { Momentum } from "../lib/nn/optimizers.ts";
import { Random } from "../lib/nn/random.ts";
import { Sequential } from "../lib/nn/sequential.ts";
import { SGD } from "../lib/nn/train.ts";
import { parseFlags, positiveInt, run, wantsHelp } from "../cli/common.ts";

const USAGE = `Usage: deno task bench:conv [--arch LIST[;LIST…]] [--epochs N] [--batch-size N]

Trains each architecture (default: the cnn preset's and the issue's example) for N epochs (default 2) on data/
and prints seconds per epoch, examples/s and effective GFLOP/s, then each layer's share of a step.`;

function cpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

async function main(): Promise<void> {
  if (wantsHelp(Deno.args)) return console.log(USAGE);
  const { values } = parseFlags(Deno.args, {
    arch: { type: "string" },
    epochs: { type: "string" },
    "batch-size": { type: "string" },
  });
  const archs = (values.arch ?? "conv5x5x16,pool2,conv5x5x32,pool2,fc128;conv5x5x32,pool2,conv5x5x64,pool2,fc256")
    .split(";");
  const epochs = positiveInt("epochs", values.epochs, 2);
  const B = positiveInt("batch-size", values["batch-size"], 32);
  const train = await loadSplit("data", "train");
  console.log(
    `| architecture | batch | s/epoch (wall) | s/epoch (CPU) | examples/s (CPU) | GFLOP/s (CPU) | MFLOP/example |`,
  );
  console.log(`| --- | --- | --- | --- | --- | --- | --- |`);
  const profiles: string[] = [];
  for (const text of archs) {
    const net = new Sequential({ inputShape: [1, 28, 28], arch: parseArch(text), activation: "relu", classes: 10 })
      .init(new Random(0));
    const wall0 = performance.now(), cpu0 = cpuSeconds();
    SGD(net, train, { epochs, batchSize: B, lr: 0.01, optimizer: new Momentum(0.9), rng: new Random(0) });
    const wall = (performance.now() - wall0) / 1000 / epochs, cpu = (cpuSeconds() - cpu0) / epochs;
    const flops = 3 * net.forwardFlops;
    console.log(
      `| ${text} | ${B} | ${wall.toFixed(2)} | ${cpu.toFixed(2)} | ${(train.n / cpu).toFixed(0)} | ` +
        `${(flops * train.n / cpu / 1e9).toFixed(2)} | ${(flops / 1e6).toFixed(2)} |`,
    );
    profiles.push(profile(net, B, text));
  }
  console.log(profiles.join("\n"));
}

/** Each layer's share of the CPU time of 20 forward + backward passes over one batch of random images. */
function profile(net: Sequential, B: number, text: string): string {
  const rng = new Random(1);
  const x = Float32Array.from({ length: B * 784 }, () => (rng.uniform() < 0.8 ? 0 : rng.uniform()));
  const ins: Float32Array[] = [x];
  for (const layer of net.layers) ins.push(new Float32Array(B * shapeSize(layer.outShape)));
  const dxs = net.layers.map((layer) => new Float32Array(B * shapeSize(layer.inShape)));
  const dOuts = net.layers.map((layer) =>
    Float32Array.from({ length: B * shapeSize(layer.outShape) }, () => rng.normal())
  );
  const spent = net.layers.map(() => 0);
  for (let r = 0; r < 25; r++) {
    net.layers.forEach((layer, l) => {
      const t = cpuSeconds();
      layer.forward(ins[l + 1], ins[l], B, true);
      if (r >= 5) spent[l] += cpuSeconds() - t;
    });
    for (let l = net.layers.length - 1; l >= 0; l--) {
      const t = cpuSeconds();
      net.layers[l].backward(l === 0 ? null : dxs[l], dOuts[l], ins[l], ins[l + 1], B);
      if (r >= 5) spent[l] += cpuSeconds() - t;
    }
  }
  const total = spent.reduce((a, b) => a + b, 0);
  const rows = net.layers.map((layer, l) =>
    `| ${l} | ${layer.kind} | ${layer.outShape.join("×")} | ${(100 * spent[l] / total).toFixed(1)}% |`
  );
  return [
    `\n${text}, batch ${B}: share of a training step's CPU time per layer (forward + backward)\n`,
    "| layer | kind | output | share |",
    "| --- | --- | --- | --- |",
    ...rows,
  ].join("\n");
}

if (import.meta.main) await run(USAGE, main);
