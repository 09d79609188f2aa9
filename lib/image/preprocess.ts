/**
 * MNIST-style preprocessing: any picture of a digit → the 28 × 28 image the
 * network was trained on (a picture of a number → one image per digit).
 *
 * MNIST was made from scanned digits in four steps, and a person's own picture
 * goes through the same ones (a picture over 1024 pixels on its longer side,
 * a phone's photo, is first shrunk to that by area averaging):
 *
 * 1. grayscale, and white ink on black: the background level is the median of
 *    the border band (the outer tenth of the picture, so that a thin frame or
 *    a scanner's dark edge does not decide it; only its inner half when its
 *    outer half is a wider frame); when more ink stands out darker
 *    than the background than lighter, the ink is dark on paper and the
 *    picture is inverted. The background level and the paper's noise (how far
 *    the band strays towards ink: uneven light, JPEG noise) are subtracted and
 *    the strongest ink stretched to 255 (a photo's gray paper becomes black);
 * 2. find the digit and crop to it: ruled or squared paper's printed lines
 *    are left out; the patches of connected ink (ink below a tenth of the
 *    strongest is paper noise) are joined into digits: pieces one above the
 *    other, or side by side across a pen break, are one digit, and a small
 *    piece near a digit is part of it (a stroke the pen broke); a speck of
 *    dust elsewhere, or a frame along the picture's edge, is left out. Ink too
 *    small to be a digit is no digit, nor is a dot (a tap, an ink blot). The
 *    digit with the most ink is the picture's digit ({@linkcode mnistPreprocess});
 *    a picture of a number gives each of its digits, left to right
 *    ({@linkcode mnistDigits});
 * 3. scale to fit 20 × 20 keeping the aspect ratio: area averaging when
 *    shrinking, bilinear when enlarging. Strokes that would come out much
 *    thinner than MNIST's (a pen line in a large photo shrinks to a faint
 *    fifth of a pixel) are first thickened, by a disc, to MNIST's typical width;
 * 4. paste into 28 × 28 so that the centre of mass lands on pixel (14, 14)
 *    (row and column indices, as in MNIST's own images), by a whole-pixel shift.
 *
 * A picture that is already MNIST-like — 28 × 28 with a pure black border (no
 * paper noise), as every MNIST row has — is returned as it is, so that an image
 * of a data row gets exactly the model's prediction on that row. A 28 × 28
 * picture on a grey background goes through all four steps like any other.
 *
 * Pure TypeScript with no I/O: the same module runs in the browser page and in
 * a Web Worker. Images are row-major: pixel (x, y) is at index y·width + x.
 *
 * @module
 */

import { IMAGE_SIDE, PIXELS } from "../data/dataset.ts";

/** A grayscale picture: luminance 0 (black) … 255 (white), row-major, height × width. */
export interface GrayImage {
  /** Number of columns, in pixels. */
  width: number;
  /** Number of rows, in pixels. */
  height: number;
  /** [height, width] luminance values 0–255. */
  pixels: Float32Array;
}

/** The side of the box the digit is scaled into, as in MNIST. */
export const DIGIT_BOX = 20;
/** Where the centre of mass goes, in pixel indices (MNIST's images average 14.0 in both axes). */
export const CENTRE = 14;
/** Least difference between ink and background, in 0–255 levels, for a picture not to count as blank. */
export const MIN_CONTRAST = 32;
/**
 * MNIST's typical stroke width in pixels of the 20 × 20 box, as measured by {@linkcode strokeWidth}: the median
 * over the seed's 1000 training images is 1.94 (5th–95th percentile 1.28–3.07).
 */
export const MNIST_STROKE = 1.9;
/** Strokes that would come out thinner than this in the 20 × 20 box are thickened to {@linkcode MNIST_STROKE}. */
export const THIN_STROKE = 1.5;
/**
 * The most of the ink's strength that {@linkcode paperNoise} may take away: a digit touching much of the border
 * makes the border look noisy, and must not be subtracted away.
 */
export const MAX_NOISE = 0.25;
/** Ink weaker than this fraction of the strongest is paper noise: it is zeroed and does not widen the crop. */
export const NOISE_FLOOR = 0.1;
/**
 * The border band's width as a share of the picture's shorter side: the background is measured there, and a patch
 * of ink that lies mostly there and runs along most of a side is a frame or the page's edge, not the digit.
 */
export const BORDER_BAND = 0.1;
/** A patch of ink with less than this share of the heaviest patch's ink is a speck, left out. */
export const PIECE_SHARE = 0.02;
/**
 * A piece of ink too small to be a digit joins the nearest digit when it is no farther from the digit's box than
 * this share of the box's longer side (a stroke the pen broke); pieces one above the other within this distance are
 * one digit too.
 */
export const PIECE_REACH = 0.3;
/** Pieces side by side are one digit when the gap between them is at most this share of their height (a pen break). */
export const PEN_BREAK = 0.02;
/**
 * A group of ink is a digit of its own when it is at least this share as tall as the group with the most ink
 * (a 1 beside an 8 is as tall; a dot or a dash is not)…
 */
export const DIGIT_HEIGHT = 0.4;
/** …and holds at least this share of that group's ink. */
export const DIGIT_SHARE = 0.1;
/**
 * Ink whose longer side is less than this many times its stroke width ({@linkcode strokeWidth}) is a dot, not a
 * digit: a disc measures about 2.5, the least of MNIST's 1350 digits here 4.4 (a short thick 1).
 */
