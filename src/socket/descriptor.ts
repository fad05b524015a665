/**
 * A socket's insides (Go's `netFD` over its poll descriptor): family and type, the transport
 * that carries it (none yet, a connection, or a listener), the addresses it was given, its
 * options, its mode, deadlines and waiting calls (inherited from {@link PollDesc}), and the
 * selectors watching it. The public `Socket` is a thin shell over one of these; the operations
 * table's attempts and the synchronous calls work on it.
 *
 * Life cycle: fresh (maybe bound) → connecting → connected, or → listening; then closed. A
 * datagram socket has its transport from the start (datagram.ts), for its whole life.
 */

import * as net from "node:net";
import { describe as show } from "../core/checks.js";
import {
  AF_INET6,
  AF_UNIX,
  SHUT_RD,
  SHUT_RDWR,
  SHUT_WR,
  SOCK_DGRAM,
  SOCK_STREAM,
} from "../core/constants.js";
import { AddressInfoError, BrokenPipeError, SocketError } from "../core/errors.js";
import {
  type Address,
  type Endpoint,
  formatAddress,
  ipAddress,
  toEndpoint,
} from "../net/address.js";
import { Observers, type Readiness } from "../selectors/readiness.js";
import { Datagram, type DatagramFlags } from "./datagram.js";
import type { DatagramOptions } from "./datagram-options.js";
import { Listener } from "./listener.js";
import { closedError, NOT_READY } from "./operation.js";
import type { ConnectCall, SocketCore } from "./operations.js";
import { PollDesc } from "./policy.js";
import {
  applyToStream,
  FLAG,
  getOption,
  type OptionName,
  type OptionTarget,
  OptionValues,
  setOption,
} from "./sockopts.js";
import { DEFAULT_RCVBUF, Stream } from "./stream.js";
import type { TransportSink } from "./transport.js";

/** See the module comment. */
export class Descriptor extends PollDesc implements SocketCore, TransportSink, OptionTarget {
  readonly family: number;
  readonly type: number;
  transport: Stream | Listener | Datagram | undefined;
  /** The address given to `bind`, kept until the OS socket exists. */
  #bound: Endpoint | undefined;
  /** The address given to `connect`. */
  #peer: Endpoint | undefined;
  #accepted = false;
  #options: OptionValues | undefined;
  #observers: Observers | undefined;
  #readiness: Readiness | undefined;
  /** Who the socket's data is handed over to (a Node.js stream); see {@link handOver}. */
  #holder: object | undefined;
  /** What runs as the socket closes, before the connection is released. */
  #closing: Set<() => void> | undefined;

  constructor(family: number, type: number) {
    super();
    this.family = family;
    this.type = type;
    if (type === SOCK_DGRAM) this.transport = new Datagram(family, this);
  }

  /**
   * A connected socket over a stream made elsewhere (an adopted `net.Socket`). With `like`, it
   * takes over that socket's timeout, options and addresses (a TLS connection takes over the
   * socket it was wrapped around).
   */
  static connected(family: number, stream: Stream, like?: Descriptor): Descriptor {
    const descriptor = new Descriptor(family, SOCK_STREAM);
    if (like !== undefined) {
      descriptor.timeout = like.timeout;
      descriptor.#options = like.#options;
      descriptor.#bound = like.#bound;
      descriptor.#peer = like.#peer;
      descriptor.#accepted = like.#accepted;
    }
    descriptor.#attach(stream);
    return descriptor;
  }

