import assert from "node:assert/strict";
import { parseTrainArgs } from "../../cli/train.ts";
import { splitForValidation } from "../../cli/recipe.ts";
import { makeDataset } from "../../lib/data/dataset.ts";
import { UsageError } from "../../cli/common.ts";
import { AUGMENTATIONS } from "../../lib/data/augment.ts";
import { loadModel } from "../../lib/io/model_file.ts";
import { OPTIMIZERS } from "../../lib/nn/optimizers.ts";
import { PRESET_NAMES, PRESETS } from "../../lib/nn/presets.ts";
import { SCHEDULES } from "../../lib/nn/schedule.ts";
import { lastJson, listDir, runTask, scratchModelsDir } from "../task.ts";

Deno.test("preset spec: the same configuration as no flags at all (the spec defaults)", () => {
  const plain = parseTrainArgs([]);
  const spec = parseTrainArgs(["--preset", "spec"]);
  assert.deepEqual(spec, plain, "no --preset is --preset spec, recorded as such");
  assert.equal(plain.recipe.preset, "spec");
  assert.deepEqual([plain.epochs, plain.batchSize, plain.lr, plain.hidden], [30, 10, 0.01, [30]]);
  assert.equal(plain.recipe.optimizer, "sgd");
  assert.equal(plain.recipe.weightDecay, 0);
  assert.equal(plain.recipe.schedule, "constant");
  assert.equal(plain.recipe.augment.kind, "none");
  assert.equal(plain.recipe.valSplit, 0);
});

Deno.test("preset cnn: a convolutional --arch with its recipe; an explicit --hidden or --arch wins", () => {
  const cnn = parseTrainArgs(["--preset", "cnn"]);
  assert.equal(cnn.arch?.map((item) => item.kind).join(","), "conv,pool,conv,pool,fc");
  assert.deepEqual(cnn.hidden, []);
  assert.equal(cnn.recipe.valSplit, 0, "the cnn preset trains on all the images and keeps the last epoch");
  assert.equal(cnn.recipe.schedule, "cosine");
  assert.equal(cnn.recipe.augment.kind, "elastic");
  assert.equal(parseTrainArgs(["--preset", "cnn", "--val-split", "0.1"]).recipe.valSplit, 0.1);
  const mlp = parseTrainArgs(["--preset", "cnn", "--hidden", "64"]);
  assert.equal(mlp.arch, null);
  assert.deepEqual(mlp.hidden, [64]);
  const other = parseTrainArgs(["--preset", "best", "--arch", "conv3x3x8:same,pool2,fc32"]);
  assert.equal(other.arch?.length, 3);
  assert.equal(other.recipe.augment.kind, "elastic");
});

Deno.test("preset best: sets its flags; every explicit flag wins over the preset", () => {
  const best = parseTrainArgs(["--preset", "best"]);
  const flags = PRESETS.best.flags;
  assert.equal(best.epochs, Number(flags.epochs));
  assert.deepEqual(best.hidden, flags.hidden.split(",").map(Number));
  assert.equal(best.recipe.optimizer, flags.optimizer);
  assert.equal(best.recipe.augment.kind, flags.augment);
  assert.equal(best.recipe.valSplit, Number(flags["val-split"]));
  assert.ok(best.recipe.valSplit > 0, "the best preset selects its weights on a validation split");
  const mine = parseTrainArgs([
    "--preset",
    "best",
    "--epochs",
    "7",
    "--hidden",
    "40,20",
    "--optimizer",
    "adam",
    "--augment",
    "shift",
    "--val-split",
    "0.2",
    "--schedule",
    "step",
  ]);
  assert.equal(mine.epochs, 7);
  assert.deepEqual(mine.hidden, [40, 20]);
  assert.equal(mine.recipe.optimizer, "adam");
  assert.equal(mine.recipe.augment.kind, "shift");
  assert.equal(mine.recipe.valSplit, 0.2);
  assert.equal(mine.recipe.schedule, "step");
  assert.equal(mine.batchSize, Number(flags["batch-size"]), "flags not given still come from the preset");
});

