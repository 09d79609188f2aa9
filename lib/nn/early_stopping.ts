/**
 * Early stopping: watch the validation set after every epoch, keep a copy of
 * the best weights seen so far, and stop when they have not improved for
 * `patience` epochs.
 *
 * "Best" means the highest validation accuracy, and among equal accuracies the
 * lowest validation loss (with ~100 validation images, accuracy moves in 1%
 * steps and ties are common; the loss breaks them smoothly). At the end,
 * {@linkcode EarlyStopping.restore} puts the best weights back, so the saved
 * model is the one the validation set chose, never one the test set chose.
 *
 * Plugs into `SGD`'s `onEpoch` hook: return what {@linkcode EarlyStopping.update}
 * returns.
 *
 * @module
 */

import type { Classifier } from "./classifier.ts";
import type { Floats } from "./tensor.ts";

/**
 * Tracks the best epoch and its weights.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { EarlyStopping } from "./early_stopping.ts";
 * import { Network } from "./network.ts";
 * import { Random } from "./random.ts";
 * const net = new Network({ sizes: [2, 2], activations: [] }).init(new Random(0));
 * const stopper = new EarlyStopping(2);
 * assert.equal(stopper.update(1, 0.9, 0.3, net), undefined); // best so far
 * assert.equal(stopper.update(2, 0.8, 0.4, net), undefined); // 1 epoch without improvement
 * assert.equal(stopper.update(3, 0.8, 0.4, net), "stop"); // 2: patience used up
 * assert.equal(stopper.bestEpoch, 1);
 * ```
 */
export class EarlyStopping {
  /** The 1-based epoch of the best weights (0 before the first update). */
  bestEpoch = 0;
  /** Validation accuracy of the best weights. */
  bestAccuracy: number = -Infinity;
  /** Validation loss of the best weights. */
  bestLoss: number = Infinity;
  #snapshot: Floats[] = [];

  /** Stops after `patience` epochs without improvement; 0 never stops (but still keeps the best weights). */
  constructor(readonly patience = 0) {
    if (!(Number.isInteger(patience) && patience >= 0)) {
      throw new RangeError(`patience must be a whole number ≥ 0, got ${patience}`);
    }
  }

  /**
   * Records one epoch's validation accuracy and loss; copies the network's
   * parameters when they are the best so far. Returns `"stop"` once
   * `patience` epochs in a row brought no improvement.
   */
  update(epoch: number, accuracy: number, loss: number, net: Classifier): "stop" | undefined {
    if (accuracy > this.bestAccuracy || (accuracy === this.bestAccuracy && loss < this.bestLoss)) {
      this.bestEpoch = epoch;
      this.bestAccuracy = accuracy;
      this.bestLoss = loss;
      const params = net.parameters();
      if (this.#snapshot.length !== params.length) this.#snapshot = params.map((p) => p.value.slice());
      else params.forEach((p, t) => this.#snapshot[t].set(p.value));
      return undefined;
    }
    return this.patience > 0 && epoch - this.bestEpoch >= this.patience ? "stop" : undefined;
  }

  /** Copies the best weights back into `net` (the same network that was updated). */
  restore(net: Classifier): void {
    if (this.bestEpoch === 0) throw new Error("no epoch has been recorded yet");
    net.parameters().forEach((p, t) => p.value.set(this.#snapshot[t]));
  }
}
