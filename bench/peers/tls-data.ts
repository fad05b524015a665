/**
 * The node:tls baseline: `tls.createServer` and `tls.connect`, `'data'` events on both sides,
 * `write()` with `'drain'` backpressure, written the way users typically do.
 */

import { once } from "node:events";
import { readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import * as tls from "node:tls";
import { marker, type PeerImplementation, runPeer } from "../lib/peer.js";
import { HOST, type TlsFiles } from "../lib/protocol.js";
import { rttMetrics } from "../lib/stats.js";
import { BENCH_CIPHER } from "../lib/tls-files.js";

async function listenTls(
  files: TlsFiles,
  onConnection: (socket: tls.TLSSocket) => void,
): Promise<{ server: tls.Server; port: number }> {
  const server = tls.createServer(
    { cert: readFileSync(files.certFile), key: readFileSync(files.keyFile), noDelay: true },
    onConnection,
  );
  server.listen(0, HOST, 1024);
  await once(server, "listening");
  return { server, port: (server.address() as AddressInfo).port };
}

async function connectTls(port: number, ca: Buffer): Promise<tls.TLSSocket> {
  const socket = tls.connect({ host: HOST, port, ca, servername: "localhost" });
  await once(socket, "secureConnect");
  socket.setNoDelay(true);
  if (socket.getCipher().name !== BENCH_CIPHER)
    throw new Error(`cipher ${socket.getCipher().name}`);
  return socket;
}

function closed(socket: tls.TLSSocket): Promise<void> {
  return new Promise((resolve) => {
    if (socket.destroyed) resolve();
    else socket.once("close", () => resolve());
  });
}

const GO = Buffer.from([1]);

const tlsData: PeerImplementation = {
  "tls-bulk": {
    async server(p, ctx) {
      let done: Promise<void> | undefined;
      const { server, port } = await listenTls(p, (conn) => {
        server.close();
        done = (async () => {
          await once(conn, "data");
          ctx.mark("start");
          const chunk = Buffer.alloc(p.chunkBytes, 0x61);
          for (let sent = 0; sent < p.totalBytes; sent += chunk.length) {
            if (!conn.write(chunk)) await once(conn, "drain");
          }
          ctx.mark("end");
          conn.end();
          conn.resume();
          await closed(conn);
        })();
      });
      ctx.ready(port);
      await once(server, "close");
      await done;
    },
    async client(p, ctx) {
      const sock = await connectTls(ctx.port, readFileSync(p.caFile));
      let received = 0;
      await ctx.timed(
        () =>
          new Promise<void>((resolve, reject) => {
            sock.on("data", (chunk: Buffer) => {
              received += chunk.length;
              if (received >= p.totalBytes) resolve();
            });
            sock.once("end", () => reject(new Error(`stream ended after ${received} bytes`)));
            sock.write(GO);
          }),
      );
      sock.removeAllListeners("end");
      sock.end();
      await closed(sock);
      return { bytes: received };
    },
  },

  "tls-pingpong": {
    async server(p, ctx) {
      let done: Promise<void> | undefined;
      const { server, port } = await listenTls(p, (conn) => {
        server.close();
        const count = marker(
          ctx,
          p.warmup * p.messageBytes,
          (p.warmup + p.roundTrips) * p.messageBytes,
        );
        conn.on("data", (chunk: Buffer) => {
          conn.write(chunk);
          count(chunk.length);
        });
        conn.on("end", () => conn.end());
        done = closed(conn);
      });
      ctx.ready(port);
      await once(server, "close");
      await done;
    },
    async client(p, ctx) {
      const sock = await connectTls(ctx.port, readFileSync(p.caFile));
      const message = Buffer.alloc(p.messageBytes, 0x62);
      const run = (count: number, rtts?: Float64Array): Promise<void> =>
        new Promise((resolve) => {
          let i = 0;
          let got = 0;
          let start = performance.now();
          const onData = (chunk: Buffer): void => {
            got += chunk.length;
            if (got < p.messageBytes) return;
            got -= p.messageBytes;
            if (rtts !== undefined) rtts[i] = performance.now() - start;
            if (++i === count) {
              sock.off("data", onData);
              resolve();
              return;
            }
            start = performance.now();
            sock.write(message);
          };
          sock.on("data", onData);
          sock.write(message);
        });
      await run(p.warmup);
      const rtts = new Float64Array(p.roundTrips);
      await ctx.timed(() => run(p.roundTrips, rtts));
      sock.end();
      sock.resume();
      await closed(sock);
      return rttMetrics(rtts);
    },
  },

  "tls-handshakes": {
    async server(p, ctx) {
      let accepted = 0;
      const handlers: Promise<void>[] = [];
      const { server, port } = await listenTls(p, (conn) => {
        if (++accepted === p.connections) server.close();
        conn.on("data", (chunk: Buffer) => conn.write(chunk));
        conn.on("end", () => conn.end());
        handlers.push(closed(conn));
      });
      ctx.ready(port);
      await once(server, "close");
      await Promise.all(handlers);
    },
    async client(p, ctx) {
      const ca = readFileSync(p.caFile);
      await ctx.timed(async () => {
        for (let i = 0; i < p.connections; i++) {
          const sock = tls.connect({ host: HOST, port: ctx.port, ca, servername: "localhost" });
          await once(sock, "secureConnect");
          sock.write(GO);
          await once(sock, "data");
          sock.end(); // close_notify, as sockit's close() and the server's end() send
        }
      });
      return { connections: p.connections };
    },
  },
};

runPeer(tlsData);
