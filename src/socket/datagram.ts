/**
 * The datagram transport: a UDP socket on top of `node:dgram`, turned from push to pull.
 *
 * Node reads every datagram as soon as the kernel has it and pushes it at us; we keep it, with
 * its sender, in a {@link DatagramQueue} bounded by `SO_RCVBUF` bytes, and drop (and count) what
 * does not fit, as the kernel drops what does not fit in its queue. Sends are handed to Node at
 * once (a copy: the caller may reuse its buffer); Node passes them to the kernel, or keeps them
 * while the kernel's buffer is full. What Node holds counts against `SO_SNDBUF` bytes, and a
 * full send queue is what makes a send wait.
 *
 * The OS socket is made by the first `bind`, `connect` or send (unbound, it is bound to the
 * wildcard address and a free port first, as Linux binds a socket at its first send). Errors
 * the kernel reports (an ICMP port unreachable on a connected socket: `ECONNREFUSED`; a send
 * refused: `EACCES`, `EMSGSIZE`…) become the pending error, raised by the next call.
 *
 * The calls tried on it are in datagram-calls.ts.
 */

import * as dgram from "node:dgram";
import { isIP } from "node:net";
import { getSystemErrorName } from "node:util";
import { AF_INET6 } from "../core/constants.js";
import { fromNodeError, type SocketError } from "../core/errors.js";
import { type Address, type Endpoint, formatAddress, ipAddress } from "../net/address.js";
import { DatagramOptions } from "./datagram-options.js";
import { DATAGRAM_OVERHEAD, DatagramQueue } from "./datagram-queue.js";
import { datagramFd, rebind, type SendDone, type SendTag, sendNow } from "./dgram-internals.js";
import { countOpen } from "./open-handles.js";
import { DEFAULT_RCVBUF, DEFAULT_SNDBUF } from "./stream.js";
import { Transport, type TransportSink } from "./transport.js";

/** How the OS socket is made (options that must be known before it is bound). */
export interface DatagramFlags {
  readonly reuseAddr: boolean;
  readonly reusePort: boolean;
  readonly ipv6Only: boolean;
}

/**
 * Deno's `node:dgram` sends the datagrams given to it in one tick in reverse order (Deno 2.9):
 * there, it is given one at a time, the next once it has reported the last one sent.
 */
const ONE_AT_A_TIME = typeof process.versions.deno === "string";

/** A datagram held until the socket is bound: what to send where, and what it costs. */
type Held = [data: Uint8Array, port: number | undefined, host: string | undefined, cost: number];

/** libuv's bind flags. */
const UV_UDP_IPV6ONLY = 1;
const UV_UDP_REUSEADDR = 4;

/** A UDP socket; see the module comment. */
export class Datagram extends Transport {
  readonly kind = "datagram";
  readonly family: number;
  readonly options: DatagramOptions;
  readonly rx = new DatagramQueue(DEFAULT_RCVBUF);
  sndbuf = DEFAULT_SNDBUF;
  /** The OS socket, made by the first bind, connect or send. */
  socket: dgram.Socket | undefined;
  bindState: "unbound" | "binding" | "bound" | "failed" = "unbound";
  connectState: "none" | "connecting" | "connected" | "failed" = "none";
  /** The connected peer (as Node resolved it). */
  peer: { readonly address: string; readonly port: number } | undefined;
  /** The address asked for by bind (the wildcard when bound by a connect or a send). */
  #bound: Endpoint | undefined;
  #flags: DatagramFlags = { reuseAddr: false, reusePort: false, ipv6Only: false };
  /** Bytes handed to Node and not yet reported sent (each datagram with its overhead). */
  #queued = 0;
  /** The cost of each datagram given to `dgram.Socket#send`, oldest first (reported in order). */
  readonly #sizes: number[] = [];
  /** Datagrams not yet given to Node (while the socket binds), oldest first. */
  #held: Held[] | undefined;
  /** Whether a send was given to Node and not yet reported (see ONE_AT_A_TIME). */
  #sending = false;
  /** A send found no room: the next datagram Node reports sent wakes it. */
  #wantRoom = false;
  #closed = false;
  /**
   * The peer of a connected socket: datagrams from anyone else are dropped here too, where the
   * kernel has not (while sendAside has the socket disconnected; runtimes whose connect does
   * not connect the OS socket, as Deno's).
   */
  #only: { readonly address: string; readonly port: number } | undefined;
  /** The OS socket was closed. */
  #released = false;
  #label = "";
  #lastLiteral = "";

