/**
 * tls-bulk: as bulk, over TLS 1.3 with AES-256-GCM: the server sends 256 MiB in 64 KiB writes
 * (sockit: `sendAll`), the client receives (sockit: `recvInto` one 64 KiB buffer) and times from
 * its request to the last byte. Both peers are pinned to one CPU, so encryption, decryption and
 * both sides' overhead share it.
 * Target: sockit at least 0.95× node:tls with 'data' events (GB/s). CPython's ssl is shown beside.
 */

import { type BenchSpec, main, type Variant } from "./lib/harness.js";
import type { TlsBulkParams } from "./lib/protocol.js";
import { fmtBytes } from "./lib/table.js";
import { BENCH_CIPHER, makeTlsFiles } from "./lib/tls-files.js";

const CHUNK = 64 * 1024;

main((cli): BenchSpec => {
  const scale = cli.quick ? 10 : 1;
  const totalBytes = Math.round((256 * 1024 ** 2) / scale / CHUNK) * CHUNK;
  const params: TlsBulkParams = { totalBytes, chunkBytes: CHUNK, ...makeTlsFiles() };
  const variants: Variant[] = [
    { label: "sockit", impl: "sockit-tls", params },
    { label: "tls-data", impl: "tls-data", params },
    { label: "tls-floor", impl: "tls-floor", params },
    { label: "python-ssl", impl: "python-ssl", params },
  ];
  return {
    bench: "tls-bulk",
    title: `tls-bulk: ${fmtBytes(totalBytes)} over TLS 1.3 (${BENCH_CIPHER}) in ${fmtBytes(CHUNK)} writes, received into one ${fmtBytes(CHUNK)} buffer`,
    notes: [
      "sockit: createConnection(address, { tls }) / wrapSocket(conn, { server: true }), `sendAll` and `recvInto`; tls-data: tls.connect / tls.createServer, `write` + 'drain' and 'data' events; python-ssl: CPython's ssl with blocking `sendall` / `recv_into` (bench/fixtures/ssl_peer.py)",
      "tls-floor: the same program as sockit on the least possible awaitable wrapper over a TLSSocket's 'data' events (bench/peers/tls-floor.ts: no modes, timeouts or checks), the floor of any promise-per-call API over node:tls",
      "certificates: ECDSA P-256, made for the run by bench/lib/tls-files.ts; every peer checks the cipher",
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
    compare: { key: "gbps", baseline: "tls-data" },
    targets: [
      {
        name: "sockit GB/s ÷ tls-data GB/s",
        metric: "gbps",
        subject: "sockit",
        baseline: "tls-data",
        kind: "ratio",
        op: ">=",
        limit: 0.95,
        cpuMetric: "gbpsCpu",
      },
    ],
  };
});
