/**
 * Runs a `deno task` the way a user does — the command line and permissions
 * come from deno.json — but with the Deno that runs the tests. Shared by the
 * CLI tests.
 *
 * @module
 */

const decoder = new TextDecoder();

/** What a finished command printed and returned. */
export interface TaskResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The argv of `deno task <name>` from deno.json, with `deno` replaced by this Deno's path. */
export function taskArgv(name: string): string[] {
  const config = JSON.parse(Deno.readTextFileSync(new URL("../deno.json", import.meta.url)));
  const command: string | undefined = config.tasks?.[name];
  if (command === undefined) throw new Error(`deno.json has no task "${name}"`);
  const [deno, ...rest] = command.split(/\s+/);
  if (deno !== "deno") throw new Error(`task "${name}" does not start with deno: ${command}`);
  return rest;
}

/** The repository's folder (no trailing slash). */
export const REPOSITORY_ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");

/**
 * Starts this Deno with `args` (e.g. a task's argv from {@linkcode taskArgv}
 * and its flags) from the repository root, without colours, stdin closed and
 * stdout and stderr piped.
 */
export function spawnDeno(args: string[]): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args,
    cwd: new URL("..", import.meta.url),
    env: { NO_COLOR: "1", INIT_CWD: REPOSITORY_ROOT },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

/**
 * Runs `deno task <name> ...args` from the repository root, as if started
 * there (`INIT_CWD`, which deno task sets and the tasks take relative paths
 * from, is the root unless `env` says otherwise).
 */
export async function runTask(name: string, args: string[], env: Record<string, string> = {}): Promise<TaskResult> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [...taskArgv(name), ...args],
    cwd: new URL("..", import.meta.url),
    env: { NO_COLOR: "1", INIT_CWD: REPOSITORY_ROOT, ...env },
    stdin: "null",
  }).output();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

/** The last line of stdout parsed as JSON (the `--json` convention of every task). */
export function lastJson(result: TaskResult): Record<string, unknown> {
  const lines = result.stdout.trim().split("\n");
  return JSON.parse(lines.at(-1)!);
}

/** A fresh folder under models/ (the folder train may write), removed by the returned function. */
export async function scratchModelsDir(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = `models/.test-${crypto.randomUUID().slice(0, 8)}`;
  const root = new URL("..", import.meta.url).pathname;
  await Deno.mkdir(root + dir, { recursive: true });
  return { dir, remove: () => Deno.remove(root + dir, { recursive: true }) };
}

/** Whether a path relative to the repository root exists. */
export function exists(path: string): boolean {
  try {
    Deno.statSync(new URL("../" + path, import.meta.url));
    return true;
  } catch {
    return false;
  }
}

/** The files inside a folder relative to the repository root. */
export function listDir(path: string): string[] {
  return [...Deno.readDirSync(new URL("../" + path, import.meta.url))].map((e) => e.name).sort();
}
