/**
 * tls-pingpong: 64-byte messages over TLS 1.3, one in flight: the client `sendAll`s and
 * `recvExactly`s, the server echoes. Round-trip times are taken per message after a warm-up.
 * Target: sockit median ≤ 1.1× node:tls with 'data' events. CPython's ssl is shown beside.
 */

import { type BenchSpec, main, type Variant } from "./lib/harness.js";
import type { TlsPingPongParams } from "./lib/protocol.js";
import { makeTlsFiles } from "./lib/tls-files.js";

main((cli): BenchSpec => {
  const scale = cli.quick ? 10 : 1;
  const params: TlsPingPongParams = {
    messageBytes: 64,
    roundTrips: 20_000 / scale,
    warmup: 10_000 / scale,
    ...makeTlsFiles(),
  };
  const variants: Variant[] = [
    { label: "sockit", impl: "sockit-tls", params },
    { label: "tls-data", impl: "tls-data", params },
    { label: "tls-floor", impl: "tls-floor", params },
    { label: "python-ssl", impl: "python-ssl", params },
  ];
  return {
    bench: "tls-pingpong",
    title: `tls-pingpong: ${params.messageBytes} B over TLS 1.3, ${params.roundTrips.toLocaleString("en-US")} round trips (after ${params.warmup.toLocaleString("en-US")} warm-up)`,
    notes: [
      "sockit: `sendAll` + `recvExactly(64)` on both sides; tls-data: the client writes and counts bytes in 'data', the server echoes each chunk; python-ssl: blocking `sendall` + `recv` until 64 bytes; TCP_NODELAY everywhere",
      "tls-floor: the same program as sockit on the least possible awaitable wrapper over a TLSSocket's 'data' events (bench/peers/tls-floor.ts)",
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
    compare: { key: "medianUs", baseline: "tls-data" },
    targets: [
      {
        name: "median RTT: sockit ÷ tls-data",
        metric: "medianUs",
        subject: "sockit",
        baseline: "tls-data",
        kind: "ratio",
        op: "<=",
        limit: 1.1,
        cpuMetric: "cpuPerRtUs",
      },
    ],
  };
});
