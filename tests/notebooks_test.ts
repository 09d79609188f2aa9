/**
 * The tutorial notebooks: each one executed top to bottom in the real Deno
 * Jupyter kernel (Jupyter's nbclient driving `deno jupyter --kernel`), on a
 * temporary copy so the saved notebook is left as it is. A failing cell fails
 * its test with the notebook's name, the cell's index and the error.
 *
 * Set-up happens here, once per run: Python must import nbclient and
 * jupyter_client — when it cannot, every notebook test FAILS (not skips) with
 * what to install (`apt-get install python3-nbclient jupyter-client`) — and
 * `deno jupyter --install --force` registers the kernel for the very deno that
 * runs these tests (on a fresh machine, the one `npx -y deno@2.9.6` unpacked).
 *
 * Also checked without a kernel: the saved notebooks' shape (numbering, Deno
 * kernelspec, prose, outputs, pictures) and the picture helpers of
 * notebooks/plot.ts.
 */

import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { PNG } from "pngjs";
import * as Plot from "@observablehq/plot";
import { chart, digitPng, gallery, JUPYTER_DISPLAY } from "../notebooks/plot.ts";
import {
  describeFailure,
  executeNotebook,
  installKernel,
  listNotebooks,
  NOTEBOOK_DIR,
  requireJupyterClient,
} from "../scripts/notebooks.ts";

interface Output {
  output_type: string;
  data?: Record<string, unknown>;
  ename?: string;
}
interface Cell {
  cell_type: "code" | "markdown" | "raw";
  source: string | string[];
  outputs?: Output[];
  execution_count?: number | null;
}
interface Notebook {
  cells: Cell[];
  metadata: { kernelspec?: { name?: string; language?: string } };
}

const notebooks = listNotebooks();

function readNotebook(path: string): Notebook {
  return JSON.parse(Deno.readTextFileSync(path)) as Notebook;
}

const isPicture = (o: Output) => o.data !== undefined && ("image/svg+xml" in o.data || "image/png" in o.data);

/** Per code cell, the kinds of its outputs ("text", "picture", "error"). */
function outputKinds(nb: Notebook): string[][] {
  return nb.cells.filter((c) => c.cell_type === "code").map((c) =>
    (c.outputs ?? []).map((o) => (o.output_type === "error" ? "error" : isPicture(o) ? "picture" : "text"))
  );
}

let ready: Promise<void> | undefined;
/** Once per run: Jupyter's client importable (or a failure saying what to install), the kernel registered. */
function setUp(): Promise<void> {
  ready ??= (async () => {
    await requireJupyterClient();
    await installKernel(Deno.execPath());
  })();
  return ready;
}

Deno.test("notebooks: five or more, numbered, Deno kernel, prose, saved with outputs and ≥ 8 pictures in all", () => {
  assert.ok(notebooks.length >= 5, `expected at least 5 notebooks in ${NOTEBOOK_DIR}, found ${notebooks.length}`);
  let pictures = 0;
  let previous = 0;
  notebooks.forEach((name, k) => {
    // numbered 01, 02, … in reading order; a number may be left free for a chapter written elsewhere
    assert.match(name, /^\d\d_[a-z0-9_]+\.ipynb$/, `notebook ${k + 1} is named ${name}`);
    const number = Number(name.slice(0, 2));
    assert.ok(number > previous && (k > 0 || number === 1), `notebook ${name} is out of order or repeats a number`);
    previous = number;
    const nb = readNotebook(`${NOTEBOOK_DIR}/${name}`);
    assert.equal(nb.metadata.kernelspec?.name, "deno", `${name}: kernelspec`);
    assert.equal(nb.metadata.kernelspec?.language, "typescript", `${name}: kernel language`);
    const markdown = nb.cells.filter((c) => c.cell_type === "markdown").length;
    assert.ok(markdown >= 4, `${name}: ${markdown} Markdown cells, expected at least 4`);
    const code = nb.cells.filter((c) => c.cell_type === "code");
    const source = code.map((c) => (Array.isArray(c.source) ? c.source.join("") : c.source)).join("\n");
    assert.ok(
      source.includes(`from "../lib/mod.ts"`),
      `${name}: does not import the implementation from ../lib/mod.ts`,
    );
    code.forEach((c, i) => {
      assert.ok(typeof c.execution_count === "number", `${name}: code cell ${i} was saved without being run`);
      const errors = (c.outputs ?? []).filter((o) => o.output_type === "error");
      assert.equal(errors.length, 0, `${name}: code cell ${i} was saved with an error (${errors[0]?.ename})`);
    });
    pictures += code.flatMap((c) => c.outputs ?? []).filter(isPicture).length;
  });
  assert.ok(pictures >= 8, `the saved notebooks show ${pictures} pictures, expected at least 8`);
});

