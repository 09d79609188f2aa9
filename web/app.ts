/**
 * The draw-a-digit page: the pad, the live prediction, and "train here".
 *
 * Every change of the pad runs, in this order and all in the browser:
 * `rgbaToGray` and `mnistPreprocess` from `lib/image/preprocess.ts` (the same
 * preprocessing as `deno task predict`), scaling by the model's 1/255, and
 * `Network.probabilities` from `lib/nn/network.ts`. The model comes from the
 * server's model file (parsed by `lib/io/model_file.ts`) or from the training
 * worker (`worker.ts`).
 *
 * @module
 */

/// <reference lib="dom" />

import { INPUT_SCALE, PIXELS } from "../lib/data/dataset.ts";
import { modelFromBytes, requireDigitNetwork } from "../lib/io/model_file.ts";
import type { Classifier } from "../lib/nn/classifier.ts";
import { mnistPreprocess, rgbaToGray } from "../lib/image/preprocess.ts";
import { argmax } from "../lib/nn/tensor.ts";
import { type CurvePoint, drawDigit, ProbabilityBars, TrainingChart } from "./charts.ts";
import { Pad } from "./pad.ts";
import { epochsFromQuery, SPEC_TRAINING, type WorkerMessage } from "./protocol.ts";

function element<T extends HTMLElement | SVGSVGElement>(id: string): T {
  const found = document.getElementById(id);
  if (found === null) throw new Error(`the page has no #${id}`);
  return found as T;
}

const prediction = element<HTMLOutputElement>("prediction");
const seen = element<HTMLCanvasElement>("seen");
const status = element<HTMLElement>("status");
const trainButton = element<HTMLButtonElement>("train");
const download = element<HTMLAnchorElement>("download");
const progress = element<HTMLElement>("train-progress");
const logBody = element<HTMLTableSectionElement>("train-log-body");
const bars = new ProbabilityBars(element("probabilities"));
const chart = new TrainingChart(element<SVGSVGElement>("train-chart"));

let net: Classifier | null = null;
let frame = 0;

/** Shows a message about the model; `kind` styles it. */
function say(text: string, kind: "info" | "error" | "ok" = "info"): void {
  status.textContent = text;
  status.dataset.kind = kind;
}

/** Preprocesses the pad and runs the network: the whole pipeline, once. */
function update(): void {
  cancelAnimationFrame(frame);
  frame = 0;
  const { data, width, height } = pad.pixels();
  const image = pad.empty ? null : mnistPreprocess(rgbaToGray(data, width, height));
  drawDigit(seen, image);
  if (image === null || net === null) {
    prediction.textContent = "";
    bars.show(null);
    return;
  }
  const x = new Float32Array(PIXELS);
  for (let i = 0; i < PIXELS; i++) x[i] = image[i] * INPUT_SCALE;
  const probabilities = net.probabilities(x, 1);
  prediction.textContent = String(argmax(probabilities));
  bars.show(probabilities);
}

/** Runs {@linkcode update} at the next frame, at most once per frame while drawing. */
function scheduleUpdate(): void {
  if (frame === 0) frame = requestAnimationFrame(update);
}

const pad = new Pad(element<HTMLCanvasElement>("pad"), { onChange: scheduleUpdate, onStrokeEnd: update });

element<HTMLButtonElement>("clear").addEventListener("click", () => {
  pad.clear();
  update();
});

/** Takes a model into use, or says why it cannot. */
function useModel(bytes: Uint8Array, source: string): boolean {
  try {
    const model = modelFromBytes(bytes, source);
    requireDigitNetwork(model.net, source);
    net = model.net;
    const m = model.metadata;
    const trained = m.epochs === undefined ? "" : `, ${m.epochs} epochs, lr ${m.lr}, batch ${m.batch_size}`;
    const described = model.net.describe().replace(/\)$/, `${trained})`);
    say(`Model ${source}: ${described}.`, "ok");
    update();
    return true;
  } catch (error) {
    net = null;
    say(error instanceof Error ? error.message : String(error), "error");
    update();
    return false;
  }
}