  constructor(family: number, sink: TransportSink) {
    super(sink);
    this.family = family;
    this.options = new DatagramOptions(family);
  }

  get label(): string {
    return this.#label;
  }

  /** A receive would not wait: a datagram, or an error to report. */
  get readable(): boolean {
    return this.rx.length > 0 || this.pending !== null;
  }

  /** A send would not wait: room in the send queue (and no connect under way), or an error. */
  get writable(): boolean {
    if (this.pending !== null) return true;
    return this.connectState !== "connecting" && this.#queued < this.sndbuf;
  }

  /** Bytes waiting in Node to be sent. */
  get queued(): number {
    return this.#queued;
  }

  /** Whether a datagram of `length` bytes fits in the send queue (one always fits an empty queue). */
  hasRoom(length: number): boolean {
    if (this.#queued === 0 || this.#queued + length + DATAGRAM_OVERHEAD <= this.sndbuf) return true;
    this.#wantRoom = true;
    return false;
  }

  // --- Node's events (one closure each per socket: datagram sockets are few) ------------------

  readonly #onMessage = (data: Buffer, from: dgram.RemoteInfo): void => {
    if (this.#closed) return;
    const only = this.#only;
    if (only !== undefined && (from.port !== only.port || from.address !== only.address)) return;
    const rx = this.rx;
    if (rx.push(data, from) && rx.length === 1) this.sink.readableChanged();
  };

  readonly #onListening = (): void => {
    this.bindState = "bound";
    if (this.#closed) {
      // Closed while it bound: the datagrams it accepted meanwhile still go.
      this.#flush();
      return;
    }
    try {
      this.options.attach(this.socket!);
    } catch (error) {
      this.fail(error);
    }
    this.#flush();
    this.sink.writableChanged();
  };

  readonly #onError = (error: Error): void => {
    if (this.bindState === "binding") {
      this.bindState = "failed";
      // The datagrams held for the bind go nowhere.
      for (const [, , , cost] of this.#held ?? []) this.#queued -= cost;
      this.#held = undefined;
    }
    this.fail(error);
  };

