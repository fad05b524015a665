/**
 * sockit/sync against CPython's blocking sockets: `node build/bench/sync.js [--quick] [--json]
 * [--reps N] [--only pingpong,bulk,select,udp,connections]`.
 *
 * Each measure runs the same role in CPython (bench/fixtures/sync_peers.py) and in sockit/sync
 * (this file, `--role`), against the same peer, in fresh processes, with repetitions
 * interleaved; the script re-runs itself under `taskset -c 0`, so every process (and the
 * helper thread) shares one CPU. Figures are medians over repetitions.
 *
 * 1. ping-pong: 20,000 round trips of 64 B to a threaded CPython echo server, blocking and
 *    with setTimeout(5): median and p99.
 * 2. bulk: 1 GiB from a CPython sender, received with recvInto into one 64 KiB buffer; and the
 *    same with `fs.readSync` on the descriptor, the floor of any Node.js library.
 * 3. select: an echo server that is one DefaultSelector loop (sockit/sync, or CPython's
 *    selectors), driven by a CPython client over 100 connections: time per round trip.
 * 4. UDP ping-pong: 20,000 round trips of 64 B datagrams (`sendTo` + `recvFrom`) to a CPython
 *    UDP echo server: median and p99; and the same with the least blocking datagram API Node.js
 *    allows (bench/lib/blocking-dgram.ts), the floor of any such API.
 * 5. connections: 1,000 × createConnection + 64 B echo + close against the echo server, after
 *    a first one timed on its own (in sockit/sync, it starts the helper thread); and the same
 *    with the two floors of bench/lib/blocking-connect.ts: the least a helper-thread design can
 *    do, and a connection made on the calling thread's own handle (which no library can build
 *    on; see there).
 *
 * Progress goes to stderr, the Markdown table (or JSON) to stdout. Benchmarks report; they
 * never fail on a missed target.
 */

import { spawn } from "node:child_process";
import { once } from "node:events";
import { readSync } from "node:fs";
import { cpus } from "node:os";
import { fileURLToPath } from "node:url";
import {
  AF_INET,
  BlockingIOError,
  createConnection,
  createServer,
  DefaultSelector,
  EVENT_READ,
  SOCK_DGRAM,
  type Socket,
  socket,
} from "../src/sync/index.js";
import {
  type BlockingConnection,
  connectOnThisThread,
  HelperConnector,
} from "./lib/blocking-connect.js";
import { BlockingDgram } from "./lib/blocking-dgram.js";
import {
  type Command,
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
const PEERS = fileURLToPath(new URL("../../bench/fixtures/sync_peers.py", import.meta.url));
const MESSAGE = Buffer.alloc(64, 0x61);

// --- the sockit/sync roles (run in a child process: `--role NAME ARGS…`) ----------------------

function pingpong(port: number, n: number, mode: string): Result {
  const sock = createConnection(["127.0.0.1", port]);
  if (mode === "timeout") sock.setTimeout(5);
  const buffer = Buffer.alloc(64);
  const exchange = (): void => {
    sock.sendAll(MESSAGE);
    for (let got = 0; got < 64; ) got += sock.recvInto(buffer.subarray(got));
  };
  for (let i = 0; i < n / 10; i++) exchange();
  const times = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const start = performance.now();
    exchange();
    times[i] = performance.now() - start;
  }
  sock.close();
  times.sort();
  return { median_us: times[n >> 1]! * 1000, p99_us: times[Math.floor(n * 0.99)]! * 1000 };
}

/**
 * Receives `total` bytes with `recvInto` into one 64 KiB buffer; or, as the floor, with
 * `fs.readSync` on the same descriptor: the least any Node.js library can do per read. (The
 * descriptor is non-blocking until sockit's first wait; a floor read that finds it so lets one
 * `recvInto` wait, which leaves it blocking.)
 */
