/**
 * Re-executes the tutorial notebooks in the Deno Jupyter kernel, top to
 * bottom, and saves each one in place with its outputs.
 *
 *   deno task notebooks              all of notebooks/*.ipynb, in order
 *   deno task notebooks 03           only the notebooks whose name contains "03"
 *
 * Jupyter's own Python client runs the cells: nbclient with jupyter-client
 * (Debian: `apt-get install python3-nbclient jupyter-client`), driving the
 * Deno kernel. The kernel is registered in the project, not for the user:
 * the kernelspec `.jupyter/kernels/deno/kernel.json` (git-ignored) starts the
 * very deno binary running this script, and the Python side finds it through
 * `JUPYTER_PATH` (searched before the user's and the system's kernels). A
 * kernel the user registered with `deno jupyter --install` is left as it is.
 * Cells run in the notebooks/ folder, as in JupyterLab and VS Code, so
 * `../lib/mod.ts` and `../data` resolve and deno.json's imports apply.
 *
 * Permissions: the task runs with `--allow-read --allow-write=.jupyter
 * --allow-run --allow-env=MINIMNIST_PYTHON,JUPYTER_PATH` (it writes the
 * kernelspec, starts python3; Python writes the executed notebooks). The
 * kernel itself runs notebook code with all
 * permissions: Deno 2.9's Jupyter kernel grants `--allow-all`, whatever
 * started it (checked in a notebook: `Deno.permissions.query` says "granted"
 * for read, write, run, net, env, ffi and sys).
 *
 * @module
 */

import { helpPointer, parseFlags, UsageError, wantsHelp } from "../cli/common.ts";

/** The folder holding the notebooks. */
export const NOTEBOOK_DIR: string = new URL("../notebooks", import.meta.url).pathname;

/** The kernelspec name `deno jupyter --install` registers, as named in every notebook. */
export const KERNEL_NAME = "deno";

/** The project's own Jupyter data folder (git-ignored), holding only the Deno kernelspec. */
export const JUPYTER_DIR: string = new URL("../.jupyter", import.meta.url).pathname;

/** Seconds a single cell may run before the run fails. */
export const CELL_TIMEOUT = 600;

/** What to install when Jupyter's client is missing. */
export const JUPYTER_HINT =
  "install Jupyter's client: `sudo apt-get install python3-nbclient jupyter-client` (Debian/Ubuntu)";

/** How a notebook run ended. */
export type NotebookRun =
  | { ok: true; seconds: number }
  | { ok: false; notebook: string; cell: number | null; error: string };

/**
 * The Python interpreter that has nbclient: `$MINIMNIST_PYTHON`, else Debian's
 * `/usr/bin/python3` (a `python3` earlier on PATH, e.g. pyenv's, often lacks
 * the Debian packages), else `python3`.
 *
 * @example
 * ```ts
 * import { pythonPath } from "./notebooks.ts";
 * console.log(pythonPath()); // "/usr/bin/python3" on Debian
 * ```
 */
export function pythonPath(): string {
  const chosen = Deno.env.get("MINIMNIST_PYTHON");
  if (chosen) return chosen;
  try {
    Deno.statSync("/usr/bin/python3");
    return "/usr/bin/python3";
  } catch {
    return "python3";
  }
}

/**
 * The notebooks in `dir` (file names, sorted, so in reading order).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { listNotebooks } from "./notebooks.ts";
 * assert.ok(listNotebooks().every((name) => name.endsWith(".ipynb")));
 * ```
 */
export function listNotebooks(dir: string = NOTEBOOK_DIR): string[] {
  return [...Deno.readDirSync(dir)]
    .filter((e) => e.isFile && e.name.endsWith(".ipynb") && !e.name.startsWith("."))
    .map((e) => e.name)
    .sort();
}

/**
 * Checks that Python can import nbclient and jupyter_client; throws an Error
 * that says what to install when it cannot.
 *
 * @example
 * ```ts ignore
 * import { requireJupyterClient } from "./notebooks.ts";
 * await requireJupyterClient();
 * ```
 */
export async function requireJupyterClient(python: string = pythonPath()): Promise<void> {
  let result: Deno.CommandOutput;
  try {
    result = await new Deno.Command(python, {
      args: ["-c", "import nbclient, nbformat, jupyter_client"],
      stdout: "null",
      stderr: "piped",
    }).output();
  } catch (error) {
    throw new Error(`cannot run ${python} (${(error as Error).message}); ${JUPYTER_HINT}`);
  }
  if (!result.success) {
    const why = new TextDecoder().decode(result.stderr).trim().split("\n").at(-1);
    throw new Error(`${python} cannot import nbclient/jupyter_client (${why}); ${JUPYTER_HINT}`);
  }
}

