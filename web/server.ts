/**
 * The HTTP side of the draw-a-digit page: a fixed table of routes and nothing
 * else. There is no mapping from URL paths to file paths, so no request can
 * reach a file that is not in the table: `/../deno.json`, `/%2e%2e/…`,
 * `/..%2f…` and double-encoded variants all end in 404, because the (already
 * normalised) path is looked up as an exact string.
 *
 * Every response carries a strict Content-Security-Policy (scripts, styles,
 * workers and fetches from this origin only), `nosniff` and `no-store`.
 * Requests that are not GET or HEAD get 405; a route that throws gets a 500
 * and one log line; malformed HTTP is answered (400) by Deno's HTTP server
 * and never stops it.
 *
 * This module does not depend on `lib/`; `cli/serve.ts` fills the table.
 *
 * @module
 */

/** Answers one request for one path. */
export type Route = (request: Request) => Response | Promise<Response>;

/** What every response carries. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "content-security-policy":
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; img-src 'self' data: blob:; object-src 'none'; base-uri 'none'; " +
    "frame-ancestors 'none'; form-action 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cache-control": "no-store",
};

/**
 * A plain-text response with the security headers.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { textResponse } from "./server.ts";
 * const response = textResponse(404, "not found");
 * assert.equal(response.status, 404);
 * assert.equal(await response.text(), "not found\n");
 * ```
 */
export function textResponse(status: number, text: string, headers: Record<string, string> = {}): Response {
  return new Response(`${text}\n`, {
    status,
    headers: { ...SECURITY_HEADERS, "content-type": "text/plain; charset=utf-8", ...headers },
  });
}

/**
 * A response holding `body` with the given content type and the security headers.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { bodyResponse } from "./server.ts";
 * const response = bodyResponse("<p>hi</p>", "text/html; charset=utf-8");
 * assert.equal(response.headers.get("x-content-type-options"), "nosniff");
 * ```
 */
export function bodyResponse(body: BodyInit, contentType: string): Response {
  return new Response(body, { headers: { ...SECURITY_HEADERS, "content-type": contentType } });
}

/**
 * A route serving one file, read when requested (so edits show on reload).
 *
 * @example
 * ```ts
 * import { fileRoute } from "./server.ts";
 * const route = fileRoute("web/index.html", "text/html; charset=utf-8");
 * ```
 */
export function fileRoute(path: string, contentType: string): Route {
  return async () => bodyResponse(await Deno.readFile(path), contentType);
}

/**
 * The request handler for a route table: exact-path lookup, GET and HEAD
 * only, errors logged and answered with 500.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createHandler, textResponse } from "./server.ts";
 * const handle = createHandler(new Map([["/", () => textResponse(200, "home")]]), () => {});
 * assert.equal((await handle(new Request("http://localhost/"))).status, 200);
 * assert.equal((await handle(new Request("http://localhost/%2e%2e/deno.json"))).status, 404);
 * assert.equal((await handle(new Request("http://localhost/", { method: "POST" }))).status, 405);
 * ```
 */
export function createHandler(
  routes: ReadonlyMap<string, Route>,
  log: (line: string) => void,
): (request: Request) => Promise<Response> {
  return async (request) => {
    const path = new URL(request.url).pathname;
    let response: Response;
    if (request.method !== "GET" && request.method !== "HEAD") {
      response = textResponse(405, "method not allowed", { allow: "GET, HEAD" });
    } else {
      const route = routes.get(path);
      if (route === undefined) response = textResponse(404, "not found");
      else {
        try {
          response = await route(request);
        } catch (error) {
          log(`error: ${request.method} ${path}: ${oneLine(error)}`);
          response = textResponse(500, "internal error");
        }
      }
    }
    log(`${request.method} ${path} ${response.status}`);
    return response;
  };
}

/** Where and what to serve. */
export interface ServeOptions {
  hostname: string;
  /** 0 picks a free port. */
  port: number;
  routes: ReadonlyMap<string, Route>;
  /** One line per request and per error. */
  log: (line: string) => void;
  /** Stops the server when aborted. */
  signal?: AbortSignal;
}

