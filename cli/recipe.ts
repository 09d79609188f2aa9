/**
 * The training recipe flags of `deno task train` beyond the spec's: optimiser,
 * weight decay, learning-rate schedule, augmentation, validation split, early
 * stopping, and `--preset`, which fills in any of the train flags.
 *
 * Kept apart from `train.ts` so the recipe is parsed, validated and recorded
 * in one place: {@linkcode parseRecipe} reads it, {@linkcode recipeMetadata}
 * writes it into the model file.
 *
 * @module
 */

import {
  AUGMENTATIONS,
  Augmenter,
  type AugmentName,
  type AugmentOptions,
  DEFAULT_AUGMENT,
} from "../lib/data/augment.ts";
import type { Dataset } from "../lib/data/dataset.ts";
import { createOptimizer, type Optimizer, type OptimizerName, OPTIMIZERS } from "../lib/nn/optimizers.ts";
import { PRESET_NAMES, type PresetName, PRESETS } from "../lib/nn/presets.ts";
import { Random } from "../lib/nn/random.ts";
import { makeSchedule, type ScheduleName, SCHEDULES } from "../lib/nn/schedule.ts";
import { splitDataset } from "../lib/data/split.ts";
import type { TrainOptions } from "../lib/nn/train.ts";
import { nonNegativeInt, numberInRange, oneOf, UsageError } from "./common.ts";

/** The recipe's flags, for `parseFlags` (all take a value). */
export const RECIPE_FLAGS = {
  preset: { type: "string" },
  optimizer: { type: "string" },
  momentum: { type: "string" },
  "weight-decay": { type: "string" },
  schedule: { type: "string" },
  warmup: { type: "string" },
  augment: { type: "string" },
  shift: { type: "string" },
  rotate: { type: "string" },
  scale: { type: "string" },
  "elastic-alpha": { type: "string" },
  "elastic-sigma": { type: "string" },
  "val-split": { type: "string" },
  patience: { type: "string" },
} as const;

/** A preset's flags as command-line words, wrapped into lines of at most `width` characters after `indent`. */
function presetFlagLines(name: PresetName, indent: string, width = 100): string {
  const lines: string[] = [];
  for (const word of Object.entries(PRESETS[name].flags).map(([flag, value]) => `--${flag} ${value}`)) {
    const last = lines.length - 1;
    if (last >= 0 && indent.length + lines[last].length + 1 + word.length <= width) lines[last] += ` ${word}`;
    else lines.push(word);
  }
  return lines.map((line) => indent + line).join("\n");
}

/** The recipe's lines of the usage text; `--preset` lists what each preset sets, from `lib/nn/presets.ts`. */
export const RECIPE_USAGE =
  `  --preset NAME       fill in flags from a preset, explicit flags win: spec (the defaults, also
                      without --preset), or one of these, which set (mnist and mnist-cnn imply
                      --data mnist):
${
    PRESET_NAMES.filter((name) => name !== "spec").map((name) =>
      `                      ${name}:\n${presetFlagLines(name, "                        ")}`
    ).join("\n")
  }
  --optimizer NAME    sgd, momentum or adam (Adam with decoupled weight decay, AdamW) (default: sgd)
  --momentum X        momentum μ for --optimizer momentum, 0 ≤ μ < 1 (default: 0.9)
  --weight-decay X    weight decay λ on the weights, not the biases (default: 0)
  --schedule NAME     learning rate per epoch: constant, step (÷10 at 1/2 and 3/4 of the epochs)
                      or cosine (down to 0) (default: constant)
  --warmup N          epochs of linear learning-rate warm-up first (default: 0)
  --augment NAME      none, shift (whole pixels), affine (rotate, zoom, shift) or elastic
                      (affine plus an elastic distortion) (default: none)
  --shift PX          largest shift, pixels (default: 2)
  --rotate DEG        largest rotation, degrees (default: 10)
  --scale F           largest zoom, as a fraction: 0.1 is 90%–110% (default: 0.1)
  --elastic-alpha A   elastic displacement strength α, pixels (default: 24)
  --elastic-sigma S   elastic smoothness σ, pixels (default: 3)
  --val-split F       fraction of the training set held out for validation, 0 ≤ F < 0.9 (stratified, seeded);
                      the weights of the best validation epoch are kept (default: 0)
  --patience N        stop after N epochs without a better validation accuracy; 0 = never;
                      needs --val-split (default: 0)`;