/**
 * Registers the Deno kernel for `deno` (the running binary unless given) in
 * the project: writes `.jupyter/kernels/deno/kernel.json` (what
 * `deno jupyter --install` writes in the user's folder), which Jupyter finds
 * through {@linkcode jupyterEnv}. The user's own registration is untouched.
 * Returns the kernelspec's path.
 *
 * @example
 * ```ts ignore
 * import { installKernel } from "./notebooks.ts";
 * console.log(await installKernel()); // …/.jupyter/kernels/deno/kernel.json
 * ```
 */
export async function installKernel(deno: string = Deno.execPath(), dir: string = JUPYTER_DIR): Promise<string> {
  const folder = `${dir}/kernels/${KERNEL_NAME}`;
  await Deno.mkdir(folder, { recursive: true });
  const spec = {
    argv: [deno, "jupyter", "--kernel", "--conn", "{connection_file}"],
    display_name: "Deno",
    language: "typescript",
  };
  const path = `${folder}/kernel.json`;
  const tmp = `${path}.${crypto.randomUUID().slice(0, 8)}.tmp`; // concurrent runs each write their own
  await Deno.writeTextFile(tmp, JSON.stringify(spec, null, 2) + "\n");
  await Deno.rename(tmp, path);
  return path;
}

/**
 * The environment for a Jupyter process that should find the project's Deno
 * kernel first: `JUPYTER_PATH` with `.jupyter` ahead of whatever it held.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { jupyterEnv } from "./notebooks.ts";
 * assert.match(jupyterEnv().JUPYTER_PATH, /\.jupyter/);
 * ```
 */
export function jupyterEnv(dir: string = JUPYTER_DIR): Record<string, string> {
  const before = Deno.env.get("JUPYTER_PATH");
  return { JUPYTER_PATH: before ? `${dir}:${before}` : dir };
}

/**
 * Runs in Python: executes one notebook with nbclient in the given folder,
 * writes the executed notebook (when asked), and prints one JSON line.
 * The kernelspec must start the expected deno binary.
 */
const RUNNER = String.raw`
import json, os, sys, time
from queue import Empty
import nbformat
from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionComplete, CellExecutionError, CellTimeoutError, DeadKernelError
from nbclient.util import ensure_async

class Client(NotebookClient):
    """nbclient, but it keeps listening for 0.15 s of silence after a cell reports idle: Deno's kernel
    can send a cell's last output after its idle status, and plain nbclient would drop it."""
    async def _async_poll_output_msg(self, parent_msg_id, cell, cell_index):
        await super()._async_poll_output_msg(parent_msg_id, cell, cell_index)
        while True:
            try:
                msg = await ensure_async(self.kc.iopub_channel.get_msg(timeout=0.15))
            except Empty:
                return
            if msg["parent_header"].get("msg_id") == parent_msg_id and msg["msg_type"] != "status":
                try:
                    self.process_message(msg, cell, cell_index)
                except CellExecutionComplete:
                    pass

source, output, cwd, kernel, deno, timeout = sys.argv[1:7]

def report(**fields):
    print(json.dumps(fields), flush=True)
    sys.exit(0)

try:
    spec = KernelSpecManager().get_kernel_spec(kernel)
except NoSuchKernel:
    report(ok=False, cell=None, error=f"no Jupyter kernel named {kernel!r} in JUPYTER_PATH or the user's kernels")
if os.path.realpath(spec.argv[0]) != os.path.realpath(deno):
    report(ok=False, cell=None, error=f"the {kernel!r} kernelspec at {spec.resource_dir} starts {spec.argv[0]}, "
           f"not {deno}")

nb = nbformat.read(source, as_version=4)
current = {"index": None}
def on_cell_start(cell, cell_index):
    current["index"] = cell_index

client = Client(
    nb, kernel_name=kernel, timeout=int(timeout), record_timing=False,
    resources={"metadata": {"path": cwd}}, on_cell_start=on_cell_start,
)
started = time.monotonic()
try:
    client.execute()
except CellExecutionError as error:
    report(ok=False, cell=current["index"], error=str(error))
except (CellTimeoutError, DeadKernelError) as error:
    report(ok=False, cell=current["index"], error=f"{type(error).__name__}: {error}")
seconds = time.monotonic() - started
if output:
    tmp = output + ".tmp"
    nbformat.write(nb, tmp)
    os.replace(tmp, output)
report(ok=True, seconds=seconds)
`;

