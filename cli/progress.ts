/**
 * A progress bar inside an epoch, shown (on a terminal) only once the epoch
 * has run for more than a second: short epochs print just their summary line.
 *
 * @module
 */

import process from "node:process";
// @ts-types="npm:@types/cli-progress@3.11.6"
import cliProgress from "cli-progress";

/** Shows `done / total` on stderr for slow epochs. */
export class Progress {
  #bar: cliProgress.SingleBar | null = null;
  #started = performance.now();

  /** Reports progress within the current epoch. */
  update(done: number, total: number): void {
    if (this.#bar === null) {
      if (performance.now() - this.#started < 1000 || !process.stderr.isTTY) return;
      this.#bar = new cliProgress.SingleBar(
        { stream: process.stderr, clearOnComplete: true, hideCursor: false, format: "  {bar} {value}/{total} images" },
        cliProgress.Presets.shades_classic,
      );
      this.#bar.start(total, done);
    }
    this.#bar.update(done);
  }

  /** Removes the bar (if shown) and restarts the one-second clock. */
  clear(): void {
    this.#bar?.stop();
    this.#bar = null;
    this.#started = performance.now();
  }
}