/** A running server. */
export interface RunningServer {
  /** The page's address, e.g. `http://127.0.0.1:8000/`. */
  url: string;
  /** Resolves when the server has stopped. */
  finished: Promise<void>;
}

/**
 * Starts serving the route table; resolves once the socket is listening.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { serve, textResponse } from "./server.ts";
 * const stop = new AbortController();
 * const routes = new Map([["/", () => textResponse(200, "home")]]);
 * const server = await serve({ hostname: "127.0.0.1", port: 0, routes, log: () => {}, signal: stop.signal });
 * assert.equal(await (await fetch(server.url)).text(), "home\n");
 * stop.abort();
 * await server.finished;
 * ```
 */
export function serve(options: ServeOptions): Promise<RunningServer> {
  const handler = createHandler(options.routes, options.log);
  return new Promise((resolve, reject) => {
    try {
      const server = Deno.serve({
        hostname: options.hostname,
        port: options.port,
        signal: options.signal,
        onListen: (address) => {
          // Deno.serve may call this before it returns: read `server` a moment later.
          queueMicrotask(() => resolve({ url: pageUrl(address.hostname, address.port), finished: server.finished }));
        },
        onError: (error) => {
          options.log(`error: ${oneLine(error)}`);
          return textResponse(500, "internal error");
        },
      }, handler);
    } catch (error) {
      reject(error);
    }
  });
}

/**
 * The URL of the page at a host and port (IPv6 addresses in brackets).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { pageUrl } from "./server.ts";
 * assert.equal(pageUrl("127.0.0.1", 8000), "http://127.0.0.1:8000/");
 * assert.equal(pageUrl("::1", 8000), "http://[::1]:8000/");
 * ```
 */
export function pageUrl(hostname: string, port: number): string {
  return `http://${hostname.includes(":") ? `[${hostname}]` : hostname}:${port}/`;
}

/**
 * Whether `hostname` is a loopback address (reachable from this machine only).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isLoopback } from "./server.ts";
 * assert.ok(isLoopback("127.0.0.1") && isLoopback("localhost") && isLoopback("::1"));
 * assert.ok(!isLoopback("0.0.0.0"));
 * ```
 */
export function isLoopback(hostname: string): boolean {
  return hostname === "localhost" || hostname === "::1" || hostname === "[::1]" || /^127(\.\d{1,3}){3}$/.test(hostname);
}

function oneLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split("\n")[0];
}

/** The part of the unstable `Deno.bundle` API used here (run with `--unstable-bundle`). */
type BundleFunction = (options: {
  entrypoints: string[];
  platform?: "browser" | "deno";
  format?: "esm" | "cjs" | "iife";
  write?: boolean;
}) => Promise<{ success: boolean; errors: { text: string }[]; outputFiles?: { text(): string }[] }>;

/**
 * Bundles a TypeScript entry point and everything it imports into one
 * browser ES module, in memory, with Deno's built-in bundler (esbuild).
 * Needs `deno run --unstable-bundle` and read access to the sources.
 *
 * @example
 * ```ts ignore
 * import { bundleForBrowser } from "./server.ts";
 * const js = await bundleForBrowser("web/app.ts");
 * ```
 */
export async function bundleForBrowser(entry: string): Promise<string> {
  const bundle = (Deno as unknown as { bundle?: BundleFunction }).bundle;
  if (typeof bundle !== "function") {
    throw new Error("Deno.bundle is not available: run with `deno run --unstable-bundle` (deno task serve does)");
  }
  const result = await bundle({ entrypoints: [entry], platform: "browser", format: "esm", write: false });
  const file = result.outputFiles?.[0];
  if (!result.success || file === undefined) {
    throw new Error(`cannot bundle ${entry}: ${result.errors.map((e) => e.text).join("; ") || "no output"}`);
  }
  return file.text();
}
