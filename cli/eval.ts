/**
 * `deno task eval`: measures a saved model on a dataset folder's test split.
 *
 * @module
 */

import { loadSplit } from "../lib/data.ts";
import { evaluate } from "../lib/metrics.ts";
import { loadModel } from "../lib/model_file.ts";
import { parseFlags, run, UsageError, wantsHelp } from "./common.ts";
import { formatConfusion } from "./format.ts";

const USAGE = `Usage: deno task eval --model FILE [--data DIR] [--json]

Evaluates a model on DIR/test_X.csv and DIR/test_label.csv.

  --model FILE   the model file (safetensors) to evaluate (required)
  --data DIR     dataset folder (default: data)
  --json         end with one JSON line: {"accuracy": …, "n": …, "confusion": [[…]], …}
  -h, --help     this text`;

async function main(): Promise<void> {
  if (wantsHelp(Deno.args)) return console.log(USAGE);
  const { values } = parseFlags(Deno.args, {
    model: { type: "string" },
    data: { type: "string" },
    json: { type: "boolean" },
  });
  if (values.model === undefined) throw new UsageError("--model FILE is required");
  const { net } = await loadModel(values.model);
  const test = await loadSplit(values.data ?? "data", "test");
  const result = evaluate(net, test);
  if (values.json) {
    console.log(JSON.stringify({
      accuracy: result.accuracy,
      n: result.n,
      loss: result.loss,
      per_class: result.perClass,
      confusion: result.confusion,
    }));
    return;
  }
  console.log(`model ${values.model} (${net.sizes.join("-")}, ${net.activationNames.join(",")})`);
  console.log(
    `accuracy ${(100 * result.accuracy).toFixed(2)}% on ${result.n} test images, mean loss ${result.loss.toFixed(4)}`,
  );
  console.log("\nper-class accuracy:");
  result.perClass.forEach((a, k) => console.log(`  ${k}: ${Number.isNaN(a) ? "  n/a" : (100 * a).toFixed(1) + "%"}`));
  console.log("\nconfusion matrix (rows: true digit, columns: predicted digit):");
  console.log(formatConfusion(result.confusion));
}

if (import.meta.main) await run(USAGE, main);
