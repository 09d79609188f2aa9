/**
 * `deno task test`: every check of the project, from a fresh machine.
 *
 * 1. installs what the tests need and is missing: the Debian packages of
 *    `system_packages.ts` (decided package by package; the installer runs on
 *    every run, with nothing to do when all are present), then the npm
 *    packages pinned in deno.json;
 * 2. `deno fmt --check`, `deno lint`, `deno check` (each counts as one test);
 * 3. `deno test -P --doc`: the test suite in tests/ and the JSDoc examples, with
 *    the permissions declared once in deno.json's `test.permissions`, and a
 *    JUnit report in .ci-out/;
 * 4. prints `N passed, N failed`, counted from those reports, as its last line.
 *
 * @module
 */

import { ensurePackages, TEST_PACKAGES } from "./system_packages.ts";

const deno = Deno.execPath();
const OUT = ".ci-out";

const USAGE = `Usage: deno task test [--help]

Runs every check of the project, as CI does, from a fresh machine (it takes minutes):
1. Set-up: installs what the tests need and is missing: the Debian packages of scripts/system_packages.ts
   (apt-get, as root or through sudo -n; the installer runs on every run, changing nothing when all are
   present), then the npm packages pinned in deno.json (deno install); uses a HOME under .ci-out/ if none is set.
2. deno fmt --check, deno lint, deno check . (each counts as one test).
3. deno test -P --doc: the tests in tests/ (among them the notebooks run in the Deno Jupyter kernel and opened
   in the classic Notebook, and the web page in Chromium) and the JSDoc examples, with the permissions of
   deno.json's test.permissions; JUnit report in .ci-out/.
4. Prints \`N passed, N failed\` as its last line; exit status 0 only when nothing failed.

  -h, --help   this text (nothing is installed or run)`;

/** The command line: `--help` prints {@linkcode USAGE} (status 0), anything else is refused (1); null: none, run. */
function commandLine(args: string[]): number | null {
  if (args.length === 0) return null;
  if (args.includes("--help") || args.includes("-h")) {
    console.log(USAGE);
    return 0;
  }
  const what = args[0].startsWith("-") ? "unknown option" : "unexpected argument";
  const near = /^-+h/i.test(args[0]) ? "; did you mean --help?" : ""; // -help, --hlep, --HELP
  console.error(`error: ${what} '${args[0]}': deno task test takes no argument but --help${near}`);
  console.error(`${USAGE.split("\n")[0]} (deno task test --help lists the flags)`);
  return 1;
}

async function sh(cmd: string, args: string[]): Promise<boolean> {
  const child = new Deno.Command(cmd, { args, stdin: "null", stdout: "inherit", stderr: "inherit" }).spawn();
  return (await child.status).success;
}

/** Counts test cases and failures in a JUnit XML report. */
function countJunit(path: string): { passed: number; failed: number } {
  let xml: string;
  try {
    xml = Deno.readTextFileSync(path);
  } catch {
    return { passed: 0, failed: 1 }; // the run died before writing its report
  }
  let passed = 0, failed = 0;
  for (const match of xml.matchAll(/<testcase\b[^>]*?(\/>|>([\s\S]*?)<\/testcase>)/g)) {
    const body = match[2] ?? "";
    if (/<(failure|error)\b/.test(body)) failed++;
    else if (!/<skipped\b/.test(body)) passed++;
  }
  return { passed, failed };
}

async function main(): Promise<number> {
  await Deno.mkdir(OUT, { recursive: true });
  const results: { name: string; passed: number; failed: number }[] = [];
  if (await setUp()) await check(results);
  else results.push({ name: "set-up", passed: 0, failed: 1 });

  console.log("\n== summary");
  for (const r of results) console.log(`${r.name.padEnd(22)} ${r.passed} passed, ${r.failed} failed`);
  const passed = results.reduce((s, r) => s + r.passed, 0);
  const failed = results.reduce((s, r) => s + r.failed, 0);
  console.log(`${passed} passed, ${failed} failed`);
  return failed === 0 && passed > 0 ? 0 : 1;
}

/** The Debian packages, then the npm packages; false (after saying why) when either cannot be had. */
async function setUp(): Promise<boolean> {
  if (!Deno.env.get("HOME")) {
    // Jupyter's kernel registry, Chromium's profile and npm's cache all live under HOME; a bare CI may have none
    const home = `${Deno.cwd()}/${OUT}/home`;
    await Deno.mkdir(home, { recursive: true });
    Deno.env.set("HOME", home);
    console.log(`== HOME is not set: using ${home}`);
  }
  if (!await ensurePackages(TEST_PACKAGES)) return false;
  console.log("== npm packages (deno install)");
  if (await sh(deno, ["install", "--quiet"])) return true;
  console.error("could not install the npm packages pinned in deno.json (see above)");
  return false;
}

/** fmt, lint, type check, then the tests and doc examples; one result per step. */
async function check(results: { name: string; passed: number; failed: number }[]): Promise<void> {
  for (
    const [name, args] of [
      ["deno fmt --check", ["fmt", "--check"]],
      ["deno lint", ["lint"]],
      ["deno check", ["check", "."]],
    ] as const
  ) {
    console.log(`== ${name}`);
    const ok = await sh(deno, [...args]);
    results.push({ name, passed: ok ? 1 : 0, failed: ok ? 0 : 1 });
  }

  // One run of the tests and the JSDoc examples, with the permissions declared once in deno.json
  // ("test.permissions", selected by -P); `deno test -P --doc` by hand runs exactly this.
  console.log("== deno test -P --doc (tests/ and the JSDoc examples)");
  await sh(deno, ["test", "-P", "--doc", `--junit-path=${OUT}/tests.xml`]);
  results.push({ name: "tests + doc examples", ...countJunit(`${OUT}/tests.xml`) });
}

Deno.exit(commandLine(Deno.args) ?? await main());
