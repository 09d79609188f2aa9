/// <reference lib="dom" />
/**
 * The tutorial notebooks as a reader sees them, in Chromium (playwright-core):
 *
 * 1. in the classic Notebook started by `deno task notebook` (the task's own
 *    command line and permissions, stopped with SIGINT as by Ctrl-C): each
 *    notebook opened as saved, before anything runs (so untrusted: a fresh
 *    private Jupyter home has no trust database), then run through the
 *    client's own menu, Kernel → Restart & Run All, until the kernel is idle;
 * 2. in nbconvert's HTML export of each saved notebook, opened as a file.
 *
 * Each time: no error output, and every picture output of the notebook is on
 * the page, loaded, of non-zero size and not blank (the element's screenshot
 * holds many colours, a blank box one or two). The kernel runs on a scratch
 * copy (`notebooks/.client-test-NAME`, in the same folder so that relative
 * imports resolve), so the saved notebooks are left as they are. A
 * screenshot of each notebook goes to test-artifacts/.
 *
 * Also: the user's own Jupyter kernel registration is left alone, and the
 * server's Deno kernel is the deno running these tests.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { Browser, Page } from "playwright-core";
import { listNotebooks, NOTEBOOK_DIR, pythonPath } from "../scripts/notebooks.ts";
import { distinctColours, launchBrowser } from "./chromium.ts";
import { taskArgv } from "./task.ts";

const ARTIFACTS = new URL("../test-artifacts/", import.meta.url).pathname;
const ROOT = new URL("..", import.meta.url).pathname;
const options = { sanitizeOps: false, sanitizeResources: false };
/** Fewer colours than this in a picture's screenshot is a blank (or broken) picture. */
const MIN_COLOURS = 8;
/** How long one notebook may take to run all its cells in the client. */
const RUN_TIMEOUT_MS = 600_000;

interface Output {
  output_type: string;
  data?: Record<string, unknown>;
  ename?: string;
  evalue?: string;
}
interface Cell {
  cell_type: string;
  source: string | string[];
  outputs?: Output[];
}

/** The few members of the classic Notebook's page objects used here. */
interface ClassicCell {
  cell_type: string;
  input_prompt_number: unknown;
  output_area?: { outputs: Output[] };
  get_text(): string;
}
interface ClassicNotebook {
  _fully_loaded?: boolean;
  trusted: boolean;
  kernel?: { is_connected?(): boolean };
  get_cells(): ClassicCell[];
}
type ClassicWindow = { Jupyter?: { notebook?: ClassicNotebook } };

const isPicture = (o: Output) =>
  o.data !== undefined && ["image/png", "image/svg+xml", "image/jpeg"].some((type) => type in o.data!);

function savedOutputs(name: string): Output[] {
  const cells = JSON.parse(Deno.readTextFileSync(`${NOTEBOOK_DIR}/${name}`)).cells as Cell[];
  return cells.flatMap((c) => c.outputs ?? []);
}

