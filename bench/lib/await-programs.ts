/**
 * The benchmark programs written the way the README teaches, with an await per call. The sockit
 * peer and the await-floor peer run these same functions, so the two differ only in the socket
 * underneath.
 */

import { encodeFrame, HEADER_BYTES } from "./frame.js";
import type { ServerContext } from "./peer.js";
import type { BulkParams, ConnectionsParams, FramedParams, PingPongParams } from "./protocol.js";
import { rttMetrics } from "./stats.js";

/** The calls the programs make (sockit's Socket has them, and so does AwaitSocket). */
export interface AwaitStream {
  sendAll(data: Buffer): Promise<void>;
  recvExactly(n: number): Promise<Buffer>;
  recvInto(buffer: Buffer): Promise<number>;
}

/** bulk client: receives `totalBytes` into one buffer; returns the count. */
export async function receiveBulk(sock: AwaitStream, p: BulkParams): Promise<number> {
  const buffer = Buffer.alloc(p.chunkBytes);
  let received = 0;
  while (received < p.totalBytes) {
    const n = await sock.recvInto(buffer);
    if (n === 0) throw new Error(`stream ended after ${received} bytes`);
    received += n;
  }
  return received;
}

/** pingpong server: echoes each message, marking the measured part. */
export async function echoPingPong(
  conn: AwaitStream,
  p: PingPongParams,
  ctx: ServerContext,
): Promise<void> {
  for (let i = 0; i < p.warmup + p.roundTrips; i++) {
    if (i === p.warmup) ctx.mark("start");
    await conn.sendAll(await conn.recvExactly(p.messageBytes));
  }
  ctx.mark("end");
}

/** pingpong client: the warm-up, then `timed` round trips; returns the RTT metrics. */
export async function pingPong(
  sock: AwaitStream,
  p: PingPongParams,
  timed: (work: () => Promise<void>) => Promise<void>,
): Promise<Record<string, number>> {
  const message = Buffer.alloc(p.messageBytes, 0x62);
  for (let i = 0; i < p.warmup; i++) {
    await sock.sendAll(message);
    await sock.recvExactly(p.messageBytes);
  }
  const rtts = new Float64Array(p.roundTrips);
  await timed(async () => {
    for (let i = 0; i < p.roundTrips; i++) {
      const start = performance.now();
      await sock.sendAll(message);
      await sock.recvExactly(p.messageBytes);
      rtts[i] = performance.now() - start;
    }
  });
  return rttMetrics(rtts);
}

/** framed server: echoes each length-prefixed message, marking the measured part. */
export async function echoFramed(
  conn: AwaitStream,
  p: FramedParams,
  ctx: ServerContext,
): Promise<void> {
  for (let i = 0; i < p.warmup + p.messages; i++) {
    if (i === p.warmup) ctx.mark("start");
    const header = await conn.recvExactly(HEADER_BYTES);
    const payload = await conn.recvExactly(header.readUInt32BE(0));
    await conn.sendAll(encodeFrame(payload));
  }
  ctx.mark("end");
}

/** framed client: `count` messages with `p.window` in flight. */
export async function framedExchange(
  sock: AwaitStream,
  p: FramedParams,
  count: number,
): Promise<void> {
  const payload = Buffer.alloc(p.payloadBytes, 0x63);
  let sent = 0;
  for (; sent < Math.min(p.window, count); sent++) await sock.sendAll(encodeFrame(payload));
  for (let received = 0; received < count; received++) {
    const header = await sock.recvExactly(HEADER_BYTES);
    const reply = await sock.recvExactly(header.readUInt32BE(0));
    if (reply.length !== p.payloadBytes) throw new Error("bad reply");
    if (sent < count) {
      await sock.sendAll(encodeFrame(payload));
      sent++;
    }
  }
}

/** connections client: opens `p.connections` at once, each echoing one message. */
export function openAll<S extends AwaitStream>(
  p: ConnectionsParams,
  connect: () => Promise<S>,
): Promise<S[]> {
  const message = Buffer.alloc(p.messageBytes, 0x64);
  return Promise.all(
    Array.from({ length: p.connections }, async () => {
      const sock = await connect();
      await sock.sendAll(message);
      await sock.recvExactly(p.messageBytes);
      return sock;
    }),
  );
}