export const DOT_RATIO = 3;
/** The most pieces of ink (the heaviest) considered: a picture of a number has tens. */
export const MAX_PIECES = 256;
/**
 * Ruled or squared paper: a row (column) of a picture at least 64 pixels on each side whose ink spans this share of
 * its width (height), in a band at most {@linkcode LINE_THICKNESS} thick, is a printed line, when there are at least
 * two such bands: a digit's own bar (a 7's top) is one band at most.
 */
export const LINE_SPAN = 0.6;
/** The thickest printed line, as a share of the picture's height (width), and at least 2 pixels. */
export const LINE_THICKNESS = 0.01;
/**
 * The longest side a picture is worked on at: a larger one (a phone photo of 12 or 48 megapixels) is first shrunk to
 * it by area averaging. The digit ends up 20 pixels tall, so this loses nothing, and it bounds the time and memory
 * every later step takes.
 */
export const WORKING_SIDE = 1024;
/** Ink whose box is smaller than this share of the picture's shorter side (and than 3 pixels) is a speck, not a digit. */
export const MIN_DIGIT = 0.02;

/**
 * RGBA bytes (e.g. canvas ImageData or a decoded PNG) → luminance, alpha composited over a backdrop:
 * white, except when the picture's background is transparency (most of its border pixels are more than half
 * transparent) and what is visible is light (the alpha-weighted mean luminance of the pixels ≥ 128) — light ink on
 * transparency, e.g. a white-on-clear PNG or an alpha mask of white strokes — which goes over black, so the ink
 * still stands out. Luminance is ITU-R BT.601 (0.299 R + 0.587 G + 0.114 B); a gray pixel (R = G = B) keeps its
 * exact value.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { rgbaToGray } from "./preprocess.ts";
 * // one opaque gray pixel, one fully transparent pixel: over white
 * const g = rgbaToGray([7, 7, 7, 255, 0, 0, 0, 0], 2, 1);
 * assert.deepEqual([...g.pixels], [7, 255]);
 * // white ink on a transparent background: over black
 * const w = rgbaToGray([0, 0, 0, 0, 255, 255, 255, 255, 0, 0, 0, 0], 3, 1);
 * assert.deepEqual([...w.pixels], [0, 255, 0]);
 * ```
 */
export function rgbaToGray(rgba: ArrayLike<number>, width: number, height: number): GrayImage {
  checkSize(width, height);
  if (rgba.length !== width * height * 4) {
    throw new RangeError(`${rgba.length} RGBA values do not make a ${width} × ${height} image`);
  }
  const pixels = new Float32Array(width * height);
  let opaque = true, mass = 0, weighted = 0; // mass, weighted: Σ alpha and Σ alpha · luminance
  for (let i = 0; i < pixels.length; i++) {
    const r = rgba[4 * i], g = rgba[4 * i + 1], b = rgba[4 * i + 2], a = rgba[4 * i + 3];
    const lum = r === g && g === b ? r : 0.299 * r + 0.587 * g + 0.114 * b;
    pixels[i] = lum;
    if (a !== 255) opaque = false;
    mass += a;
    weighted += a * lum;
  }
  if (opaque) return { width, height, pixels };
  const alpha = (i: number) => rgba[4 * i + 3];
  const border = borderIndices(width, height);
  const clearBorder = border.filter((i) => alpha(i) < 128).length * 2 > border.length;
  const backdrop = clearBorder && mass > 0 && weighted / mass >= 128 ? 0 : 255;
  for (let i = 0; i < pixels.length; i++) {
    const a = alpha(i);
    if (a !== 255) pixels[i] = backdrop + (pixels[i] - backdrop) * (a / 255);
  }
  return { width, height, pixels };
}

/**
 * MNIST's own recipe (see the module text): invert when the ink is darker than the background
 * ({@linkcode darkInk}), leave out ruled lines ({@linkcode removeRuledLines}), find the digits
 * ({@linkcode findDigits}) and keep the one with the most ink, crop to it, scale to fit 20×20 keeping aspect ratio
 * (area-averaging / bilinear), paste into 28×28 centred by centre of mass. Returns 784 values in 0…255, white ink
 * on black (multiply them by `INPUT_SCALE` for a network, as the data files are), or null when the picture holds
 * no digit (a blank page, or specks only). A 28×28 image with a pure black border is returned unchanged. For a
 * picture of several digits, {@linkcode mnistDigits} gives each.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { centreOfMass, mnistPreprocess } from "./preprocess.ts";
 * // a black bar on white paper, 60 wide and 200 tall, near the top-left corner
 * const width = 300, height = 400;
 * const pixels = new Float32Array(width * height).fill(255);
 * for (let y = 10; y < 210; y++) for (let x = 20; x < 80; x++) pixels[y * width + x] = 0;
 * const x = mnistPreprocess({ width, height, pixels })!;
 * assert.equal(x.length, 784);
 * const { cx, cy } = centreOfMass(x, 28, 28);
 * assert.ok(Math.abs(cx - 14) <= 0.5 && Math.abs(cy - 14) <= 0.5);
 * assert.equal(mnistPreprocess({ width, height, pixels: new Float32Array(width * height).fill(255) }), null);
 * ```
 */
export function mnistPreprocess(picture: GrayImage): Float32Array | null {
  return readDigits(picture, false)[0] ?? null;
}

