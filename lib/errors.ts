/**
 * The error for bad input: a broken data file, a wrong flag, a model file or
 * an image that is not what it claims. Its message is one sentence that names
 * the file (and line, column or field) and says what is wrong; the command-line
 * tools print it as it is, without a stack trace, and exit with status 1.
 *
 * @module
 */

/**
 * A problem with what the user gave us, as opposed to a bug.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { InputError } from "./errors.ts";
 * const e = new InputError("data/train_X.csv, line 3: expected 784 columns, found 783");
 * assert.ok(e instanceof Error);
 * ```
 */
export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InputError";
  }
}
