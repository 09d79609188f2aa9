/**
 * The messages between the page and its training worker (`worker.ts`).
 *
 * page → worker: one {@linkcode TrainRequest}.
 * worker → page: `loading`, then one `epoch` message per epoch (epoch 0 is
 * the untrained network), then `done` with the model file's bytes, or `error`.
 *
 * @module
 */

/** What to train: the spec network unless the page says otherwise. */
export interface TrainRequest {
  type: "train";
  epochs: number;
  batchSize: number;
  lr: number;
  hidden: number[];
  seed: number;
}

/** The spec's training settings: 784-30-10, ReLU, batch 10, 30 epochs, lr 0.01. */
export const SPEC_TRAINING: Readonly<TrainRequest> = {
  type: "train",
  epochs: 30,
  batchSize: 10,
  lr: 0.01,
  hidden: [30],
  seed: 0,
};

/** Progress of one epoch (epoch 0: before training). */
export interface EpochMessage {
  type: "epoch";
  epoch: number;
  epochs: number;
  /** Mean minibatch loss of the epoch (epoch 0: the untrained network's mean loss on the training set). */
  loss: number;
  trainAccuracy: number;
  testAccuracy: number;
  /** Seconds of training in the epoch. */
  seconds: number;
  /** The number of training images (the server's data folder's). */
  trainExamples: number;
}

/** What the worker sends to the page. */
export type WorkerMessage =
  | { type: "loading" }
  | EpochMessage
  | { type: "done"; model: Uint8Array; trainSeconds: number }
  | { type: "error"; message: string };

/**
 * The number of epochs asked for by the page's address (`?epochs=N`, 1–1000),
 * or the spec's 30.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { epochsFromQuery } from "./protocol.ts";
 * assert.equal(epochsFromQuery("?epochs=3"), 3);
 * assert.equal(epochsFromQuery(""), 30);
 * assert.equal(epochsFromQuery("?epochs=-1"), 30);
 * ```
 */
export function epochsFromQuery(search: string): number {
  const value = new URLSearchParams(search).get("epochs");
  if (value === null || !/^\d+$/.test(value)) return SPEC_TRAINING.epochs;
  const n = Number(value);
  return n >= 1 && n <= 1000 ? n : SPEC_TRAINING.epochs;
}
