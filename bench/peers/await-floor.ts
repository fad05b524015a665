/**
 * The await floor: the same programs as the sockit peer, on the least possible awaitable wrapper
 * over `onread` (bench/lib/await-socket.ts). What it costs against raw `node:net` is what any
 * promise-per-call API costs; what sockit costs on top of it is sockit's own.
 */

import { once } from "node:events";
import {
  echoFramed,
  echoPingPong,
  framedExchange,
  openAll,
  pingPong,
  receiveBulk,
} from "../lib/await-programs.js";
import { AwaitSocket, awaitServer } from "../lib/await-socket.js";
import {
  closed,
  connectNet,
  countCloses,
  listenNet,
  sendBulk,
  serveLines,
} from "../lib/net-helpers.js";
import { connectionRounds, type PeerImplementation, runPeer } from "../lib/peer.js";
import { HOST } from "../lib/protocol.js";
import { LineReader } from "../lib/streams.js";

const GO = Buffer.from([1]);

async function connect(port: number): Promise<AwaitSocket> {
  const sock = new AwaitSocket();
  sock.socket.connect({ host: HOST, port, noDelay: true });
  await once(sock.socket, "connect");
  return sock;
}

/** Serves `expected` connections with `handle`; resolves when they have all closed. */
async function serve(
  ctx: { ready(port: number): void },
  handle: (sock: AwaitSocket) => Promise<void>,
  expected = 1,
  backlog = 511,
): Promise<void> {
  const all = countCloses(expected);
  const server = awaitServer((sock) => {
    sock.socket.on("close", all.closed);
    void handle(sock).finally(() => sock.socket.end());
  });
  ctx.ready(await listenNet(server, backlog));
  await all.done;
  server.close();
}

const awaitFloor: PeerImplementation = {
  bulk: {
    server: (p, ctx) =>
      serve(ctx, async (conn) => {
        await conn.recvExactly(1);
        ctx.mark("start");
        await sendBulk(conn.socket, p.totalBytes, p.chunkBytes);
        ctx.mark("end");
        await conn.untilEnd();
      }),
    async client(p, ctx) {
      const sock = await connect(ctx.port);
      let received = 0;
      await ctx.timed(async () => {
        await sock.sendAll(GO);
        received = await receiveBulk(sock, p);
      });
      sock.socket.end();
      await closed(sock.socket);
      return { bytes: received };
    },
  },

  pingpong: {
    server: (p, ctx) =>
      serve(ctx, async (conn) => {
        await echoPingPong(conn, p, ctx);
        await conn.untilEnd();
      }),
    async client(p, ctx) {
      const sock = await connect(ctx.port);
      const metrics = await pingPong(sock, p, (work) => ctx.timed(work));
      sock.socket.end();
      await closed(sock.socket);
      return metrics;
    },
  },

  framed: {
    server: (p, ctx) =>
      serve(ctx, async (conn) => {
        await echoFramed(conn, p, ctx);
        await conn.untilEnd();
      }),
    async client(p, ctx) {
      const sock = await connect(ctx.port);
      await framedExchange(sock, p, p.warmup);
      await ctx.timed(() => framedExchange(sock, p, p.messages));
      sock.socket.end();
      await closed(sock.socket);
      return { messages: p.messages };
    },
  },

  connections: {
    server(p, ctx) {
      let echoed = 0;
      return serve(
        ctx,
        async (conn) => {
          await conn.sendAll(await conn.recvExactly(p.messageBytes));
          if (++echoed === p.connections) ctx.mark("end");
          await conn.untilEnd();
        },
        p.connections * p.rounds,
        p.backlog,
      );
    },
    client: (p, ctx) =>
      connectionRounds(
        p,
        ctx,
        () => openAll(p, () => connect(ctx.port)),
        (sock: AwaitSocket) => sock.socket.destroy(),
      ),
  },

  lines: {
    server: (p, ctx) => serveLines(ctx, p.warmup + p.lines, p.lineBytes),
    async client(p, ctx) {
      const sock = await connectNet(ctx.port);
      const reader = new LineReader(sock);
      sock.write(GO);
      for (let i = 0; i < p.warmup; i++) await reader.readline();
      let count = 0;
      await ctx.timed(async () => {
        for (;;) {
          const line = await reader.readline();
          if (line.length === 0) break;
          count++;
        }
      });
      sock.destroy();
      return { lines: count };
    },
  },
};

runPeer(awaitFloor);