  /**
   * Python's `detach()`, for a connection another layer takes over (TLS): the close hooks run
   * (a file object flushes what it holds), then the socket is closed for its callers (waiting
   * and later calls fail with `EBADF`) but its connection is not: it is returned, open.
   */
  detach(op: string): Stream {
    if (this.closed) throw closedError(op, this);
    if (this.#holder !== undefined) throw busyError(op, this.describe());
    const stream = this.transport;
    if (stream?.kind !== "stream" || stream.state !== "open") {
      throw new SocketError("ENOTCONN", { op, address: this.describe() });
    }
    if (stream.pending !== null) throw stream.takeError(op);
    const hooks = this.#closing;
    this.#closing = undefined;
    if (hooks !== undefined) for (const hook of hooks) hook();
    this.transport = undefined;
    this.closed = true;
    this.readableChanged();
    this.writableChanged();
    this.#observers = undefined;
    return stream;
  }

  /** The address given to `connect`, as given (a host name stays a name), if any. */
  get connectedTo(): Endpoint | undefined {
    return this.#peer;
  }

  // --- stream adapters -----------------------------------------------------------------------

  /**
   * Hands the socket's data over to `holder` (a Node.js stream that buffers data of its own):
   * from then on only calls made for `holder` move data, and the socket's own data calls and
   * `shutdown` fail with `EBUSY`, since they would reorder bytes with the holder's buffers.
   */
  handOver(holder: object): void {
    this.#holder = holder;
  }

  /** Who the socket's data is handed over to, if anyone. */
  get holder(): object | undefined {
    return this.#holder;
  }

  /**
   * Runs `hook` when the socket closes, before the connection is released (an open file object
   * flushes its write buffer there). Returns a function that removes it.
   */
  onClose(hook: () => void): () => void {
    this.#closing ??= new Set();
    const hooks = this.#closing;
    hooks.add(hook);
    return () => {
      hooks.delete(hook);
    };
  }

  // --- the transport reports readiness -------------------------------------------------------

  readableChanged(): void {
    this.wake("read");
    this.#observers?.notify();
  }

  writableChanged(): void {
    this.wake("write");
    this.#observers?.notify();
  }

  override describe(): string | undefined {
    const transport = this.transport;
    if (transport !== undefined) return transport.label;
    return this.#bound === undefined ? undefined : formatAddress(this.#bound);
  }

  /** Checks `address` for this socket's family. */
  endpoint(address: unknown, op: string): Endpoint {
    return toEndpoint(this.family, address, op);
  }

  #attach(transport: Stream | Listener): void {
    this.transport = transport;
    transport.setSink(this);
    if (transport.kind === "stream") {
      const options = this.#options;
      if (options !== undefined) applyToStream(transport, options);
    }
    if (transport.readable) this.readableChanged();
  }

