/**
 * The stream transport: a TCP or Unix connection on top of `node:net`, turned from push to pull.
 *
 * Node pushes reads at us; we keep them in a {@link RecvBuffer} bounded by `rcvbuf` bytes and
 * stop reading from the kernel when it is full (TCP flow control then slows the peer). Writes go
 * to Node's queue, bounded by `sndbuf` bytes: `send` copies (the caller may reuse its buffer at
 * once), `sendAll` lends the caller's bytes and finishes when the kernel has taken them all. The
 * send side is the base class, in stream-sender.ts.
 *
 * The calls tried on it are in stream-calls.ts.
 */

import { readSync } from "node:fs";
import type * as net from "node:net";
import { type Endpoint, formatAddress } from "../net/address.js";
import {
  canProbe,
  descriptorOf,
  END_NEEDS_READ,
  newOwnSocket,
  ONREAD_HOOKS,
  type OnRead,
  OwnSocket,
  ownerOf,
  READ_BUFFER_CHOICE,
  READABLE_DESCRIPTOR,
  readinessProbe,
  type SocketOwner,
  setOwner,
  setWriteHighWaterMark,
} from "./node-internals.js";
import { streamClosed, streamOpened } from "./open-handles.js";
import type { NOT_READY } from "./operation.js";
import { RecvBuffer } from "./recv-buffer.js";
import { SCRATCH, scratchView } from "./scratch.js";
import * as calls from "./stream-calls.js";
import { noteRead, StreamSender } from "./stream-sender.js";
import type { ByteStream, SendAllState, TransportSink } from "./transport.js";

/** Default library receive buffer, bytes (SO_RCVBUF). */
export const DEFAULT_RCVBUF = 128 * 1024;
/** Default library send buffer, bytes (SO_SNDBUF). */
export const DEFAULT_SNDBUF = 128 * 1024;

/** An IP address and port. */
export interface LocalName {
  readonly address: string;
  readonly port: number;
}

/** A connection, connecting or connected; see the module comment. */
export class Stream extends StreamSender implements SocketOwner, ByteStream, calls.Stream {
  readonly kind = "stream";
  readonly rx = new RecvBuffer();
  rcvbuf = DEFAULT_RCVBUF;
  sndbuf = DEFAULT_SNDBUF;
  /** The connection attempt's state: a connected stream starts "open". */
  state: "connecting" | "open" | "failed" = "open";
  /**
   * Whether `close` ends the connection in order even with nothing queued: a TLS connection
   * sends its close_notify so (see close()).
   */
  endOnClose = false;
  /**
   * A protocol runs over the connection (TLS): the socket's data are not the descriptor's
   * bytes, so this stream never reads the descriptor itself (see #readRest) nor hands it over.
   */
  layered = false;
  #label: string | undefined;
  #endpoint: Endpoint | undefined;
  /** The local IP address once known (see `local`). */
  #local: LocalName | undefined;
  /** EOF, WRITE_SHUT, PAUSED, READ_SHUT and CLOSED bits: one field, as every stream has them. */
  #flags = 0;
  #demands: number[] | undefined;

