/**
 * One end of the rate-limited link test (link.test.ts), run inside a network namespace: it
 * sends SIZE bytes of the fault tests' pattern and receives the peer's, both at once, with a
 * random small timeout on every call (a timed-out call is simply made again: nothing is lost).
 * The server prints {"port":N} first; both print a report at the end.
 * Usage: node link-child.js server HOST SIZE SEED | client HOST PORT SIZE SEED
 */

import { createHash } from "node:crypto";
import { createServer, SHUT_WR, type Socket, socket, TimeoutError } from "../../src/index.js";
import { checkPattern, pattern } from "./peers.js";

const [role = "", host = "", ...rest] = process.argv.slice(2);
const port = role === "client" ? Number(rest.shift()) : 0;
const size = Number(rest[0]);
let seed = Number(rest[1]) >>> 0;

/** 1 to 20 ms, seeded (mulberry32). */
function smallTimeout(): number {
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return (1 + (((t ^ (t >>> 14)) >>> 0) % 20)) / 1000;
}

const timeouts = { send: 0, recv: 0, accept: 0 };

async function send(sock: Socket): Promise<number> {
  const data = pattern(0, size);
  let sent = 0;
  while (sent < size) {
    const chunk = data.subarray(sent, Math.min(size, sent + 16384 + (sent % 50000)));
    try {
      await sock.sendAll(chunk, { timeout: smallTimeout() });
      sent += chunk.length;
    } catch (error) {
      if (!(error instanceof TimeoutError)) throw error;
      timeouts.send++;
      sent += (error as TimeoutError & { bytesSent: number }).bytesSent;
    }
  }
  sock.shutdown(SHUT_WR);
  return sent;
}

async function receive(sock: Socket): Promise<{ received: number; sha256: string }> {
  const hash = createHash("sha256");
  let received = 0;
  for (;;) {
    let chunk: Buffer;
    try {
      chunk = await sock.recv(1 + (received % 70000), { timeout: smallTimeout() });
    } catch (error) {
      if (!(error instanceof TimeoutError)) throw error;
      timeouts.recv++;
      continue;
    }
    if (chunk.length === 0) return { received, sha256: hash.digest("hex") };
    checkPattern(chunk, received);
    hash.update(chunk);
    received += chunk.length;
  }
}

let sock: Socket;
if (role === "server") {
  const server = await createServer([host, 0]);
  process.stdout.write(
    `${JSON.stringify({ port: (server.getsockname() as [string, number])[1] })}\n`,
  );
  for (;;) {
    try {
      [sock] = await server.accept({ timeout: smallTimeout() });
      break;
    } catch (error) {
      if (!(error instanceof TimeoutError)) throw error;
      timeouts.accept++;
    }
  }
  server.close();
} else {
  sock = socket();
  await sock.connect([host, port], { timeout: 10 });
}
const started = performance.now();
const [sent, got] = await Promise.all([send(sock), receive(sock)]);
sock.close();
const ms = Math.round(performance.now() - started);
process.stdout.write(`${JSON.stringify({ sent, ...got, timeouts, ms })}\n`);
