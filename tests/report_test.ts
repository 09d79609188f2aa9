import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { DOMParser } from "linkedom";
import pl from "nodejs-polars";
import {
  accuracyDomain,
  confusionSvg,
  countBins,
  type EpochRecord,
  metricsCsv,
  REPORT_FILES,
  trainingChartSvg,
  writeReport,
} from "../lib/report.ts";
import { exists, lastJson, listDir, runTask, scratchModelsDir } from "./task.ts";

const EPOCHS: EpochRecord[] = Array.from({ length: 6 }, (_, i) => ({
  epoch: i + 1,
  loss: 2 / (i + 1),
  trainAccuracy: 0.5 + 0.07 * i,
  testAccuracy: 0.45 + 0.06 * i,
  lr: 0.01,
  seconds: 0.1 + 0.01 * i,
}));

/** The SVG parsed as XML, and the text of all its <text> elements. */
function parseSvg(svg: string) {
  // deno-lint-ignore no-explicit-any
  const doc: any = new DOMParser().parseFromString(svg, "image/svg+xml");
  // deno-lint-ignore no-explicit-any
  const texts = [...doc.querySelectorAll("text")].map((t: any) => t.textContent as string);
  return { doc, texts, all: texts.join(" | ") };
}

Deno.test("report: metrics.csv has the documented columns and reads back with polars", () => {
  const csv = metricsCsv(EPOCHS);
  const df = pl.readCSV(Buffer.from(csv), { hasHeader: true });
  assert.deepEqual(df.columns, ["epoch", "loss", "train_accuracy", "test_accuracy", "lr", "seconds"]);
  assert.equal(df.height, EPOCHS.length);
  assert.deepEqual(df.getColumn("epoch").toArray(), [1, 2, 3, 4, 5, 6]);
  // to 8 significant digits: 0.45 + 0.06 · 2 is written 0.57, not 0.5700000000000001
  const digits8 = (x: number) => Number(x.toPrecision(8));
  assert.deepEqual(df.getColumn("test_accuracy").toArray(), EPOCHS.map((e) => digits8(e.testAccuracy)));
  assert.deepEqual(df.getColumn("loss").toArray(), EPOCHS.map((e) => digits8(e.loss)));
  assert.equal(df.getColumn("test_accuracy").toArray()[2], 0.57);
  const losses = df.getColumn("loss").toArray() as number[];
  losses.forEach((x, i) => assert.ok(Math.abs(x - EPOCHS[i].loss) < 1e-8, `${x} for ${EPOCHS[i].loss}`));
});