/**
 * A picture of a number (a date or a sum written on paper, a house number) → one 28 × 28 image per digit, left to
 * right, each prepared as {@linkcode mnistPreprocess} prepares a picture of one digit: the digits are told apart as
 * {@linkcode findDigits} says (digit-sized groups of ink side by side). A picture of one digit gives one image (the
 * one `mnistPreprocess` gives), a blank picture none.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { centreOfMass, mnistDigits, mnistPreprocess } from "./preprocess.ts";
 * // "11" on white paper: two bars 20 × 160, 60 pixels apart; then only the left one
 * const width = 300, height = 240;
 * const bars = (xs: number[]) => {
 *   const pixels = new Float32Array(width * height).fill(250);
 *   for (const x0 of xs) for (let y = 40; y < 200; y++) pixels.fill(10, y * width + x0, y * width + x0 + 20);
 *   return { width, height, pixels };
 * };
 * const digits = mnistDigits(bars([80, 160]));
 * assert.equal(digits.length, 2);
 * assert.deepEqual(digits[1], mnistPreprocess(bars([80])));
 * const { cx } = centreOfMass(digits[0], 28, 28);
 * assert.ok(Math.abs(cx - 14) <= 0.5);
 * ```
 */
export function mnistDigits(picture: GrayImage): Float32Array[] {
  return readDigits(picture, true);
}

/** Steps 1–4 for every digit of the picture (`all`), or for the one with the most ink. */
function readDigits(picture: GrayImage, all: boolean): Float32Array[] {
  checkSize(picture.width, picture.height);
  if (picture.pixels.length !== picture.width * picture.height) {
    throw new RangeError(`${picture.pixels.length} pixels do not make a ${picture.width} × ${picture.height} image`);
  }
  // a photo of many megapixels is first shrunk (area averaging) to at most WORKING_SIDE on its longer side
  const image = workingSize(picture);
  const { width: W, height: H, pixels } = image;
  const band = borderBand(image);
  const background = backgroundLevel(band);
  const light = darkInk(pixels, background);

  // 1. ink: white on black, background and paper noise subtracted, strongest ink stretched to 255.
  let peak = 0;
  for (let i = 0; i < pixels.length; i++) {
    const ink = light ? background - pixels[i] : pixels[i] - background;
    if (ink > peak) peak = ink;
  }
  const noise = Math.min(MAX_NOISE * peak, paperNoise(band, background, light));
  if (peak - noise < MIN_CONTRAST) return [];
  // already MNIST-like: 28 × 28 on pure black (every MNIST row is); a grey background still needs steps 1–4
  if (W === IMAGE_SIDE && H === IMAGE_SIDE && background === 0 && noise === 0) return [Float32Array.from(pixels)];
  const ink = new Float32Array(W * H);
  const gain = 255 / (peak - noise);
  const floor = NOISE_FLOOR * 255;
  for (let i = 0; i < pixels.length; i++) {
    const v = ((light ? background - pixels[i] : pixels[i] - background) - noise) * gain;
    ink[i] = v < floor ? 0 : v;
  }

  // 2. leave out ruled paper's lines, and find the digits: specks and frames are left out.
  removeRuledLines(ink, W, H);
  const { labels, digits } = findDigits(ink, W, H);
  const images: Float32Array[] = [];
  for (const digit of all ? digits : digits.toSorted((a, b) => b.mass - a.mass)) {
    const image = digitImage(ink, labels, W, digit, gain);
    if (image === null) continue;
    images.push(image);
    if (!all) break; // the digit with the most ink (a dot or faint ink is none)
  }
  return images;
}

/**
 * Steps 2–4 for one digit of ink[H, W]: its patches cropped to its box, its strongest ink stretched to 255 again
 * (a darker frame or speck left out no longer sets the scale), scaled into 20 × 20 and pasted into 28 × 28 by its
 * centre of mass. Null when the digit's ink is too faint against the paper (`gain`: step 1's stretch), or when it
 * is a dot ({@linkcode DOT_RATIO}).
 */
function digitImage(
  ink: Float32Array,
  labels: Int32Array,
  W: number,
  digit: DigitInk,
  gain: number,
): Float32Array | null {
  let bw = digit.x1 - digit.x0, bh = digit.y1 - digit.y0;
  let crop: Float32Array = new Float32Array(bw * bh); // [bh, bw]: the digit's patches only
  let strongest = 0;
  for (let y = 0; y < bh; y++) {
    for (let x = 0; x < bw; x++) {
      const i = (digit.y0 + y) * W + digit.x0 + x;
      if (!digit.patches.has(labels[i])) continue;
      crop[y * bw + x] = ink[i];
      if (ink[i] > strongest) strongest = ink[i];
    }
  }
  if (strongest / gain < MIN_CONTRAST) return null;
  if (strongest < 255) { for (let i = 0; i < crop.length; i++) crop[i] *= 255 / strongest; }

  // 3. fit into 20 × 20 keeping the aspect ratio, thickening strokes that would come out too thin. A blob no
  // longer than a few of its stroke widths is a dot (a tap on the page's pad), not a digit.
  const w = strokeWidth(crop, bw, bh), L = Math.max(bw, bh);
  if (L < DOT_RATIO * w) return null;
  if ((w * DIGIT_BOX) / L < THIN_STROKE) {
    // Growing every stroke by r on each side also grows the box by 2r: the final width is
    // (w + 2r)·20/(L + 2r), which equals MNIST_STROKE for this r.
    const r = (MNIST_STROKE * L - DIGIT_BOX * w) / (2 * (DIGIT_BOX - MNIST_STROKE));
    ({ pixels: crop, width: bw, height: bh } = cropToInk(...thicken(crop, bw, bh, r)));
  }
  const s = DIGIT_BOX / Math.max(bw, bh);
  const ow = Math.min(DIGIT_BOX, Math.max(1, Math.round(bw * s)));
  const oh = Math.min(DIGIT_BOX, Math.max(1, Math.round(bh * s)));
  const digitPixels = resize(crop, bw, bh, ow, oh);

  // 4. paste into 28 × 28, centre of mass on (14, 14).
  const { cx, cy } = centreOfMass(digitPixels, ow, oh);
  const dx = clamp(Math.round(CENTRE - cx), 0, IMAGE_SIDE - ow);
  const dy = clamp(Math.round(CENTRE - cy), 0, IMAGE_SIDE - oh);
  const out = new Float32Array(PIXELS);
  for (let y = 0; y < oh; y++) out.set(digitPixels.subarray(y * ow, (y + 1) * ow), (dy + y) * IMAGE_SIDE + dx);
  return out;
}

