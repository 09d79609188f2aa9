import assert from "node:assert/strict";
import { REPOSITORY_ROOT } from "./task.ts";

Deno.test("docs: deno doc --lint finds no undocumented export, member or private type in lib/mod.ts's API", async () => {
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["doc", "--lint", "lib/mod.ts"],
    cwd: REPOSITORY_ROOT,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(stderr);
  // warnings about an npm package's own types (@types/node) are not ours; errors are
  const errors = text.split("\n").filter((line) => /^error/.test(line));
  assert.deepEqual(errors, [], text.slice(0, 4000));
  assert.equal(code, 0, text.slice(0, 4000));
});
