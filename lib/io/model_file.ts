/**
 * The model file: a trained network saved as safetensors.
 *
 * Tensors, all F32:
 *
 *   layers.{i}.weight  [out, in]   (PyTorch nn.Linear layout: y = x Wᵀ + b)
 *   layers.{i}.bias    [out]
 *
 * `__metadata__` (string values): `format` = "minimnist/1", `sizes`
 * ("784,30,10"), `activations` (one per hidden layer, comma-separated),
 * `input_scale` (the factor applied to 0–255 pixels) and the training
 * configuration. No time stamps: the same training gives the same bytes.
 *
 * A layer-list network ({@linkcode Sequential}, e.g. a CNN) is told apart by
 * its `arch` metadata. Its tensors are named after the module index ℓ in
 * PyTorch's `nn.Sequential` (activations, pools and the flatten count too):
 *
 *   layers.{ℓ}.weight  [out, in, kh, kw]   for a convolution (nn.Conv2d layout)
 *   layers.{ℓ}.weight  [out, in]           for a dense layer (nn.Linear layout)
 *   layers.{ℓ}.bias    [out]
 *
 * and its metadata holds `arch` (the `--arch` text), `activation`,
 * `input_shape` ("1,28,28"), `classes` and `modules`: the JSON list of the
 * `nn.Sequential` modules with their arguments, e.g.
 * `[{"type":"Conv2d","in_channels":1,"out_channels":8,"kernel_size":5,"padding":0},{"type":"ReLU"},…]`,
 * from which PyTorch rebuilds the network (`tests/io/torch_reader.py`).
 *
 * Files are written atomically (to a temporary file beside the target, then
 * renamed), so a crash never leaves half a model behind, and read with full
 * validation, so a bad file is reported, never half-loaded.
 *
 * @module
 */

import { writeFileAtomic } from "./atomic_write.ts";
import { isActivationName } from "../nn/activations.ts";
import { CLASSES, INPUT_SCALE, PIXELS } from "../data/dataset.ts";
import { InputError, osReason, quote } from "../errors.ts";
import { Network } from "../nn/network.ts";
import type { Classifier } from "../nn/classifier.ts";
import { Sequential } from "../nn/sequential.ts";
import { parameterCount, parseArch } from "../nn/arch.ts";
import { Conv2d } from "../nn/conv2d.ts";
import { Linear } from "../nn/layer.ts";
import { decodeSafetensors, encodeSafetensors, type Tensor } from "./safetensors.ts";

/** The value of the `format` metadata field. */
export const MODEL_FORMAT = "minimnist/1";

/** A network with the metadata it was saved with. */
export interface Model {
  /** The network rebuilt from the file's tensors: a {@linkcode Network} or a {@linkcode Sequential}. */
  net: Classifier;
  /** The file's `__metadata__`: `format`, `input_scale`, the architecture and the training configuration. */
  metadata: Record<string, string>;
}

/**
 * The safetensors bytes of a network; `extra` metadata (e.g. the training
 * configuration) is added after the required fields.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { modelFromBytes, modelToBytes } from "./model_file.ts";
 * import { Network } from "../nn/network.ts";
 * import { Random } from "../nn/random.ts";
 * const net = new Network({ sizes: [784, 30, 10], activations: "relu" }).init(new Random(0));
 * const back = modelFromBytes(modelToBytes(net, { seed: "0" }), "memory");
 * assert.ok(back.net instanceof Network);
 * assert.deepEqual(back.net.sizes, [784, 30, 10]);
 * assert.equal(back.metadata.seed, "0");
 * ```
 */
export function modelToBytes(net: Classifier, extra: Record<string, string> = {}): Uint8Array {
  if (net instanceof Sequential) return sequentialToBytes(net, extra);
  const tensors = new Map<string, Tensor>();
  net.layers.forEach((layer, l) => {
    const { inputs: I, outputs: O } = layer;
    const weight = new Float32Array(I * O);
    for (let i = 0; i < I; i++) {
      for (let o = 0; o < O; o++) weight[o * I + i] = layer.weight[i * O + o]; // [I, O] → [O, I]
    }
    tensors.set(`layers.${l}.weight`, { shape: [O, I], data: weight });
    tensors.set(`layers.${l}.bias`, { shape: [O], data: Float32Array.from(layer.bias) });
  });
  const metadata = {
    format: MODEL_FORMAT,
    sizes: net.sizes.join(","),
    activations: net.activationNames.join(","),
    input_scale: String(INPUT_SCALE),
    ...extra,
  };
  return encodeSafetensors(tensors, metadata);
}

