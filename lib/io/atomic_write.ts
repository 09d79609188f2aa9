/**
 * Writing a file so that nobody ever sees half of it: the data goes to a
 * temporary file in the same folder, which is then renamed over the target (a
 * rename within one file system is atomic). If anything fails, the temporary
 * file is removed and the target is left as it was.
 *
 * @module
 */

/**
 * Writes `data` (bytes, or text as UTF-8) to `path` atomically.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { writeFileAtomic } from "./atomic_write.ts";
 * const dir = await Deno.makeTempDir();
 * await writeFileAtomic(`${dir}/a.txt`, "first");
 * await writeFileAtomic(`${dir}/a.txt`, "second");
 * assert.equal(await Deno.readTextFile(`${dir}/a.txt`), "second");
 * assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["a.txt"]); // no temporary file left
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const temp = `${path}.${Deno.pid}.${crypto.randomUUID().slice(0, 8)}.tmp`;
  try {
    if (typeof data === "string") await Deno.writeTextFile(temp, data);
    else await Deno.writeFile(temp, data);
    await Deno.rename(temp, path);
  } catch (error) {
    await Deno.remove(temp).catch(() => {});
    throw error;
  }
}
