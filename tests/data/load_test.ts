import assert from "node:assert/strict";
import process from "node:process";
import { loadSplit } from "../../lib/data/load.ts";
import { classCounts, PIXELS } from "../../lib/data/dataset.ts";
import { InputError } from "../../lib/errors.ts";
import { gzip } from "../../lib/data/idx.ts";
import { encodePng } from "../../lib/image/decode.ts";

/** A seed-layout folder with `rows` small valid rows, then `edit` applied to the files' text. */
async function fixture(edit: (files: Record<string, string[]>) => void, rows = 3): Promise<string> {
  const dir = await Deno.makeTempDir();
  const pixels = (i: number) => Array.from({ length: 784 }, (_, j) => (j === i + 100 ? "255" : "0")).join(",");
  const onehot = (k: number) => Array.from({ length: 10 }, (_, j) => (j === k ? "1.0" : "0.0")).join(",");
  const files: Record<string, string[]> = {
    "train_X.csv": Array.from({ length: rows }, (_, i) => pixels(i)),
    "train_label.csv": Array.from({ length: rows }, (_, i) => onehot(i % 10)),
  };
  edit(files);
  for (const [name, lines] of Object.entries(files)) await Deno.writeTextFile(`${dir}/${name}`, lines.join("\n"));
  return dir;
}

