/**
 * The listener transport: a listening stream socket on top of `net.Server`, turned from push to
 * pull. Connections Node accepts wait in a queue of at most `backlog` entries until `accept()`
 * takes them; past that they are refused, as a kernel with a full backlog would.
 *
 * Where the runtime allows it (node-internals.ts), accepted handles are wrapped by sockit itself
 * so they read through the shared scratch buffer; elsewhere they come through `'connection'`.
 */

import * as net from "node:net";
import type { Endpoint } from "../net/address.js";
import { closeHandle, descriptorOf, takeOverAccept } from "./node-internals.js";
import { NOT_READY } from "./policy.js";
import { type LocalName, Stream } from "./stream.js";
import { NO_SINK, Transport, type TransportSink } from "./transport.js";

/** How `listen` was asked to bind. */
export interface ListenOptions {
  endpoint: Endpoint;
  backlog: number;
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

  constructor(options: ListenOptions, label: string, sink: TransportSink) {
    super(sink);
    this.backlog = options.backlog;
    this.#label = label;
    const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true });
    this.server = server;
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
    } else {
      const listen: net.ListenOptions & { reusePort?: boolean } = {
        host: endpoint.host,
        port: endpoint.port,
        backlog: options.backlog,
        ipv6Only: options.ipv6Only,
      };
      if (options.reusePort) listen.reusePort = true;
      server.listen(listen);
    }
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

  /** The oldest pending connection: the pending error first, NOT_READY if there is none. */
  accept(op: string): Stream | typeof NOT_READY {
    if (this.pending !== null) throw this.takeError(op);
    return this.#queue.shift() ?? NOT_READY;
  }

  /** Where the server listens, as Node reports it. */
  address(): net.AddressInfo | string | null {
    return this.server.address();
  }

  fileno(): number {
    return descriptorOf(this.server);
  }

  /** Stops listening; connections not yet accepted are closed. */
  close(): void {
    for (const stream of this.#queue) stream.close(false);
    this.#queue = [];
    this.server.close();
  }
}