Deno.test("presets: every value is a valid flag value, so a preset parses without error", () => {
  for (const name of PRESET_NAMES) {
    const args = Object.entries(PRESETS[name].flags).flatMap(([flag, value]) => [`--${flag}`, value]);
    assert.doesNotThrow(() => parseTrainArgs(args), `preset ${name}`);
    assert.equal(PRESETS[name].name, name);
  }
});

Deno.test("recipe flags: each accepted name parses", () => {
  for (const o of OPTIMIZERS) assert.equal(parseTrainArgs(["--optimizer", o]).recipe.optimizer, o);
  for (const s of SCHEDULES) assert.equal(parseTrainArgs(["--schedule", s]).recipe.schedule, s);
  for (const a of AUGMENTATIONS) assert.equal(parseTrainArgs(["--augment", a]).recipe.augment.kind, a);
  const r = parseTrainArgs([
    "--optimizer",
    "momentum",
    "--augment",
    "elastic",
    "--momentum",
    "0.5",
    "--weight-decay",
    "1e-4",
    "--warmup",
    "2",
    "--shift",
    "1.5",
    "--rotate",
    "15",
    "--scale",
    "0.2",
    "--elastic-alpha",
    "30",
    "--elastic-sigma",
    "4",
    "--patience",
    "5",
    "--val-split",
    "0.1",
  ]).recipe;
  assert.deepEqual(
    [r.momentum, r.weightDecay, r.warmup, r.patience],
    [0.5, 1e-4, 2, 5],
  );
  assert.deepEqual(
    [r.augment.shift, r.augment.rotate, r.augment.scale, r.augment.elasticAlpha, r.augment.elasticSigma],
    [1.5, 15, 0.2, 30, 4],
  );
});

const badRecipeFlags: [string[], RegExp][] = [
  [["--preset", "fast"], /--preset must be one of spec, best/],
  [["--optimizer", "rmsprop"], /--optimizer must be one of sgd, momentum, adam/],
  [["--momentum", "1"], /--momentum/],
  [["--momentum", "-0.1"], /--momentum/],
  [["--weight-decay", "-1"], /--weight-decay must be a number ≥ 0, got "-1"$/],
  [["--weight-decay", "abc"], /--weight-decay/],
  [["--schedule", "linear"], /--schedule must be one of constant, step, cosine/],
  [["--warmup", "30"], /--warmup must be less than --epochs \(30\), got 30$/],
  [["--warmup", "1.5"], /--warmup/],
  [["--augment", "mixup"], /--augment must be one of none, shift, affine, elastic/],
  [["--shift", "-1"], /--shift/],
  [["--rotate", "200"], /--rotate/],
  [["--scale", "1"], /--scale/],
  [["--elastic-alpha", "x"], /--elastic-alpha/],
  [["--momentum", "0x0"], /--momentum must be a number from 0 up to \(not including\) 1, got "0x0"$/],
  [["--lr", "0x10"], /--lr must be a number > 0, got "0x10"$/],
  [["--elastic-sigma", "0"], /--elastic-sigma/],
  [["--val-split", "0.95"], /--val-split/],
  [["--val-split", "-0.1"], /--val-split/],
  [["--patience", "-3"], /--patience/],
];

Deno.test("recipe flags: bad values are usage errors naming the flag", () => {
  for (const [args, pattern] of badRecipeFlags) {
    assert.throws(() => parseTrainArgs(args), (e: unknown) => e instanceof UsageError && pattern.test(e.message));
  }
});

