/**
 * `deno task bench:conv`: how fast a convolutional network trains on the
 * seed's 1000 images, on the `simd-cnn` path (im2col + the WebAssembly SIMD
 * matrix products, `lib/kernels/simd_cnn.ts`; the default) or on the general
 * path in TypeScript (`--path dense`: im2col + the plain loops of
 * `lib/nn/matmul.ts`).
 *
 *   deno task bench:conv [--arch LIST[;LIST…]] [--epochs N] [--batch-size N] [--path auto|dense] [--threads N]
 *
 * Prints, per architecture: seconds per epoch (wall clock and this process's
 * CPU time, all threads), examples per second, the effective GFLOP/s: 3 × the
 * forward pass's flops (forward, ∂L/∂W and ∂L/∂x each cost about one forward
 * pass) × examples ÷ seconds, and what an epoch of the full MNIST's 60,000
 * images would take at that rate. The first epoch (set-up: worker threads,
 * WebAssembly compilation) is run but not counted. With `--path dense`, then
 * the share of each layer in a training step. CPU time is the fairer figure
 * on a shared machine: it does not count the time the process waited for a
 * core (but with threads it adds up the cores).
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
import { chooseStep } from "../lib/nn/step.ts";
import { oneOf, parseFlags, positiveInt, run, threadsFlag, UsageError, wantsHelp } from "../cli/common.ts";
import { InputError } from "../lib/errors.ts";

/** The architectures timed when --arch is not given: the cnn preset's, then the --arch example of train's --help. */
const DEFAULT_ARCHS = ["conv5x5x16,pool2,conv5x5x32,pool2,fc128", "conv5x5x32,pool2,conv5x5x64,pool2,fc256"];

const USAGE =
  `Usage: deno task bench:conv [--arch LIST[;LIST…]] [--epochs N] [--batch-size N] [--path auto|dense] [--threads N]

Trains each architecture for 1 + N epochs on the 1000 images of data/ and prints, over the last N (the first, with
its set-up, is not counted), seconds per epoch, examples/s, effective GFLOP/s and the estimate for a 60,000-image
epoch.

  --arch LIST[;LIST…]  the architectures to time, separated by ";", each a layer list as for deno task train --arch
                       (default: ${DEFAULT_ARCHS[0]}, the cnn preset's network, and
                       ${DEFAULT_ARCHS[1]}, a larger one: the --arch example of
                       deno task train --help)
  --epochs N           epochs timed, after the first (default: 2)
  --batch-size N       examples per minibatch (default: 32)
  --path auto|dense    auto (default): the simd-cnn path (im2col + WebAssembly SIMD); dense: the general path in
                       TypeScript, then each layer's share of a training step
  --threads N          threads computing each step on the simd-cnn path, up to the number of cores (default: 1)
  -h, --help           this text`;

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
    path: { type: "string" },
    threads: { type: "string" },
  });
  const path = oneOf("path", values.path, ["auto", "dense"] as const, "auto");
  const threads = threadsFlag(values.threads, 1); // at most the cores, as for train
  const archs = values.arch === undefined ? DEFAULT_ARCHS : values.arch.split(";");
  archs.forEach((text, i) => {
    // every entry, before any work
    if (text.trim() === "") {
      throw new UsageError(`--arch: architecture ${i + 1} of "${values.arch}" is empty; separate them with one ";"`);
    }
    checkArch(text);
  });
  const epochs = positiveInt("epochs", values.epochs, 2);
  const B = positiveInt("batch-size", values["batch-size"], 32);
  const train = await loadSplit("data", "train");
  console.log(
    `| architecture | path | threads | batch | s/epoch (wall) | s/epoch (CPU) | examples/s (CPU) | GFLOP/s (CPU) | ` +
      `GFLOP/s (wall) | 60k-image epoch (s, CPU) | 60k-image epoch (s, wall) | MFLOP/example |`,
  );
  console.log(`| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |`);
  const profiles: string[] = [];
  for (const text of archs) {
    const net = new Sequential({ inputShape: [1, 28, 28], arch: parseArch(text), activation: "relu", classes: 10 })
      .init(new Random(0));
    // epoch 1 (set-up and warm-up) is not counted: the clocks start when it ends
    let wall0 = 0, cpu0 = 0;
    const probe = chooseStep(net, train, {
      batchSize: B,
      optimizer: new Momentum(0.9),
      rng: new Random(0),
      path,
      threads,
    });
    const strategy = probe.name;
    probe.close?.();
    SGD(net, train, {
      epochs: epochs + 1,
      batchSize: B,
      lr: 0.01,
      optimizer: new Momentum(0.9),
      rng: new Random(0),
      path,
      threads,
      onEpoch: (stats) => {
        if (stats.epoch === 1) (wall0 = performance.now()), (cpu0 = cpuSeconds());
      },
    });
    const wall = (performance.now() - wall0) / 1000 / epochs, cpu = (cpuSeconds() - cpu0) / epochs;
    const flops = 3 * net.forwardFlops, full = 60000 / train.n;
    console.log(
      `| ${text} | ${strategy} | ${threads} | ${B} | ${wall.toFixed(3)} | ${cpu.toFixed(3)} | ` +
        `${(train.n / cpu).toFixed(0)} | ${(flops * train.n / cpu / 1e9).toFixed(2)} | ` +
        `${(flops * train.n / wall / 1e9).toFixed(2)} | ${(cpu * full).toFixed(1)} | ${(wall * full).toFixed(1)} | ` +
        `${(flops / 1e6).toFixed(2)} |`,
    );
    if (path === "dense") profiles.push(profile(net, B, text));
  }
  console.log(profiles.join("\n"));
}

/** Refuses, as a usage error naming the bad item, an --arch entry that is malformed or does not fit 28×28 images. */
function checkArch(text: string): void {
  try {
    new Sequential({ inputShape: [1, 28, 28], arch: parseArch(text), activation: "relu", classes: 10 });
  } catch (error) {
    if (error instanceof InputError) throw new UsageError(error.message);
    throw error;
  }
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
