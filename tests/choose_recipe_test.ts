/**
 * `deno task bench:recipe` (bench/choose_recipe.ts): it compares recipes on
 * validation splits of the training images and never needs the test set.
 *
 * @module
 */

import assert from "node:assert/strict";
import { lastJson, runTask } from "./task.ts";

Deno.test("bench:recipe trains on validation splits of a folder that has no test split at all", async () => {
  const dir = await Deno.makeTempDir({ prefix: "recipe_" });
  try {
    // only the training files: reading the test split would fail with "missing"
    for (const name of ["train_X.csv", "train_label.csv"]) await Deno.copyFile(`data/${name}`, `${dir}/${name}`);
    const result = await runTask("bench:recipe", [
      ...["--data", dir, "--arch", "conv3x3x2,pool2,fc8", "--epochs", "3", "--lr", "0.1"],
      ...["--splits", "2", "--fraction", "0.2", "--first-split", "4"],
    ]);
    assert.equal(result.code, 0, result.stderr);
    const summary = lastJson(result);
    assert.equal(summary.train_images, 1000);
    assert.equal(summary.splits, 2);
    const last = summary.last_each as number[];
    assert.equal(last.length, 2);
    for (const a of last) assert.ok(a > 0.3 && a <= 1, `validation accuracy ${a}`);
    assert.ok(Math.abs((summary.last_epoch_mean as number) - (last[0] + last[1]) / 2) < 1e-12);
    // two splits of 800 + 200, each printed with its per-epoch validation accuracies
    const splits = result.stdout.split("\n").filter((line) => line.startsWith("split "));
    assert.deepEqual(splits.map((line) => /^split (\d+) \((\d+) \+ (\d+)\)/.exec(line)!.slice(1)), [
      ["4", "800", "200"],
      ["5", "800", "200"],
    ]);
    const rule = summary.best_epoch_rule_mean as number;
    assert.ok(rule <= (summary.best_each_mean as number) + 1e-12, "the honest rule never beats the optimistic one");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
