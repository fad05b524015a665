/**
 * The `Socket` class: Python's socket object.
 *
 * Inside, each method that can wait runs one entry of the operations table (operations.ts) under
 * the socket's mode (policy.ts); the others read or change the socket's descriptor
 * (descriptor.ts) at once. This file is the API and its documentation, nothing else.
 *
 * @module
 */

import type { Duplex } from "node:stream";
import type { ReadableStream, WritableStream } from "node:stream/web";
import { AF_INET, SOCK_DGRAM, SOCK_STREAM } from "../core/constants.js";
import { AddressInfoError, errnoOf, SocketError, TimeoutError } from "../core/errors.js";
import type { Address, AddressInput } from "../net/address.js";
import { READINESS, type Readiness } from "../selectors/readiness.js";
import { chunks } from "../streams/chunks.js";
import { type DuplexOptions, toDuplex } from "../streams/duplex.js";
import type { FileOptions } from "../streams/file-options.js";
import { type FileFor, makefile } from "../streams/makefile.js";
import { readableOf, writableOf } from "../streams/web.js";
import {
  DGRAM_BIND,
  DGRAM_CONNECT,
  DGRAM_RECV,
  DGRAM_RECV_INTO,
  DGRAM_SEND,
  RECV_FROM,
  RECV_FROM_INTO,
  SEND_TO,
} from "./datagram-operations.js";
import { Descriptor } from "./descriptor.js";
import { checkFamily, checkSocketType } from "./kinds.js";
import type { WaitOptions } from "./operation.js";
import {
  ACCEPT,
  BIND,
  CONNECT,
  type Data,
  LISTEN,
  RECV,
  RECV_EXACTLY,
  RECV_INTO,
  RECV_UNTIL,
  type RecvOptions,
  type RecvUntilOptions,
  SEND,
  SEND_ALL,
  type SocketCore,
} from "./operations.js";
import { type Deadline, run } from "./policy.js";

/** A descriptor being wrapped by `accept` (the constructor takes it instead of making one). */
let adopting: Descriptor | undefined;

/** The insides of a socket (for the synchronous flavour's helper thread, which runs this API). */
export let descriptorOf: (sock: Socket) => Descriptor;

/**
 * A socket with Python's blocking, non-blocking and timeout modes: TCP and UDP over IPv4 and
 * IPv6, and Unix stream sockets.
 *
 * @example
 * ```ts
 * const sock = socket();
 * await sock.connect(["127.0.0.1", 8080]);
 * await sock.sendAll("ping\n");
 * const reply = await sock.recvUntil("\n");
 * sock.close();
 * ```
 */
export class Socket {
  readonly #d: Descriptor;

  /**
   * Creates a socket; `family` is AF_INET, AF_INET6 or AF_UNIX, `type` SOCK_STREAM or (for
   * AF_INET and AF_INET6) SOCK_DGRAM.
   */
  constructor(family: number = AF_INET, type: number = SOCK_STREAM) {
    if (adopting !== undefined) {
      this.#d = adopting;
      adopting = undefined;
      return;
    }
    this.#d = new Descriptor(checkFamily(family), checkSocketType(type, family));
  }

  static {
    descriptorOf = (sock) => sock.#d;
  }

