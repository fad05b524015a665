/**
 * `sockit echo-server --udp` and `sockit connect --udp`: the two commands over a datagram
 * socket. The server sends every datagram back to its sender; the client sends each line of
 * standard input as one datagram (without its line end) and writes each datagram it receives
 * as one line.
 */

import { createInterface } from "node:readline";
import {
  AF_INET,
  AF_INET6,
  BlockingIOError,
  DefaultSelector,
  EVENT_READ,
  SOCK_DGRAM,
  type Socket,
  socket,
  TimeoutError,
} from "../index.js";
import { showAddress } from "./terminal.js";

/** How long `connect --udp` waits for answers once its input has ended, by default (seconds). */
export const UDP_LINGER = 1;

function familyOf(host: string): number {
  return host.includes(":") ? AF_INET6 : AF_INET;
}

/** Echoes datagrams until a signal; resolves to the exit status. */
export async function udpEchoServer(options: { host: string; port: number }): Promise<number> {
  using sock = socket(familyOf(options.host), SOCK_DGRAM) as Socket & Disposable;
  await sock.bind([options.host, options.port]);
  console.log(`listening on ${showAddress(sock.getsockname() as [string, number])} (udp)`);
  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    for (;;) {
      let datagram: Awaited<ReturnType<Socket["recvFrom"]>>;
      try {
        datagram = await sock.recvFrom(65_535, { signal: stop.signal });
      } catch (error) {
        if (stop.signal.aborted) break;
        throw error;
      }
      const [data, from] = datagram;
      await sock.sendTo(data, from);
    }
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
  console.log("server closed");
  return 0;
}

/** What `connect --udp` needs. */
export interface UdpConnectOptions {
  host: string;
  port: number;
  /** Seconds to wait for answers once input has ended (null: the default, {@link UDP_LINGER}). */
  timeout: number | null;
  nonblocking: boolean;
}

/** Sends stdin's lines as datagrams and prints the datagrams that come back. */
export async function udpConnect(options: UdpConnectOptions): Promise<number> {
  using sock = socket(familyOf(options.host), SOCK_DGRAM) as Socket & Disposable;
  // Connected: only the peer's datagrams are received, and an ICMP "port unreachable" is
  // raised as ConnectionRefusedError.
  await sock.connect([options.host, options.port]);
  const inputDone = new AbortController();
  const sending = (async () => {
    try {
      const lines = createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY });
      for await (const line of lines) await sock.send(line);
    } finally {
      inputDone.abort();
    }
  })();
  const receiving = options.nonblocking
    ? receiveNonBlocking(sock, inputDone.signal, options.timeout ?? UDP_LINGER)
    : receive(sock, inputDone.signal, options.timeout ?? UDP_LINGER);
  try {
    await Promise.all([sending, receiving]);
  } finally {
    process.stdin.destroy();
  }
  return 0;
}

/** Writes one datagram as a line. */
function print(data: Buffer): void {
  process.stdout.write(Buffer.concat([data, NEWLINE]));
}

const NEWLINE = Buffer.from("\n");

/**
 * Prints datagrams as they come (blocking receives); once the input has ended, each receive
 * waits at most `linger` seconds, and the first that times out ends the command.
 */
async function receive(sock: Socket, inputDone: AbortSignal, linger: number): Promise<void> {
  for (;;) {
    try {
      // Until the input ends, wait without a timeout; an abort then switches to lingering.
      const timeout = inputDone.aborted ? linger : null;
      const signal = inputDone.aborted ? undefined : inputDone;
      print(await sock.recv(65_535, { timeout, signal }));
    } catch (error) {
      if (error instanceof TimeoutError) return;
      if (!inputDone.aborted || !(error instanceof Error) || error.name !== "AbortError") {
        throw error;
      }
    }
  }
}

/** The same with a non-blocking socket and a selector. */
async function receiveNonBlocking(
  sock: Socket,
  inputDone: AbortSignal,
  linger: number,
): Promise<void> {
  sock.setBlocking(false);
  using selector = new DefaultSelector();
  selector.register(sock, EVENT_READ);
  for (;;) {
    let ready: Awaited<ReturnType<typeof selector.select>>;
    try {
      ready = inputDone.aborted
        ? await selector.select(linger)
        : await selector.select(null, { signal: inputDone });
    } catch (error) {
      if (inputDone.aborted) continue; // the input ended: linger from now on
      throw error;
    }
    if (ready.length === 0) return;
    try {
      print(await sock.recv(65_535));
    } catch (error) {
      if (!(error instanceof BlockingIOError)) throw error;
    }
  }
}
