/**
 * `deno task audit`: what is in a dataset folder — counts, class balance,
 * pixel statistics, duplicate images within and across splits.
 *
 * @module
 */

import { type Audit, auditDataset, type SplitAudit } from "../lib/data/audit.ts";
import { findSplit, hasSplit, loadSplit, readSplit, type Split, type SplitSource } from "../lib/data/load.ts";
import type { Dataset } from "../lib/data/dataset.ts";
import { parseFlags, requireFolder, run, wantsHelp } from "./common.ts";

const USAGE = `Usage: deno task audit [--data DIR] [--json]

Audits a dataset folder (seed CSV, MNIST IDX or mnist_train.csv layout): image counts, class balance,
pixel statistics, exact-duplicate images within each split and across splits, and label conflicts
among duplicates. Rows are numbered 1-based over data rows (a CSV header line is not counted).

  --data DIR   dataset folder (default: data)
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

async function main(): Promise<void> {
  if (wantsHelp(Deno.args)) return console.log(USAGE);
  const { values } = parseFlags(Deno.args, { data: { type: "string" }, json: { type: "boolean" } });
  const dir = values.data ?? "data";
  await requireFolder("data", dir);
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
  if (values.json) console.log(JSON.stringify(auditToJson(dir, sources, audit)));
  else console.log(formatAudit(dir, sources, audit));
}

if (import.meta.main) await run(USAGE, main);
