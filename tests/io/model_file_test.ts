import assert from "node:assert/strict";
import { loadSplit } from "../../lib/data/load.ts";
import { InputError } from "../../lib/errors.ts";
import { loadModel, MODEL_FORMAT, modelFromBytes, modelToBytes, saveModel } from "../../lib/io/model_file.ts";
import { Network } from "../../lib/nn/network.ts";
import { Random } from "../../lib/nn/random.ts";
import { decodeSafetensors, encodeSafetensors, type Tensor } from "../../lib/io/safetensors.ts";
import { SGD } from "../../lib/nn/train.ts";
import type { ActivationName } from "../../lib/nn/activations.ts";

const PYTHON = "/usr/bin/python3";

function assertModelError(bytes: Uint8Array, pattern: RegExp) {
  assert.throws(() => modelFromBytes(bytes, "bad.safetensors"), (e: unknown) => {
    assert.ok(e instanceof InputError, `expected InputError, got ${e}`);
    assert.match(e.message, /^bad\.safetensors: /);
    assert.match(e.message, pattern);
    return true;
  });
}

/** The tensors and metadata of a saved network, to be tampered with. */
function parts(net: Network) {
  return decodeSafetensors(modelToBytes(net), "mem");
}

const small = () => new Network({ sizes: [784, 16, 10], activations: "relu" }).init(new Random(5));

Deno.test("model file: tensors use the PyTorch nn.Linear layout [out, in] and the metadata names the format", () => {
  const net = small();
  const { tensors, metadata } = parts(net);
  assert.deepEqual(tensors.get("layers.0.weight")!.shape, [16, 784]);
  assert.deepEqual(tensors.get("layers.0.bias")!.shape, [16]);
  assert.deepEqual(tensors.get("layers.1.weight")!.shape, [10, 16]);
  // weight[o, i] in the file is the connection from input i to output o
  const layer = net.layers[0];
  assert.equal(tensors.get("layers.0.weight")!.data[3 * 784 + 200], layer.weight[200 * layer.outputs + 3]);
  assert.equal(metadata.format, MODEL_FORMAT);
  assert.equal(metadata.activations, "relu");
  assert.equal(Number(metadata.input_scale), 1 / 255);
});

for (const [sizes, acts] of [[[784, 30, 10], ["relu"]], [[784, 12, 8, 10], ["tanh", "sigmoid"]]] as const) {
  Deno.test(`model file: ${sizes.join("-")} ${acts} round trip gives the same parameters and predictions`, () => {
    const net = new Network({ sizes: [...sizes], activations: [...acts] as ActivationName[] }).init(new Random(9));
    const back = modelFromBytes(modelToBytes(net, { seed: "9" }), "mem").net;
    assert.ok(back instanceof Network, "an MLP file reads back as the MLP");
    assert.deepEqual(back.sizes, net.sizes);
    assert.deepEqual(back.activationNames, net.activationNames);
    const rng = new Random(1);
    const x = Float32Array.from({ length: 20 * 784 }, () => (rng.uniform() < 0.8 ? 0 : rng.uniform()));
    assert.deepEqual(back.probabilities(x, 20), net.probabilities(x, 20));
  });
}

