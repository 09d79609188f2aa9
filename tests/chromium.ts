/**
 * Headless Chromium for the browser tests: playwright-core driving Debian's
 * Chromium (`/usr/bin/chromium`, or `$CHROMIUM`), and a way to tell a blank
 * picture from a drawn one.
 *
 * @module
 */

import fs from "node:fs";
import { Buffer } from "node:buffer";
import { PNG } from "pngjs";
import type { Browser } from "playwright-core";

/** The Chromium binary the tests drive. */
export const CHROMIUM: string = Deno.env.get("CHROMIUM") ?? "/usr/bin/chromium";
const CHROMIUM_FLAGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

/** Launches headless Chromium; fails with what to do when it is not installed. */
export async function launchBrowser(): Promise<Browser> {
  try {
    Deno.statSync(CHROMIUM);
  } catch {
    throw new Error(
      `Chromium is not installed at ${CHROMIUM}: the browser tests need it. Install it with ` +
        "`apt-get install chromium` (deno task test does this), or set CHROMIUM to its path.",
    );
  }
  // playwright-core asks at load time whether it runs under WSL by probing
  // /proc/sys/fs/binfmt_misc/WSLInterop, which Deno's permissions refuse
  // without --allow-all; a refused probe means "no", as it does in Node.
  const existsSync = fs.existsSync;
  fs.existsSync = ((path: fs.PathLike) => {
    try {
      return existsSync(path);
    } catch {
      return false;
    }
  }) as typeof fs.existsSync;
  const { chromium } = await import("playwright-core");
  return await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS });
}

/** How many different RGBA colours a PNG (e.g. an element's screenshot) holds: 1 for a blank box. */
export function distinctColours(png: Uint8Array): number {
  const image = PNG.sync.read(Buffer.from(png));
  const colours = new Set<number>();
  const view = new DataView(image.data.buffer, image.data.byteOffset, image.data.byteLength);
  for (let o = 0; o + 4 <= image.data.length; o += 4) colours.add(view.getUint32(o));
  return colours.size;
}
