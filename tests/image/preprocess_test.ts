import assert from "node:assert/strict";
import {
  backgroundLevel,
  borderBand,
  centreOfMass,
  type GrayImage,
  inkBoundingBox,
  MNIST_STROKE,
  mnistDigits,
  mnistPreprocess,
  resize,
  rgbaToGray,
  strokeWidth,
} from "../../lib/image/preprocess.ts";
import { Random } from "../../lib/nn/random.ts";

/** The first `n` rows of data/test_X.csv as 0–255 values (read as text: no polars needed here). */
function testRows(n: number): Float32Array[] {
  const text = Deno.readTextFileSync(new URL("../../data/test_X.csv", import.meta.url));
  return text.trim().split("\n").slice(0, n).map((line) => Float32Array.from(line.split(",").map(Number)));
}

/** A paper of `width` × `height` at level `paper`, with `ink` drawn in the cells where `mask` says so. */
function page(width: number, height: number, paper: number, ink: number, mask: (x: number, y: number) => boolean) {
  const pixels = new Float32Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) pixels[y * width + x] = mask(x, y) ? ink : paper;
  return { width, height, pixels };
}

/** An asymmetric "L" of thick strokes whose box is 90 wide and 150 tall, its top-left corner at (x0, y0). */
function ell(x0: number, y0: number) {
  return (x: number, y: number) =>
    (x >= x0 && x < x0 + 25 && y >= y0 && y < y0 + 150) || (x >= x0 && x < x0 + 90 && y >= y0 + 125 && y < y0 + 150);
}

/** The 28 × 28 image's ink box as [width, height]. */
function boxSize(x: Float32Array): [number, number] {
  const box = inkBoundingBox(x, 28, 28)!;
  return [box.x1 - box.x0, box.y1 - box.y0];
}

Deno.test("rgbaToGray: gray keeps its value, colours weigh as BT.601, alpha composites over white", () => {
  const g = rgbaToGray(
    [
      ...[0, 0, 0, 255],
      ...[123, 123, 123, 255],
      ...[255, 0, 0, 255],
      ...[0, 255, 0, 255],
      ...[0, 0, 255, 255],
      ...[0, 0, 0, 0],
      ...[0, 0, 0, 51],
    ],
    7,
    1,
  );
  assert.equal(g.width, 7);
  const expected = [0, 123, 0.299 * 255, 0.587 * 255, 0.114 * 255, 255, 255 * 0.8];
  expected.forEach((v, i) => assert.ok(Math.abs(g.pixels[i] - v) < 1e-3, `pixel ${i}: ${g.pixels[i]} vs ${v}`));
  assert.throws(() => rgbaToGray([0, 0, 0], 1, 1), RangeError);
  assert.throws(() => rgbaToGray([], 0, 0), RangeError);
});

Deno.test("rgbaToGray: light ink on a transparent background goes over black and is read, not blank", () => {
  const width = 200, height = 160;
  const mask = ell(50, 5);
  for (const [r, g, b] of [[255, 255, 255], [250, 220, 40]]) { // white strokes, and a light yellow pen
    const rgba = new Uint8Array(width * height * 4); // transparent black everywhere…
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        if (mask(x, y)) rgba.set([r, g, b, 255], 4 * (y * width + x)); // …but the strokes
      }
    }
    const gray = rgbaToGray(rgba, width, height);
    assert.equal(gray.pixels[0], 0, "the transparent background is black");
    const fromMask = mnistPreprocess(gray);
    assert.ok(fromMask !== null, `ink (${r}, ${g}, ${b}) on transparency is not blank`);
    // the same digit as white strokes on an opaque black page
    const opaque = mnistPreprocess(page(width, height, 0, 255, mask))!;
    let diff = 0;
    for (let i = 0; i < 784; i++) diff += Math.abs(fromMask[i] - opaque[i]);
    assert.ok(diff / 784 < 5, `mean difference ${diff / 784}`);
  }
  // dark ink on transparency still goes over white, as before
  const dark = new Uint8Array(4 * 9);
  dark.set([0, 0, 0, 255], 4 * 4);
  assert.deepEqual([...rgbaToGray(dark, 3, 3).pixels], [255, 255, 255, 255, 0, 255, 255, 255, 255]);
});