/**
 * A network from safetensors bytes, validated: the format tag, the layer
 * sizes, the activations and every tensor's shape. Problems throw an
 * {@linkcode InputError} naming `source`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { modelFromBytes, modelToBytes } from "./model_file.ts";
 * import { encodeSafetensors } from "./safetensors.ts";
 * import { Network } from "../nn/network.ts";
 * import type { Classifier } from "../nn/classifier.ts";
 * import { Random } from "../nn/random.ts";
 * const net = new Network({ sizes: [4, 3, 2], activations: "tanh" }).init(new Random(0));
 * const back = modelFromBytes(modelToBytes(net), "memory");
 * const values = (n: Classifier) => n.parameters().map((p) => p.value);
 * assert.deepEqual(values(back.net), values(net)); // every weight and bias, bit for bit (float32 in, float32 out)
 * // valid safetensors, but not a model: no "format" tag
 * const empty = encodeSafetensors(new Map(), {});
 * assert.throws(() => modelFromBytes(empty, "empty.safetensors"), /empty.safetensors: not a MiniMNIST model: .*"format"/);
 * ```
 */
export function modelFromBytes(bytes: Uint8Array, source: string): Model {
  const { tensors, metadata } = decodeSafetensors(bytes, source);
  const fail = (what: string): never => {
    throw new InputError(`${source}: not a MiniMNIST model: ${what}`);
  };
  if (metadata.format === undefined) {
    fail(`its metadata has no "format" field (a MiniMNIST model's is "${MODEL_FORMAT}")`);
  }
  if (metadata.format !== MODEL_FORMAT) {
    fail(`metadata "format" is ${quote(metadata.format)}, expected "${MODEL_FORMAT}"`);
  }
  checkInputScale(metadata, fail);
  if (metadata.arch !== undefined) return { net: sequentialFromTensors(tensors, metadata, fail), metadata };
  const layerCount = [...tensors.keys()].filter((k) => /^layers\.\d+\.weight$/.test(k)).length;
  if (layerCount === 0) fail("it holds no layers.0.weight tensor");
  const sizes: number[] = [];
  for (let l = 0; l < layerCount; l++) {
    const w = tensors.get(`layers.${l}.weight`) ?? fail(`tensor layers.${l}.weight is missing`);
    const b = tensors.get(`layers.${l}.bias`) ?? fail(`tensor layers.${l}.bias is missing`);
    if (w.shape.length !== 2 || w.shape[0] < 1 || w.shape[1] < 1) {
      fail(`layers.${l}.weight has shape ${quote(w.shape)}, expected [out, in]`);
    }
    const [O, I] = w.shape;
    if (l === 0) sizes.push(I);
    else if (I !== sizes[l]) fail(`layers.${l}.weight takes ${I} inputs but layer ${l - 1} gives ${sizes[l]}`);
    if (b.shape.length !== 1 || b.shape[0] !== O) fail(`layers.${l}.bias has shape ${quote(b.shape)}, expected [${O}]`);
    sizes.push(O);
  }
  const expectedNames = new Set(sizes.slice(1).flatMap((_, l) => [`layers.${l}.weight`, `layers.${l}.bias`]));
  for (const name of tensors.keys()) if (!expectedNames.has(name)) fail(`unexpected tensor ${quote(name)}`);
  if (metadata.sizes !== undefined && metadata.sizes !== sizes.join(",")) {
    fail(`metadata "sizes" says ${quote(metadata.sizes)} but the tensors make ${sizes.join(",")}`);
  }
  const activations = (metadata.activations ?? "").split(",").filter((s) => s !== "");
  if (activations.length !== sizes.length - 2) {
    fail(`metadata "activations" lists ${activations.length} activation(s) for ${sizes.length - 2} hidden layer(s)`);
  }
  for (const a of activations) if (!isActivationName(a)) fail(`unknown activation ${quote(a)}`);
  const net = new Network({ sizes, activations: activations as Network["activationNames"] });
  net.layers.forEach((layer, l) => {
    const { inputs: I, outputs: O } = layer;
    const w = tensors.get(`layers.${l}.weight`)!.data;
    for (let o = 0; o < O; o++) {
      for (let i = 0; i < I; i++) layer.weight[i * O + o] = w[o * I + i]; // [O, I] → [I, O]
    }
    layer.bias.set(tensors.get(`layers.${l}.bias`)!.data);
  });
  for (const p of net.parameters()) {
    if (!p.value.every(Number.isFinite)) fail(`tensor ${p.name} holds NaN or infinite values`);
  }
  return { net, metadata };
}

function checkInputScale(metadata: Record<string, string>, fail: (what: string) => never): void {
  const scale = Number(metadata.input_scale);
  if (!(scale > 0 && Number.isFinite(scale))) fail(`metadata "input_scale" is ${quote(metadata.input_scale)}`);
  if (Math.abs(scale - INPUT_SCALE) > 1e-12) {
    fail(`metadata "input_scale" is ${scale}; this version reads models trained on pixels scaled by 1/255`);
  }
}

