/**
 * The floor of a promise-per-call socket API: the least a library can do to offer awaitable
 * `recvExactly`/`recvInto`/`sendAll` over `node:net` with `onread`. No modes, timeouts, deadlines,
 * argument checks, errors or backpressure; one waiting read at a time. It exists only so the
 * benchmarks can show, side by side, what any such API costs against raw callbacks.
 */

import * as net from "node:net";

const SCRATCH = Buffer.allocUnsafe(64 * 1024);
const RESOLVED: Promise<void> = Promise.resolve();

type Reader = (socket: AwaitSocket) => boolean;

/** A `net.Socket` read with `onread`, whose reads are awaited. */
export class AwaitSocket {
  readonly socket: net.Socket;
  #chunks: Buffer[] = [];
  #length = 0;
  /** The one waiting read: tries to finish, true when it did. */
  #waiting: Reader | null = null;
  #ended = false;

  /** A new client socket, or one around a handle a server accepted. */
  constructor(handle?: unknown) {
    // Every option net.Socket sets itself is named, in one literal: on Node.js 20 a socket whose
    // options lack them is made on a slow path (see newOwnSocket in src/socket/node-internals.ts).
    const options = {
      handle,
      allowHalfOpen: true,
      readable: true,
      writable: true,
      onread: { buffer: SCRATCH, callback: (n: number) => this.#onRead(n) },
      emitClose: false,
      autoDestroy: true,
      decodeStrings: false,
    };
    this.socket = new net.Socket(options as net.SocketConstructorOpts);
    this.socket.on("end", () => {
      this.#ended = true;
      this.#wake();
    });
  }

  #onRead(n: number): boolean {
    // A waiting read copies straight out of the scratch buffer; only what it leaves is copied
    // into memory of our own before the scratch is reused.
    const view = SCRATCH.subarray(0, n);
    this.#chunks.push(view);
    this.#length += n;
    this.#wake();
    const last = this.#chunks.length - 1;
    if (last >= 0 && this.#chunks[last]!.buffer === SCRATCH.buffer) {
      this.#chunks[last] = Buffer.from(this.#chunks[last]!);
    }
    return true;
  }

  #wake(): void {
    const waiting = this.#waiting;
    if (waiting?.(this)) this.#waiting = null;
  }

  #take(target: Buffer, n: number): void {
    let offset = 0;
    while (offset < n) {
      const chunk = this.#chunks[0]!;
      const k = Math.min(chunk.length, n - offset);
      chunk.copy(target, offset, 0, k);
      offset += k;
      if (k === chunk.length) this.#chunks.shift();
      else this.#chunks[0] = chunk.subarray(k);
    }
    this.#length -= n;
  }

  /** Exactly `n` bytes (rejects if the stream ends first). */
  recvExactly(n: number): Promise<Buffer> {
    const out = Buffer.allocUnsafe(n);
    if (this.#length >= n) {
      this.#take(out, n);
      return Promise.resolve(out);
    }
    return new Promise((resolve, reject) => {
      this.#waiting = (self) => {
        if (self.#length >= n) {
          self.#take(out, n);
          resolve(out);
          return true;
        }
        if (self.#ended) reject(new Error("stream ended"));
        return self.#ended;
      };
    });
  }

  /** Up to `target.length` bytes into `target`; 0 at end of stream. */
  recvInto(target: Buffer): Promise<number> {
    return new Promise((resolve) => {
      const attempt = (self: AwaitSocket): boolean => {
        if (self.#length > 0) {
          const n = Math.min(self.#length, target.length);
          self.#take(target, n);
          resolve(n);
          return true;
        }
        if (self.#ended) resolve(0);
        return self.#ended;
      };
      if (!attempt(this)) this.#waiting = attempt;
    });
  }

  /** Resolves when the stream ends (the bytes that still arrive are dropped). */
  untilEnd(): Promise<void> {
    return new Promise((resolve) => {
      const attempt = (self: AwaitSocket): boolean => {
        self.#chunks = [];
        self.#length = 0;
        if (self.#ended) resolve();
        return self.#ended;
      };
      if (!attempt(this)) this.#waiting = attempt;
    });
  }

  /** Copies `data` into Node's queue and resolves at once. */
  sendAll(data: Buffer): Promise<void> {
    this.socket.write(Buffer.from(data));
    return RESOLVED;
  }
}

interface ServerHandle {
  onconnection?: (status: number, handle: unknown) => void;
}

/** A listening server whose connections arrive as AwaitSockets (through `accept`). */
export function awaitServer(onConnection: (sock: AwaitSocket) => void): net.Server {
  const server = net.createServer({ pauseOnConnect: true, noDelay: true });
  server.once("listening", () => {
    const handle = Reflect.get(server, "_handle") as ServerHandle | null | undefined;
    if (handle === null || handle === undefined || typeof handle.onconnection !== "function") {
      throw new Error("await-floor: no onconnection hook on this runtime");
    }
    handle.onconnection = (status: number, clientHandle: unknown) => {
      if (status !== 0 || clientHandle === undefined) return;
      const sock = new AwaitSocket(clientHandle);
      sock.socket.setNoDelay(true);
      onConnection(sock);
    };
  });
  return server;
}
