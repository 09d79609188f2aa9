/**
 * The command-line tasks with a convolutional network: `train --arch` (and
 * its refusals), `eval` and `predict` on the CNN model file it writes.
 *
 * @module
 */

import assert from "node:assert/strict";
import { loadSplit } from "../lib/data/load.ts";
import { INPUT_SCALE, PIXELS } from "../lib/data/dataset.ts";
import { mnistPreprocess } from "../lib/image/preprocess.ts";
import { encodePng } from "../lib/image/decode.ts";
import { loadModel } from "../lib/io/model_file.ts";
import { evaluate } from "../lib/metrics.ts";
import { Sequential } from "../lib/nn/sequential.ts";
import { lastJson, runTask, scratchModelsDir } from "./task.ts";

Deno.test("train --arch trains a CNN and saves it; eval and predict read it and agree with lib/", async () => {
  const { dir, remove } = await scratchModelsDir();
  try {
    const out = `${dir}/cnn.safetensors`;
    const trained = await runTask("train", [
      "--arch",
      "conv5x5x4,pool2,fc16",
      "--epochs",
      "2",
      "--lr",
      "0.05",
      "--out",
      out,
      "--json",
    ]);
    assert.equal(trained.code, 0, trained.stderr);
    const summary = lastJson(trained);
    assert.equal(summary.arch, "conv5x5x4,pool2,fc16");
    assert.equal(summary.hidden, null);
    const { net, metadata } = await loadModel(out);
    assert.ok(net instanceof Sequential);
    assert.equal(metadata.arch, "conv5x5x4,pool2,fc16");
    assert.equal(metadata.hidden, undefined, "no --hidden in a CNN's metadata");
    const test = await loadSplit("data", "test");
    const ours = evaluate(net, test);
    assert.ok(ours.accuracy > 0.5, `2 epochs reach only ${ours.accuracy}`);
    assert.equal(summary.test_accuracy, ours.accuracy);

    const evaluated = await runTask("eval", ["--model", out, "--json"]);
    assert.equal(evaluated.code, 0, evaluated.stderr);
    assert.equal(lastJson(evaluated).accuracy, ours.accuracy);
    const text = await runTask("eval", ["--model", out]);
    assert.match(text.stdout, /\(CNN conv5x5x4,pool2,fc16 \(relu\)\)/);

    // one test digit as a PNG: predict's digit is the network's reading of the preprocessed image
    const row = test.labels.indexOf(3);
    const png = `${dir}/three.png`;
    const pixels = Float32Array.from(test.x.subarray(row * PIXELS, (row + 1) * PIXELS), (v) => Math.round(v * 255));
    await Deno.writeFile(png, encodePng({ width: 28, height: 28, pixels }));
    const predicted = await runTask("predict", ["--model", out, "--json", png]);
    assert.equal(predicted.code, 0, predicted.stderr);
    const line = JSON.parse(predicted.stdout.trim());
    assert.equal(line.probabilities.length, 10);
    const preprocessed = mnistPreprocess({ width: 28, height: 28, pixels })!;
    const expected = net.probabilities(Float32Array.from(preprocessed, (v) => v * INPUT_SCALE), 1);
    for (let k = 0; k < 10; k++) assert.ok(Math.abs(line.probabilities[k] - expected[k]) < 1e-6, `class ${k}`);
    assert.equal(line.digit, expected.indexOf(Math.max(...expected)));
  } finally {
    await remove();
  }
});

Deno.test("train --arch: a malformed or misfitting architecture is one sentence and exit 1, before any training", async () => {
  for (
    const [args, message] of [
      [["--arch", "conv5x5x8,pool3"], /error: --arch: "pool3" \(item 2 of "conv5x5x8,pool3"\) is not a layer/],
      [["--arch", "conv5x5x8,pool2,pool2,pool2,conv5x5x8"], /"conv5x5x8" \(item 5 .*does not fit a 3×3 image/],
      [["--arch", "fc10", "--hidden", "30"], /give --hidden \(an MLP\) or --arch \(any other stack\), not both/],
    ] as const
  ) {
    const result = await runTask("train", [...args]);
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, message);
    assert.ok(!result.stderr.includes("    at "), "no stack trace");
    assert.equal(result.stdout.includes("epoch"), false, "nothing trained");
  }
});
