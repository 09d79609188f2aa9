/**
 * A training thread of `SimdCnn` (`simd_cnn.ts`): lane t of T. It attaches to
 * the shared WebAssembly memory, says it is ready, then for every new
 * generation in the control region computes its rows' gradient
 * (`cnnLaneGradient`) and marks the generation done, until told to stop.
 *
 * @module
 */

/// <reference lib="deno.worker" />

import { attachSimdKernels } from "./gemm.ts";
import { cnnLaneGradient, cnnScratch, type CnnWorkerInit, COMMAND, CONTROL, laneSlot } from "./simd_cnn.ts";

self.onmessage = (event: MessageEvent<CnnWorkerInit>) => {
  const { memory, plan, lane } = event.data;
  const ctl = new Int32Array(memory.buffer, plan.control, CONTROL.lane + 4 * plan.lanes.length);
  const losses = new Float64Array(memory.buffer, plan.losses, plan.lanes.length);
  try {
    const kernels = attachSimdKernels(memory);
    const scratch = cnnScratch(kernels, plan);
    Atomics.add(ctl, CONTROL.ready, 1);
    Atomics.notify(ctl, CONTROL.ready);
    let seen = 0;
    for (;;) {
      while (Atomics.load(ctl, CONTROL.generation) === seen) Atomics.wait(ctl, CONTROL.generation, seen);
      seen = Atomics.load(ctl, CONTROL.generation);
      if (ctl[CONTROL.command] === COMMAND.stop) break;
      const first = ctl[laneSlot(lane, 0)], rows = ctl[laneSlot(lane, 1)];
      losses[lane] = rows > 0 ? cnnLaneGradient(kernels, plan, lane, first, rows, ctl[CONTROL.batch], scratch) : 0;
      Atomics.store(ctl, laneSlot(lane, 2), seen);
      Atomics.notify(ctl, laneSlot(lane, 2));
    }
  } catch (error) {
    Atomics.store(ctl, laneSlot(lane, 2), -1);
    Atomics.notify(ctl, laneSlot(lane, 2));
    Atomics.store(ctl, CONTROL.ready, -1000);
    Atomics.notify(ctl, CONTROL.ready);
    throw error;
  }
  self.close();
};