  /** The socket object of a descriptor `accept` made. */
  static #adopt(descriptor: SocketCore): Socket {
    // The async flavour's accept makes async descriptors.
    adopting = descriptor as Descriptor;
    return new Socket();
  }

  /** The address family (`AF_INET`, `AF_INET6` or `AF_UNIX`). */
  get family(): number {
    return this.#d.family;
  }

  /** The socket type (`SOCK_STREAM` or `SOCK_DGRAM`). */
  get type(): number {
    return this.#d.type;
  }

  /** True once `close()` was called. */
  get closed(): boolean {
    return this.#d.closed;
  }

  /**
   * Datagrams this socket dropped because its receive queue (`SO_RCVBUF` bytes) was full, as
   * the kernel drops them (0 for stream sockets). Datagrams the kernel itself dropped before
   * Node.js read them are not counted.
   */
  get dropped(): number {
    return this.#d.transport?.kind === "datagram" ? this.#d.transport.rx.dropped : 0;
  }

  // --- modes and deadlines -----------------------------------------------------------------

  /** The socket's timeout in seconds: `null` blocking, `0` non-blocking. */
  get timeout(): number | null {
    return this.#d.timeout;
  }

  /** Sets the timeout in seconds: `null` blocks, `0` is non-blocking, `s > 0` waits up to `s`. */
  setTimeout(timeout: number | null): void {
    this.#d.setTimeout(timeout);
  }

  /** The timeout in seconds, or `null` when blocking. */
  getTimeout(): number | null {
    return this.#d.getTimeout();
  }

  /** `setBlocking(true)` is `setTimeout(null)`; `setBlocking(false)` is `setTimeout(0)`. */
  setBlocking(flag: boolean): void {
    this.#d.setBlocking(flag);
  }

  /** False only in non-blocking mode (timeout `0`). */
  getBlocking(): boolean {
    return this.#d.getBlocking();
  }

  /** Sets the read and write deadlines (Go's `SetDeadline`); it also hits calls already waiting. */
  setDeadline(at: Deadline): void {
    this.#d.setDeadline(at);
  }

  /** Sets the deadline of receiving calls (`recv*`, `accept`). */
  setReadDeadline(at: Deadline): void {
    this.#d.setReadDeadline(at);
  }

  /** Sets the deadline of sending calls (`send*`, `connect`). */
  setWriteDeadline(at: Deadline): void {
    this.#d.setWriteDeadline(at);
  }

  // --- connecting and listening --------------------------------------------------------------

  /**
   * Sets the local address; for stream sockets it takes effect at `listen`/`connect`, a datagram
   * socket is bound when the promise resolves.
   */
  bind(address: AddressInput): Promise<void> {
    return this.#datagram() ? run(this.#d, DGRAM_BIND, address) : run(this.#d, BIND, address);
  }

  /** Starts listening; `getsockname()` shows the real port afterwards. */
  listen(backlog?: number): Promise<void> {
    return run(this.#d, LISTEN, backlog);
  }

  /** Waits for a connection: `[socket, address]`; the new socket starts in the default mode. */
  accept(options?: WaitOptions): Promise<[Socket, Address]> {
    return run(this.#d, ACCEPT, Socket.#adopt, options) as Promise<[Socket, Address]>;
  }

  /**
   * Connects to `address`; rejects with ConnectionRefusedError, TimeoutError, AddressInfoError…
   * A datagram socket only records its default peer (and receives from it alone); connecting
   * again moves it and keeps the local port.
   */
  connect(address: AddressInput, options?: WaitOptions): Promise<void> {
    return this.#datagram()
      ? run(this.#d, DGRAM_CONNECT, address, options)
      : run(this.#d, CONNECT, address, options);
  }

  /** Like `connect`, but resolves to an errno number (0 on success), as Python's `connect_ex`. */
  connectEx(address: AddressInput, options?: WaitOptions): Promise<number> {
    return this.connect(address, options).then(() => 0, connectErrno);
  }

  // --- sending and receiving -------------------------------------------------------------------

  /**
   * Sends as many bytes as the send buffer has room for (at least 1 once ready) and returns the
   * count. `flags` (Python's positional argument) may only be 0.
   */
  send(data: Data, flags?: number | WaitOptions, options?: WaitOptions): Promise<number> {
    return this.#datagram()
      ? run(this.#d, DGRAM_SEND, data, flags, options)
      : run(this.#d, SEND, data, flags, options);
  }

  /**
   * Sends `data` as one datagram to `address` (Python's `sendto(data[, flags], address)`) and
   * returns its length. It resolves once Node.js has the datagram (a copy); it waits only while
   * the send queue (`SO_SNDBUF` bytes) is full. Datagrams only: `EOPNOTSUPP` on a stream socket.
   */
  sendTo(data: Data, address: AddressInput, options?: WaitOptions): Promise<number>;
  sendTo(data: Data, flags: number, address: AddressInput, options?: WaitOptions): Promise<number>;
  sendTo(
    data: Data,
    flagsOrAddress: number | AddressInput,
    addressOrOptions?: AddressInput | WaitOptions,
    options?: WaitOptions,
  ): Promise<number> {
    return run(this.#d, SEND_TO, data, flagsOrAddress, addressOrOptions, options);
  }

  /**
   * Sends all of `data`. Up to 16 KiB that fits in the send buffer is copied into it and the call
   * resolves at once (small messages of one tick leave together); larger data is lent to the
   * kernel without a copy and the call resolves once the kernel has taken it all, so do not
   * modify `data` until it settles. On failure the error carries `bytesSent`: how many bytes were
   * accepted (they stay queued and will be sent).
   */
  sendAll(data: Data, flags?: number | WaitOptions, options?: WaitOptions): Promise<void> {
    return run(this.#d, SEND_ALL, data, flags, options);
  }

  /**
   * Up to `bufsize` bytes; an empty Buffer only at end of stream. `flags` may be `MSG_PEEK`
   * (positional, as in Python, or in the options): the data is returned and stays buffered.
   */
  recv(bufsize: number, flags?: number | RecvOptions, options?: RecvOptions): Promise<Buffer> {
    return this.#datagram()
      ? run(this.#d, DGRAM_RECV, bufsize, flags, options)
      : run(this.#d, RECV, bufsize, flags, options);
  }

  /**
   * Fills `buffer` (up to `nbytes`, default its length) and returns the count; 0 only at end of
   * stream. `flags` as for `recv`.
   */
  recvInto(
    buffer: Uint8Array,
    nbytes?: number | RecvOptions,
    flags?: number | RecvOptions,
    options?: RecvOptions,
  ): Promise<number> {
    return this.#datagram()
      ? run(this.#d, DGRAM_RECV_INTO, buffer, nbytes, flags, options)
      : run(this.#d, RECV_INTO, buffer, nbytes, flags, options);
  }

  /**
   * One datagram and its sender: `[data, address]`. A datagram longer than `bufsize` is
   * truncated and the rest of it discarded; an empty datagram is an empty Buffer. `flags` may be
   * `MSG_PEEK`. Datagrams only: `EOPNOTSUPP` on a stream socket.
   */
  recvFrom(
    bufsize: number,
    flags?: number | RecvOptions,
    options?: RecvOptions,
  ): Promise<[Buffer, Address]> {
    return run(this.#d, RECV_FROM, bufsize, flags, options);
  }

  /**
   * Fills `buffer` (up to `nbytes`, default its length) with one datagram: `[count, address]`.
   * The rest of a longer datagram is discarded; with `flags` `MSG_TRUNC` the count is the
   * datagram's real length. `MSG_PEEK` leaves the datagram queued. Datagrams only.
   */
  recvFromInto(
    buffer: Uint8Array,
    nbytes?: number | RecvOptions,
    flags?: number | RecvOptions,
    options?: RecvOptions,
  ): Promise<[number, Address]> {
    return run(this.#d, RECV_FROM_INTO, buffer, nbytes, flags, options);
  }

  /**
   * Exactly `n` bytes. If the stream ends first: IncompleteReadError with the bytes that were
   * left (consumed). On timeout or abort nothing is consumed.
   */
  recvExactly(n: number, options?: WaitOptions): Promise<Buffer> {
    return run(this.#d, RECV_EXACTLY, n, options);
  }

  /**
   * Bytes up to and including `delimiter`. LimitOverrunError if it is not within `maxBytes`
   * (default 65536; nothing consumed); IncompleteReadError if the stream ends first (the rest is
   * consumed). On timeout or abort nothing is consumed.
   */
  recvUntil(delimiter: Data, options?: RecvUntilOptions): Promise<Buffer> {
    return run(this.#d, RECV_UNTIL, delimiter, options);
  }

  // --- the rest (synchronous) ------------------------------------------------------------------

  /** `SHUT_RD`, `SHUT_WR` (sends FIN; receiving still works) or `SHUT_RDWR`. */
  shutdown(how: number): void {
    this.#d.shutdown(how);
  }

  /** Releases the socket now; pending and later calls reject with `EBADF`. Queued data is still sent. */
  close(): void {
    this.#d.close();
  }

  /** Calls `close()` (`using sock = …`). */
  [Symbol.dispose](): void {
    this.#d.close();
  }

  /** Calls `close()` (`await using sock = …`, Python's `with`). */
  async [Symbol.asyncDispose](): Promise<void> {
    this.#d.close();
  }

  /** The local address. Before `listen`/`connect`, the address given to `bind` (port may be 0). */
  getsockname(): Address {
    return this.#d.getsockname();
  }

  /** The peer's address; `ENOTCONN` when not connected. */
  getpeername(): Address {
    return this.#d.getpeername();
  }

  /** The OS descriptor, or −1 when closed or before the OS socket exists (it is made lazily). */
  fileno(): number {
    return this.#d.fileno();
  }

  /** Sets an option; see the README for what each one means here. */
  setsockopt(level: number, option: number, value: number | boolean | null | Uint8Array): void {
    this.#d.setsockopt(level, option, value);
  }

  /** Reads an option back (SO_ERROR reads and clears the pending error). */
  getsockopt(level: number, option: number): number | null {
    return this.#d.getsockopt(level, option);
  }

  // --- streams (src/streams/) -------------------------------------------------------------------

  /**
   * A file object over the socket, as Python's `makefile`: `"r"`, `"w"` or `"rw"`, with `"b"`
   * for a {@link BinaryFile} (else a {@link TextFile}, UTF-8 by default). Its reads are socket
   * calls under the socket's mode, and it survives timeouts with nothing lost. Closing it leaves
   * the socket open; closing the socket sends what the file still holds and makes its calls
   * fail with `EBADF`.
   */
  makefile<M extends string = "r">(mode?: M, options?: FileOptions): FileFor<M> {
    return makefile(this.#d, mode, options) as FileFor<M>;
  }

  /**
   * A `node:stream` Duplex over the connected socket, with backpressure both ways; ending its
   * writable side is `shutdown(SHUT_WR)`, destroying it closes the socket. It takes the socket
   * over: the socket's own data calls then fail with `EBUSY`. A second call returns the same
   * Duplex.
   */
  toDuplex(options?: DuplexOptions): Duplex {
    return toDuplex(this.#d, options);
  }

  /**
   * The socket as a WHATWG byte `ReadableStream` (BYOB readers receive straight into their
   * buffer), as Deno's `Conn.readable`; cancelling it closes the socket.
   */
  get readable(): ReadableStream<Uint8Array> {
    return readableOf(this.#d);
  }

  /**
   * The socket as a WHATWG `WritableStream`, as Deno's `Conn.writable`; closing it is
   * `shutdown(SHUT_WR)`, aborting it closes the socket.
   */
  get writable(): WritableStream<Uint8Array> {
    return writableOf(this.#d);
  }

  /**
   * `for await (const chunk of sock)`: the received data as it comes, until end of stream. Each
   * step is a `recv` under the socket's mode; leaving the loop early leaves the socket open
   * and loses nothing.
   */
  [Symbol.asyncIterator](): AsyncGenerator<Buffer, void, undefined> {
    return chunks(this.#d);
  }

  /** @internal What a selector watches. */
  get [READINESS](): Readiness {
    return this.#d.readiness;
  }

  /**
   * A datagram socket runs the datagram entries of `bind`, `connect`, `send`, `recv*`. A method,
   * not a private getter: V8 reads a private getter through a runtime call even in optimised code.
   */
  #datagram(): boolean {
    return this.#d.type === SOCK_DGRAM;
  }
}

/**
 * @internal The `Socket` of a descriptor made elsewhere (an adopted connection), or an object
 * of a subclass `As` of `Socket` whose constructor calls `super()` without arguments.
 */
export function socketOf<S extends Socket = Socket>(descriptor: Descriptor, As?: new () => S): S {
  adopting = descriptor;
  return As === undefined ? (new Socket() as S) : new As();
}

/** Creates a socket (Python's `socket.socket`). */
export function socket(family: number = AF_INET, type: number = SOCK_STREAM): Socket {
  return new Socket(family, type);
}

/**
 * The calls of `Socket` that never wait, each the descriptor's method of the same name (the
 * synchronous flavour builds its `Socket` from this list and the operations table).
 */
export const IMMEDIATE_CALLS = [
  "setTimeout",
  "getTimeout",
  "setBlocking",
  "getBlocking",
  "setDeadline",
  "setReadDeadline",
  "setWriteDeadline",
  "shutdown",
  "close",
  "getsockname",
  "getpeername",
  "fileno",
  "setsockopt",
  "getsockopt",
] as const;

/** `connectEx`'s answer for a failed connect: its errno (a timeout is EAGAIN, as in CPython). */
export function connectErrno(error: unknown): number {
  if (error instanceof AddressInfoError || !(error instanceof SocketError)) throw error;
  if (error instanceof TimeoutError) return errnoOf("EAGAIN")!;
  return error.errno ?? errnoOf("EIO")!;
}
