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

Deno.test("writeFileAtomic: a write the file system refuses names the target, not its temporary file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/file`, "x");
    // a file where a folder should be
    for (const target of [`${dir}/file/model.safetensors`, `${dir}/file/sub/model.safetensors`]) {
      await assert.rejects(writeFileAtomic(target, "data"), (e: Error) => {
        assert.ok(e instanceof InputError, `${e}`);
        assert.ok(e.message.startsWith(`${target} could not be written: `), e.message);
        assert.doesNotMatch(e.message, /\.tmp|\n/);
        return true;
      });
    }
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["file"], "nothing left beside it");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