for (const name of notebooks) {
  Deno.test(`notebook ${name} runs top to bottom in the Deno Jupyter kernel`, async () => {
    await setUp();
    const dir = await Deno.makeTempDir({ prefix: "minimnist-notebook-" });
    try {
      const copy = `${dir}/${name}`;
      const executed = `${dir}/executed.ipynb`;
      await Deno.copyFile(`${NOTEBOOK_DIR}/${name}`, copy);
      // Cells run in notebooks/, as in JupyterLab, so ../lib and ../data resolve; the copy is what gets executed.
      const run = await executeNotebook(copy, { cwd: NOTEBOOK_DIR, output: executed });
      if (!run.ok) assert.fail(describeFailure(run));
      const fresh = readNotebook(executed);
      assert.deepEqual(
        outputKinds(fresh),
        outputKinds(readNotebook(`${NOTEBOOK_DIR}/${name}`)),
        `${name}: the saved outputs differ in kind from a fresh run; re-run \`deno task notebooks\``,
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("notebook runner: a failing cell is reported with the notebook's name, the cell's index and the error", async () => {
  await setUp();
  const dir = await Deno.makeTempDir({ prefix: "minimnist-notebook-" });
  try {
    const cell = (type: string, source: string) =>
      type === "code"
        ? { cell_type: type, metadata: {}, source, outputs: [], execution_count: null }
        : { cell_type: type, metadata: {}, source };
    const nb = {
      nbformat: 4,
      nbformat_minor: 4,
      metadata: { kernelspec: { name: "deno", display_name: "Deno", language: "typescript" } },
      cells: [
        cell("markdown", "# broken on purpose"),
        cell("code", `import { PIXELS } from "../lib/mod.ts";\nconst n = PIXELS;`),
        cell("code", `if (n === 784) throw new RangeError("cell two fails, as intended");`),
        cell("code", `console.log("never reached");`),
      ],
    };
    const path = `${dir}/broken.ipynb`;
    await Deno.writeTextFile(path, JSON.stringify(nb));
    const run = await executeNotebook(path, { cwd: NOTEBOOK_DIR });
    assert.equal(run.ok, false);
    if (run.ok) return;
    assert.equal(run.notebook, "broken.ipynb");
    assert.equal(run.cell, 2);
    assert.match(run.error, /RangeError: cell two fails, as intended/);
    assert.match(describeFailure(run), /^broken\.ipynb, cell 2: /);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("notebooks/plot.ts: digitPng draws ink dark on white, each pixel as a scale × scale square", () => {
  const values = new Float32Array(784);
  values[0] = 1; // top-left pixel: full ink
  values[29] = 0.5; // row 1, column 1: half ink
  const png = PNG.sync.read(Buffer.from(digitPng(values, 3)));
  assert.equal(png.width, 84);
  assert.equal(png.height, 84);
  const gray = (x: number, y: number) => png.data[(y * 84 + x) * 4];
  assert.equal(gray(0, 0), 0);
  assert.equal(gray(2, 2), 0); // still the same image pixel
  assert.equal(gray(3, 3), 128); // round(255 · (1 − 0.5))
  assert.equal(gray(3, 0), 255); // blank paper
  assert.throws(() => digitPng(new Float32Array(10)), RangeError);
});

Deno.test("notebooks/plot.ts: charts and galleries are standalone SVG documents with a text description", () => {
  const bars = chart("three bars", { marks: [Plot.barY([3, 1, 2])] });
  assert.match(bars.svg, /^<svg[^>]* xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  assert.equal(bars[JUPYTER_DISPLAY]()["text/plain"], "three bars");
  assert.equal(JUPYTER_DISPLAY, Symbol.for("Jupyter.display")); // the key the Deno kernel looks for
  assert.equal((bars.svg.match(/<rect/g) ?? []).length, 4); // the white background and three bars
  assert.throws(() => chart("with a legend", { color: { legend: true }, marks: [Plot.dot([1], { fill: () => "a" })] }));
  const tiles = [{ values: new Float32Array(784), caption: "a & b" }, { values: new Float32Array(784).fill(0.5) }];
  const pic = gallery("two digits", tiles, { columns: 1 });
  assert.equal((pic.svg.match(/data:image\/png;base64,/g) ?? []).length, 4); // href and xlink:href for each
  assert.ok(pic.svg.includes("a &amp; b"));
  assert.match(pic.svg, /height="/);
});