  /** `dgram.Socket#send`'s callback. */
  readonly #onSent = (error: Error | null): void => {
    if (ONE_AT_A_TIME && this.#sending) {
      this.#sending = false;
      this.#flush();
    }
    this.#sent(this.#sizes.shift() ?? 0, error ?? undefined);
  };

  /** A datagram sent straight on the handle and queued by libuv is done. */
  static #sentLater: SendDone = function (this: SendTag, status) {
    const owner = this.owner as Datagram;
    owner.#sent(this.cost, status === 0 ? undefined : errnoError(status, "send", owner.label));
  };

  /** A datagram that cost `cost` bytes of the send queue left it, sent or failed. */
  #sent(cost: number, error: Error | SocketError | undefined): void {
    // Someone waits for room (a send that found none, or a selector while it was full).
    const wake = this.#wantRoom || this.#queued >= this.sndbuf;
    this.#wantRoom = false;
    this.#queued -= cost;
    if (this.#closed) {
      if (this.#queued <= 0) this.#release();
      return;
    }
    if (error !== undefined) this.fail(error);
    else if (wake) this.sink.writableChanged();
  }

  /** The OS socket, made now if there is none yet. */
  #open(): dgram.Socket {
    let socket = this.socket;
    if (socket === undefined) {
      const { reuseAddr, reusePort, ipv6Only } = this.#flags;
      const options: dgram.SocketOptions & { reusePort?: boolean } = {
        type: this.family === AF_INET6 ? "udp6" : "udp4",
        reuseAddr,
        ipv6Only,
      };
      if (reusePort) options.reusePort = true;
      socket = dgram.createSocket(options);
      // As every sockit socket: an open socket does not keep the process alive, a waiting
      // call does (core/clock.ts), and so does a send libuv still holds.
      socket.unref();
      countOpen(socket, "datagram");
      socket.on("message", this.#onMessage);
      socket.on("listening", this.#onListening);
      socket.on("error", this.#onError);
      this.socket = socket;
    }
    return socket;
  }

  // --- what the calls use ---------------------------------------------------------------------

  /** Starts binding to `endpoint`; `bindState` reports how it ends. */
  bind(endpoint: Endpoint, flags: DatagramFlags): void {
    if (endpoint.kind !== "ip") return;
    this.#flags = flags;
    this.#bound = endpoint;
    this.#label = formatAddress(endpoint);
    const socket = this.#open();
    this.bindState = "binding";
    socket.bind({ address: endpoint.host, port: endpoint.port, exclusive: true });
  }

  /** Binds to the wildcard address and a free port, if nothing bound the socket yet. */
  #autobind(): dgram.Socket {
    if (this.bindState === "unbound") {
      const host = this.family === AF_INET6 ? "::" : "0.0.0.0";
      this.bind({ kind: "ip", host, port: 0, scopeId: 0 }, this.#flags);
    }
    return this.socket!;
  }

  /** The flags the OS socket will be made with (before the first bind, connect or send). */
  setFlags(flags: DatagramFlags): void {
    if (this.socket === undefined) this.#flags = flags;
  }

  /**
   * Starts connecting to `host` and `port` (Node resolves the host); `connectState` reports how
   * it ends. Connecting again keeps the local port, as Linux does: Node's disconnect releases a
   * port that was not bound explicitly, so it is bound again, explicitly, before the connect.
   */
  connect(host: string, port: number): void {
    const socket = this.#autobind();
    if (this.connectState === "connected") this.#disconnect(socket);
    this.peer = undefined;
    this.#label = formatAddress([host, port]);
    this.#connect(socket, host, port);
  }

  #connect(socket: dgram.Socket, host: string, port: number): void {
    this.connectState = "connecting";
    socket.connect(port, host, (error?: Error) => {
      if (this.#closed) return;
      if (error !== undefined && error !== null) {
        this.#only = undefined;
        this.connectState = "failed";
        this.fail(error);
        return;
      }
      this.connectState = "connected";
      const remote = socket.remoteAddress();
      this.peer = { address: remote.address, port: remote.port };
      this.#only = this.peer;
      this.#label = formatAddress([remote.address, remote.port]);
      this.sink.writableChanged();
    });
  }

  /**
   * Sends a datagram elsewhere than to the connected peer, as Linux lets a connected socket do
   * (libuv refuses): disconnects, hands the datagram to Node, and connects again at once.
   * Meanwhile datagrams from others than the peer are dropped as the kernel would, and sends
   * wait for the connect (Node finishes both in this turn of the event loop).
   */
  sendAside(data: Uint8Array, port: number, host: string): void {
    const socket = this.socket!;
    const peer = this.peer!;
    this.#disconnect(socket);
    this.#only = peer;
    this.send(data, port, host);
    this.#connect(socket, peer.address, peer.port);
  }

  #disconnect(socket: dgram.Socket): void {
    const port = socket.address().port;
    socket.disconnect();
    this.#only = undefined;
    this.connectState = "none";
    if (socket.address().port === port) return;
    const host = this.#bound?.kind === "ip" ? this.#bound.host : "";
    const flags =
      (this.#flags.reuseAddr ? UV_UDP_REUSEADDR : 0) | (this.#flags.ipv6Only ? UV_UDP_IPV6ONLY : 0);
    // Where the handle cannot be reached, the next connect binds another port.
    rebind(socket, host, port, flags);
  }

  /**
   * Hands a datagram to Node: to `host` and `port`, or to the connected peer without them.
   * `data` must not change afterwards (callers pass a copy). An error the kernel returns at once
   * is thrown; errors that come later become the pending error.
   */
  send(data: Uint8Array, port?: number, host?: string): void {
    this.#autobind();
    const cost = data.length + DATAGRAM_OVERHEAD;
    this.#queued += cost;
    // Held by us, not by Node, while the socket binds: not every runtime keeps their order.
    if (this.#held === undefined && this.#ready()) {
      const error = this.#send(data, port, host, cost);
      if (error !== undefined) throw error;
      return;
    }
    this.#held ??= [];
    this.#held.push([data, port, host, cost]);
  }

  /** Whether a send can be given to Node now. */
  #ready(): boolean {
    return this.bindState === "bound" && !(ONE_AT_A_TIME && this.#sending);
  }

  /** Gives Node the held datagrams, in order, as far as it can take them. */
  #flush(): void {
    const held = this.#held;
    if (held === undefined) return;
    let i = 0;
    while (i < held.length && this.#ready()) {
      const [data, port, host, cost] = held[i++]!;
      const error = this.#send(data, port, host, cost);
      if (error !== undefined) this.fail(error);
    }
    if (i === held.length) this.#held = undefined;
    else held.splice(0, i);
  }

  /**
   * Gives one datagram (already counted in `#queued`) to Node: straight on the handle when it
   * goes to an IP address (the kernel answers in the call), else through `dgram.Socket#send`.
   * Returns the error the kernel returned at once, if any.
   */
  #send(
    data: Uint8Array,
    port: number | undefined,
    host: string | undefined,
    cost: number,
  ): SocketError | undefined {
    const socket = this.socket!;
    if (port === undefined || this.#isLiteral(host!)) {
      const result = sendNow(socket, data, port, host, { owner: this, cost }, Datagram.#sentLater);
      // Queued by libuv until the kernel has room: #sentLater reports it.
      if (result === 0) return undefined;
      if (result !== undefined) {
        this.#sent(cost, undefined);
        if (result > 0) return undefined;
        const address = port === undefined ? this.label : formatAddress([host!, port]);
        return errnoError(result, "send", address);
      }
    }
    if (ONE_AT_A_TIME) this.#sending = true;
    this.#sizes.push(cost);
    try {
      if (port === undefined) socket.send(data, this.#onSent);
      else socket.send(data, port, host, this.#onSent);
    } catch (error) {
      // Node checked what sockit checks already; report anything else as a failed send.
      this.#onSent(error as Error);
    }
    return undefined;
  }

  /** Whether `host` is an IP address (the last one seen is remembered: replies go to it). */
  #isLiteral(host: string): boolean {
    if (host === this.#lastLiteral) return true;
    if (isIP(host) === 0) return false;
    this.#lastLiteral = host;
    return true;
  }

  /** The Python-shaped address of a datagram's sender. */
  sender(from: dgram.RemoteInfo): Address {
    return ipAddress(this.family, from.address, from.port);
  }

  /** The local address, or undefined before the socket is bound. */
  local(): Address | undefined {
    if (this.bindState !== "bound" || this.#closed) return undefined;
    const { address, port } = this.socket!.address();
    return ipAddress(this.family, address, port);
  }

  /** The address asked for by `bind`, while it binds. */
  get requested(): Endpoint | undefined {
    return this.#bound;
  }

  fileno(): number {
    const socket = this.socket;
    return socket === undefined || this.#closed ? -1 : datagramFd(socket);
  }

  /**
   * Releases the socket. Datagrams already handed to Node still go: the socket closes once Node
   * reports them sent (what Node still sends keeps the process alive until then), unless `reset`
   * (SO_LINGER 0).
   */
  close(reset: boolean): void {
    if (this.#closed) return;
    this.#closed = true;
    this.rx.clear();
    this.options.detach();
    const socket = this.socket;
    if (socket === undefined) return;
    // Datagrams Node still holds go first (they keep the process alive while they do).
    if (this.#queued === 0 || reset || this.bindState === "failed") this.#release();
  }

  #release(): void {
    if (this.#released) return;
    this.#released = true;
    this.socket?.close();
  }
}

/** The error for a libuv errno (negative), as Python raises it. */
function errnoError(errno: number, op: string, address?: string): SocketError {
  let code = "EIO";
  try {
    code = getSystemErrorName(errno);
  } catch {
    // not an errno libuv knows
  }
  return fromNodeError({ code, syscall: op }, { op, address });
}
