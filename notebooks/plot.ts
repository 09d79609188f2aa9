/**
 * What the tutorial notebooks show: charts drawn by Observable Plot, digit
 * images, and text and tables, as objects the Deno Jupyter kernel displays.
 *
 * The kernel shows any value that has a `Symbol.for("Jupyter.display")`
 * method returning a MIME bundle, whether it is the last expression of a cell
 * or passed to `Deno.jupyter.display`. Every picture here is drawn as a
 * standalone SVG document, then shown as a PNG (`image/png`, rasterised by
 * resvg from npm, compiled to WebAssembly, with the DejaVu Sans font from npm)
 * with a plain-text description beside it for text-only front ends.
 *
 * Why PNG and not the SVG (tested, not guessed): the classic Notebook
 * withholds SVG from an untrusted notebook (any notebook opened before it is
 * run), and nbconvert's HTML export passes inline SVG through lxml's cleaner,
 * which strips its `viewBox`, `<rect>`s and paths and leaves an empty box.
 * Both show a PNG; and when a bundle holds an SVG and a PNG, nbconvert picks
 * the SVG, so the bundle holds the PNG alone. JupyterLab, VS Code and GitHub
 * show PNGs too. The SVG stays available as {@linkcode Picture.svg}.
 *
 * Charts are rendered by Observable Plot into linkedom's server-side DOM;
 * digit images are PNGs (encoded by pngjs) embedded in the SVG as data URIs,
 * scaled up pixel by pixel so that they stay sharp.
 *
 * Digits are drawn as dark ink on white paper: pixel value 0 → white,
 * 1 → black (the data stores light ink on a black background).
 *
 * Everything is shown with {@linkcode show}, {@linkcode print} and
 * {@linkcode table}, which send it at once and then pause a moment. The
 * kernel (Deno 2.9) hands messages to its output socket asynchronously: a
 * cell's last output (its `console.log` lines, a value it ends with, even an
 * awaited `Deno.jupyter.display`) can go out after the kernel has reported
 * the cell finished, and Jupyter front ends (JupyterLab, VS Code, nbclient)
 * then drop it. Measured here: up to 5 of 40 cells lost their last output
 * in a run; with the pause, none of 240 cells, even with both cores busy.
 *
 * @module
 */

import * as Plot from "@observablehq/plot";
import { initWasm, Resvg } from "@resvg/resvg-wasm";
import { parseHTML } from "linkedom";
import { Buffer } from "node:buffer";
import { createRequire } from "node:module";
import { PNG } from "pngjs";

const SVG_NS = "http://www.w3.org/2000/svg";
const XLINK_NS = "http://www.w3.org/1999/xlink";

/** The key the Deno Jupyter kernel looks for on a value it is asked to display. */
export const JUPYTER_DISPLAY: unique symbol = Symbol.for("Jupyter.display");

/** Anything {@linkcode show} can display: a MIME bundle and a description for text-only output. */
export interface Displayable {
  readonly description: string;
  [JUPYTER_DISPLAY](): Record<string, string>;
}

/**
 * An SVG picture with a text description, displayable in the Deno kernel,
 * which shows it as a PNG of the same size.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { JUPYTER_DISPLAY, Picture } from "./plot.ts";
 * const p = new Picture(`<svg xmlns="http://www.w3.org/2000/svg" width="20" height="10"/>`, "nothing");
 * const bundle = p[JUPYTER_DISPLAY]();
 * assert.deepEqual(Object.keys(bundle).sort(), ["image/png", "text/plain"]);
 * assert.equal(bundle["text/plain"], "nothing");
 * ```
 */
export class Picture implements Displayable {
  #png?: Uint8Array;

  constructor(readonly svg: string, readonly description: string) {}

  /** The SVG drawn as a PNG by {@linkcode svgToPng} (once, on first use). */
  get png(): Uint8Array {
    this.#png ??= svgToPng(this.svg);
    return this.#png;
  }

  /** The MIME bundle Jupyter shows: the PNG rendition and the description (see the module notes for why no SVG). */
  [JUPYTER_DISPLAY](): Record<string, string> {
    return { "image/png": base64(this.png), "text/plain": this.description };
  }
}