async function loadModel(): Promise<void> {
  let response: Response;
  try {
    response = await fetch("model.safetensors");
  } catch {
    say("Cannot reach the server to load the model: is `deno task serve` still running?", "error");
    return;
  }
  if (response.status === 404) {
    say(
      `No trained model yet (${(await response.text()).trim()}). Make one with \`deno task train\` and reload ` +
        `this page, or press "Train here" to train one in your browser.`,
      "info",
    );
    return;
  }
  if (!response.ok) {
    say((await response.text()).trim() || `The model could not be loaded (HTTP ${response.status}).`, "error");
    return;
  }
  const source = decodeURIComponent(response.headers.get("x-model-path") ?? "model.safetensors");
  useModel(new Uint8Array(await response.arrayBuffer()), source);
}

function percent(x: number): string {
  return `${(100 * x).toFixed(1)}%`;
}

function train(): void {
  const epochs = epochsFromQuery(location.search);
  const worker = new Worker("worker.js", { type: "module" });
  const points: CurvePoint[] = [];
  trainButton.disabled = true;
  trainButton.textContent = "Training…";
  logBody.replaceChildren();
  chart.draw(points, epochs);
  element<HTMLElement>("training").hidden = false;
  element<HTMLElement>("training-numbers").hidden = false;
  progress.textContent = "Loading the training data…";
  const finish = () => {
    worker.terminate();
    trainButton.disabled = false;
    trainButton.textContent = "Train again";
  };
  worker.onmessage = (event: MessageEvent<WorkerMessage>) => {
    const message = event.data;
    if (message.type === "loading") return;
    if (message.type === "error") {
      progress.textContent = `Training failed: ${message.message}`;
      progress.dataset.kind = "error";
      finish();
    } else if (message.type === "epoch") {
      points.push(message);
      chart.draw(points, epochs);
      const row = document.createElement("tr");
      for (
        const cell of [
          String(message.epoch),
          message.loss.toFixed(4),
          percent(message.trainAccuracy),
          percent(message.testAccuracy),
        ]
      ) {
        const td = document.createElement("td");
        td.textContent = cell;
        row.append(td);
      }
      logBody.append(row);
      progress.dataset.kind = "info";
      progress.textContent = message.epoch === 0
        ? `Untrained: test accuracy ${percent(message.testAccuracy)}. Training ${epochs} epochs on ` +
          `${message.trainExamples} images…`
        : `Epoch ${message.epoch}/${epochs}: loss ${message.loss.toFixed(4)}, train ${
          percent(message.trainAccuracy)
        }, test ${percent(message.testAccuracy)}`;
    } else if (message.type === "done") {
      const last = points[points.length - 1];
      progress.textContent = `Done in ${message.trainSeconds.toFixed(1)} s of training: test accuracy ${
        percent(last.testAccuracy)
      } after ${epochs} epochs. The page now uses this model.`;
      progress.dataset.kind = "ok";
      progress.dataset.done = "true";
      if (useModel(message.model, "trained in this page")) {
        URL.revokeObjectURL(download.href);
        download.href = URL.createObjectURL(new Blob([message.model as Uint8Array<ArrayBuffer>]));
        download.hidden = false;
      }
      finish();
    }
  };
  worker.onerror = (event) => {
    progress.textContent = `Training failed: ${event.message}`;
    progress.dataset.kind = "error";
    finish();
  };
  delete progress.dataset.done;
  worker.postMessage({ ...SPEC_TRAINING, epochs });
}

trainButton.addEventListener("click", train);
const epochs = epochsFromQuery(location.search);
trainButton.title = `Trains 784-30-10 (ReLU) by SGD: batch ${SPEC_TRAINING.batchSize}, lr ${SPEC_TRAINING.lr}, ` +
  `${epochs} epochs, on the server's training images`;
update();
await loadModel();
