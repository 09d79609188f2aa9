/**
 * The Debian packages that the tests (and `deno task notebook`) need, and how
 * they get installed on a bare machine.
 *
 * The decision is made package by package with `dpkg-query`, and the install
 * step runs through the same code and the same permissions on every run, even
 * when nothing is missing: with everything present it still runs the installer
 * it would use (`apt-get install` with no package names, which changes
 * nothing), so a permission or logic fault in this path fails every CI run at
 * once instead of hiding until a bare machine meets it.
 *
 * Who installs: apt-get directly when running as root, `sudo -n apt-get`
 * otherwise (never a password prompt), and when neither works, one sentence
 * naming the packages to install by hand.
 *
 * @module
 */

/** A Debian package and what in the project needs it. */
export interface SystemPackage {
  name: string;
  why: string;
}

/** What `deno task test` needs beyond Deno and the npm packages. */
export const TEST_PACKAGES: readonly SystemPackage[] = [
  { name: "python3-numpy", why: "the independent numpy reader of model files" },
  { name: "python3-nbclient", why: "runs the notebooks in the Deno kernel" },
  { name: "jupyter-client", why: "the Jupyter protocol for nbclient" },
  { name: "python3-ipykernel", why: "nbclient's kernel machinery" },
  { name: "python3-torch", why: "the PyTorch reader of CNN model files" },
  { name: "chromium", why: "the browser tests of the draw-a-digit page" },
  { name: "fonts-dejavu-core", why: "text in Chromium's screenshots (a bare system has no font)" },
  { name: "python3-notebook", why: "the classic Notebook, the real client the notebooks are tested in" },
  { name: "python3-nbconvert", why: "the notebooks' HTML export, tested in Chromium" },
];

/** What `deno task notebook` needs: the classic Notebook server (Jupyter's client comes with it). */
export const NOTEBOOK_PACKAGES: readonly SystemPackage[] = [
  { name: "python3-notebook", why: "the classic Notebook server" },
  { name: "jupyter-client", why: "the Jupyter protocol" },
];

/** How the install would run: as root, through `sudo -n`, or not at all. */
export type Installer = "root" | "sudo" | "none";

/** What to do, decided from what is installed and who we are. */
export interface InstallPlan {
  /** Packages not installed yet, in the order given. */
  missing: string[];
  /** The commands to run, in order (empty when no installer can run). */
  commands: string[][];
  /** The sentence to print when nothing can install the missing packages, else null. */
  problem: string | null;
}

/**
 * Decides what to install. With nothing missing, the plan still holds the
 * installer's command with no package names (it changes nothing, and proves
 * that the installer can run). With packages missing it first refreshes
 * apt's lists, then installs them without recommended extras.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { planInstall } from "./system_packages.ts";
 * const plan = planInstall(["python3-numpy", "chromium"], new Set(["python3-numpy"]), "sudo");
 * assert.deepEqual(plan.missing, ["chromium"]);
 * assert.deepEqual(plan.commands[0], ["sudo", "-n", "env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "update", "-q"]);
 * ```
 */
export function planInstall(
  wanted: readonly string[],
  installed: ReadonlySet<string>,
  installer: Installer,
): InstallPlan {
  const missing = wanted.filter((name) => !installed.has(name));
  if (installer === "none") {
    const problem = missing.length === 0 ? null : `these Debian packages are missing and this user can neither run ` +
      `apt-get as root nor through sudo without a password: ${missing.join(" ")}; install them ` +
      `(sudo apt-get install --no-install-recommends ${missing.join(" ")}) and run again`;
    return { missing, commands: [], problem };
  }
  const prefix = installer === "root" ? [] : ["sudo", "-n"];
  const apt = [...prefix, "env", "DEBIAN_FRONTEND=noninteractive", "apt-get"];
  const install = [...apt, "install", "-y", "-q", "--no-install-recommends", ...missing];
  const commands = missing.length === 0 ? [install] : [[...apt, "update", "-q"], install];
  return { missing, commands, problem: null };
}

/** True when `python` can import every module named. */
export async function pythonImports(python: string, modules: readonly string[]): Promise<boolean> {
  return await runs(python, ["-c", `import ${modules.join(", ")}`]);
}

async function runs(cmd: string, args: string[]): Promise<boolean> {
  try {
    const out = await new Deno.Command(cmd, { args, stdin: "null", stdout: "null", stderr: "null" }).output();
    return out.success;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error; // a permission fault is a bug of this script: let it fail the run
  }
}

/** The packages among `names` that dpkg reports as installed. */
export async function installedPackages(names: readonly string[]): Promise<Set<string>> {
  const installed = new Set<string>();
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command("dpkg-query", {
      args: ["-W", "-f=${Package} ${db:Status-Abbrev}\n", ...names],
      stdin: "null",
      stdout: "piped",
      stderr: "null",
    }).output();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return installed; // not a Debian system: nothing known
    throw error;
  }
  for (const line of new TextDecoder().decode(out.stdout).split("\n")) {
    const [name, status] = line.trim().split(/\s+/);
    if (name !== undefined && status === "ii") installed.add(name.replace(/:.*$/, ""));
  }
  return installed;
}

/** Who can run apt-get here. */
export async function findInstaller(): Promise<Installer> {
  if (Deno.uid() === 0) return "root";
  return await runs("sudo", ["-n", "true"]) ? "sudo" : "none";
}

/**
 * Makes sure the Debian packages are installed, printing what it does.
 * Returns false, after one sentence on stderr, when they are missing and
 * cannot be installed. With everything present, `quietWhenPresent` skips
 * apt-get and says nothing (the notebook server's start); otherwise apt-get
 * still runs with nothing to install (the test command: the install path is
 * exercised on every run).
 */
export async function ensurePackages(
  packages: readonly SystemPackage[],
  options: { quietWhenPresent?: boolean } = {},
): Promise<boolean> {
  const names = packages.map((p) => p.name);
  const installed = await installedPackages(names);
  if (options.quietWhenPresent && names.every((name) => installed.has(name))) return true;
  const plan = planInstall(names, installed, await findInstaller());
  if (plan.problem !== null) {
    console.error(plan.problem);
    return false;
  }
  if (plan.missing.length > 0) {
    const list = packages.filter((p) => plan.missing.includes(p.name)).map((p) => `${p.name} (${p.why})`);
    console.log(`== installing with apt-get: ${list.join(", ")}`);
  } else {
    console.log(
      `== Debian packages: all ${names.length} present (checked with dpkg-query; apt-get runs with nothing to do)`,
    );
  }
  for (const [cmd, ...args] of plan.commands) {
    const ok = (await new Deno.Command(cmd, { args, stdin: "null", stdout: "inherit", stderr: "inherit" }).output())
      .success;
    if (!ok && plan.missing.length > 0) {
      console.error(`could not install ${plan.missing.join(" ")}: \`${[cmd, ...args].join(" ")}\` failed (see above)`);
      return false;
    }
  }
  return true;
}
