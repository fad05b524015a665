/**
 * pingpong: 64-byte messages, one in flight: the client `sendAll`s and `recvExactly`s, the
 * server echoes. Round-trip times are taken per message after a warm-up.
 * Targets: sockit median ≤ 1.05× and p99 ≤ 1.5× node:net with `onread`; a timeout on every
 * socket costs ≤ 5 % (median round trip).
 */

import { type BenchSpec, main, type Variant } from "./lib/harness.js";
import type { PingPongParams } from "./lib/protocol.js";

main((cli): BenchSpec => {
  const scale = cli.quick ? 10 : 1;
  const params: PingPongParams = {
    messageBytes: 64,
    roundTrips: 20_000 / scale,
    warmup: 10_000 / scale,
    timeout: null,
  };
  const variants: Variant[] = [
    { label: "sockit", impl: "sockit", params },
    { label: "sockit+timeout", impl: "sockit", params: { ...params, timeout: 30 } },
    { label: "net-onread", impl: "net-onread", params },
    { label: "await-floor", impl: "await-floor", params },
    { label: "net-data", impl: "net-data", params },
    { label: "promise-socket", impl: "promise-socket", params },
  ];
  return {
    bench: "pingpong",
    title: `pingpong: ${params.messageBytes} B, ${params.roundTrips.toLocaleString("en-US")} round trips (after ${params.warmup.toLocaleString("en-US")} warm-up)`,
    notes: [
      "await-floor: the same program as sockit on the least possible awaitable wrapper over `onread` (bench/lib/await-socket.ts: no modes, timeouts or checks), the floor of any promise-per-call API",
      "sockit: `sendAll` + `recvExactly(64)` on both sides; node:net client writes and counts bytes in 'data' / `onread`, node:net server echoes each chunk; promise-socket `write` + `read(64)`; TCP_NODELAY everywhere",
      "net-onread's server reads with `onread` too (accepted handles wrapped as sockit does, see bench/lib/net-helpers.ts)",
      "sockit+timeout: `setTimeout(30)` on every socket, both sides",
      "warm-up round trips are not measured, so JIT compilation (which runs on the same pinned core) has settled",
    ],
    variants,
    derive: (m) => ({ ...m, cpuPerRtUs: ((m.cpuMs ?? 0) * 1000) / (m.roundTrips ?? 1) }),
    columns: [
      { key: "medianUs", label: "median µs", digits: 1 },
      { key: "p99Us", label: "p99 µs", digits: 1 },
      { key: "meanUs", label: "mean µs", digits: 1 },
      { key: "cpuPerRtUs", label: "CPU µs/RT", digits: 1 },
      { key: "clientCpuMs", label: "client CPU ms", digits: 0 },
      { key: "serverCpuMs", label: "server CPU ms", digits: 0 },
    ],
    compare: { key: "medianUs", baseline: "net-onread" },
    targets: [
      {
        name: "median RTT: sockit ÷ net-onread",
        metric: "medianUs",
        subject: "sockit",
        baseline: "net-onread",
        kind: "ratio",
        op: "<=",
        limit: 1.05,
        cpuMetric: "cpuPerRtUs",
      },
      {
        name: "p99 RTT: sockit ÷ net-onread",
        metric: "p99Us",
        subject: "sockit",
        baseline: "net-onread",
        kind: "ratio",
        op: "<=",
        limit: 1.5,
      },
      {
        name: "timeouts are free: median RTT sockit+timeout ÷ sockit",
        metric: "medianUs",
        subject: "sockit+timeout",
        baseline: "sockit",
        kind: "ratio",
        op: "<=",
        limit: 1.05,
        cpuMetric: "cpuPerRtUs",
      },
    ],
  };
});