/** The parsed recipe. */
export interface Recipe {
  /** The preset the flags started from; "spec" when none was named. */
  preset: PresetName;
  optimizer: OptimizerName;
  momentum: number;
  weightDecay: number;
  schedule: ScheduleName;
  warmup: number;
  augment: AugmentOptions;
  valSplit: number;
  patience: number;
}

type FlagValues = { [flag: string]: string | boolean | undefined };

/**
 * The flag values with the chosen preset's values filled in where the command
 * line left a flag out. No `--preset` is `--preset spec` (the defaults), so
 * both run and record the same recipe. A bad preset name is a
 * {@linkcode UsageError}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { withPreset } from "./recipe.ts";
 * const values: Record<string, string | undefined> = withPreset({ preset: "best", epochs: "5" });
 * assert.equal(values.epochs, "5"); // the command line wins
 * assert.equal(values.augment, "elastic"); // the preset fills in
 * assert.deepEqual(withPreset({}), withPreset({ preset: "spec" }));
 * ```
 */
export function withPreset<T extends FlagValues>(values: T): T {
  const name = oneOf("preset", values.preset as string | undefined, PRESET_NAMES, "spec");
  const merged: FlagValues = { ...PRESETS[name].flags, preset: name };
  for (const [flag, value] of Object.entries(values)) if (value !== undefined) merged[flag] = value;
  return merged as T;
}

/** A finite number ≥ 0 from flag `--name`. */
function nonNegativeNumber(name: string, value: string | undefined, fallback: number): number {
  return numberInRange(name, value, fallback, 0, Infinity);
}

/**
 * Reads and validates the recipe flags (after {@linkcode withPreset}); a bad
 * value is a {@linkcode UsageError}. `epochs` bounds the warm-up.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseRecipe } from "./recipe.ts";
 * const recipe = parseRecipe({ optimizer: "adam", "val-split": "0.1" }, 30);
 * assert.equal(recipe.optimizer, "adam");
 * assert.equal(recipe.valSplit, 0.1);
 * ```
 */
export function parseRecipe(values: FlagValues, epochs: number): Recipe {
  const text = (flag: string) => values[flag] as string | undefined;
  const warmup = nonNegativeInt("warmup", text("warmup"), 0);
  if (warmup >= epochs) throw new UsageError(`--warmup must be less than --epochs (${epochs}), got ${warmup}`);
  const kind: AugmentName = oneOf("augment", text("augment"), AUGMENTATIONS, "none");
  const valSplit = numberInRange("val-split", text("val-split"), 0, 0, 0.9);
  const patience = nonNegativeInt("patience", text("patience"), 0);
  if (patience > 0 && valSplit === 0) {
    throw new UsageError(`--patience ${patience} needs --val-split: early stopping watches the validation accuracy`);
  }
  return {
    preset: (values.preset ?? "spec") as PresetName,
    optimizer: oneOf("optimizer", text("optimizer"), OPTIMIZERS, "sgd"),
    momentum: numberInRange("momentum", text("momentum"), 0.9, 0, 1),
    weightDecay: nonNegativeNumber("weight-decay", text("weight-decay"), 0),
    schedule: oneOf("schedule", text("schedule"), SCHEDULES, "constant"),
    warmup,
    augment: {
      kind,
      shift: numberInRange("shift", text("shift"), DEFAULT_AUGMENT.shift, 0, 14),
      rotate: numberInRange("rotate", text("rotate"), DEFAULT_AUGMENT.rotate, 0, 180),
      scale: numberInRange("scale", text("scale"), DEFAULT_AUGMENT.scale, 0, 1),
      elasticAlpha: nonNegativeNumber("elastic-alpha", text("elastic-alpha"), DEFAULT_AUGMENT.elasticAlpha),
      elasticSigma: numberInRange("elastic-sigma", text("elastic-sigma"), DEFAULT_AUGMENT.elasticSigma, 0.5, 14),
    },
    valSplit,
    patience,
  };
}

