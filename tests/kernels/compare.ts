/**
 * Comparing two trained networks of the same shape, for the tests that check
 * a fast path against the TypeScript general path.
 *
 * @module
 */

import type { Classifier } from "../../lib/nn/classifier.ts";

/**
 * The largest relative difference between two networks' parameters,
 * max |a − b| / (floor + |b|) over every value: `floor` keeps values near 0
 * from turning float rounding into a large relative error.
 */
export function worstRelativeDifference(a: Classifier, b: Classifier, floor: number): number {
  let worst = 0;
  a.parameters().forEach((p, t) => {
    const q = b.parameters()[t].value;
    for (let k = 0; k < p.value.length; k++) {
      worst = Math.max(worst, Math.abs(p.value[k] - q[k]) / (floor + Math.abs(q[k])));
    }
  });
  return worst;
}