function bulkReceiver(total: number, floor: boolean): Result {
  const server = createServer(["127.0.0.1", 0]);
  console.log((server.getsockname() as [string, number])[1]);
  const [conn] = server.accept();
  const fd = conn.fileno();
  const buffer = Buffer.alloc(64 * 1024);
  const readFloor = (): number => {
    try {
      return readSync(fd, buffer, 0, buffer.length, null);
    } catch {
      return conn.recvInto(buffer);
    }
  };
  let got = 0;
  const start = performance.now();
  while (got < total) {
    const n = floor ? readFloor() : conn.recvInto(buffer);
    if (n === 0) break;
    got += n;
  }
  const seconds = (performance.now() - start) / 1000;
  conn.close();
  server.close();
  return { bytes: got, mb_per_s: got / seconds / 1e6 };
}

/** PyMOTW's selectors echo server shape, with sockit/sync: one loop, non-blocking sockets. */
function selectServer(): never {
  const server = createServer(["127.0.0.1", 0], { backlog: 1024 });
  server.setBlocking(false);
  const sel = new DefaultSelector<Socket, "listener" | "client">();
  sel.register(server, EVENT_READ, "listener");
  console.log((server.getsockname() as [string, number])[1]);
  for (;;) {
    for (const [key] of sel.select()) {
      if (key.data === "listener") {
        try {
          const [conn] = server.accept();
          conn.setBlocking(false);
          sel.register(conn, EVENT_READ, "client");
        } catch (error) {
          if (!(error instanceof BlockingIOError)) throw error;
        }
        continue;
      }
      const conn = key.fileobj;
      let data: Buffer;
      try {
        data = conn.recv(65536);
      } catch (error) {
        if (error instanceof BlockingIOError) continue;
        data = Buffer.alloc(0);
      }
      if (data.length === 0) {
        sel.unregister(conn);
        conn.close();
      } else {
        conn.setBlocking(true);
        conn.sendAll(data);
        conn.setBlocking(false);
      }
    }
  }
}

/** Who makes the connections: sockit/sync, or one of the floors (bench/lib/blocking-connect.ts). */
function connector(kind: string): (address: [string, number]) => BlockingConnection {
  if (kind === "sockit") return (address) => createConnection(address);
  if (kind === "helper-floor") {
    const helper = new HelperConnector();
    return (address) => helper.createConnection(address);
  }
  if (kind === "own-thread") return connectOnThisThread;
  throw new Error(`unknown connector ${kind}`);
}

function connections(port: number, n: number, kind: string): Result {
  const buffer = Buffer.alloc(64);
  const connect = connector(kind);
  const one = (): void => {
    const sock = connect(["127.0.0.1", port]);
    sock.sendAll(MESSAGE);
    for (let got = 0; got < 64; ) got += sock.recvInto(buffer.subarray(got));
    sock.close();
  };
  // The first connection is timed on its own: it starts the helper thread (not the own-thread
  // floor's).
  let start = performance.now();
  one();
  const first = performance.now() - start;
  start = performance.now();
  for (let i = 0; i < n; i++) one();
  return { first_us: first * 1000, us_per_connection: ((performance.now() - start) / n) * 1000 };
}

/** The calls of a datagram ping-pong: sockit/sync's socket or the blocking floor. */
interface DatagramCalls {
  sendTo(data: Uint8Array, address: [string, number]): number;
  recvFrom(n: number): [Buffer, unknown];
  close(): void;
}

function udpPingpong(port: number, n: number, floor = false): Result {
  const sock: DatagramCalls = floor ? new BlockingDgram() : socket(AF_INET, SOCK_DGRAM);
  const to: [string, number] = ["127.0.0.1", port];
  const times = new Float64Array(n);
  for (let i = 0; i < n / 10; i++) {
    sock.sendTo(MESSAGE, to);
    sock.recvFrom(2048);
  }
  for (let i = 0; i < n; i++) {
    const start = performance.now();
    sock.sendTo(MESSAGE, to);
    sock.recvFrom(2048);
    times[i] = performance.now() - start;
  }
  sock.close();
  times.sort();
  return { median_us: times[n >> 1]! * 1000, p99_us: times[Math.floor(n * 0.99)]! * 1000 };
}