async function assertLoadError(edit: (files: Record<string, string[]>) => void, pattern: RegExp) {
  const dir = await fixture(edit);
  try {
    await assert.rejects(loadSplit(dir, "train"), (e: unknown) => {
      assert.ok(e instanceof InputError, `expected InputError, got ${e}`);
      assert.match(e.message, pattern);
      assert.ok(!e.message.includes("\n"), "one sentence, one line");
      return true;
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const setCell = (line: string, column: number, value: string) => {
  const cells = line.split(",");
  cells[column - 1] = value;
  return cells.join(",");
};

Deno.test("data: the seed's files load with the documented counts and class balance", async () => {
  const train = await loadSplit("data", "train");
  const test = await loadSplit("data", "test");
  assert.equal(train.n, 1000);
  assert.equal(test.n, 350);
  assert.equal(train.features, 784);
  assert.deepEqual([...classCounts(train.labels)], [101, 118, 87, 108, 96, 92, 92, 103, 109, 94]);
  assert.deepEqual([...classCounts(test.labels)], [31, 44, 28, 48, 35, 30, 25, 37, 31, 41]);
});

Deno.test("data: pixels are scaled to [0, 1] and about 81% of them are exactly zero", async () => {
  const { x } = await loadSplit("data", "train");
  let min = Infinity, max = -Infinity, zeros = 0;
  for (const v of x) {
    if (v < min) min = v;
    if (v > max) max = v;
    if (v === 0) zeros++;
  }
  assert.equal(min, 0);
  assert.equal(max, 1);
  const fraction = zeros / x.length;
  assert.ok(fraction > 0.78 && fraction < 0.84, `zero fraction ${fraction}`);
});

Deno.test("data: duplicates in train and test images that also appear in train, as data/README.md says", async () => {
  const train = await loadSplit("data", "train");
  const test = await loadSplit("data", "test");
  const key = (x: Float32Array, i: number) => x.subarray(i * 784, (i + 1) * 784).join(",");
  const trainKeys = new Map<string, number>();
  for (let i = 0; i < train.n; i++) trainKeys.set(key(train.x, i), (trainKeys.get(key(train.x, i)) ?? 0) + 1);
  assert.equal(trainKeys.size, 958);
  assert.equal([...trainKeys.values()].filter((c) => c > 1).length, 41);
  let leaks = 0;
  for (let i = 0; i < test.n; i++) if (trainKeys.has(key(test.x, i))) leaks++;
  assert.equal(leaks, 32);
});

Deno.test("data: a row with too few or too many values names the file and line", async () => {
  await assertLoadError(
    (f) => (f["train_X.csv"][1] = f["train_X.csv"][1].split(",").slice(0, 783).join(",")),
    /train_X\.csv, line 2: expected 784 values, found 783/,
  );
  await assertLoadError((f) => (f["train_X.csv"][2] += ",0"), /train_X\.csv, line 3: expected 784 values, found 785/);
  await assertLoadError(
    (f) => (f["train_label.csv"][0] = "0,1"),
    /train_label\.csv, line 1: expected 10 values, found 2/,
  );
});

Deno.test("data: a non-numeric cell, an empty cell and NaN name the line and column", async () => {
  await assertLoadError(
    (f) => (f["train_X.csv"][1] = setCell(f["train_X.csv"][1], 7, "x")),
    /train_X\.csv, line 2, column 7: "x" is not a number/,
  );
  await assertLoadError(
    (f) => (f["train_X.csv"][0] = setCell(f["train_X.csv"][0], 5, "")),
    /train_X\.csv, line 1, column 5: the cell is empty/,
  );
  await assertLoadError(
    (f) => (f["train_X.csv"][2] = setCell(f["train_X.csv"][2], 9, "NaN")),
    /train_X\.csv, line 3, column 9: "NaN" is not a number/,
  );
});

Deno.test("data: pixels outside 0–255 or not whole numbers are refused", async () => {
  await assertLoadError(
    (f) => (f["train_X.csv"][0] = setCell(f["train_X.csv"][0], 1, "256")),
    /line 1, column 1: 256 is not a pixel value \(expected an integer 0–255\)/,
  );
  await assertLoadError(
    (f) => (f["train_X.csv"][1] = setCell(f["train_X.csv"][1], 784, "-1")),
    /line 2, column 784: -1 is not a pixel value/,
  );
  await assertLoadError(
    (f) => (f["train_X.csv"][1] = setCell(f["train_X.csv"][1], 3, "1.5")),
    /line 2, column 3: 1\.5 is not a pixel value/,
  );
});

Deno.test("data: a label row that is not one-hot is refused with its line", async () => {
  await assertLoadError(
    (f) => (f["train_label.csv"][1] = setCell(f["train_label.csv"][1], 4, "1.0")),
    /train_label\.csv, line 2: .* is not one-hot/,
  );
  await assertLoadError(
    (f) => (f["train_label.csv"][0] = "0,0,0,0,0,0,0,0,0,0"),
    /train_label\.csv, line 1: .* is not one-hot/,
  );
  await assertLoadError(
    (f) => (f["train_label.csv"][2] = setCell(f["train_label.csv"][2], 3, "0.5")),
    /train_label\.csv, line 3: .* is not one-hot/,
  );
});

Deno.test("data: X and label files with different row counts are refused", async () => {
  await assertLoadError(
    (f) => f["train_label.csv"].pop(),
    /train_X\.csv has 3 rows but .*train_label\.csv has 2; they must match/,
  );
});

Deno.test("data: an empty file, a missing file and a blank line are refused", async () => {
  await assertLoadError((f) => (f["train_X.csv"] = []), /train_X\.csv: the file is empty/);
  await assertLoadError((f) => delete f["train_label.csv"], /train_label\.csv: file not found/);
  await assertLoadError((f) => f["train_X.csv"].splice(1, 0, ""), /train_X\.csv, line 2: expected 784 values, found 0/);
});

Deno.test("data: a PNG image or a gzip file given as a CSV table is named for what it is", async () => {
  const dir = await fixture(() => {});
  const refused = (pattern: RegExp) =>
    assert.rejects(loadSplit(dir, "train"), (e: unknown) => e instanceof InputError && pattern.test(e.message));
  try {
    const text = await Deno.readFile(`${dir}/train_X.csv`);
    await Deno.writeFile(`${dir}/train_X.csv`, encodePng({ width: 28, height: 28, pixels: new Float32Array(784) }));
    await refused(/train_X\.csv: not a CSV file: it is a PNG image$/);
    await Deno.writeFile(`${dir}/train_X.csv`, text);
    await Deno.writeFile(`${dir}/train_label.csv`, await gzip(await Deno.readFile(`${dir}/train_label.csv`)));
    await refused(/train_label\.csv: not a CSV file: it is gzip-compressed \(decompress it first\)$/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("data: a semicolon-separated file is refused with a short quote and the separator to use", async () => {
  await assertLoadError(
    (f) => (f["train_X.csv"] = f["train_X.csv"].map((line) => line.replaceAll(",", ";"))),
    /train_X\.csv, line 1, column 1: "(0;){19}… is not a number \(the values must be separated by commas\)$/,
  );
});

Deno.test("data: Windows line endings and a trailing newline are accepted", async () => {
  const dir = await fixture((f) => {
    f["train_X.csv"] = [f["train_X.csv"].join("\r\n") + "\r\n"];
  });
  try {
    const d = await loadSplit(dir, "train");
    assert.equal(d.n, 3);
    assert.equal(d.x[100], 1);
    assert.deepEqual([...d.labels], [0, 1, 2]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("data: an extra value on the last line is not silently dropped; blank lines at the end hold no row", async () => {
  await assertLoadError((f) => (f["train_X.csv"][2] += ",7"), /train_X\.csv, line 3: expected 784 values, found 785/);
  const dir = await fixture((f) => {
    f["train_X.csv"].push("", "", "");
    f["train_label.csv"].push("", "");
  });
  try {
    const d = await loadSplit(dir, "train");
    assert.equal(d.n, 3);
    assert.deepEqual([...d.labels], [0, 1, 2]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** A folder holding `text` as mnist_train.csv. */
async function mnistCsvFolder(text: string): Promise<string> {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/mnist_train.csv`, text);
  return dir;
}

/** mnist-csv lines without a header: label i % 10, pixel 100 + i set to 255. */
function mnistLines(rows = 3): string[] {
  return Array.from({ length: rows }, (_, i) => {
    const cells = Array.from(
      { length: 1 + PIXELS },
      (_, j) => (j === 0 ? String(i % 10) : j === 101 + i ? "255" : "0"),
    );
    return cells.join(",");
  });
}

async function assertMnistError(text: string, pattern: RegExp) {
  const dir = await mnistCsvFolder(text);
  try {
    await assert.rejects(loadSplit(dir, "train"), (e: unknown) => {
      assert.ok(e instanceof InputError, `expected InputError, got ${e}`);
      assert.match(e.message, pattern);
      return true;
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("data: mnist-csv reports a damaged first row instead of taking it for a header", async () => {
  const lines = mnistLines();
  for (const label of ["", "x7"]) {
    const damaged = [setCell(lines[0], 1, label), ...lines.slice(1)].join("\n");
    const pattern = label === ""
      ? /mnist_train\.csv, line 1, column 1: the cell is empty/
      : /mnist_train\.csv, line 1, column 1: "x7" is not a number/;
    await assertMnistError(damaged, pattern);
  }
  // a real header, with names or with numbers that are not pixel values, is still a header
  for (
    const names of [["label", ...Array.from({ length: PIXELS }, (_, k) => `pixel${k}`)], [
      "label",
      ...Array.from({ length: PIXELS }, (_, k) => String(k)),
    ]]
  ) {
    const dir = await mnistCsvFolder([names.join(","), ...lines].join("\n"));
    try {
      assert.equal((await loadSplit(dir, "train")).n, 3);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  }
});

Deno.test("data: both CSV layouts follow one rule for spaces, signs, exponents and blank lines", async () => {
  // a leading or trailing space is refused in both layouts
  await assertLoadError(
    (f) => (f["train_X.csv"][1] = setCell(f["train_X.csv"][1], 1, " 0")),
    /train_X\.csv, line 2, column 1: " 0" is not a number/,
  );
  await assertMnistError(
    mnistLines().map((l, i) => (i === 1 ? setCell(l, 1, " 7") : l)).join("\n"),
    /mnist_train\.csv, line 2, column 1: " 7" is not a number/,
  );
  await assertMnistError(
    mnistLines().map((l, i) => (i === 2 ? setCell(l, 5, "0 ") : l)).join("\n"),
    /mnist_train\.csv, line 3, column 5: "0 " is not a number/,
  );
  // plain decimal forms are accepted in both, and blank lines at the end are ignored in both
  const seed = await fixture((f) => {
    f["train_X.csv"][0] = setCell(setCell(f["train_X.csv"][0], 2, "1e2"), 3, "+0.0");
    f["train_X.csv"].push("", "");
  });
  const mnist = await mnistCsvFolder(
    [setCell(setCell(mnistLines()[0], 3, "1e2"), 4, "+0.0"), ...mnistLines().slice(1), "", ""].join("\n"),
  );
  try {
    const a = await loadSplit(seed, "train"), b = await loadSplit(mnist, "train");
    assert.equal(a.n, 3);
    assert.equal(b.n, 3);
    assert.equal(a.x[1], Math.fround(100 / 255));
    assert.equal(b.x[1], Math.fround(100 / 255));
  } finally {
    await Deno.remove(seed, { recursive: true });
    await Deno.remove(mnist, { recursive: true });
  }
});

Deno.test("data: values are checked before the float32 cast: near-integers are not integers", async () => {
  await assertLoadError(
    (f) => (f["train_X.csv"][0] = setCell(f["train_X.csv"][0], 2, "254.999999")),
    /line 1, column 2: 254\.999999 is not a pixel value/,
  );
  await assertLoadError(
    (f) => (f["train_X.csv"][1] = setCell(f["train_X.csv"][1], 4, "7.0000001")),
    /line 2, column 4: 7\.0000001 is not a pixel value/,
  );
  await assertLoadError(
    (f) => (f["train_X.csv"][2] = setCell(f["train_X.csv"][2], 6, "16777217")),
    /line 3, column 6: 16777217 is not a pixel value/,
  );
  await assertLoadError(
    (f) => (f["train_label.csv"][0] = setCell(f["train_label.csv"][0], 1, "0.99999999")),
    /train_label\.csv, line 1: .* is not one-hot/,
  );
  await assertMnistError(
    mnistLines().map((l, i) => (i === 1 ? setCell(l, 1, "9.0000001") : l)).join("\n"),
    /mnist_train\.csv, line 2, column 1: label 9\.0000001 is not a digit 0–9/,
  );
});

Deno.test("data: small tables (one flattened Series) and large ones (a Series per column) read every cell in place", async () => {
  // 80 rows × 784 ≤ 2^16 values: the table leaves polars flattened; 90 rows: column by column
  for (const rows of [80, 90]) {
    const dir = await Deno.makeTempDir();
    try {
      const value = (i: number, j: number) => (i * 7 + j * 13) % 256;
      const lines = Array.from(
        { length: rows },
        (_, i) => Array.from({ length: PIXELS }, (_, j) => value(i, j)).join(","),
      );
      await Deno.writeTextFile(`${dir}/train_X.csv`, lines.join("\n") + "\n");
      const onehot = (k: number) => Array.from({ length: 10 }, (_, j) => (j === k ? "1" : "0")).join(",");
      await Deno.writeTextFile(
        `${dir}/train_label.csv`,
        Array.from({ length: rows }, (_, i) => onehot((i * 3) % 10)).join("\n"),
      );
      const { x, labels, n } = await loadSplit(dir, "train");
      assert.equal(n, rows);
      let wrong = 0;
      for (let i = 0; i < rows; i++) {
        if (labels[i] !== (i * 3) % 10) wrong++;
        for (let j = 0; j < PIXELS; j++) if (x[i * PIXELS + j] !== Math.fround(value(i, j) / 255)) wrong++;
      }
      assert.equal(wrong, 0, `${rows} rows`);
      // a bad value in the last cell is found at its line and column
      lines[rows - 1] = setCell(lines[rows - 1], 784, "256");
      await Deno.writeTextFile(`${dir}/train_X.csv`, lines.join("\n") + "\n");
      await assert.rejects(loadSplit(dir, "train"), new RegExp(`line ${rows}, column 784: 256 is not a pixel value`));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  }
});

Deno.test("data: a small CSV file costs milliseconds, not one polars Series per column (fuzzing speed)", async () => {
  // Each nodejs-polars Series costs about 0.1 ms of wrapper objects: reading the 784 columns of a 3-row file one
  // Series at a time took 80–190 ms; as one Series, about 10 ms. Bound loose for a busy machine: CPU time.
  const dir = await fixture(() => {});
  try {
    for (let k = 0; k < 3; k++) await loadSplit(dir, "train"); // warm-up: JIT and the polars library
    const runs = 20;
    const start = process.cpuUsage();
    for (let k = 0; k < runs; k++) await loadSplit(dir, "train");
    const cpu = process.cpuUsage(start);
    const ms = (cpu.user + cpu.system) / 1000 / runs;
    assert.ok(ms < 50, `${ms.toFixed(1)} ms of CPU time per 3-row seed split`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
