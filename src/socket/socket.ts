/**
 * The `Socket` class: Python's socket object for stream sockets (TCP over IPv4/IPv6, Unix).
 *
 * Every call that can wait goes through `perform` (internal/wait.ts), which applies the socket's
 * mode: blocking (`null`), non-blocking (`0`) or a timeout in seconds. This file only checks
 * arguments, tracks the socket's life (fresh → connecting/listening → open → closed) and picks
 * the attempt to run.
 *
 * @module
 */

import * as net from "node:net";
import { wallToMonotonic } from "../core/clock.js";
import {
  AF_INET,
  AF_INET6,
  AF_UNIX,
  SHUT_RD,
  SHUT_RDWR,
  SHUT_WR,
  SOCK_STREAM,
  SOMAXCONN,
} from "../core/constants.js";
import {
  AddressInfoError,
  BrokenPipeError,
  errnoOf,
  SocketError,
  socketError,
  TimeoutError,
} from "../core/errors.js";
import {
  type Address,
  type AddressInput,
  type Endpoint,
  formatAddress,
  ipAddress,
  toEndpoint,
  typeName,
} from "../net/address.js";
import { READINESS, type Readiness } from "../selectors/readiness.js";
import { Listener } from "./listener.js";
import {
  checkTimeout,
  closedError,
  type Direction,
  NOT_READY,
  perform,
  type Waiter,
  type Waiters,
  type WaitOptions,
  waitersOf,
  wake,
  withoutWaiter,
  withWaiter,
} from "./policy.js";
import { READABLE, WRITABLE } from "./readiness-sink.js";
import { getOption, type OptionTarget, OptionValues, setOption } from "./sockopts.js";
import { DEFAULT_RCVBUF, Stream } from "./stream.js";
import * as transfer from "./transfer.js";

export type { WaitOptions } from "./policy.js";

/** Options of `recv`, `recvInto`: `flags` may be `MSG_PEEK`. */
export interface RecvOptions extends WaitOptions {
  flags?: number;
}

/** Options of `recvUntil`. */
export interface RecvUntilOptions extends WaitOptions {
  /** Most bytes the answer may have, delimiter included (default 65536, asyncio's limit). */
  maxBytes?: number;
}

/** Bytes to send: a `Uint8Array` (a `Buffer` is one) or a string, sent as UTF-8. */
export type Data = Uint8Array | string;

/** A deadline: a `Date`, epoch milliseconds, or `null` for none. */
export type Deadline = Date | number | null;

let defaultTimeout: number | null = null;

/** The timeout in seconds new sockets start with (`null`: blocking). */
export function getDefaultTimeout(): number | null {
  return defaultTimeout;
}

/** Sets the timeout in seconds new sockets start with; `null` means blocking. */
export function setDefaultTimeout(timeout: number | null): void {
  defaultTimeout = checkTimeout(timeout);
}

/** A stream socket with Python's blocking, non-blocking and timeout modes. */
export class Socket implements transfer.Transferring {
  /** The address family (`AF_INET`, `AF_INET6` or `AF_UNIX`). */
  readonly family: number;
  /** The socket type (`SOCK_STREAM`). */
  readonly type: number;
  #timeout: number | null = defaultTimeout;
  #closed = false;
  #stream: Stream | undefined;
  #listener: Listener | undefined;
  #bound: Endpoint | undefined;
  #peer: Endpoint | undefined;
  #accepted = false;
  // Per-socket state is created on first use: a server holds thousands of these.
  /** Monotonic ms per direction; made by the first `setDeadline` (most sockets have none). */
  #deadlines: { read: number | null; write: number | null } | undefined;
  #readWaiters: Waiters;
  #writeWaiters: Waiters;
  #observers: (() => void)[] | undefined;
  #options: OptionValues | undefined;
  #readiness: Readiness | undefined;

