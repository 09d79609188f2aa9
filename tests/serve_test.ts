/**
 * `deno task serve`, started as a user starts it (permissions from deno.json)
 * on a free port: what it serves, path traversal in every encoding, malformed
 * requests, bad and missing model files, bad flags. Raw requests go over TCP
 * so that no client normalises the path first.
 *
 * @module
 */

import assert from "node:assert/strict";
import { loadSplit } from "../lib/data/load.ts";
import { modelToBytes } from "../lib/io/model_file.ts";
import { Network } from "../lib/nn/network.ts";
import { Sequential } from "../lib/nn/sequential.ts";
import { parseArch } from "../lib/nn/arch.ts";
import { Random } from "../lib/nn/random.ts";
import { datasetFromBytes, datasetToBytes } from "../web/dataset_bytes.ts";
import { createHandler, textResponse } from "../web/server.ts";
import { runTask } from "./task.ts";
import { rawRequest, type ServerProcess, startServer, statusOf } from "./web_server.ts";

/** A temporary folder with a valid model file and a secret file beside it, removed afterwards. */
async function withServer(
  fn: (server: ServerProcess, dir: string, secret: string) => Promise<void>,
  model: Uint8Array = modelToBytes(new Network({ sizes: [784, 30, 10], activations: "relu" }).init(new Random(0))),
  extraArgs: string[] = [],
): Promise<void> {
  const dir = await Deno.makeTempDir();
  const secret = `secret-${crypto.randomUUID()}`;
  await Deno.writeTextFile(`${dir}/secret.txt`, secret);
  await Deno.writeFile(`${dir}/model.safetensors`, model);
  // no extra read permission: the task itself may read a model outside models/
  const server = await startServer(["--model", `${dir}/model.safetensors`, ...extraArgs]);
  try {
    await fn(server, dir, secret);
  } finally {
    await server.stop();
    await Deno.remove(dir, { recursive: true });
  }
}

function get(port: number, target: string, method = "GET"): Promise<string> {
  return rawRequest(port, `${method} ${target} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`);
}

