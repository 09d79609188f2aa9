/**
 * `deno task train`: trains a network on a dataset folder and saves it.
 *
 * @module
 */

import { loadSplit } from "../lib/data.ts";
import { PIXELS } from "../lib/dataset.ts";
import { evaluate } from "../lib/metrics.ts";
import { saveModel } from "../lib/model_file.ts";
import { Network } from "../lib/network.ts";
import { Random } from "../lib/random.ts";
import { SGD } from "../lib/train.ts";
import { ACTIVATIONS } from "../lib/activations.ts";
import { oneOf, parseFlags, positiveInt, positiveNumber, run, UsageError, wantsHelp } from "./common.ts";
import { Progress } from "./progress.ts";

const USAGE = `Usage: deno task train [flags]

Trains a 784-…-10 network by minibatch SGD and saves it as safetensors.

  --data DIR          dataset folder (default: data)
  --epochs N          passes over the training set (default: 30)
  --batch-size N      examples per minibatch (default: 10)
  --lr X              learning rate (default: 0.01)
  --hidden N[,N…]     hidden layer sizes (default: 30)
  --activation NAME   relu, tanh or sigmoid (default: relu)
  --seed N            random seed for weights and shuffling (default: 0)
  --out FILE          model file to write (default: models/mlp.safetensors)
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
  json: boolean;
}

/** Reads the flags; a bad one is a {@linkcode UsageError}. */
export function parseTrainArgs(args: string[]): TrainConfig {
  const { values } = parseFlags(args, {
    data: { type: "string" },
    epochs: { type: "string" },
    "batch-size": { type: "string" },
    lr: { type: "string" },
    hidden: { type: "string" },
    activation: { type: "string" },
    seed: { type: "string" },
    out: { type: "string" },
    json: { type: "boolean" },
  });
  const seed = values.seed === undefined ? 0 : Number(values.seed);
  if (!Number.isSafeInteger(seed) || seed < 0 || values.seed?.trim() === "") {
    throw new UsageError(`--seed must be a whole number ≥ 0, got "${values.seed}"`);
  }
  return {
    data: values.data ?? "data",
    epochs: positiveInt("epochs", values.epochs, 30),
    batchSize: positiveInt("batch-size", values["batch-size"], 10),
    lr: positiveNumber("lr", values.lr, 0.01),
    hidden: parseHidden(values.hidden ?? "30"),
    activation: oneOf("activation", values.activation, ACTIVATIONS, "relu"),
    seed,
    out: values.out ?? "models/mlp.safetensors",
    json: values.json ?? false,
  };
}

function parseHidden(text: string): number[] {
  const sizes = text.split(",").map((part) => positiveInt("hidden", part.trim() === "" ? "" : part, 0));
  return sizes;
}

function percent(x: number): string {
  return `${(100 * x).toFixed(2)}%`;
}

async function main(): Promise<void> {
  if (wantsHelp(Deno.args)) return console.log(USAGE);
  const config = parseTrainArgs(Deno.args);
  const { state } = await Deno.permissions.query({ name: "write", path: config.out });
  if (state !== "granted") {
    throw new UsageError(
      `--out ${config.out} is outside the folders this task may write (models/, reports/); choose a path inside models/`,
    );
  }
  const train = await loadSplit(config.data, "train");
  const test = await loadSplit(config.data, "test");
  const sizes = [PIXELS, ...config.hidden, 10];
  const rng = new Random(config.seed);
  const net = new Network({ sizes, activations: config.activation }).init(rng);
  const log = config.json ? console.error : console.log;
  log(
    `training ${sizes.join("-")} (${config.activation}) on ${train.n} images, testing on ${test.n}: ` +
      `${config.epochs} epochs, batch ${config.batchSize}, lr ${config.lr}, seed ${config.seed}`,
  );
  const progress = new Progress();
  let trainSeconds = 0;
  let last = { trainAccuracy: NaN, testAccuracy: NaN, loss: NaN };
  SGD(net, train, {
    epochs: config.epochs,
    batchSize: config.batchSize,
    lr: config.lr,
    rng,
    onBatch: (done, total) => progress.update(done, total),
    onEpoch: (stats) => {
      progress.clear();
      trainSeconds += stats.seconds;
      last = {
        trainAccuracy: evaluate(net, train).accuracy,
        testAccuracy: evaluate(net, test).accuracy,
        loss: stats.loss,
      };
      log(
        `epoch ${String(stats.epoch).padStart(String(config.epochs).length)}/${config.epochs}  ` +
          `loss ${stats.loss.toFixed(4)}  train ${percent(last.trainAccuracy)}  test ${percent(last.testAccuracy)}  ` +
          `${stats.seconds.toFixed(3)} s`,
      );
    },
  });
  await saveModel(config.out, net, {
    epochs: String(config.epochs),
    batch_size: String(config.batchSize),
    lr: String(config.lr),
    hidden: config.hidden.join(","),
    optimizer: "sgd",
    seed: String(config.seed),
    train_examples: String(train.n),
  });
  log(
    `done: test accuracy ${percent(last.testAccuracy)}, train accuracy ${percent(last.trainAccuracy)}, ` +
      `${trainSeconds.toFixed(3)} s of training; model written to ${config.out}`,
  );
  if (config.json) {
    console.log(JSON.stringify({
      test_accuracy: last.testAccuracy,
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
    }));
  }
}

if (import.meta.main) await run(USAGE, main);
