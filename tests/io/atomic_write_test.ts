import assert from "node:assert/strict";
import { isFolder, writeFileAtomic } from "../../lib/io/atomic_write.ts";
import { InputError } from "../../lib/errors.ts";

Deno.test("writeFileAtomic: a folder as the target is refused before anything is written", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${dir}/models`);
    await Deno.writeTextFile(`${dir}/models/keep.txt`, "x");
    for (const target of [`${dir}/models`, `${dir}/models/`, `${dir}/new/`]) {
      await assert.rejects(writeFileAtomic(target, "data"), (e: Error) => {
        assert.ok(e instanceof InputError, `${e}`);
        assert.match(e.message, /is a folder, not a file name/);
        return true;
      });
    }
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["models"], "no temporary file beside it");
    assert.deepEqual([...Deno.readDirSync(`${dir}/models`)].map((e) => e.name), ["keep.txt"]);
    assert.equal(await isFolder(`${dir}/models/keep.txt`), false);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