Deno.test("report: the training chart has a title, axis labels, a legend and a point per epoch and series", () => {
  const title = "784-30-10 (relu), batch 10 & more";
  const svg = trainingChartSvg({ title, summary: ["test accuracy 75.00%"], epochs: EPOCHS, confusion: [] });
  assert.match(svg, /^<\?xml version="1\.0" encoding="UTF-8"\?>\n<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  assert.match(svg, /<title>Training report: 784-30-10 \(relu\), batch 10 &amp; more<\/title>/, "escaped title");
  const { doc, all } = parseSvg(svg);
  for (const label of ["epoch", "mean cross-entropy loss", "accuracy (%)", "train accuracy", "test accuracy"]) {
    assert.ok(all.includes(label), `"${label}" shown`);
  }
  assert.ok(all.includes("test accuracy 75.00%"), "summary line");
  assert.ok(all.includes("test 75.0%"), "the last test accuracy labels its line");
  // loss dots + train and test dots + the two legend swatches
  assert.equal(doc.querySelectorAll("circle").length, 3 * EPOCHS.length + 2);
  assert.ok(!all.includes("learning rate"), "no learning-rate panel for a constant rate");
  const scheduled = EPOCHS.map((e, i) => ({ ...e, lr: 0.01 * 0.5 ** i }));
  assert.ok(
    parseSvg(trainingChartSvg({ title, summary: [], epochs: scheduled, confusion: [] })).all.includes("learning rate"),
  );
});

Deno.test("report: a one-epoch run draws without a Plot warning, its points inside the axes", () => {
  const one: EpochRecord[] = [{
    epoch: 1,
    loss: 2.02,
    trainAccuracy: 0.524,
    testAccuracy: 0.5086,
    lr: 0.01,
    seconds: 0.1,
  }];
  const warnings: unknown[][] = [];
  const warn = console.warn;
  console.warn = (...args: unknown[]) => void warnings.push(args);
  let svg: string;
  try {
    svg = trainingChartSvg({ title: "one epoch", summary: [], epochs: one, confusion: [] });
  } finally {
    console.warn = warn;
  }
  assert.deepEqual(warnings, [], "Plot printed no warning");
  assert.ok(!svg.includes("⚠"), "no warning sign in the chart");
  const { doc, all } = parseSvg(svg);
  assert.ok(all.includes("test 50.9%") && all.includes("train 52.4%"));
  const numbers = (selector: string, attribute: string) =>
    // deno-lint-ignore no-explicit-any
    [...doc.querySelectorAll(selector)].map((e: any) => Number(e.getAttribute(attribute)));
  for (const [panel, dots] of [[0, 1], [1, 2]]) {
    const grid = numbers(`svg > svg:nth-of-type(${panel + 1}) g[aria-label="y-grid"] line`, "y1");
    const cy = numbers(`svg > svg:nth-of-type(${panel + 1}) g[aria-label="dot"] circle`, "cy");
    assert.equal(cy.length, dots);
    assert.ok(grid.length >= 2, `panel ${panel}: a y axis with ticks`);
    // the bottom grid line is the x axis; the accuracy axis ends in grid lines at both ends, the loss axis on top
    // may end between ticks (loss 2.02 above the tick 2.0), so there the top of the picture bounds it
    const top = panel === 1 ? Math.min(...grid) : 0;
    for (const y of cy) assert.ok(y > top && y < Math.max(...grid), `panel ${panel}: ${y} inside ${top}…${grid}`);
  }
  const [train, test] = numbers('svg > svg:nth-of-type(2) g[aria-label="dot"] circle', "cy");
  assert.ok(test > train, "the lower test accuracy is drawn lower");
});

Deno.test("report: the accuracy axis covers the values with room, in whole tens of percent", () => {
  assert.deepEqual(accuracyDomain([0.524, 0.5086]), [0.4, 0.6]);
  assert.deepEqual(accuracyDomain([0.5, 0.978, 0.8657]), [0.4, 1]);
  assert.deepEqual(accuracyDomain([0, 0.01]), [0, 0.1]);
  assert.deepEqual(accuracyDomain([1]), [0.9, 1]);
  assert.deepEqual(accuracyDomain([]), [0, 1]);
});

Deno.test("report: the confusion heatmap has a cell per pair, the counts, axis labels and a legend", () => {
  const confusion = Array.from(
    { length: 10 },
    (_, t) => Array.from({ length: 10 }, (_, p) => (t === p ? 30 + t : t === p + 1 ? 3 : 0)),
  );
  const { doc, texts, all } = parseSvg(confusionSvg(confusion, "Confusion matrix on the test set", ["a run"]));
  assert.ok(all.includes("predicted digit") && all.includes("true digit"));
  assert.ok(all.includes("images per cell"), "legend label");
  assert.ok(texts.includes("39") && texts.includes("3"), "counts printed in their cells");
  // deno-lint-ignore no-explicit-any
  const counts = [...doc.querySelectorAll('g[aria-label="text"] text')].map((t: any) => Number(t.textContent));
  assert.deepEqual(counts.sort((a, b) => a - b), confusion.flat().filter((c) => c > 0).sort((a, b) => a - b));
  // 100 cells + the legend's colour bins
  assert.equal(doc.querySelectorAll("rect").length, 100 + countBins(39).range.length + 1);
});

Deno.test("report: colour bins step 1, 2, 5, 10, 20 … up to the largest count", () => {
  assert.deepEqual(countBins(1).domain, [1]);
  assert.deepEqual(countBins(39).domain, [1, 2, 5, 10, 20]);
  assert.deepEqual(countBins(6000).domain, [1, 2, 5, 10, 20, 50, 100, 200]);
  const bins = countBins(50);
  assert.equal(bins.range.length, bins.domain.length + 1, "one colour below the first threshold (zero)");
});

Deno.test("report: writeReport creates the folder, writes every file, leaves no temporary files", async () => {
  const dir = `${await Deno.makeTempDir()}/nested/report`;
  try {
    const input = { title: "t", summary: [], epochs: EPOCHS, confusion: [[3, 1], [0, 2]] };
    const files = await writeReport(dir, input);
    assert.deepEqual(files, REPORT_FILES.map((f) => `${dir}/${f}`));
    await writeReport(dir, { ...input, epochs: EPOCHS.slice(0, 2) }); // overwrites
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name).sort(), [...REPORT_FILES].sort());
    assert.equal(Deno.readTextFileSync(`${dir}/metrics.csv`).trim().split("\n").length, 3);
    assert.match(Deno.readTextFileSync(`${dir}/index.html`), /<img src="training\.svg"/);
  } finally {
    await Deno.remove(dir.replace(/\/nested\/report$/, ""), { recursive: true });
  }
});