  private constructor(socket: net.Socket | null, sink: TransportSink) {
    super(socket ?? Stream.#newSocket(), sink);
    streamOpened();
    setOwner(this.socket, this);
    this.socket.on("error", Stream.#onError);
    this.socket.on("drain", Stream.#onDrain);
    this.socket.on("end", Stream.#onEnd);
    this.socket.on("close", Stream.#onClose);
  }

  /** Set once the peer's FIN arrived (or reading was shut down). */
  get eof(): boolean {
    return (this.#flags & EOF) !== 0;
  }

  /** Set once the local write side is shut (SHUT_WR, close). */
  get writeShut(): boolean {
    return (this.#flags & WRITE_SHUT) !== 0;
  }

  // The flags below are read through methods, not private accessors: V8 reads a private
  // getter through a runtime call even in optimised code (about 5 ns), and refill() runs for
  // every line a file reads.

  /** Reading from the kernel is stopped because the receive buffer is full. */
  #paused(): boolean {
    return (this.#flags & PAUSED) !== 0;
  }

  #setPaused(paused: boolean): void {
    this.#flags = paused ? this.#flags | PAUSED : this.#flags & ~PAUSED;
  }

  /** SHUT_RD: data that still arrives is dropped. */
  #readShut(): boolean {
    return (this.#flags & READ_SHUT) !== 0;
  }

  /** The address for messages: the peer's, or what was being connected to (made when asked). */
  get label(): string {
    if (this.#label === undefined) {
      if (this.#endpoint !== undefined) this.#label = formatAddress(this.#endpoint);
      else if (this.remote !== undefined) {
        this.#label = formatAddress([this.remote.address, this.remote.port]);
      } else return "";
    }
    return this.#label;
  }

  set label(label: string) {
    this.#label = label;
  }

  // Listeners shared by every stream (no closures per connection); `this` is the net.Socket.
  static #onReadShared = function (this: net.Socket, nread: number, buf: Uint8Array): boolean {
    return ownerOf<Stream>(this).#onRead(nread, buf);
  };

  static #onError = function (this: net.Socket, error: Error): void {
    const stream = ownerOf<Stream>(this);
    if (stream.state === "connecting") stream.state = "failed";
    // Node destroys a socket after its error: once the error is raised, reads see end of
    // stream and sends EPIPE, as on Linux (without waiting for 'close').
    else stream.#flags |= EOF | WRITE_SHUT;
    stream.fail(error);
  };

  static #onEnd = function (this: net.Socket): void {
    const stream = ownerOf<Stream>(this);
    // Where libuv may report a reset that came with the last data as the end (END_NEEDS_READ),
    // read once more, as the next recv(2) would: 0 is the end, ECONNRESET is raised after the
    // data. One read(2) per connection end.
    if (
      END_NEEDS_READ &&
      stream.pending === null &&
      (stream.#flags & (READ_SHUT | HANDED_OVER)) === 0
    ) {
      stream.#readRest(AFTER_END_READS);
    }
    stream.#flags |= EOF;
    stream.sink.readableChanged();
  };

  static #onClose = function (this: net.Socket): void {
    streamClosed();
    const stream = ownerOf<Stream>(this);
    stream.#flags |= EOF | WRITE_SHUT;
    stream.sink.readableChanged();
    stream.sink.writableChanged();
  };

  /**
   * Writes that wait in Node's queue end with 'drain': with a high-water mark of 0, any queued
   * byte sets needDrain. (A write the kernel takes at once needs no report: its bytes are gone
   * before anyone could wait on them.)
   */
  static #onDrain = function (this: net.Socket): void {
    const stream = ownerOf<Stream>(this);
    stream.drained();
    stream.sink.writableChanged();
  };

  static #onConnect = function (this: net.Socket): void {
    const stream = ownerOf<Stream>(this);
    stream.state = "open";
    // Bun's socket no longer answers for its name when _destroy runs: keep it now.
    if (!ONREAD_HOOKS) stream.#queryLocal();
    stream.sink.writableChanged();
  };

  static #onDataShared = function (this: net.Socket, chunk: Buffer): void {
    ownerOf<Stream>(this).#onData(chunk);
  };

  /**
   * Node's `onread` option, one object for every socket (Node only reads it). Its buffer is
   * {@link nextReadBuffer} where Node asks for each read's buffer, else the shared scratch.
   */
  static #onread: OnRead = {
    buffer: READ_BUFFER_CHOICE ? nextReadBuffer : SCRATCH,
    callback: Stream.#onReadShared,
  };

