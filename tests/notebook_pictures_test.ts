/**
 * What the notebooks' pictures send to Jupyter: a PNG drawn from the SVG (by
 * resvg, with DejaVu Sans), of the SVG's size, showing what the SVG shows —
 * bars, digit pixels and caption text — and no SVG in the bundle (nbconvert's
 * HTML export would pick it and sanitise it into an empty box).
 */

import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { PNG } from "pngjs";
import * as Plot from "@observablehq/plot";
import { chart, gallery, JUPYTER_DISPLAY, type Picture, svgToPng } from "../notebooks/plot.ts";

/** The PNG a picture's bundle carries, decoded. */
function bundlePng(picture: Picture): PNG {
  const bundle = picture[JUPYTER_DISPLAY]();
  assert.deepEqual(Object.keys(bundle).sort(), ["image/png", "text/plain"]);
  return PNG.sync.read(Buffer.from(bundle["image/png"], "base64"));
}

function size(svg: string): [number, number] {
  const width = Number(svg.match(/^<svg[^>]* width="([\d.]+)"/)?.[1]);
  const height = Number(svg.match(/^<svg[^>]* height="([\d.]+)"/)?.[1]);
  return [width, height];
}

/** The red value of pixel (x, y) and how many pixels in a box are dark. */
const red = (png: PNG, x: number, y: number) => png.data[(y * png.width + x) * 4];
function darkPixels(png: PNG, x0: number, y0: number, x1: number, y1: number): number {
  let n = 0;
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) if (red(png, x, y) < 128) n++;
  return n;
}

Deno.test("notebooks/plot.ts: a chart is shown as a PNG of the SVG's size, with its bars and axis labels drawn", () => {
  const bars = chart("three bars", { marks: [Plot.barY([3, 1, 2]), Plot.ruleY([0])] });
  const png = bundlePng(bars);
  assert.deepEqual([png.width, png.height], size(bars.svg));
  assert.equal(red(png, 1, 1), 255, "the white background");
  // the tallest bar (3, the first) fills most of the plot's height: a dark column in the left third
  const column = darkPixels(png, Math.round(png.width / 6), 0, Math.round(png.width / 6) + 1, png.height);
  assert.ok(column > png.height / 2, `first bar: ${column} dark pixels of ${png.height}`);
  // the y axis labels (drawn with the bundled font) sit left of the plot
  assert.ok(darkPixels(png, 0, 0, 30, png.height) > 50, "y axis labels");
});

Deno.test("notebooks/plot.ts: a gallery is shown as a PNG with its digit pixels and caption text", () => {
  const tiles = [{ values: new Float32Array(784).fill(0.5), caption: "half" }, { values: new Float32Array(784) }];
  const pic = gallery("two digits", tiles, { columns: 2, scale: 3 });
  const png = bundlePng(pic);
  assert.deepEqual([png.width, png.height], size(pic.svg));
  // tiles are 84 × 84 at x = 8 and x = 100, y = 8; the caption line is under the first
  assert.equal(red(png, 50, 50), 128, "the grey tile: round(255 · (1 − 0.5))");
  assert.equal(red(png, 142, 50), 255, "the blank tile");
  assert.ok(darkPixels(png, 8, 92, 92, 108) > 20, "the caption 'half'");
  assert.equal(darkPixels(png, 100, 92, 184, 108), 0, "no caption under the second tile");
});

Deno.test("notebooks/plot.ts: svgToPng refuses what is not SVG", () => {
  assert.throws(() => svgToPng("not an svg"));
});