Deno.test("mnistPreprocess: dark ink on light paper and light ink on dark give the same image", () => {
  const dark = mnistPreprocess(page(300, 240, 250, 10, ell(40, 30)))!;
  const light = mnistPreprocess(page(300, 240, 10, 250, ell(40, 30)))!;
  assert.deepEqual([...dark], [...light]);
  // white ink on black: the border is black and the digit's strokes are at full strength
  assert.equal(dark[0], 0);
  assert.ok(Math.max(...dark) > 254.5);
});

Deno.test("mnistPreprocess: a light background is inverted even when the digit touches the border", () => {
  // ink runs off the left and top edges, but most of the border is paper
  const x = mnistPreprocess(page(200, 200, 240, 20, ell(-5, -5)))!;
  assert.equal(x[0], 0, "background becomes black");
  assert.ok(Math.max(...x) > 254.5, "strokes at full strength");
  assert.equal(backgroundLevel(borderBand(page(200, 200, 240, 20, ell(-5, -5)))), 240);
});

Deno.test("mnistPreprocess: crop to the ink makes the result independent of where the digit is", () => {
  const a = mnistPreprocess(page(400, 300, 255, 0, ell(5, 7)))!;
  const b = mnistPreprocess(page(400, 300, 255, 0, ell(290, 140)))!;
  assert.deepEqual([...a], [...b]);
  // gray paper of a photo: background subtracted, the result is the same
  const c = mnistPreprocess(page(400, 300, 190, 70, ell(100, 60)))!;
  assert.deepEqual([...c], [...a]);
});

Deno.test("mnistPreprocess: scales to fit 20 × 20 keeping the aspect ratio", () => {
  // tall bar 40 × 200 → 4 × 20; wide bar 200 × 50 → 20 × 5; small square outline 6 × 6 → 20 × 20
  const tall = mnistPreprocess(page(300, 300, 255, 0, (x, y) => x >= 100 && x < 140 && y >= 50 && y < 250))!;
  assert.deepEqual(boxSize(tall), [4, 20]);
  const wide = mnistPreprocess(page(300, 300, 255, 0, (x, y) => x >= 50 && x < 250 && y >= 10 && y < 60))!;
  assert.deepEqual(boxSize(wide), [20, 5]);
  const outline = (x: number, y: number) =>
    x >= 30 && x < 36 && y >= 3 && y < 9 && !(x > 30 && x < 35 && y > 3 && y < 8);
  const small = mnistPreprocess(page(50, 40, 0, 200, outline))!;
  assert.deepEqual(boxSize(small), [20, 20]);
  const l = mnistPreprocess(page(300, 240, 255, 0, ell(40, 30)))!;
  assert.deepEqual(boxSize(l), [12, 20]); // 90 × 150 → 12 × 20
});

Deno.test("mnistPreprocess: the centre of mass lands within half a pixel of (14, 14)", () => {
  const shapes = [
    page(300, 240, 255, 0, ell(40, 30)),
    page(640, 480, 30, 220, ell(500, 300)),
    page(300, 300, 255, 0, (x, y) => Math.abs(Math.hypot(x - 80, y - 200) - 50) < 10 && x > 60), // a cut ring
    page(120, 120, 255, 0, (x, y) => x + y > 100 && x + y < 118 && x > 20), // a diagonal stroke
  ];
  for (const shape of shapes) {
    const { cx, cy } = centreOfMass(mnistPreprocess(shape)!, 28, 28);
    assert.ok(Math.abs(cx - 14) <= 0.5 && Math.abs(cy - 14) <= 0.5, `centre (${cx}, ${cy})`);
  }
});

Deno.test("mnistPreprocess: a dot (a tap on the pad, an ink blot) is no digit; a short thick stroke is one", () => {
  // the page's pad: 280 × 280, black, a pen 280/13 pixels wide
  const pen = 280 / 13;
  const stroke = (length: number) =>
    page(280, 280, 0, 255, (x, y) => Math.hypot(x - 140, Math.max(0, Math.abs(y - 140) - length / 2)) < pen / 2);
  assert.equal(mnistPreprocess(stroke(0)), null, "a tap");
  assert.deepEqual(mnistDigits(stroke(0)), []);
  assert.equal(mnistPreprocess(stroke(10)), null, "a tap with a little drag");
  assert.notEqual(mnistPreprocess(stroke(60)), null, "a 1 a third as tall as the pad");
  // an ink blot beside a digit: the digit is read, the blot is not a digit
  const blot = (x: number, y: number) => Math.hypot(x - 470, y - 120) < 40;
  assert.deepEqual(mnistDigits(page(600, 300, 245, 15, (x, y) => ell(60, 70)(x, y) || blot(x, y))), [
    mnistPreprocess(page(600, 300, 245, 15, ell(60, 70))),
  ]);
});

