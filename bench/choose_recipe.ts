/**
 * `deno task bench:recipe`: compares training recipes on validation splits of
 * the training images only. The test split is never loaded, so nothing this
 * prints can have looked at it.
 *
 *   deno task bench:recipe [train flags…] [--splits K] [--fraction F] [--subset N] [--first-split S]
 *
 * Takes every flag of `deno task train` (`--preset cnn --epochs 60`, `--arch`,
 * `--augment`, …) and trains that recipe K times (default 5), each time on a
 * different stratified, duplicate-aware split of the training images
 * (`splitDataset` of `lib/data/split.ts`, seeds S…S+K−1, fraction F held out,
 * default 0.2: five splits of 800 + 200 for the seed's 1000 images). The
 * network's seed is the split's. `--subset N` first draws a stratified sample
 * of N training images (for trend runs on the full MNIST). The recipe's own
 * `--val-split` (and `--seed`, `--out`, `--report`) is refused: the splits here replace it.
 *
 * Prints the validation accuracy of every epoch of every split, then the mean
 * over the splits of the last epoch's accuracy (what a recipe that keeps its
 * final weights gets), the epoch where the mean curve peaks, the mean of
 * each split's best epoch (optimistic: that epoch was chosen on the same
 * images it is measured on) and an honest figure for that rule: the epoch
 * chosen on half of the held-out images, scored on the other half. With
 * `--json` (a train flag), the last line is one JSON object of those figures
 * and every other line goes to stderr, as in `deno task train --json`.
 *
 * @module
 */

import process from "node:process";
import type { AugmentOptions } from "../lib/data/augment.ts";
import { loadSplit } from "../lib/data/load.ts";
import { PIXELS, subset } from "../lib/data/dataset.ts";
import { splitDataset, stratifiedSplit } from "../lib/data/split.ts";
import { evaluate } from "../lib/metrics.ts";
import { formatArch } from "../lib/nn/arch.ts";
import type { Classifier } from "../lib/nn/classifier.ts";
import { Network } from "../lib/nn/network.ts";
import { Random } from "../lib/nn/random.ts";
import { Sequential } from "../lib/nn/sequential.ts";
import { SGD } from "../lib/nn/train.ts";
import { dataFolder, nonNegativeInt, numberInRange, positiveInt, run, UsageError, wantsHelp } from "../cli/common.ts";
import { trainingHooks } from "../cli/recipe.ts";
import { closestName } from "../cli/suggest.ts";
import { parseTrainArgs } from "../cli/train.ts";

const USAGE = `Usage: deno task bench:recipe [train flags…] [--splits K] [--fraction F] [--subset N] [--first-split S]

Trains the recipe the train flags describe on K stratified validation splits of the training images and
prints the validation accuracy per epoch and its mean. The test images are never read.

  train flags       every flag of deno task train (deno task train --help lists them), e.g. --preset cnn,
                    --arch LIST, --augment NAME, --epochs N, --data DIR; --val-split, --seed, --out and
                    --report are refused (the splits replace --val-split; the seeds are the splits')
  --json            end with one JSON line of the results; every other line goes to stderr
  --splits K        how many splits to train on (default: 5)
  --fraction F      the share of the images each split holds out, 0.01 up to 0.9 (default: 0.2)
  --first-split S   the first split's seed: the splits are S…S+K−1, and each network's seed is its split's
                    (default: 0)
  --subset N        first draw a stratified sample of N training images (for trend runs on the full MNIST)
  -h, --help        this text`;

const OWN_FLAGS = ["splits", "fraction", "subset", "first-split"] as const;

/**
 * Takes this script's own flags (`--splits 3` or `--splits=3`) out of `args`
 * and reads the rest exactly as `deno task train` reads them. A mistyped flag
 * is refused with the nearest flag of either set.
 */
