/**
 * Selectors benchmark: `node build/bench/selectors.js [--quick] [--json] [--reps N]
 * [--only pingpong,connections,scaling]`.
 *
 * 1. Echo servers, side by side: the sockit example server (examples/selectors-echo-server.ts,
 *    a DefaultSelector loop over non-blocking sockets, CPython's selectors shape), the same
 *    server in raw `node:net`, CPython's `selectors` server (test/fixtures), and, to tell the
 *    selector's cost from the sockets', a sockit server without a selector (one blocking task
 *    per connection). One node:net client drives them all: 64 B ping-pong round trips, and
 *    5,000 concurrent connections that each echo 64 B. The script re-runs itself under
 *    `taskset -c 0` so that it and the servers share one CPU. Every repetition starts fresh
 *    servers; repetitions are interleaved.
 * 2. Scaling, in this process: `select()` with 10, 1,000 and 10,000 registered sockets (both
 *    ends of socket pairs) of which one is readable per call, the reader taken from the same 10
 *    sockets (what registering more costs) or rotating over all of them (what touching more
 *    sockets costs; with, as a baseline, a `recv` that waits without any selector).
 *
 * Progress goes to stderr, the Markdown tables (or JSON) to stdout. Benchmarks report; they
 * never fail on a missed target.
 */

import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import * as net from "node:net";
import { fileURLToPath } from "node:url";
import {
  createServer,
  DefaultSelector,
  EVENT_READ,
  SOMAXCONN,
  type Socket,
  socketpair,
} from "../src/index.js";
import { parseCli } from "./lib/harness.js";
import { median } from "./lib/stats.js";
import { fmt, fmtRatio, markdownTable } from "./lib/table.js";

const HOST = "127.0.0.1";
const SELF = fileURLToPath(import.meta.url);
const SOCKIT_SERVER = fileURLToPath(
  new URL("../examples/selectors-echo-server.js", import.meta.url),
);
const PYTHON_SERVER = fileURLToPath(
  new URL("../../test/fixtures/selectors_echo_server.py", import.meta.url),
);
const PINNED_ENV = "SOCKIT_BENCH_PINNED";
const MESSAGE = Buffer.alloc(64, 0x61);

type ServerName = "sockit" | "tasks" | "net" | "python";
const SERVERS: readonly ServerName[] = ["sockit", "tasks", "net", "python"];
const LABEL: Record<ServerName, string> = {
  sockit: "sockit DefaultSelector",
  tasks: "sockit, no selector",
  net: "raw node:net",
  python: "CPython selectors",
};

const progress = (message: string): void => {
  process.stderr.write(`[selectors] ${message}\n`);
};

// --- the raw node:net echo server (this script with --serve-net) ------------------------------

function serveNet(): void {
  const server = net.createServer((sock) => {
    sock.on("data", (data) => sock.write(data));
    sock.on("error", () => sock.destroy());
  });
  server.listen({ host: HOST, port: 0, backlog: 4096 }, () => {
    console.log(`listening on ${HOST} ${(server.address() as net.AddressInfo).port}`);
  });
  process.once("SIGTERM", () => {
    server.close();
    process.exit(0);
  });
}

// --- a sockit echo server without a selector (this script with --serve-tasks) ----------------

async function serveTasks(): Promise<void> {
  const server = await createServer([HOST, 0], { backlog: SOMAXCONN });
  console.log(`listening on ${HOST} ${(server.getsockname() as [string, number])[1]}`);
  process.once("SIGTERM", () => {
    server.close();
    process.exit(0);
  });
  for (;;) {
    const [conn] = await server.accept();
    void echoTask(conn);
  }
}

/** One blocking task per connection: recv, sendAll, until end of stream. */
async function echoTask(conn: Socket): Promise<void> {
  try {
    for (let data = await conn.recv(65536); data.length > 0; data = await conn.recv(65536)) {
      await conn.sendAll(data);
    }
  } catch {
    // a reset: just drop the connection
  } finally {
    conn.close();
  }
}

// --- pinning ---------------------------------------------------------------------------------

/** Re-runs this script under `taskset -c 0` (with a raised open-files limit) if it can. */
function pinned(): boolean {
  if (process.env[PINNED_ENV] !== undefined) return process.env[PINNED_ENV] === "1";
  const hasTaskset = spawnSync("taskset", ["-c", "0", "true"]).status === 0;
  const raise = 'ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null';
  const command = hasTaskset ? ["taskset", "-c", "0", process.execPath] : [process.execPath];
  const result = spawnSync(
    "sh",
    ["-c", `${raise}; exec "$@"`, "sh", ...command, SELF, ...process.argv.slice(2)],
    { stdio: "inherit", env: { ...process.env, [PINNED_ENV]: hasTaskset ? "1" : "0" } },
  );
  process.exit(result.status ?? 1);
}

