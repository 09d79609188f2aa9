/**
 * `deno task test`: every check of the project, from a fresh machine.
 *
 * 1. installs what the tests need and is missing: Debian's python3-nbclient,
 *    jupyter-client, python3-ipykernel, python3-numpy (notebooks, the numpy
 *    cross-check), python3-torch (the PyTorch reader of CNN model files) and
 *    chromium (browser tests); the npm packages;
 * 2. `deno fmt --check`, `deno lint`, `deno check` (each counts as one test);
 * 3. the JSDoc examples (`deno test --doc`) and the test suite in tests/, with
 *    JUnit reports in .ci-out/;
 * 4. prints `N passed, N failed`, counted from those reports, as its last line.
 *
 * @module
 */

const deno = Deno.execPath();
const OUT = ".ci-out";
const APT_PACKAGES = [
  "python3-nbclient",
  "jupyter-client",
  "python3-ipykernel",
  "python3-numpy",
  "python3-torch",
  "chromium",
];
const TEST_PERMISSIONS = [
  "--allow-read",
  "--allow-write",
  "--allow-run",
  "--allow-env",
  "--allow-net=127.0.0.1",
  "--allow-ffi",
  "--allow-sys",
];

async function sh(cmd: string, args: string[], quiet = false): Promise<boolean> {
  const child = new Deno.Command(cmd, { args, stdout: quiet ? "null" : "inherit", stderr: quiet ? "null" : "inherit" })
    .spawn();
  return (await child.status).success;
}

async function succeeds(cmd: string, args: string[]): Promise<boolean> {
  try {
    return await sh(cmd, args, true);
  } catch {
    return false;
  }
}

/** Installs the Debian packages the notebooks and browser tests need, when missing. */
async function ensureSystemPackages(): Promise<void> {
  const python = await succeeds("/usr/bin/python3", ["-c", "import nbclient, jupyter_client, ipykernel, numpy, torch"]);
  const chromium = await succeeds("/usr/bin/chromium", ["--version"]);
  if (python && chromium) return;
  console.log(`== installing ${APT_PACKAGES.join(" ")} (apt)`);
  const root = Deno.uid?.() === 0;
  const apt = root ? ["apt-get"] : ["sudo", "-n", "apt-get"];
  const env = ["env", "DEBIAN_FRONTEND=noninteractive"];
  const ok = await sh(env[0], [...env.slice(1), ...apt, "update"]) &&
    await sh(env[0], [...env.slice(1), ...apt, "install", "-y", "--no-install-recommends", ...APT_PACKAGES]);
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
