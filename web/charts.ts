/**
 * What the page draws besides the pad: the ten probabilities as bars, the
 * 28 × 28 image the network sees, and the training curves — plain DOM and
 * SVG, no chart library, so the page needs nothing from the network.
 *
 * @module
 */

/// <reference lib="dom" />

const SVG = "http://www.w3.org/2000/svg";

/**
 * Ten vertical bars, one per digit, with the percentage above each; the most
 * probable digit's bar is marked with the class `top`.
 *
 * @example
 * ```ts ignore
 * import { ProbabilityBars } from "./charts.ts";
 * const bars = new ProbabilityBars(document.getElementById("probabilities")!);
 * bars.show(null); // all empty
 * ```
 */
export class ProbabilityBars {
  readonly #root: HTMLElement;
  readonly #fills: HTMLElement[] = [];
  readonly #values: HTMLElement[] = [];
  readonly #columns: HTMLElement[] = [];

  constructor(root: HTMLElement) {
    this.#root = root;
    root.replaceChildren();
    for (let k = 0; k < 10; k++) {
      const column = document.createElement("div");
      column.className = "bar";
      const value = document.createElement("span");
      value.className = "value";
      const track = document.createElement("div");
      track.className = "track";
      const fill = document.createElement("div");
      fill.className = "fill";
      track.append(fill);
      const label = document.createElement("span");
      label.className = "digit";
      label.textContent = String(k);
      column.append(value, track, label);
      root.append(column);
      this.#fills.push(fill);
      this.#values.push(value);
      this.#columns.push(column);
    }
    this.show(null);
  }

  /** Shows ten probabilities, or empty bars for `null`. */
  show(probabilities: ArrayLike<number> | null): void {
    let top = -1;
    if (probabilities !== null) {
      top = 0;
      for (let k = 1; k < 10; k++) if (probabilities[k] > probabilities[top]) top = k;
    }
    for (let k = 0; k < 10; k++) {
      const p = probabilities === null ? 0 : probabilities[k];
      this.#fills[k].style.height = `${(100 * p).toFixed(1)}%`;
      this.#values[k].textContent = probabilities === null ? "" : `${Math.round(100 * p)}%`;
      this.#columns[k].classList.toggle("top", k === top);
    }
    this.#root.setAttribute(
      "aria-label",
      probabilities === null
        ? "Probabilities: nothing drawn yet"
        : `Probabilities: ${
          [...Array(10).keys()].sort((a, b) => probabilities[b] - probabilities[a]).slice(0, 3)
            .map((k) => `${k} ${Math.round(100 * probabilities[k])}%`).join(", ")
        }`,
    );
  }
}

/**
 * Draws a 28 × 28 image of values 0–255 (white ink on black) onto a 28 × 28
 * canvas; `null` paints it black.
 *
 * @example
 * ```ts ignore
 * import { drawDigit } from "./charts.ts";
 * drawDigit(document.querySelector("canvas")!, new Float32Array(784));
 * ```
 */
export function drawDigit(canvas: HTMLCanvasElement, image: ArrayLike<number> | null): void {
  const ctx = canvas.getContext("2d")!;
  const data = ctx.createImageData(canvas.width, canvas.height);
  for (let i = 0; i < canvas.width * canvas.height; i++) {
    const v = image === null ? 0 : Math.round(Math.min(255, Math.max(0, image[i])));
    data.data[4 * i] = data.data[4 * i + 1] = data.data[4 * i + 2] = v;
    data.data[4 * i + 3] = 255;
  }
  ctx.putImageData(data, 0, 0);
}

/** One point of the training curves. */
export interface CurvePoint {
  epoch: number;
  loss: number;
  trainAccuracy: number;
  testAccuracy: number;
}

/**
 * Loss (left axis) and train and test accuracy (right axis, 0–100%) per
 * epoch, as an SVG line chart that grows as epochs arrive.
 *
 * @example
 * ```ts ignore
 * import { TrainingChart } from "./charts.ts";
 * const chart = new TrainingChart(document.querySelector("svg")!);
 * chart.draw([{ epoch: 0, loss: 2.3, trainAccuracy: 0.1, testAccuracy: 0.1 }], 30);
 * ```
 */
export class TrainingChart {
  readonly #svg: SVGSVGElement;
  static readonly WIDTH = 360;
  static readonly HEIGHT = 200;
  static readonly MARGIN = { left: 36, right: 40, top: 12, bottom: 28 };

  constructor(svg: SVGSVGElement) {
    this.#svg = svg;
    svg.setAttribute("viewBox", `0 0 ${TrainingChart.WIDTH} ${TrainingChart.HEIGHT}`);
  }

  /** Redraws the chart for the points so far, with the x axis running to `epochs`. */
  draw(points: readonly CurvePoint[], epochs: number): void {
    const { WIDTH, HEIGHT, MARGIN } = TrainingChart;
    const x0 = MARGIN.left, x1 = WIDTH - MARGIN.right, y0 = HEIGHT - MARGIN.bottom, y1 = MARGIN.top;
    const maxLoss = Math.max(0.5, ...points.map((p) => p.loss).filter(Number.isFinite));
    const lossTop = Math.ceil(maxLoss / 0.4) * 0.4; // four grid steps of a whole tenth
    const x = (epoch: number) => x0 + (x1 - x0) * epoch / Math.max(1, epochs);
    const yLoss = (loss: number) => y0 - (y0 - y1) * Math.min(loss, lossTop) / lossTop;
    const yAcc = (acc: number) => y0 - (y0 - y1) * acc;
    const parts: SVGElement[] = [];
    const el = (name: string, attrs: Record<string, string | number>, text?: string) => {
      const node = document.createElementNS(SVG, name);
      for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
      if (text !== undefined) node.textContent = text;
      parts.push(node);
      return node;
    };
    el("rect", { x: x0, y: y1, width: x1 - x0, height: y0 - y1, class: "frame" });
    for (let i = 0; i <= 4; i++) {
      const y = y0 - (y0 - y1) * i / 4;
      el("line", { x1: x0, x2: x1, y1: y, y2: y, class: "grid" });
      el("text", { x: x0 - 4, y: y + 4, class: "axis loss", "text-anchor": "end" }, (lossTop * i / 4).toFixed(1));
      el("text", { x: x1 + 4, y: y + 4, class: "axis acc" }, `${25 * i}%`);
    }
    el("text", { x: x0, y: HEIGHT - 8, class: "axis" }, "0");
    el("text", { x: x1, y: HEIGHT - 8, class: "axis", "text-anchor": "end" }, `epoch ${epochs}`);
    const line = (className: string, y: (p: CurvePoint) => number) => {
      el("polyline", { class: `curve ${className}`, points: points.map((p) => `${x(p.epoch)},${y(p)}`).join(" ") });
    };
    line("loss", (p) => yLoss(p.loss));
    line("train", (p) => yAcc(p.trainAccuracy));
    line("test", (p) => yAcc(p.testAccuracy));
    this.#svg.replaceChildren(...parts);
  }
}
