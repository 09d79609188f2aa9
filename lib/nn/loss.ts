/**
 * Softmax output with the cross-entropy loss, and their fused gradient.
 *
 * For one example with logits z (C numbers) and true class y:
 *
 *   pₖ = e^(zₖ − m) / Σⱼ e^(zⱼ − m),  with m = maxⱼ zⱼ
 *   L  = −ln p_y
 *   ∂L/∂zₖ = pₖ − [k = y]
 *
 * Subtracting m changes nothing mathematically (it cancels between numerator
 * and denominator) but keeps every exponent ≤ 0, so e^(…) never overflows,
 * even for logits of ±1000. For a batch of B examples the loss is the mean,
 * so each row's gradient is divided by B.
 *
 * Shapes: logits, probs, dLogits are [B, C] row-major; labels is [B].
 *
 * @module
 */

import type { Floats } from "./tensor.ts";

/**
 * probs[b, :] = softmax(logits[b, :]) for each of B rows of C values.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { softmaxForward } from "./loss.ts";
 * const p = new Float64Array(2);
 * softmaxForward(p, new Float64Array([1000, 1000]), 1, 2);
 * assert.deepEqual([...p], [0.5, 0.5]); // no overflow
 * ```
 */
export function softmaxForward(probs: Floats, logits: Floats, B: number, C: number): void {
  for (let b = 0; b < B; b++) {
    const row = b * C;
    let max = -Infinity;
    for (let k = 0; k < C; k++) if (logits[row + k] > max) max = logits[row + k];
    let sum = 0;
    for (let k = 0; k < C; k++) {
      const e = Math.exp(logits[row + k] - max);
      probs[row + k] = e;
      sum += e;
    }
    const inv = 1 / sum;
    for (let k = 0; k < C; k++) probs[row + k] *= inv;
  }
}

/**
 * The mean cross-entropy (1/B) Σ_b −ln probs[b, labels[b]].
 *
 * A probability that rounded to 0 gives +Infinity (in float32 once the true
 * class trails by ≈ 103 in the logits). Training uses this loss and treats a
 * non-finite one as divergence; `evaluate` uses
 * {@linkcode crossEntropyFromLogits}, which does not round.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { crossEntropyLoss } from "./loss.ts";
 * // two examples of two classes: p_y = 0.5 for the first, 1 for the second
 * const probs = new Float64Array([0.5, 0.5, 1, 0]);
 * assert.equal(crossEntropyLoss(probs, [1, 0], 2, 2), Math.LN2 / 2); // (−ln 0.5 − ln 1) / 2
 * assert.equal(crossEntropyLoss(probs, [1, 1], 2, 2), Infinity); // p_y = 0 for the second: −ln 0
 * ```
 */
export function crossEntropyLoss(probs: Floats, labels: ArrayLike<number>, B: number, C: number): number {
  let total = 0;
  for (let b = 0; b < B; b++) total -= Math.log(probs[b * C + labels[b]]);
  return total / B;
}

/**
 * The mean cross-entropy computed from the logits, in float64, as
 * −log-softmax: (1/B) Σ_b (m_b + ln Σⱼ e^(z_bj − m_b) − z_b,y), m_b = maxⱼ z_bj.
 * Unlike {@linkcode crossEntropyLoss} on stored probabilities, it stays finite
 * when the true class trails by far (a float32 probability rounds to 0 once it
 * trails by ≈ 103, float64 by ≈ 745): a confidently wrong answer is a large
 * loss, not +∞. NaN or infinite logits still give NaN or +∞.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { crossEntropyFromLogits } from "./loss.ts";
 * assert.ok(Math.abs(crossEntropyFromLogits(new Float32Array([0, 0]), [1], 1, 2) - Math.LN2) < 1e-15);
 * assert.equal(crossEntropyFromLogits(new Float32Array([200, 0]), [1], 1, 2), 200); // e^-200 underflows float32
 * ```
 */
export function crossEntropyFromLogits(logits: Floats, labels: ArrayLike<number>, B: number, C: number): number {
  let total = 0;
  for (let b = 0; b < B; b++) {
    const row = b * C;
    let max = -Infinity;
    for (let k = 0; k < C; k++) if (logits[row + k] > max) max = logits[row + k];
    let sum = 0;
    for (let k = 0; k < C; k++) sum += Math.exp(logits[row + k] - max);
    total += max + Math.log(sum) - logits[row + labels[b]];
  }
  return total / B;
}

/**
 * The fused gradient of mean cross-entropy through softmax:
 * dLogits[b, k] = (probs[b, k] − [k = labels[b]]) / B.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { softmaxCrossEntropyBackward } from "./loss.ts";
 * const d = new Float64Array(3);
 * softmaxCrossEntropyBackward(d, new Float64Array([0.2, 0.5, 0.3]), [1], 1, 3);
 * assert.deepEqual([...d], [0.2, -0.5, 0.3]); // p − y
 * ```
 */
export function softmaxCrossEntropyBackward(
  dLogits: Floats,
  probs: Floats,
  labels: ArrayLike<number>,
  B: number,
  C: number,
): void {
  const scale = 1 / B;
  for (let b = 0; b < B; b++) {
    const row = b * C;
    for (let k = 0; k < C; k++) dLogits[row + k] = probs[row + k] * scale;
    dLogits[row + labels[b]] -= scale;
  }
}
