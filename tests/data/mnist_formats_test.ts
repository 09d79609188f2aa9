import assert from "node:assert/strict";
import { findSplit, hasSplit, loadSplit } from "../../lib/data/load.ts";
import { INPUT_SCALE, PIXELS } from "../../lib/data/dataset.ts";
import { InputError } from "../../lib/errors.ts";
import { encodeIdx, gzip } from "../../lib/data/idx.ts";
import { evaluate } from "../../lib/metrics.ts";
import { Network } from "../../lib/nn/network.ts";
import { Random } from "../../lib/nn/random.ts";
import { SGD } from "../../lib/nn/train.ts";
import {
  expectedDataset,
  type FixtureLayout,
  mnistCsv,
  plantedFixture,
  randomSplit,
  tempDir,
  writeFixture,
} from "./mnist_fixtures.ts";
import { exists, lastJson, runTask, scratchModelsDir } from "../task.ts";

/** Asserts that loading `split` of `dir` fails with one line matching every pattern. */
async function loadFails(dir: string, split: "train" | "test", ...patterns: RegExp[]): Promise<void> {
  await assert.rejects(loadSplit(dir, split), (e: unknown) => {
    assert.ok(e instanceof InputError, `expected an InputError, got ${e}`);
    for (const p of patterns) assert.match(e.message, p);
    assert.ok(!e.message.includes("\n"), "one sentence on one line");
    return true;
  });
}

const LAYOUTS: FixtureLayout[] = ["seed", "idx", "idx-gz", "mnist-csv", "mnist-csv-noheader"];

Deno.test("formats: every layout loads to exactly the same dataset", async () => {
  const fixture = plantedFixture();
  for (const layout of LAYOUTS) {
    const { dir, remove } = await tempDir();
    try {
      await writeFixture(dir, layout, fixture);
      for (const split of ["train", "test"] as const) {
        const source = await findSplit(dir, split);
        assert.equal(source.layout, layout.replace(/-gz|-noheader/, ""), `${layout} detected`);
        const data = await loadSplit(dir, split);
        const expected = expectedDataset(fixture[split]);
        assert.equal(data.n, fixture[split].n, `${layout} ${split} count`);
        assert.ok(data.x instanceof Float32Array && data.labels instanceof Uint8Array);
        assert.deepEqual(data.labels, expected.labels, `${layout} ${split} labels`);
        assert.deepEqual(data.x, expected.x, `${layout} ${split} pixels`);
      }
    } finally {
      await remove();
    }
  }
});

Deno.test("formats: layout detection is per split, with seed before idx before mnist-csv", async () => {
  const fixture = plantedFixture();
  const { dir, remove } = await tempDir();
  try {
    await writeFixture(dir, "mnist-csv", fixture);
    assert.equal((await findSplit(dir, "train")).layout, "mnist-csv");
    await writeFixture(dir, "idx-gz", { test: fixture.test });
    assert.equal((await findSplit(dir, "test")).layout, "idx", "idx wins over mnist-csv");
    assert.equal((await findSplit(dir, "train")).layout, "mnist-csv", "each split on its own");
    await writeFixture(dir, "seed", { train: fixture.train });
    assert.equal((await findSplit(dir, "train")).layout, "seed", "seed wins");
    // the official unpacked spelling with a dot is accepted too
    await Deno.remove(`${dir}/t10k-images-idx3-ubyte.gz`);
    await Deno.writeFile(`${dir}/t10k-images.idx3-ubyte`, encodeIdx(fixture.test.pixels, [fixture.test.n, 28, 28]));
    assert.deepEqual((await loadSplit(dir, "test")).x, expectedDataset(fixture.test).x);
  } finally {
    await remove();
  }
});

Deno.test("formats: a folder with only test files serves eval; the missing training split is named", async () => {
  const { dir, remove } = await tempDir();
  try {
    await writeFixture(dir, "idx-gz", { test: randomSplit(12, 3) });
    assert.equal((await loadSplit(dir, "test")).n, 12);
    assert.equal(await hasSplit(dir, "test"), true);
    assert.equal(await hasSplit(dir, "train"), false);
    await loadFails(
      dir,
      "train",
      /train_X\.csv: file not found, and .* holds no other dataset layout for the train split/,
      /train-images-idx3-ubyte\[\.gz\] with train-labels-idx1-ubyte\[\.gz\], or mnist_train\.csv/,
    );
    await loadFails(`${dir}/nowhere`, "test", /nowhere\/test_X\.csv: file not found$/);
    await Deno.remove(`${dir}/t10k-images-idx3-ubyte.gz`);
    await loadFails(
      dir,
      "test",
      /t10k-images-idx3-ubyte: file not found \(nor .*\.gz\), but t10k-labels-idx1-ubyte\.gz is there/,
    );
  } finally {
    await remove();
  }
});