function parseRecipeArgs(args: string[]) {
  const own: Record<string, string | undefined> = {};
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--") {
      rest.push(...args.slice(i));
      break;
    }
    const flag = /^--([^=]+)(?:=(.*))?$/s.exec(args[i]);
    if (flag === null || !(OWN_FLAGS as readonly string[]).includes(flag[1])) {
      rest.push(args[i]);
    } else if (flag[2] !== undefined) {
      own[flag[1]] = flag[2];
    } else if (i + 1 < args.length && !args[i + 1].startsWith("--")) {
      own[flag[1]] = args[++i];
    } else {
      throw new UsageError(`--${flag[1]} needs a value`);
    }
  }
  // train flags that would do nothing here are refused rather than silently dropped
  const end = rest.indexOf("--");
  for (const flag of ["val-split", "seed", "out", "report"]) {
    if (rest.slice(0, end < 0 ? rest.length : end).some((a) => a === `--${flag}` || a.startsWith(`--${flag}=`))) {
      throw new UsageError(
        `--${flag} has no effect in bench:recipe (the splits replace --val-split, each network's seed is its ` +
          `split's, and nothing is written); leave it out`,
      );
    }
  }
  try {
    return { own, config: parseTrainArgs(rest) };
  } catch (error) {
    throw withOwnSuggestion(error);
  }
}

/** A train flag parser's "unknown option" with no suggestion gets this script's nearest flag, if one is near. */
function withOwnSuggestion(error: unknown): unknown {
  if (!(error instanceof UsageError) || error.message.includes("did you mean")) return error;
  const unknown = /^unknown option '--([^']+)'( \(in "[^"]*"\))?/.exec(error.message);
  const near = unknown === null ? undefined : closestName(unknown[1], OWN_FLAGS);
  if (unknown === null || near === undefined) return error;
  return new UsageError(`${unknown[0]}; did you mean --${near}?${error.message.slice(unknown[0].length)}`);
}

/** "none", or the augmentation with the strengths it uses (the others have no effect). */
function describeAugment({ kind, shift, rotate, scale, elasticAlpha, elasticSigma }: AugmentOptions): string {
  if (kind === "none") return kind;
  const strengths = [`shift ${shift}`];
  if (kind === "affine" || kind === "elastic") strengths.push(`rotate ${rotate}`, `scale ${scale}`);
  if (kind === "elastic") strengths.push(`α ${elasticAlpha}`, `σ ${elasticSigma}`);
  return `${kind} (${strengths.join(", ")})`;
}

function cpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/**
 * An honest estimate of "keep the best validation epoch": the held-out images
 * are cut into their even and odd halves; the epoch with the most right on one
 * half (the first such epoch) is scored on the other, both ways, and the two
 * scores averaged. `correct[e][i]` is 1 when epoch e + 1 got image i right.
 */
function bestEpochRule(correct: Uint8Array[]): number {
  const halfScore = (e: number, parity: number) => {
    let right = 0, n = 0;
    for (let i = parity; i < correct[e].length; i += 2) right += correct[e][i], n++;
    return right / n;
  };
  let score = 0;
  for (const parity of [0, 1]) {
    let best = 0;
    for (let e = 1; e < correct.length; e++) if (halfScore(e, parity) > halfScore(best, parity)) best = e;
    score += halfScore(best, 1 - parity) / 2;
  }
  return score;
}

