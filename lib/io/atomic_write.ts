/**
 * Writing a file so that nobody ever sees half of it: the data goes to a
 * temporary file in the same folder, which is then renamed over the target (a
 * rename within one file system is atomic). If anything fails, the temporary
 * file is removed and the target is left as it was. A target that is a folder
 * is refused before anything is written.
 *
 * @module
 */

import { InputError, osReason } from "../errors.ts";

/**
 * Writes `data` (bytes, or text as UTF-8) to `path` atomically. A `path` that
 * names a folder (an existing one, or any path ending in "/") is an
 * {@linkcode InputError}.
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
  if (await isFolder(path)) throw new InputError(`${path} is a folder, not a file name`);
  const temp = `${path}.${Deno.pid}.${crypto.randomUUID().slice(0, 8)}.tmp`;
  try {
    if (typeof data === "string") await Deno.writeTextFile(temp, data);
    else await Deno.writeFile(temp, data);
    await Deno.rename(temp, path);
  } catch (error) {
    await Deno.remove(temp).catch(() => {});
    if (error instanceof Deno.errors.NotCapable) throw error; // the program's own permissions: its caller says so
    // the file system refused (no right to write there, a full disk, …): name the file, not the temporary one
    throw new InputError(`${path} could not be written: ${osReason(error)}`);
  }
}

/**
 * Whether `path` names a folder: it ends in "/" or an existing folder is
 * there. A path that does not exist yet is not a folder.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isFolder } from "./atomic_write.ts";
 * const dir = await Deno.makeTempDir();
 * assert.equal(await isFolder(dir), true);
 * assert.equal(await isFolder(`${dir}/new/`), true);
 * assert.equal(await isFolder(`${dir}/model.safetensors`), false);
 * await Deno.remove(dir);
 * ```
 */
export async function isFolder(path: string): Promise<boolean> {
  if (path.endsWith("/")) return true;
  try {
    return (await Deno.stat(path)).isDirectory;
  } catch (error) {
    // nothing there, or a file on the way: not a folder (writing there fails, with its own message)
    if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory) return false;
    throw error;
  }
}