Deno.test("formats: broken IDX files give one sentence naming the file and the offset", async () => {
  const raw = randomSplit(20, 4);
  const images = encodeIdx(raw.pixels, [20, 28, 28]);
  const labels = encodeIdx(raw.labels, [20]);
  const { dir, remove } = await tempDir();
  const img = `${dir}/train-images-idx3-ubyte`, lab = `${dir}/train-labels-idx1-ubyte`;
  try {
    await Deno.writeFile(lab, labels);
    await Deno.writeFile(img, labels); // the labels file under the images name
    await loadFails(dir, "train", /train-images-idx3-ubyte: wrong magic number 0x00000801, expected 0x00000803/);
    await Deno.writeFile(img, images.subarray(0, 16 + 5 * PIXELS + 10));
    await loadFails(dir, "train", /train-images-idx3-ubyte is truncated: .* inside item 6 of 20$/);
    await Deno.writeFile(img, encodeIdx(new Uint8Array(20 * 400), [20, 20, 20]));
    await loadFails(dir, "train", /train-images-idx3-ubyte: images are 20 × 20 pixels, expected 28 × 28$/);
    await Deno.writeFile(img, images);
    await Deno.writeFile(lab, encodeIdx(raw.labels.subarray(0, 19), [19]));
    await loadFails(dir, "train", /train-images-idx3-ubyte has 20 images but .*train-labels-idx1-ubyte has 19 labels/);
    const bad = raw.labels.slice();
    bad[13] = 11;
    await Deno.writeFile(lab, encodeIdx(bad, [20]));
    await loadFails(dir, "train", /train-labels-idx1-ubyte, offset 21 \(label 14\): 11 is not a digit 0–9$/);
    await Deno.writeFile(lab, await gzip(labels)); // compressed but not named .gz
    await loadFails(dir, "train", /train-labels-idx1-ubyte: wrong magic number .* give it a \.gz name/);
    // .gz files: a truncated stream, and a complete stream of a truncated file
    await Deno.remove(img);
    await Deno.remove(lab);
    const packed = await gzip(images);
    await Deno.writeFile(`${img}.gz`, packed.subarray(0, packed.length >> 1));
    await Deno.writeFile(`${lab}.gz`, await gzip(labels));
    await loadFails(dir, "train", /train-images-idx3-ubyte\.gz: the gzip data is corrupt or truncated/);
    await Deno.writeFile(`${img}.gz`, await gzip(images.subarray(0, images.length - 1)));
    await loadFails(dir, "train", /train-images-idx3-ubyte\.gz is truncated: .* inside item 20 of 20$/);
  } finally {
    await remove();
  }
});

Deno.test("formats: broken mnist_*.csv files name the file, line and column", async () => {
  const raw = randomSplit(40, 5);
  const good = mnistCsv(raw).split("\n");
  const { dir, remove } = await tempDir();
  const path = `${dir}/mnist_train.csv`;
  /** The good file with line `line` (1-based, the header is line 1) changed by `edit`. */
  const withLine = (line: number, edit: (cells: string[]) => string[]) =>
    good.map((text, i) => (i === line - 1 ? edit(text.split(",")).join(",") : text)).join("\n");
  const cases: [string, RegExp][] = [
    [withLine(3, (c) => ["10", ...c.slice(1)]), /mnist_train\.csv, line 3, column 1: label 10 is not a digit 0–9$/],
    [withLine(4, (c) => ["2.5", ...c.slice(1)]), /mnist_train\.csv, line 4, column 1: label 2\.5 is not a digit/],
    [withLine(5, (c) => [...c.slice(0, 9), "256", ...c.slice(10)]), /line 5, column 10: 256 is not a pixel value/],
    [withLine(6, (c) => [...c.slice(0, 4), "-1", ...c.slice(5)]), /line 6, column 5: -1 is not a pixel value/],
    [withLine(7, (c) => [...c.slice(0, 2), "NaN", ...c.slice(3)]), /line 7, column 3: "NaN" is not a number/],
    // beyond the lines polars looks at to guess types
    [withLine(38, (c) => [...c.slice(0, 30), "x7", ...c.slice(31)]), /line 38, column 31: "x7" is not a number$/],
    [withLine(9, (c) => [...c, "0"]), /mnist_train\.csv, line 9: expected 785 values, found 786$/],
    [withLine(10, (c) => c.slice(1)), /mnist_train\.csv, line 10: expected 785 values, found 784$/],
    [withLine(11, (c) => [...c.slice(0, 100), "", ...c.slice(101)]), /line 11, column 101: the cell is empty$/],
    [withLine(12, () => []), /mnist_train\.csv, line 12: expected 785 values, found 0$/],
    [good[0] + "\n", /mnist_train\.csv: has a header line but no data rows$/],
    ["", /mnist_train\.csv: the file is empty$/],
  ];
  try {
    for (const [text, pattern] of cases) {
      await Deno.writeTextFile(path, text);
      await loadFails(dir, "train", pattern);
    }
    await Deno.writeTextFile(path, good.join("\r\n"));
    assert.equal((await loadSplit(dir, "train")).n, 40, "Windows line endings are fine");
  } finally {
    await remove();
  }
});