  #detach(): void {
    const transport = this.transport;
    if (transport === undefined) return;
    this.transport = undefined;
    this.#peer = undefined;
    transport.close(false);
  }

  // --- what the operations table's attempts call ---------------------------------------------

  /** `bind`: records the address (the OS socket is made by `listen` or `connect`). */
  bind(endpoint: Endpoint): undefined {
    if (this.#bound !== undefined || this.transport !== undefined) {
      throw new SocketError(
        "EINVAL",
        { op: "bind", address: formatAddress(endpoint) },
        "socket is already bound",
      );
    }
    this.#bound = endpoint;
    return undefined;
  }

  /** `listen`: starts listening on the first try, then reports when the OS has bound it. */
  listen(backlog: number): undefined | typeof NOT_READY {
    let listener = this.transport;
    if (listener?.kind === "datagram") throw streamOnly("listen");
    if (listener?.kind === "stream") {
      throw new SocketError(
        "EINVAL",
        { op: "listen", address: this.describe() },
        "socket is connected",
      );
    }
    if (listener === undefined) {
      if (this.#bound === undefined) {
        if (this.family === AF_UNIX) {
          throw new SocketError("EINVAL", { op: "listen" }, "AF_UNIX socket is not bound");
        }
        this.#bound = toEndpoint(this.family, ["", 0], "listen");
      }
      const options = {
        endpoint: this.#bound,
        backlog,
        ipFamily: this.family === AF_INET6 ? (6 as const) : (4 as const),
        ipv6Only: this.#options?.has(FLAG.v6Only) ?? false,
        reusePort: this.#options?.has(FLAG.reusePort) ?? false,
      };
      listener = new Listener(options, formatAddress(this.#bound), this);
      this.#attach(listener);
    }
    if (listener.state === "listening") return undefined;
    if (listener.state === "failed") {
      this.transport = undefined;
      listener.close();
      throw listener.takeError("listen");
    }
    return NOT_READY;
  }

  /** Throws EINVAL unless the socket is listening (checked before `accept` waits). */
  listening(op: string): void {
    if (this.transport?.kind === "datagram" && !this.closed) throw streamOnly(op);
    if (this.transport?.kind !== "listener" && !this.closed) {
      throw new SocketError("EINVAL", { op, address: this.describe() }, "socket is not listening");
    }
  }

  /** `accept`: the oldest pending connection as a new descriptor, and its peer's address. */
  accept(op: string): [Descriptor, Address] | typeof NOT_READY {
    const listener = this.transport as Listener;
    const stream = listener.accept(op);
    if (stream === NOT_READY) return NOT_READY;
    const accepted = new Descriptor(this.family, this.type);
    accepted.#accepted = true;
    accepted.#bound = this.#bound;
    accepted.#attach(stream);
    if (this.family === AF_UNIX) {
      stream.label = formatAddress(this.#bound);
      return [accepted, ""];
    }
    const remote = stream.remote;
    return [accepted, ipAddress(this.family, remote?.address ?? "", remote?.port ?? 0)];
  }

  /**
   * EMFILE or ENFILE when the process cannot make one more descriptor now, for a listening
   * socket's non-blocking `accept` that found nothing (see listener.ts); else undefined.
   */
  exhaustion(op: string): SocketError | undefined {
    const transport = this.transport;
    return transport?.kind === "listener" ? transport.exhaustion(op) : undefined;
  }

  /** `connect`: starts (or joins) the attempt on the first try, then reports how it ended. */
  connect(call: ConnectCall): undefined | typeof NOT_READY {
    const transport = this.transport;
    if (transport?.kind === "datagram") throw streamOnly("connect");
    if (call.joined === "") {
      const label = formatAddress(call.endpoint);
      if (transport?.kind === "listener" || transport?.state === "open") {
        throw new SocketError("EISCONN", { op: "connect", address: label });
      }
      if (transport !== undefined) {
        call.joined = "EALREADY";
      } else {
        const { endpoint } = call;
        if (endpoint.kind === "ip") {
          const literal = net.isIP(endpoint.host);
          if (literal !== 0 && literal !== (this.family === AF_INET6 ? 6 : 4)) {
            throw new AddressInfoError("EAI_ADDRFAMILY", { op: "connect", address: label });
          }
        }
        this.#peer = endpoint;
        const ipFamily = this.family === AF_INET6 ? 6 : 4;
        this.#attach(Stream.connect(endpoint, this.#bound, ipFamily, this));
        call.joined = "EINPROGRESS";
        return NOT_READY;
      }
    }
    const stream = this.transport;
    if (stream?.kind !== "stream") throw new SocketError("ECONNABORTED", { op: "connect" });
    if (stream.state === "open") return undefined;
    if (stream.state === "failed" || stream.pending !== null) {
      this.#detach();
      throw stream.takeError("connect");
    }
    return NOT_READY;
  }

  /** A timed-out or aborted connect is cancelled: the socket can connect again. */
  cancelConnect(_call: ConnectCall): void {
    const stream = this.transport;
    if (stream?.kind === "stream" && stream.state === "connecting") this.#detach();
  }

  /**
   * The stream a sending or receiving call works on; ENOTCONN or EPIPE without one, EBUSY when
   * the data is handed over to someone other than `by`.
   */
  stream(op: string, direction: "read" | "write", by?: object): Stream {
    if (this.#holder !== by) throw busyError(op, this.describe());
    const transport = this.transport;
    if (transport?.kind === "stream") return transport;
    if (transport?.kind === "datagram") throw streamOnly(op);
    const address = this.describe();
    if (direction === "write") throw new BrokenPipeError("EPIPE", { op, address });
    throw new SocketError("ENOTCONN", { op, address });
  }

  /** The stream, if the socket is open and connected (for calls that skip the policy). */
  openStream(): Stream | undefined {
    const transport = this.transport;
    return transport?.kind === "stream" && this.#holder === undefined ? transport : undefined;
  }

  /** The datagram transport a datagram call works on; EOPNOTSUPP on a stream socket. */
  datagram(op: string): Datagram {
    const transport = this.transport;
    if (transport?.kind === "datagram") return transport;
    throw new SocketError("EOPNOTSUPP", { op, address: this.describe() }, "not a datagram socket");
  }

  /** The options a datagram socket's OS socket is made with. */
  datagramFlags(): DatagramFlags {
    const options = this.#options;
    return {
      reuseAddr: options?.has(FLAG.reuseAddr) ?? false,
      reusePort: options?.has(FLAG.reusePort) ?? false,
      ipv6Only: options?.has(FLAG.v6Only) ?? false,
    };
  }

  /** SO_RCVBUF in bytes. */
  receiveBufferSize(): number {
    return this.#options?.rcvbuf ?? DEFAULT_RCVBUF;
  }

  // --- the calls that never wait -------------------------------------------------------------

  /** `SHUT_RD`, `SHUT_WR` (sends FIN; receiving still works) or `SHUT_RDWR`. */
  shutdown(how: unknown, by?: object): void {
    if (this.closed) throw closedError("shutdown");
    if (this.#holder !== by) throw busyError("shutdown", this.describe());
    if (how !== SHUT_RD && how !== SHUT_WR && how !== SHUT_RDWR) {
      throw new RangeError(
        `shutdown(): how must be SHUT_RD (0), SHUT_WR (1) or SHUT_RDWR (2), got ${show(how)}`,
      );
    }
    const stream = this.transport;
    if (stream?.kind === "datagram" && stream.connectState === "connected") {
      throw new SocketError("EOPNOTSUPP", { op: "shutdown", address: this.describe() });
    }
    if (stream?.kind !== "stream" || stream.state !== "open") {
      throw new SocketError("ENOTCONN", { op: "shutdown", address: this.describe() });
    }
    if (how !== SHUT_WR) stream.shutdownRead();
    if (how !== SHUT_RD) stream.shutdownWrite();
  }

  /** Releases the socket now; waiting and later calls fail with `EBADF`. */
  close(): void {
    if (this.closed) return;
    const hooks = this.#closing;
    this.#closing = undefined;
    if (hooks !== undefined) for (const hook of hooks) hook();
    this.closed = true;
    this.transport?.close(this.#options?.linger === 0);
    this.readableChanged();
    this.writableChanged();
    this.#observers = undefined;
  }

  /** The local address. Before `listen`/`connect`, the address given to `bind`. */
  getsockname(): Address {
    if (this.closed) throw closedError("getsockname");
    const transport = this.transport;
    if (transport?.kind === "datagram") {
      const local = transport.local();
      if (local !== undefined) return local;
    }
    if (transport?.kind === "listener") {
      const address = transport.address();
      if (typeof address === "string") return address;
      if (address !== null) return ipAddress(this.family, address.address, address.port);
    }
    if (this.family === AF_UNIX) return this.#bound?.kind === "unix" ? this.#bound.path : "";
    const local = transport?.kind === "stream" ? transport.local : undefined;
    if (local !== undefined) return ipAddress(this.family, local.address, local.port);
    const bound = transport?.kind === "datagram" ? transport.requested : this.#bound;
    if (bound?.kind === "ip") return ipAddress(this.family, bound.host, bound.port);
    return ipAddress(this.family, this.family === AF_INET6 ? "::" : "0.0.0.0", 0);
  }

  /** The peer's address; `ENOTCONN` when not connected. */
  getpeername(): Address {
    if (this.closed) throw closedError("getpeername");
    const stream = this.transport;
    if (stream?.kind === "datagram") {
      const peer = stream.connectState === "connected" ? stream.peer : undefined;
      if (peer === undefined) {
        throw new SocketError("ENOTCONN", { op: "getpeername", address: this.describe() });
      }
      return ipAddress(this.family, peer.address, peer.port);
    }
    const connected =
      stream?.kind === "stream" && stream.state === "open" && !stream.socket.destroyed;
    const remote = connected && this.family !== AF_UNIX ? stream.remote : undefined;
    if (!connected || (this.family !== AF_UNIX && remote === undefined)) {
      throw new SocketError("ENOTCONN", { op: "getpeername", address: this.describe() });
    }
    if (this.family === AF_UNIX) {
      return this.#accepted ? "" : this.#peer?.kind === "unix" ? this.#peer.path : "";
    }
    return ipAddress(this.family, remote!.address, remote!.port);
  }

  /** The OS descriptor, or −1 when closed or before the OS socket exists. */
  fileno(): number {
    if (this.closed) return -1;
    return this.transport?.fileno() ?? -1;
  }

  // --- options (see sockopts.ts) ---------------------------------------------------------------

  /** The options only datagram sockets have (OptionTarget). */
  datagramOptions(): DatagramOptions | undefined {
    const transport = this.transport;
    return transport?.kind === "datagram" ? transport.options : undefined;
  }

  get options(): OptionValues {
    this.#options ??= new OptionValues();
    return this.#options;
  }

  setsockopt(level: unknown, option: unknown, value: unknown): void {
    if (this.closed) throw closedError("setsockopt");
    setOption(this, level, option, value);
  }

  getsockopt(level: unknown, option: unknown): number | null {
    if (this.closed) throw closedError("getsockopt");
    return getOption(this, level, option);
  }

  /** Applies a changed option to the live connection (OptionTarget). */
  apply(changed: OptionName): void {
    const transport = this.transport;
    if (transport?.kind === "stream") applyToStream(transport, this.options, changed);
    else if (transport?.kind === "datagram") {
      transport.rx.limit = this.options.rcvbuf;
      transport.sndbuf = this.options.sndbuf;
      transport.setFlags(this.datagramFlags());
    }
  }

  /** Reads and clears the pending error's code (SO_ERROR; OptionTarget). */
  takeErrorCode(): string | undefined {
    const transport = this.transport;
    const code = transport?.clearError();
    if (transport?.kind === "stream" && transport.state === "failed") this.#detach();
    return code;
  }

  // --- selectors (see selectors/readiness.ts) ------------------------------------------------

  /** What a selector watches. */
  get readiness(): Readiness {
    this.#readiness ??= {
      readable: () => this.closed || (this.transport?.readable ?? false),
      writable: () => this.closed || (this.transport?.writable ?? false),
      fileno: () => this.fileno(),
      observe: (listener) => {
        this.#observers ??= new Observers();
        return this.#observers.add(listener);
      },
    };
    return this.#readiness;
  }
}

/** The error of a data call on a socket whose data is handed over to a Node.js stream. */
export function busyError(op: string, address: string | undefined): SocketError {
  return new SocketError(
    "EBUSY",
    { op, address },
    "the socket is in use by the stream toDuplex() returned: read and write through that stream",
  );
}

/** What a stream-only call raises on a datagram socket, as Linux does. */
export function streamOnly(op: string): SocketError {
  return new SocketError("EOPNOTSUPP", { op }, "not supported on a datagram socket");
}
