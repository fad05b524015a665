/**
 * The sockit peer: both sides written the way the README teaches, with awaits on a Socket.
 * With `timeout` set, every socket (listening, accepted, connecting) gets `setTimeout(timeout)`.
 */

import { once } from "node:events";
import { pipeline } from "node:stream/promises";
import {
  createServer,
  IPPROTO_TCP,
  SHUT_WR,
  type Socket,
  socket,
  TCP_NODELAY,
} from "../../src/index.js";
import {
  echoFramed,
  echoPingPong,
  framedExchange,
  openAll,
  pingPong,
  receiveBulk,
} from "../lib/await-programs.js";
import { serveLines } from "../lib/net-helpers.js";
import { connectionRounds, type PeerImplementation, runPeer } from "../lib/peer.js";
import { HOST } from "../lib/protocol.js";
import { bulkSource, countingSink } from "../lib/streams.js";

function tune(sock: Socket, timeout: number | null = null): Socket {
  sock.setsockopt(IPPROTO_TCP, TCP_NODELAY, 1);
  if (timeout !== null) sock.setTimeout(timeout);
  return sock;
}

async function listen(timeout: number | null = null, backlog?: number): Promise<Socket> {
  const server = await createServer([HOST, 0], backlog === undefined ? {} : { backlog });
  if (timeout !== null) server.setTimeout(timeout);
  return server;
}

function portOf(server: Socket): number {
  const address = server.getsockname();
  if (typeof address === "string") throw new Error("expected an IP listener");
  return address[1];
}

/** Accepts exactly one connection and stops listening. */
async function acceptOne(server: Socket, timeout: number | null = null): Promise<Socket> {
  const [conn] = await server.accept();
  server.close();
  return tune(conn, timeout);
}

async function connect(port: number, timeout: number | null = null): Promise<Socket> {
  const sock = tune(socket(), timeout);
  await sock.connect([HOST, port]);
  return sock;
}

/** Reads until the peer's FIN, then closes (no buffer held while idle). */
async function drainAndClose(sock: Socket): Promise<void> {
  while ((await sock.recv(65536)).length > 0) {}
  sock.close();
}

const GO = Buffer.from([1]);

const sockit: PeerImplementation = {
  bulk: {
    async server(p, ctx) {
      const server = await listen();
      ctx.ready(portOf(server));
      const conn = await acceptOne(server);
      await conn.recvExactly(1);
      ctx.mark("start");
      const chunk = Buffer.alloc(p.chunkBytes, 0x61);
      for (let sent = 0; sent < p.totalBytes; sent += chunk.length) await conn.sendAll(chunk);
      ctx.mark("end");
      conn.shutdown(SHUT_WR);
      await drainAndClose(conn);
    },
    async client(p, ctx) {
      const sock = await connect(ctx.port);
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

  pingpong: {
    async server(p, ctx) {
      const server = await listen(p.timeout);
      ctx.ready(portOf(server));
      const conn = await acceptOne(server, p.timeout);
      await echoPingPong(conn, p, ctx);
      await drainAndClose(conn);
    },
    async client(p, ctx) {
      const sock = await connect(ctx.port, p.timeout);
      const metrics = await pingPong(sock, p, (work) => ctx.timed(work));
      sock.shutdown(SHUT_WR);
      await drainAndClose(sock);
      return metrics;
    },
  },

  framed: {
    async server(p, ctx) {
      const server = await listen(p.timeout);
      ctx.ready(portOf(server));
      const conn = await acceptOne(server, p.timeout);
      await echoFramed(conn, p, ctx);
      await drainAndClose(conn);
    },
    async client(p, ctx) {
      const sock = await connect(ctx.port, p.timeout);
      await framedExchange(sock, p, p.warmup);
      await ctx.timed(() => framedExchange(sock, p, p.messages));
      sock.shutdown(SHUT_WR);
      await drainAndClose(sock);
      return { messages: p.messages };
    },
  },

  connections: {
    async server(p, ctx) {
      const server = await listen(null, p.backlog);
      ctx.ready(portOf(server));
      const handlers: Promise<void>[] = [];
      let echoed = 0;
      for (let i = 0; i < p.connections * p.rounds; i++) {
        const [conn] = await server.accept();
        handlers.push(
          (async () => {
            tune(conn);
            await conn.sendAll(await conn.recvExactly(p.messageBytes));
            if (++echoed === p.connections) ctx.mark("end");
            await drainAndClose(conn);
          })(),
        );
      }
      server.close();
      await Promise.all(handlers);
    },
    client: (p, ctx) =>
      connectionRounds(
        p,
        ctx,
        () => openAll(p, () => connect(ctx.port)),
        (sock: Socket) => sock.close(),
      ),
  },

  pipe: {
    async server(p, ctx) {
      const server = await listen();
      ctx.ready(portOf(server));
      const conn = await acceptOne(server);
      await conn.recvExactly(1);
      ctx.mark("start");
      const duplex = conn.toDuplex();
      await pipeline(bulkSource(p.totalBytes, p.chunkBytes), duplex); // ends with SHUT_WR
      ctx.mark("end");
      // Once the client closes, both sides have ended and Node destroys the Duplex.
      duplex.resume();
      await once(duplex, "close");
    },
    async client(_p, ctx) {
      const sock = await connect(ctx.port);
      const sink = countingSink();
      await ctx.timed(async () => {
        await sock.sendAll(GO);
        await pipeline(sock.toDuplex(), sink);
      });
      sock.close();
      return { bytes: sink.bytes };
    },
  },

  lines: {
    server: (p, ctx) => serveLines(ctx, p.warmup + p.lines, p.lineBytes),
    async client(p, ctx) {
      const sock = await connect(ctx.port);
      // style "text": makefile() (text, UTF-8, universal newlines); "binary": makefile("rb").
      const f = sock.makefile(p.style === "binary" ? "rb" : "r");
      await sock.sendAll(GO);
      for (let i = 0; i < p.warmup; i++) await f.readline();
      let count = 0;
      await ctx.timed(async () => {
        for (;;) {
          const line = await f.readline();
          if (line.length === 0) break;
          count++;
        }
      });
      sock.close();
      return { lines: count };
    },
  },
};

runPeer(sockit);
