/**
 * framed: 100-byte messages with a 4-byte big-endian length prefix, 32 requests in flight; the
 * server echoes each frame. sockit reads `recvExactly(4)` then `recvExactly(n)`; node:net uses
 * hand-written `Buffer.concat`-then-parse framing; promise-socket `read(4)` then `read(n)`.
 * Targets: sockit ≥ 1.1× node:net 'data' and ≥ 1.4× promise-socket (messages/s); a timeout on
 * every socket costs ≤ 5 % (total time).
 */

import { type BenchSpec, main, type Variant } from "./lib/harness.js";
import type { FramedParams } from "./lib/protocol.js";

main((cli): BenchSpec => {
  const scale = cli.quick ? 10 : 1;
  const params: FramedParams = {
    messages: 100_000 / scale,
    warmup: 20_000 / scale,
    payloadBytes: 100,
    window: 32,
    timeout: null,
  };
  const variants: Variant[] = [
    { label: "sockit", impl: "sockit", params },
    { label: "sockit+timeout", impl: "sockit", params: { ...params, timeout: 30 } },
    { label: "net-data", impl: "net-data", params },
    { label: "net-onread", impl: "net-onread", params },
    { label: "promise-socket", impl: "promise-socket", params },
  ];
  return {
    bench: "framed",
    title: `framed: ${params.messages.toLocaleString("en-US")} messages of ${params.payloadBytes} B + 4-byte length, ${params.window} in flight (after ${params.warmup.toLocaleString("en-US")} warm-up)`,
    notes: [
      "every implementation encodes each frame into a fresh Buffer and the server echoes the payload in a new frame; TCP_NODELAY everywhere",
      "net-data / net-onread parse with `Buffer.concat([pending, chunk])` then cut frames (bench/lib/frame.ts); net-onread's server also reads with `onread`",
      "sockit+timeout: `setTimeout(30)` on every socket, both sides; warm-up messages are not measured",
    ],
    variants,
    derive: (m) => ({
      ...m,
      msgsPerSec: (m.messages ?? 0) / ((m.ms ?? 1) / 1000),
      msgsPerCpuSec: (m.messages ?? 0) / ((m.cpuMs ?? 1) / 1000),
    }),
    columns: [
      { key: "msgsPerSec", label: "messages/s", digits: 0 },
      { key: "msgsPerCpuSec", label: "messages per CPU-s", digits: 0 },
      { key: "ms", label: "time ms", digits: 0 },
      { key: "clientCpuMs", label: "client CPU ms", digits: 0 },
      { key: "serverCpuMs", label: "server CPU ms", digits: 0 },
    ],
    compare: { key: "msgsPerSec", baseline: "net-data" },
    targets: [
      {
        name: "messages/s: sockit ÷ net-data",
        metric: "msgsPerSec",
        subject: "sockit",
        baseline: "net-data",
        kind: "ratio",
        op: ">=",
        limit: 1.1,
        cpuMetric: "msgsPerCpuSec",
      },
      {
        name: "messages/s: sockit ÷ promise-socket",
        metric: "msgsPerSec",
        subject: "sockit",
        baseline: "promise-socket",
        kind: "ratio",
        op: ">=",
        limit: 1.4,
        cpuMetric: "msgsPerCpuSec",
      },
      {
        name: "timeouts are free: time sockit+timeout ÷ sockit",
        metric: "ms",
        subject: "sockit+timeout",
        baseline: "sockit",
        kind: "ratio",
        op: "<=",
        limit: 1.05,
        cpuMetric: "cpuMs",
      },
    ],
  };
});