/** `image` shrunk by area averaging to at most {@linkcode WORKING_SIDE} on its longer side, or itself. */
function workingSize(image: GrayImage): GrayImage {
  const { width: W, height: H } = image;
  if (Math.max(W, H) <= WORKING_SIDE) return image;
  const s = WORKING_SIDE / Math.max(W, H);
  const width = Math.max(1, Math.round(W * s)), height = Math.max(1, Math.round(H * s));
  return { width, height, pixels: resize(image.pixels, W, H, width, height) };
}

/**
 * Whether the picture's ink is darker than its background (dark ink on light paper): whether more ink stands out
 * darker than `background`, by over {@linkcode MIN_CONTRAST} levels, than lighter. On a tie (no ink either way), a
 * light background is taken for paper. So a dim photo (paper at 110, ink at 20) is dark ink on paper, and a chalk
 * board (board at 60, chalk at 230) light ink on dark.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { darkInk } from "./preprocess.ts";
 * assert.equal(darkInk([110, 110, 20, 110], 110), true); // dim paper, dark ink
 * assert.equal(darkInk([60, 230, 60, 60], 60), false); // chalk on a board
 * ```
 */
export function darkInk(pixels: ArrayLike<number>, background: number): boolean {
  let darker = 0, lighter = 0;
  for (let i = 0; i < pixels.length; i++) {
    const d = background - pixels[i];
    if (d > MIN_CONTRAST) darker += d - MIN_CONTRAST;
    else if (-d > MIN_CONTRAST) lighter += -d - MIN_CONTRAST;
  }
  return darker === lighter ? background >= 128 : darker > lighter;
}

/**
 * The values of the border band: the pixels within {@linkcode BORDER_BAND} of the shorter side (at least one) of
 * the picture's edge, every k-th of them when there are more than 200,000 (a photo of many megapixels). When the
 * band's outer half and inner half differ by more than {@linkcode MIN_CONTRAST} in their medians — a scanner's dark
 * frame or a table's edge fills the outer half — only the inner half: the frame is not the background.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { borderBand } from "./preprocess.ts";
 * // 20 × 20: a band 2 pixels wide, 20·20 − 16·16 = 144 pixels
 * assert.equal(borderBand({ width: 20, height: 20, pixels: new Float32Array(400) }).length, 144);
 * // 100 × 100 white paper in a black frame 5 pixels wide: the band (10 pixels) without the frame
 * const pixels = new Float32Array(100 * 100).fill(250);
 * for (let y = 0; y < 100; y++) for (let x = 0; x < 100; x++) if (Math.min(x, y, 99 - x, 99 - y) < 5) pixels[y * 100 + x] = 0;
 * assert.ok(borderBand({ width: 100, height: 100, pixels }).every((v) => v === 250));
 * ```
 */
export function borderBand(image: GrayImage): Float32Array {
  const b = bandWidth(image.width, image.height), half = b >> 1;
  if (half > 0) {
    // backgroundLevel sorts the values in place: the band's order does not matter to its readers
    const inner = ring(image, half, b);
    if (Math.abs(backgroundLevel(ring(image, 0, half)) - backgroundLevel(inner)) > MIN_CONTRAST) return inner;
  }
  return ring(image, 0, b);
}

/**
 * The values of the pixels from `from` to `to` (excluded) pixels away from the picture's edge, in row-major order,
 * every k-th of them when there are more than 200,000.
 */
function ring(image: GrayImage, from: number, to: number): Float32Array {
  const { width: W, height: H, pixels } = image;
  const area = (d: number) => Math.max(0, W - 2 * d) * Math.max(0, H - 2 * d);
  const count = area(from) - area(to);
  const step = Math.max(1, Math.ceil(count / 200_000));
  const values = new Float32Array(Math.ceil(count / step));
  let n = 0, k = 0;
  for (let y = from; y < H - from; y++) {
    const edgeRow = y < to || y >= H - to;
    for (let x = from; x < W - from; x++) {
      if (!edgeRow && x >= to && x < W - to) {
        x = W - to - 1; // skip the inside of the row
        continue;
      }
      if (k++ % step === 0) values[n++] = pixels[y * W + x];
    }
  }
  return values.subarray(0, n);
}

/**
 * The background level: the median of the {@linkcode borderBand}'s values (sorted in place). A digit or a frame
 * covering less than half of the band does not move it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { backgroundLevel, borderBand } from "./preprocess.ts";
 * const pixels = new Float32Array(9).fill(250);
 * pixels[4] = 0; // the centre pixel is not in the band
 * pixels[0] = 10; // a dark corner is outvoted
 * assert.equal(backgroundLevel(borderBand({ width: 3, height: 3, pixels })), 250);
 * ```
 */
export function backgroundLevel(band: Float32Array): number {
  band.sort();
  const m = band.length >> 1;
  return band.length % 2 === 1 ? band[m] : (band[m - 1] + band[m]) / 2;
}

