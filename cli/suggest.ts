/**
 * "Did you mean …?" for a mistyped flag: a name other tools use for the same
 * thing (`--learning-rate` for `--lr`; only where it means that one thing), the one flag it begins (`--batch`
 * for `--batch-size`), or the nearest name by edit distance. It imports
 * nothing, so that scripts which must not load the library
 * (`bench/build_wasm.ts`, which regenerates files the library imports) can
 * use it too.
 *
 * @module
 */

/** Names other tools (PyTorch, Keras, Nielsen's network.py, …) give the same settings; each group's first is ours. */
const SYNONYMS: readonly (readonly string[])[] = [
  ["lr", "learning-rate", "rate", "eta"],
  ["batch-size", "batch", "bs", "batchsize", "mini-batch-size", "minibatch"],
  ["epochs", "epoch", "n-epochs"],
  ["out", "output", "save"],
  ["hidden", "hidden-size", "units", "neurons"],
  ["data", "dataset", "data-dir"],
  ["threads", "workers", "jobs", "cores"],
];

/**
 * The name in `names` that `name` most likely meant: the same setting under
 * another common name, else the only name that `name` begins, else the
 * closest within `maxEdits` edits (one for names of three letters or less;
 * the first of equally close ones); undefined if none. Underscores count as
 * hyphens.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { closestName } from "./suggest.ts";
 * const flags = ["epochs", "batch-size", "lr", "arch", "data", "out", "seed"];
 * assert.equal(closestName("epoch", flags), "epochs");
 * assert.equal(closestName("batch", flags), "batch-size");
 * assert.equal(closestName("learning_rate", flags), "lr");
 * assert.equal(closestName("hlep", ["help"]), "help");
 * assert.equal(closestName("zzz", flags), undefined);
 * ```
 */
export function closestName(name: string, names: readonly string[], maxEdits = 2): string | undefined {
  const wanted = name.toLowerCase().replaceAll("_", "-");
  if (names.includes(wanted)) return wanted;
  for (const group of SYNONYMS) {
    if (group.includes(wanted) && names.includes(group[0])) return group[0];
  }
  const begun = names.filter((candidate) => wanted.length >= 2 && candidate.startsWith(wanted));
  if (begun.length === 1) return begun[0];
  let best: string | undefined, bestDistance = Math.min(maxEdits, wanted.length <= 3 ? 1 : maxEdits) + 1;
  for (const candidate of names) {
    const d = editDistance(wanted, candidate);
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
