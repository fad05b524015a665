/**
 * The transport seam: what a socket's kernel side offers the socket above it, whatever carries
 * it. A transport turns its runtime's push-style events into state that an attempt reads
 * without waiting (readable, writable, the pending error, buffered data) and tells its sink
 * whenever a direction may have become ready; the socket wakes its waiting calls from there.
 *
 * Contract for every transport:
 * - `readable`: a receiving call (`recv*`, `accept`) would not wait: data, a datagram, end of
 *   stream, a pending connection or a pending error.
 * - `writable`: a sending call would not wait, or a connect has finished either way.
 * - Errors never escape as events: the first one is kept as `pending` (what `SO_ERROR` reads)
 *   and raised by the next call that looks (`takeError`).
 * - `close(reset)` releases the kernel side at once; nothing is reported afterwards.
 *
 * The transports: `Stream` (a TCP or Unix connection, connecting or connected), `Listener`,
 * `Datagram` (a UDP socket).
 */

import {
  codeOf,
  fromNodeError,
  type SocketError,
  type SocketErrorOptions,
} from "../core/errors.js";
import type { NOT_READY } from "./operation.js";

/** Who hears that a direction may have become ready (the socket's descriptor). */
export interface TransportSink {
  readableChanged(): void;
  writableChanged(): void;
}

/** A sink that hears nothing (a connection accepted before its socket exists). */
export const NO_SINK: TransportSink = { readableChanged() {}, writableChanged() {} };

/** A transport error kept for the next call: its errno name and what the runtime raised. */
export interface PendingError {
  readonly code: string;
  readonly cause: unknown;
  /** Makes the error to raise where the errno table does not fit (TLS errors). */
  readonly raise?: ((options: SocketErrorOptions) => SocketError) | undefined;
}

/** What every transport offers; see the module comment. */
export abstract class Transport {
  /** Which calls apply to it. */
  abstract readonly kind: "stream" | "listener" | "datagram";
  /** The error the next call raises, or null. */
  pending: PendingError | null = null;
  protected sink: TransportSink;

  constructor(sink: TransportSink) {
    this.sink = sink;
  }

  /** A receiving call would not wait. */
  abstract get readable(): boolean;
  /** A sending call would not wait, or a connect has finished. */
  abstract get writable(): boolean;
  /** The address to name in error messages. */
  abstract get label(): string;
  /** The OS descriptor, or −1. */
  abstract fileno(): number;
  /** Releases the kernel side now; with `reset`, a connection is reset (SO_LINGER 0). */
  abstract close(reset: boolean): void;

  /** Points readiness reports at a new owner (an accepted connection gets its socket later). */
  setSink(sink: TransportSink): void {
    this.sink = sink;
  }

  /** Keeps `error` as the pending error (the first one wins) and wakes both directions. */
  protected fail(error: unknown): void {
    if (this.pending === null) this.pending = { code: codeOf(error), cause: error };
    this.sink.readableChanged();
    this.sink.writableChanged();
  }

  /** The pending error as the class Python raises, cleared (the next call after an error). */
  takeError(op: string): SocketError {
    const pending = this.pending!;
    this.pending = null;
    const options = { op, address: this.label };
    return pending.raise?.(options) ?? fromNodeError(pending.cause, options);
  }

  /** The pending error's errno name, cleared without raising it (`SO_ERROR`). */
  clearError(): string | undefined {
    const code = this.pending?.code;
    this.pending = null;
    return code;
  }
}

/** Progress of one `sendAll`, kept between attempts. */
export interface SendAllState {
  readonly data: Uint8Array;
  /** Bytes accepted so far (handed to the send buffer or the kernel). */
  sent: number;
  /** Where the last lent chunk ends in the stream's write positions (async streams only). */
  lastWrite: number;
}

/**
 * The calls of a byte stream, each tried once as the operations table runs them: a result, a
 * throw, or NOT_READY having consumed nothing. The async stream transport implements them over
 * its buffers (stream-calls.ts); a synchronous socket's direct stream over its descriptor.
 */
export interface ByteStream {
  /** Up to `n` bytes (a copy that leaves them buffered if `peek`); empty at end of stream. */
  recv(n: number, peek: boolean, op: string): Buffer | typeof NOT_READY;
  /** Up to `n` bytes into `target`; 0 at end of stream. */
  recvInto(target: Uint8Array, n: number, op: string): number | typeof NOT_READY;
  /** Exactly `n` bytes, or IncompleteReadError with what was left at end of stream. */
  recvExactly(n: number, op: string): Buffer | typeof NOT_READY;
  /** Bytes up to and including `delimiter`, within `maxBytes`; `scan` carries the position. */
  recvUntil(
    delimiter: Uint8Array,
    maxBytes: number,
    scan: { next: number },
    op: string,
  ): Buffer | typeof NOT_READY;
  /** Accepts as many bytes as there is room for, at least 1. */
  send(data: Uint8Array, op: string): number | typeof NOT_READY;
  /** Accepts `state.data` from `state.sent` on; done once all of it is taken. */
  sendAll(state: SendAllState, op: string): undefined | typeof NOT_READY;
  /** A small `sendAll` done at once when it can neither wait nor fail; false otherwise. */
  sendSmall(data: Uint8Array): boolean;
  /**
   * Whether a receive tried now needs no wait from the policy: bytes are buffered here, or, for
   * a `blockingCall` (no timeout, no deadline), the descriptor waits in the kernel itself.
   */
  receivesNow(blockingCall: boolean): boolean;
  /** Lets reads buffer `bytes` (a whole-operation read larger than the buffer); a release. */
  demand(bytes: number): () => void;
}
