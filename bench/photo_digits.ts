/**
 * How well `predict`'s preprocessing reads photo-like pictures of digits: the ten digits drawn with a pen-stroke
 * font on a 600 × 800 page, placed off-centre and tilted by up to 12°, under each of the conditions a phone photo
 * or a scan brings (grain, uneven light, dust, dim paper, a thin pen, a scanner's dark frame), then read by
 * `mnistPreprocess` and each model given. Prints, per condition, how many of the ten each model reads right and
 * how many pictures were taken for blank or for more than one digit. Then numbers of two to four digits written
 * side by side (`mnistDigits`) under some of the conditions: how many numbers each model reads whole, and how many
 * were cut into the wrong number of digits. Last, numbers made of MNIST's own handwritten test digits (data/), at three
 * spacings. The pictures are made here, in memory, from a seeded generator.
 *
 *     deno run -A bench/photo_digits.ts models/mlp.safetensors [more models…]
 *
 * @module
 */

import { type GrayImage, mnistDigits, mnistPreprocess } from "../lib/image/preprocess.ts";
import { loadModel } from "../lib/io/model_file.ts";
import { Random } from "../lib/nn/random.ts";
import { INPUT_SCALE, PIXELS } from "../lib/data/dataset.ts";
import { loadSplit } from "../lib/data/load.ts";
import { inkBoundingBox, resize } from "../lib/image/preprocess.ts";

type Point = [number, number];

/** Points along an elliptic arc of the unit box, angles in degrees (y down). */
function arc(cx: number, cy: number, rx: number, ry: number, a0: number, a1: number, n = 40): Point[] {
  return Array.from({ length: n }, (_, i) => {
    const a = ((a0 + (a1 - a0) * i / (n - 1)) * Math.PI) / 180;
    return [cx + rx * Math.cos(a), cy + ry * Math.sin(a)];
  });
}

/** Each digit as polylines in the unit box. */
const STROKES: Point[][][] = [
  [arc(0.5, 0.5, 0.3, 0.45, 0, 360)],
  [[[0.35, 0.2], [0.55, 0.05], [0.55, 0.95]]],
  [[...arc(0.5, 0.3, 0.3, 0.25, 200, 360), [0.2, 0.95], [0.85, 0.95]]],
  [arc(0.5, 0.27, 0.28, 0.22, 200, 450), arc(0.5, 0.72, 0.3, 0.23, 270, 520)],
  [[[0.6, 0.95], [0.6, 0.05], [0.15, 0.65], [0.85, 0.65]]],
  [[[0.8, 0.05], [0.3, 0.05], [0.25, 0.45]], arc(0.5, 0.67, 0.3, 0.28, 220, 510)],
  [[[0.7, 0.05], [0.35, 0.4]], arc(0.5, 0.7, 0.28, 0.25, 0, 360)],
  [[[0.15, 0.08], [0.85, 0.08], [0.4, 0.95]]],
  [arc(0.5, 0.27, 0.24, 0.22, 0, 360), arc(0.5, 0.72, 0.3, 0.24, 0, 360)],
  [arc(0.5, 0.3, 0.28, 0.25, 0, 360), [[0.78, 0.3], [0.7, 0.95]]],
];

