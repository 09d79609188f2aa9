/**
 * Loading datasets from files, with strict validation.
 *
 * A dataset folder is in one of three layouts, detected per folder and split
 * by the files it holds ({@linkcode findSplit}):
 *
 * **seed** — the seed's four headerless CSV files:
 *
 * | file              | rows | columns | content                          |
 * |-------------------|------|---------|----------------------------------|
 * | `train_X.csv`     | n    | 784     | pixels 0–255 of a 28 × 28 image  |
 * | `train_label.csv` | n    | 10      | the label, one-hot (`1.0`/`0.0`) |
 * | `test_X.csv`      | m    | 784     | as train_X.csv                   |
 * | `test_label.csv`  | m    | 10      | as train_label.csv               |
 *
 * **idx** — the official MNIST files (see `idx.ts`), plain or gzip-compressed
 * (`.gz`): `train-images-idx3-ubyte`, `train-labels-idx1-ubyte`,
 * `t10k-images-idx3-ubyte`, `t10k-labels-idx1-ubyte` (the spelling
 * `train-images.idx3-ubyte` is accepted too).
 *
 * **mnist-csv** — the common CSV export `mnist_train.csv` / `mnist_test.csv`:
 * one image per line, the label 0–9 in the first column and the 784 pixels
 * after it, with a header line (`label,1x1,1x2,…`) or without one. The first
 * line is a header when its first cell is a name (not empty, not a number) and
 * its other cells are not all pixel values; otherwise it is data, and checked
 * like every other line (so a damaged first row is reported, not dropped).
 *
 * When a folder holds more than one layout for a split, seed wins over idx,
 * and idx over mnist-csv. CSV parsing is done by polars; this module checks
 * what polars read and turns any problem into one {@linkcode InputError}
 * sentence naming the file, the line (or byte offset) and, where it applies,
 * the column.
 *
 * Both CSV layouts follow one rule for their text: every data cell is a plain
 * decimal number (`7`, `7.0`, `-0`, `1e2`; no spaces, quotes, `NaN` or
 * `inf`), lines end in `\n` or `\r\n`, and blank lines at the very end of the
 * file are ignored (a blank line before a data line is an error). Values are
 * read as float64 and checked before they are stored as float32, so
 * `254.999999` is not a pixel value and `0.99999999` not a one-hot 1.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import pl from "nodejs-polars";
import { CLASSES, type Dataset, INPUT_SCALE, makeDataset, PIXELS } from "./dataset.ts";
import { InputError, quote } from "../errors.ts";
import { FILE_KIND_NAMES, fileKind } from "../io/file_kind.ts";
import { decodeIdxImages, decodeIdxLabels, gunzip, idxDeclaredSize } from "./idx.ts";

/** Which part of a dataset folder. */
export type Split = "train" | "test";

/**
 * The file names of a split in the seed's layout.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { seedFiles } from "./load.ts";
 * assert.deepEqual(seedFiles("data", "test"), { images: "data/test_X.csv", labels: "data/test_label.csv" });
 * ```
 */
export function seedFiles(dir: string, split: Split): { images: string; labels: string } {
  return { images: joinPath(dir, `${split}_X.csv`), labels: joinPath(dir, `${split}_label.csv`) };
}

/** The layouts a dataset folder can have. */
export type Layout = "seed" | "idx" | "mnist-csv";

/** Where one split of a dataset lives. */
export interface SplitSource {
  /** The folder's layout for this split, which decides how `images` and `labels` are read. */
  layout: Layout;
  /** The file holding the images. */
  images: string;
  /** The file holding the labels (the same file as `images` for mnist-csv). */
  labels: string;
}

/**
 * Loads one split of a dataset folder in any of the layouts, validating the
 * files and that images and labels have the same count.
 *
 * @example
 * ```ts ignore
 * import { loadSplit } from "./load.ts";
 * const train = await loadSplit("data", "train");
 * console.log(train.n); // 1000
 * ```
 */
