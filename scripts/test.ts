/**
 * `deno task test`: every check of the project, from a fresh machine.
 *
 * 1. installs what the tests need and is missing (scripts/system_packages.ts):
 *    Debian's python3-nbclient, jupyter-client, python3-ipykernel,
 *    python3-numpy (notebooks, the numpy cross-check), chromium (browser
 *    tests), python3-notebook and python3-nbconvert (the notebooks in the
 *    classic Notebook and in nbconvert's HTML export); the npm packages;
 * 2. `deno fmt --check`, `deno lint`, `deno check` (each counts as one test);
 * 3. the JSDoc examples (`deno test --doc`) and the test suite in tests/, with
 *    JUnit reports in .ci-out/;
 * 4. prints `N passed, N failed`, counted from those reports, as its last line.
 *
 * @module
 */

import { ensureAptPackages, NOTEBOOK_PACKAGES, pythonImports, succeeds } from "./system_packages.ts";

const deno = Deno.execPath();
const OUT = ".ci-out";
const APT_PACKAGES = [
  "python3-nbclient",
  "jupyter-client",
  "python3-ipykernel",
  "python3-numpy",
  "chromium",
  ...NOTEBOOK_PACKAGES,
  "python3-nbconvert",
];
/** What /usr/bin/python3 must import once those are installed. */
const PYTHON_MODULES = ["nbclient", "jupyter_client", "ipykernel", "numpy", "notebook", "nbconvert"];
const TEST_PERMISSIONS = [
  "--allow-read",
  "--allow-write",
  "--allow-run",
  "--allow-env",
  "--allow-net=127.0.0.1",
  "--allow-ffi",
  "--allow-sys",
];

async function sh(cmd: string, args: string[]): Promise<boolean> {
  return (await new Deno.Command(cmd, { args, stdout: "inherit", stderr: "inherit" }).spawn().status).success;
}

/** Installs the Debian packages the notebooks and browser tests need, when missing. */
async function ensureSystemPackages(): Promise<void> {
  const ok = await ensureAptPackages(
    APT_PACKAGES,
    async () =>
      await pythonImports("/usr/bin/python3", PYTHON_MODULES) && await succeeds("/usr/bin/chromium", ["--version"]),
  );
  if (!ok) {
    console.error(`could not install ${APT_PACKAGES.join(" ")} with apt-get; install them and run again`);
  }
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
  await ensureSystemPackages();
  await sh(deno, ["install", "--quiet"]);

  const results: { name: string; passed: number; failed: number }[] = [];
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

  console.log("== deno test --doc (JSDoc examples)");
  await sh(deno, ["test", "--doc", ...TEST_PERMISSIONS, `--junit-path=${OUT}/doc.xml`, "lib/", "cli/", "web/"]);
  results.push({ name: "JSDoc examples", ...countJunit(`${OUT}/doc.xml`) });

  console.log("== deno test tests/");
  await sh(deno, ["test", ...TEST_PERMISSIONS, `--junit-path=${OUT}/tests.xml`, "tests/"]);
  results.push({ name: "tests/", ...countJunit(`${OUT}/tests.xml`) });

  console.log("\n== summary");
  for (const r of results) console.log(`${r.name.padEnd(20)} ${r.passed} passed, ${r.failed} failed`);
  const passed = results.reduce((s, r) => s + r.passed, 0);
  const failed = results.reduce((s, r) => s + r.failed, 0);
  console.log(`${passed} passed, ${failed} failed`);
  return failed === 0 && passed > 0 ? 0 : 1;
}

Deno.exit(await main());