/**
 * How far the paper strays towards ink: the 90th percentile, over the border band's values, of their difference from
 * the background level in the direction of ink (darker on light paper, lighter on dark). 0 for an evenly lit,
 * noiseless picture; a photo's uneven lighting and JPEG noise make it a few to a few tens of levels.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { paperNoise } from "./preprocess.ts";
 * // light paper 200…220: the median is 210 and the darkest tenth ~200
 * const band = new Float32Array(21).map((_, i) => 200 + i);
 * const noise = paperNoise(band, 210, true);
 * assert.ok(noise >= 8 && noise <= 10);
 * ```
 */
export function paperNoise(band: Float32Array, background: number, light: boolean): number {
  const deviations = band.map((v) => Math.max(0, light ? background - v : v - background)).sort();
  return deviations[Math.min(deviations.length - 1, Math.floor(0.9 * deviations.length))];
}

/** The border band's width in pixels: {@linkcode BORDER_BAND} of the shorter side, at least 1. */
function bandWidth(W: number, H: number): number {
  return Math.max(1, Math.round(BORDER_BAND * Math.min(W, H)));
}

/**
 * Zeroes, in place, the printed lines of ruled or squared paper in ink[H, W] (see {@linkcode LINE_SPAN}): the rows,
 * then the columns, of the thin bands whose ink spans most of the picture, when there are two bands or more. A
 * digit's stroke crossing a line loses those rows; its two parts are joined again as pieces of one digit
 * ({@linkcode findDigits}). Returns the number of lines removed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { removeRuledLines } from "./preprocess.ts";
 * // 100 × 100: lines 2 pixels thick at rows 30 and 70, and a digit's stem from row 20 to 80
 * const ink = new Float32Array(100 * 100);
 * for (const y of [30, 31, 70, 71]) ink.fill(80, y * 100, y * 100 + 100);
 * for (let y = 20; y < 80; y++) ink.fill(255, y * 100 + 45, y * 100 + 55);
 * assert.equal(removeRuledLines(ink, 100, 100), 2);
 * assert.equal(ink[30 * 100 + 10], 0); // the line is gone
 * assert.equal(ink[50 * 100 + 50], 255); // the stem stays, but for the rows of the lines
 * ```
 */
export function removeRuledLines(ink: Float32Array, W: number, H: number): number {
  if (Math.min(W, H) < 64) return 0;
  const lines = (n: number, span: number, count: (k: number) => number, thickest: number): number[][] => {
    const bands: number[][] = [];
    for (let k = 0; k < n; k++) {
      if (count(k) < LINE_SPAN * span) continue;
      const last = bands.at(-1);
      if (last !== undefined && last.at(-1) === k - 1) last.push(k);
      else bands.push([k]);
    }
    const thin = bands.filter((band) => band.length <= thickest);
    return thin.length >= 2 ? thin : [];
  };
  const thickest = (side: number) => Math.max(2, Math.round(LINE_THICKNESS * side));
  const inRow = (y: number) => {
    let c = 0;
    for (let x = 0; x < W; x++) if (ink[y * W + x] > 0) c++;
    return c;
  };
  const rows = lines(H, W, inRow, thickest(H));
  for (const band of rows) for (const y of band) ink.fill(0, y * W, (y + 1) * W);
  const inColumn = (x: number) => {
    let c = 0;
    for (let y = 0; y < H; y++) if (ink[y * W + x] > 0) c++;
    return c;
  };
  const columns = lines(W, H, inColumn, thickest(W));
  for (const band of columns) for (const x of band) for (let y = 0; y < H; y++) ink[y * W + x] = 0;
  return rows.length + columns.length;
}