Deno.test("mnistPreprocess: uneven light and paper noise are subtracted with the background", () => {
  const rng = new Random(2);
  const width = 320, height = 240;
  const clean = page(width, height, 220, 70, ell(60, 40));
  const photo = page(width, height, 0, 0, () => false);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      // light falling off by 30 levels from right to left and 12 from top to bottom, ±4 levels of noise
      const paper = 205 + 30 * (x / width) - 12 * (y / height) + 8 * (rng.uniform() - 0.5);
      photo.pixels[y * width + x] = ell(60, 40)(x, y) ? paper - 150 : paper;
    }
  }
  const a = mnistPreprocess(clean)!, b = mnistPreprocess(photo)!;
  let diff = 0;
  for (let i = 0; i < 784; i++) diff += Math.abs(a[i] - b[i]);
  assert.ok(diff / 784 < 10, `mean difference ${diff / 784}`);
  assert.deepEqual(boxSize(b), boxSize(a), "the paper's darker side does not widen the crop");
});

Deno.test("mnistPreprocess: a digit cropped tight, touching the border, keeps its full strength", () => {
  // a thick "1" running from the top edge to the bottom edge: an eighth of the border is ink
  const one = mnistPreprocess(page(60, 200, 240, 30, (x) => x >= 15 && x < 45))!;
  assert.ok(Math.max(...one) > 254.5);
  assert.deepEqual(boxSize(one), [3, 20]);
});

/** `image` with `mark` drawn at level `level` wherever it says so. */
function withMark(image: GrayImage, level: number, mark: (x: number, y: number) => boolean): GrayImage {
  const pixels = image.pixels.slice();
  for (let y = 0; y < image.height; y++) {
    for (let x = 0; x < image.width; x++) if (mark(x, y)) pixels[y * image.width + x] = level;
  }
  return { ...image, pixels };
}

Deno.test("mnistPreprocess: a speck of dust away from the digit is left out, and a speck alone is no digit", () => {
  const clean = page(600, 800, 235, 40, ell(200, 300));
  const reference = mnistPreprocess(clean)!;
  // a 4 × 4 grey speck 200 pixels from the digit; a darker one in a corner
  const specks = withMark(
    withMark(clean, 120, (x, y) => x >= 500 && x < 504 && y >= 60 && y < 64),
    30,
    (x, y) => x >= 20 && x < 26 && y >= 760 && y < 766,
  );
  assert.deepEqual([...mnistPreprocess(specks)!], [...reference]);
  const onlySpeck = withMark(
    page(600, 800, 235, 40, () => false),
    120,
    (x, y) => x >= 500 && x < 504 && y >= 60 && y < 64,
  );
  assert.equal(mnistPreprocess(onlySpeck), null);
});

/** `image` in a dark frame (level 30) `edge` pixels wide, as a scanner leaves. */
function framed(image: GrayImage, edge: number): GrayImage {
  const { width: W, height: H } = image;
  return withMark(image, 30, (x, y) => x < edge || y < edge || x >= W - edge || y >= H - edge);
}

Deno.test("mnistPreprocess: a scan's dark frame, thin or thick, is not taken for the digit", () => {
  const clean = page(600, 800, 235, 40, ell(200, 300));
  const reference = mnistPreprocess(clean)!;
  for (const edge of [3, 25]) {
    assert.deepEqual([...mnistPreprocess(framed(clean, edge))!], [...reference], `a frame ${edge} pixels wide`);
  }
});

Deno.test("mnistPreprocess: a dark frame filling more than half of the border band is not taken for the background", () => {
  // 600 × 300: the band is 30 pixels wide; frames of 18 and 22 pixels fill more than half of it
  const clean = page(600, 300, 235, 40, ell(250, 80));
  const reference = mnistPreprocess(clean)!;
  for (const edge of [18, 22]) {
    const image = framed(clean, edge);
    assert.deepEqual([...mnistPreprocess(image)!], [...reference], `a frame ${edge} pixels wide`);
    assert.equal(mnistDigits(image).length, 1, `a frame ${edge} pixels wide`);
  }
});