export async function loadSplit(dir: string, split: Split): Promise<Dataset> {
  return readSplit(await findSplit(dir, split));
}

/**
 * Reads the split that {@linkcode findSplit} found.
 *
 * @example
 * ```ts ignore
 * import { findSplit, readSplit } from "./load.ts";
 * const source = await findSplit("data", "test"); // { layout: "seed", images: "data/test_X.csv", … }
 * console.log((await readSplit(source)).n); // 350
 * ```
 */
export async function readSplit(source: SplitSource): Promise<Dataset> {
  if (source.layout === "idx") return await readIdxPair(source.images, source.labels);
  if (source.layout === "mnist-csv") return await readMnistCsv(source.images);
  // one after the other, so that of two bad files the images file is always the one named
  const x = await readPixelCsv(source.images);
  const labels = await readOneHotCsv(source.labels);
  if (x.length / PIXELS !== labels.length) {
    throw new InputError(
      `${source.images} has ${x.length / PIXELS} rows but ${source.labels} has ${labels.length}; they must match`,
    );
  }
  return makeDataset(x, labels);
}

/** The IDX file name prefix of a split in the official MNIST files. */
const IDX_PREFIX: Record<Split, string> = { train: "train", test: "t10k" };

/**
 * Detects the layout of one split in `dir` from the names of the files there
 * (see the module documentation) and returns the files to read. A folder with
 * none of them gets the seed's file names, so that reading names the missing
 * file; when the folder exists and holds no seed file at all, the error lists
 * the layouts it could have held.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { findSplit } from "./load.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/mnist_test.csv`, "label,1x1\n");
 * assert.equal((await findSplit(dir, "test")).layout, "mnist-csv");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function findSplit(dir: string, split: Split): Promise<SplitSource> {
  const names = await listFiles(dir);
  const seed = seedFiles(dir, split);
  const has = (name: string) => names?.has(name) ?? false;
  if (names === null || has(`${split}_X.csv`) || has(`${split}_label.csv`)) return { layout: "seed", ...seed };
  const prefix = IDX_PREFIX[split];
  const images = idxCandidates(`${prefix}-images`, "idx3").find(has);
  const labels = idxCandidates(`${prefix}-labels`, "idx1").find(has);
  if (images !== undefined || labels !== undefined) {
    const missing = images === undefined ? `${prefix}-images-idx3-ubyte` : `${prefix}-labels-idx1-ubyte`;
    if (images === undefined || labels === undefined) {
      throw new InputError(
        `${joinPath(dir, missing)}: file not found (nor ${missing}.gz), but ${images ?? labels} is there`,
      );
    }
    return { layout: "idx", images: joinPath(dir, images), labels: joinPath(dir, labels) };
  }
  if (has(`mnist_${split}.csv`)) {
    const path = joinPath(dir, `mnist_${split}.csv`);
    return { layout: "mnist-csv", images: path, labels: path };
  }
  const anySeed = [...names].some((name) => /^(train|test)_(X|label)\.csv$/.test(name));
  if (!anySeed) {
    throw new InputError(
      `${seed.images}: file not found, and ${dir} holds no other dataset layout for the ${split} split ` +
        `(${prefix}-images-idx3-ubyte[.gz] with ${prefix}-labels-idx1-ubyte[.gz], or mnist_${split}.csv)`,
    );
  }
  return { layout: "seed", ...seed };
}

/**
 * `true` when `dir` holds any file of the split in some layout. The files may
 * still turn out to be incomplete or broken when read, which then says why.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { hasSplit } from "./load.ts";
 * assert.equal(await hasSplit("no/such/folder", "train"), false);
 * ```
 */
export async function hasSplit(dir: string, split: Split): Promise<boolean> {
  const names = await listFiles(dir);
  if (names === null) return false;
  const prefix = IDX_PREFIX[split];
  const candidates = [
    `${split}_X.csv`,
    `${split}_label.csv`,
    ...idxCandidates(`${prefix}-images`, "idx3"),
    ...idxCandidates(`${prefix}-labels`, "idx1"),
    `mnist_${split}.csv`,
  ];
  return candidates.some((name) => names.has(name));
}

