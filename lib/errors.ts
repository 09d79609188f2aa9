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
  /** `message`: one sentence naming the file (and line, column or field) and what is wrong with it. */
  constructor(message: string) {
    super(message);
    this.name = "InputError";
  }
}

/**
 * A value from a user's file quoted for an error message: as JSON (so a
 * newline or a quote inside it cannot break the one-line sentence) and cut to
 * `max` characters with "…", so that a megabyte-long name or shape cannot
 * become a megabyte-long message.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { quote } from "./errors.ts";
 * assert.equal(quote("relu"), '"relu"');
 * assert.equal(quote("a\nb"), '"a\\nb"');
 * assert.equal(quote("x".repeat(1000), 10), '"xxxxxxxx…');
 * assert.equal(quote([784, 30]), "[784,30]");
 * ```
 */
export function quote(value: unknown, max = 80): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/**
 * The reason in an operating-system error, without the call and the path
 * that Deno appends to it, for a sentence that names the path itself.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { osReason } from "./errors.ts";
 * const error = new Error("Permission denied (os error 13): writefile 'models/m.safetensors.1.tmp'");
 * assert.equal(osReason(error), "Permission denied (os error 13)");
 * assert.equal(osReason("disk full"), "disk full");
 * ```
 */
export function osReason(error: unknown): string {
  const message = (error instanceof Error ? error.message : String(error)).split("\n")[0];
  const call = message.indexOf("): ");
  return call < 0 ? message : message.slice(0, call + 1);
}
