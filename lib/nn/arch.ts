/**
 * The `--arch` grammar: a network other than an MLP, written as a
 * comma-separated list of layers from the input up:
 *
 * | item               | layer                                                            |
 * |--------------------|------------------------------------------------------------------|
 * | `conv{K}x{K}x{C}`  | C filters of K × K, stride 1, "valid" padding (output shrinks by K − 1), then the activation |
 * | `conv{K}x{K}x{C}:same` | the same with "same" padding (odd K; output keeps its size) |
 * | `pool2`            | 2 × 2 max pooling, stride 2                                      |
 * | `fc{N}`            | a dense layer of N units, then the activation                     |
 *
 * Convolutions and pools come first (they see the 1 × 28 × 28 image), dense
 * layers last; the flatten between them and the 10-way output layer are
 * added, as `--hidden` leaves out the 784 and the 10. For example
 * `conv5x5x32,pool2,conv5x5x64,pool2,fc256` is
 *
 *   Conv2d(1→32, 5×5) ReLU MaxPool · Conv2d(32→64, 5×5) ReLU MaxPool · Flatten · Linear(1024→256) ReLU · Linear(256→10)
 *
 * @module
 */

import { InputError, quote } from "../errors.ts";
import type { Padding } from "./conv2d.ts";

/** One item of an architecture. */
export type ArchItem =
  | { kind: "conv"; kernel: number; channels: number; padding: Padding }
  | { kind: "pool" }
  | { kind: "fc"; units: number };

const CONV = /^conv(\d+)x(\d+)x(\d+)(?::(same|valid))?$/;
const FC = /^fc(\d+)$/;

/**
 * Reads an architecture string; a malformed item throws an
 * {@linkcode InputError} naming it and its position.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatArch, parseArch } from "./arch.ts";
 * const arch = parseArch("conv5x5x32,pool2,fc256");
 * assert.deepEqual(arch[0], { kind: "conv", kernel: 5, channels: 32, padding: "valid" });
 * assert.equal(formatArch(arch), "conv5x5x32,pool2,fc256");
 * assert.throws(() => parseArch("conv5x5x32,pool3"), /"pool3" \(item 2 of/);
 * ```
 */
export function parseArch(text: string): ArchItem[] {
  const parts = text.split(",").map((s) => s.trim());
  let seenFc = false;
  return parts.map((part, i) => {
    const where = `--arch: ${quote(part)} (item ${i + 1} of ${quote(text)})`;
    const bad = (why: string): never => {
      throw new InputError(`${where} ${why}`);
    };
    const positive = (digits: string, what: string): number => {
      const n = Number(digits);
      if (!Number.isSafeInteger(n) || n < 1 || n > 4096) bad(`has ${what} ${digits}; it must be between 1 and 4096`);
      return n;
    };
    const conv = CONV.exec(part);
    if (conv !== null) {
      if (seenFc) bad("comes after a dense layer; convolutions and pools go before the fc layers");
      if (conv[1] !== conv[2]) bad(`is a ${conv[1]}×${conv[2]} kernel; kernels are square (convKxKxC)`);
      const kernel = positive(conv[1], "kernel size");
      const padding = (conv[4] ?? "valid") as Padding;
      if (padding === "same" && kernel % 2 === 0) bad(`asks for "same" padding, which needs an odd kernel size`);
      return { kind: "conv", kernel, channels: positive(conv[3], "channel count"), padding };
    }
    if (part === "pool2") {
      if (seenFc) bad("comes after a dense layer; convolutions and pools go before the fc layers");
      return { kind: "pool" };
    }
    const fc = FC.exec(part);
    if (fc !== null) {
      seenFc = true;
      return { kind: "fc", units: positive(fc[1], "unit count") };
    }
    return bad("is not a layer; write convKxKxC, convKxKxC:same, pool2 or fcN, separated by commas");
  });
}

/**
 * The canonical text of an architecture (what {@linkcode parseArch} reads back).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatArch, parseArch } from "./arch.ts";
 * assert.equal(formatArch(parseArch("conv5x5x16, pool2, fc128")), "conv5x5x16,pool2,fc128");
 * ```
 */
export function formatArch(arch: readonly ArchItem[]): string {
  return arch.map((item) => {
    switch (item.kind) {
      case "conv":
        return `conv${item.kernel}x${item.kernel}x${item.channels}${item.padding === "same" ? ":same" : ""}`;
      case "pool":
        return "pool2";
      case "fc":
        return `fc${item.units}`;
    }
  }).join(",");
}

/**
 * The number of parameters (weights and biases) of the layer-list network
 * `arch` on `inputShape` with `classes` outputs, from the shapes alone,
 * without allocating anything: a convolution K×K×O on [C, H, W] has
 * O·C·K² + O and gives [O, H + 2P − K + 1, W + 2P − K + 1] (P = (K − 1)/2 for
 * "same", else 0), a pool gives [C, ⌊H/2⌋, ⌊W/2⌋], a dense layer of U units on
 * I inputs has I·U + U. A float, exact below 2⁵³. Shapes the layers refuse are
 * counted as they come (the constructor then names the problem).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parameterCount, parseArch } from "./arch.ts";
 * // conv 5×5×16: 16·1·25 + 16; pool → [16, 12, 12]; fc 10: 2304·10 + 10
 * assert.equal(parameterCount([1, 28, 28], parseArch("conv5x5x16,pool2"), 10), 416 + 23050);
 * // an MLP 784-30-10 is the list fc30 on 784 inputs
 * assert.equal(parameterCount([784], parseArch("fc30"), 10), 784 * 30 + 30 + 30 * 10 + 10);
 * ```
 */
export function parameterCount(inputShape: readonly number[], arch: readonly ArchItem[], classes: number): number {
  let shape = [...inputShape];
  let count = 0;
  for (const item of [...arch, { kind: "fc", units: classes } as const]) {
    if (item.kind === "fc") {
      const inputs = shape.reduce((a, b) => a * b, 1);
      count += inputs * item.units + item.units;
      shape = [item.units];
    } else if (shape.length === 3) {
      const [C, H, W] = shape;
      if (item.kind === "pool") shape = [C, Math.floor(H / 2), Math.floor(W / 2)];
      else {
        const grow = item.padding === "same" ? 0 : 1 - item.kernel;
        count += item.channels * C * item.kernel ** 2 + item.channels;
        shape = [item.channels, Math.max(H + grow, 1), Math.max(W + grow, 1)];
      }
    }
  }
  return count;
}
