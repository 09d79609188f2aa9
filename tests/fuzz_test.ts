/**
 * A quick run of `deno task fuzz` (fixed seed): every file parser gets 300
 * mutated inputs and each must load or be refused
 * with one sentence, quickly and without taking memory far beyond its size.
 * The long run's figures are in the README. Also the cases the fuzzer found,
 * kept as regular tests.
 *
 * @module
 */

import assert from "node:assert/strict";
import { fuzz, makeCase, targets } from "../fuzz/harness.ts";
import { modelFromBytes, modelToBytes } from "../lib/io/model_file.ts";
import { decodeSafetensors, encodeSafetensors } from "../lib/io/safetensors.ts";
import { parseArch } from "../lib/nn/arch.ts";
import { Random } from "../lib/nn/random.ts";
import { Sequential } from "../lib/nn/sequential.ts";
import { decodeIdx, encodeIdx } from "../lib/data/idx.ts";
import { decodeImage, encodeJpeg, encodePng } from "../lib/image/decode.ts";
import { InputError } from "../lib/errors.ts";
import { readPixelCsv } from "../lib/data/load.ts";
import { fixPngCrcs, safetensorsBytes } from "../fuzz/mutators.ts";
import { taskArgv } from "./task.ts";

const QUICK: [string, number][] = [
  ["safetensors", 300],
  ["idx", 300],
  ["idx.gz", 300],
  ["seed-csv", 300],
  ["mnist-csv", 300],
  ["png", 300],
  ["jpeg", 300],
];

for (const [name, cases] of QUICK) {
  Deno.test(`fuzz: ${name}, ${cases} mutated files (seed 1): each loads or is refused with one sentence`, async () => {
    const [result] = await fuzz({ cases, seed: 1, only: [name], skipKnown: true });
    const failures = result.failures.filter((f) => !f.known).map((f) =>
      `case ${f.caseNumber} (${f.mutation}): ${f.reason}; replay: deno task fuzz --only ${name} --seed 1 --from ${f.caseNumber} --cases 1`
    );
    assert.deepEqual(failures, []);
    assert.equal(result.cases, cases);
    assert.ok(result.refused > cases / 4, `most mutations are refused (${result.refused} of ${cases})`);
    assert.ok(result.loaded + result.refused + result.known === cases);
  });
}

Deno.test("fuzz: the same seed gives the same cases, another seed other cases", async () => {
  const [target] = (await targets()).filter((t) => t.name === "safetensors");
  const a = await makeCase(target, 5, 17), b = await makeCase(target, 5, 17), c = await makeCase(target, 6, 17);
  assert.deepEqual(a.bytes, b.bytes);
  assert.equal(a.mutation, b.mutation);
  assert.notDeepEqual(a.bytes, c.bytes);
});

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof InputError, `an InputError, not ${error}`);
    return error.message;
  }
  assert.fail("expected an InputError");
}

Deno.test("fuzz finding: a safetensors header nested a million levels deep is refused at once", () => {
  // V8's JSON.parse took 3–5 s on these 2 MB
  const deep = safetensorsBytes("[".repeat(1_000_000) + "]".repeat(1_000_000), new Uint8Array(0));
  const start = performance.now();
  assert.match(refusal(() => decodeSafetensors(deep, "deep.safetensors")), /nests JSON more than 32 levels deep/);
  assert.ok(performance.now() - start < 2000, `took ${performance.now() - start} ms`);
});

