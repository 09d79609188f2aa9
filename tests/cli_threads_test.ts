import assert from "node:assert/strict";
import { loadModel } from "../lib/io/model_file.ts";
import { runTask, scratchModelsDir } from "./task.ts";

Deno.test({
  name:
    "cli train --threads: 2 threads give the same bytes twice and 1 thread the same weights, recorded in the metadata; 0 is refused",
  // --threads may not exceed the cores: a one-core machine cannot run this
  ignore: (navigator.hardwareConcurrency || 1) < 2,
}, async () => {
  const scratch = await scratchModelsDir();
  try {
    const flags = ["--epochs", "1", "--hidden", "64", "--batch-size", "32", "--optimizer", "momentum"];
    const files = [];
    for (const [name, threads] of [["a", "2"], ["b", "2"], ["c", "1"]]) {
      const out = `${scratch.dir}/${name}.safetensors`;
      const result = await runTask("train", [...flags, "--threads", threads, "--out", out]);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, new RegExp(`^steps: simd-columns on ${threads} threads?$`, "m"));
      files.push(await Deno.readFile(out));
      assert.equal((await loadModel(out)).metadata.threads, threads);
    }
    assert.deepEqual(files[0], files[1]);
    // the SIMD path sums every gradient in example order on any thread count: 1 thread, the same weights
    const [two, one] = [
      await loadModel(`${scratch.dir}/a.safetensors`),
      await loadModel(`${scratch.dir}/c.safetensors`),
    ];
    one.net.parameters().forEach((p, k) => assert.deepEqual(p.value, two.net.parameters()[k].value, p.name));
    // the spec's small steps run on one thread whatever --threads says, and the file says so
    const spec = await runTask("train", ["--epochs", "1", "--threads", "2", "--out", `${scratch.dir}/s.safetensors`]);
    assert.equal(spec.code, 0, spec.stderr);
    assert.match(
      spec.stdout,
      /^steps: sparse-mlp on 1 thread \(steps this small are faster on one thread\)$/m,
    );
    assert.equal((await loadModel(`${scratch.dir}/s.safetensors`)).metadata.threads, "1");
    const bad = await runTask("train", ["--threads", "0", "--out", `${scratch.dir}/d.safetensors`]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^error: --threads must be a whole number ≥ 1/m);
  } finally {
    await scratch.remove();
  }
});
