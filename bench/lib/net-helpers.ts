/**
 * Plumbing the node:net baselines share: listening, connecting, a bulk sender that respects
 * backpressure, and a server whose accepted sockets read with `onread`.
 *
 * A `net.Server` has no `onread` option for the sockets it accepts. To give the onread baseline
 * the same advantage sockit takes internally (see src/internal/listener.ts), {@link onreadServer}
 * replaces the server handle's `onconnection` and wraps each accepted handle in
 * `new net.Socket({ handle, onread })`, reading every connection into one shared 64 KiB buffer.
 * If the runtime lacks that hook it falls back to `'data'` and says so on stderr.
 */

import { once } from "node:events";
import * as net from "node:net";
import { HOST } from "./protocol.js";

/** Starts `server` listening on 127.0.0.1 port 0; resolves to the port. */
export async function listenNet(server: net.Server, backlog = 511): Promise<number> {
  server.listen({ host: HOST, port: 0, backlog });
  await once(server, "listening");
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("expected an IP listener");
  return address.port;
}

/** Connects with TCP_NODELAY; resolves once connected. */
export async function connectNet(port: number, onread?: net.OnReadOpts): Promise<net.Socket> {
  const options: net.TcpNetConnectOpts = { host: HOST, port, noDelay: true };
  if (onread !== undefined) options.onread = onread;
  const socket = net.connect(options);
  await once(socket, "connect");
  return socket;
}

/** Writes `totalBytes` in `chunkBytes` writes, waiting for `'drain'` when Node's queue is full. */
export async function sendBulk(
  socket: net.Socket,
  totalBytes: number,
  chunkBytes: number,
): Promise<void> {
  const chunk = Buffer.alloc(chunkBytes, 0x61);
  for (let sent = 0; sent < totalBytes; sent += chunk.length) {
    if (!socket.write(chunk)) await once(socket, "drain");
  }
}

/**
 * Writes `lines` lines of `lineBytes` bytes (`x…x\n`) in writes of about 64 KiB, waiting for
 * `'drain'`: the lines benchmark's one sender, the same for every reader.
 */
export async function sendLines(
  socket: net.Socket,
  lines: number,
  lineBytes: number,
): Promise<void> {
  const perWrite = Math.max(1, Math.floor((64 * 1024) / lineBytes));
  const block = Buffer.from(`${"x".repeat(lineBytes - 1)}\n`.repeat(perWrite));
  for (let sent = 0; sent < lines; sent += perWrite) {
    const n = Math.min(perWrite, lines - sent);
    const chunk = n === perWrite ? block : block.subarray(0, n * lineBytes);
    if (!socket.write(chunk)) await once(socket, "drain");
  }
}

/** The lines benchmark's server: waits for the client's go byte, sends the lines, ends. */
export async function serveLines(
  ctx: { ready(port: number): void; mark(point: "start" | "end"): void },
  lines: number,
  lineBytes: number,
): Promise<void> {
  const server = net.createServer({ noDelay: true });
  ctx.ready(await listenNet(server));
  const conn = await firstConnection(server);
  await new Promise<void>((resolve) => conn.once("data", () => resolve()));
  ctx.mark("start");
  await sendLines(conn, lines, lineBytes);
  ctx.mark("end");
  conn.end();
  conn.resume();
  await closed(conn);
}

/** Resolves when the socket has closed. */
export function closed(socket: net.Socket): Promise<void> {
  return new Promise((resolve, reject) => {
    if (socket.destroyed) return resolve();
    socket.once("close", () => resolve());
    socket.once("error", reject);
  });
}

/** Resolves with the first connection `server` accepts (it then stops listening). */
export async function firstConnection(server: net.Server): Promise<net.Socket> {
  const [socket] = (await once(server, "connection")) as [net.Socket];
  server.close();
  socket.setNoDelay(true);
  return socket;
}

/** Counts `'close'` events until `expected`; `done` resolves then. */
export function countCloses(expected: number): { closed: () => void; done: Promise<void> } {
  let count = 0;
  let finish = (): void => {};
  const done = new Promise<void>((resolve) => {
    finish = resolve;
  });
  return {
    closed: () => {
      if (++count === expected) finish();
    },
    done,
  };
}

/** What {@link onreadServer} calls. */
export interface OnreadHandler {
  /** A new connection, before any read. */
  connection(socket: net.Socket): void;
  /** `chunk` is a view of the shared buffer, valid only during the call. */
  read(socket: net.Socket, chunk: Buffer): void;
}

interface ServerHandle {
  onconnection?: (status: number, handle: unknown) => void;
}

const SHARED = Buffer.allocUnsafe(64 * 1024);
let warned = false;

/** A server whose accepted sockets read through `onread` into one shared buffer. */
export function onreadServer(handler: OnreadHandler): net.Server {
  const server = net.createServer({ pauseOnConnect: true, noDelay: true });
  server.on("connection", (socket: net.Socket) => {
    // Fallback path: only reached when the handle could not be taken over.
    socket.setNoDelay(true);
    handler.connection(socket);
    socket.on("data", (chunk: Buffer) => handler.read(socket, chunk));
    socket.resume();
  });
  server.once("listening", () => {
    const handle = Reflect.get(server, "_handle") as ServerHandle | null | undefined;
    const original = handle?.onconnection;
    if (handle === null || handle === undefined || typeof original !== "function") {
      if (!warned) process.stderr.write("net-onread: no onconnection hook, server uses 'data'\n");
      warned = true;
      return;
    }
    handle.onconnection = (status: number, clientHandle: unknown) => {
      if (status !== 0 || clientHandle === undefined) {
        original.call(handle, status, clientHandle);
        return;
      }
      let socket: net.Socket | undefined;
      const options = {
        handle: clientHandle,
        readable: true,
        writable: true,
        onread: {
          buffer: SHARED,
          callback: (n: number, buf: Uint8Array): boolean => {
            handler.read(socket!, Buffer.from(buf.buffer, buf.byteOffset, n));
            return true;
          },
        },
      };
      socket = new net.Socket(options as net.SocketConstructorOpts);
      socket.setNoDelay(true);
      handler.connection(socket);
    };
  });
  return server;
}
