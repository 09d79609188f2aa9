/**
 * Learning-rate schedules: the rate η as a function of the epoch.
 *
 * For a base rate η₀, T epochs, the 0-based epoch e and W warm-up epochs:
 *
 * | schedule   | η(e) after the warm-up                                           |
 * |------------|------------------------------------------------------------------|
 * | `constant` | η₀                                                               |
 * | `step`     | η₀, then η₀/10 from epoch ⌊T/2⌋, then η₀/100 from epoch ⌊3T/4⌋   |
 * | `cosine`   | η₀ · ½ (1 + cos(π (e − W) / (T − W)))                            |
 *
 * During the warm-up (e < W) the rate climbs linearly, η(e) = η₀ (e + 1) / W,
 * which keeps the first, large gradients of a fresh network from throwing
 * the weights far away. The cosine schedule lowers the rate smoothly to near
 * zero, so the last epochs settle into a minimum instead of jumping around it.
 *
 * The result plugs into `SGD`'s `lr` option.
 *
 * @module
 */

/** The schedules offered on the command line. */
export type ScheduleName = "constant" | "step" | "cosine";

/** The names accepted by {@linkcode makeSchedule}. */
export const SCHEDULES: readonly ScheduleName[] = ["constant", "step", "cosine"];

/** A learning rate for each 0-based epoch. */
export type Schedule = (epoch: number) => number;

/**
 * The schedule `name` for base rate `lr` over `epochs` epochs, with `warmup`
 * epochs of linear warm-up first.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { makeSchedule } from "./schedule.ts";
 * const eta = makeSchedule("cosine", 0.1, 10);
 * assert.equal(eta(0), 0.1);
 * assert.ok(Math.abs(eta(5) - 0.05) < 1e-12);
 * ```
 */
export function makeSchedule(name: ScheduleName, lr: number, epochs: number, warmup = 0): Schedule {
  if (!(lr > 0 && Number.isFinite(lr))) throw new RangeError(`the learning rate must be > 0, got ${lr}`);
  if (!(Number.isInteger(epochs) && epochs >= 1)) throw new RangeError(`epochs must be ≥ 1, got ${epochs}`);
  if (!(Number.isInteger(warmup) && warmup >= 0 && warmup < epochs)) {
    throw new RangeError(`warm-up epochs must be a whole number from 0 to ${epochs - 1}, got ${warmup}`);
  }
  if (name !== "constant" && name !== "step" && name !== "cosine") {
    throw new RangeError(`no schedule is called ${JSON.stringify(name)}: constant, step or cosine`);
  }
  const span = epochs - warmup;
  const after: Schedule = name === "constant"
    ? () => lr
    : name === "step"
    ? (e) => (e >= Math.floor((3 * epochs) / 4) ? lr / 100 : e >= Math.floor(epochs / 2) ? lr / 10 : lr)
    : (e) => 0.5 * lr * (1 + Math.cos((Math.PI * (e - warmup)) / span));
  return (e) => (e < warmup ? (lr * (e + 1)) / warmup : after(e));
}
