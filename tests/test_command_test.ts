/**
 * How the project's tests are run by hand (README, "Tests"): the permissions
 * live once in deno.json's `test.permissions`, so `deno test -P` runs them and
 * plain `deno test` stops at once with Deno's own pointer to `-P`, rather than
 * failing file after file with NotCapable.
 */
import assert from "node:assert/strict";

const ROOT = new URL("..", import.meta.url);

Deno.test("plain `deno test` stops before running anything and points to -P", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["test"],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdin: "null",
  }).output();
  const text = new TextDecoder().decode(out.stderr) + new TextDecoder().decode(out.stdout);
  assert.notEqual(out.code, 0);
  assert.match(text, /Did you mean to run with `-P`/);
  assert.doesNotMatch(text, /NotCapable/);
  assert.doesNotMatch(text, /running \d+ test/);
});

Deno.test("deno.json declares the test permissions once, and the test runner uses -P", () => {
  const config = JSON.parse(Deno.readTextFileSync(new URL("deno.json", ROOT)));
  assert.equal(typeof config.test?.permissions, "object");
  const runner = Deno.readTextFileSync(new URL("scripts/test.ts", ROOT));
  assert.match(runner, /"test", "-P", "--doc"/);
  assert.doesNotMatch(runner, /--allow-(read|write|net|ffi)/);
});
