/**
 * The floor of a promise-per-call TLS socket API: the least a library can do to offer awaitable
 * `recvExactly`/`recvInto`/`sendAll` over a `tls.TLSSocket` read with `'data'` events (the only
 * way to read one made over an existing connection). No modes, timeouts, checks or errors; one
 * waiting read at a time. The same programs as the sockit TLS peer run on it, so the two differ
 * only in the socket underneath.
 */

import { once } from "node:events";
import { readFileSync } from "node:fs";
import * as net from "node:net";
import * as tls from "node:tls";
import { echoPingPong, pingPong, receiveBulk } from "../lib/await-programs.js";
import { type PeerImplementation, runPeer } from "../lib/peer.js";
import { HOST, type TlsFiles } from "../lib/protocol.js";
import { BENCH_CIPHER } from "../lib/tls-files.js";

const RESOLVED: Promise<void> = Promise.resolve();

/** A TLSSocket whose reads are awaited. */
class AwaitTls {
  readonly socket: tls.TLSSocket;
  #chunks: Buffer[] = [];
  #length = 0;
  #waiting: ((self: AwaitTls) => boolean) | null = null;
  #ended = false;

  constructor(socket: tls.TLSSocket) {
    this.socket = socket;
    socket.on("data", (chunk: Buffer) => {
      this.#chunks.push(chunk);
      this.#length += chunk.length;
      this.#wake();
    });
    socket.on("end", () => {
      this.#ended = true;
      this.#wake();
    });
  }

  #wake(): void {
    if (this.#waiting?.(this)) this.#waiting = null;
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

  recvInto(target: Buffer): Promise<number> {
    return new Promise((resolve) => {
      const attempt = (self: AwaitTls): boolean => {
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

  /** Copies small data and resolves at once; larger data resolves once written ('drain'). */
  sendAll(data: Buffer): Promise<void> {
    if (this.socket.write(data.length <= 16384 ? Buffer.from(data) : data)) return RESOLVED;
    return once(this.socket, "drain").then(() => undefined);
  }

  /** Reads (and drops) until the peer's end. */
  async untilEnd(): Promise<void> {
    const sink = Buffer.allocUnsafe(65536);
    while ((await this.recvInto(sink)) > 0) {}
  }
}

async function listen(
  files: TlsFiles,
): Promise<{ server: net.Server; port: number; context: tls.SecureContext }> {
  const context = tls.createSecureContext({
    cert: readFileSync(files.certFile),
    key: readFileSync(files.keyFile),
  });
  const server = net.createServer({ noDelay: true });
  server.listen(0, HOST, 1024);
  await once(server, "listening");
  return { server, port: (server.address() as net.AddressInfo).port, context };
}

/** A server-side TLS connection over an accepted socket, as sockit's wrapSocket makes one. */
async function acceptTls(server: net.Server, context: tls.SecureContext): Promise<AwaitTls> {
  const [raw] = (await once(server, "connection")) as [net.Socket];
  const socket = new tls.TLSSocket(raw, { isServer: true, secureContext: context });
  await once(socket, "secure");
  return new AwaitTls(socket);
}

async function connectTls(port: number, context: tls.SecureContext): Promise<AwaitTls> {
  const socket = tls.connect({ host: HOST, port, secureContext: context, servername: "localhost" });
  await once(socket, "secureConnect");
  socket.setNoDelay(true);
  if (socket.getCipher().name !== BENCH_CIPHER)
    throw new Error(`cipher ${socket.getCipher().name}`);
  return new AwaitTls(socket);
}

function clientContext(files: TlsFiles): tls.SecureContext {
  return tls.createSecureContext({ ca: readFileSync(files.caFile) });
}

const GO = Buffer.from([1]);

const floor: PeerImplementation = {
  "tls-bulk": {
    async server(p, ctx) {
      const { server, port, context } = await listen(p);
      ctx.ready(port);
      const conn = await acceptTls(server, context);
      server.close();
      await conn.recvExactly(1);
      ctx.mark("start");
      const chunk = Buffer.alloc(p.chunkBytes, 0x61);
      for (let sent = 0; sent < p.totalBytes; sent += chunk.length) await conn.sendAll(chunk);
      ctx.mark("end");
      conn.socket.end();
      await conn.untilEnd();
    },
    async client(p, ctx) {
      const sock = await connectTls(ctx.port, clientContext(p));
      let received = 0;
      await ctx.timed(async () => {
        await sock.sendAll(GO);
        received = await receiveBulk(sock, p);
      });
      sock.socket.end();
      await sock.untilEnd();
      return { bytes: received };
    },
  },

  "tls-pingpong": {
    async server(p, ctx) {
      const { server, port, context } = await listen(p);
      ctx.ready(port);
      const conn = await acceptTls(server, context);
      server.close();
      await echoPingPong(conn, { ...p, timeout: null }, ctx);
      conn.socket.end();
      await conn.untilEnd();
    },
    async client(p, ctx) {
      const sock = await connectTls(ctx.port, clientContext(p));
      const metrics = await pingPong(sock, { ...p, timeout: null }, (work) => ctx.timed(work));
      sock.socket.end();
      await sock.untilEnd();
      return metrics;
    },
  },

  "tls-handshakes": {
    async server(p, ctx) {
      const { server, port, context } = await listen(p);
      ctx.ready(port);
      const handlers: Promise<void>[] = [];
      for (let i = 0; i < p.connections; i++) {
        const conn = await acceptTls(server, context);
        handlers.push(
          (async () => {
            await conn.sendAll(await conn.recvExactly(1));
            conn.socket.end();
            await conn.untilEnd();
          })(),
        );
      }
      server.close();
      await Promise.all(handlers);
    },
    async client(p, ctx) {
      const context = clientContext(p);
      await ctx.timed(async () => {
        for (let i = 0; i < p.connections; i++) {
          const sock = await connectTls(ctx.port, context);
          await sock.sendAll(GO);
          await sock.recvExactly(1);
          sock.socket.end();
        }
      });
      return { connections: p.connections };
    },
  },
};

runPeer(floor);
