/**
 * Non-blocking misses and accept rate, against CPython: `node build/bench/misses.js [--quick]
 * [--json] [--reps N] [--only recv,recvInto,send,accept,connect,floor,connect-floor,accept-rate]`.
 *
 * 1. misses: N non-blocking calls that are not ready, each caught as `BlockingIOError`, in sockit
 *    (`await sock.recv(1024)`…, this file's `--role miss`) and in CPython
 *    (bench/fixtures/miss_peers.py): `recv` and `recvInto` with nothing to read, `send` with the
 *    send buffer full, `accept` with nothing pending, and `connect` (a new socket, the
 *    `EINPROGRESS` miss, `close`) to a listener that never accepts. Time per miss.
 *    Beside them, the floor of the API shape: an awaited call that rejects with a fresh,
 *    stackless error carrying a miss's fields and nothing else (no socket, no system call), which
 *    is the least any awaited `recv` that raises can cost.
 * 2. accept rate: a CPython client makes 20,000 sequential connections (connect, read to EOF,
 *    close) to a server that accepts each and closes it: a sockit server (a loop of blocking
 *    `accept` and `close`) against a `node:net` one (`'connection'` → `destroy`).
 *
 * Fresh processes per measure, repetitions interleaved, everything on CPU 0 (the script re-runs
 * itself under `taskset -c 0`); medians, with the range of per-repetition ratios. Benchmarks
 * report; they never fail on a missed target.
 */

import * as net from "node:net";
import { cpus } from "node:os";
import { fileURLToPath } from "node:url";
import {
  BlockingIOError,
  createConnection,
  createServer,
  type Socket,
  socket,
} from "../src/index.js";
import {
  type DriverOptions,
  parseDriverOptions,
  pythonVersion,
  type Result,
  rerunPinned,
  roleCommands,
  runClient,
  runtimeName,
  startServer,
  stop,
} from "./lib/children.js";
import { median } from "./lib/stats.js";
import { fmt, fmtRatio, markdownTable } from "./lib/table.js";

const SELF = fileURLToPath(import.meta.url);
const PEERS = fileURLToPath(new URL("../../bench/fixtures/miss_peers.py", import.meta.url));
const KINDS = ["recv", "recvInto", "send", "accept", "connect"] as const;
type Kind = (typeof KINDS)[number];
/** The CPython call of each kind. */
const PYTHON_KIND: Record<Kind, string> = {
  recv: "recv",
  recvInto: "recv_into",
  send: "send",
  accept: "accept",
  connect: "connect",
};

// --- the sockit roles (run in a child process: `--role NAME ARGS…`) ----------------------------

/** The floor's error: an `Error` subclass with a miss's fields, made without stack frames. */
class FloorMiss extends Error {
  readonly code = "EAGAIN";
  readonly errno = 11;
  readonly op = "recv";
  readonly address = "127.0.0.1:9";
}

/**
 * The floor's call: a promise that rejects with a fresh {@link FloorMiss} once the caller's
 * `await` is attached (the cheapest way to reject: no unhandled-rejection bookkeeping).
 */
function floorCall(): Promise<never> {
  return new Promise((_resolve, reject) => {
    queueMicrotask(() => {
      const limit = Error.stackTraceLimit;
      (Error as { stackTraceLimit: unknown }).stackTraceLimit = undefined;
      try {
        reject(new FloorMiss("Resource temporarily unavailable"));
      } finally {
        Error.stackTraceLimit = limit;
      }
    });
  });
}

/**
 * The connect floor: the least a non-blocking `connect` over `net.Socket` can cost, which is
 * what sockit's stream connections are built on. Each round makes a `net.Socket`, starts its
 * connect to `address`, awaits a call that rejects with a fresh stackless {@link FloorMiss} (the
 * miss), and destroys the socket: no socket object, mode, checks or error table of sockit's.
 */
async function connectFloor(n: number): Promise<Result> {
  const target = net.createServer().listen({ host: "127.0.0.1", port: 0, backlog: 1 });
  await new Promise((resolve) => target.once("listening", resolve));
  const { port } = target.address() as net.AddressInfo;
  const start = performance.now();
  const cpu = process.cpuUsage();
  let misses = 0;
  for (let i = 0; i < n; i++) {
    const sock = new net.Socket();
    sock.on("error", () => {});
    sock.connect(port, "127.0.0.1");
    try {
      await floorCall();
    } catch (error) {
      if (!(error instanceof FloorMiss)) throw error;
      misses++;
    }
    sock.destroy();
  }
  const us = ((performance.now() - start) / n) * 1000;
  const used = process.cpuUsage(cpu);
  target.close();
  return { us_per_miss: us, cpu_us_per_miss: (used.user + used.system) / n, misses };
}

