/**
 * Stopping a training cleanly on Ctrl-C (SIGINT) or SIGTERM: one line on
 * stderr, exit status 130 (SIGINT) or 143 (SIGTERM), and nothing half-written.
 *
 * The training loop is synchronous, so a signal listener on the main thread
 * would only run once training is over. The listener lives in a tiny Web
 * Worker instead, which sets a flag in shared memory; the loop reads it after
 * each minibatch ({@linkcode Interrupt.check}, one atomic load), and while the
 * main thread is idle (loading data) the worker's message ends the run at
 * once. Writing the model and the report is a critical section
 * ({@linkcode Interrupt.critical}): a signal that arrives then takes effect
 * when the files are complete, so no temporary file is left behind.
 *
 * @module
 */

/** The signals that stop a run, with their exit statuses (128 + the signal number). */
const EXIT_STATUS = { SIGINT: 130, SIGTERM: 143 } as const;
/** A signal that stops a run. */
export type StopSignal = keyof typeof EXIT_STATUS;
const SIGNALS = Object.keys(EXIT_STATUS) as StopSignal[];

const WORKER = `self.onmessage = (event) => {
  const flag = new Int32Array(event.data);
  ${JSON.stringify(SIGNALS)}.forEach((signal, k) => Deno.addSignalListener(signal, () => {
    Atomics.store(flag, 0, k + 1);
    self.postMessage(k + 1);
  }));
  self.postMessage(0);
};`;

/**
 * Watches for SIGINT and SIGTERM while a long synchronous job runs.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Interrupt } from "./interrupt.ts";
 * const interrupt = await Interrupt.listen((signal) => `interrupted (${signal}); nothing written`);
 * for (let batch = 0; batch < 3; batch++) interrupt.check(); // in the loop: ends the run if a signal came
 * const written = await interrupt.critical(() => Promise.resolve("model.safetensors"));
 * assert.equal(written, "model.safetensors");
 * assert.equal(interrupt.signal, null);
 * interrupt.close();
 * ```
 */
export class Interrupt {
  #flag = new Int32Array(new SharedArrayBuffer(4));
  #worker: Worker;
  #critical = 0;
  #describe: (signal: StopSignal) => string;

  private constructor(worker: Worker, describe: (signal: StopSignal) => string) {
    this.#worker = worker;
    this.#describe = describe;
  }

  /**
   * Starts listening; `describe` gives the one line printed when a signal
   * stops the run (e.g. "interrupted in epoch 3 of 30; no model written").
   */
  static async listen(describe: (signal: StopSignal) => string): Promise<Interrupt> {
    const url = URL.createObjectURL(new Blob([WORKER], { type: "text/javascript" }));
    const worker = new Worker(url, { type: "module" });
    const interrupt = new Interrupt(worker, describe);
    await new Promise<void>((resolve) => {
      worker.onmessage = (event: MessageEvent<number>) => {
        if (event.data === 0) resolve();
        else if (interrupt.#critical === 0) interrupt.#stop();
      };
      worker.postMessage(interrupt.#flag.buffer);
    });
    URL.revokeObjectURL(url);
    return interrupt;
  }

  /** The signal received so far, or null. */
  get signal(): StopSignal | null {
    const k = Atomics.load(this.#flag, 0);
    return k === 0 ? null : SIGNALS[k - 1];
  }

  /** Ends the run now if a signal came (outside a critical section); cheap enough for every minibatch. */
  check(): void {
    if (Atomics.load(this.#flag, 0) !== 0 && this.#critical === 0) this.#stop();
  }

  /** Runs `fn` (writing files) to its end even if a signal comes meanwhile; the run then ends after it. */
  async critical<T>(fn: () => Promise<T>): Promise<T> {
    this.#critical++;
    try {
      return await fn();
    } finally {
      this.#critical--;
      this.check();
    }
  }

  /** Stops listening (the worker would otherwise keep the process alive). */
  close(): void {
    this.#worker.terminate();
  }

  #stop(): never {
    const signal = this.signal ?? "SIGINT";
    console.error(this.#describe(signal));
    Deno.exit(EXIT_STATUS[signal]);
  }
}
