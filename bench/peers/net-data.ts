/**
 * The node:net baseline with `'data'` events on both sides, written the way users typically do:
 * callbacks, `write()` with `'drain'` backpressure, and framing by `Buffer.concat` then parse.
 */

import * as net from "node:net";
import * as readline from "node:readline";
import { pipeline } from "node:stream/promises";
import { ConcatFramer, encodeFrame } from "../lib/frame.js";
import {
  closed,
  connectNet,
  countCloses,
  firstConnection,
  listenNet,
  sendBulk,
  serveLines,
} from "../lib/net-helpers.js";
import {
  connectionRounds,
  marker,
  type PeerImplementation,
  runPeer,
  type ServerContext,
} from "../lib/peer.js";
import { rttMetrics } from "../lib/stats.js";
import { bulkSource, countingSink } from "../lib/streams.js";

const GO = Buffer.from([1]);

/** An echo server that writes every chunk back and ends when the client does. */
async function echoServer(ctx: ServerContext, startAt: number, endAt: number): Promise<void> {
  const server = net.createServer({ noDelay: true });
  ctx.ready(await listenNet(server));
  const conn = await firstConnection(server);
  const count = marker(ctx, startAt, endAt);
  conn.on("data", (chunk: Buffer) => {
    conn.write(chunk);
    count(chunk.length);
  });
  await closed(conn);
}

const netData: PeerImplementation = {
  bulk: {
    async server(p, ctx) {
      const server = net.createServer({ noDelay: true });
      ctx.ready(await listenNet(server));
      const conn = await firstConnection(server);
      await new Promise<void>((resolve) => conn.once("data", () => resolve()));
      ctx.mark("start");
      await sendBulk(conn, p.totalBytes, p.chunkBytes);
      ctx.mark("end");
      conn.end();
      conn.resume();
      await closed(conn);
    },
    async client(p, ctx) {
      const sock = await connectNet(ctx.port);
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

  pingpong: {
    server: (p, ctx) =>
      echoServer(ctx, p.warmup * p.messageBytes, (p.warmup + p.roundTrips) * p.messageBytes),
    async client(p, ctx) {
      const sock = await connectNet(ctx.port);
      const message = Buffer.alloc(p.messageBytes, 0x62);
      const run = (count: number, rtts?: Float64Array): Promise<void> =>
        new Promise((resolve) => {
          let done = 0;
          let got = 0;
          let start = performance.now();
          const onData = (chunk: Buffer): void => {
            got += chunk.length;
            if (got < p.messageBytes) return;
            got -= p.messageBytes;
            if (rtts !== undefined) rtts[done] = performance.now() - start;
            if (++done === count) {
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
      await closed(sock);
      return rttMetrics(rtts);
    },
  },

  framed: {
    async server(p, ctx) {
      const server = net.createServer({ noDelay: true });
      ctx.ready(await listenNet(server));
      const conn = await firstConnection(server);
      const framer = new ConcatFramer();
      const count = marker(ctx, p.warmup, p.warmup + p.messages);
      conn.on("data", (chunk: Buffer) =>
        framer.push(chunk, (payload) => {
          conn.write(encodeFrame(payload));
          count(1);
        }),
      );
      await closed(conn);
    },
    async client(p, ctx) {
      const sock = await connectNet(ctx.port);
      const payload = Buffer.alloc(p.payloadBytes, 0x63);
      const exchange = (count: number): Promise<void> =>
        new Promise((resolve, reject) => {
          const framer = new ConcatFramer();
          let sent = 0;
          let received = 0;
          const onData = (chunk: Buffer): void =>
            framer.push(chunk, (reply) => {
              if (reply.length !== p.payloadBytes) reject(new Error("bad reply"));
              received++;
              if (sent < count) {
                sock.write(encodeFrame(payload));
                sent++;
              }
              if (received === count) {
                sock.off("data", onData);
                resolve();
              }
            });
          sock.on("data", onData);
          for (; sent < Math.min(p.window, count); sent++) sock.write(encodeFrame(payload));
        });
      await exchange(p.warmup);
      await ctx.timed(() => exchange(p.messages));
      sock.end();
      await closed(sock);
      return { messages: p.messages };
    },
  },

  connections: {
    async server(p, ctx) {
      const all = countCloses(p.connections * p.rounds);
      let count = (_bytes: number): void => {};
      const server = net.createServer({ noDelay: true }, (conn) => {
        conn.on("data", (chunk: Buffer) => {
          conn.write(chunk);
          count(chunk.length);
        });
        conn.on("close", all.closed);
      });
      ctx.ready(await listenNet(server, p.backlog));
      count = marker(ctx, 0, p.connections * p.messageBytes);
      await all.done;
      server.close();
    },
    client(p, ctx) {
      const message = Buffer.alloc(p.messageBytes, 0x64);
      const open = (): Promise<net.Socket[]> =>
        Promise.all(
          Array.from(
            { length: p.connections },
            () =>
              new Promise<net.Socket>((resolve, reject) => {
                const sock = net.connect({ host: "127.0.0.1", port: ctx.port, noDelay: true });
                let got = 0;
                sock.once("error", reject);
                sock.once("connect", () => sock.write(message));
                sock.on("data", (chunk: Buffer) => {
                  got += chunk.length;
                  if (got >= p.messageBytes) resolve(sock);
                });
              }),
          ),
        );
      return connectionRounds(p, ctx, open, (sock) => sock.destroy());
    },
  },

  pipe: {
    async server(p, ctx) {
      const server = net.createServer({ noDelay: true });
      ctx.ready(await listenNet(server));
      const conn = await firstConnection(server);
      await new Promise<void>((resolve) => conn.once("data", () => resolve()));
      ctx.mark("start");
      await pipeline(bulkSource(p.totalBytes, p.chunkBytes), conn); // ends with FIN
      ctx.mark("end");
      conn.resume();
      await closed(conn);
    },
    async client(_p, ctx) {
      const sock = await connectNet(ctx.port);
      const sink = countingSink();
      await ctx.timed(async () => {
        sock.write(GO);
        await pipeline(sock, sink);
      });
      sock.destroy();
      return { bytes: sink.bytes };
    },
  },

  lines: {
    server: (p, ctx) => serveLines(ctx, p.warmup + p.lines, p.lineBytes),
    async client(p, ctx) {
      const sock = await connectNet(ctx.port);
      let count = 0;
      sock.write(GO);
      const lines = readline.createInterface({ input: sock, crlfDelay: Number.POSITIVE_INFINITY });
      if (p.style === "iterator") {
        const iterator = lines[Symbol.asyncIterator]();
        for (let i = 0; i < p.warmup; i++) await iterator.next();
        await ctx.timed(async () => {
          while (!(await iterator.next()).done) count++;
        });
      } else {
        // style "events": the 'line' event; the timed part starts after the warm-up lines.
        let seen = 0;
        let warm = (): void => {};
        const warmed = new Promise<void>((resolve) => {
          warm = resolve;
        });
        const closed = new Promise<void>((resolve) => lines.once("close", resolve));
        lines.on("line", () => {
          if (++seen === p.warmup) warm();
          else if (seen > p.warmup) count++;
        });
        if (p.warmup > 0) await warmed;
        await ctx.timed(() => closed);
      }
      sock.destroy();
      return { lines: count };
    },
  },
};

runPeer(netData);