// --- servers and the client ------------------------------------------------------------------

interface Server {
  port: number;
  stop(): Promise<void>;
}

async function startServer(name: ServerName): Promise<Server> {
  const [command, args]: [string, string[]] =
    name === "sockit"
      ? [process.execPath, [SOCKIT_SERVER, HOST, "0", "--quiet"]]
      : name === "python"
        ? ["python3", [PYTHON_SERVER, HOST, "0"]]
        : [process.execPath, [SELF, `--serve-${name}`]];
  const child: ChildProcess = spawn(command, args, { stdio: ["ignore", "pipe", "inherit"] });
  const exited = once(child, "exit");
  let text = "";
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.on("data", (chunk: Buffer) => {
      text += chunk.toString();
      const match = /^listening on \S+ (\d+)\n/.exec(text);
      if (match) resolve(Number(match[1]));
    });
    void exited.then(() => reject(new Error(`the ${name} server exited: ${text}`)));
  });
  return {
    port,
    async stop() {
      child.kill("SIGTERM");
      await exited;
    },
  };
}

function connect(port: number): Promise<net.Socket> {
  const sock = net.connect({ host: HOST, port, noDelay: true });
  return once(sock, "connect").then(() => sock);
}

/** `warmup` then `count` round trips of 64 B; the round-trip times in ms. */
async function pingPong(port: number, warmup: number, count: number): Promise<Float64Array> {
  const sock = await connect(port);
  const rtts = new Float64Array(count);
  await new Promise<void>((resolve) => {
    let i = -warmup;
    let pending = MESSAGE.length;
    let start = performance.now();
    sock.on("data", (data) => {
      pending -= data.length;
      if (pending > 0) return;
      if (i >= 0) rtts[i] = performance.now() - start;
      if (++i === count) return resolve();
      pending = MESSAGE.length;
      start = performance.now();
      sock.write(MESSAGE);
    });
    sock.write(MESSAGE);
  });
  sock.destroy();
  return rtts;
}

/** Resolves once `sock` has received `bytes` more bytes. */
function echoed(sock: net.Socket, bytes: number): Promise<void> {
  return new Promise((resolve) => {
    let pending = bytes;
    const onData = (data: Buffer): void => {
      pending -= data.length;
      if (pending > 0) return;
      sock.off("data", onData);
      resolve();
    };
    sock.on("data", onData);
  });
}

/**
 * Opens `n` connections (at most `inFlight` connecting at once), then each echoes 64 B at the
 * same time. `totalMs` runs from the first connect to the last echo; `echoMs` is the echo round
 * alone, started once the server has accepted every connection (the last one echoed a probe,
 * and servers accept in order).
 */
async function connections(
  port: number,
  n: number,
  inFlight: number,
): Promise<{ totalMs: number; echoMs: number }> {
  const socks: net.Socket[] = [];
  const t0 = performance.now();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < n) {
      next++;
      socks.push(await connect(port));
    }
  };
  await Promise.all(Array.from({ length: Math.min(inFlight, n) }, worker));
  const last = socks[socks.length - 1]!;
  const probe = echoed(last, MESSAGE.length);
  last.write(MESSAGE);
  await probe;
  const t1 = performance.now();
  const round = socks.map((sock) => echoed(sock, MESSAGE.length));
  for (const sock of socks) sock.write(MESSAGE);
  await Promise.all(round);
  const t2 = performance.now();
  for (const sock of socks) sock.destroy();
  return { totalMs: t2 - t0, echoMs: t2 - t1 };
}

// --- scaling of select() ---------------------------------------------------------------------

interface ScalingRow {
  registered: number;
  /** Median µs per `select()`, the readable socket taken from the same 10 sockets. */
  selectUs: number;
  /** The same, with the readable socket rotating over every registered one. */
  rotatingSelectUs: number;
  /** Median µs per send 1 B + select() + recv, the readable socket rotating. */
  rotatingIterationUs: number;
  /** Baseline without a selector: median µs for `recv` to wait for the byte, rotating. */
  rotatingRecvWaitUs: number;
}

/**
 * Per-call times with the first `registered / 2` pairs registered (both ends), one readable
 * per call: the reader is taken round-robin from the first `active` pairs (`active < 0`: no
 * selector at all, see {@link recvWait}).
 */