Deno.test("cli train: bad recipe flags exit 1 with one error line and write no model", async () => {
  const scratch = await scratchModelsDir();
  try {
    for (const [flags, pattern] of badRecipeFlags.filter((_, k) => k % 3 === 0)) {
      const result = await runTask("train", [...flags, "--out", `${scratch.dir}/m.safetensors`]);
      assert.equal(result.code, 1, result.stderr);
      const errors = result.stderr.split("\n").filter((l) => l.startsWith("error:"));
      assert.equal(errors.length, 1);
      assert.match(errors[0], pattern);
    }
    assert.deepEqual(listDir(scratch.dir), []);
  } finally {
    await scratch.remove();
  }
});

Deno.test("cli train --preset best (shortened): validation split, best epoch and the full recipe in the model", async () => {
  const scratch = await scratchModelsDir();
  try {
    const out = `${scratch.dir}/best.safetensors`;
    const result = await runTask("train", [
      ...["--preset", "best", "--epochs", "4", "--warmup", "1", "--hidden", "24", "--seed", "2"],
      ...["--json", "--out", out],
    ]);
    assert.equal(result.code, 0, result.stderr);
    const summary = lastJson(result);
    assert.equal(summary.preset, "best");
    assert.equal(summary.epochs_run, 4);
    assert.equal(summary.val_split, Number(PRESETS.best.flags["val-split"]));
    const bestEpoch = summary.best_epoch as number;
    assert.ok(bestEpoch >= 1 && bestEpoch <= 4);
    // the kept epoch is the one with the highest validation accuracy printed
    const valPerEpoch = result.stderr.split("\n").filter((l) => /^epoch /.test(l)).map((l) =>
      Number(/val ([\d.]+)%/.exec(l)![1]) / 100
    );
    assert.equal(valPerEpoch.length, 4);
    assert.equal(Math.max(...valPerEpoch), summary.validation_accuracy);
    assert.equal(valPerEpoch[bestEpoch - 1], summary.validation_accuracy);

    const { metadata } = await loadModel(out);
    const expected: Record<string, string> = {
      preset: "best",
      optimizer: PRESETS.best.flags.optimizer,
      weight_decay: String(Number(PRESETS.best.flags["weight-decay"])),
      schedule: PRESETS.best.flags.schedule,
      warmup: "1",
      augment: PRESETS.best.flags.augment,
      val_split: String(Number(PRESETS.best.flags["val-split"])),
      best_epoch: String(bestEpoch),
      epochs: "4",
      epochs_run: "4",
      hidden: "24",
      seed: "2",
    };
    for (const [key, value] of Object.entries(expected)) assert.equal(metadata[key], value, key);
    const held = Number(metadata.validation_examples);
    assert.equal(held, Math.round(1000 * Number(PRESETS.best.flags["val-split"])));
    assert.equal(Number(metadata.train_examples), 1000 - held);
  } finally {
    await scratch.remove();
  }
});

Deno.test("cli train: --patience stops early and the run records the epochs it ran", async () => {
  const scratch = await scratchModelsDir();
  try {
    const out = `${scratch.dir}/p.safetensors`;
    // at η = 0.2 the spec network's validation accuracy peaks within a few epochs and then jitters
    const result = await runTask("train", [
      ...["--epochs", "80", "--lr", "0.2", "--val-split", "0.1", "--patience", "3"],
      ...["--json", "--out", out],
    ]);
    assert.equal(result.code, 0, result.stderr);
    const summary = lastJson(result);
    const run = summary.epochs_run as number;
    assert.ok(run < 60, `ran ${run} epochs`);
    assert.equal(run, (summary.best_epoch as number) + 3);
    assert.match(result.stderr, new RegExp(`stopped after ${run} epochs`));
    assert.equal((await loadModel(out)).metadata.epochs_run, String(run));
  } finally {
    await scratch.remove();
  }
});

