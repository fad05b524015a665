/**
 * The results of a benchmark script: medians per variant, targets judged on medians (and on CPU
 * time), printed as Markdown tables or JSON on stdout.
 */

import type { BenchSpec, CliOptions, Target } from "./harness.js";
import type { Metrics } from "./protocol.js";
import type { Environment } from "./spawn.js";
import { median, range, spread } from "./stats.js";
import { fmt, fmtPercent, fmtRatio, markdownTable } from "./table.js";

/** What a benchmark script measured. */
export interface Measured {
  samples: Map<string, Metrics[]>;
  discarded: Map<string, number>;
  environment: Environment;
  loadBefore: number;
  loadAfter: number;
}

interface TargetResult {
  name: string;
  measured: number;
  perRep: [number, number];
  op: string;
  limit: number;
  unit: string;
  pass: boolean | null;
}

function evaluate(
  target: Target,
  samples: Map<string, Metrics[]>,
  metric = target.metric,
): TargetResult {
  const subject = samples.get(target.subject) ?? [];
  const baseline = samples.get(target.baseline) ?? [];
  const combine = (a: number, b: number): number => (target.kind === "ratio" ? a / b : a - b);
  const values = (runs: Metrics[]): number[] => runs.map((m) => m[metric] ?? Number.NaN);
  const measured = combine(median(values(subject)), median(values(baseline)));
  const paired: number[] = [];
  for (let i = 0; i < Math.min(subject.length, baseline.length); i++) {
    paired.push(combine(values(subject)[i]!, values(baseline)[i]!));
  }
  const ok = Number.isFinite(measured);
  return {
    name: target.name,
    measured,
    perRep: range(paired),
    op: target.op === ">=" ? "≥" : "≤",
    limit: target.limit,
    unit: target.kind === "ratio" ? "×" : (target.unit ?? ""),
    pass: ok ? (target.op === ">=" ? measured >= target.limit : measured <= target.limit) : null,
  };
}

function formatTargetValue(value: number, unit: string): string {
  if (!Number.isFinite(value)) return "—";
  return unit === "×" ? fmtRatio(value) : `${fmt(value, 0)} ${unit}`.trim();
}

/** Prints the results table and the targets table (or JSON with every run) on stdout. */
export function printReport(spec: BenchSpec, cli: CliOptions, measured: Measured): void {
  const { samples, discarded, environment: env, loadBefore, loadAfter } = measured;
  const medians = new Map<string, Metrics>();
  for (const [label, runs] of samples) {
    const m: Metrics = {};
    for (const key of new Set(runs.flatMap((r) => Object.keys(r)))) {
      m[key] = median(runs.map((r) => r[key] ?? Number.NaN));
    }
    medians.set(label, m);
  }
  const targets = spec.targets.map((t) => evaluate(t, samples));
  const cpuTargets = spec.targets.map((t) =>
    t.cpuMetric === undefined ? null : evaluate(t, samples, t.cpuMetric),
  );

  if (cli.json) {
    const variants = spec.variants
      .filter((v) => samples.has(v.label))
      .map((v) => ({
        ...v,
        runs: samples.get(v.label),
        discarded: discarded.get(v.label) ?? 0,
        median: medians.get(v.label),
      }));
    process.stdout.write(
      `${JSON.stringify({ bench: spec.bench, title: spec.title, quick: cli.quick, reps: cli.reps, environment: { ...env, cpu: cli.cpu, node: process.version, loadBefore, loadAfter }, variants, targets, cpuTargets }, null, 2)}\n`,
    );
    return;
  }

  const baseline = medians.get(spec.compare.baseline)?.[spec.compare.key] ?? Number.NaN;
  const header = [
    "implementation",
    ...spec.columns.map((c) => c.label),
    "CPU ms (both)",
    "spread",
    "other work",
    "runs (discarded)",
    `vs ${spec.compare.baseline}`,
  ];
  const rows = spec.variants
    .filter((v) => samples.has(v.label))
    .map((v) => {
      const runs = samples.get(v.label)!;
      const m = medians.get(v.label)!;
      return [
        v.label,
        ...spec.columns.map((c) => fmt(m[c.key] ?? Number.NaN, c.digits)),
        fmt(m.cpuMs ?? Number.NaN, 0),
        fmtPercent(spread(runs.map((r) => r[spec.compare.key] ?? Number.NaN))),
        `${fmt(m.foreignPct ?? Number.NaN, 1)}%`,
        `${runs.length} (${discarded.get(v.label) ?? 0})`,
        fmtRatio((m[spec.compare.key] ?? Number.NaN) / baseline),
      ];
    });
  const verdict = (t: TargetResult | null): string =>
    t === null || t.pass === null ? "n/a" : t.pass ? "pass" : "FAIL";
  const targetRows = targets.map((t, i) => {
    const cpu = cpuTargets[i] ?? null;
    return [
      t.name,
      formatTargetValue(t.measured, t.unit),
      `${formatTargetValue(t.perRep[0], t.unit)} … ${formatTargetValue(t.perRep[1], t.unit)}`,
      `${t.op} ${formatTargetValue(t.limit, t.unit)}`,
      verdict(t),
      cpu === null ? "—" : formatTargetValue(cpu.measured, cpu.unit),
      verdict(cpu),
    ];
  });
  const pinning = env.pinned ? "both peers pinned to CPU 0 (taskset -c 0)" : "peers NOT pinned";
  const out = [
    `## ${spec.title}`,
    "",
    ...spec.notes.map((n) => `- ${n}`),
    `- ${cli.reps} repetitions (fresh processes each, interleaved), medians shown; ${pinning}; spread = (max − min) / median of "${spec.columns.find((c) => c.key === spec.compare.key)?.label ?? spec.compare.key}" over repetitions; other work = share of a run's wall time not used by the two peers (they share one core, so that went to other processes); a run with more than ${fmtPercent(cli.maxForeign)} is discarded and repeated (at most twice), and each run first waits up to 10 s for CPU ${cli.cpu} to be < ${fmtPercent(cli.quiet)} busy; load average ${loadBefore.toFixed(2)} → ${loadAfter.toFixed(2)}; Node ${process.version}.`,
    "- CPU ms (both) = client + server user+system time of the measured part; the peers share one core, so on a quiet machine it ≈ wall time, and it is the figure least disturbed by other work; the targets are also judged on it (CPU-time columns).",
    ...env.notes.map((n) => `- note: ${n}`),
    "",
    markdownTable(header, rows),
    "",
    markdownTable(
      [
        "target",
        "measured (medians)",
        "per-rep range",
        "target",
        "result",
        "on CPU time",
        "result (CPU time)",
      ],
      targetRows,
    ),
    "",
  ];
  process.stdout.write(`${out.join("\n")}\n`);
}
