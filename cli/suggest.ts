/**
 * "Did you mean …?" for a mistyped flag: the nearest name by edit distance.
 * It imports nothing, so that scripts which must not load the library
 * (`bench/build_wasm.ts`, which regenerates files the library imports) can
 * use it too.
 *
 * @module
 */

/**
 * The name within `maxEdits` edits of `name` (the closest; the first of
 * equally close ones), if there is one.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { closestName } from "./suggest.ts";
 * assert.equal(closestName("epoch", ["epochs", "lr", "seed"]), "epochs");
 * assert.equal(closestName("hlep", ["help"]), "help");
 * assert.equal(closestName("zzz", ["epochs", "lr"]), undefined);
 * ```
 */
export function closestName(name: string, names: readonly string[], maxEdits = 2): string | undefined {
  let best: string | undefined, bestDistance = maxEdits + 1;
  for (const candidate of names) {
    const d = editDistance(name, candidate);
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return best;
}

/**
 * Levenshtein distance: insertions, deletions and substitutions.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { editDistance } from "./suggest.ts";
 * assert.equal(editDistance("splitz", "splits"), 1);
 * ```
 */
export function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      next[j] = Math.min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    row = next;
  }
  return row[b.length];
}
