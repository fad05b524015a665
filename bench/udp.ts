/**
 * UDP benchmark: `node build/bench/udp.js [--quick] [--json] [--reps N] [--only pingpong,flood]`.
 *
 * Side by side, every process pinned to CPU 0 with `taskset -c 0` (so each run measures the CPU
 * cost of both ends on one core), repetitions interleaved (rep 1 runs every implementation, then
 * rep 2 …, each rep in a rotated order) and fresh processes for every run:
 *
 * 1. ping-pong: 64 B datagrams, one in flight, 20,000 round trips after 5,000 of warm-up; the
 *    client `sendTo`s and `recvFrom`s, the server echoes each datagram with `recvFrom` and
 *    `sendTo`. Implementations: sockit, raw `node:dgram` (`'message'` events and `send`), the
 *    await floor (bench/lib/await-dgram.ts) and CPython's blocking `recvfrom`/`sendto`.
 *    Target: sockit's median round trip ≤ 1.1× node:dgram's.
 * 2. flood: one CPython sender sends 1,000,000 datagrams of 64 B as fast as it can; the
 *    receiver under test takes them with `recvFromInto` (node:dgram: counts `'message'`
 *    events). Received datagrams per second, from the first datagram to the end marker, and the
 *    loss rate. Target: sockit ≥ 1.0× node:dgram.
 *
 * Progress goes to stderr, Markdown tables (or JSON) to stdout. Benchmarks report; they never
 * fail on a missed target.
 */

import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { parseCli } from "./lib/harness.js";
import { cpuBusy, environment, pinnedCpu, setPinnedCpu } from "./lib/spawn.js";
import { median, range } from "./lib/stats.js";
import { fmt, fmtPercent, fmtRatio, markdownTable } from "./lib/table.js";

type Impl = "sockit" | "dgram" | "floor" | "python";
const IMPLS: readonly Impl[] = ["sockit", "dgram", "floor", "python"];
const LABEL: Record<Impl, string> = {
  sockit: "sockit",
  dgram: "node:dgram",
  floor: "await floor",
  python: "CPython",
};

const NODE_PEER = fileURLToPath(new URL("./peers/udp.js", import.meta.url));
const PYTHON_PEER = fileURLToPath(new URL("../../bench/fixtures/udp_bench.py", import.meta.url));

const progress = (message: string): void => {
  process.stderr.write(`[udp] ${message}\n`);
};

/** The CPU's model name, from /proc/cpuinfo where there is one. */
function cpuModel(): string {
  try {
    const line = readFileSync("/proc/cpuinfo", "utf8")
      .split("\n")
      .find((l) => l.startsWith("model name"));
    return line?.split(":")[1]?.trim() ?? "unknown CPU";
  } catch {
    return "unknown CPU";
  }
}

// --- peers ---------------------------------------------------------------------------------------

interface Peer {
  /** The port from the peer's "ready PORT" line. */
  ready: Promise<number>;
  /** The JSON of its "result …" line. */
  result: Promise<Record<string, number>>;
  kill(): void;
}

function startPeer(impl: Impl, role: string, args: (string | number)[]): Peer {
  const command =
    impl === "python"
      ? ["python3", PYTHON_PEER, role, ...args.map(String)]
      : [process.execPath, NODE_PEER, impl, role, ...args.map(String)];
  const argv = environment().pinned ? ["taskset", "-c", String(pinnedCpu()), ...command] : command;
  const child: ChildProcess = spawn(argv[0]!, argv.slice(1), {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const exited = once(child, "exit");
  let out = "";
  const wait = <T>(pattern: RegExp, parse: (m: RegExpExecArray) => T): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const check = (): boolean => {
        const match = pattern.exec(out);
        if (match) resolve(parse(match));
        return match !== null;
      };
      child.stdout!.on("data", check);
      void exited.then(() => {
        if (!check()) reject(new Error(`${impl} ${role} exited: ${out}`));
      });
    });
  child.stdout!.setEncoding("utf8");
  child.stdout!.on("data", (chunk: string) => {
    out += chunk;
  });
  const ready = wait(/^ready (\d+)$/m, (m) => Number(m[1]));
  const result = wait(/^result (\{.*\})$/m, (m) => JSON.parse(m[1]!) as Record<string, number>);
  // A client never says "ready"; whichever is awaited still sees its rejection.
  ready.catch(() => {});
  result.catch(() => {});
  return {
    ready,
    result,
    kill: () => {
      if (child.exitCode === null) child.kill("SIGKILL");
    },
  };
}

