/**
 * The command lines of the tasks outside cli/: `build:simd`, `build:conv`,
 * `build:warp` (bench/build_wasm.ts), `test` (scripts/test.ts), `notebooks`
 * (scripts/notebooks.ts), `notebook` (scripts/notebook_server.ts) and
 * `bench:conv` (bench/conv_speed.ts). As in the main tasks, `--help` prints
 * the usage and exits 0 without doing anything, and a bad command line gets
 * one `error:` sentence (with "did you mean" for a near miss), the usage
 * line, exit status 1, and nothing done.
 *
 * `test`, `notebooks` and `notebook` run here without the permission to start
 * programs or write (see {@linkcode runRestricted}): were their argument
 * handling broken, they would fail at once instead of running apt-get, the
 * whole suite or every notebook.
 *
 * @module
 */

import assert from "node:assert/strict";
import { REPOSITORY_ROOT, runTask, taskArgv, type TaskResult } from "../task.ts";

const decoder = new TextDecoder();

/** A usage error: exit 1, one `error:` line matching `pattern`, then the task's usage line; nothing on stdout. */
function assertUsageError(result: TaskResult, task: string, pattern: RegExp): void {
  assert.equal(result.code, 1, `exit code; stderr: ${result.stderr}`);
  assert.equal(result.stdout, "");
  const lines = result.stderr.trim().split("\n");
  assert.equal(lines.length, 2, `two lines: ${result.stderr}`);
  assert.match(lines[0], /^error: /);
  assert.match(lines[0], pattern);
  assert.match(
    lines[1],
    new RegExp(`^Usage: deno task ${task} .*\\(deno task ${task} --help lists the flags\\)$`),
  );
}

/** `--help`: exit 0, the usage text on stdout starting `Usage: deno task <task>`, nothing on stderr. */
function assertHelp(result: TaskResult, task: string): void {
  assert.equal(result.code, 0, result.stderr);
  assert.ok(result.stdout.startsWith(`Usage: deno task ${task} `), result.stdout);
  assert.match(result.stdout, /-h, --help/);
  assert.equal(result.stderr, "");
}

/**
 * `deno task <name> ...args` with the task's own flags but no `--allow-run`
 * and no `--allow-write`, from the repository root.
 */
async function runRestricted(name: string, args: string[]): Promise<TaskResult> {
  const argv = taskArgv(name).filter((a) => !/^--allow-(run|write)\b/.test(a));
  const out = await new Deno.Command(Deno.execPath(), {
    args: [...argv, ...args],
    cwd: REPOSITORY_ROOT,
    env: { NO_COLOR: "1", INIT_CWD: REPOSITORY_ROOT },
    stdin: "null",
  }).output();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

/** The modification times of the generated lib/kernels/*_wasm.ts. */
function wasmFileTimes(): number[] {
  return ["simd", "conv", "warp"].map((name) =>
    Deno.statSync(`${REPOSITORY_ROOT}/lib/kernels/${name}_wasm.ts`).mtime!.getTime()
  );
}

Deno.test("build:simd, build:conv, build:warp --help print the usage and write nothing", async () => {
  const before = wasmFileTimes();
  for (const name of ["simd", "conv", "warp"]) {
    const result = await runTask(`build:${name}`, ["--help"]);
    assertHelp(result, `build:${name}`);
    assert.match(result.stdout, new RegExp(`lib/kernels/${name}\\.wat`));
    assert.match(result.stdout, new RegExp(`lib/kernels/${name}_wasm\\.ts`));
  }
  assertHelp(await runTask("build:simd", ["-h"]), "build:simd");
  assert.deepEqual(wasmFileTimes(), before, "a generated file was rewritten");
});

Deno.test("build:simd refuses a bad command line with one sentence and the usage line, writing nothing", async () => {
  const before = wasmFileTimes();
  const cases: [string[], RegExp][] = [
    [["--bogus"], /^error: unknown option '--bogus'$/],
    [["--hlep"], /unknown option '--hlep'; did you mean --help\?$/],
    [["--help=yes"], /--help takes no value/],
    [["conv"], /unexpected argument 'conv'/],
  ];
  for (const [args, pattern] of cases) assertUsageError(await runTask("build:simd", args), "build:simd", pattern);
  assert.deepEqual(wasmFileTimes(), before, "a generated file was rewritten");
});

Deno.test("build_wasm.ts run by hand names the modules when the first argument is none of them", async () => {
  for (const args of [["simdd"], ["simdd", "--bogus"], []]) {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-read=lib", "bench/build_wasm.ts", ...args], // no --allow-write: nothing can be written
      cwd: REPOSITORY_ROOT,
      env: { NO_COLOR: "1" },
      stdin: "null",
    }).output();
    const stderr = decoder.decode(out.stderr);
    assert.equal(out.code, 1, stderr);
    assert.match(stderr, /^error: .*simd, conv (and|or) warp/);
    assert.match(stderr, /\nUsage: deno task build:simd\|build:conv\|build:warp \[--help\]/);
  }
});

