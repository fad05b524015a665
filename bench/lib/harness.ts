/**
 * The driver every stream benchmark script shares: command-line options, one measured run of a
 * server/client pair and interleaved repetitions; report.ts prints the results.
 *
 * Repetitions are interleaved (rep 1 runs every variant, then rep 2 …, each rep in a rotated
 * order), so noise from other work on the machine spreads over all variants instead of hitting
 * one; every run uses fresh processes. Reported values are medians over repetitions; targets
 * compare medians, and also show the range of the per-repetition (paired) ratios.
 */

import type { BenchName, ImplName, Metrics } from "./protocol.js";
import { printReport } from "./report.js";
import { cpuBusy, environment, setPinnedCpu, startPeer } from "./spawn.js";
import { fmt } from "./table.js";

/** Options every benchmark script accepts. */
export interface CliOptions {
  /** Sizes scaled down 10× for development. */
  quick: boolean;
  /** Print JSON instead of Markdown. */
  json: boolean;
  reps: number;
  /** Only variants whose label contains one of these. */
  only: string[];
  /** Write `.cpuprofile` files of every peer here. */
  cpuProfDir: string | null;
  /** The CPU both peers are pinned to. */
  cpu: number;
  /** Before each run, wait (up to 10 s) until that CPU is below this busy fraction; 1 = never. */
  quiet: number;
  /**
   * A pinned run whose wall time exceeds the peers' CPU time by more than this fraction of the
   * wall time was disturbed by other work on the core: it is discarded and run again (at most
   * twice). 1 keeps every run.
   */
  maxForeign: number;
}

/**
 * Parses `--quick --json --reps N --only a,b --cpu-prof DIR --cpu N --quiet F --max-foreign F`
 * (also `--opt=value`).
 */
export function parseCli(argv: readonly string[]): CliOptions {
  const options: CliOptions = {
    quick: false,
    json: false,
    reps: 5,
    only: [],
    cpuProfDir: null,
    cpu: 0,
    quiet: 0.25,
    maxForeign: 0.15,
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag = "", inline] = argv[i]!.split(/=(.*)/s, 2);
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    if (flag === "--quick") options.quick = true;
    else if (flag === "--json") options.json = true;
    else if (flag === "--reps") options.reps = Math.max(1, Number.parseInt(value(), 10) || 1);
    else if (flag === "--only" || flag === "--impl") options.only.push(...value().split(","));
    else if (flag === "--cpu-prof") options.cpuProfDir = value();
    else if (flag === "--cpu") options.cpu = Number.parseInt(value(), 10) || 0;
    else if (flag === "--quiet") options.quiet = Number(value());
    else if (flag === "--max-foreign") options.maxForeign = Number(value());
    else if (flag.startsWith("--")) throw new Error(`unknown option ${flag}`);
  }
  return options;
}

/** One implementation with its parameters, as a row of the results. */
export interface Variant {
  label: string;
  impl: ImplName;
  params: object;
}

/** A column of the results table: a metric, its header, and how to print it. */
export interface Column {
  key: string;
  label: string;
  digits?: number;
}

/** A speed target: `subject` against `baseline` on one metric. */
export interface Target {
  name: string;
  metric: string;
  subject: string;
  baseline: string;
  /** `ratio`: subject ÷ baseline; `difference`: subject − baseline. */
  kind: "ratio" | "difference";
  op: ">=" | "<=";
  limit: number;
  /** Unit of a difference, e.g. "B". */
  unit?: string;
  /**
   * The same comparison on CPU time (client + server user+system time of the measured part):
   * both peers share one core, so on a quiet machine CPU time ≈ wall time, and unlike wall time
   * it is hardly touched by other work on the machine.
   */
  cpuMetric?: string;
}

/** Everything a benchmark script describes. */
export interface BenchSpec {
  bench: BenchName;
  title: string;
  /** Lines printed under the title (what is measured, fairness notes). */
  notes: string[];
  variants: Variant[];
  /** Adds derived metrics (e.g. GB/s) to one run's raw metrics. */
  derive(metrics: Metrics, variant: Variant): Metrics;
  columns: Column[];
  /** The main metric's column and the variant the "vs" column compares with. */
  compare: { key: string; baseline: string };
  targets: Target[];
  /** The connections benchmark asks the server for memory with every connection open. */
  measureMemory?: boolean;
}

