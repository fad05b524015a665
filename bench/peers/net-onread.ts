/**
 * The node:net baseline with the `onread` option: reads land in one reused buffer, no
 * allocation per read. Clients pass `onread` to `net.connect`; servers use
 * {@link onreadServer} (see lib/net-helpers.ts for why and how). Bytes kept past the callback
 * are copied, as `onread` requires.
 */

import * as net from "node:net";
import { ConcatFramer, encodeFrame } from "../lib/frame.js";
import {
  closed,
  connectNet,
  countCloses,
  firstConnection,
  listenNet,
  onreadServer,
  sendBulk,
} from "../lib/net-helpers.js";
import {
  connectionRounds,
  marker,
  type PeerImplementation,
  runPeer,
  type ServerContext,
} from "../lib/peer.js";
import { rttMetrics } from "../lib/stats.js";

const GO = Buffer.from([1]);

/** A client socket whose reads go to whatever `onChunk` currently is. */
async function connectOnread(
  port: number,
  bufferBytes = 64 * 1024,
): Promise<{ sock: net.Socket; setReader(reader: (chunk: Buffer) => void): void }> {
  let reader = (_chunk: Buffer): void => {};
  const sock = await connectNet(port, {
    buffer: Buffer.alloc(bufferBytes),
    callback: (n: number, buf: Uint8Array): boolean => {
      reader(Buffer.from(buf.buffer, buf.byteOffset, n));
      return true;
    },
  });
  return {
    sock,
    setReader(next) {
      reader = next;
    },
  };
}

/** One-connection echo server: copies each chunk out of the shared buffer and writes it back. */
async function echoServer(
  ctx: ServerContext,
  marks: { startAt: number; endAt: number },
  expected = 1,
  backlog = 511,
): Promise<void> {
  const all = countCloses(expected);
  let count = (_bytes: number): void => {};
  const server = onreadServer({
    connection(socket) {
      socket.on("close", all.closed);
    },
    read(socket, chunk) {
      socket.write(Buffer.from(chunk));
      count(chunk.length);
    },
  });
  ctx.ready(await listenNet(server, backlog));
  count = marker(ctx, marks.startAt, marks.endAt);
  await all.done;
  server.close();
}

const netOnread: PeerImplementation = {
  bulk: {
    async server(p, ctx) {
      // The sender: onread changes nothing on this side.
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
      const { sock, setReader } = await connectOnread(ctx.port, p.chunkBytes);
      let received = 0;
      await ctx.timed(
        () =>
          new Promise<void>((resolve, reject) => {
            setReader((chunk) => {
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
      echoServer(ctx, {
        startAt: p.warmup * p.messageBytes,
        endAt: (p.warmup + p.roundTrips) * p.messageBytes,
      }),
    async client(p, ctx) {
      const { sock, setReader } = await connectOnread(ctx.port);
      const message = Buffer.alloc(p.messageBytes, 0x62);
      const run = (count: number, rtts?: Float64Array): Promise<void> =>
        new Promise((resolve) => {
          let done = 0;
          let got = 0;
          let start = performance.now();
          setReader((chunk) => {
            got += chunk.length;
            if (got < p.messageBytes) return;
            got -= p.messageBytes;
            if (rtts !== undefined) rtts[done] = performance.now() - start;
            if (++done === count) {
              resolve();
              return;
            }
            start = performance.now();
            sock.write(message);
          });
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
      const all = countCloses(1);
      const framer = new ConcatFramer();
      let count = (_frames: number): void => {};
      const server = onreadServer({
        connection(socket) {
          socket.on("close", all.closed);
        },
        read(socket, chunk) {
          framer.push(chunk, (payload) => {
            socket.write(encodeFrame(payload));
            count(1);
          });
        },
      });
      ctx.ready(await listenNet(server));
      count = marker(ctx, p.warmup, p.warmup + p.messages);
      await all.done;
      server.close();
    },
    async client(p, ctx) {
      const { sock, setReader } = await connectOnread(ctx.port);
      const payload = Buffer.alloc(p.payloadBytes, 0x63);
      const exchange = (count: number): Promise<void> =>
        new Promise((resolve, reject) => {
          const framer = new ConcatFramer();
          let sent = 0;
          let received = 0;
          setReader((chunk) =>
            framer.push(chunk, (reply) => {
              if (reply.length !== p.payloadBytes) reject(new Error("bad reply"));
              received++;
              if (sent < count) {
                sock.write(encodeFrame(payload));
                sent++;
              }
              if (received === count) resolve();
            }),
          );
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
    server: (p, ctx) =>
      echoServer(
        ctx,
        { startAt: 0, endAt: p.connections * p.messageBytes },
        p.connections * p.rounds,
        p.backlog,
      ),
    client(p, ctx) {
      const message = Buffer.alloc(p.messageBytes, 0x64);
      const shared = Buffer.alloc(64 * 1024);
      const open = (): Promise<net.Socket[]> =>
        Promise.all(
          Array.from(
            { length: p.connections },
            () =>
              new Promise<net.Socket>((resolve, reject) => {
                let got = 0;
                const sock = net.connect({
                  host: "127.0.0.1",
                  port: ctx.port,
                  noDelay: true,
                  onread: {
                    buffer: shared,
                    callback: (n: number): boolean => {
                      got += n;
                      if (got >= p.messageBytes) resolve(sock);
                      return true;
                    },
                  },
                });
                sock.once("error", reject);
                sock.once("connect", () => sock.write(message));
              }),
          ),
        );
      return connectionRounds(p, ctx, open, (sock) => sock.destroy());
    },
  },
};

runPeer(netOnread);