Deno.test("formats: 60,000 images load from a .gz IDX file into flat typed arrays and train", async () => {
  const n = 60_000;
  const seedImages = randomSplit(100, 6);
  const pixels = new Uint8Array(n * PIXELS);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    pixels.set(seedImages.pixels.subarray((i % 100) * PIXELS, (i % 100 + 1) * PIXELS), i * PIXELS);
    labels[i] = seedImages.labels[i % 100];
  }
  const { dir, remove } = await tempDir();
  try {
    await Deno.writeFile(`${dir}/train-images-idx3-ubyte.gz`, await gzip(encodeIdx(pixels, [n, 28, 28])));
    await Deno.writeFile(`${dir}/train-labels-idx1-ubyte.gz`, await gzip(encodeIdx(labels, [n])));
    const data = await loadSplit(dir, "train");
    assert.equal(data.n, n);
    assert.ok(data.x instanceof Float32Array);
    assert.equal(data.x.byteLength, n * PIXELS * 4, "one flat [60000, 784] Float32Array, 188 MB");
    const last = pixels.subarray((n - 1) * PIXELS);
    assert.deepEqual(data.x.subarray((n - 1) * PIXELS), Float32Array.from(last, (p) => p * INPUT_SCALE));
    const net = new Network({ sizes: [PIXELS, 10, 10], activations: "relu" }).init(new Random(0));
    SGD(net, data, { epochs: 1, batchSize: 100, lr: 0.1, rng: new Random(0) });
    assert.ok(evaluate(net, data).accuracy > 0.5, "one epoch over the 60,000 images learns the bars");
  } finally {
    await remove();
  }
});

Deno.test("formats: deno task train and eval run on IDX and mnist-csv fixtures, with clean accuracy", async () => {
  const fixture = plantedFixture();
  const idx = await tempDir();
  const csvTestOnly = await tempDir();
  const models = await scratchModelsDir();
  try {
    await writeFixture(idx.dir, "idx-gz", fixture);
    await writeFixture(csvTestOnly.dir, "mnist-csv", { test: fixture.test });
    const model = `${models.dir}/m.safetensors`;
    const train = await runTask("train", ["--data", idx.dir, "--epochs", "1", "--out", model, "--json"]);
    assert.equal(train.code, 0, train.stderr);
    const result = lastJson(train);
    assert.equal(result.clean_test_n, 13, "15 test images, 2 of them also in train");
    assert.equal(typeof result.clean_test_accuracy, "number");
    const full = lastJson(await runTask("eval", ["--model", model, "--data", idx.dir, "--json"]));
    assert.equal(full.n, 15);
    assert.equal(full.accuracy, result.test_accuracy, "eval agrees with train's last test accuracy");
    assert.equal(full.clean_test_n, 13);
    assert.equal(full.clean_test_accuracy, result.clean_test_accuracy);
    const testOnly = await runTask("eval", ["--model", model, "--data", csvTestOnly.dir]);
    assert.equal(testOnly.code, 0, testOnly.stderr);
    assert.match(testOnly.stdout, /on 15 test images/);
    assert.match(testOnly.stdout, /clean test accuracy: not available \(.* holds no training files to compare with\)/);
    // bad input through the CLI: one line, exit 1, no model written
    await Deno.writeFile(`${idx.dir}/train-labels-idx1-ubyte.gz`, await gzip(encodeIdx(new Uint8Array(39), [39])));
    const broken = `${models.dir}/broken.safetensors`;
    const bad = await runTask("train", ["--data", idx.dir, "--epochs", "1", "--out", broken]);
    assert.equal(bad.code, 1);
    assert.match(
      bad.stderr.trim(),
      /^error: \S+train-images-idx3-ubyte\.gz has 40 images but \S+ has 39 labels; they must match$/,
    );
    assert.equal(exists(broken), false);
  } finally {
    await idx.remove();
    await csvTestOnly.remove();
    await models.remove();
  }
});