/** The shape a layer's weight has in the file: [O, C, K, K] for a convolution, [O, I] for a dense layer. */
function fileWeightShape(layer: Conv2d | Linear): number[] {
  return layer instanceof Conv2d ? [layer.O, layer.C, layer.K, layer.K] : [layer.outputs, layer.inputs];
}

/** The tensors and metadata of a layer-list network (see the module notes). */
function sequentialToBytes(net: Sequential, extra: Record<string, string>): Uint8Array {
  const tensors = new Map<string, Tensor>();
  net.layers.forEach((layer, l) => {
    if (!(layer instanceof Conv2d || layer instanceof Linear)) return;
    const { weight, bias } = layer.tensors;
    let data: Float32Array;
    if (layer instanceof Conv2d) {
      data = Float32Array.from(weight); // already [O, C, K, K]
    } else {
      const { inputs: I, outputs: O } = layer;
      data = new Float32Array(I * O);
      for (let i = 0; i < I; i++) for (let o = 0; o < O; o++) data[o * I + i] = weight[i * O + o]; // [I, O] → [O, I]
    }
    tensors.set(`layers.${l}.weight`, { shape: fileWeightShape(layer), data });
    tensors.set(`layers.${l}.bias`, { shape: [bias.length], data: Float32Array.from(bias) });
  });
  const metadata = {
    format: MODEL_FORMAT,
    arch: net.archText,
    activation: net.activation,
    input_shape: net.inputShape.join(","),
    classes: String(net.outputSize),
    modules: JSON.stringify(net.modules()),
    input_scale: String(INPUT_SCALE),
    ...extra,
  };
  return encodeSafetensors(tensors, metadata);
}

/** Parameters a model file may describe beyond those it holds (8 MiB with their gradients): see below. */
const SMALL_NETWORK = 2 ** 20;

/** A layer-list network rebuilt from its metadata and filled from its tensors, every shape checked. */
function sequentialFromTensors(
  tensors: Map<string, Tensor>,
  metadata: Record<string, string>,
  fail: (what: string) => never,
): Sequential {
  const activationName = metadata.activation ?? "";
  if (!isActivationName(activationName)) fail(`metadata "activation" is ${quote(metadata.activation)}`);
  const inputShape = (metadata.input_shape ?? "").split(",").map(Number);
  if (inputShape.length < 1 || !inputShape.every((n) => Number.isSafeInteger(n) && n > 0)) {
    fail(`metadata "input_shape" is ${quote(metadata.input_shape)}, expected e.g. "1,28,28"`);
  }
  const classes = Number(metadata.classes);
  if (!Number.isSafeInteger(classes) || classes < 1) fail(`metadata "classes" is ${quote(metadata.classes)}`);
  const built = <T>(make: () => T): T => {
    try {
      return make();
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      return fail(`metadata "arch": ${error.message.replace(/^--arch: /, "")}`);
    }
  };
  const arch = built(() => parseArch(metadata.arch));
  // every parameter is a float32 in the file: a network that needs more than the file holds is refused before its
  // buffers are allocated (a 1 kB file may describe 4096 × 4096 inputs); a small one is built, so that the checks
  // below name the tensor that is missing or misshapen
  const needed = parameterCount(inputShape, arch, classes);
  const held = [...tensors.values()].reduce((sum, t) => sum + t.data.length, 0);
  if (needed > Math.max(held, SMALL_NETWORK)) {
    fail(
      `metadata "arch" ${quote(metadata.arch)} on input_shape ${quote(metadata.input_shape)} needs ` +
        `${needed.toLocaleString("en-US")} parameters but the file holds ${held.toLocaleString("en-US")} values`,
    );
  }
  const net = built(() =>
    new Sequential({ inputShape, arch, activation: activationName as Sequential["activation"], classes })
  );
  if (metadata.modules !== undefined && metadata.modules !== JSON.stringify(net.modules())) {
    fail(`metadata "modules" does not match the network that "arch" ${quote(metadata.arch)} describes`);
  }
  const expected = new Set(net.parameters().map((p) => p.name));
  for (const name of tensors.keys()) if (!expected.has(name)) fail(`unexpected tensor ${quote(name)}`);
  net.layers.forEach((layer, l) => {
    if (!(layer instanceof Conv2d || layer instanceof Linear)) return;
    const w = tensors.get(`layers.${l}.weight`) ?? fail(`tensor layers.${l}.weight is missing`);
    const b = tensors.get(`layers.${l}.bias`) ?? fail(`tensor layers.${l}.bias is missing`);
    const shape = fileWeightShape(layer);
    if (w.shape.join(",") !== shape.join(",")) {
      fail(`layers.${l}.weight has shape ${quote(w.shape)}, expected [${shape}]`);
    }
    if (b.shape.length !== 1 || b.shape[0] !== shape[0]) {
      fail(`layers.${l}.bias has shape ${quote(b.shape)}, expected [${shape[0]}]`);
    }
    const { weight, bias } = layer.tensors;
    if (layer instanceof Conv2d) {
      weight.set(w.data);
    } else {
      const { inputs: I, outputs: O } = layer;
      for (let o = 0; o < O; o++) for (let i = 0; i < I; i++) weight[i * O + o] = w.data[o * I + i]; // [O, I] → [I, O]
    }
    bias.set(b.data);
  });
  for (const p of net.parameters()) {
    if (!p.value.every(Number.isFinite)) fail(`tensor ${p.name} holds NaN or infinite values`);
  }
  return net;
}