/** A patch of 8-connected ink: its ink, its box [x0, x1) × [y0, y1), the ink in the border band. */
interface Patch {
  label: number;
  mass: number;
  bandMass: number;
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** The ink of one digit: the patches of ink it is made of (their labels), its box [x0, x1) × [y0, y1), its ink. */
export interface DigitInk {
  /** The labels (in `findDigits`' `labels`) of its patches. */
  patches: Set<number>;
  /** The sum of its ink. */
  mass: number;
  /** Its box's first column. */
  x0: number;
  /** Its box's first row. */
  y0: number;
  /** One past its box's last column. */
  x1: number;
  /** One past its box's last row. */
  y1: number;
}

/**
 * Step 2's choice: the digits in ink[H, W], left to right, with the patch label of every pixel (0: no ink).
 *
 * Of the patches of 8-connected ink, frames along the picture's edge are left out, and so are specks (less than
 * {@linkcode PIECE_SHARE} of the heaviest patch's ink). The rest are pieces, joined into groups: pieces one above the
 * other (over at least half of the narrower one's width: a 5's bar over its body, a stroke cut by a ruled line) or
 * side by side across a pen break's gap ({@linkcode PEN_BREAK} of their height). A group is a digit when it is
 * digit-sized next to the group with the most ink ({@linkcode DIGIT_HEIGHT} of its height, {@linkcode DIGIT_SHARE}
 * of its ink) and not a speck itself ({@linkcode MIN_DIGIT}); a smaller group joins the nearest digit when it is no
 * farther from it than {@linkcode PIECE_REACH} of that digit's longer side (a stroke the pen broke), and is left
 * out otherwise.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { findDigits } from "./preprocess.ts";
 * // 200 × 100: two blocks of ink 30 × 40 (two digits), and a 2 × 2 speck far from both
 * const ink = new Float32Array(200 * 100);
 * for (let y = 30; y < 70; y++) ink.fill(255, y * 200 + 120, y * 200 + 150).fill(255, y * 200 + 40, y * 200 + 70);
 * ink[90 * 200 + 190] = ink[90 * 200 + 191] = ink[91 * 200 + 190] = ink[91 * 200 + 191] = 200;
 * const { digits } = findDigits(ink, 200, 100);
 * assert.deepEqual(digits.map((d) => [d.x0, d.x1]), [[40, 70], [120, 150]]);
 * // the speck alone is no digit
 * const speck = new Float32Array(200 * 100);
 * speck[90 * 200 + 90] = 255;
 * assert.equal(findDigits(speck, 200, 100).digits.length, 0);
 * ```
 */
export function findDigits(ink: Float32Array, W: number, H: number): { labels: Int32Array; digits: DigitInk[] } {
  const { labels, patches } = inkPatches(ink, W, H);
  // a patch lying mostly in the border band and running along most of a side is a frame or the page's edge
  const frame = (p: Patch) => p.bandMass >= 0.5 * p.mass && (p.x1 - p.x0 >= 0.8 * W || p.y1 - p.y0 >= 0.8 * H);
  const pool = patches.some((p) => !frame(p)) ? patches.filter((p) => !frame(p)) : patches;
  if (pool.length === 0) return { labels, digits: [] };
  const heaviest = pool.reduce((a, p) => (p.mass > a.mass ? p : a)).mass;
  const pieces = pool.filter((p) => p.mass >= PIECE_SHARE * heaviest)
    .sort((a, b) => b.mass - a.mass).slice(0, MAX_PIECES);

  // pieces into groups, until no two groups join
  let groups: DigitInk[] = pieces.map((p) => ({ patches: new Set([p.label]), mass: p.mass, ...box(p) }));
  for (let joined = true; joined;) {
    joined = false;
    for (let a = 0; a < groups.length && !joined; a++) {
      for (let b = a + 1; b < groups.length && !joined; b++) {
        if (!oneDigit(groups[a], groups[b])) continue;
        merge(groups[a], groups[b]);
        groups.splice(b, 1);
        joined = true;
      }
    }
  }

  // the digits, and the smaller groups that join the nearest one
  const main = groups.reduce((a, g) => (g.mass > a.mass ? g : a));
  const height = (g: DigitInk) => g.y1 - g.y0, side = (g: DigitInk) => Math.max(g.x1 - g.x0, g.y1 - g.y0);
  const digitSized = (g: DigitInk) =>
    g.mass >= DIGIT_SHARE * main.mass && height(g) >= DIGIT_HEIGHT * height(main) &&
    side(g) >= Math.max(3, MIN_DIGIT * Math.min(W, H));
  const digits = groups.filter(digitSized);
  groups = groups.filter((g) => !digitSized(g)).sort((a, b) => b.mass - a.mass);
  for (const g of groups) {
    let nearest: DigitInk | null = null, nearestGap = Infinity;
    for (const d of digits) {
      const gap = Math.max(d.x0 - g.x1, g.x0 - d.x1, d.y0 - g.y1, g.y0 - d.y1, 0);
      if (gap <= PIECE_REACH * side(d) && gap < nearestGap) nearest = d, nearestGap = gap;
    }
    if (nearest !== null) merge(nearest, g);
  }
  digits.sort((a, b) => a.x0 + a.x1 - (b.x0 + b.x1));
  return { labels, digits };
}

/** Whether two groups of ink are pieces of one digit: one above the other, or side by side across a pen break. */
function oneDigit(a: DigitInk, b: DigitInk): boolean {
  const overlapX = Math.min(a.x1, b.x1) - Math.max(a.x0, b.x0);
  const overlapY = Math.min(a.y1, b.y1) - Math.max(a.y0, b.y0);
  const gapY = Math.max(-overlapY, 0), sideA = Math.max(a.x1 - a.x0, a.y1 - a.y0);
  const sideB = Math.max(b.x1 - b.x0, b.y1 - b.y0);
  if (overlapX >= 0.5 * Math.min(a.x1 - a.x0, b.x1 - b.x0)) return gapY <= PIECE_REACH * Math.max(sideA, sideB);
  return overlapY > 0 && -overlapX <= PEN_BREAK * Math.max(a.y1 - a.y0, b.y1 - b.y0);
}

/** Adds group b's patches, ink and box to group a. */
function merge(a: DigitInk, b: DigitInk): void {
  for (const label of b.patches) a.patches.add(label);
  a.mass += b.mass;
  a.x0 = Math.min(a.x0, b.x0), a.y0 = Math.min(a.y0, b.y0), a.x1 = Math.max(a.x1, b.x1), a.y1 = Math.max(a.y1, b.y1);
}

function box(p: Patch): { x0: number; y0: number; x1: number; y1: number } {
  return { x0: p.x0, y0: p.y0, x1: p.x1, y1: p.y1 };
}

/** The 8-connected patches of ink > 0 in ink[H, W], numbered from 1 in labels[H, W] (0: no ink). */
function inkPatches(ink: Float32Array, W: number, H: number): { labels: Int32Array; patches: Patch[] } {
  const labels = new Int32Array(W * H), patches: Patch[] = [];
  const b = bandWidth(W, H);
  let stack = new Int32Array(1024);
  for (let start = 0; start < ink.length; start++) {
    if (!(ink[start] > 0) || labels[start] !== 0) continue;
    const p: Patch = { label: patches.length + 1, mass: 0, bandMass: 0, x0: W, y0: H, x1: 0, y1: 0 };
    patches.push(p);
    labels[start] = p.label;
    let top = 0;
    stack[top++] = start;
    while (top > 0) {
      const i = stack[--top], x = i % W, y = (i - x) / W, v = ink[i];
      p.mass += v;
      if (x < b || x >= W - b || y < b || y >= H - b) p.bandMass += v;
      if (x < p.x0) p.x0 = x;
      if (x >= p.x1) p.x1 = x + 1;
      if (y < p.y0) p.y0 = y;
      if (y >= p.y1) p.y1 = y + 1;
      for (let ny = Math.max(0, y - 1); ny <= Math.min(H - 1, y + 1); ny++) {
        for (let nx = Math.max(0, x - 1); nx <= Math.min(W - 1, x + 1); nx++) {
          const j = ny * W + nx;
          if (!(ink[j] > 0) || labels[j] !== 0) continue;
          labels[j] = p.label;
          if (top === stack.length) {
            const bigger = new Int32Array(stack.length * 2);
            bigger.set(stack);
            stack = bigger;
          }
          stack[top++] = j;
        }
      }
    }
  }
  return { labels, patches };
}

/** The indices of the outermost ring of pixels of a width × height image, each once. */
function borderIndices(W: number, H: number): number[] {
  const ring: number[] = [];
  for (let x = 0; x < W; x++) {
    ring.push(x);
    if (H > 1) ring.push((H - 1) * W + x);
  }
  for (let y = 1; y < H - 1; y++) {
    ring.push(y * W);
    if (W > 1) ring.push(y * W + W - 1);
  }
  return ring;
}

/**
 * The smallest box [x0, x1) × [y0, y1) holding every pixel above zero, or null when there is none.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { inkBoundingBox } from "./preprocess.ts";
 * const ink = new Float32Array(5 * 4);
 * ink[1 * 5 + 2] = 9; // (x 2, y 1)
 * ink[2 * 5 + 3] = 1; // (x 3, y 2)
 * assert.deepEqual(inkBoundingBox(ink, 5, 4), { x0: 2, y0: 1, x1: 4, y1: 3 });
 * ```
 */
export function inkBoundingBox(
  ink: ArrayLike<number>,
  width: number,
  height: number,
): { x0: number; y0: number; x1: number; y1: number } | null {
  let x0 = width, y0 = height, x1 = 0, y1 = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (ink[y * width + x] > 0) {
        if (x < x0) x0 = x;
        if (x >= x1) x1 = x + 1;
        if (y < y0) y0 = y;
        y1 = y + 1;
      }
    }
  }
  return x1 === 0 ? null : { x0, y0, x1, y1 };
}

