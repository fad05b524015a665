/**
 * The Node.js sides of the UDP benchmark (bench/udp.ts), one program per implementation:
 *
 *   node build/bench/peers/udp.js IMPL pingpong-server WARMUP
 *   node build/bench/peers/udp.js IMPL pingpong-client PORT WARMUP COUNT SIZE
 *   node build/bench/peers/udp.js IMPL flood-receiver
 *
 * IMPL is `sockit` (the API as the README teaches it: `sendTo`, `recvFrom`, `recvFromInto`),
 * `dgram` (raw `node:dgram`: `'message'` events and `send`) or `floor` (the least awaitable
 * wrapper over `node:dgram` with sockit's shapes, bench/lib/await-dgram.ts). The same protocol
 * as bench/fixtures/udp_bench.py: "ready PORT" once bound, "result {json}" at the end. A
 * ping-pong ends with an empty datagram; a flood with its first 1-byte datagram.
 */

import * as dgram from "node:dgram";
import { once } from "node:events";
import { AF_INET, type IPv4Address, SOCK_DGRAM, socket } from "../../src/index.js";
import { AwaitDgram } from "../lib/await-dgram.js";
import { rttMetrics } from "../lib/stats.js";

const HOST = "127.0.0.1";
const [impl, role, ...args] = process.argv.slice(2);
const numbers = args.map(Number);

const cpuMs = (since?: NodeJS.CpuUsage): number => {
  const usage = process.cpuUsage(since);
  return (usage.user + usage.system) / 1000;
};

function report(result: Record<string, number>): void {
  process.stdout.write(`result ${JSON.stringify(result)}\n`);
}

/** The awaitable API of sockit or of the floor, over one bound socket. */
interface Awaitable {
  port: number;
  recvFrom(): Promise<[Buffer, IPv4Address]>;
  recvFromInto(buffer: Buffer): Promise<[number, IPv4Address]>;
  sendTo(data: Buffer, to: IPv4Address): Promise<number>;
  close(): void;
}

async function awaitable(): Promise<Awaitable> {
  if (impl === "floor") {
    const sock = new AwaitDgram();
    const port = await sock.bind(HOST, 0);
    return {
      port,
      recvFrom: () => sock.recvFrom(),
      recvFromInto: (buffer) => sock.recvFromInto(buffer),
      sendTo: (data, to) => sock.sendTo(data, to),
      close: () => sock.close(),
    };
  }
  const sock = socket(AF_INET, SOCK_DGRAM);
  await sock.bind([HOST, 0]);
  return {
    port: (sock.getsockname() as IPv4Address)[1],
    recvFrom: () => sock.recvFrom(2048) as Promise<[Buffer, IPv4Address]>,
    recvFromInto: (buffer) => sock.recvFromInto(buffer) as Promise<[number, IPv4Address]>,
    sendTo: (data, to) => sock.sendTo(data, to),
    close: () => sock.close(),
  };
}

async function rawSocket(): Promise<dgram.Socket> {
  const sock = dgram.createSocket("udp4");
  sock.bind(0, HOST);
  await once(sock, "listening");
  process.stdout.write(`ready ${sock.address().port}\n`);
  return sock;
}

// --- ping-pong -----------------------------------------------------------------------------------

async function pingPongServer(warmup: number): Promise<void> {
  let echoed = 0;
  let cpu = process.cpuUsage();
  if (impl === "dgram") {
    const sock = await rawSocket();
    sock.on("message", (data, from) => {
      if (data.length === 0) {
        report({ serverCpuMs: cpuMs(cpu) });
        sock.close();
        return;
      }
      sock.send(data, from.port, from.address);
      if (++echoed === warmup) cpu = process.cpuUsage();
    });
    return;
  }
  const sock = await awaitable();
  process.stdout.write(`ready ${sock.port}\n`);
  for (;;) {
    const [data, from] = await sock.recvFrom();
    if (data.length === 0) break;
    await sock.sendTo(data, from);
    if (++echoed === warmup) cpu = process.cpuUsage();
  }
  report({ serverCpuMs: cpuMs(cpu) });
  sock.close();
}

async function pingPongClient(port: number, warmup: number, count: number, size: number) {
  const to: IPv4Address = [HOST, port];
  const message = Buffer.alloc(size, 0x61);
  const rtts = new Float64Array(count);
  let cpu = process.cpuUsage();
  if (impl === "dgram") {
    const sock = await rawSocket();
    await new Promise<void>((resolve) => {
      let i = -warmup;
      let start = performance.now();
      sock.on("message", () => {
        if (i >= 0) rtts[i] = performance.now() - start;
        if (++i === count) return resolve();
        if (i === 0) cpu = process.cpuUsage();
        start = performance.now();
        sock.send(message, port, HOST);
      });
      sock.send(message, port, HOST);
    });
    const clientCpuMs = cpuMs(cpu);
    sock.send(Buffer.alloc(0), port, HOST, () => sock.close());
    report({ ...rttMetrics(rtts), clientCpuMs });
    return;
  }
  const sock = await awaitable();
  for (let i = -warmup; i < count; i++) {
    if (i === 0) cpu = process.cpuUsage();
    const start = performance.now();
    await sock.sendTo(message, to);
    await sock.recvFrom();
    if (i >= 0) rtts[i] = performance.now() - start;
  }
  const clientCpuMs = cpuMs(cpu);
  await sock.sendTo(Buffer.alloc(0), to);
  report({ ...rttMetrics(rtts), clientCpuMs });
  sock.close();
}

// --- flood ---------------------------------------------------------------------------------------

async function floodReceiver(): Promise<void> {
  let received = 0;
  let started = 0;
  let cpu = process.cpuUsage();
  const done = (): void => {
    report({
      received,
      seconds: (performance.now() - started) / 1000,
      receiverCpuMs: cpuMs(cpu),
    });
  };
  if (impl === "dgram") {
    const sock = await rawSocket();
    sock.on("message", (data) => {
      if (data.length === 1) {
        done();
        sock.close();
      } else if (received++ === 0) {
        started = performance.now();
        cpu = process.cpuUsage();
      }
    });
    return;
  }
  const sock = await awaitable();
  process.stdout.write(`ready ${sock.port}\n`);
  const buffer = Buffer.alloc(2048);
  await sock.recvFromInto(buffer);
  started = performance.now();
  cpu = process.cpuUsage();
  received = 1;
  for (;;) {
    const [n] = await sock.recvFromInto(buffer);
    if (n === 1) break;
    received++;
  }
  done();
  sock.close();
}

const roles: Record<string, () => Promise<void>> = {
  "pingpong-server": () => pingPongServer(numbers[0] ?? 0),
  "pingpong-client": () => pingPongClient(numbers[0]!, numbers[1]!, numbers[2]!, numbers[3]!),
  "flood-receiver": floodReceiver,
};

const run = roles[role ?? ""];
if (run === undefined || !["sockit", "dgram", "floor"].includes(impl ?? "")) {
  process.stderr.write(
    "usage: udp.js sockit|dgram|floor pingpong-server|pingpong-client|flood-receiver …\n",
  );
  process.exit(2);
}
run().catch((error: unknown) => {
  process.stderr.write(
    `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