/** Where and how {@linkcode executeNotebook} runs a notebook. */
export interface ExecuteOptions {
  /** The folder the kernel runs in (relative paths in cells resolve from it); notebooks/ unless given. */
  cwd?: string;
  /** Where to write the executed notebook (atomically); nothing is written unless given. */
  output?: string;
  /** The deno binary the kernelspec must start; the running one unless given. */
  deno?: string;
  /** Seconds per cell; {@linkcode CELL_TIMEOUT} unless given. */
  timeout?: number;
}

/**
 * Executes the notebook at `path` top to bottom in the Deno kernel. A cell
 * error ends the run: the result names the notebook, the cell's index
 * (0-based, counting Markdown cells) and the error with its traceback.
 *
 * @example
 * ```ts ignore
 * import { executeNotebook } from "./notebooks.ts";
 * const run = await executeNotebook("notebooks/01_data.ipynb");
 * if (!run.ok) console.error(run.cell, run.error);
 * ```
 */
export async function executeNotebook(path: string, options: ExecuteOptions = {}): Promise<NotebookRun> {
  const args = [
    "-c",
    RUNNER,
    path,
    options.output ?? "",
    options.cwd ?? NOTEBOOK_DIR,
    KERNEL_NAME,
    options.deno ?? Deno.execPath(),
    String(options.timeout ?? CELL_TIMEOUT),
  ];
  const result = await new Deno.Command(pythonPath(), { args, env: jupyterEnv(), stdout: "piped", stderr: "piped" })
    .output();
  const stdout = new TextDecoder().decode(result.stdout).trim();
  const last = stdout.split("\n").at(-1) ?? "";
  const name = path.split("/").at(-1) ?? path;
  let report: { ok: boolean; cell?: number | null; error?: string; seconds?: number };
  try {
    report = JSON.parse(last);
  } catch {
    const stderr = new TextDecoder().decode(result.stderr).trim();
    return { ok: false, notebook: name, cell: null, error: `the notebook runner failed:\n${stderr || stdout}` };
  }
  if (report.ok) return { ok: true, seconds: report.seconds ?? NaN };
  return { ok: false, notebook: name, cell: report.cell ?? null, error: report.error ?? "unknown error" };
}

/** One line naming the notebook and the cell that failed, then the error. */
export function describeFailure(run: Extract<NotebookRun, { ok: false }>): string {
  const where = run.cell === null ? run.notebook : `${run.notebook}, cell ${run.cell}`;
  return `${where}: ${run.error}`;
}

const USAGE = `Usage: deno task notebooks [NAME-FILTER…] [--help]

Re-executes notebooks/*.ipynb (those whose file name contains a filter, when given) top to bottom in
the Deno Jupyter kernel and saves each one in place with its outputs. Needs python3 with nbclient
(Debian: apt-get install python3-nbclient jupyter-client); set MINIMNIST_PYTHON to choose the python.
The Deno kernel is registered in the project's .jupyter/ folder; your own Jupyter kernels are left alone.

  NAME-FILTER   run only the notebooks whose file name contains it (e.g. 03); a filter that starts
                with "-" goes after "--"
  -h, --help    this text (nothing is run)`;

async function main(args: string[]): Promise<void> {
  if (wantsHelp(args)) {
    console.log(USAGE);
    return;
  }
  const filters = parseFlags(args, { help: { type: "boolean", short: "h" } }, true).positionals;
  const names = listNotebooks().filter((n) => filters.length === 0 || filters.some((f) => n.includes(f)));
  if (names.length === 0) throw new Error(`no notebook in ${NOTEBOOK_DIR} matches ${filters.join(", ")}`);
  await requireJupyterClient();
  await installKernel();
  const started = performance.now();
  for (const name of names) {
    const path = `${NOTEBOOK_DIR}/${name}`;
    const result = await executeNotebook(path, { output: path });
    if (!result.ok) throw new Error(describeFailure(result));
    console.log(`${name}: ran and saved in ${result.seconds.toFixed(1)} s`);
  }
  console.log(`${names.length} notebook(s) in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

if (import.meta.main) {
  try {
    await main(Deno.args);
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`error: ${error.message}\n${helpPointer(USAGE)}`);
      Deno.exit(1);
    }
    // the whole message: a failed cell's error comes with its traceback
    console.error(`error: ${(error as Error).message}`);
    Deno.exit(1);
  }
}