/**
 * The mean width of an image's strokes in pixels, 2·A/E: A counts the pixels of ink ≥ 128 and E the edges between
 * them and the rest (a stroke of width w and length ℓ has A = wℓ and E ≈ 2ℓ). Diagonal strokes read somewhat
 * thinner; MNIST's own images are measured the same way for {@linkcode MNIST_STROKE}. 0 when there is no ink.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { strokeWidth } from "./preprocess.ts";
 * // a vertical bar 3 pixels wide and 100 tall
 * const ink = new Float32Array(10 * 100);
 * for (let y = 0; y < 100; y++) for (let x = 4; x < 7; x++) ink[y * 10 + x] = 255;
 * assert.ok(Math.abs(strokeWidth(ink, 10, 100) - 3) < 0.1);
 * ```
 */
export function strokeWidth(ink: ArrayLike<number>, width: number, height: number): number {
  let area = 0, edges = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (!(ink[y * width + x] >= 128)) continue;
      area++;
      if (x === 0 || !(ink[y * width + x - 1] >= 128)) edges++;
      if (x === width - 1 || !(ink[y * width + x + 1] >= 128)) edges++;
      if (y === 0 || !(ink[(y - 1) * width + x] >= 128)) edges++;
      if (y === height - 1 || !(ink[(y + 1) * width + x] >= 128)) edges++;
    }
  }
  return area === 0 ? 0 : (2 * area) / edges;
}

/**
 * Centre of mass of an image's values, in pixel indices (column cx, row cy); the middle for an all-zero image.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { centreOfMass } from "./preprocess.ts";
 * assert.deepEqual(centreOfMass([0, 1, 0, 3], 2, 2), { cx: 1, cy: 0.75 });
 * ```
 */
export function centreOfMass(values: ArrayLike<number>, width: number, height: number): { cx: number; cy: number } {
  let mass = 0, mx = 0, my = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const v = values[y * width + x];
      mass += v;
      mx += v * x;
      my += v * y;
    }
  }
  return mass === 0 ? { cx: (width - 1) / 2, cy: (height - 1) / 2 } : { cx: mx / mass, cy: my / mass };
}

/**
 * Resizes src[h, w] to [oh, ow], one axis at a time: area averaging along an axis that shrinks (every source
 * pixel counts with the fraction of it an output pixel covers), bilinear along an axis that grows.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resize } from "./preprocess.ts";
 * // 4 × 1 → 2 × 1 averages pairs
 * assert.deepEqual([...resize(new Float32Array([0, 2, 4, 6]), 4, 1, 2, 1)], [1, 5]);
 * ```
 */
export function resize(src: Float32Array, w: number, h: number, ow: number, oh: number): Float32Array {
  const tx = axisTaps(w, ow), ty = axisTaps(h, oh);
  const rows = new Float32Array(h * ow); // [h, ow]: resized along x
  for (let y = 0; y < h; y++) {
    for (let o = 0; o < ow; o++) {
      let sum = 0;
      for (let k = 0; k < tx.count[o]; k++) sum += tx.weight[o][k] * src[y * w + tx.first[o] + k];
      rows[y * ow + o] = sum;
    }
  }
  const out = new Float32Array(oh * ow); // [oh, ow]: then along y
  for (let o = 0; o < oh; o++) {
    for (let k = 0; k < ty.count[o]; k++) {
      const wgt = ty.weight[o][k], row = (ty.first[o] + k) * ow;
      for (let x = 0; x < ow; x++) out[o * ow + x] += wgt * rows[row + x];
    }
  }
  return out;
}