const require = createRequire(import.meta.url);
try {
  await initWasm(Deno.readFile(require.resolve("@resvg/resvg-wasm/index_bg.wasm")));
} catch (error) {
  // a second copy of this module in the same process finds resvg ready
  if (!/already initialized/i.test((error as Error).message)) throw error;
}
/** The one font the PNG renditions use, for every family: DejaVu Sans, from npm (dejavu-fonts-ttf). */
const FONT = await Deno.readFile(
  require.resolve("dejavu-fonts-ttf/package.json").replace(/package\.json$/, "ttf/DejaVuSans.ttf"),
);

/**
 * Draws a standalone SVG document as a PNG, one PNG pixel per SVG pixel, with
 * resvg (WebAssembly) and DejaVu Sans standing in for every font family.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { svgToPng } from "./plot.ts";
 * const png = svgToPng(`<svg xmlns="http://www.w3.org/2000/svg" width="4" height="2"><rect width="4" height="2"/></svg>`);
 * assert.deepEqual([...png.subarray(1, 4)], [0x50, 0x4e, 0x47]); // "PNG"
 * ```
 */
export function svgToPng(svg: string): Uint8Array {
  const font = {
    fontBuffers: [FONT],
    loadSystemFonts: false,
    defaultFontFamily: "DejaVu Sans",
    sansSerifFamily: "DejaVu Sans",
    serifFamily: "DejaVu Sans",
    monospaceFamily: "DejaVu Sans",
  };
  const resvg = new Resvg(svg, { font });
  try {
    const image = resvg.render();
    try {
      return image.asPng();
    } finally {
      image.free();
    }
  } finally {
    resvg.free();
  }
}

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}

/** The few DOM members used here, typed by hand: Deno's type checker has no DOM library. */
interface DomElement {
  readonly tagName: string;
  readonly firstChild: DomElement | null;
  readonly outerHTML: string;
  setAttribute(name: string, value: string): void;
  insertBefore(node: DomElement, before: DomElement | null): void;
}

/** A server-side document for Plot to draw into. */
const document = (parseHTML("<!DOCTYPE html><html><body></body></html>") as unknown as {
  document: { createElementNS(ns: string, name: string): DomElement };
}).document;

/**
 * A chart drawn by Observable Plot, as a standalone SVG on a white background
 * (so it stays readable in dark themes). Options that make Plot wrap the SVG
 * in an HTML `<figure>` (title, subtitle, caption, legend) are refused: put
 * those in the notebook's Markdown instead.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as Plot from "@observablehq/plot";
 * import { chart } from "./plot.ts";
 * const p = chart("two bars", { marks: [Plot.barY([1, 2])] });
 * assert.ok(p.svg.startsWith("<svg"));
 * ```
 */
export function chart(description: string, options: Plot.PlotOptions): Picture {
  const node = Plot.plot({ ...options, document } as Plot.PlotOptions) as unknown as DomElement;
  if (node.tagName.toLowerCase() !== "svg") {
    throw new Error("chart(): Plot made a <figure>; drop title, subtitle, caption and legend options");
  }
  node.setAttribute("xmlns", SVG_NS);
  node.setAttribute("xmlns:xlink", XLINK_NS);
  const background = document.createElementNS(SVG_NS, "rect");
  background.setAttribute("width", "100%");
  background.setAttribute("height", "100%");
  background.setAttribute("fill", "white");
  node.insertBefore(background, node.firstChild);
  return new Picture(node.outerHTML, description);
}

/** One image of a gallery: its values, and up to a few lines of caption. */
export interface Tile {
  /** side × side values, row-major: pixels in [0, 1], or any numbers for `"diverging"`. */
  values: ArrayLike<number>;
  /** Caption lines under the image ("\n" separates lines). */
  caption?: string;
  /** Caption colour (CSS), black unless given. */
  color?: string;
}

/** How {@linkcode gallery} draws. */
export interface GalleryOptions {
  /** Images per row (10 unless given). */
  columns?: number;
  /** Screen pixels per image pixel (3 unless given). */
  scale?: number;
  /** Image width and height in pixels (28 unless given). */
  side?: number;
  /**
   * `"ink"`: 0 → white, 1 → black. `"diverging"`: each image scaled by its
   * largest |value|, negative blue, zero white, positive red.
   */
  colormap?: "ink" | "diverging";
}

