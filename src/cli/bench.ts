/**
 * `sockit bench`: runs the project's benchmarks (bench/, compiled to build/bench/) with progress
 * on stderr and the results tables on stdout. They compare against baselines that are dev
 * dependencies, so they run from a checkout of the repository after `npm ci`.
 */

import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

/** Help text of `sockit bench`. */
export const BENCH_USAGE = `usage: sockit bench [--quick] [--json] [--reps N] [FILTER…]

Runs the benchmarks side by side with their baselines (node:net, promise-socket, CPython…)
and prints tables of medians and ratios. FILTER keeps benchmarks whose name contains it.`;

/** Runs the benchmark runner; resolves to its exit status. */
export function bench(args: readonly string[]): number {
  const root = fileURLToPath(new URL("../../", import.meta.url));
  const runner = `${root}build/bench/run.js`;
  if (!existsSync(runner)) {
    const tsconfig = `${root}tsconfig.test.json`;
    let tsc: string;
    try {
      tsc = createRequire(`${root}package.json`).resolve("typescript/bin/tsc");
    } catch {
      tsc = "";
    }
    if (!existsSync(tsconfig) || tsc === "") {
      console.error("sockit: the benchmarks ship with the source repository (run `npm ci` there)");
      return 1;
    }
    console.error("sockit: compiling the benchmarks…");
    const built = spawnSync(process.execPath, [tsc, "-p", tsconfig], {
      stdio: "inherit",
      cwd: root,
    });
    if (built.status !== 0) return built.status ?? 1;
  }
  const run = spawnSync(process.execPath, [runner, ...args], { stdio: "inherit", cwd: root });
  return run.status ?? 1;
}
