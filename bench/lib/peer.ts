/**
 * The runtime of a peer process: `node peers/<impl>.js <role> <bench> <params-json> [port]`.
 *
 * A server listens on 127.0.0.1 port 0, reports `ready` with its port (after a full GC and a
 * memory snapshot, the baseline of the connections benchmark), answers `measure` with a fresh
 * snapshot, and reports `done` with its CPU time once its work is over. A client connects, does
 * the measured work and reports `result`. Each peer exits when it has reported.
 */

import {
  type BenchName,
  type BulkParams,
  type ConnectionsParams,
  type ControlMessage,
  type FramedParams,
  isControlMessage,
  type LinesParams,
  type MemorySnapshot,
  type Metrics,
  type ParamsOf,
  type PeerMessage,
  type PingPongParams,
  type PipeParams,
  type TlsBulkParams,
  type TlsHandshakesParams,
  type TlsPingPongParams,
} from "./protocol.js";

/** What a server side gets from the runtime. */
export interface ServerContext {
  /** Reports the listening port; call it once, when connections can be accepted. */
  ready(port: number): void;
  /**
   * Marks the server's share of the measured part (after the warm-up, until the last reply),
   * so `serverCpuMs` covers the same work as the client's timed part. Unmarked: ready → done.
   */
  mark(point: "start" | "end"): void;
}

/** What a client side gets from the runtime. */
export interface ClientContext {
  readonly port: number;
  /**
   * Runs the measured part; adds `ms` (wall) and `clientCpuMs` to the result, or with `metric`
   * only that metric (wall ms).
   */
  timed(work: () => Promise<void>, metric?: string): Promise<void>;
  /** Reports an intermediate state (connections: everything open) with metrics. */
  opened(metrics: Metrics): void;
  /** Resolves when the benchmark script asks the client to close (after `opened`). */
  readonly closeRequested: Promise<void>;
}

/** One benchmark as a pair of peer sides. */
export interface Sides<P> {
  server(params: P, ctx: ServerContext): Promise<void>;
  /** Returns extra metrics (on top of the timed ones). */
  client(params: P, ctx: ClientContext): Promise<Metrics>;
}

/** Everything an implementation's peer file provides (each benchmark only where it applies). */
export interface PeerImplementation {
  bulk?: Sides<BulkParams>;
  pingpong?: Sides<PingPongParams>;
  framed?: Sides<FramedParams>;
  connections?: Sides<ConnectionsParams>;
  pipe?: Sides<PipeParams>;
  lines?: Sides<LinesParams>;
  "tls-bulk"?: Sides<TlsBulkParams>;
  "tls-pingpong"?: Sides<TlsPingPongParams>;
  "tls-handshakes"?: Sides<TlsHandshakesParams>;
}

function send(message: PeerMessage): Promise<void> {
  return new Promise((resolve, reject) => {
    if (process.send === undefined) {
      process.stdout.write(`${JSON.stringify(message)}\n`);
      resolve();
      return;
    }
    process.send(message, undefined, {}, (error: Error | null) =>
      error ? reject(error) : resolve(),
    );
  });
}

/** A memory snapshot after a full garbage collection (peers run with `--expose-gc`). */
export function memorySnapshot(): MemorySnapshot {
  const gc = Reflect.get(globalThis, "gc");
  if (typeof gc === "function") {
    for (let i = 0; i < 3; i++) gc();
  }
  const { rss, heapUsed, external, arrayBuffers } = process.memoryUsage();
  return { rss, heapUsed, external, arrayBuffers };
}

function cpuMs(since?: NodeJS.CpuUsage): number {
  const usage = process.cpuUsage(since);
  return (usage.user + usage.system) / 1000;
}

const BENCHES: readonly BenchName[] = [
  "bulk",
  "pingpong",
  "framed",
  "connections",
  "pipe",
  "lines",
  "tls-bulk",
  "tls-pingpong",
  "tls-handshakes",
];

function parseBench(value: string | undefined): BenchName {
  const bench = BENCHES.find((b) => b === value);
  if (bench === undefined) throw new Error(`unknown benchmark ${String(value)}`);
  return bench;
}

