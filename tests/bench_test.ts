import assert from "node:assert/strict";
import { epochFlops, linearity, median, parseBenchArgs, type ScaleCell } from "../cli/bench.ts";
import { lastJson, runTask } from "./task.ts";

Deno.test("bench helpers: median, the FLOP convention, linearity of the scale table", () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.ok(Number.isNaN(median([])));
  assert.equal(epochFlops(23860, 1000), 6 * 23860 * 1000);
  const cell = (examples: number, perExampleMicros: number): ScaleCell => ({
    examples,
    hidden: 30,
    batch: 10,
    epochs: 1,
    secondsPerEpoch: 2 * examples * perExampleMicros / 1e6, // wall time: the machine is busy
    cpuSecondsPerEpoch: examples * perExampleMicros / 1e6,
    setupSeconds: 0,
    examplesPerSecond: 1e6 / perExampleMicros / 2,
    gflops: 1,
    rssMB: 1,
  });
  const [row] = linearity([cell(60000, 3.3), cell(1000, 3), cell(10000, 3.1)]);
  assert.deepEqual(row.perExample.map((v) => Math.round(v * 10) / 10), [3, 3.1, 3.3]);
  assert.ok(Math.abs(row.growth - 1.1) < 1e-9);
});

Deno.test("bench flags: defaults, --quick, and bad values", () => {
  const d = parseBenchArgs([]);
  assert.equal(d.numpyRef, "bench/numpy_ref.py");
  assert.equal(d.torchRef, "bench/torch_ref.py");
  assert.equal(d.rounds, 3);
  assert.equal(d.runs, 5);
  assert.equal(parseBenchArgs(["--quick"]).rounds, 1);
  assert.throws(() => parseBenchArgs(["--runs", "0"]), /--runs must be a whole number/);
  assert.throws(() => parseBenchArgs(["--fast"]), /fast/);
});

/** The shortest whole bench: one round, one run, no scale table, a JSON report. */
const QUICK = ["--quick", "--runs", "1", "--skip-scale", "--json"];

Deno.test("deno task bench runs end to end and says why numpy is skipped when the script is missing", async () => {
  const result = await runTask("bench", [
    "--numpy-ref",
    "tests/no-such-numpy-ref.py",
    "--torch-ref",
    "tests/no-such-torch-ref.py",
    ...QUICK,
  ]);
  assert.equal(result.code, 0, result.stderr);
  const report = lastJson(result) as {
    spec: { deno_seconds_median: number; ratio: number | null; numpy_skipped: string; test_accuracy_mean: number };
    wide: { deno_seconds_median: number; torch_ratio: number | null };
    momentum512: { deno_seconds_median: number; momentum: number; weight_decay: number };
    scale: unknown[];
  };
  assert.ok(report.spec.deno_seconds_median > 0);
  assert.equal(report.spec.ratio, null);
  assert.match(report.spec.numpy_skipped, /no-such-numpy-ref\.py was not found/);
  assert.ok(report.spec.test_accuracy_mean > 0.8, `accuracy ${report.spec.test_accuracy_mean}`);
  assert.ok(report.wide.deno_seconds_median > 0);
  assert.equal(report.wide.torch_ratio, null);
  assert.ok(report.momentum512.deno_seconds_median > 0);
  assert.deepEqual([report.momentum512.momentum, report.momentum512.weight_decay], [0.9, 5e-4]);
  assert.match(result.stderr, /no-such-torch-ref\.py was not found/);
  assert.deepEqual(report.scale, []);
  assert.match(result.stderr, /### The spec/);
});

Deno.test("deno task bench names a --python that does not exist as not found (the task's --allow-run is checked first)", async () => {
  const result = await runTask("bench", ["--python", "/usr/bin/no-such-python", "--skip-torch", ...QUICK]);
  assert.equal(result.code, 0, result.stderr);
  const report = lastJson(result) as { spec: { numpy_skipped: string } };
  assert.equal(report.spec.numpy_skipped, "/usr/bin/no-such-python was not found (see --python)");
  assert.doesNotMatch(result.stderr, /PyTorch …/);
});

/** Whether /usr/bin/python3 can import `module` (the anchors need numpy, and PyTorch for torch_ref.py). */
function pythonHas(module: string): boolean {
  try {
    return new Deno.Command("/usr/bin/python3", { args: ["-c", `import ${module}`], stderr: "null" }).outputSync()
      .success;
  } catch {
    return false;
  }
}

for (const [script, module] of [["bench/numpy_ref.py", "numpy"], ["bench/torch_ref.py", "torch"]] as const) {
  Deno.test({
    name: `${script} trains one epoch and reports its time, accuracy, library and BLAS as JSON`,
    ignore: !pythonHas(module),
    fn: async () => {
      const out = await new Deno.Command("/usr/bin/python3", {
        args: [script, "data", "--json", "--seeds", "1", "--epochs", "1", "--hidden", "16", "--momentum", "0.9"],
        stdout: "piped",
        stderr: "piped",
      }).output();
      const stderr = new TextDecoder().decode(out.stderr);
      assert.equal(out.code, 0, stderr);
      const result = JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").at(-1)!);
      assert.ok(result.train_seconds_median > 0);
      assert.equal(result.train_examples, 1000);
      assert.ok(result.test_accuracy_mean > 0.5, `accuracy ${result.test_accuracy_mean}`);
      assert.match(result.library, module === "numpy" ? /^numpy \d/ : /^PyTorch \d/);
      assert.ok(result.blas.length > 0);
    },
  });
}
