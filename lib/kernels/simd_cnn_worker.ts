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
import { CNN_COMMAND, CNN_CONTROL, cnnLaneGradient, cnnLaneSlot, cnnScratch, type CnnWorkerInit } from "./simd_cnn.ts";

self.onmessage = (event: MessageEvent<CnnWorkerInit>) => {
  const { memory, plan, lane } = event.data;
  const ctl = new Int32Array(memory.buffer, plan.control, CNN_CONTROL.lane + 4 * plan.lanes.length);
  const losses = new Float64Array(memory.buffer, plan.losses, plan.lanes.length);
  try {
    const kernels = attachSimdKernels(memory);
    const scratch = cnnScratch(kernels, plan);
    Atomics.add(ctl, CNN_CONTROL.ready, 1);
    Atomics.notify(ctl, CNN_CONTROL.ready);
    let seen = 0;
    for (;;) {
      while (Atomics.load(ctl, CNN_CONTROL.generation) === seen) Atomics.wait(ctl, CNN_CONTROL.generation, seen);
      seen = Atomics.load(ctl, CNN_CONTROL.generation);
      if (ctl[CNN_CONTROL.command] === CNN_COMMAND.stop) break;
      const first = ctl[cnnLaneSlot(lane, 0)], rows = ctl[cnnLaneSlot(lane, 1)];
      losses[lane] = rows > 0 ? cnnLaneGradient(kernels, plan, lane, first, rows, ctl[CNN_CONTROL.batch], scratch) : 0;
      Atomics.store(ctl, cnnLaneSlot(lane, 2), seen);
      Atomics.notify(ctl, cnnLaneSlot(lane, 2));
    }
  } catch (error) {
    Atomics.store(ctl, cnnLaneSlot(lane, 2), -1);
    Atomics.notify(ctl, cnnLaneSlot(lane, 2));
    Atomics.store(ctl, CNN_CONTROL.ready, -1000);
    Atomics.notify(ctl, CNN_CONTROL.ready);
    throw error;
  }
  self.close();
};