Deno.test("mnistPreprocess: dark ink on dim paper (below mid-grey) is read as ink, not as a blank page", () => {
  const reference = mnistPreprocess(page(300, 240, 250, 10, ell(40, 30)))!;
  for (const paper of [90, 127]) {
    const dim = mnistPreprocess(page(300, 240, paper, 20, ell(40, 30)));
    assert.notEqual(dim, null, `paper at ${paper}`);
    assert.deepEqual(boxSize(dim!), boxSize(reference), `paper at ${paper}`);
  }
});

Deno.test("mnistPreprocess: the pieces of a stroke the pen broke stay in the digit", () => {
  // the L's foot cut off from its stem by a 6-pixel gap: both pieces are the digit
  const broken = page(300, 240, 250, 10, (x, y) => ell(40, 30)(x, y) && !(y >= 149 && y < 155));
  assert.deepEqual(boxSize(mnistPreprocess(broken)!), boxSize(mnistPreprocess(page(300, 240, 250, 10, ell(40, 30)))!));
});

Deno.test("mnistPreprocess: ruled and squared paper's printed lines are left out, a 7's bar is not", () => {
  const reference = mnistPreprocess(page(600, 800, 235, 40, ell(200, 300)))!;
  for (const squared of [false, true]) {
    // lines at level 195, 2 pixels thick every 40, under the ink: the L's foot and stem cross several
    const paper = page(600, 800, 235, 40, (x, y) => ell(200, 300)(x, y));
    paper.pixels.forEach((v, i) => {
      const x = i % 600, y = (i - x) / 600;
      if (v === 235 && ((y + 20) % 40 < 2 || (squared && (x + 20) % 40 < 2))) paper.pixels[i] = 195;
    });
    assert.deepEqual(boxSize(mnistPreprocess(paper)!), boxSize(reference), squared ? "squared" : "ruled");
  }
  // a 7 cropped tight, drawn with a pen 3 pixels wide: its bar spans the picture, and stays
  const seven = page(200, 300, 245, 20, (x, y) => (y >= 2 && y < 5) || (Math.abs(x - (198 - (y - 2) * 0.5)) < 1.5));
  const out = mnistPreprocess(seven)!;
  const bar = Array.from({ length: 28 }, (_, y) => out.slice(y * 28, y * 28 + 28).filter((v) => v > 200).length);
  assert.ok(Math.max(...bar) >= 10, `the bar is still there: strong pixels per row ${bar}`);
});

Deno.test("mnistPreprocess: a 12-megapixel photo is worked on at 1024 pixels: the result of the same picture at that size", () => {
  const small = page(1024, 768, 235, 40, ell(400, 300));
  // every pixel of the small picture as a 4 × 4 block: area averaging gives the small picture back exactly
  const big = page(4096, 3072, 235, 40, (x, y) => ell(400, 300)(Math.floor(x / 4), Math.floor(y / 4)));
  assert.deepEqual([...mnistPreprocess(big)!], [...mnistPreprocess(small)!]);
});

Deno.test("mnistPreprocess: noisy paper under uneven light does not shrink the digit", () => {
  const rng = new Random(3);
  const width = 600, height = 800;
  const photo = page(width, height, 0, 0, () => false);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      // light falling off by 25 levels across and 15 down, and grain of σ = 6 levels (a sum of 12 uniforms)
      let grain = -6;
      for (let k = 0; k < 12; k++) grain += rng.uniform();
      const paper = 225 + 25 * (x / width) - 15 * (y / height) + 6 * grain;
      photo.pixels[y * width + x] = ell(200, 300)(x, y) ? paper - 180 : paper;
    }
  }
  assert.deepEqual(
    boxSize(mnistPreprocess(photo)!),
    boxSize(mnistPreprocess(page(width, height, 235, 40, ell(200, 300)))!),
  );
});

Deno.test("mnistPreprocess: a blank page, a black page and paper texture without ink are null", () => {
  assert.equal(mnistPreprocess(page(100, 80, 255, 0, () => false)), null);
  assert.equal(mnistPreprocess(page(100, 80, 0, 0, () => false)), null);
  assert.equal(mnistPreprocess(page(28, 28, 0, 0, () => false)), null);
  const rng = new Random(1);
  const paper = page(200, 150, 0, 0, () => false);
  for (let i = 0; i < paper.pixels.length; i++) paper.pixels[i] = 200 + 20 * (rng.uniform() - 0.5); // ±10 levels
  assert.equal(mnistPreprocess(paper), null);
  // the same paper with a faint pencil mark 60 levels darker is not blank
  for (let y = 40; y < 110; y++) for (let x = 90; x < 100; x++) paper.pixels[y * 200 + x] -= 60;
  assert.notEqual(mnistPreprocess(paper), null);
});

