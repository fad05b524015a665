/**
 * A listening stream socket on top of `net.Server`, turned from push to pull: connections Node
 * accepts wait in a queue of at most `backlog` entries until `accept()` takes them.
 *
 * On Node.js (and Deno), accepted handles are wrapped with `onread` (reads through the shared
 * scratch buffer, no allocation per read) by taking over the server handle's `onconnection`;
 * runtimes without that hook (see node-hooks.ts) fall back to the `'connection'` event and
 * `'data'`.
 */

import * as net from "node:net";
import type { Endpoint } from "../net/address.js";
import { NODE_STREAM_HOOKS } from "./node-internals.js";
import { NOT_READY } from "./policy.js";
import { READABLE, type ReadinessSink, WRITABLE } from "./readiness-sink.js";
import { type LocalName, Stream } from "./stream.js";

/** How `listen` was asked to bind. */
export interface ListenOptions {
  endpoint: Endpoint;
  backlog: number;
  ipv6Only: boolean;
  reusePort: boolean;
}

interface ServerHandle {
  onconnection?: (error: number, handle: unknown) => void;
}

const IGNORE: ReadinessSink = { [READABLE]() {}, [WRITABLE]() {} };

export class Listener {
  readonly server: net.Server;
  readonly backlog: number;
  state: "binding" | "listening" | "failed" = "binding";
  pending: { code: string; cause: unknown } | null = null;
  #queue: Stream[] = [];
  #local: LocalName | null | undefined;
  #sink: ReadinessSink;

  constructor(options: ListenOptions, sink: ReadinessSink) {
    this.#sink = sink;
    this.backlog = options.backlog;
    const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true });
    this.server = server;
    server.on("error", (error: NodeJS.ErrnoException) => {
      if (this.state === "binding") this.state = "failed";
      if (this.pending === null) this.pending = { code: error.code ?? "EIO", cause: error };
      sink[READABLE]();
      sink[WRITABLE]();
    });
    server.once("listening", () => {
      this.state = "listening";
      this.#takeOverAccept();
      sink[WRITABLE]();
    });
    server.on("connection", (socket: net.Socket) => {
      this.#enqueue(() => {
        const stream = Stream.fromSocket(socket, IGNORE, this.#localName());
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

  setSink(sink: ReadinessSink): void {
    this.#sink = sink;
  }

  /** Replaces Node's accept callback so accepted sockets read with `onread`. */
  #takeOverAccept(): void {
    if (!NODE_STREAM_HOOKS) return;
    const handle = (this.server as unknown as { _handle?: ServerHandle })._handle;
    if (typeof handle?.onconnection !== "function") return;
    const original = handle.onconnection;
    handle.onconnection = (error: number, clientHandle: unknown) => {
      if (error !== 0 || clientHandle === undefined) {
        original.call(handle, error, clientHandle);
        return;
      }
      this.#enqueue(() => Stream.fromHandle(clientHandle, IGNORE, this.#localName()), clientHandle);
    };
  }

  #enqueue(make: () => Stream, rawHandle?: unknown): void {
    if (this.#queue.length >= this.backlog) {
      // The queue is full: refuse, as a kernel with a full backlog would.
      (rawHandle as { close?: () => void } | undefined)?.close?.();
      if (rawHandle === undefined) make().socket.destroy();
      return;
    }
    this.#queue.push(make());
    this.#sink[READABLE]();
  }

  /** Ready for `accept`: a pending connection or an error. */
  get readable(): boolean {
    return this.#queue.length > 0 || this.pending !== null;
  }

  /** Takes the oldest pending connection. */
  tryAccept(): Stream | typeof NOT_READY {
    const stream = this.#queue.shift();
    return stream ?? NOT_READY;
  }

  /** Where the server listens, as Node reports it. */
  address(): net.AddressInfo | string | null {
    return this.server.address();
  }

  close(): void {
    for (const stream of this.#queue) stream.close(false);
    this.#queue = [];
    this.server.close();
  }
}
