/**
 * bulk: the server sends 2 GiB with 64 KiB writes (sockit: `sendAll`), the client receives
 * (sockit: `recvInto` one 64 KiB buffer) and times from its request to the last byte.
 * Target: sockit at least 1.0× node:net with `onread` (GB/s).
 */

import { type BenchSpec, main, type Variant } from "./lib/harness.js";
import type { BulkParams } from "./lib/protocol.js";
import { fmtBytes } from "./lib/table.js";

const CHUNK = 64 * 1024;

main((cli): BenchSpec => {
  const scale = cli.quick ? 10 : 1;
  const totalBytes = Math.round((2 * 1024 ** 3) / scale / CHUNK) * CHUNK;
  const params: BulkParams = { totalBytes, chunkBytes: CHUNK };
  const variants: Variant[] = [
    { label: "sockit", impl: "sockit", params },
    { label: "net-onread", impl: "net-onread", params },
    { label: "await-floor", impl: "await-floor", params },
    { label: "net-data", impl: "net-data", params },
    { label: "promise-socket", impl: "promise-socket", params },
  ];
  return {
    bench: "bulk",
    title: `bulk: ${fmtBytes(totalBytes)} in ${fmtBytes(CHUNK)} writes, received into one ${fmtBytes(CHUNK)} buffer`,
    notes: [
      "await-floor: the same program as sockit on the least possible awaitable wrapper over `onread` (bench/lib/await-socket.ts: no modes, timeouts or checks), the floor of any promise-per-call API",
      "server sends (sockit `sendAll`, node:net `write` + 'drain', promise-socket `write`); client receives (sockit `recvInto`, net 'data' / `onread`, promise-socket `read()`) and times request → last byte",
      "GB/s = 10⁹ bytes per second; CPU ms is each process's user+system time while the data flows",
    ],
    variants,
    derive: (m) => ({
      ...m,
      gbps: (m.bytes ?? 0) / ((m.ms ?? 1) * 1e6),
      gbpsCpu: (m.bytes ?? 0) / ((m.cpuMs ?? 1) * 1e6),
    }),
    columns: [
      { key: "gbps", label: "GB/s", digits: 3 },
      { key: "gbpsCpu", label: "GB per CPU-s", digits: 3 },
      { key: "ms", label: "time ms", digits: 0 },
      { key: "clientCpuMs", label: "client CPU ms", digits: 0 },
      { key: "serverCpuMs", label: "server CPU ms", digits: 0 },
    ],
    compare: { key: "gbps", baseline: "net-onread" },
    targets: [
      {
        name: "sockit GB/s ÷ net-onread GB/s",
        metric: "gbps",
        subject: "sockit",
        baseline: "net-onread",
        kind: "ratio",
        op: ">=",
        limit: 1.0,
        cpuMetric: "gbpsCpu",
      },
    ],
  };
});
