/**
 * The sockit TLS peer: both sides as the README teaches, `createConnection(address, { tls })` on
 * the client and `wrapSocket(conn, { server: true })` on the server, then the same awaited calls
 * as the plain sockit peer (bench/lib/await-programs.ts).
 */

import { readFileSync } from "node:fs";
import {
  createConnection,
  createDefaultContext,
  createServer,
  IPPROTO_TCP,
  SHUT_WR,
  type Socket,
  type SSLContext,
  type SSLSocket,
  TCP_NODELAY,
} from "../../src/index.js";
import { echoPingPong, pingPong, receiveBulk } from "../lib/await-programs.js";
import { type PeerImplementation, runPeer } from "../lib/peer.js";
import { HOST, type TlsFiles } from "../lib/protocol.js";
import { BENCH_CIPHER } from "../lib/tls-files.js";

function serverContext(files: TlsFiles): SSLContext {
  return createDefaultContext({
    cert: readFileSync(files.certFile),
    key: readFileSync(files.keyFile),
  });
}

function clientContext(files: TlsFiles): SSLContext {
  return createDefaultContext({ cafile: files.caFile });
}

async function listen(): Promise<{ server: Socket; port: number }> {
  const server = await createServer([HOST, 0], { backlog: 1024 });
  const [, port] = server.getsockname() as [string, number];
  return { server, port };
}

async function connect(port: number, context: SSLContext): Promise<SSLSocket> {
  const sock = (await createConnection([HOST, port], { tls: context })) as SSLSocket;
  sock.setsockopt(IPPROTO_TCP, TCP_NODELAY, 1);
  if (sock.cipher()?.[0] !== BENCH_CIPHER) throw new Error(`cipher ${sock.cipher()?.[0]}`);
  return sock;
}

async function acceptTls(server: Socket, context: SSLContext): Promise<SSLSocket> {
  const [conn] = await server.accept();
  conn.setsockopt(IPPROTO_TCP, TCP_NODELAY, 1);
  return await context.wrapSocket(conn, { server: true });
}

/** Reads until the peer's end, then closes. */
async function drainAndClose(sock: Socket): Promise<void> {
  while ((await sock.recv(65536)).length > 0) {}
  sock.close();
}

const GO = Buffer.from([1]);

const sockitTls: PeerImplementation = {
  "tls-bulk": {
    async server(p, ctx) {
      const context = serverContext(p);
      const { server, port } = await listen();
      ctx.ready(port);
      const conn = await acceptTls(server, context);
      server.close();
      await conn.recvExactly(1);
      ctx.mark("start");
      const chunk = Buffer.alloc(p.chunkBytes, 0x61);
      for (let sent = 0; sent < p.totalBytes; sent += chunk.length) await conn.sendAll(chunk);
      ctx.mark("end");
      conn.shutdown(SHUT_WR);
      await drainAndClose(conn);
    },
    async client(p, ctx) {
      const sock = await connect(ctx.port, clientContext(p));
      let received = 0;
      await ctx.timed(async () => {
        await sock.sendAll(GO);
        received = await receiveBulk(sock, p);
      });
      sock.shutdown(SHUT_WR);
      await drainAndClose(sock);
      return { bytes: received };
    },
  },

  "tls-pingpong": {
    async server(p, ctx) {
      const context = serverContext(p);
      const { server, port } = await listen();
      ctx.ready(port);
      const conn = await acceptTls(server, context);
      server.close();
      await echoPingPong(conn, { ...p, timeout: null }, ctx);
      await drainAndClose(conn);
    },
    async client(p, ctx) {
      const sock = await connect(ctx.port, clientContext(p));
      const metrics = await pingPong(sock, { ...p, timeout: null }, (work) => ctx.timed(work));
      sock.shutdown(SHUT_WR);
      await drainAndClose(sock);
      return metrics;
    },
  },

  "tls-handshakes": {
    async server(p, ctx) {
      const context = serverContext(p);
      const { server, port } = await listen();
      ctx.ready(port);
      const handlers: Promise<void>[] = [];
      for (let i = 0; i < p.connections; i++) {
        const [conn] = await server.accept();
        handlers.push(
          (async () => {
            const tls = await context.wrapSocket(conn, { server: true });
            await tls.sendAll(await tls.recvExactly(1));
            await drainAndClose(tls);
          })(),
        );
      }
      server.close();
      await Promise.all(handlers);
    },
    async client(p, ctx) {
      const context = clientContext(p);
      await ctx.timed(async () => {
        for (let i = 0; i < p.connections; i++) {
          const sock = (await createConnection([HOST, ctx.port], { tls: context })) as SSLSocket;
          await sock.sendAll(GO);
          await sock.recvExactly(1);
          sock.close();
        }
      });
      return { connections: p.connections };
    },
  },
};

runPeer(sockitTls);
