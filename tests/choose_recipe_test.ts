/**
 * `deno task bench:recipe` (bench/choose_recipe.ts): it compares recipes on
 * validation splits of the training images and never needs the test set.
 *
 * @module
 */

import assert from "node:assert/strict";
import { lastJson, runTask, type TaskResult } from "./task.ts";

Deno.test("bench:recipe trains on validation splits of a folder that has no test split at all", async () => {
  const dir = await Deno.makeTempDir({ prefix: "recipe_" });
  try {
    // only the training files: reading the test split would fail with "missing"
    for (const name of ["train_X.csv", "train_label.csv"]) await Deno.copyFile(`data/${name}`, `${dir}/${name}`);
    const result = await runTask("bench:recipe", [
      ...["--data", dir, "--arch", "conv3x3x2,pool2,fc8", "--epochs", "3", "--lr", "0.1"],
      ...["--splits", "2", "--fraction", "0.2", "--first-split", "4", "--json"],
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout.trim().split("\n").length, 1, "with --json, stdout holds the JSON line alone");
    const summary = lastJson(result);
    assert.equal(summary.train_images, 1000);
    assert.equal(summary.splits, 2);
    const last = summary.last_each as number[];
    assert.equal(last.length, 2);
    for (const a of last) assert.ok(a > 0.3 && a <= 1, `validation accuracy ${a}`);
    assert.ok(Math.abs((summary.last_epoch_mean as number) - (last[0] + last[1]) / 2) < 1e-12);
    // two splits of 800 + 200, each printed with its per-epoch validation accuracies
    const splits = result.stderr.split("\n").filter((line) => line.startsWith("split "));
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

Deno.test("bench:recipe prints no JSON without --json, and no strengths for augment none", async () => {
  const args = ["--hidden", "8", "--epochs", "1", "--splits", "1"];
  const plain = await runTask("bench:recipe", args);
  assert.equal(plain.code, 0, plain.stderr);
  assert.ok(plain.stdout.split("\n").every((line) => !line.startsWith("{")), plain.stdout);
  assert.match(plain.stdout, /, augment none; 1 splits of 1000 training images/);
  assert.match(plain.stdout, /^mean curve: /m);
  const shifted = await runTask("bench:recipe", [...args, "--augment", "shift", "--json"]);
  assert.equal(shifted.code, 0, shifted.stderr);
  assert.match(shifted.stderr, /, augment shift \(shift 2\); /, "a shift has no rotation or zoom");
  assert.equal(lastJson(shifted).augment, "shift");
});

/** A usage error: exit 1, one `error:` line matching `pattern`, then the usage line; nothing on stdout. */
function assertUsageError(result: TaskResult, pattern: RegExp): void {
  assert.equal(result.code, 1, result.stderr);
  assert.equal(result.stdout, "");
  const [error, usage, ...more] = result.stderr.trim().split("\n");
  assert.match(error, pattern);
  assert.match(usage, /^Usage: deno task bench:recipe .*\(deno task bench:recipe --help lists the flags\)$/);
  assert.deepEqual(more, []);
}

Deno.test("bench:recipe: a mistyped flag, its own or train's, gets the nearest one", async () => {
  assertUsageError(
    await runTask("bench:recipe", ["--splitz", "2"]),
    /^error: unknown option '--splitz'; did you mean --splits\?$/,
  );
  assertUsageError(
    await runTask("bench:recipe", ["--fractoin=0.3"]),
    /^error: unknown option '--fractoin' \(in "--fractoin=0.3"\); did you mean --fraction\?$/,
  );
  assertUsageError(await runTask("bench:recipe", ["--epoch", "3"]), /did you mean --epochs\?$/);
  assertUsageError(await runTask("bench:recipe", ["--splits"]), /^error: --splits needs a value$/);
  assertUsageError(await runTask("bench:recipe", ["--subset=0"]), /^error: --subset must be a whole number ≥ 1/);
});

Deno.test("bench:recipe refuses the train flags that would do nothing here, before any work", async () => {
  for (const args of [["--seed", "3"], ["--val-split=0.2"], ["--out", "models/x.safetensors"], ["--report", "r"]]) {
    const flag = args[0].split("=")[0];
    assertUsageError(
      await runTask("bench:recipe", args),
      new RegExp(
        `^error: ${flag} has no effect in bench:recipe \\(the splits replace --val-split, .*\\); leave it out$`,
      ),
    );
  }
});

Deno.test("bench:recipe --help lists its own flags and --json", async () => {
  const result = await runTask("bench:recipe", ["--help"]);
  assert.equal(result.code, 0, result.stderr);
  assert.ok(result.stdout.startsWith("Usage: deno task bench:recipe "));
  for (const flag of ["--json", "--splits", "--fraction", "--first-split", "--subset", "--help"]) {
    assert.match(result.stdout, new RegExp(`^  (-h, )?${flag} `, "m"), `${flag} has a line of its own`);
  }
});
