/**
 * The training report: per-epoch metrics as CSV, and charts as standalone SVG
 * files that a browser opens directly.
 *
 * `writeReport(dir, …)` writes into `dir`:
 *
 * | file             | content                                                   |
 * |------------------|-----------------------------------------------------------|
 * | `metrics.csv`    | epoch, loss, train_accuracy, test_accuracy, lr, seconds   |
 * | `training.svg`   | loss per epoch; train and test accuracy per epoch         |
 * | `confusion.svg`  | the test set's confusion matrix as a heatmap              |
 * | `index.html`     | the run's summary with both charts and a link to the CSV  |
 *
 * The CSV is written by polars; the charts are drawn by Observable Plot on a
 * linkedom document (no browser needed) and put together, with a title and
 * legends, into one SVG each. Every file is written atomically (temporary
 * file, then rename), after all of them have been rendered.
 *
 * @module
 */

import { writeFileAtomic } from "./io/atomic_write.ts";
import * as Plot from "@observablehq/plot";
import { parseHTML } from "linkedom";
import pl from "nodejs-polars";

/** One epoch's row of the report. Accuracies are fractions 0–1. */
export interface EpochRecord {
  /** 1-based epoch number. */
  epoch: number;
  /** Mean training cross-entropy over the epoch's examples, each minibatch's taken before its step. */
  loss: number;
  /** Accuracy on the training set (or a sample of it) after the epoch. */
  trainAccuracy: number;
  /** Accuracy on the test set after the epoch. */
  testAccuracy: number;
  /** The learning rate used in the epoch. */
  lr: number;
  /** Wall-clock seconds of the epoch's training steps (not of any evaluation). */
  seconds: number;
  /** The accuracy on the held-out validation set, which chooses the kept epoch (when there is one). */
  validationAccuracy?: number;
}

/** Everything a report shows. */
export interface ReportInput {
  /** What was trained, e.g. "784-30-10 (relu), batch 10, lr 0.01, seed 0". */
  title: string;
  /** Lines of results shown under the title, e.g. "test accuracy 86.00%". */
  summary: string[];
  /** One record per epoch trained, in order. */
  epochs: EpochRecord[];
  /** confusion[true][predicted] on the test set, for the weights that were kept. */
  confusion: number[][];
  /**
   * The epoch whose weights were kept (a validation split keeps its best
   * epoch), marked on the chart; omitted when the last epoch's were kept.
   */
  keptEpoch?: number;
}

/** The names of the files a report consists of. */
export const REPORT_FILES = ["metrics.csv", "training.svg", "confusion.svg", "index.html"] as const;

const SVG_NS = "http://www.w3.org/2000/svg";
const COLORS = { loss: "#6b4c9a", train: "#4269d0", test: "#e8590c", validation: "#1b9e9e", lr: "#3ca951" };
const WIDTH = 720;

/**
 * The per-epoch metrics as CSV text (with a header), written by polars.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { metricsCsv } from "./report.ts";
 * const csv = metricsCsv([{ epoch: 1, loss: 0.5, trainAccuracy: 0.8, testAccuracy: 0.75, lr: 0.01, seconds: 0.2 }]);
 * assert.equal(csv.split("\n")[0], "epoch,loss,train_accuracy,test_accuracy,lr,seconds");
 * const noisy = metricsCsv([{ epoch: 1, loss: 0.1, trainAccuracy: 1, testAccuracy: 272 / 318, lr: 0.15 / 4, seconds: 0.123456 }]);
 * assert.equal(noisy.split("\n")[1], "1,0.1,1.0,0.85534591,0.0375,0.1235");
 * ```
 */
