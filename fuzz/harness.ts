/**
 * The fuzzing harness behind `deno task fuzz` and `tests/fuzz_test.ts`: every
 * parser a user's file reaches, each with valid seed files and the mutators
 * that suit its format, and the rule every case must keep:
 *
 * - it loads, or it throws an {@linkcode InputError} whose message is one
 *   sentence (one line, at most {@linkcode MAX_MESSAGE} characters);
 * - it never throws anything else;
 * - it takes at most {@linkcode MAX_SECONDS} seconds of CPU time (all threads of
 *   the process, so polars' are counted; CPU time rather than wall time, so
 *   that a busy machine does not fail a case);
 * - it never takes memory far beyond the input's size: the process's resident
 *   size may grow by at most {@linkcode MEMORY_BASE} plus
 *   {@linkcode MEMORY_RATIO} × the input's bytes (measured after the case,
 *   before the next garbage collection; run with `--v8-flags=--expose-gc` for
 *   clean measurements: a full GC then runs before a case whenever the heap
 *   has grown by 16 MiB).
 *
 * Case `k` of target `t` with seed `s` draws its mutation from its own random
 * stream, so `deno task fuzz --only t --from k --cases 1 --seed s` replays it.
 *
 * @module
 */

// @ts-types="@types/pngjs"
import { PNG } from "pngjs";
import process from "node:process";
import { InputError } from "../lib/errors.ts";
import { PIXELS } from "../lib/data/dataset.ts";
import { encodeIdx } from "../lib/data/idx.ts";
import { readIdxPair, readMnistCsv, readSplit } from "../lib/data/load.ts";
import { decodeImage, encodeJpeg, encodePng } from "../lib/image/decode.ts";
import { mnistDigits } from "../lib/image/preprocess.ts";
import { modelFromBytes, modelToBytes } from "../lib/io/model_file.ts";
import { Network } from "../lib/nn/network.ts";
import { parseArch } from "../lib/nn/arch.ts";
import { Sequential } from "../lib/nn/sequential.ts";
import { Random } from "../lib/nn/random.ts";
import {
  bitFlip,
  csvCells,
  exifSegment,
  GENERIC,
  idxHeader,
  jpegExif,
  jpegHeader,
  type Mutator,
  pick,
  pngHeader,
  safetensorsFloats,
  safetensorsHugeJson,
  safetensorsJson,
  safetensorsLength,
} from "./mutators.ts";

/** The longest a case may take. */
export const MAX_SECONDS = 2;
/** The longest error message that still counts as one sentence. */
export const MAX_MESSAGE = 600;
/** Resident memory any case may take regardless of its size. */
export const MEMORY_BASE = 48 * 2 ** 20;
/** Resident memory a case may take per byte of input, beyond {@linkcode MEMORY_BASE}. */
export const MEMORY_RATIO = 64;

/** A valid file a target's mutations start from. */
export interface Seed {
  /** Which file of the target it is (e.g. "images", "labels"). */
  role: string;
  bytes: Uint8Array;
}

/** One parser under test. */
export interface Target {
  name: string;
  /** Valid files; each must load. */
  seeds: Seed[];
  /** Mutators with their weights. */
  mutators: [Mutator, number][];
  /** Parses `bytes` as the file `seed.role` would be read, in `dir` (a fresh scratch folder). */
  run(bytes: Uint8Array, seed: Seed, dir: string): Promise<void>;
}

/** What one case did. */
export type Outcome = "loaded" | "refused" | "failed";

/** One failing case, with what reproduces it. */
export interface Failure {
  target: string;
  seed: number;
  caseNumber: number;
  mutation: string;
  role: string;
  inputBytes: number;
  /** Why it failed: the unexpected exception, the time, the memory or the message. */
  reason: string;
  /** The mutated file. */
  bytes: Uint8Array;
  /** Whether this mutation class is a known, not yet fixed, issue (see {@linkcode KNOWN_ISSUES}). */
  known: boolean;
}

