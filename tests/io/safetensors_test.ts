import assert from "node:assert/strict";
import { decodeSafetensors, encodeSafetensors, type Tensor } from "../../lib/io/safetensors.ts";
import { InputError } from "../../lib/errors.ts";

const tensors = () =>
  new Map<string, Tensor>([
    ["a", { shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) }],
    ["b", { shape: [3], data: Float32Array.from([-0.5, 1e-30, 3.25e7]) }],
  ]);

/** Builds a file by hand: u64 header length, header JSON, raw data. */
function rawFile(header: unknown, data = new Uint8Array(0), lengthField?: bigint): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, lengthField ?? BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

function assertRejects(bytes: Uint8Array, pattern: RegExp) {
  assert.throws(() => decodeSafetensors(bytes, "m.safetensors"), (e: unknown) => {
    assert.ok(e instanceof InputError, `expected InputError, got ${e}`);
    assert.match(e.message, /^m\.safetensors: not a valid safetensors file: /);
    assert.match(e.message, pattern);
    return true;
  });
}

Deno.test("safetensors: round trip keeps names, shapes, values and metadata", () => {
  const bytes = encodeSafetensors(tensors(), { format: "x", note: "héllo" });
  const back = decodeSafetensors(bytes, "mem");
  assert.deepEqual([...back.tensors.keys()].sort(), ["a", "b"]);
  assert.deepEqual(back.tensors.get("a")!.shape, [2, 3]);
  assert.deepEqual([...back.tensors.get("a")!.data], [1, 2, 3, 4, 5, 6]);
  assert.deepEqual([...back.tensors.get("b")!.data], [...Float32Array.from([-0.5, 1e-30, 3.25e7])]);
  assert.deepEqual(back.metadata, { format: "x", note: "héllo" });
});

Deno.test("safetensors: the layout is the published one (u64 LE length, JSON header padded to 8, LE data)", () => {
  const bytes = encodeSafetensors(tensors(), { format: "x" });
  const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  assert.equal((8 + n) % 8, 0, "data section starts 8-byte aligned");
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  assert.deepEqual(header.a, { dtype: "F32", shape: [2, 3], data_offsets: [0, 24] });
  assert.deepEqual(header.b, { dtype: "F32", shape: [3], data_offsets: [24, 36] });
  assert.equal(bytes.length, 8 + n + 36);
  const view = new DataView(bytes.buffer, 8 + n);
  assert.equal(view.getFloat32(4 * 5, true), 6);
  assert.equal(view.getFloat32(24, true), -0.5);
});

Deno.test("safetensors: the same tensors always give the same bytes", () => {
  assert.deepEqual(encodeSafetensors(tensors(), { k: "v" }), encodeSafetensors(tensors(), { k: "v" }));
});

Deno.test("safetensors: encoding refuses a shape that does not match the data", () => {
  assert.throws(() => encodeSafetensors(new Map([["w", { shape: [2, 2], data: new Float32Array(3) }]])), RangeError);
});

Deno.test("safetensors: truncated, oversized or non-JSON headers are refused with a reason", () => {
  assertRejects(new Uint8Array(5), /too short/);
  assertRejects(rawFile({}, new Uint8Array(0), 1_000_000n), /header length field says 1000000/);
  const notJson = rawFile({});
  notJson[8] = 0x7b; // "{"
  notJson[9] = 0x7b;
  assertRejects(notJson, /not valid UTF-8 JSON/);
  assertRejects(rawFile([1, 2]), /not a JSON object/);
});

Deno.test("safetensors: wrong dtype, bad shape, bad offsets and non-string metadata are refused", () => {
  const four = new Uint8Array(4);
  assertRejects(rawFile({ w: { dtype: "F16", shape: [2], data_offsets: [0, 4] } }, four), /dtype "F16"/);
  assertRejects(rawFile({ w: { shape: [1], data_offsets: [0, 4] } }, four), /tensor "w" has no dtype$/);
  assertRejects(rawFile({ w: { dtype: "F32", shape: [-1], data_offsets: [0, 4] } }, four), /invalid shape/);
  assertRejects(rawFile({ w: { dtype: "F32", shape: [1], data_offsets: [4, 0] } }, four), /invalid data_offsets/);
  assertRejects(rawFile({ w: { dtype: "F32", shape: [2], data_offsets: [0, 4] } }, four), /spans? 4 bytes|span 4/);
  assertRejects(rawFile({ __metadata__: { n: 3 } }), /metadata "n" is not a string/);
});