/** The part of ink[h, w] inside its ink's bounding box (the whole image when there is no ink). */
function cropToInk(ink: Float32Array, w: number, h: number): { pixels: Float32Array; width: number; height: number } {
  const box = inkBoundingBox(ink, w, h) ?? { x0: 0, y0: 0, x1: w, y1: h };
  const bw = box.x1 - box.x0, bh = box.y1 - box.y0;
  const crop = new Float32Array(bw * bh);
  for (let y = 0; y < bh; y++) crop.set(ink.subarray((box.y0 + y) * w + box.x0, (box.y0 + y) * w + box.x1), y * bw);
  return { pixels: crop, width: bw, height: bh };
}

/**
 * Every stroke of ink[h, w] grown by a disc of radius r (a margin is added so nothing is cut off): a pixel within
 * r of ink ≥ 128 becomes ink, with a one-pixel anti-aliased edge. Returns [ink, width, height].
 */
function thicken(ink: Float32Array, w: number, h: number, r: number): [Float32Array, number, number] {
  const pad = Math.ceil(r) + 1, W = w + 2 * pad, H = h + 2 * pad;
  const out = new Float32Array(W * H); // [H, W]
  for (let y = 0; y < h; y++) out.set(ink.subarray(y * w, (y + 1) * w), (y + pad) * W + pad);
  const d2 = squaredDistanceToInk(out, W, H);
  for (let i = 0; i < out.length; i++) {
    const cover = r + 0.5 - Math.sqrt(d2[i]);
    if (cover > 0) out[i] = Math.max(out[i], cover >= 1 ? 255 : 255 * cover);
  }
  return [out, W, H];
}

/**
 * For each pixel of ink[h, w], the squared Euclidean distance to the nearest pixel of ink ≥ 128: the exact
 * linear-time transform of Felzenszwalb & Huttenlocher (lower envelope of parabolas), columns then rows.
 */
function squaredDistanceToInk(ink: Float32Array, w: number, h: number): Float32Array {
  const d = new Float32Array(w * h);
  for (let i = 0; i < d.length; i++) d[i] = ink[i] >= 128 ? 0 : 1e20;
  const n = Math.max(w, h);
  const f = new Float64Array(n), g = new Float64Array(n), v = new Int32Array(n), z = new Float64Array(n + 1);
  for (let x = 0; x < w; x++) {
    for (let y = 0; y < h; y++) f[y] = d[y * w + x];
    distance1d(f, h, g, v, z);
    for (let y = 0; y < h; y++) d[y * w + x] = g[y];
  }
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) f[x] = d[y * w + x];
    distance1d(f, w, g, v, z);
    for (let x = 0; x < w; x++) d[y * w + x] = g[x];
  }
  return d;
}

/** d[q] = min over p of (q − p)² + f[p], for q < n; v and z are scratch (the envelope's parabolas and bounds). */
function distance1d(f: Float64Array, n: number, d: Float64Array, v: Int32Array, z: Float64Array): void {
  let k = 0;
  v[0] = 0;
  z[0] = -Infinity;
  z[1] = Infinity;
  for (let q = 1; q < n; q++) {
    let s = (f[q] + q * q - (f[v[k]] + v[k] * v[k])) / (2 * (q - v[k]));
    while (s <= z[k]) {
      k--;
      s = (f[q] + q * q - (f[v[k]] + v[k] * v[k])) / (2 * (q - v[k]));
    }
    k++;
    v[k] = q;
    z[k] = s;
    z[k + 1] = Infinity;
  }
  k = 0;
  for (let q = 0; q < n; q++) {
    while (z[k + 1] < q) k++;
    d[q] = (q - v[k]) * (q - v[k]) + f[v[k]];
  }
}

/** For each of m outputs along an axis of n inputs: the first input used and the weights of the inputs used. */
function axisTaps(n: number, m: number): { first: Int32Array; count: Int32Array; weight: Float64Array[] } {
  const first = new Int32Array(m), count = new Int32Array(m), weight: Float64Array[] = [];
  const scale = n / m; // input pixels per output pixel
  for (let o = 0; o < m; o++) {
    let i0: number, w: Float64Array;
    if (scale >= 1) { // area: input i covers [i, i+1); output o covers [o·scale, (o+1)·scale)
      const a = o * scale, b = Math.min(n, (o + 1) * scale);
      i0 = Math.floor(a);
      const i1 = Math.min(n, Math.ceil(b - 1e-9));
      w = new Float64Array(i1 - i0);
      for (let i = i0; i < i1; i++) w[i - i0] = (Math.min(b, i + 1) - Math.max(a, i)) / scale;
    } else if (n === 1) { // growing a single pixel: copies of it
      i0 = 0;
      w = Float64Array.of(1);
    } else { // bilinear between the two nearest pixel centres, edges clamped
      const c = clamp((o + 0.5) * scale - 0.5, 0, n - 1);
      i0 = Math.min(Math.floor(c), n - 2);
      const f = c - i0;
      w = Float64Array.of(1 - f, f);
    }
    first[o] = i0;
    count[o] = w.length;
    weight.push(w);
  }
  return { first, count, weight };
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}

function checkSize(width: number, height: number): void {
  if (!(Number.isInteger(width) && Number.isInteger(height) && width >= 1 && height >= 1)) {
    throw new RangeError(`an image needs a whole positive width and height, got ${width} × ${height}`);
  }
}
