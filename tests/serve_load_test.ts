/**
 * `deno task serve` under load, on loopback only and bounded in time: 50
 * clients fetch the page, its scripts, the style sheet and the model for 20 s
 * while other connections send malformed traffic (partial headers held open
 * for the whole run, 100 KB headers, bad methods, absurd paths, encoded path
 * traversal). No valid request may fail, nothing outside the route table may
 * be served, a connection held open must not block anyone, and the server's
 * memory may not grow: after a warm-up round of the same load (which takes
 * the process to its working size), four more rounds grow its resident memory
 * by at most 10% and its live JavaScript heap (read after a full GC) by at most
 * 10% or 1 MiB. A leak of anything per request (a buffer, a closure, a
 * connection) would break the second bound whatever the machine's load; the
 * first keeps native memory honest. Prints the request count, p50/p99 latency
 * and the memory after each round (the README quotes them).
 * `LOAD_SECONDS=N` runs the measured rounds for N seconds in all instead of 20.
 *
 * @module
 */

import assert from "node:assert/strict";
import { modelToBytes } from "../lib/io/model_file.ts";
import { Network } from "../lib/nn/network.ts";
import { Random } from "../lib/nn/random.ts";
import { rawRequest, type ServerProcess, startServer, statusOf } from "./web_server.ts";

const CLIENTS = 50;
const SECONDS = Number(Deno.env.get("LOAD_SECONDS") ?? 20);
const HELD_OPEN = 20;
const WARM_UP_SECONDS = 5;
const ROUNDS = 4;
const VALID = ["/", "/app.js", "/worker.js", "/style.css", "/model.safetensors"];

/** The server's memory as it reports it on SIGUSR2 (cli/serve.ts), in MiB. */
interface Memory {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
}