Deno.test("report: deno task train --report writes the run's figures; a folder outside reports/ is refused", async () => {
  const models = await scratchModelsDir();
  const report = `reports/.test-${crypto.randomUUID().slice(0, 8)}`;
  try {
    const model = `${models.dir}/m.safetensors`;
    const run = await runTask("train", ["--epochs", "2", "--out", model, "--report", report, "--json"]);
    assert.equal(run.code, 0, run.stderr);
    const result = lastJson(run);
    assert.equal(result.report, report);
    assert.deepEqual(listDir(report), [...REPORT_FILES].sort());
    const csv = pl.readCSV(Buffer.from(Deno.readTextFileSync(`${report}/metrics.csv`)), { hasHeader: true });
    assert.equal(csv.height, 2);
    assert.equal(csv.getColumn("test_accuracy").toArray()[1], result.test_accuracy);
    assert.equal(csv.getColumn("lr").toArray()[0], 0.01);
    const svg = Deno.readTextFileSync(`${report}/confusion.svg`);
    assert.match(svg, /350 test images, accuracy/);
    assert.doesNotMatch(run.stderr, /replacing the report/);
    // a second run into the same folder says it replaces the report
    const again = await runTask("train", ["--epochs", "1", "--out", model, "--report", report]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(
      again.stdout,
      /report written: .*index\.html \(replacing the report there; --report NAME keeps both\)/,
    );
    assert.equal(
      pl.readCSV(Buffer.from(Deno.readTextFileSync(`${report}/metrics.csv`)), { hasHeader: true }).height,
      1,
    );
    const outside = await Deno.makeTempDir();
    const refused = await runTask("train", [
      "--epochs",
      "1",
      "--out",
      `${models.dir}/x.safetensors`,
      "--report",
      outside,
    ]);
    assert.equal(refused.code, 1);
    assert.match(
      refused.stderr,
      /^error: --report \S+ is outside the folders this task may write \(models\/, reports\/\)/,
    );
    assert.equal(exists(`${models.dir}/x.safetensors`), false, "no model written");
    await Deno.remove(outside);
  } finally {
    await models.remove();
    await Deno.remove(report, { recursive: true }).catch(() => {});
  }
});

Deno.test("report: confusion.svg states the accuracy of its own matrix, and the chart marks the kept epoch", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // the last epoch's test accuracy is 75%, but the kept weights (epoch 3) answer 3 of 6 right
    await writeReport(dir, { title: "t", summary: [], epochs: EPOCHS, confusion: [[2, 1], [2, 1]], keptEpoch: 3 });
    const { texts } = parseSvg(Deno.readTextFileSync(`${dir}/confusion.svg`));
    assert.ok(texts.some((t) => /6 test images, accuracy 50\.00%/.test(t)), texts.join(" | "));
    assert.ok(!texts.some((t) => /75\.00%/.test(t)));
    // epoch 3's test accuracy is 0.45 + 0.12 = 57%: the kept weights' figure, not the last epoch's
    assert.ok(parseSvg(Deno.readTextFileSync(`${dir}/training.svg`)).texts.includes("kept: epoch 3, test 57.0%"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("report: a validation split's accuracy is a column of metrics.csv and a line of the chart; index.html shows the summary once", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const epochs = EPOCHS.map((e, i) => ({ ...e, validationAccuracy: 0.6 + 0.01 * i }));
    const summary = ["test accuracy 57.00% on 6 images"];
    await writeReport(dir, { title: "t", summary, epochs, confusion: [[2, 1], [2, 1]], keptEpoch: 3 });
    const csv = pl.readCSV(Deno.readTextFileSync(`${dir}/metrics.csv`));
    assert.deepEqual(csv.getColumn("validation_accuracy").toArray(), epochs.map((e) => e.validationAccuracy));
    const { texts } = parseSvg(Deno.readTextFileSync(`${dir}/training.svg`));
    assert.ok(texts.includes("validation"), texts.join(" | ")); // the legend
    assert.ok(texts.some((t) => /^val 65\.0%$/.test(t)), texts.join(" | "));
    const html = Deno.readTextFileSync(`${dir}/index.html`);
    assert.equal(html.split("test accuracy 57.00%").length, 1, "the summary is in training.svg, not again in the page");
    assert.equal(texts.filter((t) => t === summary[0]).length, 1);
    // without a validation split there is no such column
    assert.doesNotMatch(metricsCsv(EPOCHS), /validation/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
