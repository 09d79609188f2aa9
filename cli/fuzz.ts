/**
 * `deno task fuzz`: seeded mutation fuzzing of every parser a user's file
 * reaches (model files, IDX plain and gzip, the seed's CSVs, mnist_*.csv, PNG
 * and JPEG through predict's pipeline). Each case must load or be refused with
 * one InputError sentence, within 2 s and without taking memory far beyond its
 * size (see `fuzz/harness.ts`). Prints the cases, the outcomes and the
 * slowest case per parser; each failure is printed with the command that
 * replays it, and the exit status is then 1.
 *
 * @module
 */

import { fuzz, KNOWN_ISSUES, MAX_SECONDS, type TargetResult } from "../fuzz/harness.ts";
import { fromStartFolder, nonNegativeInt, parseFlags, positiveInt, run, UsageError, wantsHelp } from "./common.ts";

const USAGE = `Usage: deno task fuzz [--cases N] [--seed S] [--only NAME,…] [--from K] [--save DIR]

Feeds N mutated files (bit flips, truncations, splices, header fields set to
extremes, NaN/∞ floats, deep or huge JSON, damaged CSV cells, gzip bombs) to
each parser: safetensors, idx, idx.gz, seed-csv, mnist-csv, png, jpeg. Each
case must load or be refused with one sentence, within ${MAX_SECONDS} s of CPU time and without
taking memory far beyond its size.

  --cases N      cases per parser (default: 1000)
  --seed S       random seed (default: 0)
  --only NAMES   only these parsers, comma-separated
  --from K       the first case number (with --cases 1: replay case K)
  --save DIR     write each failing input to DIR (created)
  -h, --help     this text`;

const NAMES = ["safetensors", "idx", "idx.gz", "seed-csv", "mnist-csv", "png", "jpeg"];

function line(r: TargetResult): string {
  const mib = (r.maxMemory.bytes / 2 ** 20).toFixed(1);
  const cases = `${String(r.cases).padStart(6)} ${r.cases === 1 ? "case: " : "cases:"}`;
  return `${r.target.padEnd(12)} ${cases} ${String(r.loaded).padStart(6)} loaded, ` +
    `${String(r.refused).padStart(6)} refused, ${r.failed} failed${r.known > 0 ? ` (+${r.known} known)` : ""}; ` +
    `slowest #${r.slowest.caseNumber} ${r.slowest.mutation} ${(1000 * r.slowest.seconds).toFixed(0)} ms CPU; ` +
    (r.maxMemory.caseNumber < 0 ? "no case grew the heap" : `most memory #${r.maxMemory.caseNumber} +${mib} MiB`);
}

async function main(): Promise<void> {
  if (wantsHelp(Deno.args)) return console.log(USAGE);
  const { values } = parseFlags(Deno.args, {
    cases: { type: "string" },
    seed: { type: "string" },
    only: { type: "string" },
    from: { type: "string" },
    save: { type: "string" },
  });
  const cases = positiveInt("cases", values.cases, 1000);
  const seed = nonNegativeInt("seed", values.seed, 0);
  const from = nonNegativeInt("from", values.from, 0);
  const only = values.only?.split(",");
  for (const name of only ?? []) {
    if (!NAMES.includes(name)) throw new UsageError(`--only: unknown parser "${name}" (one of ${NAMES.join(", ")})`);
  }
  // the cases' scratch folder goes even when the run is stopped (Ctrl-C, or `timeout` sending SIGTERM). The
  // signal only asks the loop to stop between two cases: removing the folder while a case's write is in flight
  // raced with it ("directory not empty") and the run then ended with status 1 instead of 130 or 143.
  const dir = await Deno.makeTempDir({ prefix: "minimnist-fuzz-" });
  const stopping = new AbortController();
  const stops = (["SIGINT", "SIGTERM"] as const).map((signal) => {
    const stop = () => stopping.abort(signal);
    Deno.addSignalListener(signal, stop);
    return () => Deno.removeSignalListener(signal, stop);
  });
  console.log(`fuzzing ${(only ?? NAMES).join(", ")}: ${cases} ${cases === 1 ? "case" : "cases"} each, seed ${seed}`);
  const started = performance.now();
  let results;
  try {
    results = await fuzz({
      cases,
      seed,
      from,
      only,
      dir,
      signal: stopping.signal,
      onTarget: (r) => console.log(line(r)),
    });
  } catch (error) {
    if (!stopping.signal.aborted) throw error;
  } finally {
    stops.forEach((remove) => remove());
    await Deno.remove(dir, { recursive: true });
  }
  if (results === undefined) {
    const signal = stopping.signal.reason as "SIGINT" | "SIGTERM";
    console.log(`stopped by ${signal}`);
    Deno.exit(signal === "SIGINT" ? 130 : 143);
  }
  const failures = results.flatMap((r) => r.failures);
  for (const f of failures) {
    console.log(
      `${f.known ? "known issue" : "FAILED"}: ${f.target} case ${f.caseNumber} (${f.mutation} of the ${f.role} file, ` +
        `${f.inputBytes} bytes): ${f.reason}` +
        (f.known ? ` [${KNOWN_ISSUES[`${f.target}/${f.mutation.split("+")[0]}`] ?? "known"}]` : "") +
        `\n  replay: deno task fuzz --only ${f.target} --seed ${f.seed} --from ${f.caseNumber} --cases 1`,
    );
    if (values.save !== undefined) {
      const save = fromStartFolder(values.save);
      await Deno.mkdir(save, { recursive: true });
      await Deno.writeFile(`${save}/${f.target}-seed${f.seed}-case${f.caseNumber}.bin`, f.bytes);
    }
  }
  const total = results.reduce((s, r) => s + r.cases, 0);
  const failed = results.reduce((s, r) => s + r.failed, 0);
  console.log(
    `${total} ${total === 1 ? "case" : "cases"} in ${
      ((performance.now() - started) / 1000).toFixed(1)
    } s: ${failed} failed` +
      (failed > 0 ? ` (seed ${seed}; replay each with the command above)` : ""),
  );
  if (failed > 0) Deno.exitCode = 1;
}

if (import.meta.main) await run(USAGE, main);