/**
 * Refuses, with an {@linkcode InputError} naming `source`, a network that does
 * not read the 784 pixels of a 28 × 28 image into 10 digit classes: a valid
 * model file, but not one that eval, predict or the page can use.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { requireDigitNetwork } from "./model_file.ts";
 * import { Network } from "../nn/network.ts";
 * requireDigitNetwork(new Network({ sizes: [784, 30, 10], activations: "relu" }), "ok.safetensors");
 * assert.throws(() => requireDigitNetwork(new Network({ sizes: [64, 8, 10], activations: "relu" }), "m"), /takes 64 inputs/);
 * ```
 */
export function requireDigitNetwork(net: Classifier, source: string): void {
  if (net.inputSize !== PIXELS || net.outputSize !== CLASSES) {
    throw new InputError(
      `${source}: the network takes ${net.inputSize} inputs and gives ${net.outputSize} outputs; ` +
        `a digit model takes the ${PIXELS} pixels of a 28×28 image and gives ${CLASSES} classes`,
    );
  }
}

/**
 * Writes the model to `path` atomically: the bytes go to a temporary file in
 * the same folder, which is then renamed over `path`. Creates the folder.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { modelToBytes, saveModel } from "./model_file.ts";
 * import { Network } from "../nn/network.ts";
 * import { Random } from "../nn/random.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   const net = new Network({ sizes: [4, 3, 2], activations: "relu" }).init(new Random(0));
 *   await saveModel(`${dir}/new/model.safetensors`, net, { seed: "0" }); // creates new/
 *   assert.deepEqual(await Deno.readFile(`${dir}/new/model.safetensors`), modelToBytes(net, { seed: "0" }));
 *   const left = [...Deno.readDirSync(`${dir}/new`)].map((e) => e.name);
 *   assert.deepEqual(left, ["model.safetensors"]); // the temporary file was renamed, none is left
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export async function saveModel(path: string, net: Classifier, extra: Record<string, string> = {}): Promise<void> {
  const bytes = modelToBytes(net, extra);
  const slash = path.lastIndexOf("/");
  if (slash > 0) {
    const folder = path.slice(0, slash);
    await Deno.mkdir(folder, { recursive: true }).catch((error) => {
      if (error instanceof Deno.errors.NotCapable) throw error; // the task's permissions: a bug, not bad input
      throw new InputError(`${path}: cannot make the folder ${folder}: ${osReason(error)}`);
    });
  }
  await writeFileAtomic(path, bytes);
}

/**
 * Reads and validates the model at `path`; a missing or bad file throws an {@linkcode InputError} naming it `name`
 * (the path as the user typed it, by default `path`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadModel, saveModel } from "./model_file.ts";
 * import { Network } from "../nn/network.ts";
 * import { Random } from "../nn/random.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   const net = new Network({ sizes: [4, 3, 2], activations: "relu" }).init(new Random(0));
 *   await saveModel(`${dir}/model.safetensors`, net, { seed: "0" });
 *   const { net: back, metadata } = await loadModel(`${dir}/model.safetensors`);
 *   assert.deepEqual(back.parameters().map((p) => p.value), net.parameters().map((p) => p.value));
 *   assert.equal(metadata.seed, "0");
 *   await assert.rejects(loadModel(`${dir}/none.safetensors`), /none.safetensors: model file not found/);
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export async function loadModel(path: string, name = path): Promise<Model> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) throw new InputError(`${name}: model file not found`);
    if (error instanceof Deno.errors.IsADirectory) throw new InputError(`${name}: is a folder, not a model file`);
    throw new InputError(`${name}: cannot read the model file (${(error as Error).message})`);
  }
  return modelFromBytes(bytes, name);
}