function runRole(role: string, args: string[]): void {
  const number = (i: number): number => Number(args[i]);
  let result: Result;
  if (role === "pingpong") result = pingpong(number(0), number(1), args[2]!);
  else if (role === "bulk-receiver") result = bulkReceiver(number(0), false);
  else if (role === "bulk-floor-receiver") result = bulkReceiver(number(0), true);
  else if (role === "select-server") selectServer();
  else if (role === "connections") result = connections(number(0), number(1), args[2]!);
  else if (role === "udp-pingpong") result = udpPingpong(number(0), number(1));
  else if (role === "udp-floor-pingpong") result = udpPingpong(number(0), number(1), true);
  else throw new Error(`unknown role ${role}`);
  console.log(JSON.stringify(result));
}

// --- the driver ------------------------------------------------------------------------------

const progress = (message: string): void => {
  process.stderr.write(`[sync] ${message}\n`);
};

const { python, own: sockit } = roleCommands(PEERS, SELF);

interface Row {
  measure: string;
  cpython: number[];
  sockit: number[];
  unit: string;
  /** Whether lower is better (times) or higher (rates). */
  lower: boolean;
}

async function measure(options: DriverOptions): Promise<Row[]> {
  const scale = options.quick ? 10 : 1;
  const rows: Row[] = [];
  const want = (name: string): boolean =>
    options.only.length === 0 || options.only.some((o) => name.includes(o));
  /** The row of `measure`, made on its first repetition. */
  const row = (measure: string, unit: string, lower: boolean): Row => {
    let r = rows.find((existing) => existing.measure === measure);
    if (r === undefined) {
      r = { measure, cpython: [], sockit: [], unit, lower };
      rows.push(r);
    }
    return r;
  };
  const [echo, echoPort] = await startServer(...python("echo-server"));
  try {
    for (let rep = 1; rep <= options.reps; rep++) {
      progress(`repetition ${rep} of ${options.reps}`);
      if (want("pingpong")) {
        const n = 20_000 / scale;
        for (const mode of ["blocking", "timeout"]) {
          const medianRow = row(`ping-pong 64 B, ${mode}, median`, "µs", true);
          const p99 = row(`ping-pong 64 B, ${mode}, p99`, "µs", true);
          for (const [who, target] of [
            ["cpython", python("pingpong", echoPort, n, mode)],
            ["sockit", sockit("pingpong", echoPort, n, mode)],
          ] as const) {
            const result = await runClient(...target);
            medianRow[who].push(result.median_us!);
            p99[who].push(result.p99_us!);
          }
        }
      }
      if (want("bulk")) {
        const total = Math.floor(1024 ** 3 / scale);
        const bulk = row("bulk 1 GiB, recvInto 64 KiB", "MB/s", false);
        const floor = row("bulk, the fs.readSync floor in sockit's column", "MB/s", false);
        const receive = async (target: Command): Promise<number> => {
          const [receiver, port] = await startServer(...target);
          const sender = spawn(...python("bulk-sender", port, total), { stdio: "inherit" });
          const sent = once(sender, "exit");
          const lines: string[] = [];
          receiver.stdout!.on("data", (chunk: string) => lines.push(chunk));
          await Promise.all([once(receiver, "exit"), sent]);
          const json = lines.join("").trim().split("\n").pop()!;
          return (JSON.parse(json) as Result).mb_per_s!;
        };
        const cpython = await receive(python("bulk-receiver", total));
        bulk.cpython.push(cpython);
        floor.cpython.push(cpython);
        bulk.sockit.push(await receive(sockit("bulk-receiver", total)));
        floor.sockit.push(await receive(sockit("bulk-floor-receiver", total)));
      }
      if (want("select")) {
        const select = row("select echo loop, 100 connections, per round trip", "µs", true);
        for (const [who, target] of [
          ["cpython", python("select-server")],
          ["sockit", sockit("select-server")],
        ] as const) {
          const [server, port] = await startServer(...target);
          try {
            const result = await runClient(...python("select-client", port, 100, 2000 / scale));
            select[who].push(result.us_per_round_trip!);
          } finally {
            await stop(server);
          }
        }
      }
      if (want("udp")) {
        const n = 20_000 / scale;
        const medianRow = row("UDP ping-pong 64 B, sendTo + recvFrom, median", "µs", true);
        const p99 = row("UDP ping-pong 64 B, sendTo + recvFrom, p99", "µs", true);
        const floorRow = row(
          "UDP ping-pong, the blocking floor in sockit's column, median",
          "µs",
          true,
        );
        const [udpEcho, udpPort] = await startServer(...python("udp-echo-server"));
        try {
          const cpython = await runClient(...python("udp-pingpong", udpPort, n));
          const ours = await runClient(...sockit("udp-pingpong", udpPort, n));
          const floor = await runClient(...sockit("udp-floor-pingpong", udpPort, n));
          medianRow.cpython.push(cpython.median_us!);
          p99.cpython.push(cpython.p99_us!);
          floorRow.cpython.push(cpython.median_us!);
          medianRow.sockit.push(ours.median_us!);
          p99.sockit.push(ours.p99_us!);
          floorRow.sockit.push(floor.median_us!);
        } finally {
          await stop(udpEcho);
        }
      }
      if (want("connections")) {
        const n = 1000 / scale;
        const first = row(
          "the first connect + echo + close (sockit: starts the helper)",
          "µs",
          true,
        );
        const conns = row("1,000 × connect + echo 64 B + close after it, each", "µs", true);
        const helperFloor = row(
          "the same, the helper-thread floor in sockit's column, each",
          "µs",
          true,
        );
        const ownFloor = row(
          "the same, connecting on the calling thread (not usable) in sockit's column, each",
          "µs",
          true,
        );
        const cpython = await runClient(...python("connections", echoPort, n));
        const ours = await runClient(...sockit("connections", echoPort, n, "sockit"));
        const helper = await runClient(...sockit("connections", echoPort, n, "helper-floor"));
        const own = await runClient(...sockit("connections", echoPort, n, "own-thread"));
        first.cpython.push(cpython.first_us!);
        first.sockit.push(ours.first_us!);
        for (const r of [conns, helperFloor, ownFloor]) r.cpython.push(cpython.us_per_connection!);
        conns.sockit.push(ours.us_per_connection!);
        helperFloor.sockit.push(helper.us_per_connection!);
        ownFloor.sockit.push(own.us_per_connection!);
      }
    }
  } finally {
    await stop(echo);
  }
  return rows;
}

