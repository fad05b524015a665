/**
 * The listener transport: a listening stream socket on top of `net.Server`, turned from push to
 * pull. Connections Node accepts wait in a queue of at most `backlog` entries until `accept()`
 * takes them; past that they are refused, as a kernel with a full backlog would.
 *
 * Where the runtime allows it (node-internals.ts), accepted handles are wrapped by sockit itself
 * so they read through the shared scratch buffer; elsewhere they come through `'connection'`.
 *
 * Descriptor exhaustion: when accept(2) fails with EMFILE or ENFILE, libuv accepts and closes
 * the pending connections itself (uv__emfile_trick) and tells nobody, so a blocking `accept`
 * would wait for ever while connections are dropped. So sockit checks whether the process can
 * make one more descriptor (an open(2) and close(2) of `/`: 3 µs in a loop, about 10 µs in a
 * busy server) and raises `EMFILE`/`ENFILE` as CPython's accept does:
 * - a non-blocking `accept` that finds nothing queued checks at once;
 * - an `accept` that may wait checks when it finds nothing queued, unless the table was looked
 *   at less than 1 ms before, and then every 250 ms while it waits. A server that accepts
 *   connections one after another (Node delivers even a burst one connection per callback, and
 *   the accept loop waits between them) so checks at most once per millisecond, not once per
 *   connection; an exhaustion that starts within that millisecond is heard of at the next
 *   recheck.
 * The listener stays usable and serves again once descriptors are free.
 */

import { closeSync, constants, openSync } from "node:fs";
import * as net from "node:net";
import { cancel, type Expiry, now, schedule } from "../core/clock.js";
import { AddressInfoError, SocketError } from "../core/errors.js";
import type { Endpoint } from "../net/address.js";
import { lookupFirst } from "../net/resolve.js";
import { closeHandle, descriptorOf, takeOverAccept } from "./node-internals.js";
import { countOpen } from "./open-handles.js";
import { NOT_READY } from "./operation.js";
import { type LocalName, Stream } from "./stream.js";
import { NO_SINK, Transport, type TransportSink } from "./transport.js";

/** How often an accept that waits looks at the descriptor table again, ms. */
const EXHAUSTION_RECHECK_MS = 250;
/**
 * How long one look at the descriptor table holds for the accepts that may wait, ms: a server
 * that accepts one connection after another looks at most once per millisecond, not once per
 * connection.
 */
const CHECK_HOLDS_MS = 1;

/**
 * "EMFILE" or "ENFILE" when this process cannot make one more descriptor now. Linux's accept(2)
 * takes the descriptor before it looks for a connection, so CPython's blocking and
 * non-blocking accept raise this even with nothing pending; sockit does the same.
 */
function descriptorsExhausted(): "EMFILE" | "ENFILE" | undefined {
  if (process.platform === "win32") return undefined;
  let fd: number;
  try {
    fd = openSync("/", PROBE_FLAGS); // Node opens every file O_CLOEXEC
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    return code === "EMFILE" || code === "ENFILE" ? code : undefined;
  }
  closeSync(fd);
  return undefined;
}

/**
 * How the probe opens `/`: Linux's O_PATH (a descriptor that only names the file, the cheapest
 * to make: 3.0 against 4.2 µs for `/dev/null` read-only, open and close, on the benchmark
 * machine), elsewhere read-only.
 */
const PROBE_FLAGS = process.platform === "linux" ? 0o10000000 : constants.O_RDONLY;

/** How `listen` was asked to bind. */
export interface ListenOptions {
  endpoint: Endpoint;
  backlog: number;
  /** The socket's family, for resolving a host name: 4 (AF_INET) or 6 (AF_INET6). */
  ipFamily: 4 | 6;
  ipv6Only: boolean;
  reusePort: boolean;
}

/** A listening socket; see the module comment. */
export class Listener extends Transport {
  readonly kind = "listener";
  readonly server: net.Server;
  readonly backlog: number;
  /** Binding until Node reports `'listening'` (or an error: "failed"). */
  state: "binding" | "listening" | "failed" = "binding";
  #queue: Stream[] = [];
  #local: LocalName | null | undefined;
  readonly #label: string;
  /** Wakes waiting accepts to look at the descriptor table again (see the module comment). */
  #recheck: Expiry | undefined;
  /** When an accept that may wait last looked at the table and found a descriptor to spare. */
  #checkedAt = Number.NEGATIVE_INFINITY;
  #closed = false;