/** Parses the command line and runs the requested side; call it at the end of a peer file. */
export function runPeer(impl: PeerImplementation): void {
  const [role, benchArg, paramsJson = "{}", portArg = "0"] = process.argv.slice(2);
  const bench = parseBench(benchArg);
  process.on("disconnect", () => process.exit(2));
  const controls: ControlMessage[] = [];
  const wakers = new Set<() => void>();
  process.on("message", (message: unknown) => {
    if (!isControlMessage(message)) return;
    controls.push(message);
    for (const wake of [...wakers]) wake();
  });
  const nextControl = async (type: ControlMessage["type"]): Promise<void> => {
    for (;;) {
      const i = controls.findIndex((c) => c.type === type);
      if (i >= 0) {
        controls.splice(i, 1);
        return;
      }
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          wakers.delete(wake);
          resolve();
        };
        wakers.add(wake);
      });
    }
  };

  const finish = async (message: PeerMessage, code: number): Promise<never> => {
    try {
      await send(message);
    } finally {
      process.exit(code);
    }
  };

  const run = async (): Promise<PeerMessage> => {
    const params: unknown = JSON.parse(paramsJson);
    const sides = impl[bench] as Sides<ParamsOf[BenchName]> | undefined;
    if (sides === undefined) throw new Error(`this peer has no ${bench} benchmark`);
    if (role === "server") {
      let cpuStart: NodeJS.CpuUsage | undefined;
      let base: MemorySnapshot | undefined;
      const measuring = (async () => {
        for (;;) {
          await nextControl("measure");
          await send({ type: "memory", base: base!, now: memorySnapshot() });
        }
      })();
      measuring.catch(() => {});
      let serverCpuMs: number | undefined;
      await sides.server(params as ParamsOf[BenchName], {
        ready(port) {
          base = memorySnapshot();
          cpuStart = process.cpuUsage();
          send({ type: "ready", port }).catch(() => process.exit(2));
        },
        mark(point) {
          if (point === "start") cpuStart = process.cpuUsage();
          else serverCpuMs = cpuMs(cpuStart);
        },
      });
      return { type: "done", metrics: { serverCpuMs: serverCpuMs ?? cpuMs(cpuStart) } };
    }
    if (role === "client") {
      const timing: Metrics = {};
      const metrics = await sides.client(params as ParamsOf[BenchName], {
        port: Number(portArg),
        async timed(work, metric) {
          const cpu = process.cpuUsage();
          const start = performance.now();
          await work();
          if (metric !== undefined) {
            timing[metric] = performance.now() - start;
            return;
          }
          timing.ms = performance.now() - start;
          timing.clientCpuMs = cpuMs(cpu);
        },
        opened(metrics) {
          send({ type: "opened", metrics }).catch(() => process.exit(2));
        },
        closeRequested: nextControl("close"),
      });
      return { type: "result", metrics: { ...timing, ...metrics } };
    }
    throw new Error(`unknown role ${String(role)}`);
  };

  run().then(
    (message) => finish(message, 0),
    (error: unknown) =>
      finish(
        {
          type: "failed",
          message: error instanceof Error ? (error.stack ?? error.message) : String(error),
        },
        1,
      ),
  );
}

/**
 * Calls `ctx.mark("start")` once `startAt` units (bytes, messages…) were counted and
 * `ctx.mark("end")` at `endAt`; for callback-style servers that count what they echo.
 */
export function marker(
  ctx: ServerContext,
  startAt: number,
  endAt: number,
): (units: number) => void {
  let count = 0;
  if (startAt === 0) ctx.mark("start");
  return (units) => {
    const before = count;
    count += units;
    if (before < startAt && count >= startAt) ctx.mark("start");
    if (before < endAt && count >= endAt) ctx.mark("end");
  };
}

/** Re-exported for peers: parameter types. */
export type {
  BulkParams,
  ConnectionsParams,
  FramedParams,
  LinesParams,
  Metrics,
  PingPongParams,
  PipeParams,
  TlsBulkParams,
  TlsHandshakesParams,
  TlsPingPongParams,
};

/**
 * The connections benchmark's client, the same for every implementation: opens every connection
 * with `open` (timed), reports them open, closes them with `close` when told to; then, with two
 * rounds, opens as many again in the same process (timed as `warmMs`) and closes those.
 */
export async function connectionRounds<S>(
  p: ConnectionsParams,
  ctx: ClientContext,
  open: () => Promise<S[]>,
  close: (sock: S) => void,
): Promise<Metrics> {
  let socks: S[] = [];
  await ctx.timed(async () => {
    socks = await open();
  });
  ctx.opened({});
  await ctx.closeRequested;
  for (const sock of socks) close(sock);
  let opened = socks.length;
  if (p.rounds > 1) {
    await ctx.timed(async () => {
      socks = await open();
    }, "warmMs");
    for (const sock of socks) close(sock);
    opened += socks.length;
  }
  return { connections: opened };
}