/** Rejects after `ms` (a run that hangs, e.g. a ping-pong datagram lost). */
function deadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: no result within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

// --- runs ----------------------------------------------------------------------------------------

interface PingPongParams {
  warmup: number;
  count: number;
  size: number;
}

async function pingPong(impl: Impl, p: PingPongParams): Promise<Record<string, number>> {
  const server = startPeer(impl, "pingpong-server", [p.warmup]);
  let client: Peer | undefined;
  try {
    const port = await deadline(server.ready, 30_000, "server");
    client = startPeer(impl, "pingpong-client", [port, p.warmup, p.count, p.size]);
    const [c, s] = await deadline(Promise.all([client.result, server.result]), 120_000, impl);
    const cpuMs = (c.clientCpuMs ?? Number.NaN) + (s.serverCpuMs ?? Number.NaN);
    return { ...c, ...s, cpuPerRtUs: (cpuMs * 1000) / p.count };
  } finally {
    client?.kill();
    server.kill();
  }
}

interface FloodParams {
  count: number;
  size: number;
}

async function flood(impl: Impl, p: FloodParams): Promise<Record<string, number>> {
  const receiver = startPeer(impl, "flood-receiver", []);
  let sender: Peer | undefined;
  try {
    const port = await deadline(receiver.ready, 30_000, "receiver");
    sender = startPeer("python", "flood-sender", [port, p.count, p.size]);
    const [r, s] = await deadline(Promise.all([receiver.result, sender.result]), 300_000, impl);
    const received = r.received ?? 0;
    return {
      ...r,
      ...s,
      perSecond: received / (r.seconds ?? Number.NaN),
      loss: 1 - received / p.count,
      cpuPerDatagramUs: ((r.receiverCpuMs ?? Number.NaN) * 1000) / received,
    };
  } finally {
    sender?.kill();
    receiver.kill();
  }
}

/** Waits until the pinned CPU is quiet enough (at most 10 s); returns how busy it was. */
async function waitQuiet(limit: number): Promise<number> {
  const until = Date.now() + 10_000;
  for (;;) {
    const busy = await cpuBusy(250);
    if (busy === null || busy <= limit || Date.now() >= until) return busy ?? Number.NaN;
  }
}

type Samples = Map<Impl, Record<string, number>[]>;

async function measure(
  name: string,
  reps: number,
  runOne: (impl: Impl) => Promise<Record<string, number>>,
  show: (m: Record<string, number>) => string,
): Promise<Samples> {
  const samples: Samples = new Map(IMPLS.map((impl) => [impl, []]));
  for (let rep = 0; rep < reps; rep++) {
    for (let k = 0; k < IMPLS.length; k++) {
      const impl = IMPLS[(k + rep) % IMPLS.length]!;
      const busy = await waitQuiet(0.25);
      try {
        const metrics = await runOne(impl);
        metrics.rep = rep;
        samples.get(impl)!.push(metrics);
        progress(
          `${name} rep ${rep + 1}/${reps} ${LABEL[impl]}: ${show(metrics)} (CPU${pinnedCpu()} ${(busy * 100).toFixed(0)}% busy before)`,
        );
      } catch (error) {
        progress(`${name} rep ${rep + 1}/${reps} ${LABEL[impl]} FAILED: ${String(error)}`);
      }
    }
  }
  return samples;
}

// --- report --------------------------------------------------------------------------------------

const med = (s: Samples, impl: Impl, key: string): number =>
  median((s.get(impl) ?? []).map((m) => m[key] ?? Number.NaN));

/** The ratio of medians and the range of the per-rep (paired) ratios. */
function ratio(s: Samples, a: Impl, b: Impl, key: string): string {
  const paired: number[] = [];
  for (const x of s.get(a) ?? []) {
    const y = (s.get(b) ?? []).find((m) => m.rep === x.rep);
    if (y !== undefined) paired.push((x[key] ?? Number.NaN) / (y[key] ?? Number.NaN));
  }
  const [lo, hi] = range(paired);
  const main = fmtRatio(med(s, a, key) / med(s, b, key));
  return paired.length > 1 ? `${main} (${lo.toFixed(2)}–${hi.toFixed(2)})` : main;
}

