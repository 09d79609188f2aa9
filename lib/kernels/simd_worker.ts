/**
 * A training thread of `SimdNetwork` (`simd_network.ts`): lane t of T. It
 * attaches to the shared WebAssembly memory, counts itself ready, then for every
 * new generation in the control region takes its share of the step's tasks
 * (`laneStep`: phase A's example slices, then phase B's weight-row ranges),
 * until told to stop.
 *
 * @module
 */

/// <reference lib="deno.worker" />

import { activation } from "../nn/activations.ts";
import { attachSimdKernels } from "./gemm.ts";
import { COMMAND, CONTROL, CONTROL_SLOTS, laneScratch, laneStep, type WorkerInit } from "./simd_network.ts";

/** How many times the thread reads the generation before it sleeps between steps. */
const SPIN = 5_000;

self.onmessage = (event: MessageEvent<WorkerInit>) => {
  const { memory, module, plan, lane, activations } = event.data;
  const ctl = new Int32Array(memory.buffer, plan.control, CONTROL_SLOTS);
  let started = false;
  try {
    const kernels = attachSimdKernels(memory, module);
    const acts = activations.map(activation);
    const scratch = laneScratch(plan, memory);
    started = true;
    Atomics.add(ctl, CONTROL.ready, 1);
    Atomics.notify(ctl, CONTROL.ready);
    let seen = 0;
    for (;;) {
      for (let spin = 0; spin < SPIN && Atomics.load(ctl, CONTROL.generation) === seen; spin++);
      while (Atomics.load(ctl, CONTROL.generation) === seen) Atomics.wait(ctl, CONTROL.generation, seen);
      seen = Atomics.load(ctl, CONTROL.generation);
      if (Atomics.load(ctl, CONTROL.command) === COMMAND.stop) break;
      laneStep(kernels, plan, lane, Atomics.load(ctl, CONTROL.step), acts, scratch);
    }
  } catch (error) {
    // not started: the other threads do the work; stopped: the run is over; else the run fails
    if (!started || Atomics.load(ctl, CONTROL.command) === COMMAND.stop) {
      self.close();
      return;
    }
    Atomics.store(ctl, CONTROL.failed, 1);
    for (const slot of [CONTROL.doneA, CONTROL.doneB]) Atomics.notify(ctl, slot);
    throw error;
  }
  self.close();
};
