import assert from "node:assert/strict";
import {
  auditDataset,
  cleanTestIndices,
  crossDuplicates,
  duplicateGroups,
  hashRows,
  pixelStats,
} from "../../lib/data/audit.ts";
import { loadSplit } from "../../lib/data/load.ts";
import { makeDataset } from "../../lib/data/dataset.ts";
import { expectedDataset, plantedFixture, tempDir, writeFixture } from "./mnist_fixtures.ts";
import { lastJson, runTask } from "../task.ts";

Deno.test("audit: FNV-1a row hashes match the published test vectors", () => {
  // FNV-1a 32-bit of the bytes "a" and "foobar" are 0xe40c292c and 0xbf9cf968 (Fowler/Noll/Vo)
  const bytes = new TextEncoder().encode("foobar\0\0"); // 8 bytes = two Float32 values
  const foobar = makeDataset(new Float32Array(bytes.buffer), new Uint8Array(1), 2);
  const withoutPadding = (h: number, pad: number) => {
    // undo the two trailing zero bytes: h = ((h' ^ 0) * p) twice, and p is invertible mod 2^32
    const inverse = 0x359c449b; // FNV prime⁻¹ mod 2^32
    for (let k = 0; k < pad; k++) h = Math.imul(h, inverse) >>> 0;
    return h;
  };
  assert.equal(withoutPadding(hashRows(foobar)[0], 2), 0xbf9cf968);
  const a = makeDataset(new Float32Array(new Uint8Array([0x61, 0, 0, 0]).buffer), new Uint8Array(1), 1);
  assert.equal(withoutPadding(hashRows(a)[0], 3), 0xe40c292c);
});

Deno.test("audit: rows that share a hash but differ are not duplicates", () => {
  // these two 2-pixel rows collide under 32-bit FNV-1a (found by search)
  const x = new Float32Array([208 / 255, 79 / 255, 510 / 255, 85 / 255, 208 / 255, 79 / 255]);
  const data = makeDataset(x, new Uint8Array([1, 2, 1]), 2);
  const h = hashRows(data);
  assert.equal(h[0], h[1], "a real collision");
  assert.deepEqual(duplicateGroups(data).map((g) => g.rows), [[1, 3]]);
});

Deno.test("audit: duplicate groups, cross-split copies, conflicts and the clean test set", () => {
  const { train, test } = plantedFixture();
  const trainData = expectedDataset(train), testData = expectedDataset(test);
  const groups = duplicateGroups(trainData);
  // 1-based rows: train 7 = train 3 → rows 4, 8; train 11 = train 10 → rows 11, 12
  assert.deepEqual(groups.map((g) => g.rows), [[4, 8], [11, 12]]);
  assert.deepEqual(groups.map((g) => g.conflict), [false, true]);
  const cross = crossDuplicates(trainData, testData);
  assert.deepEqual(cross.map((d) => [d.testRow, d.trainRows, d.conflict]), [[1, [6], false], [2, [10], true]]);
  assert.deepEqual([...cleanTestIndices(trainData, testData)], [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]);
  const audit = auditDataset(trainData, testData);
  assert.equal(audit.train?.distinctImages, 38);
  assert.equal(audit.train?.labelConflicts, 1);
  assert.deepEqual(audit.test?.duplicateGroups.map((g) => g.rows), [[3, 5]]);
  assert.equal(audit.across?.labelConflicts, 1);
  assert.equal(auditDataset(null, testData).across, null);
});

Deno.test("audit: pixel statistics agree with a direct computation on the 0–255 values", () => {
  const { train } = plantedFixture();
  const s = pixelStats(expectedDataset(train));
  const values = [...train.pixels];
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const std = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / values.length);
  assert.ok(Math.abs(s.mean - mean) < 1e-3, `${s.mean} vs ${mean}`);
  assert.ok(Math.abs(s.std - std) < 1e-3, `${s.std} vs ${std}`);
  assert.equal(s.zeroFraction, values.filter((v) => v === 0).length / values.length);
  assert.equal(s.min, Math.min(...values));
  assert.equal(s.max, Math.max(...values));
});

Deno.test("audit: on data/ the duplicate figures agree with comparing the CSV lines as text", async () => {
  const train = await loadSplit("data", "train");
  const test = await loadSplit("data", "test");
  const audit = auditDataset(train, test);
  // independent check: identical images are identical lines of the X files
  const lines = (name: string) => Deno.readTextFileSync(`data/${name}`).trim().split(/\r?\n/);
  const trainLines = lines("train_X.csv"), testLines = lines("test_X.csv");
  const counts = new Map<string, number>();
  for (const l of trainLines) counts.set(l, (counts.get(l) ?? 0) + 1);
  const trainSet = new Set(trainLines);
  assert.equal(audit.train?.distinctImages, trainSet.size);
  assert.equal(audit.train?.duplicateGroups.length, [...counts.values()].filter((c) => c > 1).length);
  assert.equal(audit.across?.testRowsInTrain.length, testLines.filter((l) => trainSet.has(l)).length);
  assert.equal(audit.test?.distinctImages, new Set(testLines).size);
  // and the facts data/README.md states about the committed files
  assert.deepEqual(audit.train?.classCounts, [101, 118, 87, 108, 96, 92, 92, 103, 109, 94]);
  assert.deepEqual(audit.test?.classCounts, [31, 44, 28, 48, 35, 30, 25, 37, 31, 41]);
  assert.equal(audit.train?.duplicateGroups.length, 41);
  assert.equal(audit.train?.distinctImages, 958);
  assert.equal(audit.across?.testRowsInTrain.length, 32);
  assert.equal(audit.train?.labelConflicts, 0);
});

Deno.test("audit: deno task audit prints the report and JSON; an empty folder is one error line", async () => {
  const text = await runTask("audit", []);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /rows are numbered 1-based over data rows/);
  assert.match(text.stdout, /train: 1000 images \(seed layout/);
  assert.match(text.stdout, /41 groups of identical images covering \d+ rows; 958 distinct images/);
  assert.match(text.stdout, /across splits: 32 of 350 test images also appear in train/);
  const fixture = plantedFixture();
  const { dir, remove } = await tempDir();
  try {
    await writeFixture(dir, "idx-gz", fixture);
    const json = lastJson(await runTask("audit", ["--data", dir, "--json"])) as {
      train: { layout: string; distinct_images: number; duplicate_groups: { rows: number[]; conflict: boolean }[] };
      across: { test_images_in_train: number; label_conflicts: number };
    };
    assert.equal(json.train.layout, "idx");
    assert.equal(json.train.distinct_images, 38);
    assert.deepEqual(json.train.duplicate_groups[1], { rows: [11, 12], labels: [0, 1], conflict: true });
    assert.deepEqual([json.across.test_images_in_train, json.across.label_conflicts], [2, 1]);
    const empty = await runTask("audit", ["--data", `${dir}/nothing-here`]);
    assert.equal(empty.code, 1);
    assert.match(empty.stderr.trim(), /^error: --data \S+\/nothing-here: no such folder$/);
  } finally {
    await remove();
  }
});