Deno.test("serve: serves the page, its two scripts, the style sheet, the model and the data", async () => {
  const model = modelToBytes(new Network({ sizes: [784, 30, 10], activations: "relu" }).init(new Random(7)));
  await withServer(async (server, dir) => {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/$/, "binds to loopback by default");
    assert.ok(server.log().includes(`model ${dir}/model.safetensors: 784-30-10 (relu)`), server.log());
    const page = await fetch(server.url);
    assert.equal(page.status, 200);
    assert.match(page.headers.get("content-type")!, /^text\/html/);
    assert.match(page.headers.get("content-security-policy")!, /default-src 'self'/);
    const html = await page.text();
    for (const id of ['id="pad"', 'id="clear"', 'id="prediction"', 'id="train"', 'src="app.js"']) {
      assert.ok(html.includes(id), id);
    }
    assert.ok(!/https?:\/\//.test(html.replace("http://www.w3.org", "")), "the page loads nothing from elsewhere");
    for (
      const [path, type] of [["/app.js", "text/javascript"], ["/worker.js", "text/javascript"], [
        "/style.css",
        "text/css",
      ]]
    ) {
      const response = await fetch(new URL(path, server.url));
      assert.equal(response.status, 200, path);
      assert.ok(response.headers.get("content-type")!.startsWith(type), path);
      const text = await response.text();
      assert.ok(!/\bimport\s*(\(|["'{*])/.test(text) || path === "/style.css", `${path} is one self-contained bundle`);
    }
    const app = await (await fetch(new URL("/app.js", server.url))).text();
    assert.ok(app.includes("mnistPreprocess") && app.includes("modelFromBytes"), "the page bundles lib/");
    const worker = await (await fetch(new URL("/worker.js", server.url))).text();
    assert.ok(worker.includes("SGD") && worker.includes("modelToBytes"), "the worker bundles lib/");
    for (const script of [app, worker]) assert.ok(!script.includes("nodejs-polars"), "no polars in the browser");
    const served = new Uint8Array(await (await fetch(new URL("/model.safetensors", server.url))).arrayBuffer());
    assert.deepEqual(served, model);
    const train = await loadSplit("data", "train");
    const bytes = new Uint8Array(await (await fetch(new URL("/data/train.bin", server.url))).arrayBuffer());
    const back = datasetFromBytes(bytes);
    assert.deepEqual(back.labels, train.labels);
    assert.deepEqual(back.x, train.x, "the worker gets exactly the loader's pixels");
    assert.deepEqual(datasetToBytes(train), bytes);
    const head = await rawRequest(
      server.port,
      `HEAD / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`,
    );
    assert.equal(statusOf(head), 200);
    assert.ok(!head.includes("<canvas"), "HEAD has no body");
  }, model);
});

Deno.test("serve: --model with a CNN file names its architecture and serves it as it is", async () => {
  const net = new Sequential({
    inputShape: [1, 28, 28],
    arch: parseArch("conv5x5x4,pool2,fc16"),
    activation: "relu",
    classes: 10,
  })
    .init(new Random(3));
  const model = modelToBytes(net);
  await withServer(async (server, dir) => {
    assert.ok(server.log().includes(`model ${dir}/model.safetensors: conv5x5x4,pool2,fc16 (relu)`), server.log());
    const served = new Uint8Array(await (await fetch(new URL("/model.safetensors", server.url))).arrayBuffer());
    assert.deepEqual(served, model);
    const app = await (await fetch(new URL("/app.js", server.url))).text();
    assert.ok(app.includes("im2col") && app.includes("MaxPool2d"), "the page bundles the convolution layers");
  }, model);
});

Deno.test("serve: paths with .., encoded or double-encoded, never reach a file: 404", async () => {
  await withServer(async (server, dir, secret) => {
    const d = dir.replaceAll("/", "%2f");
    const targets = [
      "/web/server.ts",
      "/web/app.ts",
      "/lib/network.ts",
      "/cli/serve.ts",
      "/deno.json",
      "/data/train_X.csv",
      "/data/",
      "/web/",
      "/../deno.json",
      "/../../../../../../etc/passwd",
      "/%2e%2e/deno.json",
      "/%2E%2E/%2E%2E/%2E%2E/etc/passwd",
      "/.%2e/.%2e/web/server.ts",
      "/..%2fdeno.json",
      "/..%2f..%2f..%2f..%2fetc%2fpasswd",
      "/%2e%2e%2fweb%2fserver.ts",
      "/%252e%252e%252fdeno.json",
      "/%252e%252e/%252e%252e/etc/passwd",
      "/..%252fweb%252fserver.ts",
      "/%25252e%25252e%25252fdeno.json",
      "/..%5cdeno.json",
      "/%5c..%5c..%5cetc%5cpasswd",
      "/index.html/../../data/train_X.csv",
      "/index.html/..%2f..%2fdata/train_X.csv",
      "/model.safetensors/../../web/server.ts",
      "//etc/passwd",
      "/./web/./server.ts",
      "/web//server.ts",
      "/web/server.ts%00",
      "/index.html%00.ts",
      `${dir}/secret.txt`,
      `/..${dir}/secret.txt`,
      `/../../../..${dir}/secret.txt`,
      `/..%2f..%2f..%2f..${d}%2fsecret.txt`,
      `/%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e${d}%2fsecret.txt`,
      `/%252e%252e%252f%252e%252e%252f%252e%252e${d.replaceAll("%", "%25")}%252fsecret.txt`,
      `http://127.0.0.1:${server.port}/../web/server.ts`,
      `http://127.0.0.1:${server.port}/%2e%2e%2fdeno.json`,
    ];
    for (const target of targets) {
      const response = await get(server.port, target);
      assert.equal(statusOf(response), 404, `${target}: ${response.slice(0, 80)}`);
      for (const marker of [secret, "The HTTP side of the draw-a-digit page", '"tasks"', "0,0,0,0,0", "root:"]) {
        assert.ok(!response.includes(marker), `${target} leaked a file`);
      }
    }
    // A backslash path is not valid HTTP: rejected before routing, still never a file.
    const backslash = await get(server.port, "/..\\deno.json");
    assert.ok([400, 404].includes(statusOf(backslash)), backslash.slice(0, 80));
    assert.ok(!backslash.includes('"tasks"'));
    // Normalised paths that stay inside are the page itself.
    assert.equal(statusOf(await get(server.port, "/web/../index.html")), 200);
  });
});

Deno.test("serve: malformed and odd requests are answered and do not stop the server", async () => {
  await withServer(async (server) => {
    const port = server.port;
    const requests: (string | Uint8Array)[] = [
      "GARBAGE\r\n\r\n",
      "GET\r\n\r\n",
      "GET / HTTP/9.9\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: x\r\nBadHeaderWithoutColon\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\nConnection: close\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
      `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(200_000)}\r\n\r\n`,
      `GET /${"a/".repeat(40_000)} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
      "GET /%zz%%%ff%c0%ae HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello",
      "DELETE /model.safetensors HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\nzz\r\n",
      new Uint8Array([0, 1, 2, 0xff, 0xfe, 13, 10, 13, 10]),
    ];
    const statuses: number[] = [];
    for (const request of requests) statuses.push(statusOf(await rawRequest(port, request)));
    assert.equal(statuses[9], 405, "POST is not allowed");
    assert.equal(statuses[10], 405, "DELETE is not allowed");
    assert.equal(statuses[8], 404, "bad percent-encoding is just a path that does not exist");
    for (const [i, status] of statuses.entries()) {
      assert.ok(status === 0 || (status >= 400 && status < 500), `request ${i} got ${status}`);
    }
    // Connections that stop half-way or vanish.
    for (const partial of ["GET / HT", "GET / HTTP/1.1\r\nHost: x\r\n", ""]) {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      await conn.write(new TextEncoder().encode(partial));
      conn.close();
    }
    const response = await fetch(server.url);
    assert.equal(response.status, 200, "still serving");
    await response.body?.cancel();
    assert.ok(!server.log().includes("internal error"), server.log());
  });
});

Deno.test("serve: a bad model file is reported in the log, a missing one says how to make one", async () => {
  await withServer(async (server, dir) => {
    const line = `error: ${dir}/model.safetensors: not a valid safetensors file: it is 3 bytes long`;
    assert.ok(server.log().includes(line), server.log());
    const response = await fetch(new URL("/model.safetensors", server.url));
    assert.equal(response.status, 200, "the page gets the file and shows the same message");
    assert.deepEqual(new Uint8Array(await response.arrayBuffer()), new Uint8Array([1, 2, 3]));
    assert.ok(server.log().split(line).length > 2, "each request logs it again");
  }, new Uint8Array([1, 2, 3]));

  const dir = await Deno.makeTempDir();
  const server = await startServer(["--model", `${dir}/none.safetensors`, "--data", dir]);
  try {
    assert.match(server.log(), /no model file at .*none\.safetensors: .*deno task train/);
    const model = await fetch(new URL("/model.safetensors", server.url));
    assert.equal(model.status, 404);
    assert.equal((await model.text()).trim(), `no model file at ${dir}/none.safetensors`);
    const data = await fetch(new URL("/data/train.bin", server.url));
    assert.equal(data.status, 404, "no data: a message, not a crash");
    assert.match(await data.text(), /train/);
    assert.equal(await fetch(server.url).then(async (r) => (await r.body?.cancel(), r.status)), 200);
  } finally {
    await server.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("serve: --data outside data/ works for train here; a missing --data folder is refused at start-up", async () => {
  const dir = await Deno.makeTempDir(); // outside the repository, as `--data ../okdata` is
  try {
    for (const name of ["train_X.csv", "train_label.csv", "test_X.csv", "test_label.csv"]) {
      await Deno.copyFile(`data/${name}`, `${dir}/${name}`);
    }
    const server = await startServer(["--model", `${dir}/none.safetensors`, "--data", dir]);
    try {
      for (const split of ["train", "test"] as const) {
        const response = await fetch(new URL(`/data/${split}.bin`, server.url));
        assert.equal(response.status, 200, server.log());
        const bytes = new Uint8Array(await response.arrayBuffer());
        assert.deepEqual(bytes, datasetToBytes(await loadSplit(dir, split)), split);
      }
      assert.ok(!server.log().includes("error"), server.log());
    } finally {
      await server.stop();
    }
    for (
      const [data, pattern] of [
        [`${dir}/nonexist`, /^error: --data .*\/nonexist: no such folder\n$/],
        [
          "../nonexist-n19",
          /^error: --data \.\.\/nonexist-n19: no such folder \(relative paths are taken from the folder deno task was started in, \/.*\)/,
        ],
        [`${dir}/train_X.csv`, /^error: --data .*train_X\.csv: is a file, not a folder\n$/],
      ] as const
    ) {
      const result = await runTask("serve", ["--port", "0", "--data", data]);
      assert.equal(result.code, 1, result.stderr);
      assert.match(result.stderr, pattern);
      assert.equal(result.stdout, "", "refused before listening");
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("serve: bad flags, a port in use and a host it may not use end with one clear line", async () => {
  const port = await runTask("serve", ["--port", "70000"]);
  assert.equal(port.code, 1);
  assert.match(port.stderr, /^error: --port must be at most 65535, got "70000"/);
  const flag = await runTask("serve", ["--bogus"]);
  assert.equal(flag.code, 1);
  assert.match(flag.stderr, /^error: .*bogus/);
  const help = await runTask("serve", ["--help"]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /Usage: deno task serve/);

  await withServer(async (server, dir) => {
    const busy = await runTask("serve", ["--port", String(server.port), "--model", `${dir}/model.safetensors`]);
    assert.equal(busy.code, 1);
    assert.match(busy.stderr, new RegExp(`^error: port ${server.port} is in use; choose another with --port`));
  });
  const host = await runTask("serve", ["--port", "0", "--host", "127.0.0.2"]);
  assert.equal(host.code, 1);
  assert.match(
    host.stderr,
    /^error: this task may listen on 127\.0\.0\.1, localhost and 0\.0\.0\.0 only, not 127\.0\.0\.2/,
  );
});

Deno.test("serve: --help names exactly the hosts the task may listen on (deno.json's --allow-net)", async () => {
  const config = JSON.parse(await Deno.readTextFile(new URL("../deno.json", import.meta.url)));
  const allowed = /--allow-net=(\S+)/.exec(config.tasks.serve)![1].split(",");
  const help = await runTask("serve", ["--help"]);
  assert.equal(help.code, 0);
  // the --host paragraph: from its flag to the next flag
  const paragraph = /\n {2}--host H([\s\S]*?)\n {2}--/.exec(help.stdout)![1];
  for (const host of allowed) {
    assert.ok(paragraph.includes(host), `--help's --host does not name ${host}: ${paragraph}`);
  }
  assert.match(paragraph, /these three only/);
  assert.equal(allowed.length, 3);
});

Deno.test("server: a route that throws gets 500 and a log line; unknown paths and methods do not reach routes", async () => {
  const lines: string[] = [];
  let reached = 0;
  const handle = createHandler(
    new Map([
      ["/", () => (reached++, textResponse(200, "home"))],
      ["/boom", () => {
        throw new Error("disk on fire");
      }],
    ]),
    (line) => lines.push(line),
  );
  const boom = await handle(new Request("http://localhost/boom"));
  assert.equal(boom.status, 500);
  assert.equal(await boom.text(), "internal error\n");
  assert.ok(lines.includes("error: GET /boom: disk on fire"), lines.join("\n"));
  for (const path of ["/%2e%2e/deno.json", "/..%2fdeno.json", "/index.html", "/boom/"]) {
    assert.equal((await handle(new Request(`http://localhost${path}`))).status, 404, path);
  }
  assert.equal((await handle(new Request("http://localhost/", { method: "PUT", body: "x" }))).status, 405);
  assert.equal(reached, 0);
  assert.equal((await handle(new Request("http://localhost/"))).status, 200);
  assert.equal(reached, 1);
});