/** The tally of one target. */
export interface TargetResult {
  target: string;
  cases: number;
  loaded: number;
  refused: number;
  failed: number;
  /** Failures in mutation classes listed in {@linkcode KNOWN_ISSUES}. */
  known: number;
  /** The case that took the most CPU time. */
  slowest: { caseNumber: number; mutation: string; seconds: number };
  /** The largest growth of resident memory seen in one case, in bytes, and the input size of that case. */
  maxMemory: { caseNumber: number; bytes: number; inputBytes: number };
  failures: Failure[];
}

/**
 * Mutation classes whose failures are known and owned elsewhere, by "target/mutation": they are counted and
 * printed, but do not fail the run. Empty when every parser keeps the rule.
 */
export const KNOWN_ISSUES: Record<string, string> = {};

function gzipSync(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Response(stream).arrayBuffer().then((b) => new Uint8Array(b));
}

async function gunzipOrNull(bytes: Uint8Array): Promise<Uint8Array | null> {
  try {
    const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream("gzip"));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  } catch {
    return null;
  }
}

/** The first `n` rows of the seed's training CSVs: images as CSV text and labels one-hot. */
function seedRows(n: number): { x: string; labels: string; pixels: Uint8Array; digits: Uint8Array } {
  const root = new URL("../data/", import.meta.url);
  const x = Deno.readTextFileSync(new URL("train_X.csv", root)).split("\n").slice(0, n);
  const labels = Deno.readTextFileSync(new URL("train_label.csv", root)).split("\n").slice(0, n);
  const pixels = new Uint8Array(x.flatMap((line) => line.split(",").map(Number)));
  const digits = new Uint8Array(labels.map((line) => line.split(",").map(Number).indexOf(1)));
  return { x: x.join("\n") + "\n", labels: labels.join("\n") + "\n", pixels, digits };
}

const encoder = new TextEncoder();

/** Gzip-compresses the output of another mutator applied to the decompressed file. */
function insideGzip(inner: Mutator): Mutator {
  return {
    name: `gz(${inner.name})`,
    async mutate(rng, input, corpus) {
      const plain = await gunzipOrNull(input);
      if (plain === null) return bitFlip.mutate(rng, input, corpus);
      return gzipSync(await inner.mutate(rng, plain, []));
    },
  };
}

/** The bytes of a gzip bomb per header, made once: a valid IDX header followed by 64 MiB of zeros. */
const bombs = new Map<string, Promise<Uint8Array>>();

/** A small gzip file whose IDX header declares 3 items but which inflates to 64 MiB. */
const gzipBomb: Mutator = {
  name: "gzip-bomb",
  mutate(_rng, input) {
    const key = input.length > 2000 ? "images" : "labels";
    if (!bombs.has(key)) {
      const header = key === "images"
        ? encodeIdx(new Uint8Array(3 * PIXELS), [3, 28, 28])
        : encodeIdx(new Uint8Array(3), [3]);
      const file = new Uint8Array(64 * 2 ** 20);
      file.set(header);
      bombs.set(key, gzipSync(file));
    }
    return bombs.get(key)!;
  },
};

