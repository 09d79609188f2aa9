import assert from "node:assert/strict";
import { loadSplit } from "../../lib/data/load.ts";
import { InputError } from "../../lib/errors.ts";
import { loadModel, modelFromBytes, modelToBytes, saveModel } from "../../lib/io/model_file.ts";
import { parseArch } from "../../lib/nn/arch.ts";
import { Random } from "../../lib/nn/random.ts";
import { Sequential } from "../../lib/nn/sequential.ts";
import { decodeSafetensors, encodeSafetensors } from "../../lib/io/safetensors.ts";
import { SGD } from "../../lib/nn/train.ts";
import type { ActivationName } from "../../lib/nn/activations.ts";

const PYTHON = "/usr/bin/python3";

function cnn(arch: string, activation: ActivationName = "relu", seed = 5): Sequential {
  return new Sequential({ inputShape: [1, 28, 28], arch: parseArch(arch), activation, classes: 10 })
    .init(new Random(seed));
}

Deno.test("CNN model file: PyTorch layouts, the architecture in the metadata, and a round trip to the same predictions", () => {
  const net = cnn("conv5x5x4,pool2,conv3x3x6:same,pool2,fc12", "tanh");
  for (const p of net.parameters()) if (p.name.endsWith("bias")) p.value.forEach((_, k) => (p.value[k] = 0.01 * k));
  const bytes = modelToBytes(net, { seed: "5" });
  const { tensors, metadata } = decodeSafetensors(bytes, "mem");
  // modules: 0 conv, 1 tanh, 2 pool, 3 conv, 4 tanh, 5 pool, 6 flatten, 7 linear, 8 tanh, 9 linear
  assert.deepEqual([...tensors.keys()].sort(), [
    "layers.0.bias",
    "layers.0.weight",
    "layers.3.bias",
    "layers.3.weight",
    "layers.7.bias",
    "layers.7.weight",
    "layers.9.bias",
    "layers.9.weight",
  ]);
  assert.deepEqual(tensors.get("layers.0.weight")!.shape, [4, 1, 5, 5]);
  assert.deepEqual(tensors.get("layers.3.weight")!.shape, [6, 4, 3, 3]);
  assert.deepEqual(tensors.get("layers.7.weight")!.shape, [12, 6 * 6 * 6]);
  assert.deepEqual(tensors.get("layers.9.bias")!.shape, [10]);
  // weight[o, i] in the file is the connection from input i to output o (nn.Linear), stored [i, o] in lib
  const fc = net.layers[7].tensors!;
  assert.equal(tensors.get("layers.7.weight")!.data[3 * 216 + 100], fc.weight[100 * 12 + 3]);
  assert.equal(metadata.arch, "conv5x5x4,pool2,conv3x3x6:same,pool2,fc12");
  assert.equal(metadata.activation, "tanh");
  assert.equal(metadata.input_shape, "1,28,28");
  const modules = JSON.parse(metadata.modules);
  assert.deepEqual(modules[3], { type: "Conv2d", in_channels: 4, out_channels: 6, kernel_size: 3, padding: 1 });
  assert.deepEqual(modules.map((m: { type: string }) => m.type), [
    "Conv2d",
    "Tanh",
    "MaxPool2d",
    "Conv2d",
    "Tanh",
    "MaxPool2d",
    "Flatten",
    "Linear",
    "Tanh",
    "Linear",
  ]);
  const back = modelFromBytes(bytes, "mem").net;
  assert.ok(back instanceof Sequential);
  assert.equal(back.describe(), net.describe());
  const rng = new Random(1);
  const x = Float32Array.from({ length: 6 * 784 }, () => (rng.uniform() < 0.8 ? 0 : rng.uniform()));
  assert.deepEqual(back.probabilities(x, 6), net.probabilities(x, 6));
});