Deno.test("preset mnist: the full MNIST (implies --data mnist), held-out validation; --data still wins", () => {
  const mnist = parseTrainArgs(["--preset", "mnist"]);
  const flags = PRESETS.mnist.flags;
  assert.equal(mnist.data, "mnist");
  assert.deepEqual([mnist.epochs, mnist.batchSize, mnist.lr, mnist.hidden], [30, 32, 0.05, [256]]);
  assert.equal(mnist.recipe.optimizer, flags.optimizer);
  assert.equal(mnist.recipe.schedule, "cosine");
  assert.equal(mnist.recipe.augment.kind, "affine");
  assert.ok(mnist.recipe.valSplit > 0, "the mnist preset selects its weights on a validation split");
  assert.equal(parseTrainArgs(["--preset", "mnist", "--data", "elsewhere"]).data, "elsewhere");
});

Deno.test("preset mnist-cnn: the cnn network on the full MNIST (implies --data mnist), final weights; flags win", () => {
  const config = parseTrainArgs(["--preset", "mnist-cnn"]);
  const flags = PRESETS["mnist-cnn"].flags;
  assert.equal(config.data, "mnist");
  assert.equal(config.arch?.map((item) => item.kind).join(","), "conv,pool,conv,pool,fc");
  assert.deepEqual(config.hidden, []);
  assert.deepEqual([config.epochs, config.batchSize, config.lr], [15, 32, 0.05]);
  assert.equal(config.recipe.optimizer, "momentum");
  assert.equal(config.recipe.schedule, "cosine");
  assert.equal(config.recipe.augment.kind, flags.augment);
  assert.equal(config.recipe.valSplit, 0, "all 60,000 images train; the cosine schedule's last epoch is kept");
  const mine = parseTrainArgs(["--preset", "mnist-cnn", "--data", "data", "--epochs", "2", "--hidden", "32"]);
  assert.deepEqual([mine.data, mine.epochs, mine.arch, mine.hidden], ["data", 2, null, [32]]);
});

Deno.test("cli train --preset mnist-cnn --data data --epochs 1: the preset trains through the typed flags", async () => {
  const scratch = await scratchModelsDir();
  try {
    const out = `${scratch.dir}/cnn.safetensors`;
    const result = await runTask("train", [
      ...["--preset", "mnist-cnn", "--data", "data", "--epochs", "1", "--seed", "1", "--json", "--out", out],
    ]);
    assert.equal(result.code, 0, result.stderr);
    const summary = lastJson(result);
    assert.equal(summary.preset, "mnist-cnn");
    assert.equal(summary.arch, PRESETS["mnist-cnn"].flags.arch);
    assert.equal(summary.val_split, 0);
    assert.equal(summary.best_epoch, null, "no validation split: the last epoch's weights are the model");
    const { metadata } = await loadModel(out);
    assert.equal(metadata.preset, "mnist-cnn");
    assert.equal(metadata.train_examples, "1000", "every training image trains");
    assert.equal(metadata.augment, "affine");
    assert.ok((summary.test_accuracy as number) > 0.5, `one epoch reached only ${summary.test_accuracy}`);
  } finally {
    await scratch.remove();
  }
});

Deno.test("splitForValidation: a split that would hold out every image, or none, is a usage error naming the flag", () => {
  // three images of class 0: each class holds out its rounded share, 0.85 · 3 → all three
  const three = makeDataset(new Float32Array(3 * 784).map((_, k) => (k % 785 === 0 ? 1 : 0)), new Uint8Array(3));
  const recipe = (valSplit: number) => parseTrainArgs(["--val-split", String(valSplit)]).recipe;
  assert.throws(
    () => splitForValidation(three, recipe(0.85), 0),
    (e: unknown) =>
      e instanceof UsageError && e.message === "--val-split 0.85 holds out every image of a 3-image training set",
  );
  assert.throws(() => splitForValidation(three, recipe(0.1), 0), /--val-split 0\.1 holds out no image of a 3-image/);
  const { train, validation } = splitForValidation(three, recipe(0.5), 0);
  assert.deepEqual([train.n, validation!.n], [1, 2]);
});