/** `deno task notebook --port 0` in a private Jupyter home; resolves once it prints its URL. */
async function startNotebookTask(home: string) {
  const child = new Deno.Command(Deno.execPath(), {
    args: [...taskArgv("notebook"), "--port", "0"],
    cwd: ROOT,
    env: {
      NO_COLOR: "1",
      JUPYTER_CONFIG_DIR: `${home}/config`,
      JUPYTER_DATA_DIR: `${home}/data`,
      JUPYTER_RUNTIME_DIR: `${home}/runtime`,
    },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let log = "";
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) log += decoder.decode(chunk, { stream: true });
  };
  const pumps = Promise.all([pump(child.stdout), pump(child.stderr)]);
  let code: number | undefined;
  const exited = child.status.then((s) => (code = s.code));
  const stop = async () => {
    try {
      child.kill("SIGINT"); // as Ctrl-C
    } catch { /* already exited */ }
    await exited;
    await pumps;
  };
  const deadline = Date.now() + 180_000;
  while (true) {
    const match = log.match(/(http:\/\/127\.0\.0\.1:\d+)\/tree\?token=([0-9a-f]+)/);
    if (match) return { base: match[1], token: match[2], log: () => log, stop, exitCode: () => code };
    if (code !== undefined) throw new Error(`deno task notebook exited (${code}) before serving:\n${log}`);
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`deno task notebook printed no URL within 180 s:\n${log}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/**
 * Checks every picture output on the page (`selector` matches the element
 * holding one output): `expected` of them, each holding a loaded image or an
 * SVG, of non-zero size and not blank.
 */
async function checkPictures(page: Page, selector: string, expected: number, where: string): Promise<void> {
  const pictures = await page.locator(selector).all();
  assert.equal(pictures.length, expected, `${where}: ${pictures.length} pictures on the page, ${expected} outputs`);
  for (const [k, picture] of pictures.entries()) {
    await picture.scrollIntoViewIfNeeded();
    const loaded = await picture.evaluate((el) => {
      const images = [...el.querySelectorAll("img")];
      return (images.length > 0 || el.querySelector("svg") !== null) &&
        images.every((img) => img.complete && img.naturalWidth > 0);
    });
    assert.ok(loaded, `${where}: picture ${k + 1} holds no loaded image`);
    const box = await picture.boundingBox();
    assert.ok(box && box.width >= 1 && box.height >= 1, `${where}: picture ${k + 1} has size ${JSON.stringify(box)}`);
    const colours = distinctColours(await picture.screenshot());
    assert.ok(colours >= MIN_COLOURS, `${where}: picture ${k + 1} looks blank (${colours} colours)`);
  }
}

/**
 * A screenshot of the whole notebook: the classic Notebook scrolls inside its
 * own panel, so the window is made as tall as the notebook (up to 20000 px).
 */
async function screenshotNotebook(page: Page, path: string): Promise<void> {
  const viewport = page.viewportSize()!;
  const height = await page.evaluate(() =>
    Math.min(20_000, (document.querySelector("#notebook")?.scrollHeight ?? 0) + 150)
  );
  await page.setViewportSize({ width: viewport.width, height: Math.max(height, viewport.height) });
  await page.waitForTimeout(300); // the page re-lays out on resize
  await page.screenshot({ path });
  await page.setViewportSize(viewport);
}

/** The classic Notebook's picture outputs. */
const CLASSIC_PICTURES = ".output_area .output_png, .output_area .output_jpeg, .output_area .output_svg";
/** nbconvert's (JupyterLab-style) picture outputs. */
const EXPORT_PICTURES = ".jp-OutputArea-output.jp-RenderedImage, .jp-OutputArea-output.jp-RenderedSVG";

/** Restart & Run All from the Kernel menu; resolves when every cell has run and the kernel is idle. */
async function restartAndRunAll(page: Page): Promise<void> {
  await page.waitForFunction(
    () => {
      // deno-lint-ignore no-explicit-any
      const nb = (window as any).Jupyter?.notebook;
      return nb?.kernel?.is_connected?.() === true;
    },
    null,
    { timeout: 120_000 },
  );
  await page.click("#kernellink");
  await page.click("#restart_run_all > a");
  await page.click(".modal-dialog .modal-footer button.btn-danger"); // "Restart and Run All Cells"
  const prompts = () =>
    (window as unknown as ClassicWindow).Jupyter!.notebook!.get_cells()
      .filter((c) => c.cell_type === "code" && c.get_text().trim() !== "")
      .map((c) => c.input_prompt_number);
  // first every cell is queued ("*"), then none is, and the kernel is idle
  await page.waitForFunction(`(${prompts})().includes("*")`, null, { timeout: 120_000 });
  await page.waitForFunction(
    `!(${prompts})().includes("*") && document.querySelector("#kernel_indicator_icon.kernel_idle_icon") !== null`,
    null,
    { timeout: RUN_TIMEOUT_MS, polling: 500 },
  );
  const numbers = await page.evaluate(`(${prompts})()`) as unknown[];
  assert.ok(numbers.every((n) => typeof n === "number"), `cells left unrun: prompts ${JSON.stringify(numbers)}`);
  await page.waitForTimeout(1000); // outputs the kernel sends just after it reports idle
}

Deno.test(
  "notebooks in the classic Notebook (deno task notebook): as saved and after Restart & Run All, every picture shows",
  options,
  async (t) => {
    const home = await Deno.makeTempDir({ prefix: "minimnist-jupyter-" });
    // a kernel the user registered: the task must leave it as it is
    const userKernel = `${home}/data/kernels/deno/kernel.json`;
    await Deno.mkdir(`${home}/data/kernels/deno`, { recursive: true });
    const userSpec = JSON.stringify({
      argv: ["/opt/other/deno", "jupyter", "--kernel", "--conn", "{connection_file}"],
    });
    await Deno.writeTextFile(userKernel, userSpec);
    // serve the scratch copies (dot files, hidden by default)
    await Deno.mkdir(`${home}/config`, { recursive: true });
    await Deno.writeTextFile(
      `${home}/config/jupyter_notebook_config.json`,
      JSON.stringify({ ContentsManager: { allow_hidden: true } }),
    );
    await Deno.mkdir(ARTIFACTS, { recursive: true });
    const copies: string[] = [];
    const checkpoints = `${NOTEBOOK_DIR}/.ipynb_checkpoints`; // the Notebook makes it on opening a notebook
    const hadCheckpoints = await Deno.stat(checkpoints).then(() => true, () => false);
    const server = await startNotebookTask(home);
    let browser: Browser | undefined;
    try {
      const specs = await (await fetch(`${server.base}/api/kernelspecs?token=${server.token}`)).json();
      assert.equal(specs.kernelspecs.deno.spec.argv[0], Deno.execPath(), "the server's Deno kernel");
      assert.equal(await Deno.readTextFile(userKernel), userSpec, "the user's kernelspec was changed");

      browser = await launchBrowser();
      const page = await (await browser.newContext({ viewport: { width: 1200, height: 900 } })).newPage();
      page.setDefaultTimeout(120_000); // a loaded machine can be slow to serve and draw a page
      const pageErrors: string[] = [];
      page.on("pageerror", (error) => pageErrors.push(error.message));
      for (const name of listNotebooks()) {
        await t.step(name, async () => {
          const copy = `.client-test-${name}`;
          await Deno.copyFile(`${NOTEBOOK_DIR}/${name}`, `${NOTEBOOK_DIR}/${copy}`);
          copies.push(`${NOTEBOOK_DIR}/${copy}`);
          const saved = savedOutputs(name);
          assert.deepEqual(saved.filter((o) => o.output_type === "error").map((o) => o.ename), [], "saved errors");

          await page.goto(`${server.base}/notebooks/${copy}?token=${server.token}`, { waitUntil: "domcontentloaded" });
          // deno-lint-ignore no-explicit-any
          await page.waitForFunction(() => (window as any).Jupyter?.notebook?._fully_loaded === true, null, {
            timeout: 60_000,
          });
          // deno-lint-ignore no-explicit-any
          assert.equal(await page.evaluate(() => (window as any).Jupyter.notebook.trusted), false, "opened untrusted");
          await checkPictures(page, CLASSIC_PICTURES, saved.filter(isPicture).length, `${name} as saved`);

          await restartAndRunAll(page);
          const outputs = await page.evaluate(() =>
            // deno-lint-ignore no-explicit-any
            (window as any).Jupyter.notebook.get_cells().flatMap((c: any) => c.output_area?.outputs ?? [])
          ) as Output[];
          const errors = outputs.filter((o) => o.output_type === "error").map((o) => `${o.ename}: ${o.evalue}`);
          assert.deepEqual(errors, [], `${name}: error outputs after Restart & Run All`);
          const pictures = outputs.filter(isPicture).length;
          assert.equal(pictures, saved.filter(isPicture).length, `${name}: pictures after the run vs as saved`);
          await checkPictures(page, CLASSIC_PICTURES, pictures, `${name} after Restart & Run All`);
          await screenshotNotebook(page, `${ARTIFACTS}notebook-${name.replace(/\.ipynb$/, "")}.png`);
        });
      }
      assert.deepEqual(pageErrors, [], "the Notebook page threw");
    } finally {
      await browser?.close();
      await server.stop();
      for (const copy of copies) await Deno.remove(copy).catch(() => {});
      for (const entry of await Array.fromAsync(Deno.readDir(checkpoints)).catch(() => [])) {
        if (entry.name.startsWith(".client-test-")) await Deno.remove(`${checkpoints}/${entry.name}`);
      }
      if (!hadCheckpoints) await Deno.remove(checkpoints).catch(() => {}); // only when left empty
      await Deno.remove(home, { recursive: true });
    }
    assert.match(server.log(), /stopped\s*$/, "Ctrl-C stops the task cleanly");
    assert.equal(server.exitCode(), 0);
  },
);

Deno.test("notebooks in nbconvert's HTML export: every picture shows", options, async () => {
  const out = await Deno.makeTempDir({ prefix: "minimnist-nbconvert-" });
  let browser: Browser | undefined;
  try {
    const names = listNotebooks();
    const convert = await new Deno.Command(pythonPath(), {
      args: ["-m", "nbconvert", "--to", "html", "--output-dir", out, ...names.map((n) => `${NOTEBOOK_DIR}/${n}`)],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.ok(
      convert.success,
      `nbconvert failed (Debian: apt-get install python3-nbconvert):\n${new TextDecoder().decode(convert.stderr)}`,
    );
    await Deno.mkdir(ARTIFACTS, { recursive: true });
    browser = await launchBrowser();
    const page = await (await browser.newContext({ viewport: { width: 1200, height: 900 } })).newPage();
    page.setDefaultTimeout(120_000);
    for (const name of names) {
      const stem = name.replace(/\.ipynb$/, "");
      await page.goto(`file://${out}/${stem}.html`);
      const expected = savedOutputs(name).filter(isPicture).length;
      await checkPictures(
        page,
        EXPORT_PICTURES,
        expected,
        `${name} exported to HTML`,
      );
      await page.screenshot({ fullPage: true, path: `${ARTIFACTS}nbconvert-${stem}.png` });
    }
  } finally {
    await browser?.close();
    await Deno.remove(out, { recursive: true });
  }
});