function idxCandidates(stem: string, kind: string): string[] {
  const plain = [`${stem}-${kind}-ubyte`, `${stem}.${kind}-ubyte`];
  return [...plain, ...plain.map((name) => `${name}.gz`)];
}

/** The names of the entries in `dir`, or null when it is not a readable folder. */
async function listFiles(dir: string): Promise<Set<string> | null> {
  try {
    const names = new Set<string>();
    for await (const entry of Deno.readDir(dir)) names.add(entry.name);
    return names;
  } catch (error) {
    if (error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied) throw error;
    return null;
  }
}

/**
 * Reads an images and a labels file in the IDX format (gzip-compressed when
 * the name ends in `.gz`), checking that they hold the same number of images.
 *
 * @example
 * ```ts ignore
 * import { readIdxPair } from "./load.ts";
 * const test = await readIdxPair("mnist/t10k-images-idx3-ubyte.gz", "mnist/t10k-labels-idx1-ubyte.gz");
 * console.log(test.n); // 10000
 * ```
 */
export async function readIdxPair(imagesPath: string, labelsPath: string): Promise<Dataset> {
  const pixels = decodeIdxImages(await readMaybeGzip(imagesPath), imagesPath);
  const labels = decodeIdxLabels(await readMaybeGzip(labelsPath), labelsPath);
  const n = pixels.length / PIXELS;
  if (n !== labels.length) {
    throw new InputError(
      `${imagesPath} has ${n} images but ${labelsPath} has ${labels.length} labels; they must match`,
    );
  }
  const x = new Float32Array(pixels.length);
  for (let i = 0; i < pixels.length; i++) x[i] = pixels[i] * INPUT_SCALE;
  return makeDataset(x, new Uint8Array(labels));
}

async function readMaybeGzip(path: string): Promise<Uint8Array> {
  const bytes = await readFileOrFail(path);
  // inflation stops as soon as the output passes the size its IDX header declares (a gzip bomb is refused early)
  return path.endsWith(".gz") ? await gunzip(bytes, path, { expectedSize: idxDeclaredSize }) : bytes;
}

/** Values per line of the mnist-csv layout: the label and 784 pixels. */
const MNIST_CSV_WIDTH = 1 + PIXELS;

/**
 * Reads the common MNIST CSV layout (`mnist_train.csv`): one image per line,
 * label 0–9 first, then 784 pixels 0–255, with or without a header line.
 * Line numbers in errors count the header.
 *
 * @example
 * ```ts ignore
 * import { readMnistCsv } from "./load.ts";
 * const train = await readMnistCsv("mnist_train.csv"); // "label,1x1,1x2,…" then 60000 rows
 * console.log(train.n, train.labels[0]); // 60000 5
 * ```
 */
export async function readMnistCsv(path: string): Promise<Dataset> {
  const bytes = await readNonEmptyFile(path);
  const hasHeader = isHeaderLine(firstLineCells(bytes));
  const first = hasHeader ? 2 : 1; // the file line of data row 0
  const rows = checkCells(bytes, path, MNIST_CSV_WIDTH, first);
  if (rows === 0) throw new InputError(`${path}: has a header line but no data rows`);
  const column = readCheckedCsv(bytes, path, MNIST_CSV_WIDTH, hasHeader, rows);
  const x = new Float32Array(rows * PIXELS);
  const labels = new Uint8Array(rows);
  for (let j = 0; j < MNIST_CSV_WIDTH; j++) {
    const values = column(j);
    if (j === 0) {
      for (let i = 0; i < rows; i++) {
        const v = values[i];
        if (!(v >= 0 && v < CLASSES && Number.isInteger(v))) {
          throw new InputError(`${path}, line ${i + first}, column 1: label ${v} is not a digit 0–9`);
        }
        labels[i] = v;
      }
      continue;
    }
    for (let i = 0; i < rows; i++) {
      x[i * PIXELS + j - 1] = scaledPixel(values[i], path, i + first, j + 1);
    }
  }
  return makeDataset(x, labels);
}

