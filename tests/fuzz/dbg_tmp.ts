import { makeCase, targets } from "./harness.ts";
const [name, from, n] = [Deno.args[0], Number(Deno.args[1]), Number(Deno.args[2])];
const t = (await targets()).find((t) => t.name === name)!;
const dir = await Deno.makeTempDir();
for (let k = from; k < from + n; k++) {
  const c = await makeCase(t, 0, k);
  const t0 = performance.now();
  let r = "ok";
  try { await t.run(c.bytes, c.seedFile, dir); } catch (e) { r = (e as Error).name + ": " + String((e as Error).message).slice(0, 150); }
  console.log(k, c.mutation, c.bytes.length, (performance.now() - t0).toFixed(0), "ms", r);
}
