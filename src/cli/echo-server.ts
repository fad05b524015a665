/**
 * `sockit echo-server`: echoes every connection, blocking-style (a task per connection), from
 * one selector loop, or with a thread per connection (sockit/sync).
 */

import { readFileSync } from "node:fs";
import { Worker } from "node:worker_threads";
import {
  createDefaultContext,
  createServer,
  DefaultSelector,
  EVENT_READ,
  type Socket,
  SocketError,
  type SSLContext,
  TimeoutError,
} from "../index.js";
import * as sync from "../sync/index.js";
import { showAddress } from "./terminal.js";
import { UsageError } from "./usage.js";

/** Help text of `sockit echo-server`. */
export const ECHO_SERVER_USAGE = `usage: sockit echo-server [--host 127.0.0.1] [--port N] [--mode blocking|selectors|threads]
                          [--tls --cert FILE --key FILE]
       sockit echo-server --udp [--host 127.0.0.1] [--port N]

Listens (127.0.0.1 and a free port unless told otherwise), prints the address, and echoes
every connection until Ctrl-C or SIGTERM.
  blocking   one awaited recv/sendAll loop per connection (the default)
  selectors  one DefaultSelector loop over non-blocking sockets
  threads    one worker thread per connection, blocking in sockit/sync calls
             (Node.js only: Bun and Deno cannot pass a socket between threads)
With --tls every connection runs TLS with the certificate chain and key of the PEM files
--cert and --key. With --udp it binds a datagram socket and sends every datagram back to its
sender.`;

/** Seconds an accepted connection has to finish its TLS handshake. */
const HANDSHAKE_TIMEOUT = 30;

/** Runs the server until a signal; resolves to the exit status. */
export async function echoServer(options: {
  host: string;
  port: number;
  mode: string;
  tls?: { cert: string; key: string } | undefined;
}): Promise<number> {
  // Read and checked before listening: a wrong file or key fails the command at once.
  const pem =
    options.tls === undefined
      ? undefined
      : { cert: readFileSync(options.tls.cert), key: readFileSync(options.tls.key) };
  const tls = pem === undefined ? undefined : createDefaultContext(pem);
  if (options.mode === "threads") return serveThreads(options.host, options.port, pem);
  const server = await createServer([options.host, options.port]);
  console.log(
    `listening on ${showAddress(server.getsockname())} (${options.mode}${tls === undefined ? "" : ", TLS"})`,
  );
  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    if (options.mode === "selectors") await serveWithSelector(server, stop.signal, tls);
    else await serveBlocking(server, stop.signal, tls);
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    server.close();
  }
  console.log("server closed");
  return 0;
}

async function serveBlocking(
  server: Socket,
  signal: AbortSignal,
  tls: SSLContext | undefined,
): Promise<void> {
  const connections = new Set<Socket>();
  signal.addEventListener("abort", () => {
    for (const conn of connections) conn.close();
  });
  for (;;) {
    let conn: Socket;
    try {
      [conn] = await server.accept({ signal });
    } catch (error) {
      if (signal.aborted) return;
      throw error;
    }
    connections.add(conn);
    void echo(conn, tls, connections).finally(() => {
      connections.delete(conn);
      conn.close();
    });
  }
}

/** Echoes `plain` (over TLS with `tls`) until the end; `open` holds it while it runs. */
async function echo(plain: Socket, tls: SSLContext | undefined, open: Set<Socket>): Promise<void> {
  let conn = plain;
  try {
    if (tls !== undefined) {
      conn = await tls.wrapSocket(plain, { server: true, timeout: HANDSHAKE_TIMEOUT });
      open.add(conn);
    }
    for (;;) {
      const data = await conn.recv(65536);
      if (data.length === 0) return;
      await conn.sendAll(data);
    }
  } catch (error) {
    // A peer that resets, or fails the handshake, ends its connection only.
    if (!(error instanceof SocketError)) throw error;
  } finally {
    open.delete(conn);
    conn.close();
  }
}

async function serveWithSelector(
  server: Socket,
  signal: AbortSignal,
  tls: SSLContext | undefined,
): Promise<void> {
  using selector = new DefaultSelector();
  server.setBlocking(false);
  selector.register(server, EVENT_READ);
  for (;;) {
    let ready: Awaited<ReturnType<typeof selector.select>>;
    try {
      ready = await selector.select(null, { signal });
    } catch (error) {
      if (signal.aborted) break;
      throw error;
    }
    for (const [key] of ready) {
      const sock = key.fileobj;
      if (sock === server) {
        let [conn] = await server.accept();
        conn.setBlocking(false);
        // The handshake goes on by itself: the socket becomes readable once data is decrypted
        // (or the handshake failed, which the next recv raises).
        if (tls !== undefined) {
          conn = await tls.wrapSocket(conn, { server: true, doHandshakeOnConnect: false });
        }
        selector.register(conn, EVENT_READ);
        continue;
      }
      let data: Buffer;
      try {
        data = await sock.recv(65536);
        if (data.length > 0) await sock.sendAll(data, { timeout: null });
      } catch (error) {
        if (!(error instanceof SocketError)) throw error;
        data = Buffer.alloc(0);
      }
      if (data.length === 0) {
        selector.unregister(sock);
        sock.close();
      }
    }
  }
  for (const sock of selector.getMap().keys()) if (sock !== server) sock.close();
}

/**
 * Why this runtime cannot pass a connection to another thread (README, Runtimes), if it cannot:
 * without this the accepted connections would be detached and never served.
 */
function threadsUnavailable(): string | undefined {
  if (typeof process.versions.bun === "string") {
    return "is not available on Bun: a worker thread cannot take over a socket another thread accepted";
  }
  if (typeof process.versions.deno === "string") {
    return "is not available on Deno: it exposes no descriptors to pass a socket between threads";
  }
  return undefined;
}

/**
 * The main thread accepts with sockit/sync and gives each connection to a new worker thread
 * (by its descriptor: `detach()` here, `new Socket(family, type, 0, fd)` there), which starts
 * TLS on it with `tls` (the certificate and key, PEM) if given. It accepts
 * with a short timeout and lets its event loop turn in between, so that a signal stops it.
 */
async function serveThreads(
  host: string,
  port: number,
  tls: { cert: Buffer; key: Buffer } | undefined,
): Promise<number> {
  const unavailable = threadsUnavailable();
  if (unavailable !== undefined) throw new UsageError(`--mode threads ${unavailable}`);
  const server = sync.createServer([host, port]);
  console.log(
    `listening on ${showAddress(server.getsockname())} (threads${tls === undefined ? "" : ", TLS"})`,
  );
  let stopping = false;
  const onSignal = (): void => {
    stopping = true;
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  const workers = new Set<Worker>();
  try {
    while (!stopping) {
      let conn: sync.Socket;
      try {
        [conn] = server.accept({ timeout: 0.05 });
      } catch (error) {
        if (!(error instanceof TimeoutError)) throw error;
        await new Promise((resolve) => setImmediate(resolve));
        continue;
      }
      const worker = new Worker(new URL("./echo-thread.js", import.meta.url), {
        workerData: { family: conn.family, fd: conn.detach(), tls },
        execArgv: [],
      });
      workers.add(worker);
      worker.once("exit", () => workers.delete(worker));
    }
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    server.close();
    await Promise.all([...workers].map((worker) => worker.terminate()));
  }
  console.log("server closed");
  return 0;
}