async function floor(n: number): Promise<Result> {
  const start = performance.now();
  const cpu = process.cpuUsage();
  const misses = await countMisses(n, FloorMiss, floorCall);
  const us = ((performance.now() - start) / n) * 1000;
  const used = process.cpuUsage(cpu);
  return { us_per_miss: us, cpu_us_per_miss: (used.user + used.system) / n, misses };
}

/**
 * Makes `n` calls, awaiting each as a program would (`try { await call() } catch …`, as CPython's
 * loop is `try: … except BlockingIOError`), and counts those that fail with `ErrorClass`.
 */
async function countMisses(
  n: number,
  ErrorClass: new (...args: never[]) => Error,
  call: () => Promise<unknown>,
): Promise<number> {
  let misses = 0;
  for (let i = 0; i < n; i++) {
    try {
      await call();
    } catch (error) {
      if (!(error instanceof ErrorClass)) throw error;
      misses++;
    }
  }
  return misses;
}

async function caught(call: Promise<unknown>): Promise<number> {
  try {
    await call;
    return 0;
  } catch (error) {
    if (error instanceof BlockingIOError) return 1;
    throw error;
  }
}

/** Sends until the send buffer is full, twice (the kernel may take bytes in between). */
async function fill(sock: Socket, chunk: Buffer): Promise<void> {
  for (let i = 0; i < 2; i++) {
    while ((await caught(sock.send(chunk))) === 0) {}
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function miss(kind: Kind, n: number): Promise<Result> {
  const server = await createServer(["127.0.0.1", 0]);
  const client = await createConnection(server.getsockname() as [string, number]);
  const [conn] = await server.accept();
  client.setBlocking(false);
  server.setBlocking(false);
  const buffer = Buffer.alloc(1024);
  const chunk = Buffer.alloc(65536, 0x61);
  if (kind === "send") await fill(client, chunk);
  let misses = 0;
  let start = performance.now();
  let cpu = process.cpuUsage();
  if (kind === "recv") {
    misses = await countMisses(n, BlockingIOError, () => client.recv(1024));
  } else if (kind === "recvInto") {
    misses = await countMisses(n, BlockingIOError, () => client.recvInto(buffer));
  } else if (kind === "send") {
    misses = await countMisses(n, BlockingIOError, () => client.send(chunk));
  } else if (kind === "accept") {
    misses = await countMisses(n, BlockingIOError, () => server.accept());
  } else {
    // A listener that never accepts and has a backlog of 1: every connect stays in progress.
    const target = await createServer(["127.0.0.1", 0], { backlog: 1 });
    const address = target.getsockname() as [string, number];
    start = performance.now();
    cpu = process.cpuUsage();
    for (let i = 0; i < n; i++) {
      const sock = socket();
      sock.setBlocking(false);
      try {
        await sock.connect(address);
      } catch (error) {
        if (!(error instanceof BlockingIOError)) throw error;
        misses++;
      }
      sock.close();
    }
    target.close();
  }
  const us = ((performance.now() - start) / n) * 1000;
  const used = process.cpuUsage(cpu);
  for (const sock of [client, conn, server]) sock.close();
  return { us_per_miss: us, cpu_us_per_miss: (used.user + used.system) / n, misses };
}

/** Accepts connections one at a time and closes each at once, for ever. */
async function sockitAcceptServer(): Promise<never> {
  const server = await createServer(["127.0.0.1", 0], { backlog: 1024 });
  console.log((server.getsockname() as [string, number])[1]);
  for (;;) {
    const [conn] = await server.accept();
    conn.close();
  }
}

function netAcceptServer(): void {
  const server = net.createServer((conn) => conn.destroy());
  server.listen({ host: "127.0.0.1", port: 0, backlog: 1024 }, () => {
    console.log((server.address() as net.AddressInfo).port);
  });
}

async function runRole(role: string, args: string[]): Promise<void> {
  if (role === "miss") {
    console.log(JSON.stringify(await miss(args[0] as Kind, Number(args[1]))));
  } else if (role === "floor") {
    console.log(JSON.stringify(await floor(Number(args[0]))));
  } else if (role === "connect-floor") {
    console.log(JSON.stringify(await connectFloor(Number(args[0]))));
  } else if (role === "accept-server") {
    if (args[0] === "sockit") await sockitAcceptServer();
    else netAcceptServer();
  } else throw new Error(`unknown role ${role}`);
}

// --- the driver ------------------------------------------------------------------------------

const progress = (message: string): void => {
  process.stderr.write(`[misses] ${message}\n`);
};

const { python, own: node } = roleCommands(PEERS, SELF);

/** One measure: the subject's figures and the baseline's, one per repetition. */
interface Row {
  measure: string;
  subject: number[];
  baseline: number[];
  /** CPU time of the process per miss, where measured. */
  subjectCpu: number[];
  baselineCpu: number[];
  baselineName: string;
  unit: string;
  target: string;
}

/** One repetition's figures of a miss row: CPython's (or the baseline's) and sockit's. */
function record(r: Row, baseline: Result, subject: Result): void {
  r.baseline.push(baseline.us_per_miss!);
  r.subject.push(subject.us_per_miss!);
  r.baselineCpu.push(baseline.cpu_us_per_miss!);
  r.subjectCpu.push(subject.cpu_us_per_miss!);
}

async function measure(options: DriverOptions): Promise<Row[]> {
  const scale = options.quick ? 10 : 1;
  const want = (name: string): boolean =>
    options.only.length === 0 || options.only.some((o) => name === o);
  const rows = new Map<string, Row>();
  const row = (measure: string, baselineName: string, unit: string, target: string): Row => {
    let r = rows.get(measure);
    if (r === undefined) {
      r = {
        measure,
        subject: [],
        baseline: [],
        subjectCpu: [],
        baselineCpu: [],
        baselineName,
        unit,
        target,
      };
      rows.set(measure, r);
    }
    return r;
  };
  for (let rep = 1; rep <= options.reps; rep++) {
    progress(`repetition ${rep} of ${options.reps}`);
    for (const kind of KINDS) {
      if (!want(kind)) continue;
      const n = (kind === "connect" ? 20_000 : 200_000) / scale;
      const r = row(`${kind} miss (${n.toLocaleString("en-US")})`, "CPython", "µs", "≤ 1.0×");
      const py = await runClient(...python("miss", PYTHON_KIND[kind], n));
      const own = await runClient(...node("miss", kind, n));
      if (own.misses !== n) progress(`sockit ${kind}: ${own.misses} misses of ${n}`);
      record(r, py, own);
    }
    if (want("floor")) {
      const n = 200_000 / scale;
      const r = row(
        `await floor: a call rejecting with a fresh stackless error (${n.toLocaleString("en-US")}), vs CPython's recv miss`,
        "CPython",
        "µs",
        "(the API shape's own cost)",
      );
      const py = await runClient(...python("miss", "recv", n));
      const own = await runClient(...node("floor", n));
      if (own.misses !== n) progress(`floor: ${own.misses} misses of ${n}`);
      record(r, py, own);
    }
    if (want("connect-floor")) {
      const n = 20_000 / scale;
      const r = row(
        `connect floor: net.Socket + connect + an awaited rejection + destroy (${n.toLocaleString("en-US")}), vs CPython's connect miss`,
        "CPython",
        "µs",
        "(the least over net.Socket)",
      );
      const py = await runClient(...python("miss", "connect", n));
      const own = await runClient(...node("connect-floor", n));
      if (own.misses !== n) progress(`connect floor: ${own.misses} misses of ${n}`);
      record(r, py, own);
    }
    if (want("accept-rate")) {
      const n = 20_000 / scale;
      const r = row(
        `accept rate, ${n.toLocaleString("en-US")} sequential connections (CPython client)`,
        "node:net",
        "conn/s",
        "≥ 0.9×",
      );
      for (const impl of ["net", "sockit"] as const) {
        const [server, port] = await startServer(...node("accept-server", impl));
        try {
          const result = await runClient(...python("accept-client", port, n));
          (impl === "net" ? r.baseline : r.subject).push(result.connections_per_s!);
        } finally {
          await stop(server);
        }
      }
    }
  }
  return [...rows.values()];
}

function report(rows: Row[], options: DriverOptions): void {
  if (options.json) {
    console.log(JSON.stringify(rows, null, 2));
    return;
  }
  const cpu = cpus()[0]?.model ?? "unknown CPU";
  console.log(
    `\nsockit vs CPython ${pythonVersion()} and node:net, ${runtimeName()}, ${cpu}, all on CPU 0, medians of ${options.reps}\n`,
  );
  console.log(
    markdownTable(
      [
        "measure",
        "sockit",
        "baseline",
        "sockit ÷ baseline",
        "range of ratios",
        "on CPU time (range)",
        "target",
      ],
      rows.map((r) => {
        const ratios = r.subject.map((s, i) => s / r.baseline[i]!).sort((a, b) => a - b);
        const cpu = r.subjectCpu.map((s, i) => s / r.baselineCpu[i]!).sort((a, b) => a - b);
        return [
          r.measure,
          `${fmt(median(r.subject))} ${r.unit}`,
          `${fmt(median(r.baseline))} ${r.unit} (${r.baselineName})`,
          fmtRatio(median(ratios)),
          `${fmtRatio(ratios[0]!)}–${fmtRatio(ratios[ratios.length - 1]!)}`,
          cpu.length === 0
            ? "—"
            : `${fmtRatio(median(cpu))} (${fmtRatio(cpu[0]!)}–${fmtRatio(cpu[cpu.length - 1]!)})`,
          r.target,
        ];
      }),
    ),
  );
}

const argv = process.argv.slice(2);
if (argv[0] === "--role") {
  await runRole(argv[1]!, argv.slice(2));
} else if (!rerunPinned(SELF, argv)) {
  const options = parseDriverOptions(argv);
  report(await measure(options), options);
}