  /** @internal The stream or listener reports that reading may have become possible. */
  [READABLE](): void {
    wake(this.#readWaiters);
    if (this.#observers !== undefined) this.#notify();
  }

  /** @internal The stream or listener reports that writing may have become possible. */
  [WRITABLE](): void {
    wake(this.#writeWaiters);
    if (this.#observers !== undefined) this.#notify();
  }

  /** Creates a socket; `family` is AF_INET, AF_INET6 or AF_UNIX, `type` SOCK_STREAM. */
  constructor(family: number = AF_INET, type: number = SOCK_STREAM) {
    if (family !== AF_INET && family !== AF_INET6 && family !== AF_UNIX) {
      throw new SocketError(
        "EAFNOSUPPORT",
        { op: "socket" },
        `unsupported address family ${family}`,
      );
    }
    if (type !== SOCK_STREAM) {
      throw new SocketError(
        "EPROTONOSUPPORT",
        { op: "socket" },
        `socket type ${type} is not supported yet (only SOCK_STREAM)`,
      );
    }
    this.family = family;
    this.type = type;
  }

  /** True once `close()` was called. */
  get closed(): boolean {
    return this.#closed;
  }

  // --- modes and deadlines (synchronous) -------------------------------------------------

  /** The socket's timeout in seconds: `null` blocking, `0` non-blocking. */
  get timeout(): number | null {
    return this.#timeout;
  }

  /** Sets the timeout in seconds: `null` blocks, `0` is non-blocking, `s > 0` waits up to `s`. */
  setTimeout(timeout: number | null): void {
    this.#timeout = checkTimeout(timeout);
  }

  /** The timeout in seconds, or `null` when blocking. */
  getTimeout(): number | null {
    return this.#timeout;
  }

  /** `setBlocking(true)` is `setTimeout(null)`; `setBlocking(false)` is `setTimeout(0)`. */
  setBlocking(flag: boolean): void {
    this.#timeout = flag ? null : 0;
  }

  /** False only in non-blocking mode (timeout `0`). */
  getBlocking(): boolean {
    return this.#timeout !== 0;
  }

  /** Sets the read and write deadlines (Go's `SetDeadline`); it also hits calls already waiting. */
  setDeadline(at: Deadline): void {
    this.setReadDeadline(at);
    this.setWriteDeadline(at);
  }

  /** Sets the deadline of receiving calls (`recv*`, `accept`). */
  setReadDeadline(at: Deadline): void {
    this.#setDeadline("read", at);
  }

  /** Sets the deadline of sending calls (`send*`, `connect`). */
  setWriteDeadline(at: Deadline): void {
    this.#setDeadline("write", at);
  }

  #setDeadline(direction: Direction, at: Deadline): void {
    let epoch: number | null;
    if (at === null) epoch = null;
    else if (at instanceof Date) epoch = at.getTime();
    else if (typeof at === "number") epoch = at;
    else
      throw new TypeError(
        `deadline must be a Date, epoch milliseconds or null, got ${typeName(at)}`,
      );
    if (epoch !== null && !Number.isFinite(epoch)) {
      throw new RangeError(`deadline must be a valid time, got ${String(at)}`);
    }
    const monotonic = epoch === null ? null : wallToMonotonic(epoch);
    this.#deadlines ??= { read: null, write: null };
    this.#deadlines[direction] = monotonic;
    const list = direction === "read" ? this.#readWaiters : this.#writeWaiters;
    for (const waiter of waitersOf(list)) waiter.deadlineMoved();
  }

  // --- Waitable (used by the wait policy) -------------------------------------------------

  /** @internal */
  deadline(direction: Direction): number | null {
    const deadlines = this.#deadlines;
    return deadlines === undefined ? null : deadlines[direction];
  }

  /** @internal */
  addWaiter(direction: Direction, waiter: Waiter): void {
    if (direction === "read") this.#readWaiters = withWaiter(this.#readWaiters, waiter);
    else this.#writeWaiters = withWaiter(this.#writeWaiters, waiter);
  }

  /** @internal */
  removeWaiter(direction: Direction, waiter: Waiter): void {
    if (direction === "read") this.#readWaiters = withoutWaiter(this.#readWaiters, waiter);
    else this.#writeWaiters = withoutWaiter(this.#writeWaiters, waiter);
  }

  /** @internal */
  describe(): string | undefined {
    if (this.#stream !== undefined) return this.#stream.label;
    if (this.#bound !== undefined) return formatAddress(this.#bound);
    return undefined;
  }

  // --- connecting and listening --------------------------------------------------------------

  /** Sets the local address; for stream sockets it takes effect at `listen`/`connect`. */
  async bind(address: AddressInput): Promise<void> {
    if (this.#closed) throw closedError("bind");
    const endpoint = toEndpoint(this.family, address, "bind");
    if (this.#bound !== undefined || this.#stream !== undefined || this.#listener !== undefined) {
      throw new SocketError(
        "EINVAL",
        { op: "bind", address: formatAddress(endpoint) },
        "socket is already bound",
      );
    }
    this.#bound = endpoint;
  }

  /** Starts listening; `getsockname()` shows the real port afterwards. */
  async listen(backlog: number = Math.min(128, SOMAXCONN)): Promise<void> {
    if (this.#closed) throw closedError("listen");
    if (typeof backlog !== "number" || !Number.isInteger(backlog)) {
      throw new TypeError(`listen(): backlog must be an integer, got ${typeName(backlog)}`);
    }
    if (this.#listener !== undefined) return;
    if (this.#stream !== undefined)
      throw new SocketError("EINVAL", { op: "listen" }, "socket is connected");
    if (this.#bound === undefined) {
      if (this.family === AF_UNIX)
        throw new SocketError("EINVAL", { op: "listen" }, "AF_UNIX socket is not bound");
      this.#bound = toEndpoint(this.family, ["", 0], "listen");
    }
    const listener = new Listener(
      {
        endpoint: this.#bound,
        backlog: Math.max(1, Math.min(backlog, SOMAXCONN)),
        ipv6Only: this.#options?.v6Only ?? false,
        reusePort: this.#options?.reusePort ?? false,
      },
      this,
    );
    this.#listener = listener;
    await perform(
      this,
      "listen",
      "write",
      () => {
        if (listener.state === "listening") return undefined;
        if (listener.state === "failed") {
          this.#listener = undefined;
          listener.server.close();
          const pending = listener.pending!;
          throw socketError(pending.code, {
            op: "listen",
            address: formatAddress(this.#bound),
            cause: pending.cause,
          });
        }
        return NOT_READY;
      },
      { timeout: null },
    );
  }

  /** Waits for a connection: `[socket, address]`; the new socket starts in the default mode. */
  accept(options?: WaitOptions): Promise<[Socket, Address]> {
    const listener = this.#listener;
    if (listener === undefined && !this.#closed) {
      return Promise.reject(new SocketError("EINVAL", { op: "accept" }, "socket is not listening"));
    }
    return perform(
      this,
      "accept",
      "read",
      () => {
        if (listener!.pending !== null) {
          const pending = listener!.pending;
          listener!.pending = null;
          throw socketError(pending.code, {
            op: "accept",
            address: this.describe(),
            cause: pending.cause,
          });
        }
        const stream = listener!.tryAccept();
        if (stream === NOT_READY) return NOT_READY;
        return this.#adopt(stream);
      },
      options,
    );
  }

  #adopt(stream: Stream): [Socket, Address] {
    const sock = new Socket(this.family, this.type);
    sock.#accepted = true;
    sock.#bound = this.#bound;
    sock.#attach(stream);
    if (this.family === AF_UNIX) {
      stream.label = formatAddress(this.#bound);
      return [sock, ""];
    }
    const remote = stream.remote;
    return [sock, ipAddress(this.family, remote?.address ?? "", remote?.port ?? 0)];
  }

  #attach(stream: Stream): void {
    this.#stream = stream;
    stream.setSink(this);
    this.#applyOptions();
    if (stream.readable) this[READABLE]();
  }

  /** Connects to `address`; rejects with ConnectionRefusedError, TimeoutError, AddressInfoError… */
  async connect(address: AddressInput, options?: WaitOptions): Promise<void> {
    await this.#connect(address, options);
  }

  /** Like `connect`, but resolves to an errno number (0 on success), as Python's `connect_ex`. */
  async connectEx(address: AddressInput, options?: WaitOptions): Promise<number> {
    try {
      await this.#connect(address, options);
      return 0;
    } catch (error) {
      if (error instanceof AddressInfoError || !(error instanceof SocketError)) throw error;
      if (error instanceof TimeoutError) return errnoOf("EAGAIN")!;
      return error.errno ?? errnoOf("EIO")!;
    }
  }

  #connect(address: AddressInput, options: WaitOptions | undefined): Promise<void> {
    if (this.#closed) return Promise.reject(closedError("connect"));
    let endpoint: Endpoint;
    try {
      endpoint = toEndpoint(this.family, address, "connect");
    } catch (error) {
      return Promise.reject(error);
    }
    const label = formatAddress(endpoint);
    if (this.#listener !== undefined) {
      return Promise.reject(new SocketError("EISCONN", { op: "connect", address: label }));
    }
    let notReadyCode = "EALREADY";
    if (this.#stream === undefined) {
      if (endpoint.kind === "ip") {
        const literal = net.isIP(endpoint.host);
        if (literal !== 0 && literal !== (this.family === AF_INET6 ? 6 : 4)) {
          return Promise.reject(
            new AddressInfoError("EAI_ADDRFAMILY", { op: "connect", address: label }),
          );
        }
      }
      this.#peer = endpoint;
      this.#attach(Stream.connect(endpoint, this.#bound, this.family === AF_INET6 ? 6 : 4, this));
      notReadyCode = "EINPROGRESS";
    } else if (this.#stream.state === "open") {
      return Promise.reject(new SocketError("EISCONN", { op: "connect", address: label }));
    }
    const stream = this.#stream!;
    return perform(
      this,
      "connect",
      "write",
      () => {
        if (stream.state === "open") return undefined;
        if (stream.state === "failed" || stream.pending !== null) {
          this.#detach();
          throw stream.takeError("connect");
        }
        return NOT_READY;
      },
      options,
      {
        notReadyCode,
        onGiveUp: () => {
          // A timed-out or aborted connect is cancelled; the socket can connect again.
          if (this.#stream === stream && stream.state === "connecting") this.#detach();
        },
      },
    );
  }

  #detach(): void {
    const stream = this.#stream;
    if (stream === undefined) return;
    this.#stream = undefined;
    this.#peer = undefined;
    if (!stream.socket.destroyed) stream.socket.destroy();
  }

  // --- sending and receiving (see internal/transfer.ts) ----------------------------------

  /** Sends as many bytes as the send buffer has room for (at least 1 once ready); returns the count. */
  send(data: Data, options?: WaitOptions): Promise<number> {
    return transfer.send(this, data, options);
  }

  /**
   * Sends all of `data`. Up to 16 KiB that fits in the send buffer is copied into it and the call
   * resolves at once (small messages of one tick leave together); larger data is lent to the
   * kernel without a copy and the call resolves once the kernel has taken it all, so do not
   * modify `data` until it settles. On failure the error carries `bytesSent`: how many bytes were
   * accepted (they stay queued and will be sent).
   */
  sendAll(data: Data, options?: WaitOptions): Promise<void> {
    return transfer.sendAll(this, data, options);
  }

  /** Up to `bufsize` bytes; an empty Buffer only at end of stream. `flags` may be MSG_PEEK. */
  recv(bufsize: number, options?: RecvOptions): Promise<Buffer> {
    return transfer.recv(this, bufsize, options);
  }

  /** Fills `buffer` (up to `nbytes`, default its length); the count, 0 only at end of stream. */
  recvInto(
    buffer: Uint8Array,
    nbytes?: number | RecvOptions,
    options?: RecvOptions,
  ): Promise<number> {
    return transfer.recvInto(this, buffer, nbytes, options);
  }

  /**
   * Exactly `n` bytes. If the stream ends first: IncompleteReadError with the bytes that were
   * left (consumed). On timeout or abort nothing is consumed.
   */
  recvExactly(n: number, options?: WaitOptions): Promise<Buffer> {
    return transfer.recvExactly(this, n, options);
  }

  /**
   * Bytes up to and including `delimiter`. LimitOverrunError if it is not within `maxBytes`
   * (default 65536; nothing consumed); IncompleteReadError if the stream ends first (the rest is
   * consumed).
   */
  recvUntil(delimiter: Data, options?: RecvUntilOptions): Promise<Buffer> {
    return transfer.recvUntil(this, delimiter, options);
  }

  /** @internal The stream to write to, NOT_READY while connecting, or the error Python raises. */
  writer(op: string): Stream | typeof NOT_READY {
    const stream = this.#stream;
    if (stream === undefined) throw new BrokenPipeError("EPIPE", { op, address: this.describe() });
    if (stream.state === "connecting") return NOT_READY;
    return stream;
  }

  /** @internal The stream to read from, NOT_READY while connecting, or ENOTCONN. */
  reader(op: string): Stream | typeof NOT_READY {
    const stream = this.#stream;
    if (stream === undefined) throw new SocketError("ENOTCONN", { op, address: this.describe() });
    if (stream.state === "connecting") return NOT_READY;
    return stream;
  }

  /** @internal */
  quickWriter(): Stream | undefined {
    if (this.#closed || (this.#deadlines !== undefined && this.#deadlines.write !== null)) {
      return undefined;
    }
    return this.#stream;
  }

  /** @internal */
  receiveBufferSize(): number {
    return this.#options?.rcvbuf ?? DEFAULT_RCVBUF;
  }

  // --- the rest (synchronous) ------------------------------------------------------------

  /** `SHUT_RD`, `SHUT_WR` (sends FIN; receiving still works) or `SHUT_RDWR`. */
  shutdown(how: number): void {
    if (this.#closed) throw closedError("shutdown");
    if (how !== SHUT_RD && how !== SHUT_WR && how !== SHUT_RDWR) {
      throw new RangeError(
        `shutdown(): how must be SHUT_RD, SHUT_WR or SHUT_RDWR, got ${String(how)}`,
      );
    }
    const stream = this.#stream;
    if (stream === undefined || stream.state !== "open") {
      throw new SocketError("ENOTCONN", { op: "shutdown", address: this.describe() });
    }
    if (how !== SHUT_WR) stream.shutdownRead();
    if (how !== SHUT_RD) stream.shutdownWrite();
  }

  /** Releases the socket now; pending and later calls reject with `EBADF`. Queued data is still sent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#stream?.close(this.#options?.linger === 0);
    this.#listener?.close();
    this[READABLE]();
    this[WRITABLE]();
    this.#observers = undefined;
  }

  /** Calls `close()` (`using sock = …`). */
  [Symbol.dispose](): void {
    this.close();
  }

  /** Calls `close()` (`await using sock = …`, Python's `with`). */
  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
  }

  /** The local address. Before `listen`/`connect`, the address given to `bind` (port may be 0). */
  getsockname(): Address {
    if (this.#closed) throw closedError("getsockname");
    const listening = this.#listener?.address();
    if (typeof listening === "string") return listening;
    if (listening) return ipAddress(this.family, listening.address, listening.port);
    const stream = this.#stream;
    if (this.family === AF_UNIX) {
      return this.#bound?.kind === "unix" ? this.#bound.path : "";
    }
    if (stream?.local !== undefined) {
      return ipAddress(this.family, stream.local.address, stream.local.port);
    }
    if (this.#bound?.kind === "ip")
      return ipAddress(this.family, this.#bound.host, this.#bound.port);
    return ipAddress(this.family, this.family === AF_INET6 ? "::" : "0.0.0.0", 0);
  }

  /** The peer's address; `ENOTCONN` when not connected. */
  getpeername(): Address {
    if (this.#closed) throw closedError("getpeername");
    const stream = this.#stream;
    const connected = stream !== undefined && stream.state === "open" && !stream.socket.destroyed;
    const remote = connected && this.family !== AF_UNIX ? stream.remote : undefined;
    if (!connected || (this.family !== AF_UNIX && remote === undefined)) {
      throw new SocketError("ENOTCONN", { op: "getpeername", address: this.describe() });
    }
    if (this.family === AF_UNIX)
      return this.#accepted ? "" : this.#peer?.kind === "unix" ? this.#peer.path : "";
    return ipAddress(this.family, remote!.address, remote!.port);
  }

  /** The OS descriptor, or −1 when closed or before the OS socket exists (it is made lazily). */
  fileno(): number {
    if (this.#closed) return -1;
    const owner = this.#stream?.socket ?? this.#listener?.server;
    const fd = (owner as { _handle?: { fd?: number } } | undefined)?._handle?.fd;
    return typeof fd === "number" && fd >= 0 ? fd : -1;
  }

  /** Sets an option; see the README for what each one means here. */
  setsockopt(level: number, option: number, value: number | boolean | null): void {
    if (this.#closed) throw closedError("setsockopt");
    setOption(this.#optionTarget(), level, option, value);
  }

  /** Reads an option back (SO_ERROR reads and clears the pending error). */
  getsockopt(level: number, option: number): number | null {
    if (this.#closed) throw closedError("getsockopt");
    return getOption(this.#optionTarget(), level, option) as number | null;
  }

  #optionTarget(): OptionTarget {
    this.#options ??= new OptionValues();
    const options = this.#options;
    return {
      options,
      type: this.type,
      apply: (changed) => this.#applyOptions(changed),
      takeErrorCode: () => {
        const fromStream = this.#stream?.clearError();
        if (fromStream !== undefined) {
          if (this.#stream?.state === "failed") this.#detach();
          return fromStream;
        }
        const listener = this.#listener;
        const code = listener?.pending?.code;
        if (listener) listener.pending = null;
        return code;
      },
    };
  }

  /** Applies the options to the connection: all of them, or only the one that `changed`. */
  #applyOptions(changed?: keyof OptionValues): void {
    const stream = this.#stream;
    const options = this.#options;
    if (stream === undefined || options === undefined) return;
    stream.rcvbuf = options.rcvbuf;
    stream.sndbuf = options.sndbuf;
    const socket = stream.socket;
    if (socket.destroyed) return;
    // Each of these is a system call: make only the one that changed.
    if (changed === undefined || changed === "noDelay") socket.setNoDelay(options.noDelay);
    if (changed === undefined || changed === "keepAlive") socket.setKeepAlive(options.keepAlive);
  }

  /** @internal Readiness for selectors. */
  get [READINESS](): Readiness {
    this.#readiness ??= {
      readable: () => this.#closed || (this.#listener?.readable ?? this.#stream?.readable ?? false),
      writable: () => this.#closed || (this.#stream?.writable ?? false),
      fileno: () => this.fileno(),
      observe: (listener) => {
        this.#observers ??= [];
        this.#observers.push(listener);
        return () => {
          const i = this.#observers?.indexOf(listener) ?? -1;
          if (i >= 0) this.#observers!.splice(i, 1);
        };
      },
    };
    return this.#readiness;
  }

  #notify(): void {
    const observers = this.#observers!;
    if (observers.length === 1) observers[0]!();
    else for (const listener of [...observers]) listener();
  }
}

/** Creates a socket (Python's `socket.socket`). */
export function socket(family: number = AF_INET, type: number = SOCK_STREAM): Socket {
  return new Socket(family, type);
}