Deno.test("mnistPreprocess: a data row passes through unchanged", () => {
  for (const row of testRows(20)) {
    const out = mnistPreprocess({ width: 28, height: 28, pixels: row })!;
    assert.deepEqual([...out], [...row]);
    assert.notEqual(out, row, "a copy, not the caller's array");
  }
});

Deno.test("mnistPreprocess: a data row inverted to dark on light comes back close to the row", () => {
  for (const row of testRows(20)) {
    const inverted = Float32Array.from(row, (v) => 255 - v);
    const out = mnistPreprocess({ width: 28, height: 28, pixels: inverted })!;
    let diff = 0, ink = 0;
    for (let i = 0; i < 784; i++) {
      diff += Math.abs(out[i] - row[i]);
      ink += row[i];
    }
    // the same digit, in the same place, up to re-scaling and a one-pixel re-centring
    assert.ok(diff / ink < 0.6, `relative difference ${diff / ink}`);
    assert.ok(Math.abs(centreOfMass(out, 28, 28).cx - centreOfMass(row, 28, 28).cx) < 1);
  }
});

Deno.test("mnistPreprocess: a 28 × 28 data row on a grey background is normalised like a large picture", () => {
  for (const grey of [40, 80, 120]) {
    for (const row of testRows(20)) {
      // the row's ink laid on grey paper: background grey, the strongest ink still 255
      const onGrey = Float32Array.from(row, (v) => grey + (v * (255 - grey)) / 255);
      const out = mnistPreprocess({ width: 28, height: 28, pixels: onGrey })!;
      assert.equal(
        backgroundLevel(borderBand({ width: 28, height: 28, pixels: out })),
        0,
        `grey ${grey}: background removed`,
      );
      assert.equal(Math.max(...out), 255, `grey ${grey}: contrast stretched`);
      let diff = 0, ink = 0;
      for (let i = 0; i < 784; i++) {
        diff += Math.abs(out[i] - row[i]);
        ink += row[i];
      }
      assert.ok(diff / ink < 0.6, `grey ${grey}: relative difference ${diff / ink}`);
    }
  }
});

Deno.test("mnistPreprocess: pen-thin strokes in a large picture are thickened to about MNIST's width", () => {
  // a "7" drawn with a 4-pixel pen in a 600 × 800 photo: 4 px × 20/500 would be 0.16 px in the 20 × 20 box
  const seven = page(600, 800, 245, 30, (x, y) =>
    (y >= 100 && y < 104 && x >= 100 && x < 420) || // the bar
    (Math.abs(x - (420 - (y - 100) * 0.45)) < 2.3 && y >= 100 && y < 600)); // the slanted stem
  const out = mnistPreprocess(seven)!;
  const width = strokeWidth(out, 28, 28);
  assert.ok(width > 0.7 * MNIST_STROKE && width < 1.6 * MNIST_STROKE, `stroke width ${width}`);
  assert.ok(Math.max(...out) > 254.5, "thickened strokes are at full strength");
  // strokes already as thick as MNIST's are left as they are: the bar's box is 4 × 20 as above, at full strength
  const bar = mnistPreprocess(page(300, 300, 255, 0, (x, y) => x >= 100 && x < 140 && y >= 50 && y < 250))!;
  assert.deepEqual(boxSize(bar), [4, 20]);
  assert.equal(bar.filter((v) => v > 0).length, 80);
});

/** A ring 90 wide and 150 tall (a 0), its box's top-left corner at (x0, y0). */
function ring(x0: number, y0: number) {
  return (x: number, y: number) => {
    const d = Math.hypot((x - x0 - 45) / 45, (y - y0 - 75) / 75);
    return d >= 0.75 && d < 1;
  };
}

/** A bar 20 wide and 150 tall (a 1), its top-left corner at (x0, y0). */
function bar(x0: number, y0: number) {
  return (x: number, y: number) => x >= x0 && x < x0 + 20 && y >= y0 && y < y0 + 150;
}