/**
 * Refuses a recipe flag given on the command line that the chosen recipe
 * would ignore, e.g. `--momentum 0.5` without `--optimizer momentum` (plain
 * SGD has no momentum): a {@linkcode UsageError} naming the flag and what it
 * needs. Only flags in `given` (the command line, not the preset) count, so
 * `--preset best --optimizer adam` is fine though the preset sets a momentum.
 * Returns `recipe`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseRecipe, requireEffectiveFlags } from "./recipe.ts";
 * const given = { momentum: "0.5" };
 * assert.throws(() => requireEffectiveFlags(given, parseRecipe(given, 30)), /--momentum has no effect without --optimizer momentum/);
 * const ok = { momentum: "0.5", optimizer: "momentum" };
 * assert.equal(requireEffectiveFlags(ok, parseRecipe(ok, 30)).momentum, 0.5);
 * ```
 */
export function requireEffectiveFlags(given: FlagValues, recipe: Recipe): Recipe {
  const kind = recipe.augment.kind;
  const affine = kind === "affine" || kind === "elastic";
  const needs: [flag: string, effective: boolean, needed: string][] = [
    ["momentum", recipe.optimizer === "momentum", "--optimizer momentum"],
    ["shift", kind !== "none", "--augment shift, affine or elastic"],
    ["rotate", affine, "--augment affine or elastic"],
    ["scale", affine, "--augment affine or elastic"],
    ["elastic-alpha", kind === "elastic", "--augment elastic"],
    ["elastic-sigma", kind === "elastic", "--augment elastic"],
  ];
  for (const [flag, effective, needed] of needs) {
    if (given[flag] !== undefined && !effective) {
      throw new UsageError(`--${flag} has no effect without ${needed}; add that, or leave --${flag} out`);
    }
  }
  return recipe;
}

/** The training set and the held-out validation set (null without a split), drawn with their own seeded generator. */
export function splitForValidation(
  data: Dataset,
  recipe: Recipe,
  seed: number,
): { train: Dataset; validation: Dataset | null } {
  if (recipe.valSplit === 0) return { train: data, validation: null };
  let parts: { train: Dataset; validation: Dataset };
  try {
    parts = splitDataset(data, recipe.valSplit, new Random(seed ^ 0x5117));
  } catch (error) {
    // each class holds out its rounded share: in a small set that can be every image
    if (!(error instanceof RangeError)) throw error;
    throw new UsageError(`--val-split ${recipe.valSplit} holds out every image of a ${data.n}-image training set`);
  }
  const { train, validation } = parts;
  if (validation.n === 0) {
    throw new UsageError(`--val-split ${recipe.valSplit} holds out no image of a ${data.n}-image training set`);
  }
  return { train, validation };
}

/** The optimiser, learning rate (or schedule) and augmentation hook of `SGD` for this recipe. */
export function trainingHooks(
  recipe: Recipe,
  lr: number,
  epochs: number,
): Pick<TrainOptions, "optimizer" | "lr" | "augment"> {
  const optimizer: Optimizer = createOptimizer(recipe.optimizer, {
    weightDecay: recipe.weightDecay,
    momentum: recipe.momentum,
  });
  const constant = recipe.schedule === "constant" && recipe.warmup === 0;
  const augmenter = recipe.augment.kind === "none" ? null : new Augmenter(recipe.augment);
  return {
    optimizer,
    lr: constant ? lr : makeSchedule(recipe.schedule, lr, epochs, recipe.warmup),
    augment: augmenter === null ? undefined : (x, B, rng) => augmenter.apply(x, B, rng),
  };
}

/** The recipe as model-file metadata (string values); strengths only for the augmentation in use. */
export function recipeMetadata(recipe: Recipe): Record<string, string> {
  const { augment } = recipe;
  const meta: Record<string, string> = {
    preset: recipe.preset,
    optimizer: recipe.optimizer,
    weight_decay: String(recipe.weightDecay),
    schedule: recipe.schedule,
    warmup: String(recipe.warmup),
    augment: augment.kind,
    val_split: String(recipe.valSplit),
    patience: String(recipe.patience),
  };
  if (recipe.optimizer === "momentum") meta.momentum = String(recipe.momentum);
  if (augment.kind !== "none") meta.augment_shift = String(augment.shift);
  if (augment.kind === "affine" || augment.kind === "elastic") {
    meta.augment_rotate = String(augment.rotate);
    meta.augment_scale = String(augment.scale);
  }
  if (augment.kind === "elastic") {
    meta.augment_elastic_alpha = String(augment.elasticAlpha);
    meta.augment_elastic_sigma = String(augment.elasticSigma);
  }
  return meta;
}
