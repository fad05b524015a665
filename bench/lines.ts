/**
 * lines: the server sends 1,000,000 lines of 40 bytes (the same raw `net.Socket` sender for
 * every reader); the client reads them one at a time and times from its request to end of
 * stream. sockit: `await f.readline()` on `sock.makefile()` (text, UTF-8, universal newlines),
 * and on `makefile("rb")`; node:readline over a `net.Socket`, with `'line'` events and with
 * `for await`; and the await floor: the least possible `readline()` returning a promise
 * (bench/lib/streams.ts), the cost of the API shape itself.
 * Target: sockit at least 1.0× node:readline (lines/s).
 */

import { type BenchSpec, main, type Variant } from "./lib/harness.js";
import type { LinesParams } from "./lib/protocol.js";

main((cli): BenchSpec => {
  const scale = cli.quick ? 10 : 1;
  const base = { lines: 1_000_000 / scale, lineBytes: 40 };
  const params = (style: string, warmup = 0): LinesParams => ({ ...base, warmup, style });
  const warm = base.lines;
  const variants: Variant[] = [
    { label: "sockit makefile()", impl: "sockit", params: params("text") },
    { label: "sockit makefile(rb)", impl: "sockit", params: params("binary") },
    { label: "readline 'line'", impl: "net-data", params: params("events") },
    { label: "readline for-await", impl: "net-data", params: params("iterator") },
    { label: "await floor", impl: "await-floor", params: params("text") },
    { label: "warm: sockit makefile()", impl: "sockit", params: params("text", warm) },
    { label: "warm: readline 'line'", impl: "net-data", params: params("events", warm) },
    { label: "warm: await floor", impl: "await-floor", params: params("text", warm) },
  ];
  return {
    bench: "lines",
    title: `lines: ${base.lines.toLocaleString("en-US")} lines of ${base.lineBytes} B, read one at a time`,
    notes: [
      'sockit: `for (;;) { const line = await f.readline(); if (line === "") break; }` on `sock.makefile()` (text) or `makefile("rb")` (Buffers)',
      "readline: `readline.createInterface({ input: netSocket, crlfDelay: Infinity })`, counting 'line' events, or `for await (const line of rl)`",
      "await floor: bench/lib/streams.ts `LineReader`, the least possible `await reader.readline()` over a net.Socket (no modes, timeouts, checks or backpressure)",
      "the server is the same raw net.Socket for every reader (64 KiB writes with 'drain')",
      "warm: the same readers, timed over 1,000,000 lines after reading 1,000,000 untimed (JIT compilation, on the same pinned core, has settled)",
    ],
    variants,
    derive: (m) => ({
      ...m,
      mlps: (m.lines ?? 0) / ((m.ms ?? 1) * 1000),
      mlpsCpu: (m.lines ?? 0) / ((m.cpuMs ?? 1) * 1000),
      clientNsPerLine: ((m.clientCpuMs ?? 0) * 1e6) / (m.lines ?? 1),
    }),
    columns: [
      { key: "mlps", label: "M lines/s", digits: 2 },
      { key: "mlpsCpu", label: "M lines per CPU-s", digits: 2 },
      { key: "clientNsPerLine", label: "client CPU ns/line", digits: 0 },
      { key: "ms", label: "time ms", digits: 0 },
      { key: "clientCpuMs", label: "client CPU ms", digits: 0 },
      { key: "serverCpuMs", label: "server CPU ms", digits: 0 },
    ],
    compare: { key: "mlps", baseline: "readline 'line'" },
    targets: [
      {
        name: "sockit makefile() ÷ readline 'line'",
        metric: "mlps",
        subject: "sockit makefile()",
        baseline: "readline 'line'",
        kind: "ratio",
        op: ">=",
        limit: 1.0,
        cpuMetric: "mlpsCpu",
      },
      {
        name: "sockit makefile() ÷ readline for-await",
        metric: "mlps",
        subject: "sockit makefile()",
        baseline: "readline for-await",
        kind: "ratio",
        op: ">=",
        limit: 1.0,
        cpuMetric: "mlpsCpu",
      },
      {
        name: "warm: sockit makefile() ÷ readline 'line'",
        metric: "mlps",
        subject: "warm: sockit makefile()",
        baseline: "warm: readline 'line'",
        kind: "ratio",
        op: ">=",
        limit: 1.0,
        cpuMetric: "mlpsCpu",
      },
      {
        name: "await floor ÷ readline 'line' (the API shape's own cost)",
        metric: "mlps",
        subject: "await floor",
        baseline: "readline 'line'",
        kind: "ratio",
        op: ">=",
        limit: 1.0,
        cpuMetric: "mlpsCpu",
      },
    ],
  };
});
