/**
 * `deno task train` stopped by SIGINT or SIGTERM in the middle of training:
 * one line on stderr, exit status 130 or 143, and no model file and no
 * temporary file in the output folder (a model already there is left as it
 * was).
 *
 * @module
 */

import assert from "node:assert/strict";
import { saveModel } from "../lib/io/model_file.ts";
import { Network } from "../lib/nn/network.ts";
import { Random } from "../lib/nn/random.ts";
import { listDir, scratchModelsDir, spawnDeno, taskArgv } from "./task.ts";

/** Starts a long training, waits until its first epoch is done, sends `signal`, and returns what it printed. */
async function interruptTraining(signal: "SIGINT" | "SIGTERM", out: string, extra: string[] = []) {
  const child = spawnDeno([...taskArgv("train"), "--epochs", "1000", "--out", out, ...extra]);
  const decoder = new TextDecoder();
  let stdout = "";
  const reader = child.stdout.getReader();
  const stderr = new Response(child.stderr).text();
  const deadline = setTimeout(() => child.kill("SIGKILL"), 120_000);
  try {
    while (!/epoch\s+1\/1000/.test(stdout)) {
      const { value, done } = await reader.read();
      if (done) break;
      stdout += decoder.decode(value, { stream: true });
    }
    assert.match(stdout, /epoch\s+1\/1000/, "training started");
    child.kill(signal); // now somewhere in epoch 2
    for (let r = await reader.read(); !r.done; r = await reader.read()) stdout += decoder.decode(r.value);
    const status = await child.status;
    return { code: status.code, stdout, stderr: await stderr };
  } finally {
    clearTimeout(deadline);
  }
}

for (const [what, extra] of [["an MLP", []], ["a CNN", ["--arch", "conv3x3x2,pool2,fc8"]]] as const) {
  Deno.test(`train: SIGINT mid-epoch of ${what} prints one line, exits 130, and leaves no model and no temporary file`, async () => {
    const scratch = await scratchModelsDir();
    try {
      const result = await interruptTraining("SIGINT", `${scratch.dir}/m.safetensors`, [...extra]);
      assert.equal(result.code, 130, result.stderr);
      const lines = result.stderr.trim().split("\n");
      assert.equal(lines.length, 1, result.stderr);
      assert.match(lines[0], /^interrupted \(SIGINT\) (in|after) epoch \d+ of 1000; no model written$/);
      assert.deepEqual(listDir(scratch.dir), []);
    } finally {
      await scratch.remove();
    }
  });
}

Deno.test("train: SIGTERM mid-epoch exits 143 and leaves the model already there untouched, with no temporary file", async () => {
  const scratch = await scratchModelsDir();
  try {
    const path = `${scratch.dir}/m.safetensors`;
    const root = new URL("..", import.meta.url).pathname;
    await saveModel(root + path, new Network({ sizes: [784, 30, 10], activations: "relu" }).init(new Random(1)));
    const before = await Deno.readFile(root + path);
    const result = await interruptTraining("SIGTERM", path);
    assert.equal(result.code, 143, result.stderr);
    assert.match(result.stderr, /^interrupted \(SIGTERM\) (in|after) epoch \d+ of 1000; no model written\n$/);
    assert.deepEqual(listDir(scratch.dir), ["m.safetensors"]);
    assert.deepEqual(await Deno.readFile(root + path), before);
  } finally {
    await scratch.remove();
  }
});
