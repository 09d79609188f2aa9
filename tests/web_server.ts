/**
 * Starts `deno task serve` the way a user does (command line and permissions
 * from deno.json) on a free port, for the server and browser tests; reads the
 * page's URL from its output and keeps the whole log.
 *
 * @module
 */

import { spawnDeno, taskArgv } from "./task.ts";

/** A running `deno task serve`. */
export interface ServerProcess {
  /** The page's address, as printed by the server. */
  url: string;
  /** The port it listens on. */
  port: number;
  /** The server's process id (the Deno that runs cli/serve.ts). */
  pid: number;
  /** Everything it printed so far (stdout and stderr). */
  log(): string;
  /** Stops it and waits until it has exited. */
  stop(): Promise<void>;
}

/**
 * Runs the serve task with `args` plus `--port 0`; `extraRead` folders are
 * added to the task's read permission (e.g. a temporary folder holding the
 * model under test), `v8Flags` to the task's V8 flags (e.g. `--expose-gc`, so
 * that the server's memory line on SIGUSR2 is read after a full GC).
 */
export async function startServer(
  args: string[],
  extraRead: string[] = [],
  v8Flags: string[] = [],
): Promise<ServerProcess> {
  let argv = taskArgv("serve").map((arg) =>
    arg.startsWith("--allow-read=") && extraRead.length > 0 ? `${arg},${extraRead.join(",")}` : arg
  );
  if (v8Flags.length > 0) {
    const k = argv.findIndex((arg) => arg.startsWith("--v8-flags="));
    argv = k < 0
      ? [argv[0], `--v8-flags=${v8Flags.join(",")}`, ...argv.slice(1)]
      : argv.with(k, `${argv[k]},${v8Flags.join(",")}`);
  }
  const child = spawnDeno([...argv, "--port", "0", ...args]);
  let text = "";
  let notify = () => {};
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) {
      text += decoder.decode(chunk, { stream: true });
      notify();
    }
  };
  const pumps = Promise.all([pump(child.stdout), pump(child.stderr)]);
  const exited = child.status.then((s) => s.code);
  const stop = async () => {
    try {
      child.kill("SIGTERM");
    } catch {
      // already exited
    }
    await exited;
    await pumps;
  };
  const deadline = Date.now() + 60_000;
  while (true) {
    const match = text.match(/page: (http:\/\/[^\s]+\/)/);
    if (match !== null) {
      const url = match[1];
      return { url, port: Number(new URL(url).port), pid: child.pid, log: () => text, stop };
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const code = await Promise.race([
      exited,
      new Promise<null>((resolve) => {
        notify = () => resolve(null);
        timer = setTimeout(() => resolve(null), 250);
      }),
    ]);
    clearTimeout(timer);
    if (code !== null) {
      await pumps;
      throw new Error(`deno task serve exited with status ${code} before listening:\n${text}`);
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`deno task serve did not print its URL within 60 s:\n${text}`);
    }
  }
}

/** Sends raw bytes to the server on one connection and returns everything it answers until it closes. */
export async function rawRequest(port: number, request: string | Uint8Array): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(typeof request === "string" ? new TextEncoder().encode(request) : request);
    let answer = "";
    const buffer = new Uint8Array(65536);
    const decoder = new TextDecoder();
    const timeout = setTimeout(() => conn.close(), 10_000);
    try {
      while (true) {
        const n = await conn.read(buffer);
        if (n === null) break;
        answer += decoder.decode(buffer.subarray(0, n), { stream: true });
      }
    } catch {
      // closed by the timeout or reset by the server: keep what arrived
    } finally {
      clearTimeout(timeout);
    }
    return answer;
  } finally {
    try {
      conn.close();
    } catch {
      // already closed
    }
  }
}

/** The status code of a raw HTTP response, or 0 when there is none. */
export function statusOf(response: string): number {
  const match = response.match(/^HTTP\/1\.[01] (\d{3})/);
  return match === null ? 0 : Number(match[1]);
}