Deno.test("safetensors: tensors must tile the data section exactly (no gaps, overlaps, missing or extra bytes)", () => {
  const f32 = (begin: number, end: number) => ({
    dtype: "F32",
    shape: [(end - begin) / 4],
    data_offsets: [begin, end],
  });
  assertRejects(rawFile({ a: f32(0, 4), b: f32(0, 4) }, new Uint8Array(8)), /tensor "b" overlaps/);
  assertRejects(rawFile({ a: f32(4, 8) }, new Uint8Array(8)), /gap before tensor "a"/);
  assertRejects(rawFile({ a: f32(0, 8) }, new Uint8Array(4)), /need 8 bytes of data but the file holds 4/);
  assertRejects(rawFile({ a: f32(0, 4) }, new Uint8Array(8)), /4 bytes after the last tensor/);
});

Deno.test("safetensors: a truncated copy of a real file is refused", () => {
  const bytes = encodeSafetensors(tensors(), { format: "x" });
  assertRejects(bytes.subarray(0, bytes.length - 3), /truncated/);
});

Deno.test("safetensors: non-ASCII metadata keeps the data 8-byte aligned (padding counts UTF-8 bytes)", () => {
  for (const note of ["café ✓", "é", "✓✓", "数字", "🙂", "plain"]) {
    const bytes = encodeSafetensors(tensors(), { note });
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    assert.equal((8 + n) % 8, 0, `data section aligned with metadata ${JSON.stringify(note)}`);
    assert.equal(decodeSafetensors(bytes, "mem").metadata.note, note);
  }
});

Deno.test("safetensors: a header length over the limit says so, without contradicting itself", () => {
  // the file does have 100000016 bytes after the length field, but the header may be at most 100000000
  const bytes = new Uint8Array(8 + 100_000_016);
  new DataView(bytes.buffer).setBigUint64(0, 100_000_001n, true);
  assertRejects(
    bytes,
    /not a valid safetensors file: it does not begin like one \(its first 8 bytes, the header length field, say 100000001 bytes, more than the 100000000 allowed\)$/,
  );
});

Deno.test("safetensors: a text file given as a model (a CSV table, a README) is named as text, with its first bytes", () => {
  const encode = (text: string) => new TextEncoder().encode(text);
  assertRejects(
    encode("0,0,0,0,0,0,0,0,12,255\n"),
    /: not a valid safetensors file: it is a text file \(it begins "0,0,0,0,"\), not a model$/,
  );
  assertRejects(encode("# MiniMNIST\n\nHandwritten"), /: it is a text file \(it begins "# MiniMN"\), not a model$/);
  assertRejects(encode('{\n\t"a": 1}'), /: it is a text file \(it begins "\{\\n\\t\\"a\\": "\), not a model$/);
  // seven bytes of text: too short for the header length field, which is what it is told
  assertRejects(encode("0,0,0,0"), /it is 7 bytes long, too short for the 8-byte header length$/);
});

Deno.test("safetensors: an image, an archive or a gzip file given as a model is named for what it is", () => {
  const start = (...bytes: number[]) => new Uint8Array([...bytes, ...new Array(64).fill(0)]);
  const cases: [Uint8Array, RegExp][] = [
    [
      start(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a),
      /: not a valid safetensors file: it is a PNG image, not a model$/,
    ],
    [start(0xff, 0xd8, 0xff, 0xe0), /: it is a JPEG image, not a model$/],
    [start(0x50, 0x4b, 0x03, 0x04), /: it is a ZIP archive \(as PyTorch's \.pt files are\), not safetensors$/],
    [start(0x1f, 0x8b, 0x08), /: it is gzip-compressed \(decompress it first\)$/],
  ];
  for (const [bytes, pattern] of cases) assertRejects(bytes, pattern);
});

Deno.test("safetensors: a valid file whose header length begins like a gzip signature is read, not refused", () => {
  // header length 35615 = 0x8b1f: the file's first two bytes are 1f 8b, as gzip's; the spec does not require padding
  const json = JSON.stringify({ b: { dtype: "F32", shape: [1], data_offsets: [0, 4] } });
  const header = new TextEncoder().encode(json.padEnd(35615, " "));
  const bytes = new Uint8Array(8 + header.length + 4);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(header.length), true);
  bytes.set(header, 8);
  assert.deepEqual([bytes[0], bytes[1]], [0x1f, 0x8b]);
  assert.deepEqual(decodeSafetensors(bytes, "m.safetensors").tensors.get("b"), {
    shape: [1],
    data: new Float32Array([0]),
  });
});