/** Asks the server for its memory line (after a full GC: it runs with --expose-gc) and parses it. */
async function serverMemory(server: ServerProcess): Promise<Memory> {
  const from = server.log().length;
  Deno.kill(server.pid, "SIGUSR2");
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const match = server.log().slice(from).match(
      /memory: rss ([\d.]+) MiB, heap used ([\d.]+) MiB, heap total ([\d.]+) MiB, external ([\d.]+) MiB \(after a full GC\)/,
    );
    if (match !== null) {
      const [rss, heapUsed, heapTotal, external] = match.slice(1).map(Number);
      return { rss, heapUsed, heapTotal, external };
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(
    `the server printed no memory line after a full GC within 10 s:\n${server.log().slice(from, from + 2000)}`,
  );
}

function describeMemory(m: Memory): string {
  return `rss ${m.rss.toFixed(1)}, heap used ${m.heapUsed.toFixed(1)} of ${m.heapTotal.toFixed(1)}, ` +
    `external ${m.external.toFixed(1)} MiB`;
}

/** Connects and sends the start of a request, never finishing it; returns the connection. */
async function holdPartialRequest(port: number): Promise<Deno.Conn> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(new TextEncoder().encode(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nX-Slow: `));
  return conn;
}

/** Malformed requests, each sent on its own connection. */
function malformed(port: number, secret: string): string[] {
  const host = `Host: 127.0.0.1:${port}\r\n`;
  const get = (target: string, method = "GET") => `${method} ${target} HTTP/1.1\r\n${host}Connection: close\r\n\r\n`;
  return [
    `GET / HTTP/1.1\r\n${host}X-Big: ${"a".repeat(100_000)}\r\nConnection: close\r\n\r\n`,
    `GET / HTTP/1.1\r\n${host}${Array.from({ length: 2000 }, (_, k) => `X-${k}: ${"b".repeat(40)}\r\n`).join("")}\r\n`,
    get("/", "BREW"),
    get("/", "DELETE"),
    get("/", "PUT"),
    get("/", "G\u0000T"),
    get("/" + "a/".repeat(20_000)),
    get("*"),
    get("/%00"),
    get("/%ff%fe%fd"),
    get("/../../../../etc/passwd"),
    get(`/..%2f..%2f${secret}`),
    get("/%2e%2e/%2e%2e/deno.json"),
    get("/%252e%252e/%252e%252e/deno.json"),
    get("/..\\..\\deno.json"),
    get("/.%2e/.%2e/deno.json"),
    "GET / HTTP/9.9\r\n\r\n",
    "\r\n\r\n\r\n",
    "\u0016\u0003\u0001\u0002\u0000\u0001\u0000\u0001\u00fc\u0003\u0003", // a TLS hello
  ];
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

Deno.test(`serve under load: ${CLIENTS} clients for ${SECONDS} s with malformed traffic: no valid request fails`, async () => {
  const dir = await Deno.makeTempDir();
  const secret = `secret-${crypto.randomUUID()}`;
  await Deno.writeTextFile(`${dir}/secret.txt`, secret);
  const model = modelToBytes(new Network({ sizes: [784, 30, 10], activations: "relu" }).init(new Random(3)));
  await Deno.writeFile(`${dir}/model.safetensors`, model);
  const server = await startServer(["--model", `${dir}/model.safetensors`], [dir], ["--expose-gc"]);
  const held: Deno.Conn[] = [];
  try {
    const base = server.url;
    // warm up: every route once (bundles are built at start-up), and learn each body's size
    const sizes = new Map<string, number>();
    for (const path of VALID) {
      const response = await fetch(new URL(path, base));
      assert.equal(response.status, 200, path);
      sizes.set(path, (await response.arrayBuffer()).byteLength);
    }
    assert.equal(sizes.get("/model.safetensors"), model.length);

    // connections that send half a request and then hold it open for the whole run
    for (let k = 0; k < HELD_OPEN; k++) held.push(await holdPartialRequest(server.port));
    const blockedStart = performance.now();
    const notBlocked = await fetch(base);
    await notBlocked.arrayBuffer();
    assert.equal(notBlocked.status, 200, "a request is answered while others hold connections open");
    const blockedMs = performance.now() - blockedStart;

    let end = 0;
    const latencies: number[] = [];
    const failures: string[] = [];
    const client = async (k: number) => {
      for (let i = k; performance.now() < end; i++) {
        const path = VALID[i % VALID.length];
        const start = performance.now();
        try {
          const response = await fetch(new URL(path, base));
          const length = (await response.arrayBuffer()).byteLength;
          if (response.status !== 200 || length !== sizes.get(path)) {
            failures.push(`${path}: status ${response.status}, ${length} bytes`);
          }
        } catch (error) {
          failures.push(`${path}: ${(error as Error).message}`);
        }
        latencies.push(performance.now() - start);
      }
    };
    const badStatuses: string[] = [];
    let badCount = 0;
    const attacker = async (k: number) => {
      const requests = malformed(server.port, secret);
      for (let i = k; performance.now() < end; i++) {
        const request = requests[i % requests.length];
        const answer = await rawRequest(server.port, request);
        badCount++;
        const status = statusOf(answer);
        if (
          answer.includes(secret) || answer.includes('"tasks"') || (status !== 0 && (status < 400 || status >= 500))
        ) {
          badStatuses.push(`request ${i % requests.length} got ${status}: ${answer.slice(0, 80)}`);
        }
      }
    };
    const round = async (seconds: number) => {
      end = performance.now() + seconds * 1000;
      await Promise.all([
        ...Array.from({ length: CLIENTS }, (_, k) => client(k)),
        ...Array.from({ length: 4 }, (_, k) => attacker(k)),
      ]);
      return await serverMemory(server);
    };
    const start = await serverMemory(server);
    // a first round of the same load takes the server to its working size; memory is compared from there
    const warm = await round(WARM_UP_SECONDS);
    assert.deepEqual(failures.slice(0, 10), [], "warm-up");
    const warmRequests = latencies.length;
    latencies.length = 0;
    badCount = 0;
    const rounds: Memory[] = [];
    for (let k = 0; k < ROUNDS; k++) rounds.push(await round(SECONDS / ROUNDS));
    latencies.sort((a, b) => a - b);
    console.log(
      `server memory (MiB, after a full GC): at start ${describeMemory(start)}; after the ${WARM_UP_SECONDS} s ` +
        `warm-up round (${warmRequests} requests) ${describeMemory(warm)}; after each ${SECONDS / ROUNDS} s round: ` +
        rounds.map(describeMemory).join("; "),
    );
    console.log(
      `${latencies.length} valid requests (${failures.length} failed) and ${badCount} malformed ones in ${SECONDS} s ` +
        `with ${HELD_OPEN} connections held open; latency p50 ${percentile(latencies, 0.5).toFixed(1)} ms, ` +
        `p99 ${percentile(latencies, 0.99).toFixed(1)} ms; first request while connections were held: ` +
        `${blockedMs.toFixed(0)} ms`,
    );
    assert.deepEqual(failures.slice(0, 10), []);
    assert.deepEqual(badStatuses.slice(0, 10), []);
    assert.ok(latencies.length > CLIENTS, `the clients made ${latencies.length} requests`);
    assert.ok(badCount > 20, `${badCount} malformed requests were sent`);
    const last = rounds.at(-1)!;
    assert.ok(
      last.heapUsed <= Math.max(warm.heapUsed * 1.1, warm.heapUsed + 1),
      `the live heap grew from ${warm.heapUsed} to ${last.heapUsed} MiB over ${latencies.length} requests: a leak`,
    );
    assert.ok(
      last.rss <= warm.rss * 1.1,
      `resident memory grew from ${warm.rss} to ${last.rss} MiB after the warm-up round (more than 10%)`,
    );
    // the held connections are still open and the server still answers
    const still = await fetch(base);
    await still.arrayBuffer();
    assert.equal(still.status, 200);
  } finally {
    for (const conn of held) {
      try {
        conn.close();
      } catch {
        // closed by the server
      }
    }
    await server.stop();
    await Deno.remove(dir, { recursive: true });
  }
});