/** Ink coverage 0…1 [H, W] of `digit` drawn in the box (x0, y0, w, h) with a pen `pen` pixels wide, tilted. */
function render(digit: number, W: number, H: number, box: number[], pen: number, degrees: number): Float32Array {
  const ink = new Float32Array(W * H);
  const [x0, y0, bw, bh] = box, cx = x0 + bw / 2, cy = y0 + bh / 2;
  const c = Math.cos((degrees * Math.PI) / 180), s = Math.sin((degrees * Math.PI) / 180);
  for (const line of STROKES[digit]) {
    const pts = line.map(([u, v]): Point => {
      const px = x0 + u * bw - cx, py = y0 + v * bh - cy;
      return [cx + c * px - s * py, cy + s * px + c * py];
    });
    for (let k = 1; k < pts.length; k++) {
      const [ax, ay] = pts[k - 1], [bx, by] = pts[k], dx = bx - ax, dy = by - ay, L2 = dx * dx + dy * dy || 1e-9;
      const xa = Math.max(0, Math.floor(Math.min(ax, bx) - pen - 2)),
        xb = Math.min(W, Math.ceil(Math.max(ax, bx) + pen + 2));
      const ya = Math.max(0, Math.floor(Math.min(ay, by) - pen - 2)),
        yb = Math.min(H, Math.ceil(Math.max(ay, by) + pen + 2));
      for (let y = ya; y < yb; y++) {
        for (let x = xa; x < xb; x++) {
          const t = Math.min(1, Math.max(0, ((x - ax) * dx + (y - ay) * dy) / L2));
          const d = Math.hypot(x - (ax + t * dx), y - (ay + t * dy));
          const cover = Math.min(1, Math.max(0, pen / 2 - d + 0.5));
          if (cover > ink[y * W + x]) ink[y * W + x] = cover;
        }
      }
    }
  }
  return ink;
}

/** What a picture goes through: paper and ink levels, grain, uneven light, and marks added after. */
interface Condition {
  paper?: number;
  ink?: number;
  /** Standard deviation of the grain, in levels. */
  grain?: number;
  /** Light falling off across the page, in levels. */
  unevenLight?: boolean;
  pen?: number;
  mark?: (pixels: Float32Array, W: number, H: number) => void;
  /** Drawn on the paper before the ink (printed lines). */
  under?: (pixels: Float32Array, W: number, H: number) => void;
}

const CONDITIONS: [string, Condition][] = [
  ["clean page", {}],
  ["grain (σ 6 levels)", { grain: 6 }],
  ["uneven light (25 levels)", { unevenLight: true }],
  ["grain + uneven light", { grain: 6, unevenLight: true }],
  ["a dust speck far from the digit", {
    mark: (p, W) => {
      for (let y = 60; y < 64; y++) for (let x = 500; x < 504; x++) p[y * W + x] = 120;
    },
  }],
  ["dim paper (115, ink 25)", { paper: 115, ink: 25, grain: 3 }],
  ["a 4-pixel pen", { pen: 4, grain: 3 }],
  ["a scanner's dark frame (25 px)", { mark: (p, W, H) => frame(p, W, H, 25) }],
  ["a thin dark edge (3 px)", { mark: (p, W, H) => frame(p, W, H, 3) }],
  ["ruled paper (2-px lines every 40 px)", { under: (p, W, H) => ruled(p, W, H, false) }],
  ["squared paper (a 40-px grid)", { under: (p, W, H) => ruled(p, W, H, true) }],
];

/** Printed lines at level 195, 2 pixels thick every 40 (the first 20 from the edge), under the ink; columns too for squared paper. */
function ruled(p: Float32Array, W: number, H: number, squared: boolean): void {
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) if ((y + 20) % 40 < 2 || (squared && (x + 20) % 40 < 2)) p[y * W + x] = 195;
  }
}

function frame(p: Float32Array, W: number, H: number, e: number): void {
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) if (x < e || y < e || x >= W - e || y >= H - e) p[y * W + x] = 30;
  }
}

/** A sum of 12 uniforms minus 6: about a standard normal. */
function normal(rng: Random): number {
  let s = -6;
  for (let k = 0; k < 12; k++) s += rng.uniform();
  return s;
}

/** One digit on a 600 × 800 page, off-centre and tilted. */
function picture(digit: number, c: Condition, rng: Random): GrayImage {
  const W = 600, H = 800;
  const box = [100 + rng.uniform() * 200, 120 + rng.uniform() * 300, 220, 330];
  const pen = c.pen ?? [14, 30, 16][digit % 3];
  return onPaper(render(digit, W, H, box, pen, 24 * (rng.uniform() - 0.5)), W, H, c, rng);
}