/** Every target, with its seeds built from the repository's data. */
export async function targets(): Promise<Target[]> {
  const rows = seedRows(3);
  const images = encodeIdx(rows.pixels, [3, 28, 28]);
  const labels = encodeIdx(rows.digits, [3]);
  const idxSeeds = [{ role: "images", bytes: images }, { role: "labels", bytes: labels }];
  const gzSeeds = [{ role: "images", bytes: await gzipSync(images) }, {
    role: "labels",
    bytes: await gzipSync(labels),
  }];
  const generic = GENERIC.map((m): [Mutator, number] => [m, 1]);

  const idxPair = (gz: boolean) => async (bytes: Uint8Array, seed: Seed, dir: string) => {
    const suffix = gz ? ".gz" : "";
    const imagesPath = `${dir}/train-images-idx3-ubyte${suffix}`;
    const labelsPath = `${dir}/train-labels-idx1-ubyte${suffix}`;
    const valid = gz ? gzSeeds : idxSeeds;
    await Deno.writeFile(imagesPath, seed.role === "images" ? bytes : valid[0].bytes);
    await Deno.writeFile(labelsPath, seed.role === "labels" ? bytes : valid[1].bytes);
    await readIdxPair(imagesPath, labelsPath);
  };

  const digit = new Float32Array(rows.pixels.subarray(0, PIXELS)).map((v) => 255 - v); // dark ink on white
  const rgba = new PNG({ width: 16, height: 12, colorType: 6 });
  for (let i = 0; i < 16 * 12; i++) rgba.data.set([i % 255, 40, 200, i % 3 === 0 ? 0 : 255], 4 * i);
  const rgbaPng = new Uint8Array(PNG.sync.write(rgba, { colorType: 6 }));
  const jpg = encodeJpeg({ width: 28, height: 28, pixels: digit });
  const model = (sizes: number[], activations: "relu" | "tanh" | "sigmoid") =>
    modelToBytes(new Network({ sizes, activations }).init(new Random(sizes.length)), { seed: "0" });

  const cnn = new Sequential({
    inputShape: [1, 28, 28],
    arch: parseArch("conv3x3x4,pool2,fc8"),
    activation: "relu",
    classes: 10,
  });
  const cnnModel = modelToBytes(cnn.init(new Random(5)), { seed: "0" });

  const mnistCsv = (header: boolean) =>
    encoder.encode(
      (header
        ? ["label", ...Array.from({ length: PIXELS }, (_, k) => `${1 + (k / 28 | 0)}x${1 + k % 28}`)].join(",") + "\n"
        : "") +
        rows.x.trimEnd().split("\n").map((line, i) => `${rows.digits[i]},${line}`).join("\n") + "\n",
    );

  return [
    {
      name: "safetensors",
      seeds: [
        { role: "model", bytes: model([784, 30, 10], "relu") },
        { role: "model", bytes: model([6, 5, 4, 3], "tanh") },
        { role: "cnn", bytes: cnnModel },
      ],
      mutators: [...generic, [safetensorsLength, 2], [safetensorsJson, 4], [safetensorsFloats, 1], [
        safetensorsHugeJson,
        1,
      ]],
      run(bytes) {
        const { net } = modelFromBytes(bytes, "fuzz.safetensors");
        const out = net.probabilities(new Float32Array(net.inputSize), 1);
        if (out.length !== net.outputSize) throw new Error(`a loaded model gave ${out.length} outputs`);
        return Promise.resolve();
      },
    },
    { name: "idx", seeds: idxSeeds, mutators: [...generic, [idxHeader, 4]], run: idxPair(false) },
    {
      name: "idx.gz",
      seeds: gzSeeds,
      mutators: [...generic, [insideGzip(idxHeader), 3], [insideGzip(bitFlip), 1], [insideGzip(GENERIC[2]), 1], [
        gzipBomb,
        0.1,
      ]],
      run: idxPair(true),
    },
    {
      name: "seed-csv",
      seeds: [{ role: "images", bytes: encoder.encode(rows.x) }, {
        role: "labels",
        bytes: encoder.encode(rows.labels),
      }],
      mutators: [...generic, [csvCells, 5]],
      async run(bytes, seed, dir) {
        const source = { layout: "seed" as const, images: `${dir}/train_X.csv`, labels: `${dir}/train_label.csv` };
        await Deno.writeFile(source.images, seed.role === "images" ? bytes : encoder.encode(rows.x));
        await Deno.writeFile(source.labels, seed.role === "labels" ? bytes : encoder.encode(rows.labels));
        await readSplit(source);
      },
    },
    {
      name: "mnist-csv",
      seeds: [{ role: "with header", bytes: mnistCsv(true) }, { role: "no header", bytes: mnistCsv(false) }],
      mutators: [...generic, [csvCells, 5]],
      async run(bytes, _seed, dir) {
        await Deno.writeFile(`${dir}/mnist_train.csv`, bytes);
        await readMnistCsv(`${dir}/mnist_train.csv`);
      },
    },
    {
      name: "png",
      seeds: [{ role: "gray", bytes: encodePng({ width: 28, height: 28, pixels: digit }) }, {
        role: "rgba",
        bytes: rgbaPng,
      }],
      mutators: [...generic, [pngHeader, 5]],
      run: (bytes) => Promise.resolve(void mnistDigits(decodeImage(bytes, "fuzz.png"))),
    },
    {
      name: "jpeg",
      seeds: [
        { role: "digit", bytes: jpg },
        {
          role: "small",
          bytes: encodeJpeg({ width: 33, height: 17, pixels: new Float32Array(33 * 17).map((_, i) => i % 256) }, 40),
        },
        { role: "exif", bytes: new Uint8Array([...jpg.subarray(0, 2), ...exifSegment(6), ...jpg.subarray(2)]) },
      ],
      mutators: [...generic, [jpegHeader, 4], [jpegExif, 1]],
      run: (bytes) => Promise.resolve(void mnistDigits(decodeImage(bytes, "fuzz.jpg"))),
    },
  ];
}