Deno.test("fuzz finding: a megabyte-long metadata value or tensor name gives a short message", () => {
  const long = "A".repeat(1_000_000);
  const format = refusal(() =>
    modelFromBytes(safetensorsBytes(JSON.stringify({ __metadata__: { format: long } }), new Uint8Array(0)), "m")
  );
  assert.ok(format.length < 200 && /metadata "format" is "AAAA.*…, expected/.test(format), format);
  const name = refusal(() =>
    decodeSafetensors(safetensorsBytes(JSON.stringify({ [`a\n${long}`]: { dtype: "F16" } }), new Uint8Array(0)), "m")
  );
  assert.ok(name.length < 200 && !name.includes("\n"), name);
});

Deno.test("fuzz finding: an IDX header with 255 dimensions gives a one-line message of bounded length", () => {
  const bytes = encodeIdx(new Uint8Array(6), [1, 2, 3]);
  const many = new Uint8Array(4 + 4 * 255 + 100);
  many.set(bytes.subarray(0, 4));
  many[3] = 255;
  for (let i = 0; i < 255; i++) many[4 + 4 * i + 3] = i < 2 ? 3 : 0; // 3 × 3 × 0 × … = 0 values
  const message = refusal(() => decodeIdx(many, "many.idx"));
  assert.ok(message.length < 300, message);
  assert.match(message, /3 × 3 × 0 × … \(255 dimensions\)/);
});

Deno.test("fuzz finding: a tiny PNG claiming 10,000 × 10,000 pixels is refused before decoding", () => {
  // it used to decode (pngjs filled the missing rows) in 33 s and 950 MB
  const png = encodePng({ width: 28, height: 28, pixels: new Float32Array(784) });
  const view = new DataView(png.buffer, png.byteOffset);
  view.setUint32(16, 10_000);
  view.setUint32(20, 10_000);
  fixPngCrcs(png);
  const start = performance.now();
  assert.match(
    refusal(() => decodeImage(png, "big.png")),
    /^big\.png: the PNG image declares 10000 × 10000 pixels but holds only \d+ bytes of image data/,
  );
  assert.ok(performance.now() - start < 2000, "refused before decoding (it took 33 s)");
});

Deno.test("fuzz finding: a CSV cell holding a lone quote gives a message of bounded length", async () => {
  // seed-csv case 812 of seed 0: polars' error quoted the whole rest of the file (1919 characters)
  const dir = await Deno.makeTempDir();
  try {
    const row = Array.from({ length: 784 }, (_, k) => (k === 27 ? '"' : "0")).join(",");
    await Deno.writeTextFile(`${dir}/train_X.csv`, `${row}\n${"0,".repeat(783)}0\n`);
    const message = await readPixelCsv(`${dir}/train_X.csv`).then(() => "loaded", (e) => {
      assert.ok(e instanceof InputError, String(e));
      return e.message;
    });
    assert.ok(!message.includes("\n") && message.length < 300, message);
    assert.match(
      message,
      /^\S*train_X\.csv(: not a readable CSV file \(.*…\)|, line 1, column 28: .* is not a number)$/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("fuzz finding: a small JPEG declaring 33 × 65535 pixels is refused before jpeg-js allocates them", () => {
  // jpeg case 102 of seed 0: 693 bytes took 57 MiB
  const jpg = encodeJpeg({ width: 33, height: 17, pixels: new Float32Array(33 * 17) }, 40);
  let at = 2;
  while (jpg[at + 1] !== 0xc0) at += 2 + ((jpg[at + 2] << 8) | jpg[at + 3]);
  jpg[at + 5] = jpg[at + 6] = 0xff; // height 65535
  assert.match(refusal(() => decodeImage(jpg, "tall.jpg")), /^tall\.jpg: the JPEG image declares 33 × 65535 pixels/);
});

/** A small CNN model file with metadata fields replaced. */
function cnnModelWith(fields: Record<string, string>): Uint8Array {
  const arch = parseArch("conv3x3x2,pool2,fc8");
  const net = new Sequential({ inputShape: [1, 28, 28], arch, activation: "relu", classes: 10 });
  const { tensors, metadata } = decodeSafetensors(modelToBytes(net.init(new Random(1))), "cnn");
  const edited: Record<string, string> = { ...metadata, ...fields };
  delete edited.modules;
  return encodeSafetensors(tensors, edited);
}

Deno.test("CNN model file: metadata asking for more parameters than the file holds is refused before allocating", () => {
  // 12 kB files: input_shape 1,4096,4096 was built (67 million parameters, twice with the gradients) before the
  // tensors were compared; 4096,4096,4096 or fc4096 × 4 got "Array buffer allocation failed" or took 400 MB
  for (
    const [input_shape, arch, needed] of [
      ["1,4096,4096", "conv3x3x2,pool2,fc8", "67,043,462"],
      ["4096,4096,4096", "fc4096", "281,474,976,755,722"],
      ["1,28,28", "fc4096,fc4096,fc4096,fc4096", "53,600,266"],
    ]
  ) {
    const start = performance.now();
    const message = refusal(() => modelFromBytes(cnnModelWith({ input_shape, arch }), "m.safetensors"));
    assert.equal(
      message,
      `m.safetensors: not a MiniMNIST model: metadata "arch" "${arch}" on input_shape "${input_shape}" needs ` +
        `${needed} parameters but the file holds 2,822 values`,
    );
    assert.ok(performance.now() - start < 500, `${performance.now() - start} ms`);
  }
  // the network the file describes still loads
  assert.equal(modelFromBytes(cnnModelWith({}), "m").net.outputSize, 10);
});

Deno.test("CNN model file: an arch of 20,000 items gives a message of bounded length", () => {
  // parseArch quoted the whole text twice: a 100 kB message
  const message = refusal(() => modelFromBytes(cnnModelWith({ arch: "fc1,".repeat(20_000) + "x" }), "m"));
  assert.ok(message.length < 300 && !message.includes("\n"), message.slice(0, 300));
  assert.match(
    message,
    /^m: not a MiniMNIST model: metadata "arch": "x" \(item 20001 of "fc1,fc1,.*…\) is not a layer/,
  );
});

Deno.test("deno task fuzz stopped by SIGTERM or SIGINT removes its scratch folder", async () => {
  // runs stopped by `timeout` (SIGTERM) left a minimnist-fuzz-* folder in /tmp each
  for (const [signal, code] of [["SIGTERM", 143], ["SIGINT", 130]] as const) {
    const tmp = await Deno.makeTempDir();
    try {
      const child = new Deno.Command(Deno.execPath(), {
        args: [...taskArgv("fuzz"), "--only", "idx", "--cases", "1000000"],
        cwd: new URL("..", import.meta.url),
        env: { NO_COLOR: "1", TMPDIR: tmp },
        stdin: "null",
        stdout: "piped",
        stderr: "null",
      }).spawn();
      const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
      let out = "";
      while (!out.includes("fuzzing idx")) {
        const { value, done } = await reader.read();
        if (done) break;
        out += value;
      }
      assert.equal([...Deno.readDirSync(tmp)].length, 1, "the scratch folder is made in TMPDIR");
      await new Promise((resolve) => setTimeout(resolve, 500)); // some cases run
      child.kill(signal);
      for (let r = await reader.read(); !r.done; r = await reader.read()) out += r.value;
      assert.equal((await child.status).code, code, out);
      assert.match(out, new RegExp(`stopped by ${signal}\\n$`));
      assert.deepEqual([...Deno.readDirSync(tmp)].map((e) => e.name), []);
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
  }
});

Deno.test("fuzz finding: long CNN metadata values and tensor names give a message of bounded length", () => {
  // safetensors cases 2051 and 6182 of seed 0: "input_shape" or "activation" 100 kB long, quoted whole
  const long = "x".repeat(100_000);
  for (const field of ["input_shape", "activation", "classes"]) {
    const message = refusal(() => modelFromBytes(cnnModelWith({ [field]: long }), "m"));
    assert.ok(
      message.length < 300 && message.startsWith(`m: not a MiniMNIST model: metadata "${field}" is "xxx`),
      message,
    );
  }
  const arch = parseArch("conv3x3x2,pool2,fc8");
  const net = new Sequential({ inputShape: [1, 28, 28], arch, activation: "relu", classes: 10 });
  const { tensors, metadata } = decodeSafetensors(modelToBytes(net), "cnn");
  tensors.set(`a\n${long}`, { shape: [1], data: new Float32Array(1) });
  const message = refusal(() => modelFromBytes(encodeSafetensors(tensors, metadata), "m"));
  assert.ok(message.length < 300 && !message.includes("\n") && /unexpected tensor "a\\nxxx/.test(message), message);
});
