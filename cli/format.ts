/**
 * Plain-text tables for the terminal.
 *
 * @module
 */

/**
 * A confusion matrix as aligned text, rows = true class, columns = predicted.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatConfusion } from "./format.ts";
 * assert.equal(formatConfusion([[1, 0], [2, 3]]), "      0  1\n  0:  1  0\n  1:  2  3");
 * ```
 */
export function formatConfusion(confusion: number[][]): string {
  const width = Math.max(2, ...confusion.flat().map((n) => String(n).length));
  const cell = (s: string | number) => String(s).padStart(width + 1);
  const head = "    " + confusion.map((_, k) => cell(k)).join("");
  const rows = confusion.map((row, t) => `  ${t}:` + row.map(cell).join(""));
  return [head, ...rows].join("\n");
}