async function scalingRun(
  pairs: [Socket, Socket][],
  registered: number,
  active: number,
  calls: number,
): Promise<{ select: number[]; iteration: number[] }> {
  const used = pairs.slice(0, registered / 2);
  if (active < 0) return recvWait(used, calls);
  using sel = new DefaultSelector();
  for (const [a, b] of used) {
    sel.register(a, EVENT_READ);
    sel.register(b, EVENT_READ);
  }
  const one = Buffer.from("x");
  const select: number[] = [];
  const iteration: number[] = [];
  for (let i = 0; i < calls; i++) {
    const [a, b] = used[i % Math.min(active, used.length)]!;
    const t0 = performance.now();
    await a.send(one);
    const t1 = performance.now();
    const ready = await sel.select();
    const t2 = performance.now();
    if (ready.length !== 1 || ready[0]![0].fileobj !== b) throw new Error("unexpected readiness");
    await b.recv(1);
    const t3 = performance.now();
    select.push(t2 - t1);
    iteration.push(t3 - t0);
  }
  return { select, iteration };
}

/** Without a selector: per call, how long a blocking `recv` waits for a byte just sent. */
async function recvWait(
  used: [Socket, Socket][],
  calls: number,
): Promise<{ select: number[]; iteration: number[] }> {
  const one = Buffer.from("x");
  const waits: number[] = [];
  for (let i = 0; i < calls; i++) {
    const [a, b] = used[i % used.length]!;
    await a.send(one);
    const t0 = performance.now();
    await b.recv(1);
    waits.push(performance.now() - t0);
  }
  return { select: waits, iteration: waits };
}

async function scaling(sizes: number[], calls: number, reps: number): Promise<ScalingRow[]> {
  const largest = Math.max(...sizes);
  const smallest = Math.min(...sizes);
  progress(`creating ${largest / 2} socket pairs`);
  const pairs: [Socket, Socket][] = [];
  try {
    for (let i = 0; i < largest / 2; i++) pairs.push(await socketpair());
    const fixed = new Map(sizes.map((n) => [n, [] as number[]]));
    const recvWaits = new Map(sizes.map((n) => [n, [] as number[]]));
    const rotating = new Map(
      sizes.map((n) => [n, { select: [] as number[], iteration: [] as number[] }]),
    );
    await scalingRun(pairs, smallest, smallest / 2, 2_000); // let the JIT settle first
    for (let rep = 0; rep < reps; rep++) {
      for (const n of sizes) {
        progress(`scaling rep ${rep + 1}/${reps}: ${n} registered`);
        await scalingRun(pairs, n, smallest / 2, Math.min(calls, 500)); // warm-up
        fixed.get(n)!.push(...(await scalingRun(pairs, n, smallest / 2, calls)).select);
        const run = await scalingRun(pairs, n, n / 2, calls);
        rotating.get(n)!.select.push(...run.select);
        rotating.get(n)!.iteration.push(...run.iteration);
        recvWaits.get(n)!.push(...(await scalingRun(pairs, n, -1, calls)).select);
      }
    }
    return sizes.map((n) => ({
      registered: n,
      selectUs: median(fixed.get(n)!) * 1000,
      rotatingSelectUs: median(rotating.get(n)!.select) * 1000,
      rotatingIterationUs: median(rotating.get(n)!.iteration) * 1000,
      rotatingRecvWaitUs: median(recvWaits.get(n)!) * 1000,
    }));
  } finally {
    for (const [a, b] of pairs) {
      a.close();
      b.close();
    }
  }
}

// --- main ------------------------------------------------------------------------------------

type Samples = Map<ServerName, number[]>;

/** Interleaved repetitions over fresh servers: ping-pong RTT medians and connection times, ms. */
async function measureServers(
  reps: number,
  quick: boolean,
  wants: (section: string) => boolean,
): Promise<{ rtt: Samples; total: Samples; echo: Samples; conns: number }> {
  const rounds = { warmup: quick ? 200 : 2_000, count: quick ? 2_000 : 20_000 };
  const conns = quick ? 500 : 5_000;
  const samples = (): Samples => new Map(SERVERS.map((s) => [s, []]));
  const rtt = samples();
  const total = samples();
  const echo = samples();
  for (let rep = 0; rep < reps; rep++) {
    // Rotate the order so that drift on the machine does not always hit the same server.
    for (const name of SERVERS.map((_, i) => SERVERS[(i + rep) % SERVERS.length]!)) {
      if (wants("pingpong")) {
        progress(`rep ${rep + 1}/${reps}: ${name}: ping-pong`);
        const server = await startServer(name);
        try {
          rtt.get(name)!.push(median(await pingPong(server.port, rounds.warmup, rounds.count)));
        } finally {
          await server.stop();
        }
      }
      if (wants("connections")) {
        progress(`rep ${rep + 1}/${reps}: ${name}: ${conns} connections`);
        const server = await startServer(name);
        try {
          await connections(server.port, conns / 10, 256); // warm-up, as ping-pong has
          const result = await connections(server.port, conns, 256);
          total.get(name)!.push(result.totalMs);
          echo.get(name)!.push(result.echoMs);
        } finally {
          await server.stop();
        }
      }
    }
  }
  return { rtt, total, echo, conns };
}

