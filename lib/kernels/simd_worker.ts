/**
 * A training thread, lane t of T, of `SimdNetwork` (`simd_network.ts`) or of
 * `SimdColumns` (`simd_columns.ts`; its init message names `strategy`). It
 * attaches to the shared WebAssembly memory, counts itself ready, then for every
 * new generation in the control region takes its share of the step's tasks
 * (`SimdNetwork`'s `laneStep`: its own listing, forward and step items on
 * layer 0's column panels, and the example slices and weight-row ranges of the
 * other layers; `SimdColumns`' `columnsLaneStep`: its column panels' forward
 * and step items), until told to stop.
 *
 * @module
 */

/// <reference lib="deno.worker" />

import { activation } from "../nn/activations.ts";
import { attachSimdKernels } from "./gemm.ts";
import { COMMAND, CONTROL, controlSlots, laneScratch, laneStep, spinUntil, type WorkerInit } from "./simd_network.ts";
import { columnsControlSlots, columnsLaneStep, columnsScratch, type ColumnsWorkerInit } from "./simd_columns.ts";

/**
 * How long the thread spins for the next step before it sleeps (ms; within a
 * step, waits spin `SPIN_MS` of `simd_network.ts`): between
 * two steps the main thread only gathers the next minibatch (tens of µs), so
 * on a quiet machine it does not sleep within a run of steps; it sleeps
 * between epochs, after the run, and when the system parks the main thread.
 */
const NEXT_STEP_SPIN_MS = 0.5;

self.onmessage = (event: MessageEvent<WorkerInit | ColumnsWorkerInit>) => {
  const init = event.data, { memory, module, lane, activations } = init;
  const ctl = "strategy" in init
    ? new Int32Array(memory.buffer, init.plan.control, columnsControlSlots(init.plan.panels))
    : new Int32Array(memory.buffer, init.plan.control, controlSlots(init.plan.lanes.length));
  let started = false;
  try {
    const kernels = attachSimdKernels(memory, module);
    const acts = activations.map(activation);
    // this thread's part of a step, for the strategy that started it
    let laneTasks: (step: number) => void;
    if ("strategy" in init) {
      const scratch = columnsScratch(init.plan, memory);
      laneTasks = (step) => columnsLaneStep(kernels, init.plan, lane, step, acts[0], scratch);
    } else {
      const scratch = laneScratch(init.plan, memory);
      laneTasks = (step) => laneStep(kernels, init.plan, lane, step, acts, scratch);
    }
    started = true;
    Atomics.add(ctl, CONTROL.ready, 1);
    Atomics.notify(ctl, CONTROL.ready);
    let seen = 0;
    for (;;) {
      spinUntil(ctl, CONTROL.generation, seen + 1, NEXT_STEP_SPIN_MS);
      while (Atomics.load(ctl, CONTROL.generation) === seen) Atomics.wait(ctl, CONTROL.generation, seen);
      seen = Atomics.load(ctl, CONTROL.generation);
      if (Atomics.load(ctl, CONTROL.command) === COMMAND.stop) break;
      laneTasks(Atomics.load(ctl, CONTROL.step));
    }
  } catch (error) {
    // not started: the other threads do the work; stopped: the run is over; else the run fails
    if (!started || Atomics.load(ctl, CONTROL.command) === COMMAND.stop) {
      leave(ctl);
      return;
    }
    Atomics.store(ctl, CONTROL.failed, 1);
    for (const slot of [CONTROL.doneList, CONTROL.doneForward, CONTROL.doneA, CONTROL.doneB]) Atomics.notify(ctl, slot);
    countOut(ctl);
    throw error;
  }
  leave(ctl);
};

/** Counts this thread out: it touches the memory no more, so the memory may serve another training. */
function countOut(ctl: Int32Array): void {
  Atomics.add(ctl, CONTROL.exited, 1);
  Atomics.notify(ctl, CONTROL.exited);
}

/** Counts this thread out and closes it. */
function leave(ctl: Int32Array): void {
  countOut(ctl);
  self.close();
}