/** Runs one server/client pair and returns the merged metrics. */
async function runPair(
  spec: BenchSpec,
  variant: Variant,
  cli: CliOptions,
  rep: number,
): Promise<Metrics> {
  const nodeArgs = (role: string): string[] =>
    cli.cpuProfDir === null
      ? []
      : [
          "--cpu-prof",
          "--cpu-prof-interval=100",
          `--cpu-prof-dir=${cli.cpuProfDir}`,
          `--cpu-prof-name=${spec.bench}-${variant.label.replace(/[^\w-]+/g, "_")}-${role}-${rep}.cpuprofile`,
        ];
  const server = startPeer({
    impl: variant.impl,
    role: "server",
    bench: spec.bench,
    params: variant.params,
    nodeArgs: nodeArgs("server"),
  });
  let client: ReturnType<typeof startPeer> | undefined;
  try {
    const { port } = await server.next("ready", 60_000);
    client = startPeer({
      impl: variant.impl,
      role: "client",
      bench: spec.bench,
      params: variant.params,
      port,
      nodeArgs: nodeArgs("client"),
    });
    const memory: Metrics = {};
    if (spec.measureMemory === true) {
      await client.next("opened");
      server.send({ type: "measure" });
      const { base, now } = await server.next("memory");
      memory.rssGrowth = now.rss - base.rss;
      memory.heapExternalGrowth = now.heapUsed + now.external - (base.heapUsed + base.external);
      memory.heapGrowth = now.heapUsed - base.heapUsed;
      memory.externalGrowth = now.external - base.external;
      client.send({ type: "close" });
    }
    const result = await client.next("result");
    const done = await server.next("done");
    await Promise.all([client.stop(), server.stop()]);
    const merged: Metrics = { ...result.metrics, ...done.metrics, ...memory };
    merged.cpuMs = (merged.clientCpuMs ?? Number.NaN) + (merged.serverCpuMs ?? Number.NaN);
    return spec.derive(merged, variant);
  } finally {
    client?.kill();
    server.kill();
  }
}

/** Runs the interleaved repetitions; returns every run's metrics by variant label. */
async function measure(
  spec: BenchSpec,
  cli: CliOptions,
): Promise<{ samples: Map<string, Metrics[]>; discarded: Map<string, number> }> {
  const variants = spec.variants.filter(
    (v) => cli.only.length === 0 || cli.only.some((o) => v.label.includes(o)),
  );
  const samples = new Map<string, Metrics[]>(variants.map((v) => [v.label, []]));
  const failures = new Map<string, number>();
  const discarded = new Map<string, number>();
  for (let rep = 0; rep < cli.reps; rep++) {
    for (let k = 0; k < variants.length; k++) {
      const variant = variants[(k + rep) % variants.length]!;
      if ((failures.get(variant.label) ?? 0) >= 2) continue;
      for (let attempt = 1; attempt <= 3; attempt++) {
        const busy = await waitQuiet(cli.quiet);
        const started = Date.now();
        try {
          const metrics = await runPair(spec, variant, cli, rep + 1);
          metrics.bgBusyPct = busy * 100;
          // Both peers share one core: time not spent by them went to other work.
          const foreign = Math.max(
            0,
            1 - (metrics.cpuMs ?? Number.NaN) / (metrics.ms ?? Number.NaN),
          );
          metrics.foreignPct = foreign * 100;
          const shown = spec.columns
            .slice(0, 2)
            .map((c) => `${c.label} ${fmt(metrics[c.key] ?? Number.NaN, c.digits)}`)
            .join(", ");
          const disturbed = environment().pinned && foreign > cli.maxForeign && attempt < 3;
          process.stderr.write(
            `[${spec.bench}] rep ${rep + 1}/${cli.reps} ${variant.label}: ${shown}, CPU ms ${fmt(metrics.cpuMs ?? Number.NaN, 0)} (${((Date.now() - started) / 1000).toFixed(1)} s; CPU${cli.cpu} ${(busy * 100).toFixed(0)}% busy before, other work ${(foreign * 100).toFixed(0)}% of the run${disturbed ? ": discarded, again" : ""})\n`,
          );
          if (disturbed) {
            discarded.set(variant.label, (discarded.get(variant.label) ?? 0) + 1);
            continue;
          }
          samples.get(variant.label)!.push(metrics);
        } catch (error) {
          failures.set(variant.label, (failures.get(variant.label) ?? 0) + 1);
          process.stderr.write(
            `[${spec.bench}] rep ${rep + 1}/${cli.reps} ${variant.label} FAILED: ${error instanceof Error ? error.message : String(error)}\n`,
          );
        }
        break;
      }
    }
  }
  return { samples, discarded };
}

/** Waits until the pinned CPU is quiet enough (at most 10 s); returns its last busy fraction. */
async function waitQuiet(limit: number): Promise<number> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const busy = await cpuBusy(limit >= 1 ? 100 : 250);
    if (busy === null) return Number.NaN;
    if (busy <= limit || Date.now() >= deadline) return busy;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Measures `spec` and prints its tables (or JSON) on stdout. */
export async function runBench(spec: BenchSpec, cli: CliOptions): Promise<void> {
  const env = environment();
  for (const note of env.notes) process.stderr.write(`[${spec.bench}] note: ${note}\n`);
  const loadBefore = (await import("node:os")).loadavg()[0] ?? 0;
  const { samples, discarded } = await measure(spec, cli);
  const loadAfter = (await import("node:os")).loadavg()[0] ?? 0;
  printReport(spec, cli, {
    samples,
    discarded,
    environment: env,
    loadBefore,
    loadAfter,
  });
}

/** Entry point for a benchmark script: parse options, run, report errors. */
export function main(makeSpec: (cli: CliOptions) => BenchSpec): void {
  let cli: CliOptions;
  try {
    cli = parseCli(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(2);
  }
  setPinnedCpu(cli.cpu);
  runBench(makeSpec(cli), cli).catch((error: unknown) => {
    process.stderr.write(
      `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  });
}
