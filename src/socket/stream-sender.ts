/**
 * The send side of a stream transport, the base class of `Stream` (stream.ts), which adds the
 * receive side and the connection's life.
 *
 * Writes go to Node's queue: `write` lends the caller's bytes and returns the position where
 * they end, which `completed` reaches once the kernel has taken them (`sendAll` waits so).
 * `writeCopy` copies (`send`, small `sendAll`s): the reply to a read is written at once, other
 * copies of one tick leave together in one write at its end. And where queued bytes do not keep
 * the process alive by themselves, the socket does while it has some.
 */

import type * as net from "node:net";
import { EndOfTick } from "./end-of-tick.js";
import { Transport, type TransportSink } from "./transport.js";

/**
 * Whether bytes queued in a socket keep the process alive by themselves: on Node.js, libuv's
 * write and shutdown requests do, though the socket is unref'd. Bun lets the process end with
 * them still queued (lost), and so does Deno, so there a stream sockit unref'd is ref'd while it
 * has bytes queued (see keepAliveWhileQueued).
 */
const WRITES_KEEP_ALIVE =
  typeof process.versions.bun !== "string" && typeof process.versions.deno !== "string";

/** Counts reads by any stream (wrapping int32): a stream's first copy after one is a reply. */
let readEpoch = 0;

/** Tells the send side that a stream received data: the next copy written is a reply. */
export function noteRead(): void {
  readEpoch = (readEpoch + 1) | 0;
}

// The bits of StreamSender#keepAlive.
/** sockit unref'd the socket (it made or accepted it; an adopted one is its owner's). */
const UNREFED = 1;
/** Ref'd while bytes are queued, where queued bytes do not keep the process alive. */
const KEPT_ALIVE = 2;

/** The send side of a connection; see the module comment. */
export abstract class StreamSender extends Transport {
  readonly socket: net.Socket;
  /** Bytes handed to Node so far (the kernel has taken all but `socket.writableLength`). */
  #accepted = 0;
  /** Small copies made this tick, written together at its end (see writeCopy). */
  #staged: Buffer | Buffer[] | null = null;
  #stagedBytes = 0;
  /** The readEpoch of the last copy written at once (see writeCopy). */
  #directEpoch = -1;
  /** UNREFED and KEPT_ALIVE bits. */
  #keepAlive = 0;

  protected constructor(socket: net.Socket, sink: TransportSink) {
    super(sink);
    this.socket = socket;
  }

  /** Whether received bytes wait unread: a copy written then is not a reply (see writeCopy). */
  protected abstract get receivedUnread(): boolean;

  /** Bytes accepted but not yet taken by the kernel (Node's queue and this tick's copies). */
  get queued(): number {
    return this.socket.writableLength + this.#stagedBytes;
  }

  /** Bytes the kernel has taken, counted as {@link write} positions are. */
  get completed(): number {
    return this.#accepted - this.socket.writableLength;
  }

  /**
   * Lends `chunk` to Node; returns the byte position where it ends, which {@link completed}
   * reaches once the kernel has taken it. Errors come back as the socket's 'error' event.
   */
  write(chunk: Uint8Array): number {
    if (this.#staged !== null) this.#writeStaged();
    this.socket.write(chunk);
    this.#accepted += chunk.length;
    if (!WRITES_KEEP_ALIVE) this.#keepAliveWhileQueued();
    return this.#accepted;
  }

  /**
   * Lends `chunks` to Node in one go, corked, so they leave in one `writev`; returns where the
   * last one ends (see {@link write}). For a caller that already holds them all (a Duplex's
   * writable buffer), so the send buffer's bound does not apply to them.
   */
  writeBatch(chunks: readonly Uint8Array[]): number {
    this.socket.cork();
    for (const chunk of chunks) this.write(chunk);
    this.socket.uncork();
    return this.#accepted;
  }

  /**
   * Writes a copy. The reply to a read (the first copy since data last arrived, with nothing
   * left unread) is written at once, as in a request-response exchange. Other copies are staged
   * and leave together, in one write at the end of the tick, so many small messages cost one
   * system call. Replies are not staged because staging costs a tick callback per message,
   * which a request-response exchange would pay on every round trip.
   */
  writeCopy(data: Uint8Array): void {
    const copy = Buffer.from(data);
    const staged = this.#staged;
    if (staged === null && this.#directEpoch !== readEpoch && !this.receivedUnread) {
      this.#directEpoch = readEpoch;
      this.write(copy);
      return;
    }
    if (staged === null) {
      this.#staged = copy;
      StreamSender.#flushes.schedule(this);
    } else if (Array.isArray(staged)) {
      staged.push(copy);
    } else {
      this.#staged = [staged, copy];
    }
    this.#stagedBytes += copy.length;
  }

  /** Writes this tick's staged copies now: anything written later goes after them. */
  protected flushStaged(): void {
    if (this.#staged !== null) this.#writeStaged();
  }

  /** Drops this tick's staged copies (the connection is reset: they would never leave). */
  protected dropStaged(): void {
    this.#staged = null;
    this.#stagedBytes = 0;
  }

  /** The end of the tick: staged copies leave, and a call waiting for room hears of it. */
  static #endOfTick(sender: StreamSender): void {
    if (sender.#staged === null) return;
    sender.#writeStaged();
    // The staged bytes left the send buffer. When the kernel took them at once, Node emits no
    // 'drain' (Node 20.20 asks for one only if bytes stay queued after the write), so a call
    // waiting for room would never hear of it: tell it here.
    if (sender.socket.writableLength === 0) sender.sink.writableChanged();
  }

  #writeStaged(): void {
    const staged = this.#staged!;
    const bytes = this.#stagedBytes;
    this.#staged = null;
    this.#stagedBytes = 0;
    if (this.socket.destroyed) return;
    this.write(Array.isArray(staged) ? Buffer.concat(staged, bytes) : staged);
  }

  /** Sockets never keep the process alive by themselves (core/clock.ts); queued bytes may. */
  protected unref(): void {
    this.socket.unref();
    this.#keepAlive |= UNREFED;
  }

  /**
   * Where queued bytes do not keep the process alive (WRITES_KEEP_ALIVE), the socket does while
   * it has some, as Python's process stays until the kernel has every accepted byte; 'drain'
   * lets go ({@link drained}). Only a socket sockit unref'd: an adopted one keeps its owner's
   * choice.
   */
  #keepAliveWhileQueued(): void {
    const bits = this.#keepAlive;
    if ((bits & (UNREFED | KEPT_ALIVE)) !== UNREFED || this.socket.writableLength === 0) return;
    this.#keepAlive = bits | KEPT_ALIVE;
    this.socket.ref();
  }

  /** Node's queue drained: a socket kept alive for its queued bytes lets go. */
  protected drained(): void {
    if ((this.#keepAlive & KEPT_ALIVE) !== 0 && this.socket.writableLength === 0) {
      this.#keepAlive &= ~KEPT_ALIVE;
      this.socket.unref();
    }
  }

  /** Streams with staged copies, flushed by one tick callback for all of them. */
  static readonly #flushes = new EndOfTick<StreamSender>((sender) =>
    StreamSender.#endOfTick(sender),
  );
}