  constructor(options: ListenOptions, label: string, sink: TransportSink) {
    super(sink);
    this.backlog = options.backlog;
    this.#label = label;
    const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true });
    this.server = server;
    // Only a waiting accept keeps the process alive (core/clock.ts), as in Python.
    server.unref();
    countOpen(server, "listener");
    server.on("error", (error: Error) => {
      if (this.state === "binding") this.state = "failed";
      this.fail(error);
    });
    server.once("listening", () => {
      this.state = "listening";
      takeOverAccept(server, (handle) => {
        this.#enqueue(() => Stream.fromHandle(handle, NO_SINK, this.#localName()), handle);
      });
      this.sink.writableChanged();
    });
    server.on("connection", (socket: net.Socket) => {
      this.#enqueue(() => {
        const stream = Stream.fromSocket(socket, NO_SINK, this.#localName());
        socket.resume();
        return stream;
      });
    });
    const { endpoint } = options;
    if (endpoint.kind === "unix") {
      server.listen({ path: endpoint.path, backlog: options.backlog });
    } else if (net.isIP(endpoint.host) !== 0) {
      this.#listenAt(endpoint.host, endpoint.port, options);
    } else {
      void this.#resolveAndListen(endpoint.host, endpoint.port, options);
    }
  }

  /**
   * Resolves a host name with the socket's family, as CPython's bind does, then listens. Node
   * would resolve it in `listen` too, but without the family, and Bun's `listen` reports a name
   * that does not resolve as a plain Error with no code; a lookup error here is ENOTFOUND, which
   * `listen` raises as AddressInfoError.
   */
  async #resolveAndListen(host: string, port: number, options: ListenOptions): Promise<void> {
    let address: string | undefined;
    try {
      address = await lookupFirst(host, options.ipFamily);
    } catch (error) {
      if (this.state === "binding") this.#failBinding(error);
      return;
    }
    if (this.state !== "binding" || this.#closed) return;
    if (address === undefined) {
      this.#failBinding(new AddressInfoError("EAI_NONAME", { op: "listen", address: this.#label }));
    } else {
      this.#listenAt(address, port, options);
    }
  }

  #listenAt(host: string, port: number, options: ListenOptions): void {
    const listen: net.ListenOptions & { reusePort?: boolean } = {
      host,
      port,
      backlog: options.backlog,
      ipv6Only: options.ipv6Only,
    };
    if (options.reusePort) listen.reusePort = true;
    this.server.listen(listen);
  }

  #failBinding(error: unknown): void {
    this.state = "failed";
    this.fail(error);
  }

  /** The local name every accepted connection shares, if the listener has a specific address. */
  #localName(): LocalName | undefined {
    if (this.#local === undefined) {
      const address = this.server.address();
      const wildcard =
        address === null ||
        typeof address === "string" ||
        address.address === "0.0.0.0" ||
        address.address === "::";
      this.#local = wildcard ? null : { address: address.address, port: address.port };
    }
    return this.#local ?? undefined;
  }

  #enqueue(make: () => Stream, rawHandle?: unknown): void {
    if (this.#queue.length >= this.backlog) {
      if (rawHandle !== undefined) closeHandle(rawHandle);
      else make().socket.destroy();
      return;
    }
    this.#queue.push(make());
    this.sink.readableChanged();
  }

  get label(): string {
    return this.#label;
  }

  /** Ready for `accept`: a pending connection or an error. */
  get readable(): boolean {
    return this.#queue.length > 0 || this.pending !== null;
  }

  /** A listener is never writable (Linux's epoll reports it so too). */
  get writable(): boolean {
    return false;
  }

  /**
   * The oldest pending connection: the pending error first, EMFILE/ENFILE while the process has
   * no descriptor to spare (see the module comment), NOT_READY if there is none.
   */
  accept(op: string): Stream | typeof NOT_READY {
    if (this.pending !== null) throw this.takeError(op);
    const next = this.#queue.shift();
    if (next !== undefined) return next;
    // A look at the table holds for CHECK_HOLDS_MS (a non-blocking accept looks again anyway:
    // see exhaustion).
    const at = now();
    if (at - this.#checkedAt >= CHECK_HOLDS_MS) {
      const error = this.exhaustion(op);
      if (error !== undefined) throw error;
      this.#checkedAt = at;
    }
    // A call that waits would not hear of an exhaustion that starts later: look again then.
    if (this.#recheck === undefined && this.state === "listening") {
      this.#recheck = schedule(now() + EXHAUSTION_RECHECK_MS, this.#recheckFired, false);
    }
    return NOT_READY;
  }

  /** EMFILE or ENFILE when the process cannot make one more descriptor now; else undefined. */
  exhaustion(op: string): SocketError | undefined {
    const code = descriptorsExhausted();
    return code === undefined ? undefined : new SocketError(code, { op, address: this.#label });
  }

  readonly #recheckFired = (): void => {
    this.#recheck = undefined;
    this.sink.readableChanged();
  };

  /** Where the server listens, as Node reports it. */
  address(): net.AddressInfo | string | null {
    return this.server.address();
  }

  fileno(): number {
    return descriptorOf(this.server);
  }

  /** Stops listening; connections not yet accepted are closed. */
  close(): void {
    this.#closed = true;
    if (this.#recheck !== undefined) cancel(this.#recheck);
    this.#recheck = undefined;
    for (const stream of this.#queue) stream.close(false);
    this.#queue = [];
    this.server.close();
  }
}