export function metricsCsv(epochs: EpochRecord[]): string {
  // 8 significant digits (a learning rate of 0.037500000000000006 is written 0.0375); seconds to the 0.1 ms
  const column = (name: string, f: (e: EpochRecord) => number, type: pl.DataType = pl.Float64) =>
    pl.Series(name, epochs.map((e) => type === pl.Float64 ? Number(f(e).toPrecision(8)) : f(e)), type);
  const df = pl.DataFrame([
    column("epoch", (e) => e.epoch, pl.Int32),
    column("loss", (e) => e.loss),
    column("train_accuracy", (e) => e.trainAccuracy),
    column("test_accuracy", (e) => e.testAccuracy),
    column("lr", (e) => e.lr),
    column("seconds", (e) => Math.round(e.seconds * 1e4) / 1e4),
    // only with a validation split: the accuracy that chose the kept epoch
    ...(epochs.some((e) => e.validationAccuracy !== undefined)
      ? [column("validation_accuracy", (e) => e.validationAccuracy ?? NaN)]
      : []),
  ]);
  return String(df.writeCSV());
}

function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** The document type Plot draws on (a linkedom document stands in for the browser's). */
type PlotDocument = NonNullable<Plot.PlotOptions["document"]>;

/** What this module needs of an element Plot returns. */
interface SvgElement {
  setAttribute(name: string, value: string): void;
  readonly outerHTML: string;
}

/** A DOM for Plot to draw on. */
function newDocument(): PlotDocument {
  const window = parseHTML("<!DOCTYPE html><html><body></body></html>") as unknown as { document: PlotDocument };
  return window.document;
}

/** A Plot-made <svg> placed at (x, y) inside a larger SVG. */
function placed(svg: SvgElement, x: number, y: number): string {
  svg.setAttribute("x", String(x));
  svg.setAttribute("y", String(y));
  return svg.outerHTML;
}

/** Legend swatches: a short line in each colour and its name, left to right. */
function swatches(items: { label: string; color: string }[], x: number, y: number): string {
  let offset = 0;
  return items.map(({ label, color }) => {
    const g = `<g transform="translate(${x + offset},${y})">` +
      `<line x1="0" x2="22" y1="-4" y2="-4" stroke="${color}" stroke-width="2.5"/>` +
      `<circle cx="11" cy="-4" r="3" fill="${color}"/>` +
      `<text x="28" y="0" font-size="12">${escapeXml(label)}</text></g>`;
    offset += 40 + 7 * label.length;
    return g;
  }).join("");
}

/** A standalone SVG document from its body. */
function svgDocument(width: number, height: number, title: string, body: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<svg xmlns="${SVG_NS}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
    `font-family="system-ui, sans-serif">` +
    `<title>${escapeXml(title)}</title>` +
    `<rect width="100%" height="100%" fill="white"/>${body}</svg>\n`;
}

function heading(title: string, summary: string[]): { svg: string; height: number } {
  const lines = [`<text x="16" y="28" font-size="18" font-weight="bold">${escapeXml(title)}</text>`];
  summary.forEach((line, i) => lines.push(`<text x="16" y="${52 + 18 * i}" font-size="13">${escapeXml(line)}</text>`));
  return { svg: lines.join(""), height: 44 + 18 * summary.length };
}

function panelTitle(text: string, y: number): string {
  return `<text x="16" y="${y}" font-size="14" font-weight="bold">${escapeXml(text)}</text>`;
}

/**
 * The training chart: mean loss per epoch, train and test accuracy per epoch
 * (and the learning rate when it changes), with a title, axis labels and a
 * legend, as a standalone SVG document.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { trainingChartSvg } from "./report.ts";
 * const svg = trainingChartSvg({
 *   title: "784-30-10", summary: [], confusion: [],
 *   epochs: [{ epoch: 1, loss: 0.9, trainAccuracy: 0.7, testAccuracy: 0.6, lr: 0.01, seconds: 0.1 }],
 * });
 * assert.match(svg, /test accuracy/);
 * ```
 */
export function trainingChartSvg(input: ReportInput): string {
  const document = newDocument();
  const rows = input.epochs;
  const maxEpoch = Math.max(1, ...rows.map((r) => r.epoch));
  const minEpoch = rows.length > 0 ? Math.min(...rows.map((r) => r.epoch)) : 0;
  // whole epochs only: Plot's automatic ticks would put 1.5, 2.5, … on a short run
  const step = Math.max(1, Math.ceil((maxEpoch - minEpoch) / 10));
  const ticks = Array.from({ length: Math.floor((maxEpoch - minEpoch) / step) + 1 }, (_, k) => minEpoch + k * step);
  const x = { label: "epoch", domain: [minEpoch, maxEpoch], ticks, tickFormat: "d" };
  const common = { document, width: WIDTH, height: 240, marginLeft: 60, marginRight: 100, marginTop: 24, x };
  const loss = Plot.plot({
    ...common,
    // from zero (a loss is ≥ 0): also gives a single epoch's point an axis around it
    y: { label: "mean cross-entropy loss", grid: true, zero: true, nice: true },
    marks: [
      Plot.lineY(rows, { x: "epoch", y: "loss", stroke: COLORS.loss, strokeWidth: 2 }),
      Plot.dot(rows, { x: "epoch", y: "loss", fill: COLORS.loss, r: 2.5 }),
    ],
  }) as unknown as SvgElement;
  const validated = rows.some((r) => r.validationAccuracy !== undefined);
  const series = rows.flatMap((r) => [
    { epoch: r.epoch, accuracy: r.trainAccuracy, set: "train accuracy" },
    { epoch: r.epoch, accuracy: r.testAccuracy, set: "test accuracy" },
    ...(r.validationAccuracy === undefined
      ? []
      : [{ epoch: r.epoch, accuracy: r.validationAccuracy, set: "validation accuracy" }]),
  ]);
  const sets = [
    { label: "train accuracy", color: COLORS.train },
    { label: "test accuracy", color: COLORS.test },
    ...(validated ? [{ label: "validation accuracy", color: COLORS.validation }] : []),
  ];
  const color = { domain: sets.map((d) => d.label), range: sets.map((d) => d.color) };
  const kept = rows.find((r) => r.epoch === input.keptEpoch);
  const domain = percentDomain(series);
  const accuracy = Plot.plot({
    ...common,
    color,
    y: { label: "accuracy (%)", percent: true, grid: true, domain },
    marks: [
      ...(input.keptEpoch === undefined ? [] : [
        Plot.ruleX([input.keptEpoch], { stroke: "#888", strokeDasharray: "4,3" }),
        Plot.text([input.keptEpoch], {
          x: (e: number) => e,
          frameAnchor: "top",
          // the kept weights' figures: the lines' end labels are the last epoch's
          text: (e: number) =>
            `kept: epoch ${e}` + (kept === undefined ? "" : `, test ${(100 * kept.testAccuracy).toFixed(1)}%`),
          dy: 4,
          dx: 4,
          textAnchor: "start",
          fontSize: 11,
          fill: "#555",
        }),
      ]),
      // z: one line per set, said explicitly (with one epoch Plot would take the two sets for a quantity and warn)
      Plot.lineY(series, { x: "epoch", y: "accuracy", z: "set", stroke: "set", strokeWidth: 2 }),
      Plot.dot(series, { x: "epoch", y: "accuracy", fill: "set", r: 2.5 }),
      // each line's last value at its end, moved apart where two lines end close together
      ...endLabels(series, domain).map(({ set, dy }) =>
        Plot.text(
          series.filter((d) => d.set === set),
          Plot.selectLast({
            x: "epoch",
            y: "accuracy",
            fill: "set",
            // "val": "validation" and its figure would not fit in the margin
            text: (d: { accuracy: number; set: string }) =>
              `${d.set.split(" ")[0].replace("validation", "val")} ${(100 * d.accuracy).toFixed(1)}%`,
            dx: 8,
            dy,
            textAnchor: "start",
            fontSize: 11,
          }),
        )
      ),
    ],
  }) as unknown as SvgElement;
  const head = heading(input.title, input.summary);
  let y = head.height + 12;
  const parts = [head.svg];
  parts.push(panelTitle("Loss on the training set, per epoch (lower is better)", y + 14));
  parts.push(placed(loss, 0, y + 22));
  y += 22 + 240 + 16;
  parts.push(panelTitle("Accuracy per epoch (higher is better)", y + 14));
  parts.push(
    swatches(sets.map((d) => ({ ...d, label: validated ? d.label.split(" ")[0] : d.label })), 340, y + 14),
  );
  parts.push(placed(accuracy, 0, y + 22));
  y += 22 + 240 + 16;
  if (new Set(rows.map((r) => r.lr)).size > 1) {
    const lr = Plot.plot({
      ...common,
      height: 160,
      y: { label: "learning rate", grid: true },
      marks: [Plot.lineY(rows, { x: "epoch", y: "lr", stroke: COLORS.lr, strokeWidth: 2, curve: "step-after" })],
    }) as unknown as SvgElement;
    parts.push(panelTitle("Learning rate per epoch (the schedule)", y + 14));
    parts.push(placed(lr, 0, y + 22));
    y += 22 + 160 + 16;
  }
  return svgDocument(WIDTH, y, `Training report: ${input.title}`, parts.join(""));
}

/** {@linkcode accuracyDomain} in percent, the unit of Plot's `percent: true` axis. */
/**
 * Where to put each line's end label: its set and how far (px) to move it up
 * or down so that labels of lines ending close together do not overlap (at
 * least 12 px apart on the accuracy chart's 240 − 24 − 30 px of height).
 */
function endLabels(series: { epoch: number; accuracy: number; set: string }[], domain: number[]) {
  const px = 240 - 24 - 30, [lo, hi] = domain;
  const last = new Map<string, number>();
  for (const d of series) last.set(d.set, d.accuracy); // in epoch order: the last one stays
  const labels = [...last].map(([set, accuracy]) => {
    const y = (1 - (100 * accuracy - lo) / Math.max(1e-9, hi - lo)) * px;
    return { set, y, at: y };
  }).sort((a, b) => a.y - b.y);
  for (let i = 1; i < labels.length; i++) labels[i].at = Math.max(labels[i].at, labels[i - 1].at + 12);
  return labels.map(({ set, y, at }) => ({ set, dy: at - y }));
}

function percentDomain(series: { accuracy: number }[]): number[] {
  return accuracyDomain(series.map((d) => d.accuracy)).map((v) => Math.round(100 * v));
}

/**
 * The accuracy axis: the values' range widened by at least 2 points and
 * rounded out to whole tens of percent, within 0–100%, so that every point,
 * also the lowest of a one-epoch run, lies inside the chart rather than on
 * its edge.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { accuracyDomain } from "./report.ts";
 * assert.deepEqual(accuracyDomain([0.524, 0.5086]), [0.4, 0.6]);
 * assert.deepEqual(accuracyDomain([0.99, 1]), [0.9, 1]);
 * ```
 */
export function accuracyDomain(values: number[]): [number, number] {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return [0, 1];
  const lo = Math.max(0, Math.floor(10 * (Math.min(...finite) - 0.02)) / 10);
  const hi = Math.min(1, Math.ceil(10 * (Math.max(...finite) + 0.02)) / 10);
  return [Number(lo.toFixed(1)), Number(hi.toFixed(1))];
}

/**
 * The confusion matrix as a heatmap — rows the true digit, columns the
 * predicted digit, the count in each cell — with a title, axis labels and a
 * colour legend, as a standalone SVG document.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { confusionSvg } from "./report.ts";
 * const svg = confusionSvg([[5, 1], [0, 4]], "Test set");
 * assert.match(svg, /predicted digit/);
 * ```
 */
export function confusionSvg(confusion: number[][], title: string, summary: string[] = []): string {
  const document = newDocument();
  const C = confusion.length;
  const cells = confusion.flatMap((row, t) => row.map((count, p) => ({ true: t, predicted: p, count })));
  const max = Math.max(1, ...cells.map((c) => c.count));
  const colorScale = { type: "threshold" as const, ...countBins(max) };
  const digits = Array.from({ length: C }, (_, k) => k);
  const side = 44 * C;
  const heatmap = Plot.plot({
    document,
    width: side + 90,
    height: side + 70,
    marginLeft: 70,
    marginTop: 50,
    marginBottom: 20,
    marginRight: 20,
    padding: 0.04,
    x: { domain: digits, axis: "top", label: "predicted digit", tickSize: 0 },
    y: { domain: digits, label: "true digit", tickSize: 0, labelAnchor: "center" },
    color: colorScale,
    marks: [
      Plot.cell(cells, { x: "predicted", y: "true", fill: "count" }),
      Plot.text(cells.filter((c) => c.count > 0), {
        x: "predicted",
        y: "true",
        text: "count",
        fontSize: 12,
        // white text on the three darkest blues
        fill: (c: { count: number }) => {
          const bin = colorScale.domain.filter((t) => c.count >= t).length;
          return bin >= colorScale.range.length - 3 ? "white" : "black";
        },
      }),
    ],
  }) as unknown as SvgElement;
  const legendOptions = {
    document, // accepted by Plot.legend, though not in its types
    color: { ...colorScale, label: "images per cell (grey: none); the diagonal holds the correct answers" },
    width: 420,
  };
  const legend = Plot.legend(legendOptions as Parameters<typeof Plot.legend>[0]) as unknown as SvgElement;
  const head = heading(title, summary);
  const width = Math.max(side + 110, 560);
  const top = head.height + 8;
  const body = head.svg + placed(heatmap, 10, top) + placed(legend, 16, top + side + 80);
  return svgDocument(width, top + side + 80 + 56, title, body);
}

/** ColorBrewer's 9-class Blues, light to dark. */
const BLUES = ["#deebf7", "#c6dbef", "#9ecae1", "#6baed6", "#4292c6", "#2171b5", "#08519c", "#08306b"];

/**
 * Colour bins for counts up to `max`: grey below 1, then blues with thresholds
 * 1, 2, 5, 10, 20, 50, … (at most eight blues).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { countBins } from "./report.ts";
 * assert.deepEqual(countBins(12).domain, [1, 2, 5, 10]);
 * ```
 */
export function countBins(max: number): { domain: number[]; range: string[] } {
  const domain = [1];
  for (let step = 0; domain.length < BLUES.length; step++) {
    const next = [2, 5, 10][step % 3] * 10 ** Math.floor(step / 3);
    if (next > max) break;
    domain.push(next);
  }
  return { domain, range: ["#eeeeee", ...BLUES.slice(BLUES.length - domain.length)] };
}

/** A small HTML page showing the report. */
function indexHtml(input: ReportInput): string {
  const esc = escapeXml;
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(input.title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:760px;margin:2em auto;padding:0 1em}img{max-width:100%}</style>
</head><body>
<h1>Training report</h1>
<p>Per-epoch figures: <a href="metrics.csv">metrics.csv</a> (the run's summary is at the top of the chart)</p>
<img src="training.svg" alt="loss and accuracy per epoch">
<img src="confusion.svg" alt="confusion matrix of the test set">
</body></html>
`;
}

/**
 * Renders the whole report, then writes its files into `dir` (created if
 * needed), each atomically. Returns the paths written.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { writeReport } from "./report.ts";
 * const dir = await Deno.makeTempDir();
 * const epochs = [{ epoch: 1, loss: 0.9, trainAccuracy: 0.7, testAccuracy: 0.6, lr: 0.01, seconds: 0.1 }];
 * const files = await writeReport(dir, { title: "run", summary: [], epochs, confusion: [[1, 0], [1, 1]] });
 * assert.equal(files.length, 4);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function writeReport(dir: string, input: ReportInput): Promise<string[]> {
  // the matrix's own accuracy: it describes the kept weights, which need not be the last epoch's
  const total = input.confusion.flat().reduce((a, b) => a + b, 0);
  const right = input.confusion.reduce((sum, row, t) => sum + (row[t] ?? 0), 0);
  const accuracy = total > 0 ? right / total : undefined;
  const contents: Record<(typeof REPORT_FILES)[number], string> = {
    "metrics.csv": metricsCsv(input.epochs),
    "training.svg": trainingChartSvg(input),
    "confusion.svg": confusionSvg(
      input.confusion,
      "Confusion matrix on the test set",
      [
        input.title,
        `${total} test images${accuracy === undefined ? "" : `, accuracy ${(100 * accuracy).toFixed(2)}%`}`,
        "rows: the true digit; columns: the digit the network answered",
      ],
    ),
    "index.html": indexHtml(input),
  };
  await Deno.mkdir(dir, { recursive: true });
  const written: string[] = [];
  for (const name of REPORT_FILES) {
    const path = dir.endsWith("/") ? dir + name : `${dir}/${name}`;
    await writeFileAtomic(path, contents[name]);
    written.push(path);
  }
  return written;
}
