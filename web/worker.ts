/**
 * The page's training worker: trains a network with `lib/`'s SGD on the
 * dataset the server sends (`/data/train.bin`, `/data/test.bin`), off the
 * page's main thread so drawing stays responsive, and posts the progress of
 * every epoch and finally the model file's bytes (see `protocol.ts`).
 *
 * With the same settings and seed this is the computation of
 * `deno task train`: the same code, data and random numbers (the weights
 * agree to float32 rounding; browsers' `Math.exp` may differ in the last bit).
 *
 * @module
 */

/// <reference lib="webworker" />

import { PIXELS } from "../lib/data/dataset.ts";
import { evaluate } from "../lib/metrics.ts";
import { modelToBytes } from "../lib/io/model_file.ts";
import { Network } from "../lib/nn/network.ts";
import { Random } from "../lib/nn/random.ts";
import { SGD } from "../lib/nn/train.ts";
import { datasetFromBytes } from "./dataset_bytes.ts";
import type { TrainRequest, WorkerMessage } from "./protocol.ts";

declare const self: DedicatedWorkerGlobalScope;

function post(message: WorkerMessage, transfer: Transferable[] = []): void {
  self.postMessage(message, transfer);
}

async function fetchDataset(path: string) {
  const response = await fetch(path);
  if (!response.ok) throw new Error((await response.text()).trim() || `${path}: HTTP ${response.status}`);
  return datasetFromBytes(new Uint8Array(await response.arrayBuffer()));
}

async function train(request: TrainRequest): Promise<void> {
  post({ type: "loading" });
  const [trainSet, testSet] = await Promise.all([fetchDataset("data/train.bin"), fetchDataset("data/test.bin")]);
  const rng = new Random(request.seed);
  const net = new Network({ sizes: [PIXELS, ...request.hidden, 10], activations: "relu" }).init(rng);
  const report = (epoch: number, loss: number, seconds: number) => {
    post({
      type: "epoch",
      epoch,
      epochs: request.epochs,
      loss,
      trainAccuracy: evaluate(net, trainSet).accuracy,
      testAccuracy: evaluate(net, testSet).accuracy,
      seconds,
      trainExamples: trainSet.n,
    });
  };
  report(0, evaluate(net, trainSet).loss, 0);
  const history = SGD(net, trainSet, {
    epochs: request.epochs,
    batchSize: request.batchSize,
    lr: request.lr,
    rng,
    onEpoch: (stats) => report(stats.epoch, stats.loss, stats.seconds),
  });
  const model = modelToBytes(net, {
    epochs: String(request.epochs),
    batch_size: String(request.batchSize),
    lr: String(request.lr),
    hidden: request.hidden.join(","),
    optimizer: "sgd",
    seed: String(request.seed),
    train_examples: String(trainSet.n),
    trained_in: "browser",
  });
  const trainSeconds = history.reduce((sum, stats) => sum + stats.seconds, 0);
  post({ type: "done", model, trainSeconds }, [model.buffer]);
}

self.onmessage = (event: MessageEvent<TrainRequest>) => {
  if (event.data?.type !== "train") return;
  train(event.data).catch((error) => {
    post({ type: "error", message: error instanceof Error ? error.message : String(error) });
  });
};