/** The cells of the first line. */
function firstLineCells(bytes: Uint8Array): string[] {
  let end = 0;
  while (end < bytes.length && bytes[end] !== 0x0a) end++;
  return new TextDecoder().decode(bytes.subarray(0, end)).replace(/\r$/, "").split(",");
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * Whether the first line of an mnist-csv file is a header: its first cell is a
 * name (not empty, not a number) and its other cells are not all pixel values
 * (`label,1x1,…` and `label,0,1,…,783` are headers; `x7,0,0,…` is a data row
 * with a damaged label).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isHeaderLine } from "./load.ts";
 * assert.equal(isHeaderLine(["label", "1x1", "1x2"]), true);
 * assert.equal(isHeaderLine(["label", ...Array.from({ length: 784 }, (_, i) => String(i))]), true);
 * assert.equal(isHeaderLine(["x7", "0", "255"]), false);
 * assert.equal(isHeaderLine(["", "0", "0"]), false);
 * assert.equal(isHeaderLine(["7", "0", "0"]), false);
 * ```
 */
export function isHeaderLine(cells: readonly string[]): boolean {
  const name = cells[0];
  if (name === "" || NUMBER.test(name)) return false;
  const pixel = (cell: string) => NUMBER.test(cell) && Number.isInteger(Number(cell)) && +cell >= 0 && +cell <= 255;
  return !cells.slice(1).every(pixel);
}

/** The end of `bytes` without trailing blank lines and spaces: blank lines at the end of a file hold no row. */
function trimmedEnd(bytes: Uint8Array): number {
  let end = bytes.length;
  while (end > 0 && (bytes[end - 1] === 0x0a || bytes[end - 1] === 0x0d || bytes[end - 1] === 0x20)) end--;
  return end;
}

/**
 * Checks the text of a CSV file before polars reads it, in one pass over the
 * bytes: every line (the header too) has `width` comma-separated values (polars
 * would silently drop extra ones), and every cell from file line `first` on is
 * a plain decimal number (the module's rule; polars alone would accept `" 7"`
 * but not `"7 "`). Returns the number of data lines (from `first` on); blank
 * lines at the end of the file are ignored.
 */
function checkCells(bytes: Uint8Array, path: string, width: number, first: number): number {
  const end = trimmedEnd(bytes);
  let line = 1;
  let count = 0; // values on this line so far
  let start = 0; // where the current cell starts
  let rows = 0;
  for (let k = 0; k <= end; k++) {
    const b = k < end ? bytes[k] : 0x0a;
    if (b !== 0x2c && b !== 0x0a) continue;
    const cellEnd = b === 0x0a && k > start && bytes[k - 1] === 0x0d ? k - 1 : k;
    if (b === 0x0a && count === 0 && cellEnd === start) {
      throw new InputError(`${path}, line ${line}: expected ${width} values, found 0`);
    }
    count++;
    if (line >= first && count <= width && !isNumberCell(bytes, start, cellEnd)) {
      const cell = new TextDecoder().decode(bytes.subarray(start, cellEnd));
      throw new InputError(
        cell === ""
          ? `${path}, line ${line}, column ${count}: the cell is empty`
          : `${path}, line ${line}, column ${count}: ${quote(cell, 40)} is not a number` +
            (/[;\t]/.test(cell) ? " (the values must be separated by commas)" : ""),
      );
    }
    start = k + 1;
    if (b === 0x0a) {
      if (count !== width) throw new InputError(`${path}, line ${line}: expected ${width} values, found ${count}`);
      if (line >= first) rows++;
      line++;
      count = 0;
    }
  }
  return rows;
}

/** Whether bytes[start, end) is a plain decimal number: [+-] digits [. digits] [e [+-] digits]. */
function isNumberCell(bytes: Uint8Array, start: number, end: number): boolean {
  let k = start;
  const digits = () => {
    const from = k;
    while (k < end && bytes[k] >= 0x30 && bytes[k] <= 0x39) k++;
    return k - from;
  };
  if (k < end && (bytes[k] === 0x2b || bytes[k] === 0x2d)) k++;
  let mantissa = digits();
  if (k < end && bytes[k] === 0x2e) {
    k++;
    mantissa += digits();
  }
  if (mantissa === 0) return false;
  if (k < end && (bytes[k] === 0x65 || bytes[k] === 0x45)) {
    k++;
    if (k < end && (bytes[k] === 0x2b || bytes[k] === 0x2d)) k++;
    if (digits() === 0) return false;
  }
  return k === end;
}

/** Up to this many rows (of more columns than that), {@linkcode readCheckedCsv} takes the table out as one Series. */
const FEW_ROWS = 16;

/**
 * Reads CSV text already passed by {@linkcode checkCells} with polars, every
 * column as float64 (numbers, not strings: a fraction of the memory, and no
 * rounding before the integer checks). Returns the table's column `j` as a
 * Float64Array, one column at a time, so that only polars' table and one
 * column are held at once. A table of a few rows ({@linkcode FEW_ROWS}) and
 * many columns leaves polars as one Series instead, its rows joined and
 * flattened ([rows, width] row-major): as fast there (7 ms against 18 for 3
 * rows of 784, 23 against 20 for 10), and it spares 784 Series wrappers of
 * nodejs-polars per file: after 290 small files loaded one Series per column
 * in one process (the fuzz test), one load took 17 s of CPU time (with the
 * flattened table the whole test takes 2 s). For more rows it is slower (150
 * ms against 21 for 80 rows, 245 against 22 for the 1000 training images).
 */
function readCheckedCsv(
  bytes: Uint8Array,
  path: string,
  width: number,
  hasHeader: boolean,
  rows: number,
): (j: number) => Float64Array {
  const schema: Record<string, pl.DataType> = {};
  for (let j = 0; j < width; j++) schema[`c${j}`] = pl.Float64;
  let df: pl.DataFrame;
  try {
    df = pl.readCSV(Buffer.from(bytes.buffer, bytes.byteOffset, trimmedEnd(bytes)), { hasHeader, schema });
  } catch (error) {
    throw new InputError(`${path}: not a readable CSV file (${firstLine((error as Error).message)})`);
  }
  if (df.height !== rows || df.width !== width) {
    throw new InputError(`${path}: polars read ${df.height} × ${df.width} values where there are ${rows} × ${width}`);
  }
  const noNulls = (series: pl.Series) => {
    if (series.nullCount() > 0) throw new InputError(`${path}: polars read an empty cell where the text has none`);
    return series.toTypedArray() as Float64Array;
  };
  // the DataFrame is a Proxy that lists every column name on each property read: take its method once
  const getColumn = df.getColumn;
  if (rows > FEW_ROWS || width <= FEW_ROWS) return (j) => noNulls(getColumn(`c${j}`));
  const table = noNulls(df.select(pl.concatList(pl.all()).alias("row")).getColumn("row").explode());
  return (j) => {
    const column = new Float64Array(rows);
    for (let i = 0, k = j; i < rows; i++, k += width) column[i] = table[k];
    return column;
  };
}

/**
 * Reads a headerless CSV of images, one per row of 784 integers 0–255, into
 * a Float32Array [rows, 784] scaled to [0, 1].
 *
 * @example
 * ```ts ignore
 * import { readPixelCsv } from "./load.ts";
 * const x = await readPixelCsv("data/test_X.csv");
 * console.log(x.length / 784); // 350
 * ```
 */
export async function readPixelCsv(path: string): Promise<Float32Array> {
  const { rows, column } = await readNumericCsv(path, PIXELS);
  const x = new Float32Array(rows * PIXELS);
  for (let j = 0; j < PIXELS; j++) {
    const values = column(j);
    for (let i = 0; i < rows; i++) x[i * PIXELS + j] = scaledPixel(values[i], path, i + 1, j + 1);
  }
  return x;
}

/**
 * Reads a headerless CSV of one-hot rows of 10 values into class labels.
 *
 * @example
 * ```ts ignore
 * import { readOneHotCsv } from "./load.ts";
 * const labels = await readOneHotCsv("data/test_label.csv"); // rows such as 1.0,0.0,0.0,0.0,0.0,0.0,0.0,0.0,0.0,0.0
 * console.log(labels[0]); // 0: the rows are sorted by class
 * ```
 */
export async function readOneHotCsv(path: string): Promise<Uint8Array> {
  const { rows, column } = await readNumericCsv(path, CLASSES);
  const columns = Array.from({ length: CLASSES }, (_, k) => column(k));
  const labels = new Uint8Array(rows);
  for (let i = 0; i < rows; i++) {
    let ones = 0;
    let zeros = 0;
    for (let k = 0; k < CLASSES; k++) {
      const v = columns[k][i];
      if (v === 1) {
        ones++;
        labels[i] = k;
      } else if (v === 0) zeros++;
    }
    if (ones !== 1 || zeros !== CLASSES - 1) {
      const row = columns.map((c) => c[i]).join(",");
      throw new InputError(`${path}, line ${i + 1}: ${row} is not one-hot (expected a single 1 and nine 0s)`);
    }
  }
  return labels;
}

/** A CSV read column by column. */
interface NumericTable {
  rows: number;
  /** column(j)[i] is the value at line i+1, column j+1, as float64. */
  column: (j: number) => Float64Array;
}

/**
 * Reads a headerless CSV of `width` numeric columns with polars, and reports
 * missing files, empty files, ragged rows, empty cells and non-numeric cells
 * with their line and column.
 */
async function readNumericCsv(path: string, width: number): Promise<NumericTable> {
  const bytes = await readNonEmptyFile(path);
  const rows = checkCells(bytes, path, width, 1);
  return { rows, column: readCheckedCsv(bytes, path, width, false, rows) };
}

/** A pixel value 0–255 scaled to [0, 1]; anything else is an error at `line`, `column` of `path`. */
function scaledPixel(v: number, path: string, line: number, column: number): number {
  if (!(v >= 0 && v <= 255 && Number.isInteger(v))) {
    throw new InputError(
      `${path}, line ${line}, column ${column}: ${v} is not a pixel value (expected an integer 0–255)`,
    );
  }
  return v * INPUT_SCALE;
}

/** The bytes of the CSV file `path`; a file holding nothing but whitespace, or a binary file, is an error. */
async function readNonEmptyFile(path: string): Promise<Uint8Array> {
  const bytes = await readFileOrFail(path);
  if (bytes.every((b) => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09)) {
    throw new InputError(`${path}: the file is empty`);
  }
  const kind = fileKind(bytes, { binaryOnly: true });
  if (kind !== null) {
    throw new InputError(
      `${path}: not a CSV file: it is ${FILE_KIND_NAMES[kind]}` + (kind === "gzip" ? " (decompress it first)" : ""),
    );
  }
  return bytes;
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

/** The first line of a library's error message, cut to 200 characters (polars quotes whole rows). */
function firstLine(message: string): string {
  const line = message.split("\n")[0];
  return line.length <= 200 ? line : `${line.slice(0, 199)}…`;
}

/**
 * `dir/name`, without doubling a trailing slash.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { joinPath } from "./load.ts";
 * assert.equal(joinPath("data", "a.csv"), "data/a.csv");
 * assert.equal(joinPath("data/", "a.csv"), "data/a.csv");
 * ```
 */
export function joinPath(dir: string, name: string): string {
  return dir.endsWith("/") ? dir + name : `${dir}/${name}`;
}