/** A number: its digits side by side, 150 × 225 each, gaps of 15–50% of a digit's width, each tilted its own way. */
function numberPicture(digits: number[], c: Condition, rng: Random): GrayImage {
  const H = 500, boxes: number[][] = [];
  let x = 60;
  for (let k = 0; k < digits.length; k++) {
    boxes.push([x, 120 + rng.uniform() * 60, 150, 225]);
    x += 150 * (1 + 0.15 + 0.35 * rng.uniform());
  }
  const W = Math.round(x + 60), ink = new Float32Array(W * H), pen = c.pen ?? 16;
  digits.forEach((digit, k) => {
    const one = render(digit, W, H, boxes[k], pen, 16 * (rng.uniform() - 0.5));
    for (let i = 0; i < ink.length; i++) if (one[i] > ink[i]) ink[i] = one[i];
  });
  return onPaper(ink, W, H, c, rng);
}

/** Ink coverage ink[H, W] on paper under the condition: paper and ink levels, grain, uneven light, marks. */
function onPaper(ink: Float32Array, W: number, H: number, c: Condition, rng: Random): GrayImage {
  const paper = c.paper ?? 235, level = c.ink ?? 40;
  const sheet = new Float32Array(W * H).fill(paper);
  c.under?.(sheet, W, H);
  const pixels = new Float32Array(W * H);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const light = c.unevenLight ? -15 + 25 * (x / W) - 10 + 15 * (y / H) : 0;
      const v = (sheet[y * W + x] + light) * (1 - ink[y * W + x]) + level * ink[y * W + x] +
        (c.grain ?? 0) * normal(rng);
      pixels[y * W + x] = Math.min(255, Math.max(0, v));
    }
  }
  c.mark?.(pixels, W, H);
  return { width: W, height: H, pixels };
}

const paths = Deno.args.length > 0 ? Deno.args : ["models/mlp.safetensors"];
const nets = await Promise.all(paths.map(async (p) => (await loadModel(p)).net));
console.log(`| condition (10 digits) | ${paths.join(" | ")} | taken for blank | taken for several digits |`);
console.log(`|---|${paths.map(() => "---|").join("")}---|---|`);
for (const [name, c] of CONDITIONS) {
  const rng = new Random(7);
  const right = nets.map(() => 0);
  let blank = 0, several = 0;
  for (let digit = 0; digit < 10; digit++) {
    const image = picture(digit, c, rng);
    if (mnistDigits(image).length > 1) several++;
    const x = mnistPreprocess(image);
    if (x === null) {
      blank++;
      continue;
    }
    const input = Float32Array.from(x, (v) => v * INPUT_SCALE);
    nets.forEach((net, k) => right[k] += net.predict(input, 1)[0] === digit ? 1 : 0);
  }
  console.log(`| ${name} | ${right.map((r) => `${r}/10`).join(" | ")} | ${blank} | ${several} |`);
}

const NUMBER_CONDITIONS = new Set([
  "clean page",
  "grain + uneven light",
  "a scanner's dark frame (25 px)",
  "a thin dark edge (3 px)",
  "ruled paper (2-px lines every 40 px)",
  "squared paper (a 40-px grid)",
]);
/** One table row of numbers: per model, the numbers read whole and the digits read right; the numbers cut wrong. */
class NumberTally {
  whole = nets.map(() => 0);
  digitsRight = nets.map(() => 0);
  numbers = 0;
  digits = 0;
  miscut = 0;

  /** Counts one number: `xs` are the images `mnistDigits` gave for a picture of `digits`. */
  add(xs: Float32Array[], digits: number[]): void {
    this.numbers++;
    this.digits += digits.length;
    if (xs.length !== digits.length) {
      this.miscut++;
      return;
    }
    nets.forEach((net, k) => {
      const read = xs.map((x) => net.predict(Float32Array.from(x, (v) => v * INPUT_SCALE), 1)[0]);
      const right = read.filter((d, i) => d === digits[i]).length;
      this.digitsRight[k] += right;
      if (right === digits.length) this.whole[k]++;
    });
  }

