/**
 * Installs the Debian packages a task needs when they are missing: one probe
 * says whether they are there; if not, `apt-get update` and
 * `apt-get install -y --no-install-recommends …` run (as root, or through
 * `sudo -n` otherwise). Used by `deno task test` and `deno task notebook`.
 *
 * Permissions: `--allow-run` (the probe, apt-get, sudo) and `--allow-sys=uid`
 * (to ask whether it runs as root).
 *
 * @module
 */

/** What `deno task notebook` needs: the classic Notebook server (Jupyter's client comes with it). */
export const NOTEBOOK_PACKAGES: readonly string[] = ["python3-notebook", "jupyter-client"];

/** Runs a command silently; true when it ran and succeeded. */
export async function succeeds(cmd: string, args: string[]): Promise<boolean> {
  try {
    return (await new Deno.Command(cmd, { args, stdout: "null", stderr: "null", stdin: "null" }).output()).success;
  } catch {
    return false;
  }
}

/** True when `python` can import every module named. */
export function pythonImports(python: string, modules: readonly string[]): Promise<boolean> {
  return succeeds(python, ["-c", `import ${modules.join(", ")}`]);
}

async function run(cmd: string, args: string[]): Promise<boolean> {
  try {
    return (await new Deno.Command(cmd, { args, stdout: "inherit", stderr: "inherit", stdin: "null" }).spawn().status)
      .success;
  } catch {
    return false;
  }
}

/**
 * Installs `packages` with apt-get unless `present()` says they are there.
 * Returns whether they are there afterwards (apt-get failing, or sudo asking
 * for a password, gives false: the caller says what to install by hand).
 *
 * @example
 * ```ts ignore
 * import { ensureAptPackages, NOTEBOOK_PACKAGES, pythonImports } from "./system_packages.ts";
 * const ok = await ensureAptPackages(NOTEBOOK_PACKAGES, () => pythonImports("/usr/bin/python3", ["notebook"]));
 * if (!ok) console.error(`install ${NOTEBOOK_PACKAGES.join(" ")}`);
 * ```
 */
export async function ensureAptPackages(
  packages: readonly string[],
  present: () => Promise<boolean>,
): Promise<boolean> {
  if (await present()) return true;
  console.log(`== installing ${packages.join(" ")} (apt)`);
  const root = Deno.uid?.() === 0;
  const apt = root ? ["apt-get"] : ["sudo", "-n", "apt-get"];
  const env = ["DEBIAN_FRONTEND=noninteractive"];
  const ok = await run("env", [...env, ...apt, "update"]) &&
    await run("env", [...env, ...apt, "install", "-y", "--no-install-recommends", ...packages]);
  return ok && await present();
}
