import assert from "node:assert/strict";
import { makeSchedule, SCHEDULES } from "../../lib/nn/schedule.ts";

const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-12, `${a} vs ${b}`);

Deno.test("schedule constant: η₀ at every epoch", () => {
  const eta = makeSchedule("constant", 0.03, 20);
  for (let e = 0; e < 20; e++) assert.equal(eta(e), 0.03);
});

Deno.test("schedule step: η₀ until T/2, η₀/10 until 3T/4, then η₀/100", () => {
  const eta = makeSchedule("step", 0.5, 40);
  close(eta(0), 0.5);
  close(eta(19), 0.5);
  close(eta(20), 0.05);
  close(eta(29), 0.05);
  close(eta(30), 0.005);
  close(eta(39), 0.005);
});

Deno.test("schedule cosine: η₀ at the start, η₀/2 half way, η₀(1 + cos(π·9/10))/2 at the last epoch", () => {
  const eta = makeSchedule("cosine", 0.2, 10);
  close(eta(0), 0.2);
  close(eta(5), 0.1);
  close(eta(9), 0.1 * (1 + Math.cos(0.9 * Math.PI)));
  for (let e = 1; e < 10; e++) assert.ok(eta(e) < eta(e - 1), "strictly decreasing");
  assert.ok(eta(9) > 0);
});

Deno.test("schedule warm-up: linear climb to η₀ over W epochs, then the schedule over the rest", () => {
  const eta = makeSchedule("cosine", 0.1, 12, 2);
  close(eta(0), 0.05);
  close(eta(1), 0.1);
  close(eta(2), 0.1); // cosine starts at η₀ right after the warm-up
  close(eta(7), 0.05); // half way through the 10 cosine epochs
  const flat = makeSchedule("constant", 0.3, 5, 3);
  assert.deepEqual([0, 1, 2, 3, 4].map(flat).map((v) => +v.toFixed(12)), [0.1, 0.2, 0.3, 0.3, 0.3]);
});

Deno.test("schedule: bad arguments are refused", () => {
  for (const name of SCHEDULES) {
    assert.throws(() => makeSchedule(name, 0, 10), RangeError);
    assert.throws(() => makeSchedule(name, 0.1, 0), RangeError);
    assert.throws(() => makeSchedule(name, 0.1, 10, 10), RangeError);
    assert.throws(() => makeSchedule(name, 0.1, 10, -1), RangeError);
  }
});
