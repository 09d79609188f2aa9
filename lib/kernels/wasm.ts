/**
 * The kernels' WebAssembly modules ship as base64 text (`*_wasm.ts`, written
 * by `deno task build:simd`, `build:conv`, `build:warp`); this compiles one.
 *
 * @module
 */

/**
 * Compiles a base64-encoded WebAssembly module, or returns null where it
 * cannot run here (no WebAssembly, no SIMD, or with `shared` no
 * SharedArrayBuffer for its shared memory).
 *
 * The bytes come from `Uint8Array.fromBase64` where the runtime has it (Deno
 * 2.9 does: 0.3 ms for the 10 kB `simd.wat`, against 8 ms for `atob` and a
 * byte-by-byte copy, paid at each start of the command-line tasks).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { compileWasm } from "./wasm.ts";
 * // the smallest module: the 4-byte magic number and the version, 1
 * assert.ok(compileWasm(btoa("\0asm\x01\0\0\0")) instanceof WebAssembly.Module);
 * assert.equal(compileWasm(btoa("not WebAssembly")), null);
 * ```
 */
export function compileWasm(base64: string, shared = false): WebAssembly.Module | null {
  try {
    if (typeof WebAssembly !== "object" || (shared && typeof SharedArrayBuffer !== "function")) return null;
    const fromBase64 = (Uint8Array as { fromBase64?: (text: string) => Uint8Array<ArrayBuffer> }).fromBase64;
    const bytes = fromBase64 ? fromBase64(base64) : Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    return WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : null;
  } catch {
    return null;
  }
}

/**
 * {@linkcode compileWasm} deferred to the first call and kept: a function
 * that returns the same module (or null) on every call in this thread.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { lazyWasm } from "./wasm.ts";
 * const empty = lazyWasm(btoa("\0asm\x01\0\0\0"));
 * assert.ok(empty() instanceof WebAssembly.Module);
 * assert.equal(empty(), empty()); // compiled once
 * ```
 */
export function lazyWasm(base64: string, shared = false): () => WebAssembly.Module | null {
  let module: WebAssembly.Module | null | undefined;
  return () => {
    if (module === undefined) module = compileWasm(base64, shared);
    return module;
  };
}
