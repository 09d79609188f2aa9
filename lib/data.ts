/**
 * Loading datasets from files, with strict validation.
 *
 * The seed's layout is a folder holding four headerless CSV files:
 *
 * | file              | rows | columns | content                          |
 * |-------------------|------|---------|----------------------------------|
 * | `train_X.csv`     | n    | 784     | pixels 0–255 of a 28 × 28 image  |
 * | `train_label.csv` | n    | 10      | the label, one-hot (`1.0`/`0.0`) |
 * | `test_X.csv`      | m    | 784     | as train_X.csv                   |
 * | `test_label.csv`  | m    | 10      | as train_label.csv               |
 *
 * CSV parsing is done by polars; this module checks what polars read and turns
 * any problem into one {@linkcode InputError} sentence naming the file, the line
 * and, where it applies, the column.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import pl from "nodejs-polars";
import { CLASSES, type Dataset, INPUT_SCALE, makeDataset, PIXELS } from "./dataset.ts";
import { InputError } from "./errors.ts";

/** Which part of a dataset folder. */
export type Split = "train" | "test";

/** The file names of a split in the seed's layout. */
export function seedFiles(dir: string, split: Split): { images: string; labels: string } {
  return { images: joinPath(dir, `${split}_X.csv`), labels: joinPath(dir, `${split}_label.csv`) };
}

/**
 * Loads one split of a dataset folder in the seed's layout, validating both
 * files and that they have the same number of rows.
 *
 * @example
 * ```ts ignore
 * import { loadSplit } from "./data.ts";
 * const train = await loadSplit("data", "train");
 * console.log(train.n); // 1000
 * ```
 */
export async function loadSplit(dir: string, split: Split): Promise<Dataset> {
  const files = seedFiles(dir, split);
  const [x, labels] = await Promise.all([readPixelCsv(files.images), readOneHotCsv(files.labels)]);
  if (x.length / PIXELS !== labels.length) {
    throw new InputError(
      `${files.images} has ${x.length / PIXELS} rows but ${files.labels} has ${labels.length}; they must match`,
    );
  }
  return makeDataset(x, labels);
}

/**
 * Reads a headerless CSV of images, one per row of 784 integers 0–255, into
 * a Float32Array [rows, 784] scaled to [0, 1].
 */
export async function readPixelCsv(path: string): Promise<Float32Array> {
  const table = await readNumericCsv(path, PIXELS);
  const x = new Float32Array(table.rows * PIXELS);
  table.columns.forEach((column, j) => {
    for (let i = 0; i < table.rows; i++) {
      const v = column[i];
      if (!(v >= 0 && v <= 255 && Number.isInteger(v))) {
        throw new InputError(
          `${path}, line ${i + 1}, column ${j + 1}: ${v} is not a pixel value (expected an integer 0–255)`,
        );
      }
      x[i * PIXELS + j] = v * INPUT_SCALE;
    }
  });
  return x;
}

/** Reads a headerless CSV of one-hot rows of 10 values into class labels. */
export async function readOneHotCsv(path: string): Promise<Uint8Array> {
  const table = await readNumericCsv(path, CLASSES);
  const labels = new Uint8Array(table.rows);
  for (let i = 0; i < table.rows; i++) {
    let ones = 0;
    let zeros = 0;
    for (let k = 0; k < CLASSES; k++) {
      const v = table.columns[k][i];
      if (v === 1) {
        ones++;
        labels[i] = k;
      } else if (v === 0) zeros++;
    }
    if (ones !== 1 || zeros !== CLASSES - 1) {
      const row = table.columns.map((c) => c[i]).join(",");
      throw new InputError(`${path}, line ${i + 1}: ${row} is not one-hot (expected a single 1 and nine 0s)`);
    }
  }
  return labels;
}

/** A CSV read column by column. */
interface NumericTable {
  rows: number;
  /** columns[j][i] is the value at line i+1, column j+1 (NaN stays NaN). */
  columns: Float32Array[];
}

/**
 * Reads a headerless CSV of `width` numeric columns with polars, and reports
 * missing files, empty files, ragged rows, empty cells and non-numeric cells
 * with their line and column.
 */
async function readNumericCsv(path: string, width: number): Promise<NumericTable> {
  const bytes = await readFileOrFail(path);
  if (bytes.every((b) => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09)) {
    throw new InputError(`${path}: the file is empty`);
  }
  let df: pl.DataFrame;
  try {
    df = pl.readCSV(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), {
      hasHeader: false,
      inferSchemaLength: 0, // read every cell as text; we convert and check below
    });
  } catch (error) {
    throw new InputError(`${path}: not a readable CSV file (${firstLine((error as Error).message)})`);
  }
  const text = () => new TextDecoder().decode(bytes);
  const raw = df.getColumns();
  if (raw.length !== width) {
    // polars sizes the table by the widest row; find the first row of another width
    const line = firstRaggedLine(text(), width);
    throw new InputError(`${path}, line ${line.number}: expected ${width} values, found ${line.count}`);
  }
  const columns = raw.map((column, j) => {
    const numbers = column.cast(pl.Float32, false);
    if (numbers.nullCount() > 0) {
      const cells = column.toArray() as (string | null)[];
      const parsed = numbers.toArray() as (number | null)[];
      const i = parsed.findIndex((v) => v === null);
      const cell = cells[i];
      if (cell === null || cell === "") {
        const line = text().split(/\r?\n/)[i] ?? "";
        const count = line === "" ? 0 : line.split(",").length;
        if (count !== width) throw new InputError(`${path}, line ${i + 1}: expected ${width} values, found ${count}`);
        throw new InputError(`${path}, line ${i + 1}, column ${j + 1}: the cell is empty`);
      }
      throw new InputError(`${path}, line ${i + 1}, column ${j + 1}: ${JSON.stringify(cell)} is not a number`);
    }
    return numbers.toTypedArray() as Float32Array;
  });
  return { rows: df.height, columns };
}

async function readFileOrFail(path: string): Promise<Uint8Array> {
  try {
    return await Deno.readFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) throw new InputError(`${path}: file not found`);
    if (error instanceof Deno.errors.IsADirectory) throw new InputError(`${path}: is a folder, not a file`);
    if (error instanceof Deno.errors.PermissionDenied) throw new InputError(`${path}: permission denied`);
    throw new InputError(`${path}: cannot be read (${(error as Error).message})`);
  }
}

function firstRaggedLine(text: string, width: number): { number: number; count: number } {
  const lines = text.split(/\r?\n/);
  if (lines.at(-1) === "") lines.pop();
  for (let i = 0; i < lines.length; i++) {
    const count = lines[i] === "" ? 0 : lines[i].split(",").length;
    if (count !== width) return { number: i + 1, count };
  }
  return { number: 1, count: lines[0]?.split(",").length ?? 0 };
}

function firstLine(message: string): string {
  return message.split("\n")[0];
}

/** `dir/name`, without doubling a trailing slash. */
export function joinPath(dir: string, name: string): string {
  return dir.endsWith("/") ? dir + name : `${dir}/${name}`;
}
