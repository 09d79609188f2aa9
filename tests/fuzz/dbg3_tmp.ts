import { makeCase, targets } from "./harness.ts";
import { modelFromBytes } from "../../lib/io/model_file.ts";
const t = (await targets()).find((t) => t.name === "safetensors")!;
for (const k of [111, 116]) {
  const c = await makeCase(t, 0, k);
  const n = Number(new DataView(c.bytes.buffer).getBigUint64(0, true));
  const text = new TextDecoder().decode(c.bytes.subarray(8, 8 + n));
  let t0 = performance.now();
  try { JSON.parse(text); } catch (e) { console.log("parse err", (e as Error).message.slice(0, 80)); }
  console.log(k, c.mutation, text.slice(0, 30), "parse", (performance.now() - t0).toFixed(0));
  t0 = performance.now();
  try { modelFromBytes(c.bytes, "m"); } catch (e) { console.log((e as Error).message.slice(0, 100)); }
  console.log("whole", (performance.now() - t0).toFixed(0));
}