Deno.test("CNN model file: a file whose metadata or tensors do not fit is refused in one sentence", () => {
  const bytes = modelToBytes(cnn("conv3x3x2,pool2,fc8"));
  const { tensors, metadata } = decodeSafetensors(bytes, "mem");
  const variant = (meta: Record<string, string>, drop?: string) => {
    const t = new Map(tensors);
    if (drop !== undefined) t.delete(drop);
    return encodeSafetensors(t, { ...metadata, ...meta });
  };
  const cases: [Uint8Array, RegExp][] = [
    [
      variant({ arch: "conv3x3x2,pool7,fc8" }),
      /m\.safetensors: not a MiniMNIST model: metadata "arch": "pool7" \(item 2/,
    ],
    [variant({ arch: "conv3x3x3,pool2,fc8" }), /metadata "modules" does not match/],
    [variant({ activation: "gelu" }), /metadata "activation" is "gelu"/],
    [variant({ input_shape: "1,28" }), /"conv3x3x2" \(item 1 .*cannot be built/],
    [variant({}, "layers.0.bias"), /tensor layers\.0\.bias is missing/],
  ];
  const modulesFree = { ...metadata };
  delete (modulesFree as Record<string, string>).modules;
  const wrongShape = new Map(tensors);
  wrongShape.set("layers.0.weight", { shape: [2, 1, 9], data: new Float32Array(18) });
  cases.push([
    encodeSafetensors(wrongShape, modulesFree),
    /layers\.0\.weight has shape \[2,1,9\], expected \[2,1,3,3\]/,
  ]);
  for (const [file, message] of cases) {
    assert.throws(
      () => modelFromBytes(file, "m.safetensors"),
      (e: Error) => e instanceof InputError && message.test(e.message) && !e.message.includes("\n"),
      String(message),
    );
  }
});

Deno.test("CNN model file: PyTorch (nn.Sequential built from the metadata) predicts exactly what lib/ predicts on the whole test set", async () => {
  const train = await loadSplit("data", "train");
  const test = await loadSplit("data", "test");
  for (
    const [arch, act] of [["conv5x5x6,pool2,conv3x3x8:same,pool2,fc32", "relu"], [
      "conv3x3x4:same,pool2,fc16",
      "tanh",
    ]] as const
  ) {
    const net = cnn(arch, act, 2);
    SGD(net, train, { epochs: 1, batchSize: 10, lr: 0.05, rng: new Random(3) });
    const dir = await Deno.makeTempDir();
    try {
      await saveModel(`${dir}/m.safetensors`, net);
      const lines = [];
      for (let i = 0; i < test.n; i++) {
        lines.push(Array.from(test.x.subarray(i * 784, (i + 1) * 784), (v) => Math.round(v * 255)).join(","));
      }
      await Deno.writeTextFile(`${dir}/x.csv`, lines.join("\n") + "\n");
      const out = await new Deno.Command(PYTHON, {
        args: ["tests/io/torch_reader.py", `${dir}/m.safetensors`, `${dir}/x.csv`],
      }).output();
      assert.equal(
        out.code,
        0,
        `the PyTorch reader failed (needs python3-torch): ${new TextDecoder().decode(out.stderr)}`,
      );
      const theirs = JSON.parse(new TextDecoder().decode(out.stdout)) as {
        predictions: number[];
        probabilities: number[][];
      };
      const loaded = (await loadModel(`${dir}/m.safetensors`)).net;
      const ours = loaded.predict(test.x, test.n);
      assert.deepEqual(theirs.predictions, [...ours], `${arch}: PyTorch and lib/ disagree`);
      const probs = loaded.probabilities(test.x, test.n);
      for (let i = 0; i < test.n; i++) {
        for (let k = 0; k < 10; k++) {
          assert.ok(Math.abs(theirs.probabilities[i][k] - probs[i * 10 + k]) < 1e-5, `${arch} [${i}, ${k}]`);
        }
      }
      // and the network learnt something in its one epoch, so agreeing is not agreeing on noise
      assert.ok(ours.filter((d, i) => d === test.labels[i]).length > test.n / 2, `${arch}: under half right`);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  }
});
