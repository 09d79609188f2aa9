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

Deno.exit(await main());