function report(rows: Row[], options: DriverOptions): void {
  if (options.json) {
    console.log(JSON.stringify(rows, null, 2));
    return;
  }
  const cpu = cpus()[0]?.model ?? "unknown CPU";
  console.log(
    `\nsockit/sync vs CPython ${pythonVersion()}, ${runtimeName()}, ${cpu}, all on CPU 0, medians of ${options.reps}\n`,
  );
  console.log(
    markdownTable(
      ["measure", "CPython", "sockit/sync", "sockit ÷ CPython", "range of ratios"],
      rows.map((r) => {
        const ratios = r.sockit.map((s, i) => s / r.cpython[i]!).sort((a, b) => a - b);
        return [
          r.measure,
          `${fmt(median(r.cpython))} ${r.unit}`,
          `${fmt(median(r.sockit))} ${r.unit}`,
          fmtRatio(median(r.sockit) / median(r.cpython)),
          `${fmtRatio(ratios[0]!)}–${fmtRatio(ratios[ratios.length - 1]!)}`,
        ];
      }),
    ),
  );
}

const argv = process.argv.slice(2);
if (argv[0] === "--role") {
  runRole(argv[1]!, argv.slice(2));
} else if (!rerunPinned(SELF, argv)) {
  // (rerunPinned re-runs this driver under taskset, so every peer and helper thread share CPU 0.)
  const options = parseDriverOptions(argv);
  report(await measure(options), options);
}