Deno.test("mnistDigits: a number's digits come out left to right, each as the picture of that digit alone gives it", () => {
  const shapes = [ell(60, 70), bar(230, 60), ring(330, 80)];
  const number = page(520, 300, 245, 15, (x, y) => shapes.some((s) => s(x, y)));
  const digits = mnistDigits(number);
  assert.equal(digits.length, 3);
  shapes.forEach((shape, k) => {
    assert.deepEqual(digits[k], mnistPreprocess(page(520, 300, 245, 15, shape)), `digit ${k + 1}`);
  });
  // the number's one digit for mnistPreprocess is the one with the most ink: the L
  assert.deepEqual(mnistPreprocess(number), digits[0]);
  // light ink on dark paper, and a picture of one digit: one image, mnistPreprocess's
  assert.equal(mnistDigits(page(520, 300, 15, 245, (x, y) => shapes.some((s) => s(x, y)))).length, 3);
  assert.deepEqual(mnistDigits(page(520, 300, 245, 15, ell(60, 70))), [
    mnistPreprocess(page(520, 300, 245, 15, ell(60, 70))),
  ]);
  assert.deepEqual(mnistDigits(page(300, 200, 245, 245, () => false)), []);
});

Deno.test("mnistDigits: the pieces of one digit stay one digit; a dot beside a digit is no digit of its own", () => {
  const one = (mask: (x: number, y: number) => boolean) => mnistDigits(page(400, 300, 245, 15, mask)).length;
  // the L's foot cut off from its stem by a 6-pixel gap: one above the other
  assert.equal(one((x, y) => ell(60, 70)(x, y) && !(y >= 189 && y < 195)), 1);
  // a bar that the pen broke along its length: two halves side by side, 2 pixels apart (a 150-pixel digit)
  assert.equal(one((x, y) => x >= 100 && x < 122 && x !== 110 && x !== 111 && y >= 60 && y < 210), 1);
  // a 5's bar drawn apart from its body, 10 pixels above it
  assert.equal(one((x, y) => (x >= 100 && x < 190 && y >= 60 && y < 75) || ring(100, 85)(x, y)), 1);
  // a dot beside a digit, and a dash: no digit of their own
  const dot = (x: number, y: number) => Math.hypot(x - 180, y - 200) < 6;
  assert.equal(one((x, y) => ring(60, 70)(x, y) || dot(x, y)), 1);
  assert.equal(one((x, y) => ring(60, 70)(x, y) || (x >= 200 && x < 240 && y >= 140 && y < 150)), 1);
  // a 1 beside a 0, 30 pixels apart: two digits, however thin the 1 is next to the 0
  assert.equal(one((x, y) => ring(60, 70)(x, y) || (x >= 180 && x < 188 && y >= 70 && y < 220)), 2);
});

Deno.test("resize: shrinking averages areas (the mean is kept), growing is bilinear (a ramp stays a ramp)", () => {
  const rng = new Random(3);
  const src = Float32Array.from({ length: 37 * 23 }, () => 255 * rng.uniform());
  const small = resize(src, 37, 23, 11, 7);
  const mean = (a: Float32Array) => a.reduce((s, v) => s + v, 0) / a.length;
  assert.ok(Math.abs(mean(small) - mean(src)) < 1e-3, `${mean(small)} vs ${mean(src)}`);
  const ramp = resize(new Float32Array([0, 10, 20, 30]), 4, 1, 8, 1);
  // output pixel centres map to input positions -0.25, 0.25, … 3.25; clamped at the ends
  assert.deepEqual([...ramp].map((v) => Math.round(v * 100) / 100), [0, 2.5, 7.5, 12.5, 17.5, 22.5, 27.5, 30]);
  assert.deepEqual([...resize(new Float32Array([7]), 1, 1, 3, 2)], [7, 7, 7, 7, 7, 7]);
});

Deno.test("strokeWidth and inkBoundingBox on known shapes", () => {
  const square: GrayImage = page(30, 30, 0, 255, (x, y) => x >= 10 && x < 20 && y >= 5 && y < 15);
  assert.equal(strokeWidth(square.pixels, 30, 30), 5); // 2·100/40
  assert.deepEqual(inkBoundingBox(square.pixels, 30, 30), { x0: 10, y0: 5, x1: 20, y1: 15 });
  assert.equal(strokeWidth(new Float32Array(9), 3, 3), 0);
  assert.equal(inkBoundingBox(new Float32Array(9), 3, 3), null);
});
