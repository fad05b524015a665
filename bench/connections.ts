/**
 * connections: the client opens 5,000 connections at once, each sends 64 B and waits for the
 * echo; time is until every echo is back (fresh processes: cold). With all of them open, the
 * server reports its memory (after a full GC) against its baseline before the first
 * connection. Then the client closes them and opens 5,000 again in the same processes: the warm
 * round, timed alone.
 * Targets: cold total time ≤ 1.2× node:net 'data' and ≤ 1.0× promise-socket, warm ≤ 1.1×
 * 'data'; server heap+external per connection ≤ 'data' + 1 KiB, RSS ≤ 'data' + 2 KiB.
 */

import { type BenchSpec, main, type Variant } from "./lib/harness.js";
import type { ConnectionsParams } from "./lib/protocol.js";
import { environment } from "./lib/spawn.js";

/** File descriptors a peer needs besides its connections. */
const SPARE_FDS = 64;

main((cli): BenchSpec => {
  const scale = cli.quick ? 10 : 1;
  const wanted = 5_000 / scale;
  const env = environment();
  const connections = Math.min(wanted, env.nofile - SPARE_FDS);
  const params: ConnectionsParams = {
    connections,
    messageBytes: 64,
    backlog: 4096,
    rounds: 2,
  };
  const notes = [
    "client: all connections started at once (sockit `connect` + `sendAll` + `recvExactly`; node:net 'data' / `onread`; promise-socket), server echoes; listen backlog 4096 for all",
    "time ms: the first round in fresh processes (cold); warm ms: a second round of as many in the same processes, once the first is closed",
    "memory: server growth with every connection open after a full GC, ÷ connections; heap+external = V8 heapUsed + external (Buffers); RSS is noisier (allocator pages)",
    "await-floor: the same program as sockit on the least possible awaitable wrapper over `onread` (bench/lib/await-socket.ts: no modes, timeouts or checks), the floor of any promise-per-call API",
  ];
  if (connections < wanted) {
    notes.push(
      `open-files limit ${env.nofile} only allows ${connections} connections (wanted ${wanted})`,
    );
  }
  const variants: Variant[] = [
    { label: "sockit", impl: "sockit", params },
    { label: "net-data", impl: "net-data", params },
    { label: "net-onread", impl: "net-onread", params },
    { label: "await-floor", impl: "await-floor", params },
    { label: "promise-socket", impl: "promise-socket", params },
  ];
  return {
    bench: "connections",
    title: `connections: ${connections.toLocaleString("en-US")} concurrent connections, each echoing ${params.messageBytes} B`,
    notes,
    variants,
    derive: (m) => ({
      ...m,
      heapExtPerConn: (m.heapExternalGrowth ?? Number.NaN) / connections,
      heapPerConn: (m.heapGrowth ?? Number.NaN) / connections,
      externalPerConn: (m.externalGrowth ?? Number.NaN) / connections,
      rssPerConn: (m.rssGrowth ?? Number.NaN) / connections,
    }),
    columns: [
      { key: "ms", label: "time ms", digits: 0 },
      { key: "warmMs", label: "warm ms", digits: 0 },
      { key: "heapExtPerConn", label: "server heap+ext B/conn", digits: 0 },
      { key: "heapPerConn", label: "heap B/conn", digits: 0 },
      { key: "externalPerConn", label: "ext B/conn", digits: 0 },
      { key: "rssPerConn", label: "server RSS B/conn", digits: 0 },
      { key: "clientCpuMs", label: "client CPU ms", digits: 0 },
      { key: "serverCpuMs", label: "server CPU ms", digits: 0 },
    ],
    compare: { key: "ms", baseline: "net-data" },
    measureMemory: true,
    targets: [
      {
        name: "cold total time: sockit ÷ net-data",
        metric: "ms",
        subject: "sockit",
        baseline: "net-data",
        kind: "ratio",
        op: "<=",
        limit: 1.2,
        cpuMetric: "cpuMs",
      },
      {
        name: "cold total time: sockit ÷ promise-socket",
        metric: "ms",
        subject: "sockit",
        baseline: "promise-socket",
        kind: "ratio",
        op: "<=",
        limit: 1.0,
        cpuMetric: "cpuMs",
      },
      {
        name: "warm round time: sockit ÷ net-data",
        metric: "warmMs",
        subject: "sockit",
        baseline: "net-data",
        kind: "ratio",
        op: "<=",
        limit: 1.1,
      },
      {
        name: "server heap+external per connection: sockit − net-data",
        metric: "heapExtPerConn",
        subject: "sockit",
        baseline: "net-data",
        kind: "difference",
        op: "<=",
        limit: 1024,
        unit: "B",
      },
      {
        name: "server RSS per connection: sockit − net-data",
        metric: "rssPerConn",
        subject: "sockit",
        baseline: "net-data",
        kind: "difference",
        op: "<=",
        limit: 2048,
        unit: "B",
      },
    ],
  };
});