/**
 * Images in a grid with captions, as one SVG.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { gallery } from "./plot.ts";
 * const p = gallery("a blank digit", [{ values: new Float32Array(784), caption: "0" }]);
 * assert.ok(p.svg.includes("data:image/png;base64,"));
 * ```
 */
export function gallery(description: string, tiles: readonly Tile[], options: GalleryOptions = {}): Picture {
  const columns = Math.min(options.columns ?? 10, Math.max(tiles.length, 1));
  const scale = options.scale ?? 3;
  const side = options.side ?? 28;
  const colormap = options.colormap ?? "ink";
  const size = side * scale;
  const lines = Math.max(0, ...tiles.map((t) => (t.caption ? t.caption.split("\n").length : 0)));
  const lineHeight = 14;
  const gap = 8;
  const cellWidth = size + gap;
  const cellHeight = size + lines * lineHeight + gap;
  const rows = Math.ceil(tiles.length / columns);
  const width = columns * cellWidth + gap;
  const height = rows * cellHeight + gap;
  const parts = tiles.map((tile, k) => {
    const x = gap + (k % columns) * cellWidth;
    const y = gap + Math.floor(k / columns) * cellHeight;
    const href = `data:image/png;base64,${pngBase64(tile.values, side, scale, colormap)}`;
    const caption = (tile.caption ?? "").split("\n").filter((s) => s !== "").map((text, i) =>
      `<text x="${x + size / 2}" y="${y + size + (i + 1) * lineHeight - 2}" fill="${tile.color ?? "black"}">${
        escapeXml(text)
      }</text>`
    ).join("");
    return `<rect x="${x - 0.5}" y="${y - 0.5}" width="${size + 1}" height="${size + 1}" fill="none" stroke="#ccc"/>` +
      `<image x="${x}" y="${y}" width="${size}" height="${size}" href="${href}" xlink:href="${href}"/>${caption}`;
  });
  const svg = `<svg xmlns="${SVG_NS}" xmlns:xlink="${XLINK_NS}" width="${width}" height="${height}" ` +
    `viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="11" text-anchor="middle">` +
    `<rect width="100%" height="100%" fill="white"/>${parts.join("")}</svg>`;
  return new Picture(svg, description);
}

/**
 * A PNG of one side × side image, each pixel drawn as a scale × scale square.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { digitPng } from "./plot.ts";
 * const png = digitPng(new Float32Array(784), 2);
 * assert.deepEqual([...png.subarray(1, 4)], [0x50, 0x4e, 0x47]); // "PNG"
 * ```
 */
