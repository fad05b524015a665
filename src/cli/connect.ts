/**
 * `sockit connect`: like netcat. Standard input goes to the socket and the socket to standard
 * output, binary-safe; the write side is half-closed when input ends, and the command exits once
 * the peer has finished.
 */

import { once } from "node:events";
import {
  AF_UNIX,
  BlockingIOError,
  CERT_NONE,
  createConnection,
  createDefaultContext,
  DefaultSelector,
  EVENT_READ,
  EVENT_WRITE,
  SHUT_WR,
  type Socket,
  SocketError,
  SSLError,
  socket,
  TimeoutError,
} from "../index.js";

/** Help text of `sockit connect`. */
export const CONNECT_USAGE = `usage: sockit connect HOST PORT [--timeout s] [--nonblocking]
                      [--tls [--cafile FILE] [--insecure]]
       sockit connect --unix PATH [--timeout s] [--nonblocking]
       sockit connect --udp HOST PORT [--timeout s] [--nonblocking]

Connects, copies standard input to the socket and the socket to standard output.
With --tls the connection runs TLS: the server's certificate is verified against the
system's CA store (or the PEM file --cafile) and must be for HOST; --insecure verifies
nothing.
Exit status: 0 at a clean end, 1 on an error, 124 when the timeout expires, 2 for bad usage.

With --udp, each line of standard input is sent as one datagram (without its line end) and
each datagram received is written as one line. Once the input ends, it waits for answers
until none came for --timeout seconds (default 1), then exits 0.`;

/** Where and how to connect. */
export interface ConnectOptions {
  target: { host: string; port: number } | { path: string };
  timeout: number | null;
  nonblocking: boolean;
  /** TLS, with the CA file to trust instead of the system's, or no verification at all. */
  tls?: { cafile?: string | undefined; insecure: boolean } | undefined;
}

/** Runs the command; resolves to the exit status. */
export async function connect(options: ConnectOptions): Promise<number> {
  const { target, timeout } = options;
  let sock: Socket;
  if ("path" in target) {
    sock = socket(AF_UNIX);
    sock.setTimeout(timeout);
    await sock.connect(target.path);
  } else {
    const tls =
      options.tls === undefined
        ? undefined
        : createDefaultContext({
            cafile: options.tls.cafile,
            ...(options.tls.insecure ? { verifyMode: CERT_NONE } : {}),
          });
    sock = await createConnection([target.host, target.port], {
      timeout,
      ...(tls === undefined ? {} : { tls }),
    });
  }
  try {
    if (options.nonblocking) sock.setBlocking(false);
    const input = options.nonblocking ? copyInNonBlocking(sock, timeout) : copyIn(sock);
    input.catch(() => {}); // reported through the output side, which ends the command
    await (options.nonblocking ? copyOutNonBlocking(sock, timeout) : copyOut(sock));
    return 0;
  } finally {
    sock.close();
    process.stdin.destroy();
  }
}

async function write(data: Uint8Array): Promise<void> {
  if (!process.stdout.write(data)) await once(process.stdout, "drain");
}

async function copyOut(sock: Socket): Promise<void> {
  for (;;) {
    const data = await sock.recv(65536);
    if (data.length === 0) return;
    await write(data);
  }
}

async function copyIn(sock: Socket): Promise<void> {
  for await (const chunk of process.stdin) await sock.sendAll(chunk as Buffer);
  sock.shutdown(SHUT_WR);
}

/** Waits until `sock` is ready for `events` through a selector, or fails with TimeoutError. */
async function ready(selector: DefaultSelector, timeout: number | null): Promise<void> {
  const events = await selector.select(timeout);
  if (events.length === 0) throw new TimeoutError({ op: "select" });
}

async function copyOutNonBlocking(sock: Socket, timeout: number | null): Promise<void> {
  using selector = new DefaultSelector();
  selector.register(sock, EVENT_READ);
  for (;;) {
    await ready(selector, timeout);
    let data: Buffer;
    try {
      data = await sock.recv(65536);
    } catch (error) {
      if (error instanceof BlockingIOError) continue;
      throw error;
    }
    if (data.length === 0) return;
    await write(data);
  }
}

async function copyInNonBlocking(sock: Socket, timeout: number | null): Promise<void> {
  using selector = new DefaultSelector();
  selector.register(sock, EVENT_WRITE);
  for await (const chunk of process.stdin) {
    let rest = chunk as Buffer;
    while (rest.length > 0) {
      await ready(selector, timeout);
      try {
        rest = rest.subarray(await sock.send(rest));
      } catch (error) {
        if (!(error instanceof BlockingIOError)) throw error;
      }
    }
  }
  sock.shutdown(SHUT_WR);
}

/** The exit status and the one line to print for an error. */
export function describeFailure(error: unknown): { status: number; line: string } {
  if (error instanceof TimeoutError) return { status: 124, line: lineFor(error) };
  if (error instanceof SocketError) return { status: 1, line: lineFor(error) };
  return { status: 1, line: error instanceof Error ? error.message : String(error) };
}

function lineFor(error: SocketError): string {
  const where = [error.op, error.address].filter((part) => part !== undefined && part !== "");
  const what = error instanceof SSLError ? error.strerror : error.reason;
  return `${where.join(" ")}${where.length > 0 ? ": " : ""}${what}`;
}
