import assert from "node:assert/strict";
import { compileWasm } from "../../lib/kernels/wasm.ts";
import { SIMD_SHARED_WASM_BASE64, SIMD_WASM_BASE64 } from "../../lib/kernels/simd_wasm.ts";
import { WARP_WASM_BASE64 } from "../../lib/kernels/warp_wasm.ts";
import { CONV_SHARED_WASM_BASE64, CONV_WASM_BASE64 } from "../../lib/kernels/conv_wasm.ts";

const modules = {
  simd: [SIMD_WASM_BASE64, false],
  "simd (shared memory)": [SIMD_SHARED_WASM_BASE64, true],
  conv: [CONV_WASM_BASE64, false],
  "conv (shared memory)": [CONV_SHARED_WASM_BASE64, true],
  warp: [WARP_WASM_BASE64, false],
} as const;

Deno.test("compileWasm compiles each shipped kernel module, with the exports its bytes declare", () => {
  for (const [name, [base64, shared]] of Object.entries(modules)) {
    const module = compileWasm(base64, shared);
    assert.ok(module instanceof WebAssembly.Module, name);
    // the same bytes as the plain decoding: the module's exports as listed by an independent decode
    const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    const names = WebAssembly.Module.exports(new WebAssembly.Module(bytes)).map((e) => e.name);
    assert.deepEqual(WebAssembly.Module.exports(module).map((e) => e.name), names, name);
    assert.ok(names.length > 0, name);
  }
});

Deno.test("compileWasm returns null for bytes that are not WebAssembly, and for text that is not base64", () => {
  assert.equal(compileWasm(btoa("\0asm\x02\0\0\0")), null); // version 2 does not exist
  assert.equal(compileWasm(SIMD_WASM_BASE64.slice(0, 400)), null); // a cut module
  assert.equal(compileWasm("not base64 at all!"), null);
});
