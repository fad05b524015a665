/**
 * tls-handshakes: 1,000 TLS connections one after another, each a full handshake (no session
 * resumption: every client starts without a session), then a 1-byte echo so the server's side
 * is done too, then a close. Handshakes per second over the whole run.
 * Target: sockit at least 0.9× node:tls. CPython's ssl is shown beside.
 */

import { type BenchSpec, main, type Variant } from "./lib/harness.js";
import type { TlsHandshakesParams } from "./lib/protocol.js";
import { makeTlsFiles } from "./lib/tls-files.js";

main((cli): BenchSpec => {
  const scale = cli.quick ? 10 : 1;
  const params: TlsHandshakesParams = { connections: 1_000 / scale, ...makeTlsFiles() };
  const variants: Variant[] = [
    { label: "sockit", impl: "sockit-tls", params },
    { label: "tls-data", impl: "tls-data", params },
    { label: "tls-floor", impl: "tls-floor", params },
    { label: "python-ssl", impl: "python-ssl", params },
  ];
  return {
    bench: "tls-handshakes",
    title: `tls-handshakes: ${params.connections.toLocaleString("en-US")} sequential TLS 1.3 connections (ECDSA P-256, full handshakes)`,
    notes: [
      "each connection: connect, handshake (the client verifies the server), 1 B echoed, close (close_notify where the API sends one: sockit close(), node:tls end(); CPython's close() sends none)",
      "sockit: createConnection(address, { tls }) / accept + wrapSocket(conn, { server: true }); tls-data: tls.connect / tls.createServer; tls-floor: tls.connect / new TLSSocket over an accepted net.Socket; python-ssl: create_connection + wrap_socket / accept + wrap_socket",
      "servers send TLS 1.3 session tickets as their library does by default (OpenSSL's two); no client ever resumes a session",
    ],
    variants,
    derive: (m) => ({
      ...m,
      perSecond: ((m.connections ?? 0) * 1000) / (m.ms ?? Number.NaN),
      perCpuSecond: ((m.connections ?? 0) * 1000) / (m.cpuMs ?? Number.NaN),
    }),
    columns: [
      { key: "perSecond", label: "handshakes/s", digits: 0 },
      { key: "perCpuSecond", label: "per CPU-s", digits: 0 },
      { key: "ms", label: "time ms", digits: 0 },
      { key: "clientCpuMs", label: "client CPU ms", digits: 0 },
      { key: "serverCpuMs", label: "server CPU ms", digits: 0 },
    ],
    compare: { key: "perSecond", baseline: "tls-data" },
    targets: [
      {
        name: "handshakes/s: sockit ÷ tls-data",
        metric: "perSecond",
        subject: "sockit",
        baseline: "tls-data",
        kind: "ratio",
        op: ">=",
        limit: 0.9,
        cpuMetric: "perCpuSecond",
      },
    ],
  };
});