Deno.test("test --help says what the command does and runs nothing", async () => {
  const result = await runRestricted("test", ["--help"]);
  assertHelp(result, "test");
  for (const step of ["apt-get", "deno install", "deno fmt --check", "deno lint", "deno check", "deno test -P --doc"]) {
    assert.ok(result.stdout.includes(step), `--help names ${step}`);
  }
  assert.match(result.stdout, /notebooks/);
  assert.match(result.stdout, /classic Notebook/);
  assert.match(result.stdout, /N passed, N failed/);
  assert.doesNotMatch(result.stdout, /^== /m, "no step started");
});

Deno.test("test refuses any other argument before doing anything", async () => {
  assertUsageError(await runRestricted("test", ["--bogus"]), "test", /unknown option '--bogus'/);
  assertUsageError(await runRestricted("test", ["-help"]), "test", /did you mean --help\?/);
  assertUsageError(await runRestricted("test", ["lint"]), "test", /unexpected argument 'lint'/);
});

Deno.test("notebooks: flags are flags, not name filters", async () => {
  assertHelp(await runRestricted("notebooks", ["--help"]), "notebooks");
  assertUsageError(await runRestricted("notebooks", ["--bogus"]), "notebooks", /^error: unknown option '--bogus'$/);
  assertUsageError(await runRestricted("notebooks", ["--hlep"]), "notebooks", /did you mean --help\?$/);
  // a filter is still a filter (this one matches nothing, so nothing runs)
  const none = await runRestricted("notebooks", ["no-such-notebook"]);
  assert.equal(none.code, 1);
  assert.match(none.stderr, /^error: no notebook in .* matches no-such-notebook/);
});

Deno.test("notebook: a mistyped flag gets the nearest flag and the usage line", async () => {
  assertHelp(await runRestricted("notebook", ["--help"]), "notebook");
  assertUsageError(
    await runRestricted("notebook", ["--prot", "9"]),
    "notebook",
    /unknown option '--prot'; did you mean --port\?$/,
  );
  assertUsageError(await runRestricted("notebook", ["--port", "x"]), "notebook", /--port must be a whole number/);
  assertUsageError(await runRestricted("notebook", ["9000"]), "notebook", /unexpected argument '9000'/);
});

Deno.test("bench:conv --help lists every flag and names the default architectures", async () => {
  const result = await runTask("bench:conv", ["--help"]);
  assertHelp(result, "bench:conv");
  for (const flag of ["--arch", "--epochs", "--batch-size", "--path", "--threads"]) {
    assert.match(result.stdout, new RegExp(`^  ${flag} `, "m"), `${flag} has a line of its own`);
  }
  assert.match(result.stdout, /conv5x5x16,pool2,conv5x5x32,pool2,fc128, the cnn preset's/);
  assert.doesNotMatch(result.stdout, /issue/);
});

Deno.test("bench:conv refuses --threads above this machine's number of cores before timing anything, as train does", async () => {
  const cores = navigator.hardwareConcurrency;
  // a tiny network, so that a --threads wrongly accepted costs a second, not a benchmark
  const result = await runTask("bench:conv", ["--threads", String(cores + 1), "--arch", "fc8", "--epochs", "1"]);
  assertUsageError(
    result,
    "bench:conv",
    new RegExp(`^error: --threads must be at most ${cores}, this machine's number of cores, got "${cores + 1}"$`),
  );
});

Deno.test("bench:conv checks every --arch entry before timing any", async () => {
  const bad = await runTask("bench:conv", ["--arch", "fc8;pool3", "--epochs", "1"]);
  assertUsageError(bad, "bench:conv", /"pool3"/); // and stdout is empty: not even the table's header
  assertUsageError(await runTask("bench:conv", ["--arch", "fc8;"]), "bench:conv", /architecture 2 of "fc8;" is empty/);
  assertUsageError(await runTask("bench:conv", ["--path", "x"]), "bench:conv", /--path must be one of auto, dense/);
  assertUsageError(await runTask("bench:conv", ["--ach", "fc8"]), "bench:conv", /did you mean --arch\?$/);
});
