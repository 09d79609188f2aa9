/**
 * `deno task notebook`: the tutorial notebooks in a real Jupyter client.
 *
 *   deno task notebook               the classic Notebook on http://127.0.0.1:8888 (or a free port)
 *   deno task notebook --port 9000   on that port
 *
 * 1. installs Debian's python3-notebook (the classic Notebook 6 server and
 *    page; Debian packages no JupyterLab) when missing, as `deno task test`
 *    does (scripts/system_packages.ts);
 * 2. registers the Deno kernel for this deno in the project's own `.jupyter/`
 *    folder (scripts/notebooks.ts): the user's own Jupyter kernels stay as
 *    they are;
 * 3. starts the server on the loopback interface only, with a fresh random
 *    token and notebooks/ as its root, waits until it answers, and prints the
 *    URL with the token;
 * 4. stops it (and the kernels it started) on Ctrl-C.
 *
 * Permissions: `--allow-read --allow-write=.jupyter --allow-run
 * --allow-env=MINIMNIST_PYTHON,JUPYTER_PATH --allow-net=127.0.0.1
 * --allow-sys=uid` (the kernelspec; python3 and apt-get; the port probe and
 * the readiness check; whether it runs as root, for apt and for the Notebook's
 * `--allow-root`). Like any Jupyter server, it runs notebook code — the Deno
 * kernel with all permissions — for whoever holds the token.
 *
 * @module
 */

import { helpPointer, parseFlags, UsageError, wantsHelp } from "../cli/common.ts";
import { installKernel, jupyterEnv, NOTEBOOK_DIR, pythonPath } from "./notebooks.ts";
import { ensurePackages, NOTEBOOK_PACKAGES, pythonImports } from "./system_packages.ts";

/** The port the task tries first (Jupyter's usual one). */
export const DEFAULT_PORT = 8888;

/** How to start the server. */
export interface NotebookServerOptions {
  /** The port; 0 picks a free one. */
  port?: number;
  /** The folder the server shows (and kernels run in); notebooks/ unless given. */
  root?: string;
  /** Aborting it during start-up stops the server and rejects. */
  signal?: AbortSignal;
}

/** A running Notebook server. */
export interface NotebookServer {
  /** The server's base URL, `http://127.0.0.1:PORT`. */
  readonly base: string;
  /** The secret every request must carry. */
  readonly token: string;
  /** The URL to open: the notebook list, with the token. */
  readonly url: string;
  /** Stops the server (SIGTERM, then SIGKILL after `graceMs`); resolves when it has exited. */
  stop(graceMs?: number): Promise<void>;
  /** Resolves when the server exits, by itself or by {@linkcode NotebookServer.stop}. */
  readonly exited: Promise<Deno.CommandStatus>;
}

/** A port nothing listens on at the moment (on 127.0.0.1). */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

function portIsFree(port: number): boolean {
  try {
    Deno.listen({ hostname: "127.0.0.1", port }).close();
    return true;
  } catch {
    return false;
  }
}

/**
 * Installs what is missing (see the module notes), registers the kernel and
 * starts the classic Notebook server; resolves once it answers HTTP.
 * Throws with what to do when python3-notebook cannot be installed or the
 * server does not come up within a minute.
 *
 * @example
 * ```ts ignore
 * import { startNotebookServer } from "./notebook_server.ts";
 * const server = await startNotebookServer({ port: 0 });
 * console.log(server.url);
 * await server.stop();
 * ```
 */
