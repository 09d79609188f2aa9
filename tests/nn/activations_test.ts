import assert from "node:assert/strict";
import { activation, ACTIVATIONS } from "../../lib/nn/activations.ts";

const z = new Float64Array([-3, -0.5, 0, 0.25, 2, 40, -40]);

Deno.test("activations: forward values match their formulas", () => {
  const out = new Float64Array(z.length);
  activation("relu").forward(out, z, z.length);
  assert.deepEqual([...out], [...z].map((v) => Math.max(0, v)));
  activation("tanh").forward(out, z, z.length);
  assert.deepEqual([...out], [...z].map(Math.tanh));
  activation("sigmoid").forward(out, z, z.length);
  [...z].forEach((v, i) => assert.ok(Math.abs(out[i] - 1 / (1 + Math.exp(-v))) < 1e-15));
  assert.ok(out.every(Number.isFinite), "sigmoid stays finite for ±40");
});

Deno.test("activations: backward equals the numerical derivative times the upstream gradient", () => {
  const zs = new Float64Array([-2, -0.3, 0.1, 0.7, 1.9]); // no ReLU kink at 0
  const upstream = new Float64Array([0.5, -1, 2, 0.25, -0.75]);
  for (const name of ACTIVATIONS) {
    const f = activation(name);
    const a = new Float64Array(zs.length), d = new Float64Array(zs.length);
    f.forward(a, zs, zs.length);
    f.backward(d, upstream, a, zs.length);
    const h = 1e-6, plus = new Float64Array(1), minus = new Float64Array(1);
    zs.forEach((v, i) => {
      f.forward(plus, new Float64Array([v + h]), 1);
      f.forward(minus, new Float64Array([v - h]), 1);
      const numeric = ((plus[0] - minus[0]) / (2 * h)) * upstream[i];
      assert.ok(Math.abs(numeric - d[i]) < 1e-8, `${name} at ${v}: ${numeric} vs ${d[i]}`);
    });
  }
});

Deno.test("activations: ReLU backward is the mask a > 0 and works in place", () => {
  const a = new Float64Array([0, 1, 0, 3]);
  const g = new Float64Array([5, 6, 7, 8]);
  activation("relu").backward(g, g, a, 4);
  assert.deepEqual([...g], [0, 6, 0, 8]);
});

Deno.test("activations: an unknown name is a RangeError naming the choices", () => {
  assert.throws(() => activation("softplus"), /unknown activation "softplus".*relu, tanh, sigmoid/);
});