async function main(): Promise<void> {
  const options = parseCli(process.argv.slice(2));
  const isPinned = pinned();
  const wants = (section: string): boolean =>
    options.only.length === 0 || options.only.some((o) => section.includes(o));
  const { reps, quick } = options;
  progress(`pinned to CPU 0: ${isPinned}; open-files limit: ${readLimit()}; ${reps} reps`);
  const { rtt, total, echo, conns } = await measureServers(reps, quick, wants);
  const sizes = quick ? [10, 100, 1_000] : [10, 1_000, 10_000];
  const rows = wants("scaling") ? await scaling(sizes, quick ? 500 : 3_000, reps) : [];

  const med = (m: Samples, s: ServerName): number => median(m.get(s)!);
  if (options.json) {
    const perServer = (f: (s: ServerName) => object) =>
      Object.fromEntries(SERVERS.map((s) => [s, f(s)]));
    const results = {
      bench: "selectors",
      pinned: isPinned,
      reps,
      pingpong: perServer((s) => ({ medianRttUs: med(rtt, s) * 1000, repsMs: rtt.get(s) })),
      connections: perServer((s) => ({
        connections: conns,
        totalMs: med(total, s),
        echoMs: med(echo, s),
        repsTotalMs: total.get(s),
        repsEchoMs: echo.get(s),
      })),
      scaling: rows,
    };
    console.log(JSON.stringify(results, null, 2));
    return;
  }
  const n = conns.toLocaleString("en-US");
  const line = (what: string, m: Samples, unit: string, scale: number, target: string) => [
    what,
    ...SERVERS.map((s) => `${fmt(med(m, s) * scale, 1)} ${unit}`),
    fmtRatio(med(m, "sockit") / med(m, "net")),
    fmtRatio(med(m, "sockit") / med(m, "python")),
    fmtRatio(med(m, "tasks") / med(m, "net")),
    target,
  ];
  const table: string[][] = [];
  if (wants("pingpong")) {
    const target = "≤ 1.1× node:net, ≤ 1× CPython";
    table.push(line("64 B ping-pong, median round trip", rtt, "µs", 1000, target));
  }
  if (wants("connections")) {
    table.push(
      line(`${n} connections: connect + echo 64 B each`, total, "ms", 1, "≤ 1.1× node:net"),
    );
    table.push(
      line(`echo round alone (${n} accepted connections)`, echo, "ms", 1, "≤ 1.1× node:net"),
    );
  }
  if (table.length > 0) {
    const how = isPinned ? "client and server pinned to CPU 0" : "NOT pinned";
    console.log(`### Echo servers (${how}, medians of ${reps} reps)\n`);
    const ratios = ["sockit ÷ node:net", "sockit ÷ CPython", "no selector ÷ node:net"];
    console.log(markdownTable(["", ...SERVERS.map((s) => LABEL[s]), ...ratios, "target"], table));
  }
  if (rows.length > 0) printScaling(rows, reps);
}

function printScaling(rows: ScalingRow[], reps: number): void {
  const base = rows[0]!;
  const us = (value: number): string => `${fmt(value, 2)} µs`;
  console.log(`\n### select() with one readable socket per call (median per call, ${reps} reps)\n`);
  const header = [
    "registered sockets",
    `select(), reader among the same ${base.registered}`,
    "÷ at 10",
    "select(), reader rotating over all",
    "÷ at 10",
    "no selector: recv() wait, rotating",
    "÷ at 10",
    "send 1 B + select() + recv, rotating",
  ];
  const cells = (r: ScalingRow): string[] => [
    r.registered.toLocaleString("en-US"),
    us(r.selectUs),
    fmtRatio(r.selectUs / base.selectUs),
    us(r.rotatingSelectUs),
    fmtRatio(r.rotatingSelectUs / base.rotatingSelectUs),
    us(r.rotatingRecvWaitUs),
    fmtRatio(r.rotatingRecvWaitUs / base.rotatingRecvWaitUs),
    us(r.rotatingIterationUs),
  ];
  console.log(markdownTable(header, rows.map(cells)));
}

function readLimit(): string {
  try {
    const limits = readFileSync("/proc/self/limits", "utf8");
    return /Max open files\s+(\S+)/.exec(limits)?.[1] ?? "unknown";
  } catch {
    return "unknown";
  }
}

if (process.argv.includes("--serve-net")) serveNet();
else if (process.argv.includes("--serve-tasks")) await serveTasks();
else await main();
