/**
 * The promise-socket peer (npm `promise-socket`): the nearest existing async/await socket API,
 * `await read(n)` / `await write(data)` on a wrapped `net.Socket`.
 */

import * as net from "node:net";
import { PromiseSocket } from "promise-socket";
import { encodeFrame, HEADER_BYTES } from "../lib/frame.js";
import { countCloses, firstConnection, listenNet } from "../lib/net-helpers.js";
import { connectionRounds, type PeerImplementation, runPeer } from "../lib/peer.js";
import { HOST } from "../lib/protocol.js";
import { rttMetrics } from "../lib/stats.js";

type Wrapped = PromiseSocket<net.Socket>;

/** `read(n)` that must return exactly `n` bytes. */
async function readExactly(sock: Wrapped, n: number): Promise<Buffer> {
  const chunk = await sock.read(n);
  if (!Buffer.isBuffer(chunk) || chunk.length !== n) {
    throw new Error(`expected ${n} bytes, got ${chunk === undefined ? "end" : chunk.length}`);
  }
  return chunk;
}

/** Reads until end of stream, then destroys. */
async function drainAndClose(sock: Wrapped): Promise<void> {
  while ((await sock.read()) !== undefined) {}
  sock.destroy();
}

async function connect(port: number): Promise<Wrapped> {
  const sock = new PromiseSocket(new net.Socket());
  sock.socket.setNoDelay(true);
  await sock.connect(port, HOST);
  return sock;
}

async function acceptOne(ready: (port: number) => void): Promise<Wrapped> {
  const server = net.createServer({ noDelay: true });
  ready(await listenNet(server));
  return new PromiseSocket(await firstConnection(server));
}

const GO = Buffer.from([1]);

const promiseSocket: PeerImplementation = {
  bulk: {
    async server(p, ctx) {
      const conn = await acceptOne(ctx.ready);
      await readExactly(conn, 1);
      ctx.mark("start");
      const chunk = Buffer.alloc(p.chunkBytes, 0x61);
      for (let sent = 0; sent < p.totalBytes; sent += chunk.length) await conn.write(chunk);
      ctx.mark("end");
      await conn.end();
      await drainAndClose(conn);
    },
    async client(p, ctx) {
      const sock = await connect(ctx.port);
      let received = 0;
      await ctx.timed(async () => {
        await sock.write(GO);
        while (received < p.totalBytes) {
          const chunk = await sock.read();
          if (chunk === undefined) throw new Error(`stream ended after ${received} bytes`);
          received += chunk.length;
        }
      });
      await sock.end();
      await drainAndClose(sock);
      return { bytes: received };
    },
  },

  pingpong: {
    async server(p, ctx) {
      const conn = await acceptOne(ctx.ready);
      for (let i = 0; i < p.warmup + p.roundTrips; i++) {
        if (i === p.warmup) ctx.mark("start");
        await conn.write(await readExactly(conn, p.messageBytes));
      }
      ctx.mark("end");
      await drainAndClose(conn);
    },
    async client(p, ctx) {
      const sock = await connect(ctx.port);
      const message = Buffer.alloc(p.messageBytes, 0x62);
      for (let i = 0; i < p.warmup; i++) {
        await sock.write(message);
        await readExactly(sock, p.messageBytes);
      }
      const rtts = new Float64Array(p.roundTrips);
      await ctx.timed(async () => {
        for (let i = 0; i < p.roundTrips; i++) {
          const start = performance.now();
          await sock.write(message);
          await readExactly(sock, p.messageBytes);
          rtts[i] = performance.now() - start;
        }
      });
      await sock.end();
      await drainAndClose(sock);
      return rttMetrics(rtts);
    },
  },

  framed: {
    async server(p, ctx) {
      const conn = await acceptOne(ctx.ready);
      for (let i = 0; i < p.warmup + p.messages; i++) {
        if (i === p.warmup) ctx.mark("start");
        const header = await readExactly(conn, HEADER_BYTES);
        const payload = await readExactly(conn, header.readUInt32BE(0));
        await conn.write(encodeFrame(payload));
      }
      ctx.mark("end");
      await drainAndClose(conn);
    },
    async client(p, ctx) {
      const sock = await connect(ctx.port);
      const payload = Buffer.alloc(p.payloadBytes, 0x63);
      const exchange = async (count: number): Promise<void> => {
        let sent = 0;
        for (; sent < Math.min(p.window, count); sent++) await sock.write(encodeFrame(payload));
        for (let received = 0; received < count; received++) {
          const header = await readExactly(sock, HEADER_BYTES);
          const reply = await readExactly(sock, header.readUInt32BE(0));
          if (reply.length !== p.payloadBytes) throw new Error("bad reply");
          if (sent < count) {
            await sock.write(encodeFrame(payload));
            sent++;
          }
        }
      };
      await exchange(p.warmup);
      await ctx.timed(() => exchange(p.messages));
      await sock.end();
      await drainAndClose(sock);
      return { messages: p.messages };
    },
  },

  connections: {
    async server(p, ctx) {
      const all = countCloses(p.connections * p.rounds);
      let echoed = 0;
      const handle = async (conn: Wrapped): Promise<void> => {
        await conn.write(await readExactly(conn, p.messageBytes));
        if (++echoed === p.connections) ctx.mark("end");
        await drainAndClose(conn);
      };
      const server = net.createServer({ noDelay: true }, (socket) => {
        socket.on("close", all.closed);
        handle(new PromiseSocket(socket)).catch((error: unknown) => {
          process.stderr.write(`promise-socket server: ${String(error)}\n`);
          socket.destroy();
        });
      });
      ctx.ready(await listenNet(server, p.backlog));
      await all.done;
      server.close();
    },
    client(p, ctx) {
      const message = Buffer.alloc(p.messageBytes, 0x64);
      const open = (): Promise<Wrapped[]> =>
        Promise.all(
          Array.from({ length: p.connections }, async () => {
            const sock = await connect(ctx.port);
            await sock.write(message);
            await readExactly(sock, p.messageBytes);
            return sock;
          }),
        );
      return connectionRounds(p, ctx, open, (sock) => sock.destroy());
    },
  },
};

runPeer(promiseSocket);
