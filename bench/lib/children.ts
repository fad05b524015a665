/**
 * Child processes for benchmarks that pit sockit against another program (CPython, raw
 * `node:net`) role by role: a server prints its port on its first line, a client prints one JSON
 * line last; and re-running a script under `taskset -c 0` so it and every child share one CPU.
 */

import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { once } from "node:events";

/** What a role printed last: one JSON object of numbers. */
export type Result = Record<string, number>;

/** A command line: the program and its arguments. */
export type Command = [string, string[]];

/**
 * The command lines of a driver's roles: `python(role, …)` runs `peers` (a CPython script) and
 * `own(role, …)` runs the driver itself (`script --role role …`) on this runtime.
 */
export function roleCommands(
  peers: string,
  script: string,
): {
  python: (role: string, ...args: (string | number)[]) => Command;
  own: (role: string, ...args: (string | number)[]) => Command;
} {
  return {
    python: (role, ...args) => ["python3", [peers, role, ...args.map(String)]],
    own: (role, ...args) => [process.execPath, [script, "--role", role, ...args.map(String)]],
  };
}

/** Starts a server role and resolves to its port (the first line it prints). */
export async function startServer(
  command: string,
  args: string[],
): Promise<[ChildProcess, number]> {
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "inherit"] });
  child.stdout!.setEncoding("utf8");
  let out = "";
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.on("data", (chunk: string) => {
      out += chunk;
      const line = out.split("\n")[0];
      if (out.includes("\n")) resolve(Number(line));
    });
    child.once("exit", () => reject(new Error(`${args.join(" ")} exited: ${out}`)));
  });
  return [child, port];
}

/** Runs a client role to its end and parses the JSON it printed last. */
export async function runClient(command: string, args: string[]): Promise<Result> {
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  child.stdout!.setEncoding("utf8");
  child.stdout!.on("data", (chunk: string) => {
    out += chunk;
  });
  const [code] = (await once(child, "exit")) as [number | null];
  if (code !== 0) throw new Error(`${args.join(" ")} exited with ${code}`);
  const lines = out.trim().split("\n");
  return JSON.parse(lines[lines.length - 1]!) as Result;
}

/** Stops a server role. */
export async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  child.kill();
  await once(child, "exit");
}

const PINNED_ENV = "SOCKIT_BENCH_PINNED";

/**
 * On Linux, unless already done: re-runs `script` under `taskset -c 0` (so it, every child and
 * every helper thread share CPU 0) and returns true; the caller then does nothing more.
 */
export function rerunPinned(script: string, argv: readonly string[]): boolean {
  if (process.env[PINNED_ENV] !== undefined || process.platform !== "linux") return false;
  const result = spawnSync("taskset", ["-c", "0", process.execPath, script, ...argv], {
    stdio: "inherit",
    env: { ...process.env, [PINNED_ENV]: "1" },
  });
  process.exitCode = result.status ?? 1;
  return true;
}

/** The `python3` version, e.g. `3.11.7`. */
export function pythonVersion(): string {
  return spawnSync("python3", ["--version"], { encoding: "utf8" })
    .stdout.trim()
    .replace("Python ", "");
}

/** The options of a benchmark driver: `[--quick] [--json] [--reps N] [--only a,b]`. */
export interface DriverOptions {
  quick: boolean;
  json: boolean;
  reps: number;
  only: string[];
}

export function parseDriverOptions(argv: readonly string[]): DriverOptions {
  const value = (flag: string): string | undefined => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  return {
    quick: argv.includes("--quick"),
    json: argv.includes("--json"),
    reps: Number(value("--reps") ?? 5),
    only: (value("--only") ?? "").split(",").filter((s) => s !== ""),
  };
}

/** The runtime running the sockit side: Node.js, Bun or Deno, with its version. */
export function runtimeName(): string {
  const versions = process.versions as Record<string, string | undefined>;
  if (versions.bun !== undefined) return `Bun ${versions.bun}`;
  if (versions.deno !== undefined) return `Deno ${versions.deno}`;
  return `Node.js ${process.version}`;
}
