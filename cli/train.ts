/**
 * `deno task train`: trains a network on a dataset folder and saves it.
 *
 * @module
 */

import { loadSplit } from "../lib/data/load.ts";
import { PIXELS, subset } from "../lib/data/dataset.ts";
import { cleanTestIndices } from "../lib/data/audit.ts";
import { type EpochRecord, writeReport } from "../lib/report.ts";
import { evaluate } from "../lib/metrics.ts";
import { saveModel } from "../lib/io/model_file.ts";
import { isFolder } from "../lib/io/atomic_write.ts";
import { Network } from "../lib/nn/network.ts";
import { Random } from "../lib/nn/random.ts";
import { SGD } from "../lib/nn/train.ts";
import { ACTIVATIONS } from "../lib/nn/activations.ts";
import {
  nonNegativeInt,
  oneOf,
  parseFlags,
  positiveInt,
  positiveNumber,
  run,
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
  splitForValidation,
  trainingHooks,
  withPreset,
} from "./recipe.ts";

const USAGE = `Usage: deno task train [flags]

Trains a 784-…-10 network by minibatch SGD and saves it as safetensors.

  --data DIR          dataset folder (default: data)
  --epochs N          passes over the training set (default: 30)
  --batch-size N      examples per minibatch (default: 10)
  --lr X              learning rate (default: 0.01)
  --hidden N[,N…]     hidden layer sizes (default: 30)
  --activation NAME   relu, tanh or sigmoid (default: relu)
${RECIPE_USAGE}
  --seed N            random seed for weights and shuffling, 0 to 4294967295 (default: 0)
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
  activation: (typeof ACTIVATIONS)[number];
  seed: number;
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
    activation: { type: "string" },
    seed: { type: "string" },
    out: { type: "string" },
    report: { type: "string" },
    json: { type: "boolean" },
    ...RECIPE_FLAGS,
  });
  const values = withPreset(given);
  const epochs = positiveInt("epochs", values.epochs, 30);
  return {
    data: values.data ?? "data",
    epochs,
    batchSize: positiveInt("batch-size", values["batch-size"], 10),
    lr: positiveNumber("lr", values.lr, 0.01),
    hidden: parseHidden(values.hidden ?? "30"),
    activation: oneOf("activation", values.activation, ACTIVATIONS, "relu"),
    seed: seed32(values.seed),
    out: values.out ?? "models/mlp.safetensors",
    report: values.report ?? null,
    json: values.json ?? false,
    recipe: parseRecipe(values, epochs),
  };
}

/** The largest seed: the generator is seeded with 32 bits, so larger seeds would repeat smaller ones. */
const MAX_SEED = 2 ** 32 - 1;

function seed32(text: string | undefined): number {
  const seed = nonNegativeInt("seed", text, 0);
  if (seed > MAX_SEED) throw new UsageError(`--seed must be at most ${MAX_SEED} (32 bits), got "${text}"`);
  return seed;
}

function parseHidden(text: string): number[] {
  return text.split(",").map((part) => positiveInt("hidden", part, 0));
}

/** Refuses, before any work, a path the task's --allow-write does not cover. */
async function requireWritable(flag: string, path: string, advice: string): Promise<void> {
  const { state } = await Deno.permissions.query({ name: "write", path: path || "." });
  if (path === "" || state !== "granted") {
    throw new UsageError(
      `--${flag} ${path} is outside the folders this task may write (models/, reports/); ${advice}`,
    );
  }
}

/** `mlp.safetensors` inside the folder `dir`, as a suggestion. */
function modelFileIn(dir: string): string {
  return `${dir.replace(/\/+$/, "")}/mlp.safetensors`;
}

function percent(x: number): string {
  return `${(100 * x).toFixed(2)}%`;
}

async function main(): Promise<void> {
  if (wantsHelp(Deno.args)) return console.log(USAGE);
  const config = parseTrainArgs(Deno.args);
  await requireWritable("out", config.out, "choose a path inside models/");
  if (await isFolder(config.out)) {
    throw new UsageError(`--out ${config.out} is a folder; name the model file, e.g. ${modelFileIn(config.out)}`);
  }
  if (config.report !== null) await requireWritable("report", config.report, "choose a folder inside reports/");
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

/** Loads the data, trains and writes the model (and report); `setStage` says where an interruption would stop it. */
async function train(
  config: TrainConfig,
  progress: Progress,
  interrupt: Interrupt,
  setStage: (text: string) => void,
): Promise<void> {
  const trainFiles = await loadSplit(config.data, "train");
  const { train, validation } = splitForValidation(trainFiles, config.recipe, config.seed);
  const test = await loadSplit(config.data, "test");
  // "clean" test images: those that do not also appear in the training files
  const cleanTest = subset(test, cleanTestIndices(trainFiles, test));
  const records: EpochRecord[] = [];
  const sizes = [PIXELS, ...config.hidden, 10];
  const rng = new Random(config.seed);
  const net = new Network({ sizes, activations: config.activation }).init(rng);
  const log = config.json ? console.error : console.log;
  log(
    `training ${sizes.join("-")} (${config.activation}) on ${train.n} images, testing on ${test.n}: ` +
      `${config.epochs} epochs, batch ${config.batchSize}, lr ${config.lr}, seed ${config.seed}`,
  );
  if (config.batchSize >= train.n) {
    log(`note: batch ${config.batchSize} holds the whole training set (full-batch training)`);
  }
  const { recipe } = config;
  if (recipe.preset !== "none" || recipe.optimizer !== "sgd" || recipe.augment.kind !== "none" || validation) {
    log(
      `recipe${recipe.preset === "none" ? "" : ` (preset ${recipe.preset})`}: ${recipe.optimizer}, ` +
        `weight decay ${recipe.weightDecay}, ${recipe.schedule} schedule, augment ${recipe.augment.kind}` +
        (validation ? `, ${validation.n} validation images held out` : ""),
    );
  }
  const stopper = new EarlyStopping(recipe.patience);
  setStage(`in epoch 1 of ${config.epochs}; no model written`);
  let trainSeconds = 0;
  let last = { trainAccuracy: NaN, testAccuracy: NaN, loss: NaN };
  let testResult: ReturnType<typeof evaluate> | null = null; // the latest evaluation on the test set
  const history = SGD(net, train, {
    epochs: config.epochs,
    batchSize: config.batchSize,
    ...trainingHooks(recipe, config.lr, config.epochs),
    rng,
    onBatch: (done, total) => {
      interrupt.check();
      progress.update(done, total);
    },
    onEpoch: (stats) => {
      setStage(`after epoch ${stats.epoch} of ${config.epochs}; no model written`);
      progress.clear();
      trainSeconds += stats.seconds;
      testResult = evaluate(net, test);
      last = { trainAccuracy: evaluate(net, train).accuracy, testAccuracy: testResult.accuracy, loss: stats.loss };
      records.push({ ...last, epoch: stats.epoch, lr: stats.lr, seconds: stats.seconds });
      const checked = validation && evaluate(net, validation);
      log(
        `epoch ${String(stats.epoch).padStart(String(config.epochs).length)}/${config.epochs}  ` +
          `loss ${stats.loss.toFixed(4)}  train ${percent(last.trainAccuracy)}  test ${percent(last.testAccuracy)}  ` +
          (checked ? `val ${percent(checked.accuracy)}  ` : "") + `${stats.seconds.toFixed(3)} s`,
      );
      // the validation set, never the test set, chooses the epoch whose weights are kept
      return checked ? stopper.update(stats.epoch, checked.accuracy, checked.loss, net) : undefined;
    },
  });
  if (validation) {
    stopper.restore(net);
    testResult = evaluate(net, test);
    // every figure from here on describes the kept weights, the loss included
    const kept = records[stopper.bestEpoch - 1];
    last = { trainAccuracy: evaluate(net, train).accuracy, testAccuracy: testResult.accuracy, loss: kept.loss };
    log(
      `kept the weights of epoch ${stopper.bestEpoch} (best validation accuracy ${percent(stopper.bestAccuracy)})` +
        (history.length < config.epochs ? `; stopped after ${history.length} epochs` : ""),
    );
  }
  const chosen: Record<string, string> = validation
    ? {
      best_epoch: String(stopper.bestEpoch),
      validation_accuracy: String(stopper.bestAccuracy),
      validation_examples: String(validation.n),
    }
    : {};
  interrupt.check();
  await interrupt.critical(() =>
    saveModel(config.out, net, {
      epochs: String(config.epochs),
      batch_size: String(config.batchSize),
      lr: String(config.lr),
      hidden: config.hidden.join(","),
      seed: String(config.seed),
      train_examples: String(train.n),
      epochs_run: String(history.length),
      ...recipeMetadata(recipe),
      ...chosen,
    })
  );
  setStage(`after writing the model to ${config.out}`);
  const cleanAccuracy = cleanTest.n > 0 ? evaluate(net, cleanTest).accuracy : NaN;
  const cleanText = `clean test accuracy ${percent(cleanAccuracy)} on the ${cleanTest.n} of ${test.n} test images ` +
    `not in the training files`;
  log(
    `done: test accuracy ${percent(last.testAccuracy)}, train accuracy ${percent(last.trainAccuracy)}, ` +
      `${trainSeconds.toFixed(3)} s of training; model written to ${config.out}`,
  );
  log(`      ${cleanText}`);
  if (config.report !== null) {
    const report = config.report;
    const files = await interrupt.critical(() =>
      writeReport(report, {
        title: `${sizes.join("-")} (${config.activation}), batch ${config.batchSize}, lr ${config.lr}, ` +
          `${history.length} epochs, seed ${config.seed}` +
          (recipe.preset === "none" ? "" : `, preset ${recipe.preset}`),
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
          `data: ${config.data}; model: ${config.out}`,
        ],
        epochs: records,
        confusion: (testResult ?? evaluate(net, test)).confusion,
        keptEpoch: validation ? stopper.bestEpoch : undefined,
      })
    );
    log(`report written: ${files.join(", ")}`);
  }
  if (config.json) {
    console.log(JSON.stringify({
      test_accuracy: last.testAccuracy,
      clean_test_accuracy: cleanTest.n > 0 ? cleanAccuracy : null,
      clean_test_n: cleanTest.n,
      train_accuracy: last.trainAccuracy,
      loss: last.loss,
      train_seconds: trainSeconds,
      epochs: config.epochs,
      batch_size: config.batchSize,
      lr: config.lr,
      hidden: config.hidden,
      activation: config.activation,
      seed: config.seed,
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
      epochs_run: history.length,
    }));
  }
}

if (import.meta.main) await run(USAGE, main);