export async function startNotebookServer(options: NotebookServerOptions = {}): Promise<NotebookServer> {
  const python = pythonPath();
  // Debian's python gets the packages through apt; another one (MINIMNIST_PYTHON) must bring its own
  if (python === "/usr/bin/python3") await ensurePackages(NOTEBOOK_PACKAGES, { quietWhenPresent: true });
  if (!await pythonImports(python, ["notebook.notebookapp"])) {
    throw new Error(
      `${python} cannot import the classic Notebook server; install it: ` +
        `\`sudo apt-get install ${NOTEBOOK_PACKAGES.join(" ")}\` (Debian/Ubuntu), or set MINIMNIST_PYTHON ` +
        "to a python that has `notebook` 6",
    );
  }
  await installKernel();
  const port = options.port === undefined || options.port === 0 ? freePort() : options.port;
  const token = [...crypto.getRandomValues(new Uint8Array(24))].map((b) => b.toString(16).padStart(2, "0")).join("");
  // the token goes by environment, not on the command line where `ps` shows it; the server inherits the rest
  // of the environment (JUPYTER_CONFIG_DIR, JUPYTER_DATA_DIR… choose other Jupyter folders than the user's)
  const env: Record<string, string> = { ...jupyterEnv(), JUPYTER_TOKEN: token };
  const args = [
    "-c",
    // Ctrl-C reaches the whole terminal's process group: the server ignores it and stops on the SIGTERM this
    // script sends, in one orderly shutdown that also ends its kernels (a SIGINT arriving during that shutdown
    // would cut it short and leave kernels running)
    "import signal, sys; signal.signal(signal.SIGINT, signal.SIG_IGN); from notebook.notebookapp import main; " +
    "sys.exit(main())",
    "--no-browser",
    "--ip=127.0.0.1",
    `--port=${port}`,
    "--port-retries=0",
    `--notebook-dir=${options.root ?? NOTEBOOK_DIR}`,
    ...(Deno.uid?.() === 0 ? ["--allow-root"] : []), // containers and CI run as root
  ];
  // stdin "null": the server does not ask "Shutdown this notebook server (y/[n])?"
  const child = new Deno.Command(python, { args, env, stdin: "null", stdout: "inherit", stderr: "inherit" }).spawn();
  const exited = child.status;
  let done = false;
  exited.finally(() => (done = true));
  const base = `http://127.0.0.1:${port}`;
  const server: NotebookServer = {
    base,
    token,
    url: `${base}/tree?token=${token}`,
    exited,
    async stop(graceMs = 10_000) {
      if (done) return;
      try {
        child.kill("SIGTERM");
      } catch { /* already gone */ }
      const timer = setTimeout(() => {
        try {
          child.kill("SIGKILL");
        } catch { /* already gone */ }
      }, graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
  const deadline = Date.now() + 60_000;
  while (true) {
    if (options.signal?.aborted) {
      await server.stop();
      throw new Error("interrupted while the Notebook server was starting");
    }
    if (done) {
      throw new Error(
        `the Notebook server exited at start-up (${python}, notebook.notebookapp, port ${port}; see its log above)`,
      );
    }
    try {
      const response = await fetch(`${base}/api/status`, { headers: { Authorization: `token ${token}` } });
      await response.body?.cancel();
      if (response.ok) return server;
    } catch { /* not listening yet */ }
    if (Date.now() > deadline) {
      await server.stop();
      throw new Error(`the Notebook server did not answer on ${base} within 60 s`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const USAGE = `Usage: deno task notebook [--port N]

Starts the classic Jupyter Notebook on 127.0.0.1 with the Deno kernel and notebooks/ open, and prints
the URL to open (with its token). Ctrl-C stops it. Installs Debian's python3-notebook when missing.
The Deno kernel is registered in the project's .jupyter/ folder; your own Jupyter kernels are left alone.

  --port N     the port (default ${DEFAULT_PORT}, or a free one when that is taken; 0: a free one)
  -h, --help   this text (nothing is installed or started)`;

async function main(argv: string[]): Promise<number> {
  if (wantsHelp(argv)) {
    console.log(USAGE);
    return 0;
  }
  const { values } = parseFlags(argv, { port: { type: "string" }, help: { type: "boolean", short: "h" } });
  let port = DEFAULT_PORT;
  if (values.port !== undefined) {
    if (!/^\d+$/.test(values.port) || Number(values.port) > 65535) {
      throw new UsageError(`--port must be a whole number from 0 to 65535, got "${values.port}"`);
    }
    port = Number(values.port);
  } else if (!portIsFree(port)) {
    port = 0;
  }
  // Ctrl-C at any time, even during start-up, stops the server before this process ends
  const running: { server?: NotebookServer } = {};
  const interrupted = new AbortController();
  const onSignal = () => {
    if (interrupted.signal.aborted) return;
    console.log("\nstopping the Notebook server and its kernels…");
    interrupted.abort();
    running.server?.stop();
  };
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  let status: Deno.CommandStatus | undefined;
  try {
    running.server = await startNotebookServer({ port, signal: interrupted.signal });
    console.log(`\nThe notebooks are open at\n\n    ${running.server.url}\n\n(Ctrl-C stops the server)\n`);
    status = await running.server.exited;
  } catch (error) {
    if (!interrupted.signal.aborted) throw error;
  } finally {
    Deno.removeSignalListener("SIGINT", onSignal);
    Deno.removeSignalListener("SIGTERM", onSignal);
  }
  if (interrupted.signal.aborted) {
    console.log("stopped");
    return 0;
  }
  console.error(`error: the Notebook server stopped by itself (exit code ${status?.code})`);
  return 1;
}

if (import.meta.main) {
  try {
    Deno.exit(await main(Deno.args));
  } catch (error) {
    console.error(
      `error: ${(error as Error).message}` + (error instanceof UsageError ? `\n${helpPointer(USAGE)}` : ""),
    );
    Deno.exit(1);
  }
}