  /** A socket of our own: reads through the shared scratch buffer where `onread` works. */
  static #newSocket(): net.Socket {
    const socket = newOwnSocket(undefined, ONREAD_HOOKS ? Stream.#onread : undefined);
    if (!ONREAD_HOOKS) socket.on("data", Stream.#onDataShared);
    return socket;
  }

  /** Starts connecting to `endpoint`; readiness for writing reports the outcome. */
  static connect(
    endpoint: Endpoint,
    local: Endpoint | undefined,
    ipFamily: 4 | 6,
    sink: TransportSink,
  ): Stream {
    const stream = new Stream(null, sink);
    stream.#endpoint = endpoint;
    stream.state = "connecting";
    // 'on', not 'once': a socket connects once, and once's wrapper cost about 3 µs per connect.
    stream.socket.on("connect", Stream.#onConnect);
    if (endpoint.kind === "unix") {
      stream.socket.connect({ path: endpoint.path });
    } else {
      const options: net.TcpSocketConnectOpts = {
        host: endpoint.host,
        port: endpoint.port,
        family: ipFamily,
      };
      if (local?.kind === "ip") {
        options.localAddress = local.host;
        if (local.port !== 0) options.localPort = local.port;
      }
      stream.socket.connect(options);
    }
    // Sockets never keep the process alive by themselves; see core/clock.ts.
    stream.unref();
    return stream;
  }

  /** Wraps a handle Node accepted (fast path: reads through the shared scratch buffer). */
  static fromHandle(handle: unknown, sink: TransportSink, local?: LocalName): Stream {
    const stream = new Stream(newOwnSocket(handle, Stream.#onread), sink);
    stream.unref();
    stream.#captureNames(local);
    return stream;
  }

  /** Wraps a `net.Socket` that emits `'data'` (runtimes without `onread` on accepted sockets). */
  static fromSocket(socket: net.Socket, sink: TransportSink, local?: LocalName): Stream {
    // Node made this socket with the default high-water mark; lower it as for ours (#onDrain).
    setWriteHighWaterMark(socket, 0);
    const stream = new Stream(socket, sink);
    stream.unref();
    stream.#captureNames(local);
    socket.on("data", Stream.#onDataShared);
    return stream;
  }

  /**
   * Takes over a connected `net.Socket` made elsewhere (or a subclass such as `tls.TLSSocket`):
   * `head` (bytes its previous reader already took, such as an HTTP upgrade's), then whatever
   * waits in its readable buffer, then what it reads next, in that order. Half-close is turned
   * on (a FIN from the peer no longer ends our side), and its end of stream or shut write side
   * carry over.
   */
  static adopt(socket: net.Socket, sink: TransportSink, head?: Uint8Array): Stream {
    setWriteHighWaterMark(socket, 0);
    socket.allowHalfOpen = true;
    const stream = new Stream(socket, sink);
    if (head !== undefined && head.length > 0) stream.rx.push(Buffer.from(head));
    stream.#captureNames();
    if (socket.readableEnded) stream.#flags |= EOF;
    if (socket.writableEnded) stream.#flags |= WRITE_SHUT;
    // 'data' listeners hear the readable buffer first (from the next tick), then new reads.
    socket.on("data", Stream.#onDataShared);
    if (stream.rx.length >= stream.#limit()) {
      stream.#setPaused(true);
      socket.pause();
    } else socket.resume();
    return stream;
  }

  /**
   * For an accepted connection: the peer's name (which `accept` returns; Node keeps it after
   * destroy) and the local one. `local` is the listener's address when it is a specific one; a
   * socket Node made (not an OwnSocket, which keeps its name itself) asks for it now.
   */
  #captureNames(local?: LocalName): void {
    if (local !== undefined) this.#local = local;
    else if (!(this.socket instanceof OwnSocket)) this.#queryLocal();
    void this.socket.remoteAddress;
  }

  /**
   * The local IP address and port. Asked of the kernel on first use and kept: Node forgets it
   * when the socket is destroyed, so an OwnSocket destroyed under us (a reset, an error, both
   * directions shut) keeps it first (see keepLocalName), as Python's `getsockname` still answers
   * until `close`.
   */
  get local(): LocalName | undefined {
    return this.#local ?? this.#queryLocal();
  }

  #queryLocal(): LocalName | undefined {
    if (this.state !== "open") return undefined;
    const { localAddress, localPort } = this.socket;
    if (localAddress !== undefined) this.#local = { address: localAddress, port: localPort ?? 0 };
    return this.#local;
  }

  /**
   * Called as Node destroys the socket, while its handle still answers: keep the local name,
   * and when an error destroys it (a write that failed: the peer reset or went away), take what
   * the kernel still holds for us first. Node would close the descriptor with those bytes unread,
   * where Python's `recv` returns them and then raises the reset.
   */
  beforeDestroy(error: Error | null): void {
    if ((this.#flags & CLOSED) !== 0) return;
    if (this.#local === undefined) this.#queryLocal();
    // A connection that never opened has nothing to read, and its error is the connect's.
    if (
      error !== null &&
      this.state === "open" &&
      (this.#flags & (READ_SHUT | HANDED_OVER)) === 0
    ) {
      this.#readRest(KERNEL_DRAIN_READS);
    }
  }

  /** Peer IP address, or undefined if it was never known. */
  get remote(): { address: string; port: number } | undefined {
    const { remoteAddress, remotePort } = this.socket;
    return remoteAddress === undefined
      ? undefined
      : { address: remoteAddress, port: remotePort ?? 0 };
  }

  /**
   * Reads what the kernel still holds, as the next recv(2) calls would, until it says the end
   * (0), would block or fails (the error is kept and raised after the data, as Python raises
   * it), at most `reads` times. Skipped where the runtime hides the descriptor or `fs` cannot
   * read it (READABLE_DESCRIPTOR).
   */
  #readRest(reads: number): void {
    const fd = READABLE_DESCRIPTOR && !this.layered ? descriptorOf(this.socket) : -1;
    if (fd < 0) return;
    for (let i = 0; i < reads; i++) {
      let n: number;
      try {
        n = readSync(fd, SCRATCH, 0, SCRATCH.length, null);
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        if (code !== "EAGAIN" && code !== "EWOULDBLOCK") this.fail(error);
        return;
      }
      if (n === 0) return;
      this.rx.push(Buffer.from(SCRATCH.subarray(0, n)));
    }
  }

  /**
   * A read landed in `buf`: the shared scratch, or (after a large read) this stream's own read
   * buffer. Readers waiting now copy straight out of it. What they leave is copied into owned
   * memory, except that the bulk of a read into our own buffer stays where it landed, and a
   * reader that took such a read whole keeps its memory: then the next read needs a new buffer.
   * So a large read costs one copy at most, and none for readers that take chunks as they came
   * (streams, iteration).
   */
  #onRead(nread: number, buf: Uint8Array): boolean {
    noteRead();
    if (this.#readShut()) return true;
    const rx = this.rx;
    const own = buf !== SCRATCH;
    rx.pushBorrowed(scratchView(buf, nread), own);
    this.sink.readableChanged();
    if (rx.takeTransferred()) nextRead = Buffer.allocUnsafeSlow(SCRATCH.length);
    else if (own && rx.borrowedLeft >= nread / 2) {
      rx.keep();
      nextRead = Buffer.allocUnsafeSlow(SCRATCH.length);
    } else {
      rx.adopt();
      // Large reads go on in our own buffer (reused while readers copy it out); small ones in
      // the scratch.
      if (nread >= LARGE_READ)
        nextRead = own ? (buf as Buffer) : Buffer.allocUnsafeSlow(SCRATCH.length);
    }
    if (rx.length < this.#limit()) return true;
    this.#setPaused(true);
    return false;
  }

  #onData(chunk: Buffer): void {
    noteRead();
    if (this.#readShut()) return;
    this.rx.push(chunk);
    this.sink.readableChanged();
    if (this.rx.length >= this.#limit() && !this.#paused()) {
      this.#setPaused(true);
      this.socket.pause();
    }
  }

  #limit(): number {
    let limit = this.rcvbuf;
    if (this.#demands !== undefined) for (const d of this.#demands) if (d > limit) limit = d;
    return limit;
  }

  /**
   * Gives the `net.Socket` to a new owner that reads it another way (TLS takes a connection
   * over so). This tick's staged copies are written first; what was received and not read comes
   * back as `head`, for the new owner to read first, so nothing is lost. From then on this stream
   * hears nothing of the socket, and its close() leaves the socket alone.
   */
  release(): { socket: net.Socket; head: Buffer } {
    this.flushStaged();
    const socket = this.socket;
    socket.removeListener("error", Stream.#onError);
    socket.removeListener("drain", Stream.#onDrain);
    socket.removeListener("end", Stream.#onEnd);
    socket.removeListener("close", Stream.#onClose);
    socket.removeListener("connect", Stream.#onConnect);
    socket.removeListener("data", Stream.#onDataShared);
    // Its 'close' no longer reaches this stream: it is the new owner's to count.
    streamClosed();
    // A socket read through 'data' events (Bun's, an adopted one) would flow on with no listener
    // and drop what arrives before the new owner reads: it waits, paused, for the new owner.
    if (socket.readableFlowing === true) socket.pause();
    // Reads that still reach this stream (none should: the new owner reads the handle) are
    // dropped, and Node's destroy no longer asks it anything.
    this.#flags |= READ_SHUT | EOF | WRITE_SHUT | CLOSED;
    const head = this.rx.read(this.rx.length);
    this.#setPaused(false);
    return { socket, head };
  }

  /**
   * Hands the connection's data to another reader and writer of its descriptor (a synchronous
   * socket's thread): stops reading from the kernel for good, returns the descriptor and what
   * was buffered, and from then on learns of readability through a probe that reads nothing
   * (see node-internals.ts): `arm()` asks for one report, and `readable` stays true from the
   * report until the next `arm()`. Undefined where the runtime offers no descriptor or probe.
   */
  handOver(): { fd: number; leftover: Buffer; arm: () => void } | undefined {
    const fd = this.fileno();
    if (
      fd < 0 ||
      this.layered ||
      this.state !== "open" ||
      this.socket.destroyed ||
      !canProbe(this.socket)
    ) {
      return undefined;
    }
    this.#flags |= PAUSED | HANDED_OVER;
    this.socket.pause();
    const probe = readinessProbe(this.socket, () => {
      this.#flags = (this.#flags | PROBED) & ~ARMED;
      this.sink.readableChanged();
    })!;
    const leftover = this.rx.read(this.rx.length);
    return {
      fd,
      leftover,
      arm: () => {
        // A probe already armed is still waiting: asking again changes nothing.
        if ((this.#flags & ARMED) !== 0) return;
        this.#flags = (this.#flags & ~PROBED) | ARMED;
        probe.arm();
      },
    };
  }

  /** Starts reading from the kernel again if the buffer has room (after a read consumed). */
  refill(): void {
    // One test for the common case (reading, or handed over), as a file's readline() calls this
    // for every line.
    if ((this.#flags & (PAUSED | HANDED_OVER)) !== PAUSED) return;
    if (this.rx.length < this.#limit() && !this.socket.destroyed) {
      this.#setPaused(false);
      this.socket.resume();
    }
  }

  /** How many whole-operation reads are letting the buffer grow now (tests). */
  get demandCount(): number {
    return this.#demands?.length ?? 0;
  }

  /** Lets a whole-operation read buffer `bytes` before the kernel is paused; returns a release. */
  demand(bytes: number): () => void {
    this.#demands ??= [];
    const demands = this.#demands;
    demands.push(bytes);
    this.refill();
    return () => {
      const i = demands.indexOf(bytes);
      if (i >= 0) demands.splice(i, 1);
    };
  }

  /** The OS descriptor, or −1. */
  fileno(): number {
    return descriptorOf(this.socket);
  }

  /** Ready for reading: data, end of stream or an error (or, handed over, the probe said so). */
  get readable(): boolean {
    return this.rx.length > 0 || this.eof || this.pending !== null || (this.#flags & PROBED) !== 0;
  }

  /** Ready for writing: room in the send buffer, or an error to report. */
  get writable(): boolean {
    if (this.state === "connecting") return false;
    return this.pending !== null || this.writeShut || this.queued < this.sndbuf;
  }

  protected get receivedUnread(): boolean {
    return this.rx.length > 0;
  }

  // --- the calls tried on it (stream-calls.ts) -----------------------------------------------

  recv(n: number, peek: boolean, op: string): Buffer | typeof NOT_READY {
    return calls.recv(this, n, peek, op);
  }

  recvInto(target: Uint8Array, n: number, op: string): number | typeof NOT_READY {
    return calls.recvInto(this, target, n, op);
  }

  recvExactly(n: number, op: string): Buffer | typeof NOT_READY {
    return calls.recvExactly(this, n, op);
  }

  recvUntil(
    delimiter: Uint8Array,
    maxBytes: number,
    scan: { next: number },
    op: string,
  ): Buffer | typeof NOT_READY {
    return calls.recvUntil(this, delimiter, maxBytes, scan, op);
  }

  send(data: Uint8Array, op: string): number | typeof NOT_READY {
    return calls.send(this, data, op);
  }

  sendAll(state: SendAllState, op: string): undefined | typeof NOT_READY {
    return calls.sendAll(this, state, op);
  }

  sendSmall(data: Uint8Array): boolean {
    return calls.sendSmall(this, data);
  }

  /** Bytes are buffered: the event loop, not the kernel, is what a receive here waits on. */
  receivesNow(_blockingCall: boolean): boolean {
    return this.rx.length > 0;
  }

  /** SHUT_RD: reads now see end of stream; later data is dropped. */
  shutdownRead(): void {
    this.#flags |= READ_SHUT | EOF;
    this.rx.clear();
    this.sink.readableChanged();
  }

  /** SHUT_WR: FIN after whatever is queued. */
  shutdownWrite(): void {
    if (this.writeShut) return;
    this.flushStaged();
    this.#flags |= WRITE_SHUT;
    this.socket.end();
    this.sink.writableChanged();
  }

  /**
   * Releases the stream. As Linux does, queued data is still flushed, unless `reset` (SO_LINGER
   * 0) or data we received was never read: then the connection is reset and the queue dropped.
   */
  close(reset: boolean): void {
    // A stream handed over is paused for good, not full: whoever reads it owns what is unread.
    const unread = this.rx.length > 0 || (this.#paused() && (this.#flags & HANDED_OVER) === 0);
    this.#flags |= READ_SHUT | CLOSED;
    this.rx.clear();
    const socket = this.socket;
    if (socket.destroyed) return;
    if (reset || unread) this.dropStaged();
    else this.flushStaged();
    if ((reset || unread) && !socket.connecting) {
      try {
        socket.resetAndDestroy();
      } catch {
        socket.destroy(); // not TCP (a Unix socket has no reset)
      }
      return;
    }
    // An orderly end also sends what a layer above TCP ends with (TLS: close_notify).
    const orderly = socket.writableLength > 0 || (this.endOnClose && !socket.writableFinished);
    if (this.state !== "open" || !orderly) {
      socket.destroy();
      return;
    }
    // Flush in the background, then let go. libuv's write and shutdown requests keep the
    // process alive until the kernel has every byte, though the socket does not (elsewhere the
    // socket does, until it is destroyed: see keepAliveWhileQueued).
    socket.once("finish", () => socket.destroy());
    socket.end();
  }
}

// The bits of Stream#flags.
const EOF = 1;
const WRITE_SHUT = 2;
const PAUSED = 4;
const READ_SHUT = 8;
/** close() was called: nobody can ask for the names any more. */
const CLOSED = 16;
/** handOver() was called: reading belongs to someone else. */
const HANDED_OVER = 32;
/** Handed over, and the probe reported the descriptor readable since it was last armed. */
const PROBED = 64;
/** Handed over, and the probe is armed: it has not reported since. */
const ARMED = 128;

/** Reads after 'end' (data never follows the end of a stream; bounded all the same). */
const AFTER_END_READS = 16;
/** Reads of what the kernel holds when an error destroys the socket (its buffer is bounded). */
const KERNEL_DRAIN_READS = 1024;

/** A read of at least this many bytes makes a stream read into a buffer of its own next. */
const LARGE_READ = 32 * 1024;

/** The buffer the next read goes to, chosen by the read callback just before Node asks. */
let nextRead: Buffer = SCRATCH;

/** `onread`'s buffer function: the choice of the last read callback, once; then the scratch. */
function nextReadBuffer(): Buffer {
  const next = nextRead;
  nextRead = SCRATCH;
  return next;
}