async function main(): Promise<void> {
  if (wantsHelp(Deno.args)) return console.log(USAGE);
  const { own, config } = parseRecipeArgs(Deno.args);
  const splits = positiveInt("splits", own.splits, 5);
  const fraction = numberInRange("fraction", own.fraction, 0.2, 0.01, 0.9);
  const firstSplit = nonNegativeInt("first-split", own["first-split"], 0);
  const subsetSize = own.subset === undefined ? null : positiveInt("subset", own.subset, 1);
  const log = config.json ? console.error : console.log; // with --json, stdout holds the JSON line alone
  let data = await loadSplit(await dataFolder(config.data, log), "train");
  if (subsetSize !== null && subsetSize < data.n) {
    data = subset(data, stratifiedSplit(data.labels, subsetSize / data.n, new Random(0x50b5e7)).validation);
  } else if (subsetSize !== null) {
    log(`note: --subset ${subsetSize} is not fewer than the ${data.n} training images: all of them are used`);
  }
  const shape = config.arch === null ? [PIXELS, ...config.hidden, 10].join("-") : formatArch(config.arch);
  const { recipe } = config;
  log(
    `recipe: ${shape} (${config.activation}), ${config.epochs} epochs, batch ${config.batchSize}, lr ${config.lr}, ` +
      `${recipe.optimizer}, weight decay ${recipe.weightDecay}, ${recipe.schedule}, ` +
      `augment ${describeAugment(recipe.augment)}; ${splits} splits of ${data.n} training images, ${fraction} held out`,
  );
  const curves: number[][] = [];
  const ruled: number[] = []; // the best-epoch rule's accuracy, measured on images that did not choose the epoch
  const cpu0 = cpuSeconds();
  for (let s = firstSplit; s < firstSplit + splits; s++) {
    const { train, validation } = splitDataset(data, fraction, new Random(s ^ 0x5117));
    const rng = new Random(s);
    const net: Classifier = (config.arch === null
      ? new Network({ sizes: [PIXELS, ...config.hidden, 10], activations: config.activation })
      : new Sequential({ inputShape: [1, 28, 28], arch: config.arch, activation: config.activation, classes: 10 }))
      .init(rng);
    const curve: number[] = [];
    const correct: Uint8Array[] = []; // per epoch: 1 for each validation image the network got right
    const cpuSplit = cpuSeconds();
    SGD(net, train, {
      epochs: config.epochs,
      batchSize: config.batchSize,
      ...trainingHooks(recipe, config.lr, config.epochs),
      rng,
      threads: config.threads,
      onEpoch: () => {
        const { predictions } = evaluate(net, validation);
        const right = predictions.map((p, i) =>
          p === validation.labels[i] ? 1 : 0
        );
        correct.push(right);
        curve.push(right.reduce((a, b) => a + b, 0) / validation.n);
      },
    });
    curves.push(curve);
    ruled.push(bestEpochRule(correct));
    log(
      `split ${s} (${train.n} + ${validation.n}): last ${pct(curve.at(-1)!)}, best ${pct(Math.max(...curve))} ` +
        `(epoch ${curve.indexOf(Math.max(...curve)) + 1}), ${(cpuSeconds() - cpuSplit).toFixed(1)} s CPU; ` +
        `per epoch ${curve.map((a) => (100 * a).toFixed(1)).join(" ")}`,
    );
  }
  const meanCurve = curves[0].map((_, e) => mean(curves.map((c) => c[e])));
  const peak = meanCurve.indexOf(Math.max(...meanCurve));
  const last = mean(curves.map((c) => c.at(-1)!));
  const bestEach = mean(curves.map((c) => Math.max(...c)));
  log(
    `mean over ${splits} splits: last epoch ${pct(last)}; the mean curve peaks at epoch ${peak + 1} with ` +
      `${pct(meanCurve[peak])}; each split's own best epoch (optimistic) ${pct(bestEach)}; the best-epoch ` +
      `rule chosen on one half of the held-out images and scored on the other ${pct(mean(ruled))}; ` +
      `${(cpuSeconds() - cpu0).toFixed(1)} s CPU`,
  );
  log(`mean curve: ${meanCurve.map((a) => (100 * a).toFixed(2)).join(" ")}`);
  if (!config.json) return;
  console.log(JSON.stringify({
    arch: shape,
    epochs: config.epochs,
    augment: recipe.augment.kind,
    splits,
    fraction,
    train_images: data.n,
    last_epoch_mean: last,
    peak_epoch: peak + 1,
    peak_mean: meanCurve[peak],
    best_each_mean: bestEach,
    best_epoch_rule_mean: mean(ruled),
    last_each: curves.map((c) => c.at(-1)),
    cpu_seconds: cpuSeconds() - cpu0,
  }));
}

if (import.meta.main) await run(USAGE, main);
