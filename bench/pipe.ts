/**
 * pipe: the server pipes 2 GiB (64 KiB chunks from `Readable.from`) into its stream, the client
 * pipes its stream into a counting `Writable` (`stream.pipeline` on both sides) and times from
 * its request to the end. sockit: `sock.toDuplex()`; baseline: the `net.Socket` itself.
 * Target: sockit at least 0.9× a raw `net.Socket` (GB/s).
 */

import { type BenchSpec, main, type Variant } from "./lib/harness.js";
import type { PipeParams } from "./lib/protocol.js";
import { fmtBytes } from "./lib/table.js";

const CHUNK = 64 * 1024;

main((cli): BenchSpec => {
  const scale = cli.quick ? 10 : 1;
  const totalBytes = Math.round((2 * 1024 ** 3) / scale / CHUNK) * CHUNK;
  const params: PipeParams = { totalBytes, chunkBytes: CHUNK };
  const variants: Variant[] = [
    { label: "sockit toDuplex", impl: "sockit", params },
    { label: "net.Socket", impl: "net-data", params },
  ];
  return {
    bench: "pipe",
    title: `pipe: ${fmtBytes(totalBytes)} through stream.pipeline on both sides`,
    notes: [
      "server: `pipeline(Readable.from(64 KiB chunks), stream)`; client: `pipeline(stream, counting Writable)`; the same source and sink for both (bench/lib/streams.ts)",
      "stream: `sock.toDuplex()` (sockit) or the `net.Socket` itself (node:net, 'data' events inside), default high-water marks",
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
    compare: { key: "gbps", baseline: "net.Socket" },
    targets: [
      {
        name: "sockit toDuplex GB/s ÷ net.Socket GB/s",
        metric: "gbps",
        subject: "sockit toDuplex",
        baseline: "net.Socket",
        kind: "ratio",
        op: ">=",
        limit: 0.9,
        cpuMetric: "gbpsCpu",
      },
    ],
  };
});