export function digitPng(
  values: ArrayLike<number>,
  scale = 1,
  side = 28,
  colormap: "ink" | "diverging" = "ink",
): Uint8Array {
  if (values.length !== side * side) throw new RangeError(`expected ${side * side} values, got ${values.length}`);
  const size = side * scale;
  const png = new PNG({ width: size, height: size });
  let limit = 0;
  if (colormap === "diverging") {
    for (let i = 0; i < values.length; i++) {
      limit = Math.max(limit, Math.abs(values[i]));
    }
  }
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const v = values[Math.floor(y / scale) * side + Math.floor(x / scale)];
      const o = (y * size + x) * 4;
      if (colormap === "ink") {
        const g = Math.round(255 * (1 - Math.min(1, Math.max(0, v))));
        png.data[o] = png.data[o + 1] = png.data[o + 2] = g;
      } else {
        const t = limit === 0 ? 0 : v / limit; // −1 … 1
        const fade = Math.round(255 * (1 - Math.abs(t)));
        png.data[o] = t > 0 ? 255 : fade; // red stays full for positive values
        png.data[o + 1] = fade;
        png.data[o + 2] = t < 0 ? 255 : fade; // blue stays full for negative values
      }
      png.data[o + 3] = 255;
    }
  }
  const bytes = PNG.sync.write(png, { colorType: colormap === "ink" ? 0 : 2 }); // gray or RGB, no alpha channel
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * A PNG picture of one image (see {@linkcode digitPng}), displayable in the Deno kernel.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { digitPng, JUPYTER_DISPLAY, PngPicture } from "./plot.ts";
 * const p = new PngPicture(digitPng(new Float32Array(784)), "blank");
 * assert.ok(p[JUPYTER_DISPLAY]()["image/png"].startsWith("iVBOR"));
 * ```
 */
export class PngPicture implements Displayable {
  constructor(readonly png: Uint8Array, readonly description: string) {}

  /** The MIME bundle Jupyter shows. */
  [JUPYTER_DISPLAY](): Record<string, string> {
    return { "image/png": base64(this.png), "text/plain": this.description };
  }
}

function pngBase64(values: ArrayLike<number>, side: number, scale: number, colormap: "ink" | "diverging"): string {
  return base64(digitPng(values, scale, side, colormap));
}

function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** How long to wait after each display so that the kernel sends it before the cell ends. */
const FLUSH_MS = 25;

type Display = (bundle: Record<string, string>, options: { raw: boolean }) => Promise<void>;

/** The kernel's display function, or undefined outside a notebook. */
function jupyterDisplay(): Display | undefined {
  try {
    const jupyter = (Deno as unknown as { jupyter?: { display?: unknown } }).jupyter;
    if (typeof jupyter?.display !== "function") return undefined;
    return jupyter.display.bind(jupyter) as Display;
  } catch {
    return undefined; // Deno.jupyter throws when used outside the kernel
  }
}

/** Displays a MIME bundle in the notebook (then pauses, see the module notes), or logs `fallback` elsewhere. */
async function send(bundle: Record<string, string>, fallback: string): Promise<void> {
  const display = jupyterDisplay();
  if (!display) {
    console.log(fallback);
    return;
  }
  await display(bundle, { raw: true });
  await new Promise((resolve) => setTimeout(resolve, FLUSH_MS));
}

/**
 * Shows text in the notebook, like `console.log` (strings as they are, other
 * values inspected), but reliably in order; outside a notebook it logs.
 *
 * @example
 * ```ts
 * import { print } from "./plot.ts";
 * await print("accuracy", 0.86);
 * ```
 */
export async function print(...values: unknown[]): Promise<void> {
  const text = values.map((v) => (typeof v === "string" ? v : Deno.inspect(v, { colors: false }))).join(" ");
  await send({ "text/plain": text }, text);
}

/**
 * Shows pictures in the notebook, in order. (A picture that ends a cell is
 * also shown, by the kernel, but that output can get lost; see the module
 * notes.)
 *
 * @example
 * ```ts
 * import { gallery, show } from "./plot.ts";
 * await show(gallery("a blank digit", [{ values: new Float32Array(784) }]));
 * ```
 */
export async function show(...pictures: Displayable[]): Promise<void> {
  for (const picture of pictures) await send(picture[JUPYTER_DISPLAY](), picture.description);
}

/**
 * Shows rows of values as a table (Markdown in the notebook, aligned text
 * elsewhere); the columns are the keys of the first row.
 *
 * @example
 * ```ts
 * import { table } from "./plot.ts";
 * await table([{ digit: 0, count: 101 }, { digit: 1, count: 118 }]);
 * ```
 */
export async function table(rows: readonly Record<string, unknown>[]): Promise<void> {
  const columns = Object.keys(rows[0] ?? {});
  const cells = rows.map((row) => columns.map((c) => String(row[c] ?? "")));
  const widths = columns.map((c, j) => Math.max(c.length, ...cells.map((r) => r[j].length)));
  const plain = [columns, ...cells].map((r) => r.map((v, j) => v.padStart(widths[j])).join("  ")).join("\n");
  const escape = (v: string) => v.replace(/\|/g, "\\|");
  const markdown = [
    `| ${columns.map(escape).join(" | ")} |`,
    `|${columns.map(() => "---:").join("|")}|`,
    ...cells.map((r) => `| ${r.map(escape).join(" | ")} |`),
  ].join("\n");
  await send({ "text/markdown": markdown, "text/plain": plain }, plain);
}