function pingPongTable(s: Samples, limit: number): string {
  const row = (label: string, key: string, digits: number, target: string): string[] => [
    label,
    ...IMPLS.map((impl) => fmt(med(s, impl, key), digits)),
    ratio(s, "sockit", "dgram", key),
    ratio(s, "floor", "dgram", key),
    target,
  ];
  const check = med(s, "sockit", "medianUs") / med(s, "dgram", "medianUs") <= limit ? "✓" : "✗";
  return markdownTable(
    [
      "64 B ping-pong",
      ...IMPLS.map((i) => LABEL[i]),
      "sockit ÷ node:dgram",
      "floor ÷ node:dgram",
      "target",
    ],
    [
      row("median round trip, µs", "medianUs", 1, `≤ ${limit}× ${check}`),
      row("p99 round trip, µs", "p99Us", 1, ""),
      row("CPU per round trip (both ends), µs", "cpuPerRtUs", 1, ""),
    ],
  );
}

function floodTable(s: Samples): string {
  const check = med(s, "sockit", "perSecond") / med(s, "dgram", "perSecond") >= 1 ? "✓" : "✗";
  return markdownTable(
    [
      "1,000,000 × 64 B flood",
      ...IMPLS.map((i) => LABEL[i]),
      "sockit ÷ node:dgram",
      "floor ÷ node:dgram",
      "target",
    ],
    [
      [
        "received datagrams/s",
        ...IMPLS.map((impl) => fmt(med(s, impl, "perSecond"), 0)),
        ratio(s, "sockit", "dgram", "perSecond"),
        ratio(s, "floor", "dgram", "perSecond"),
        `≥ 1.0× ${check}`,
      ],
      ["loss", ...IMPLS.map((impl) => fmtPercent(med(s, impl, "loss"))), "", "", ""],
      [
        "receiver CPU per datagram, µs",
        ...IMPLS.map((impl) => fmt(med(s, impl, "cpuPerDatagramUs"), 2)),
        ratio(s, "sockit", "dgram", "cpuPerDatagramUs"),
        ratio(s, "floor", "dgram", "cpuPerDatagramUs"),
        "",
      ],
    ],
  );
}

async function main(): Promise<void> {
  const cli = parseCli(process.argv.slice(2));
  setPinnedCpu(cli.cpu);
  const only = cli.only.length === 0 ? ["pingpong", "flood"] : cli.only;
  const scale = cli.quick ? 10 : 1;
  const pp: PingPongParams = { warmup: 5_000 / scale, count: 20_000 / scale, size: 64 };
  const fl: FloodParams = { count: 1_000_000 / scale, size: 64 };
  const env = environment();
  const load = loadavg()[0] ?? 0;
  const results: Record<string, unknown> = {};
  let pingPongSamples: Samples | undefined;
  let floodSamples: Samples | undefined;
  if (only.includes("pingpong")) {
    pingPongSamples = await measure(
      "pingpong",
      cli.reps,
      (impl) => pingPong(impl, pp),
      (m) =>
        `median ${fmt(m.medianUs ?? Number.NaN, 1)} µs, p99 ${fmt(m.p99Us ?? Number.NaN, 1)} µs`,
    );
    results.pingpong = Object.fromEntries(pingPongSamples);
  }
  if (only.includes("flood")) {
    floodSamples = await measure(
      "flood",
      cli.reps,
      (impl) => flood(impl, fl),
      (m) =>
        `${fmt(m.perSecond ?? Number.NaN, 0)} datagrams/s, loss ${fmtPercent(m.loss ?? Number.NaN)}`,
    );
    results.flood = Object.fromEntries(floodSamples);
  }
  if (cli.json) {
    process.stdout.write(`${JSON.stringify({ cpu: cpuModel(), ...results }, null, 2)}\n`);
    return;
  }
  console.log(`## UDP: sockit, node:dgram, the await floor and CPython\n`);
  console.log(
    `Node ${process.version}, ${cpuModel()}, ${env.pinned ? `every process pinned to CPU ${pinnedCpu()} (taskset -c ${pinnedCpu()})` : "NOT pinned (no taskset)"}, medians of ${cli.reps} interleaved repetitions (ratios: of the medians, and the range of the per-repetition ratios), load average ${load.toFixed(2)} → ${(loadavg()[0] ?? 0).toFixed(2)}.\n`,
  );
  if (pingPongSamples !== undefined) {
    console.log(
      `### Ping-pong: ${pp.count.toLocaleString("en-US")} round trips of ${pp.size} B after ${pp.warmup.toLocaleString("en-US")} of warm-up\n`,
    );
    console.log(pingPongTable(pingPongSamples, 1.1));
    console.log();
  }
  if (floodSamples !== undefined) {
    console.log(
      `### Flood: ${fl.count.toLocaleString("en-US")} datagrams of ${fl.size} B from one CPython sender, received with recvFromInto\n`,
    );
    console.log(floodTable(floodSamples));
    console.log();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exitCode = 1;
});
