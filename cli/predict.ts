/**
 * `deno task predict`: reads a person's own digit pictures (PNG or JPEG, any
 * size, dark ink on light paper or light ink on dark) and prints the model's
 * digit and its ten probabilities for each; a picture of a number, each of its
 * digits left to right.
 *
 * Each picture goes through the MNIST-style preprocessing of
 * `lib/image/preprocess.ts` (the same the web page uses). A picture that cannot be
 * read is reported in one sentence on stderr and the others are still
 * answered; the exit status is then 1.
 *
 * @module
 */

import { INPUT_SCALE, PIXELS } from "../lib/data/dataset.ts";
import { InputError } from "../lib/errors.ts";
import { readImage } from "../lib/image/decode.ts";
import { loadModel, requireDigitNetwork } from "../lib/io/model_file.ts";
import type { Classifier } from "../lib/nn/classifier.ts";
import { mnistDigits, mnistPreprocess } from "../lib/image/preprocess.ts";
import { argmax } from "../lib/nn/tensor.ts";
import { existingFile, modelFlag, parseFlags, run, UsageError, wantsHelp } from "./common.ts";

const USAGE = `Usage: deno task predict [--model FILE] [--json] [--single] IMAGE…

Reads each IMAGE (PNG or JPEG, any size; dark ink on light paper or light ink
on dark; the digit anywhere in the picture), preprocesses it the way MNIST was
made (grayscale, invert if the background is light, crop to the ink, scale to
fit 20×20, centre by centre of mass in 28×28) and prints the digit the model
reads and its ten probabilities. A picture of a number (digits side by side)
is read digit by digit, left to right.

  --model FILE   the model file (safetensors) written by deno task train
                 (default: models/mlp.safetensors, where train writes it)
  --json         one JSON line per image: {"file": …, "digit": …, "probabilities": […]},
                 or for a number {"file": …, "number": "42", "digits": [{"digit": 4,
                 "probabilities": […]}, …]}
  --single       read each picture as one digit: the one with the most ink
  -h, --help     this text

A picture that cannot be read is reported on stderr as "error: IMAGE: …"; the
other pictures are still answered and the exit status is 1.`;

/** One digit read: the digit and its ten probabilities. */
interface Reading {
  digit: number;
  probabilities: number[];
}

/** What predict says of one image file: one digit, or the digits of a number, left to right. */
type Prediction = { file: string } & (Reading | { number: string; digits: Reading[] });

async function main(): Promise<void> {
  if (wantsHelp(Deno.args)) return console.log(USAGE);
  const { values, positionals } = parseFlags(Deno.args, {
    model: { type: "string" },
    json: { type: "boolean" },
    single: { type: "boolean" },
  }, true);
  if (positionals.length === 0) throw new UsageError("give at least one IMAGE file");
  const model = await modelFlag(values.model);
  const { net } = await loadModel(model.path, model.shown);
  requireDigitNetwork(net, model.shown);
  let failed = 0;
  for (const file of positionals) {
    let prediction: Prediction;
    try {
      prediction = await predictFile(net, file, values.single === true);
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      console.error(`error: ${error.message}`);
      failed++;
      continue;
    }
    console.log(values.json ? JSON.stringify(prediction) : formatPrediction(prediction));
  }
  if (failed > 0) Deno.exitCode = 1;
}

/** Reads, preprocesses and classifies one image file: every digit of it, or only the one with the most ink. */
async function predictFile(net: Classifier, file: string, single: boolean): Promise<Prediction> {
  const image = await readImage(await existingFile(file, "file"), file);
  const digits = single ? [mnistPreprocess(image)].filter((x) => x !== null) : mnistDigits(image);
  if (digits.length === 0) {
    throw new InputError(
      `${file}: no digit found: the picture is blank or holds only specks (nothing digit-sized stands out from the background)`,
    );
  }
  const readings = digits.map((pixels) => read(net, pixels));
  if (readings.length === 1) return { file, ...readings[0] };
  return { file, number: readings.map((r) => r.digit).join(""), digits: readings };
}

/** The network's digit and probabilities for one preprocessed 28 × 28 image (0–255). */
function read(net: Classifier, pixels: Float32Array): Reading {
  const x = new Float32Array(PIXELS); // [1, 784], scaled as the training data
  for (let i = 0; i < PIXELS; i++) x[i] = pixels[i] * INPUT_SCALE;
  const probabilities = [...net.probabilities(x, 1)];
  return { digit: argmax(probabilities), probabilities };
}

/** One digit: the digit, then the ten probabilities as a little bar chart; a number: a line per digit. */
function formatPrediction(prediction: Prediction): string {
  if ("digits" in prediction) {
    const { file, number, digits } = prediction;
    const lines = [`${file}: ${number} (${digits.length} digits, left to right)`];
    for (const { digit, probabilities } of digits) {
      const next = argmax(probabilities.map((p, k) => (k === digit ? -1 : p)));
      const odds = `probability ${(100 * probabilities[digit]).toFixed(1)}%`;
      lines.push(`  ${digit}  ${odds}; next ${next} at ${(100 * probabilities[next]).toFixed(1)}%`);
    }
    return lines.join("\n");
  }
  const { file, digit, probabilities } = prediction;
  const lines = [`${file}: ${digit} (probability ${(100 * probabilities[digit]).toFixed(1)}%)`];
  probabilities.forEach((p, k) => {
    const bar = "█".repeat(Math.round(p * 40));
    lines.push(`  ${k}  ${p.toFixed(4)}${bar === "" ? "" : "  " + bar}${k === digit ? " ←" : ""}`);
  });
  return lines.join("\n");
}

if (import.meta.main) await run(USAGE, main);