function weighted(rng: Random, mutators: [Mutator, number][]): Mutator {
  const total = mutators.reduce((s, [, w]) => s + w, 0);
  let r = rng.uniform() * total;
  for (const [m, w] of mutators) if ((r -= w) < 0) return m;
  return mutators[mutators.length - 1][0];
}

function hashName(name: string): number {
  let h = 2166136261;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** The random stream of case `caseNumber` of `target` under `seed`. */
export function caseRandom(seed: number, target: string, caseNumber: number): Random {
  return new Random((Math.imul(seed + 1, 0x9e3779b1) ^ hashName(target) ^ Math.imul(caseNumber, 0x85ebca6b)) >>> 0);
}

/** Mutations that make files too big or too deep to be mutated again (they stand alone). */
const UNCHAINED = new Set(["gzip-bomb", "st-deep-or-huge-json"]);

/** The mutated input of one case: the seed file it starts from and the mutation(s) applied. */
export async function makeCase(
  target: Target,
  seed: number,
  caseNumber: number,
): Promise<{ seedFile: Seed; mutation: string; bytes: Uint8Array }> {
  const rng = caseRandom(seed, target.name, caseNumber);
  const seedFile = pick(rng, target.seeds);
  const corpus = target.seeds.map((s) => s.bytes);
  const first = weighted(rng, target.mutators);
  let mutation = first.name;
  try {
    let bytes = await first.mutate(rng, seedFile.bytes, corpus);
    if (!UNCHAINED.has(first.name) && rng.uniform() < 0.25) {
      const second = weighted(rng, target.mutators.filter(([m]) => !UNCHAINED.has(m.name)));
      mutation += `+${second.name}`;
      bytes = await second.mutate(rng, bytes, corpus);
    }
    return { seedFile, mutation, bytes };
  } catch (error) {
    // a bug of the fuzzer itself, not of a parser: say which case, so that it can be replayed
    throw new Error(`the ${mutation} mutation of ${target.name} case ${caseNumber} (seed ${seed}) failed: ${error}`);
  }
}

const gc = (globalThis as { gc?: () => void }).gc;
/** The JS heap may grow this much from the last full GC before the next case starts with another. */
const GC_SLACK = 16 * 2 ** 20;
let heapAfterGc = 0;

/**
 * A full garbage collection (with `--expose-gc`), when the JS heap has grown
 * by {@linkcode GC_SLACK} since the last one: what earlier cases left is then
 * not counted in this case's memory. One before every case cost 80% of the
 * run's CPU time (about 15 ms each).
 */
function collectGarbage(): void {
  if (gc === undefined || Deno.memoryUsage().heapUsed < heapAfterGc + GC_SLACK) return;
  gc();
  heapAfterGc = Deno.memoryUsage().heapUsed;
}

/** Runs one parse and classifies it by the rule of the module documentation. */
async function judge(
  target: Target,
  bytes: Uint8Array,
  seedFile: Seed,
  dir: string,
): Promise<{ outcome: Outcome; reason: string; seconds: number; memory: number }> {
  collectGarbage();
  const before = Deno.memoryUsage().rss;
  const start = process.cpuUsage();
  let outcome: Outcome = "loaded";
  let reason = "";
  try {
    await target.run(bytes, seedFile, dir);
  } catch (error) {
    if (error instanceof InputError) {
      const message = error.message;
      if (message.trim() === "" || message.includes("\n") || message.length > MAX_MESSAGE) {
        outcome = "failed";
        reason = `InputError that is not one sentence (${message.length} characters): ${
          JSON.stringify(message.slice(0, 200))
        }`;
      } else outcome = "refused";
    } else {
      outcome = "failed";
      const e = error as Error;
      reason = `${e?.name ?? typeof error}: ${String(e?.message ?? error).split("\n")[0].slice(0, 300)}`;
    }
  }
  const cpu = process.cpuUsage(start);
  const seconds = (cpu.user + cpu.system) / 1e6;
  const memory = Deno.memoryUsage().rss - before;
  if (outcome !== "failed" && seconds > MAX_SECONDS) {
    outcome = "failed";
    reason = `took ${seconds.toFixed(2)} s of CPU time (more than ${MAX_SECONDS} s)`;
  }
  if (outcome !== "failed" && memory > MEMORY_BASE + MEMORY_RATIO * bytes.length) {
    outcome = "failed";
    reason = `resident memory grew by ${(memory / 2 ** 20).toFixed(0)} MiB for a ${bytes.length}-byte input`;
  }
  return { outcome, reason, seconds, memory };
}

/** What to run. */
export interface FuzzOptions {
  /** Cases per target. */
  cases: number;
  seed: number;
  /** The first case number (to replay one case). */
  from?: number;
  /** Only these targets (by name); all when absent. */
  only?: string[];
  /** Do not run cases whose mutation class is in {@linkcode KNOWN_ISSUES} (counted as known, not run). */
  skipKnown?: boolean;
  /** Called after each target. */
  onTarget?: (result: TargetResult) => void;
  /** The scratch folder the cases write their files in, made and removed by the caller; by default a fresh one. */
  dir?: string;
  /** Stops the run between two cases (no file operation is then in flight); `fuzz` then rejects with its reason. */
  signal?: AbortSignal;
}

/**
 * Runs `cases` mutated inputs through each target and tallies the outcomes.
 * Every seed file is checked to load first (a harness that never loads
 * anything would prove nothing).
 */
export async function fuzz(options: FuzzOptions): Promise<TargetResult[]> {
  const all = await targets();
  const chosen = options.only ? all.filter((t) => options.only!.includes(t.name)) : all;
  const dir = options.dir ?? await Deno.makeTempDir({ prefix: "minimnist-fuzz-" });
  const results: TargetResult[] = [];
  try {
    for (const target of chosen) {
      for (const seedFile of target.seeds) {
        // also warms up (JIT, the polars library), so that the first case is not timed with it
        try {
          await target.run(seedFile.bytes, seedFile, dir);
        } catch (error) {
          throw new Error(`the ${target.name} seed "${seedFile.role}" does not load: ${(error as Error).message}`);
        }
      }
      const result: TargetResult = {
        target: target.name,
        cases: 0,
        loaded: 0,
        refused: 0,
        failed: 0,
        known: 0,
        slowest: { caseNumber: -1, mutation: "", seconds: 0 },
        maxMemory: { caseNumber: -1, bytes: 0, inputBytes: 0 },
        failures: [],
      };
      const from = options.from ?? 0;
      for (let caseNumber = from; caseNumber < from + options.cases; caseNumber++) {
        options.signal?.throwIfAborted();
        const { seedFile, mutation, bytes } = await makeCase(target, options.seed, caseNumber);
        const known = mutation.split("+").some((m) => `${target.name}/${m}` in KNOWN_ISSUES);
        result.cases++;
        if (known && options.skipKnown) {
          result.known++;
          continue;
        }
        const { outcome, reason, seconds, memory } = await judge(target, bytes, seedFile, dir);
        if (seconds > result.slowest.seconds) result.slowest = { caseNumber, mutation, seconds };
        if (memory > result.maxMemory.bytes) result.maxMemory = { caseNumber, bytes: memory, inputBytes: bytes.length };
        if (outcome === "failed") {
          if (known) result.known++;
          else result.failed++;
          result.failures.push({
            target: target.name,
            seed: options.seed,
            caseNumber,
            mutation,
            role: seedFile.role,
            inputBytes: bytes.length,
            reason,
            bytes,
            known,
          });
        } else result[outcome]++;
      }
      options.onTarget?.(result);
      results.push(result);
    }
  } finally {
    if (options.dir === undefined) await Deno.remove(dir, { recursive: true });
  }
  return results;
}
