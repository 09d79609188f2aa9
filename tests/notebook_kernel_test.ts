/**
 * The Deno kernel is registered in the project (`.jupyter/`, through
 * `JUPYTER_PATH`), not for the user: `deno task notebooks` and
 * `deno task notebook` leave a kernelspec the user registered as it is, and
 * Jupyter still picks the project's, which starts the deno running them.
 */

import assert from "node:assert/strict";
import { JUPYTER_DIR, jupyterEnv, pythonPath } from "../scripts/notebooks.ts";

const ROOT = new URL("..", import.meta.url).pathname;

Deno.test("installKernel writes the project's kernelspec and leaves the user's registration alone", async () => {
  const home = await Deno.makeTempDir({ prefix: "minimnist-home-" });
  try {
    const userSpec = `${home}/.local/share/jupyter/kernels/deno/kernel.json`;
    await Deno.mkdir(userSpec.replace(/\/kernel\.json$/, ""), { recursive: true });
    const planted = JSON.stringify({ argv: ["/opt/other/deno", "jupyter", "--kernel", "--conn", "{connection_file}"] });
    await Deno.writeTextFile(userSpec, planted);
    // in a child process whose HOME is the scratch folder, as a user's shell would be
    const code = `import { installKernel } from "${ROOT}scripts/notebooks.ts"; console.log(await installKernel());`;
    const run = await new Deno.Command(Deno.execPath(), {
      args: ["eval", code],
      cwd: ROOT,
      env: { HOME: home, XDG_DATA_HOME: `${home}/.local/share` },
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.ok(run.success, new TextDecoder().decode(run.stderr));
    const written = new TextDecoder().decode(run.stdout).trim();
    assert.equal(written, `${JUPYTER_DIR}/kernels/deno/kernel.json`);
    assert.equal(await Deno.readTextFile(userSpec), planted, "the user's kernelspec was rewritten");
    const spec = JSON.parse(await Deno.readTextFile(written));
    assert.deepEqual(spec.argv, [Deno.execPath(), "jupyter", "--kernel", "--conn", "{connection_file}"]);

    // Jupyter (Python) finds the project's kernelspec before the user's
    const lookup = await new Deno.Command(pythonPath(), {
      args: [
        "-c",
        "from jupyter_client.kernelspec import KernelSpecManager as K; print(K().get_kernel_spec('deno').argv[0])",
      ],
      env: { ...jupyterEnv(), HOME: home, JUPYTER_DATA_DIR: `${home}/.local/share/jupyter` },
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.ok(lookup.success, new TextDecoder().decode(lookup.stderr));
    assert.equal(new TextDecoder().decode(lookup.stdout).trim(), Deno.execPath());
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});