Deno.test("model file: saveModel writes atomically (no temporary file left) and loadModel reads it back", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/sub/m.safetensors`;
    await saveModel(path, small(), { note: "x" });
    await saveModel(path, small(), { note: "y" }); // replaces the file in one rename
    assert.deepEqual([...Deno.readDirSync(`${dir}/sub`)].map((e) => e.name), ["m.safetensors"]);
    const { metadata } = await loadModel(path);
    assert.equal(metadata.note, "y");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("model file: a missing file or a folder is named in the error", async () => {
  await assert.rejects(loadModel("/nonexistent/m.safetensors"), /\/nonexistent\/m\.safetensors: model file not found/);
  const dir = await Deno.makeTempDir();
  await assert.rejects(loadModel(dir), /is a folder, not a model file/);
  await Deno.remove(dir);
});

Deno.test("model file: wrong format tag, missing tensors, bad shapes and bad metadata are refused", () => {
  const net = small();
  const retag = (meta: Record<string, string>, tensors?: Map<string, Tensor>) => {
    const p = parts(net);
    return encodeSafetensors(tensors ?? p.tensors, { ...p.metadata, ...meta });
  };
  assertModelError(retag({ format: "other/2" }), /"format" is "other\/2", expected "minimnist\/1"/);
  const untagged = parts(net);
  delete untagged.metadata.format; // a safetensors file from another tool
  assertModelError(
    encodeSafetensors(untagged.tensors, untagged.metadata),
    /not a MiniMNIST model: its metadata has no "format" field \(a MiniMNIST model's is "minimnist\/1"\)$/,
  );
  assertModelError(retag({ activations: "relu,relu" }), /lists 2 activation\(s\) for 1 hidden layer/);
  assertModelError(retag({ activations: "swish" }), /unknown activation "swish"/);
  assertModelError(retag({ input_scale: "1" }), /input_scale/);
  assertModelError(retag({ sizes: "784,20,10" }), /"sizes" says "784,20,10"/);
  const p = parts(net);
  p.tensors.delete("layers.1.bias");
  assertModelError(retag({}, p.tensors), /layers\.1\.bias is missing/);
  const q = parts(net);
  q.tensors.set("layers.1.weight", { shape: [10, 15], data: new Float32Array(150) });
  assertModelError(retag({}, q.tensors), /layers\.1\.weight takes 15 inputs but layer 0 gives 16/);
  const r = parts(net);
  r.tensors.get("layers.0.bias")!.data[2] = NaN;
  assertModelError(retag({}, r.tensors), /layers\.0\.bias holds NaN/);
  assertModelError(new TextEncoder().encode("not a model at all"), /not a valid safetensors file/);
});

Deno.test("model file: an independent reader (Python, numpy, no shared code) gives the same predictions", async () => {
  const train = await loadSplit("data", "train");
  const test = await loadSplit("data", "test");
  for (const [sizes, acts] of [[[784, 30, 10], ["relu"]], [[784, 20, 12, 10], ["tanh", "sigmoid"]]] as const) {
    const net = new Network({ sizes: [...sizes], activations: [...acts] as ActivationName[] }).init(new Random(2));
    SGD(net, train, { epochs: 3, batchSize: 10, lr: 0.05, rng: new Random(3) });
    const dir = await Deno.makeTempDir();
    try {
      await saveModel(`${dir}/m.safetensors`, net);
      const rows = 60;
      const lines = [];
      for (let i = 0; i < rows; i++) {
        lines.push(Array.from(test.x.subarray(i * 784, (i + 1) * 784), (v) => Math.round(v * 255)).join(","));
      }
      await Deno.writeTextFile(`${dir}/x.csv`, lines.join("\n") + "\n");
      const out = await new Deno.Command(PYTHON, {
        args: ["tests/io/independent_reader.py", `${dir}/m.safetensors`, `${dir}/x.csv`],
      }).output();
      assert.equal(
        out.code,
        0,
        `the python reader failed (needs python3-numpy): ${new TextDecoder().decode(out.stderr)}`,
      );
      const theirs = JSON.parse(new TextDecoder().decode(out.stdout)) as {
        predictions: number[];
        probabilities: number[][];
      };
      const ours = net.probabilities(test.x.subarray(0, rows * 784), rows);
      assert.deepEqual(theirs.predictions, [...net.predict(test.x.subarray(0, rows * 784), rows)]);
      for (let i = 0; i < rows; i++) {
        for (let k = 0; k < 10; k++) assert.ok(Math.abs(theirs.probabilities[i][k] - ours[i * 10 + k]) < 1e-5);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  }
});

Deno.test("saveModel into a folder that cannot be made is an InputError naming the file and the folder", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/a-file`, "not a folder");
    const net = new Network({ sizes: [4, 2], activations: [] }).init(new Random(0));
    await assert.rejects(
      saveModel(`${dir}/a-file/sub/m.safetensors`, net),
      (e: unknown) =>
        e instanceof InputError && /m\.safetensors: cannot make the folder .*a-file\/sub: /.test(e.message),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