  /** The row: name, numbers read whole per model, digits read right per model, numbers cut wrong. */
  row(name: string): string {
    const perModel = this.whole.map((w) => `${w}/${this.numbers}`).join(" | ");
    return `| ${name} | ${perModel} | ${
      this.digitsRight.map((d) => `${d}/${this.digits}`).join(", ")
    } | ${this.miscut} |`;
  }
}

/** A numbers table's header. */
function numberTableHeader(title: string): void {
  console.log(`\n| ${title} | ${paths.join(" | ")} | digits right | wrong number of digits |`);
  console.log(`|---|${paths.map(() => "---|").join("")}---|---|`);
}

numberTableHeader("condition (20 numbers of 2–4 digits)");
for (const [name, c] of CONDITIONS.filter(([name]) => NUMBER_CONDITIONS.has(name))) {
  const rng = new Random(11), tally = new NumberTally();
  for (let n = 0; n < 20; n++) {
    const digits = Array.from({ length: 2 + (n % 3) }, () => Math.floor(rng.uniform() * 10));
    tally.add(mnistDigits(numberPicture(digits, c, rng)), digits);
  }
  console.log(tally.row(name));
}

// Numbers of 2–4 of the test set's own handwritten digits, each drawn ×5 (its 28 × 28 image becomes 140 × 140), the
// digits' ink boxes `gap` of the mean ink-box width apart, each shifted up or down by up to a tenth of its height.
const test = await loadSplit("data", "test");
const SPACINGS: [string, number, number][] = [["wide (30–60%)", 0.3, 0.6], ["usual (15–30%)", 0.15, 0.3], [
  "tight (5–15%)",
  0.05,
  0.15,
]];

/** Ink coverage 0…1 of test rows `rows` drawn ×5 side by side, gaps of g0…g1 of their mean ink width: [ink, W, H]. */
function testDigitsNumber(rows: number[], g0: number, g1: number, rng: Random): [Float32Array, number, number] {
  const scale = 5, side = 28 * scale, H = side + 80;
  const ups = rows.map((i) =>
    resize(Float32Array.from(test.x.subarray(i * PIXELS, (i + 1) * PIXELS), (v) => v * 255), 28, 28, side, side)
  );
  const boxes = ups.map((up) => inkBoundingBox(up.map((v) => (v >= 26 ? v : 0)), side, side)!);
  const meanWidth = boxes.reduce((s, b) => s + b.x1 - b.x0, 0) / boxes.length;
  const offsets: number[] = [];
  let x = 40;
  boxes.forEach((b) => {
    offsets.push(x - b.x0);
    x += b.x1 - b.x0 + meanWidth * (g0 + (g1 - g0) * rng.uniform());
  });
  const W = Math.round(x + 40), ink = new Float32Array(W * H);
  ups.forEach((up, k) => {
    const dy = 40 + Math.round((rng.uniform() - 0.5) * 0.2 * side);
    for (let yy = 0; yy < side; yy++) {
      for (let xx = 0; xx < side; xx++) {
        const X = Math.round(offsets[k]) + xx, v = up[yy * side + xx] / 255;
        if (X >= 0 && X < W && v > ink[(dy + yy) * W + X]) ink[(dy + yy) * W + X] = v;
      }
    }
  });
  return [ink, W, H];
}

numberTableHeader("MNIST test digits, 100 numbers, gaps");
for (const [name, g0, g1] of SPACINGS) {
  const rng = new Random(13), tally = new NumberTally();
  for (let n = 0; n < 100; n++) {
    const rows = Array.from({ length: 2 + (n % 3) }, () => Math.floor(rng.uniform() * test.n));
    const [ink, W, H] = testDigitsNumber(rows, g0, g1, rng);
    tally.add(mnistDigits(onPaper(ink, W, H, { grain: 3 }, rng)), rows.map((i) => test.labels[i]));
  }
  console.log(tally.row(name));
}
